// The state of one stream as of a moment (rxportal replay --state, issue 8): its events folded
// with the stream's own aggregate, the same apply the actors run, rendered as JSON for an
// analyst. record/<id> folds the record aggregate (actors/record.hpp); user/<id> and
// session/<id> the identity aggregates (actors/identity/). Secrets in those states (password
// and token hashes, TOTP secrets, recovery-code hashes, challenges, prompt numbers) are left
// out: the view says that they exist, never what they are. Shredded events (no payload) are
// counted, not applied. Pure: no I/O; any thread.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_log.hpp"

namespace rxp::cli {

// True when stream_state_json can fold this stream.
bool has_aggregate(const std::string& stream_id);

// `events`: the stream's events up to the moment, in version order. kInvalidArgument for a
// stream without an aggregate (the message names the kinds that have one).
Result<nlohmann::json> stream_state_json(const std::string& stream_id,
                                         const std::vector<events::RecordedEvent>& events);

}  // namespace rxp::cli
