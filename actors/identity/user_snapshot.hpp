// Snapshot encoding of a user's state, so an account with years of logins recovers from its
// latest snapshot plus a few events. Plain cereal of the state; another schema or damage is
// an error, and the caller then replays the whole stream (always correct, only slower).
#pragma once

#include "actors/identity/user.hpp"
#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::identity {

inline constexpr uint32_t kUserSnapshotSchema = 1;
inline constexpr uint64_t kUserSnapshotEvery = 100;

Bytes encode_user_snapshot(const UserState& state);
Result<UserState> decode_user_snapshot(uint32_t schema, BytesView bytes);

}  // namespace rxp::identity
