// Subscription: delivers committed events in global order, from a position, on its own thread.
//
// Built only on EventStore::read_all and wait_beyond, so it works for every store. Events are
// delivered in position order, each exactly once per Subscription object; a consumer that
// restarts resumes from the position it checkpointed (at-least-once across restarts). If the
// handler returns an error, the subscription stops and keeps that status.
// Thread-safety: the handler runs on the subscription's thread only; stop() and the
// accessors may be called from any thread. The store must outlive the subscription.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "events/event_store.hpp"

namespace rxp::events {

class Subscription {
 public:
  using Handler = std::function<Status(const std::vector<RawEvent>& page)>;

  Subscription(EventStore& store, uint64_t from_position, Handler handler,
               std::chrono::milliseconds poll = std::chrono::milliseconds(200),
               size_t page_size = 1024);
  ~Subscription();  // stops and joins
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  void stop();
  // The next position to be delivered.
  uint64_t next_position() const { return next_.load(); }
  bool running() const { return !stopped_.load(); }
  Status status() const;

 private:
  void run();

  EventStore& store_;
  Handler handler_;
  std::chrono::milliseconds poll_;
  size_t page_size_;
  std::atomic<uint64_t> next_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stopped_{false};
  mutable std::mutex mu_;
  Status status_;
  std::thread thread_;
};

}  // namespace rxp::events
