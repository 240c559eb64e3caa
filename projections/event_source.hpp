// EventSource: where the projection runner's background thread gets committed events from.
//
// The default is the event store itself (read_all / wait_beyond). The JetStream feed
// (jetstream_consumer.hpp) is another: it hands the runner what arrived on the feed, and the
// runner still checks positions, envelopes and hashes as for the store. read(from) also tells
// the source that every position below `from` is applied and checkpointed (the feed acks
// those messages).
// Contract: read returns events with position >= from, ascending, starting at `from` when not
// empty; an empty page means "nothing yet". wait returns after the timeout or earlier when
// something may have arrived beyond `after`.
// Thread-safety: called from the runner's thread (under its step lock); implementations are
// safe to call from any one thread at a time.
#pragma once

#include <chrono>
#include <vector>

#include "events/event_store.hpp"

namespace rxp::projections {

class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual Result<std::vector<events::RawEvent>> read(uint64_t from, size_t max) = 0;
  virtual Status wait(uint64_t after, std::chrono::milliseconds timeout) = 0;
};

// The store as a source (what the runner uses when given none).
class StoreSource final : public EventSource {
 public:
  explicit StoreSource(events::EventStore& store) : store_(store) {}
  Result<std::vector<events::RawEvent>> read(uint64_t from, size_t max) override {
    return store_.read_all(from, max);
  }
  Status wait(uint64_t after, std::chrono::milliseconds timeout) override {
    auto head = store_.wait_beyond(after, timeout);
    return head ? Status::ok() : head.status();
  }

 private:
  events::EventStore& store_;
};

}  // namespace rxp::projections
