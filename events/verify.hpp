// Verification of the whole log, for `rxportal verify` and the tamper tests.
//
// Walks every event in global order and checks: positions are contiguous from 1; the stored
// columns agree with the header; each stream's versions are contiguous and each prev_hash is
// the recomputed hash of the stream's previous event; the stored hash is the recomputed one;
// the payload authenticates under its DEK (skipped, and counted, for shredded streams) and
// decodes; and every signed Merkle checkpoint (events/checkpoint.hpp) in the log: its
// signature under the key ring's signing key, and its root against the root recomputed over
// positions 1..tree_size (RFC 9162, built incrementally during the walk: the sizes to stop at
// are read from checkpoint/log first, so memory stays O(log n + checkpoints)). Stops at the
// first failure in log order and names it. Does not modify anything.
// Independent per-event work runs on `threads` threads while the next page is read; the
// ordered checks (positions, versions, links) run on the caller's thread, so the reported
// failure is always the first one in log order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "events/event_log.hpp"

namespace rxp::events {

struct VerifyFailure {
  uint64_t position = 0;
  std::string stream_id;
  uint64_t version = 0;
  std::string reason;
};

struct VerifyReport {
  uint64_t events = 0;
  uint64_t streams = 0;
  uint64_t shredded_events = 0;
  uint64_t checkpoints = 0;        // signed checkpoints whose signature and root were checked
  uint64_t checkpointed_size = 0;  // the largest tree size among them
  std::optional<VerifyFailure> failure;  // the first bad event, if any
  bool ok() const { return !failure.has_value(); }
};

struct VerifyOptions {
  bool physical_check = true;  // the store's own page-level check first (SQLite integrity_check)
  unsigned threads = 0;        // for hashing, decryption and decoding; 0: one per core
};

// An error Status means verification could not run (I/O); integrity problems are in the
// report.
Result<VerifyReport> verify_log(EventLog& log, const VerifyOptions& options = {});

}  // namespace rxp::events
