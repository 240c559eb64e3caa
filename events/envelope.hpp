// The event envelope: a clear, authenticated header plus an encrypted payload.
//
// The header is encoded canonically (encode_header) and those exact bytes are both the AEAD
// associated data and the input of the stream's hash chain, so changing any header field
// fails decryption and breaks the chain. The header holds opaque ids only: validate_header
// refuses anything that could carry a name, birth date, contact or clinical value (ids are
// restricted to [A-Za-z0-9._:-], at most 64 characters).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::events {

using Hash = std::array<uint8_t, 32>;     // BLAKE2b-256
using Nonce = std::array<uint8_t, 24>;    // XChaCha20-Poly1305 nonce
inline constexpr Hash kZeroHash{};        // previous hash of a stream's first event

// Who caused an event. Opaque ids only; `role` is one of the role names of DESIGN.md or
// "system".
struct Principal {
  std::string user_id;
  std::string role;
  std::string session_id;
  bool operator==(const Principal&) const = default;
};

struct EventHeader {
  uint64_t position = 0;         // global position, assigned by the store at commit
  std::string stream_id;         // "record/<uuid>", "user/<uuid>", ...
  uint64_t version = 0;          // 1-based version within the stream
  std::string type;              // "RecordViewed"
  uint32_t schema_version = 0;   // of the payload encoding
  int64_t occurred_at_us = 0;    // UTC microseconds since the epoch
  std::string causation_id;
  std::string correlation_id;
  Principal principal;
  std::string key_id;            // the DEK that encrypted the payload
  Nonce nonce{};
  Hash prev_hash{};              // hash of the stream's previous event (kZeroHash for v1)
  bool operator==(const EventHeader&) const = default;
};

// An event as the store keeps it.
struct StoredEvent {
  EventHeader header;
  Bytes header_bytes;  // encode_header(header), exactly as stored
  Bytes ciphertext;    // XChaCha20-Poly1305 of the payload, AD = header_bytes
  Hash hash{};         // chain_hash(header_bytes, ciphertext)
};

// Checks that ids are opaque and bounded, the stream id has the form "<kind>/<id>", and the
// type is a registered-style name. Called before any header is written.
Status validate_header(const EventHeader& h);
bool is_opaque_id(std::string_view s, bool allow_empty = true);
bool is_valid_stream_id(std::string_view s);

// The caller-supplied fields of one event (what validate_header checks beyond the stream,
// version and key, which the log assigns).
Status validate_event_fields(std::string_view type, uint32_t schema_version,
                             std::string_view causation_id, std::string_view correlation_id,
                             const Principal& principal);

Bytes encode_header(const EventHeader& h);
// The same, into a reused buffer.
void encode_header_into(const EventHeader& h, Bytes& out);
// Strict inverse of encode_header: exact lengths, no trailing bytes, ids validated.
Result<EventHeader> decode_header(BytesView bytes);

// BLAKE2b-256 over a domain tag, the header bytes and the ciphertext. The previous hash is
// inside the header bytes, so this links the chain.
Hash chain_hash(BytesView header_bytes, BytesView ciphertext);

}  // namespace rxp::events
