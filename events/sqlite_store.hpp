// The embedded event store: one SQLite file (WAL, synchronous=FULL, secure_delete).
//
// One process writes: opening for writing takes an exclusive lock on "<file>.lock" and fails
// with kBusy while another process holds it. Readers (verify, replay) may open read-only at
// any time. A commit returns after SQLite's fsync. Schema migrations are numbered in a
// schema_version table; a file written by a newer rxportal is refused.
// Thread-safety: all methods may be called from any thread (one writer connection behind a
// mutex held for the life of a WriteTxn, one reader connection behind another).
#pragma once

#include <memory>
#include <string>

#include "events/event_store.hpp"

namespace rxp::events {

struct SqliteOptions {
  std::string path;              // the database file
  bool create_if_missing = false;
  bool read_only = false;
  std::string vfs;               // SQLite VFS name; empty for the default (tests inject faults)
};

Result<std::unique_ptr<EventStore>> open_sqlite_store(const SqliteOptions& options);

// The schema version this build writes.
int sqlite_schema_version();

}  // namespace rxp::events
