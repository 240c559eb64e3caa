// Snapshot encoding of a record's state. Event-shaped parts are stored as encoded events, so
// they pass through the event codec (and its upcasters); the rest is plain cereal. A snapshot
// with another schema, or one that does not parse, is an error: the caller then replays the
// whole stream, which is always correct, only slower.
#pragma once

#include "actors/record.hpp"
#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::record {

inline constexpr uint32_t kSnapshotSchema = 1;
// A record actor saves a snapshot when this many events were applied since the last one.
inline constexpr uint64_t kSnapshotEvery = 100;

Bytes encode_snapshot(const RecordState& state);
Result<RecordState> decode_snapshot(uint32_t schema, BytesView bytes);

}  // namespace rxp::record
