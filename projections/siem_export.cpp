#include "projections/siem_export.hpp"

#include "projections/siem.hpp"

namespace rxp::projections {
namespace {
constexpr size_t kPage = 1024;
}  // namespace

Result<uint64_t> export_siem_events(events::EventLog& log, const SiemQuery& q, const SiemEmit& emit) {
  uint64_t emitted = 0;
  for (uint64_t from = q.after_position + 1;;) {
    auto raws = log.store().read_all(from, kPage);
    if (!raws) return raws.status();
    for (size_t i = 0; i < raws->size(); ++i) {
      const events::RawEvent& raw = (*raws)[i];
      if (raw.position != from + i)
        return Status(ErrorCode::kCorruption,
                      "position " + std::to_string(from + i) + " is missing from the event log");
      // Decided on the clear header: events a SIEM does not receive are never decrypted.
      auto h = events::decode_header(raw.header_bytes);
      if (!h) return h.status();
      if (!siem_wants(h->type)) continue;
      if (h->occurred_at_us < q.from_us || h->occurred_at_us > q.to_us) continue;
      auto e = log.open(raw);
      if (!e) return e.status();
      if (Status st = emit(*e); !st) return st;
      ++emitted;
    }
    if (raws->size() < kPage) break;
    from = raws->back().position + 1;
  }
  return emitted;
}

}  // namespace rxp::projections
