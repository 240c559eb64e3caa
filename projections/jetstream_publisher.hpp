// FeedPublisher: publishes committed events to the JetStream feed, on its own thread.
//
// Each event goes out as a feed frame (feed_frame.hpp: the stored, encrypted bytes; never a
// plaintext) on FeedOptions::subject with Nats-Msg-Id = its global position, so a re-published
// position inside the stream's duplicate window is dropped by the server, and (except the
// first after a resync) with Nats-Expected-Last-Msg-Id = position - 1, so the stream never
// gets a hole: a publish whose predecessor the server lost is refused and triggers a resync.
// The store is the only system of record: nats-server 2.9 acknowledges a write before it is on
// disk, so whenever the publisher (re)connects, sees a publish fail, or finds on its periodic
// check that the stream has fallen behind, it asks the stream for the last position it still
// holds and re-publishes from the store after it. With the stream empty (new, or its store dir
// lost) it starts republish_window events before the store's head.
// NATS down: the publisher retries with backoff; events stay in the store meanwhile.
// Thread-safety: start/stop from one thread; the counters from any. The store must outlive it.
#pragma once

#include <atomic>
#include <mutex>
#include <thread>

#include "events/event_store.hpp"
#include "projections/jetstream_common.hpp"

namespace rxp::projections {

class FeedPublisher {
 public:
  FeedPublisher(events::EventStore& store, FeedOptions options);
  ~FeedPublisher();  // stops
  FeedPublisher(const FeedPublisher&) = delete;
  FeedPublisher& operator=(const FeedPublisher&) = delete;

  Status start();  // kInvalidArgument for bad options; a down server is not an error
  void stop();     // joins; safe to call twice

  // The next position the publisher will send (everything before it was acknowledged).
  uint64_t next_position() const { return next_.load(); }
  uint64_t published() const { return published_.load(); }
  uint64_t resyncs() const { return resyncs_.load(); }
  bool connected() const { return connected_.load(); }

 private:
  void run();
  Status sync(FeedConnection& conn, bool ensure_stream);
  Status publish_from_store(FeedConnection& conn, bool& idle);

  events::EventStore& store_;
  FeedOptions o_;
  std::atomic<uint64_t> next_{1};
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> resyncs_{0};
  std::atomic<bool> connected_{false};
  std::atomic<bool> stop_requested_{false};
  bool warned_ahead_ = false;
  bool chained_ = false;  // the stream's last message is next_ - 1 (publisher thread only)  // the publisher thread's: log "stream ahead" once per episode
  std::thread thread_;
};

}  // namespace rxp::projections
