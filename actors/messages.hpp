// Plain message types of the actor runtime (no CAF here): what callers send to records and
// what they get back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actors/record.hpp"
#include "events/event_log.hpp"

namespace rxp::actors {

// Journal: group commit of appends from many actors.
struct AppendReply {
  Status status;
  events::AppendResult result;
};

// Loader: a stream read off the CAF worker threads, from its latest snapshot when asked.
struct LoadReply {
  Status status;
  std::optional<events::EventLog::Snapshot> snapshot;  // events then follow its version
  std::vector<events::RecordedEvent> events;
};

// A command for one patient's record.
struct RecordRequest {
  std::string patient_id;
  policy::Subject subject;
  std::string session_id;
  std::string correlation_id;
  record::RecordCommand command;
};
struct RecordReply {
  record::Outcome outcome = record::Outcome::kOk;
  std::string reason;    // policy reason or invalid field; never PHI
  Status error;          // the store failed: nothing was done or shown
  record::SectionView view;
  uint64_t version = 0;  // the record's stream version after the command
};

// The store's health (GET /healthz): asked of the journal, on its own thread, so the probe
// never blocks a CAF worker and waits its turn behind the commits already queued.
struct StoreProbe {};
struct StoreHealth {
  Status status;  // ok: the write lock can be taken and the last commit did not fail
};

struct RegistryStats {
  size_t live = 0;
  size_t spawned = 0;
  size_t passivated = 0;
};

}  // namespace rxp::actors
