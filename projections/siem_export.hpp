// Reading the committed log for the SIEM export: every event a SIEM receives (siem_wants) after
// a global position and inside a time window, in global order, each one hash-checked,
// authenticated and decoded on the way (as read_audit_trail does).
//
// Events are handed to `emit` one at a time, so an export of any size needs memory for one
// page only. Positions must continue without a gap (a gap is kCorruption); an event that does
// not open stops the export with kIntegrity. Events already emitted stay emitted: a consumer
// resumes with after_position = the last position it received.
// Thread-safety: as EventLog (any thread). Reads only.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>

#include "events/event_log.hpp"

namespace rxp::projections {

struct SiemQuery {
  uint64_t after_position = 0;  // only events with a greater position
  int64_t from_us = std::numeric_limits<int64_t>::min();
  int64_t to_us = std::numeric_limits<int64_t>::max();
};

using SiemEmit = std::function<Status(const events::RecordedEvent&)>;

// Returns the number of events emitted, or the first error (of the log or of `emit`).
Result<uint64_t> export_siem_events(events::EventLog& log, const SiemQuery& query,
                                    const SiemEmit& emit);

}  // namespace rxp::projections
