// The PostgreSQL event store (libpq). Same contract as every EventStore (event_store.hpp).
//
// Positions: a write transaction's first round trip (BEGIN, SELECT ... FOR UPDATE on the
// one-row rxp_head table, and the heads of the streams the batch names, via prefetch_heads)
// locks the head for the transaction, which assigns head+1, head+2 ...; the head row is
// advanced in the same commit. Stream heads are cached while no other writer committed
// (rxp_head.generation tells). So
// positions follow commit order without gaps, and writers in several processes or nodes are
// serialized by the database, not by a lock file. A stale writer cannot overwrite (UNIQUE
// (stream_id, version)) nor leave a gap: the statement that inserts checks that each
// stream's first new version has its predecessor stored, and advances the head only from
// position first-1; a failed check raises, so nothing of the batch stays.
//
// Inserts are buffered in the WriteTxn and sent at commit (or before a read that needs them)
// as ONE multi-row INSERT ... SELECT FROM unnest(binary arrays), pipelined with the COMMIT:
// one round trip. Commits are durable (synchronous_commit = on).
//
// Connection loss during COMMIT: the outcome is unknown, so the store reconnects and looks
// the transaction's first event (or first DEK) up by key and hash; commit() then returns ok
// when it landed, or an error that says it was not written, or (when the server cannot be
// reached again) an error that says the outcome is unknown.
//
// Thread-safety: all methods may be called from any thread. One writer connection behind a
// mutex held for the life of a WriteTxn; reads use a small pool of their own connections.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "events/event_store.hpp"

namespace rxp::events {

struct PgOptions {
  std::string url;  // libpq connection URI or key=value string; never logged
  // Connecting at open (and reconnecting after a lost connection): attempts, first wait;
  // the wait doubles after each failed attempt.
  int connect_attempts = 5;
  std::chrono::milliseconds first_backoff{200};
  int read_connections = 2;
  bool read_only = false;  // no migration; begin_write and save_snapshot refused
  // Tests only: called inside commit at "before_flush", "before_commit" and
  // "after_commit_sent" with the writer connection's backend pid, so a test can kill the
  // backend there; returning true cuts the client's socket (a network failure at that point).
  std::function<bool(const std::string& point, int backend_pid)> test_hook;
  PgOptions() = default;
  explicit PgOptions(std::string u) : url(std::move(u)) {}
};

Result<std::unique_ptr<EventStore>> open_pg_store(const PgOptions& options);

// The schema version this build writes.
int pg_schema_version();

}  // namespace rxp::events
