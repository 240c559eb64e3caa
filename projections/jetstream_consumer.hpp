// FeedConsumer: the projections' side of the JetStream feed, an EventSource for the runner.
//
// A thread pulls from a durable pull consumer (js_PullSubscribe + Fetch; NATS_TIMEOUT means
// "nothing yet" and is retried with backoff, because NATS.c 3.4.1's Fetch may return it at
// once). Delivery is at least once; the runner is idempotent by position.
// The feed is never trusted over the store:
//  - a message that does not decode as a feed frame, or whose fields disagree with each other,
//    or whose hash is not the store's hash at that position, is rejected (Term: never
//    redelivered), logged with its stream sequence and size only, and the consumer goes on;
//  - what the runner gets is the store's copy of each accepted event;
//  - a gap (the first buffered position is beyond what the runner needs next) is read from the
//    store, and so is the next position when the store has held it for stale_after without
//    the feed bringing it (NATS down, consumer lost).
// Messages are acknowledged once the runner has checkpointed their position (read(from) says
// every position below `from` is applied), so a crash before the checkpoint redelivers them.
// If the durable consumer disappears (nats-server lost its store), it is created again.
// Thread-safety: read() and wait() from the runner's thread; counters from any; start/stop from
// one thread. The store must outlive the consumer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "events/event_store.hpp"
#include "projections/event_source.hpp"
#include "projections/jetstream_common.hpp"

namespace rxp::projections {

class FeedConsumer final : public EventSource {
 public:
  FeedConsumer(events::EventStore& store, FeedOptions options);
  ~FeedConsumer() override;  // stops
  FeedConsumer(const FeedConsumer&) = delete;
  FeedConsumer& operator=(const FeedConsumer&) = delete;

  Status start();  // kInvalidArgument for bad options; a down server is not an error
  void stop();     // joins; unacknowledged messages are redelivered to the next consumer

  Result<std::vector<events::RawEvent>> read(uint64_t from, size_t max) override;
  Status wait(uint64_t after, std::chrono::milliseconds timeout) override;

  uint64_t accepted() const { return accepted_.load(); }        // feed messages verified
  uint64_t rejected() const { return rejected_.load(); }        // malformed or not the store's
  uint64_t delivered() const { return delivered_.load(); }      // events handed out from the feed
  uint64_t store_reads() const { return store_reads_.load(); }  // gap or stale reads of the store
  uint64_t acked() const { return acked_.load(); }

 private:
  struct Pulled;
  void run();
  void accept(std::vector<Pulled>& batch);

  events::EventStore& store_;
  FeedOptions o_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, events::RawEvent> buffer_;  // verified, not yet known applied
  // The runner's thread only: the position it has been asking for since when, with the store
  // holding it and the feed not.
  uint64_t waiting_for_ = 0;
  std::chrono::steady_clock::time_point waiting_since_;
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> accepted_{0}, rejected_{0}, delivered_{0}, store_reads_{0}, acked_{0};
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;
};

}  // namespace rxp::projections
