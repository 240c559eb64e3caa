#include "events/scan.hpp"

#include <string>

namespace rxp::events {

Status scan_stored_events(EventStore& store, uint64_t after_position,
                          const std::function<Status(const RawEvent&)>& visit) {
  constexpr size_t kPage = 1024;
  for (uint64_t from = after_position + 1;;) {
    auto raws = store.read_all(from, kPage);
    if (!raws) return raws.status();
    for (size_t i = 0; i < raws->size(); ++i) {
      const RawEvent& raw = (*raws)[i];
      if (raw.position != from + i)
        return Status(ErrorCode::kCorruption,
                      "position " + std::to_string(from + i) + " is missing from the event log");
      RXP_RETURN_IF_ERROR(visit(raw));
    }
    if (raws->size() < kPage) return Status::ok();
    from = raws->back().position + 1;
  }
}

}  // namespace rxp::events
