#include "projections/siem_export.hpp"

#include "events/scan.hpp"
#include "projections/siem.hpp"

namespace rxp::projections {

Result<uint64_t> export_siem_events(events::EventLog& log, const SiemQuery& q, const SiemEmit& emit) {
  uint64_t emitted = 0;
  Status st = events::scan_stored_events(log.store(), q.after_position, [&](const events::RawEvent& raw) {
    // Decided on the clear header: events a SIEM does not receive are never decrypted.
    auto h = events::decode_header(raw.header_bytes);
    if (!h) return h.status();
    if (!siem_wants(h->type)) return Status::ok();
    if (h->occurred_at_us < q.from_us || h->occurred_at_us > q.to_us) return Status::ok();
    auto e = log.open(raw);
    if (!e) return e.status();
    RXP_RETURN_IF_ERROR(emit(*e));
    ++emitted;
    return Status::ok();
  });
  if (!st) return st;
  return emitted;
}

}  // namespace rxp::projections
