// What the JetStream feed's publisher and consumer share: the options, the stream's
// definition, a connection that reconnects forever and reports when it did, and the lookup of
// the last position the stream still holds.
// Thread-safety: a FeedConnection belongs to one thread (its publisher's or consumer's);
// NATS.c's callbacks only set its atomic flags. The NATS URL may hold credentials: no
// message of this module repeats it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "infra/result.hpp"

typedef struct __natsConnection natsConnection;
typedef struct __jsCtx jsCtx;

namespace rxp::projections {

struct FeedOptions {
  FeedOptions() = default;
  std::string url;                          // nats://host:port (or tls://)
  std::string stream = "RXP_EVENTS";        // JetStream stream, file storage
  std::string subject = "rxportal.events";  // one subject: messages in position order
  std::string durable = "rxp-projections";  // the projections' durable pull consumer
  size_t batch = 256;                       // messages per publish round / per Fetch
  // When the stream holds nothing (new, or its store was lost), the publisher starts this many
  // events before the store's head; consumers further behind read the store (a gap).
  uint64_t republish_window = 100000;
  std::chrono::milliseconds poll{100};         // idle wait between store / feed checks
  std::chrono::milliseconds stale_after{2000}; // consumer: the store has held the next position
                                               // this long without the feed -> read the store
  std::chrono::milliseconds timeout{5000};     // connect, publish acks, API calls
  int64_t duplicate_window_s = 120;            // JetStream dedup window by Nats-Msg-Id
  // The stream keeps the newest this many events (oldest discarded): the feed is a transport,
  // the store keeps everything, and consumers that far behind read the store.
  int64_t max_messages = 10000000;
};

Status check_feed_options(const FeedOptions& o);

// One connection with its JetStream context. connect() tries once; the owner retries with
// backoff. After a connection exists, NATS.c reconnects by itself (forever) and sets
// reconnected(), which the owner consumes to resynchronize.
class FeedConnection {
 public:
  explicit FeedConnection(const FeedOptions& o, const char* name) : o_(o), name_(name) {}
  ~FeedConnection() { close(); }
  FeedConnection(const FeedConnection&) = delete;
  FeedConnection& operator=(const FeedConnection&) = delete;

  Status connect();
  void close();
  bool connected() const { return js_ != nullptr; }
  bool take_reconnected() { return reconnected_.exchange(false); }
  uint64_t publish_errors() const { return publish_errors_.load(); }
  jsCtx* js() { return js_; }
  natsConnection* nc() { return nc_; }

  // Creates the stream (file storage, dedup window) or updates its configuration.
  Status ensure_stream();
  // The position of the newest publisher's message (a frame whose Nats-Msg-Id is its
  // position) among the last 1024 messages of the stream; 0 when none.
  Result<uint64_t> last_position();

 private:
  const FeedOptions& o_;
  const char* name_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::atomic<bool> reconnected_{false};
  std::atomic<uint64_t> publish_errors_{0};
};

Status nats_failure(const char* what, int status, int js_error = 0);

// Backoff for retries: doubles from `base` up to `cap`.
struct Backoff {
  std::chrono::milliseconds base{20}, cap{1000}, next{20};
  std::chrono::milliseconds step() {
    auto now = next;
    next = std::min(cap, next * 2);
    return now;
  }
  void reset() { next = base; }
};

}  // namespace rxp::projections
