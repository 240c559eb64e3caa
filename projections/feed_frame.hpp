// The message format of the JetStream event feed: one committed event as the store holds it
// (already encrypted; the feed never carries plaintext), in a strict framed encoding.
//
//   "RXF1" | position u64 | version u64 | stream id (u16 length + bytes)
//          | header bytes (u32 length + bytes) | ciphertext (u32 length + bytes) | hash (32 bytes)
// integers big-endian. decode_feed_frame accepts exactly that and nothing else (no trailing
// bytes, lengths bounded) and checks that the fields agree with each other: the clear header
// decodes and names the same position, stream and version, and the hash is the chain hash of
// the header and ciphertext. It cannot tell a forged-but-consistent frame from a real one:
// consumers compare the hash with the store's (the store is the system of record).
// Pure functions, thread-safe.
#pragma once

#include "events/event_store.hpp"

namespace rxp::projections {

inline constexpr size_t kMaxFeedFrame = 1 << 20;  // a frame larger than this is malformed

Bytes encode_feed_frame(const events::RawEvent& e);
Result<events::RawEvent> decode_feed_frame(BytesView frame);

}  // namespace rxp::projections
