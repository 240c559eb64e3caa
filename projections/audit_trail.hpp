// The audit trail of patients' records, read straight from the event log rather than from a
// read model, so that an export shows every event exactly as recorded, each one hash-checked
// and authenticated on the way (an event that is not stops the read with kIntegrity).
//
// With a patient id: every event of the stream record/<patient id> (creations, changes, views,
// exports, denials, break-glass), in version order. Denials of a record that exists are
// recorded in its own stream. Denials in denials/<user> streams concern ids for which no record
// existed; AccessDenied carries no patient id (events/event_types.hpp), so they cannot be
// attributed to a patient and appear only in a window query.
// Without a patient id: every event of every record/* and denials/* stream, in position order.
// Both are filtered to since_us <= occurred_at <= until_us and, with an actor id, to the
// events whose principal is that user (what one person did and was refused).
// Thread-safety: as EventLog (any thread). Reads only.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "events/event_log.hpp"

namespace rxp::projections {

struct AuditQuery {
  std::string patient_id;  // empty: every patient's record and every denial stream
  int64_t since_us = std::numeric_limits<int64_t>::min();
  int64_t until_us = std::numeric_limits<int64_t>::max();
  std::string actor_id{};  // empty: anyone; else only events whose principal user is this id
};

// True for the streams an audit export covers: record/<id> and denials/<user>.
bool is_audited_stream(const std::string& stream_id);

Result<std::vector<events::RecordedEvent>> read_audit_trail(events::EventLog& log,
                                                            const AuditQuery& query);

}  // namespace rxp::projections
