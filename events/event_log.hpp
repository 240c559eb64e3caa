// EventLog: the encrypted, hash-chained event log on top of any EventStore.
//
// Appending: each AppendRequest is checked against its stream's expected version, its events
// are given positions and versions, sealed with the stream's current DEK (XChaCha20-Poly1305,
// the encoded header as associated data) and chained (BLAKE2b-256). A batch of requests goes
// into one durable transaction (group commit); each request succeeds or fails on its own for
// conflicts and bad input, and all of them fail together, with nothing written, when the
// store fails. Results are returned only after the commit is durable.
//
// Reading: open() checks the stored hash, decrypts and decodes one event; read_stream also
// checks the chain links. A shredded stream's events come back with no payload.
//
// Thread-safety: all methods may be called concurrently; appends are serialized by the
// store's single write transaction. Owns nothing but its DEK caches; the store, key ring and
// clock must outlive it.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "events/codec.hpp"
#include "events/event_store.hpp"
#include "events/keyring.hpp"
#include "infra/clock.hpp"

namespace rxp::events {

inline constexpr uint64_t kAnyVersion = std::numeric_limits<uint64_t>::max();

struct PendingEvent {
  EncodedPayload payload;
  Principal principal;
  std::string causation_id;
  std::string correlation_id;
  int64_t occurred_at_us = 0;  // 0: the log's clock at append
};

PendingEvent make_pending(const DomainEvent& event, Principal principal,
                          std::string correlation_id = {}, std::string causation_id = {});

struct AppendRequest {
  std::string stream_id;
  uint64_t expected_version = kAnyVersion;  // 0: the stream must not exist yet
  std::vector<PendingEvent> events;
};

struct AppendResult {
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  uint64_t last_version = 0;
};

struct RecordedEvent {
  EventHeader header;
  Hash hash{};
  std::optional<DomainEvent> payload;  // empty when the stream was shredded
};

class EventLog {
 public:
  EventLog(EventStore& store, KeyRing& keys, const Clock& clock);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  std::vector<Result<AppendResult>> append_batch(const std::vector<AppendRequest>& requests);
  Result<AppendResult> append(const AppendRequest& request);

  Result<std::vector<RecordedEvent>> read_stream(const std::string& stream_id,
                                                 uint64_t from_version = 1,
                                                 size_t max = 100000);
  Result<std::vector<RecordedEvent>> read_all(uint64_t from_position, size_t max);

  // Parses, hash-checks, decrypts and decodes one stored event.
  Result<RecordedEvent> open(const RawEvent& raw);
  // Decrypts and decodes an event whose header the caller has parsed and whose hash it has
  // checked (verify does both as part of the chain walk). Empty when shredded.
  Result<std::optional<DomainEvent>> open_payload(const RawEvent& raw, const EventHeader& header);

  // Snapshots: `plaintext` is an aggregate's encoded state at `version` (schema `schema`),
  // encrypted under the stream's current DEK. load_snapshot answers nullopt when there is none;
  // an error when one exists but does not open (the caller replays from the start instead).
  struct Snapshot {
    uint64_t version = 0;
    uint32_t schema = 0;
    Bytes plaintext;
  };
  Status save_snapshot(const std::string& stream_id, uint64_t version, uint32_t schema,
                       BytesView plaintext);
  Result<std::optional<Snapshot>> load_snapshot(const std::string& stream_id);

  // Starts a new DEK version for the stream; returns it. Old events stay readable.
  Result<uint32_t> rotate_dek(const std::string& stream_id);
  // Destroys every DEK of the stream: its payloads become unreadable; the chain still verifies.
  Status shred(const std::string& stream_id);
  // New KEK; every DEK rewrapped in one transaction; the old KEK destroyed. Returns the new id.
  Result<std::string> rotate_kek();

  EventStore& store() { return store_; }
  // The key ring (verify checks checkpoint signatures with it).
  const KeyRing& keys() const;

 private:
  // Header parses, stored columns agree with it, stored hash is the recomputed one.
  Status check_envelope(const RawEvent& raw, EventHeader& header);
  Result<Bytes> decrypt_checked(const RawEvent& raw, const EventHeader& header);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  EventStore& store_;
};

}  // namespace rxp::events
