// scan_stored_events: the one paged, gap-checked walk over the global log that one-shot
// readers (audit trail, SIEM export, breach scope) share.
#pragma once

#include <cstdint>
#include <functional>

#include "events/event_store.hpp"
#include "infra/result.hpp"

namespace rxp::events {

// Visits every stored event with position > after_position, ascending, a page at a time. A gap
// in positions is kCorruption (a reader must never skip an event); the first non-ok Status
// `visit` returns stops the scan and is returned. Reads only; may run on any thread.
Status scan_stored_events(EventStore& store, uint64_t after_position,
                          const std::function<Status(const RawEvent&)>& visit);

}  // namespace rxp::events
