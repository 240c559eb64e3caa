// The event index ("event_index"): one row per committed event with its clear header only
// (position, stream, type, time, principal, correlation, patient id for record streams), for
// the auditor's query "by patient, actor, type, time window; paged". No payload, so no PHI:
// details are read from the log itself (rxportal replay) by position.
// Thread-safety: see Projection and ReadModelDb.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "projections/projection.hpp"

namespace rxp::projections {

struct IndexedEvent {
  uint64_t position = 0;
  std::string stream_id;
  std::string type;
  int64_t occurred_at_us = 0;
  std::string user_id, role, session_id, correlation_id;
  std::string patient_id;  // record/<pid> streams only
  bool operator==(const IndexedEvent&) const = default;
};

struct EventQuery {
  std::string patient_id, user_id, type;  // "" matches any
  int64_t from_us = 0;
  int64_t to_us = INT64_MAX;
  uint64_t after_position = 0;  // paging: rows with a greater position
  size_t limit = 100;
};

class EventIndexProjection final : public Projection {
 public:
  static constexpr const char* kName = "event_index";
  const std::string& name() const override { return name_; }
  Status create_tables(ReadModelTxn& txn) override;
  Status drop_tables(ReadModelTxn& txn) override;
  bool wants(const events::EventHeader&) const override { return true; }
  Status apply(ReadModelTxn& txn, const events::RecordedEvent& event) override;

 private:
  std::string name_ = kName;
};

// Matching rows in position order, at most q.limit.
Result<std::vector<IndexedEvent>> query_events(ReadModelDb& db, const EventQuery& q);

}  // namespace rxp::projections
