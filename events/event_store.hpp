// EventStore: durable, crypto-agnostic storage of sealed events and wrapped DEKs.
//
// A store keeps bytes; it never sees a key or a plaintext. The append logic (expected-version
// checks, sealing, chaining, DEK creation) lives once in EventLog, on top of the primitive
// write transaction below, so every store implementation shares it and passes the same
// conformance tests.
//
// Contract of every implementation:
//  - Positions are assigned 1, 2, 3 ... in commit order, without gaps, so a reader tailing by
//    position never skips an event that commits late.
//  - WriteTxn::commit returns only after the transaction is durable on disk. A WriteTxn that
//    is destroyed without commit rolls back: all or nothing.
//  - At most one WriteTxn is open per store at a time; begin_write blocks until it can start.
//  - Reads never block on a writer and see only committed data.
// Thread-safety: every method may be called from any thread. A WriteTxn belongs to the thread
// that began it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "events/envelope.hpp"
#include "infra/result.hpp"

namespace rxp::events {

// A DEK as stored: encrypted under a KEK. `version` counts the stream's DEK rotations.
struct WrappedDek {
  std::string dek_id;
  std::string stream_id;
  uint32_t version = 0;
  std::string kek_id;
  Bytes wrapped;  // nonce || XChaCha20-Poly1305(DEK), AD binds dek_id, stream, version
  int64_t created_at_us = 0;
};

// An event exactly as stored. `position`, `stream_id` and `version` are the indexed columns;
// they must equal the values inside header_bytes (verify checks that).
struct RawEvent {
  uint64_t position = 0;
  std::string stream_id;
  uint64_t version = 0;
  Bytes header_bytes;
  Bytes ciphertext;
  Bytes hash;  // 32 bytes when intact
};

// An aggregate snapshot as stored: not part of any chain, replaceable, encrypted under the
// stream's DEK `key_id` with the stream, version and schema as associated data.
struct SnapshotRow {
  std::string stream_id;
  uint64_t version = 0;       // the stream version the snapshot reflects
  uint32_t schema = 0;        // the aggregate's snapshot schema
  std::string key_id;
  Bytes nonce;
  Bytes ciphertext;
};

struct StreamHead {
  uint64_t version = 0;  // 0: the stream has no events
  Hash hash{};           // hash of the last event (kZeroHash when version is 0)
  bool shredded = false;
};

class WriteTxn {
 public:
  virtual ~WriteTxn() = default;  // rolls back unless committed
  virtual Result<uint64_t> last_position() = 0;
  virtual Result<StreamHead> stream_head(const std::string& stream_id) = 0;
  virtual Status insert_event(const RawEvent& e) = 0;
  // Highest-version DEK of a stream, if any.
  virtual Result<std::optional<WrappedDek>> current_dek(const std::string& stream_id) = 0;
  virtual Status insert_dek(const WrappedDek& dek) = 0;
  virtual Result<std::vector<WrappedDek>> all_deks() = 0;
  virtual Status update_wrapped_dek(const WrappedDek& dek) = 0;  // after a KEK rotation
  // Destroys a stream's DEKs and snapshots and marks it shredded; its events stay for the chain.
  virtual Status shred_stream(const std::string& stream_id, int64_t at_us) = 0;
  virtual Status commit() = 0;
  // A hint given right after begin_write: the streams this transaction will ask stream_head
  // for. A networked store may read them all in one round trip; the default does nothing.
  virtual Status prefetch_heads(const std::vector<std::string>& stream_ids) {
    (void)stream_ids;
    return Status::ok();
  }
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  virtual Result<std::unique_ptr<WriteTxn>> begin_write() = 0;

  // Events of one stream with version >= from_version, ascending, at most `max`.
  virtual Result<std::vector<RawEvent>> read_stream(const std::string& stream_id,
                                                    uint64_t from_version, size_t max) = 0;
  // Events with position >= from_position, ascending, at most `max`.
  virtual Result<std::vector<RawEvent>> read_all(uint64_t from_position, size_t max) = 0;
  // Highest committed position (0 when empty).
  virtual Result<uint64_t> head_position() = 0;
  virtual Result<std::optional<WrappedDek>> find_dek(const std::string& dek_id) = 0;
  virtual Result<bool> is_shredded(const std::string& stream_id) = 0;
  // Blocks until head_position() > position or the timeout passes; returns the head. Wakes on
  // commits in this process; callers polling across processes should use a short timeout.
  virtual Result<uint64_t> wait_beyond(uint64_t position, std::chrono::milliseconds timeout) = 0;
  // Store-specific physical check (SQLite: PRAGMA integrity_check). ok when nothing to check.
  virtual Status check_physical() = 0;
  // Makes deleted key material unrecoverable from free pages and logs (after a shred).
  virtual Status purge_deleted() = 0;
  // The latest snapshot of a stream replaces any earlier one. Durable like an append.
  virtual Status save_snapshot(const SnapshotRow& row) = 0;
  virtual Result<std::optional<SnapshotRow>> load_snapshot(const std::string& stream_id) = 0;
};

}  // namespace rxp::events
