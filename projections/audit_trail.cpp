#include "projections/audit_trail.hpp"

#include <string_view>

#include "events/scan.hpp"

namespace rxp::projections {
namespace {

constexpr size_t kPage = 1024;

bool in_window(const AuditQuery& q, int64_t t) { return t >= q.since_us && t <= q.until_us; }

bool by_actor(const AuditQuery& q, const events::EventHeader& h) {
  return q.actor_id.empty() || h.principal.user_id == q.actor_id;
}

}  // namespace

bool is_audited_stream(const std::string& stream_id) {
  std::string_view s(stream_id);
  return s.starts_with("record/") || s.starts_with("denials/");
}

Result<std::vector<events::RecordedEvent>> read_audit_trail(events::EventLog& log,
                                                            const AuditQuery& q) {
  std::vector<events::RecordedEvent> out;
  if (!q.actor_id.empty() && !events::is_opaque_id(q.actor_id, false))
    return Status(ErrorCode::kInvalidArgument, "actor id must be an opaque id");
  if (!q.patient_id.empty()) {
    if (!events::is_opaque_id(q.patient_id, false))
      return Status(ErrorCode::kInvalidArgument, "patient id must be an opaque id");
    const std::string stream = "record/" + q.patient_id;
    for (uint64_t from = 1;;) {
      auto page = log.read_stream(stream, from, kPage);
      if (!page) return page.status();
      for (auto& e : *page)
        if (in_window(q, e.header.occurred_at_us) && by_actor(q, e.header)) out.push_back(std::move(e));
      if (page->size() < kPage) break;
      from += kPage;
    }
    return out;
  }
  // Every audited stream: headers are checked cheaply first, so events of other streams are
  // not decrypted; the ones kept are opened (hash-checked, authenticated, decoded) in full.
  Status st = events::scan_stored_events(log.store(), 0, [&](const events::RawEvent& raw) {
    if (!is_audited_stream(raw.stream_id)) return Status::ok();
    auto h = events::decode_header(raw.header_bytes);
    if (!h) return h.status();
    if (!in_window(q, h->occurred_at_us) || !by_actor(q, *h)) return Status::ok();
    auto e = log.open(raw);
    if (!e) return e.status();
    out.push_back(std::move(e.value()));
    return Status::ok();
  });
  if (!st) return st;
  return out;
}

}  // namespace rxp::projections
