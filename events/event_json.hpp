// JSON of decrypted payloads, for analysts (rxportal replay). Clinical values appear here, so
// this is for decrypted replays only, never for operational logs.
#pragma once

#include <nlohmann/json.hpp>

#include "events/event_types.hpp"

namespace rxp::events {

nlohmann::json payload_to_json(const DomainEvent& event);

}  // namespace rxp::events
