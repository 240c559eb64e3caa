// Projection: a read model fed by the committed event log, in global position order.
//
// Contract: the runner calls apply() for each event the projection wants, in position order,
// inside the same read-model transaction that advances the projection's checkpoint, so each
// event counts exactly once: either the rows and the checkpoint both commit, or neither does.
// A projection writes only its own tables (named after it) and keeps no state outside them, so
// that dropping its tables and replaying from position 0 (rebuild) yields the same rows as
// incremental application. An error from apply() rolls back the whole page and stops the
// runner; nothing is skipped.
//
// wants() decides from the clear header alone, so events no projection needs are hash-checked
// but not decrypted. Events of shredded streams arrive with no payload.
// Thread-safety: called from the runner's thread only (one at a time). Owned by the runner.
#pragma once

#include <string>

#include "events/event_log.hpp"
#include "projections/read_model.hpp"

namespace rxp::projections {

class Projection {
 public:
  virtual ~Projection() = default;
  // Stable name: the checkpoint key and the CLI's NAME ([a-z_]+).
  virtual const std::string& name() const = 0;
  // Creates the projection's tables and indexes if missing (idempotent).
  virtual Status create_tables(ReadModelTxn& txn) = 0;
  // Drops them (rebuild); the runner then calls create_tables and replays from position 1.
  virtual Status drop_tables(ReadModelTxn& txn) = 0;
  virtual bool wants(const events::EventHeader& header) const = 0;
  virtual Status apply(ReadModelTxn& txn, const events::RecordedEvent& event) = 0;
};

}  // namespace rxp::projections
