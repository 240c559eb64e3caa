// Payload codec: cereal portable binary, one schema version per event type, upcasters for
// old versions.
//
// encode() always writes the current schema. decode() accepts the current schema or any older
// one for which an upcaster chain exists; an unknown type or a version with no path to the
// current one is kUnknownType, a payload that does not parse exactly is kCorruption.
// Stateless and thread-safe.
#pragma once

#include <string>

#include "events/event_types.hpp"
#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::events {

// A plaintext payload with its type and schema, ready to be sealed.
struct EncodedPayload {
  std::string type;
  uint32_t schema_version = 0;
  Bytes bytes;
};

EncodedPayload encode(const DomainEvent& event);
Result<DomainEvent> decode(std::string_view type, uint32_t schema_version, BytesView bytes);

// Name and current schema of an event.
const char* type_name(const DomainEvent& event);
// Every registered type name with its current schema version, in variant order.
std::vector<std::pair<std::string, uint32_t>> registered_types();

// Encodes an old schema version of a type; used by tests and by tools that write fixtures.
Bytes encode_record_viewed_v1(const RecordViewedV1& old);

}  // namespace rxp::events
