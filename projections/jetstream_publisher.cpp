#include "projections/jetstream_publisher.hpp"

#include <nats/nats.h>

#include <iostream>

#include "projections/feed_frame.hpp"

namespace rxp::projections {
namespace {

// The idle publisher compares the stream with what it sent this often: it catches a stream
// that lost messages (deleted, purged, restored) without a reconnect to tell.
constexpr std::chrono::milliseconds kIdleCheck{1000};

void sleep_unless(const std::atomic<bool>& stop, std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// Messages are logged on a change of state only (not once per retry), never with a payload.
struct StateLog {
  bool failing = false;
  void failed(const Status& st) {
    if (!failing) std::cerr << "rxportal: feed publisher: " << st.to_string() << " (retrying)\n";
    failing = true;
  }
  void ok() {
    if (failing) std::cerr << "rxportal: feed publisher: recovered\n";
    failing = false;
  }
};

}  // namespace

FeedPublisher::FeedPublisher(events::EventStore& store, FeedOptions options)
    : store_(store), o_(std::move(options)) {}

FeedPublisher::~FeedPublisher() { stop(); }

Status FeedPublisher::start() {
  RXP_RETURN_IF_ERROR(check_feed_options(o_));
  if (thread_.joinable()) return Status::ok();
  stop_requested_ = false;
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void FeedPublisher::stop() {
  stop_requested_ = true;
  if (thread_.joinable()) thread_.join();
}

Status FeedPublisher::sync(FeedConnection& conn, bool ensure_stream) {
  // The idle check skips the stream creation: a missing stream fails the lookup, and the
  // full sync that follows creates it.
  if (ensure_stream) RXP_RETURN_IF_ERROR(conn.ensure_stream());
  auto last = conn.last_position();
  if (!last) return last.status();
  auto head = store_.head_position();
  if (!head) return head.status();
  uint64_t next;
  if (*last == 0) {
    next = *head > o_.republish_window ? *head - o_.republish_window + 1 : 1;
  } else if (*last > *head) {
    // The stream is ahead of this store (another data directory, or a restored backup):
    // consumers compare every message with the store, so those messages will be rejected.
    if (!warned_ahead_)
      std::cerr << "rxportal: feed publisher: the stream holds positions beyond the store's head\n";
    warned_ahead_ = true;
    next = *head + 1;
  } else {
    next = *last + 1;
    warned_ahead_ = false;
  }
  if (next != next_.load()) ++resyncs_;
  next_ = next;
  chained_ = false;  // the stream's last message may not be next - 1 (empty, or not a frame)
  return Status::ok();
}

Status FeedPublisher::publish_from_store(FeedConnection& conn, bool& idle) {
  auto page = store_.read_all(next_.load(), o_.batch);
  if (!page) return page.status();
  idle = page->empty();
  if (idle) return Status::ok();
  uint64_t errors_before = conn.publish_errors();
  for (size_t i = 0; i < page->size(); ++i) {
    const events::RawEvent& e = (*page)[i];
    if (e.position != next_.load() + i)
      return Status(ErrorCode::kCorruption, "position " + std::to_string(next_.load() + i) + " is missing from the store");
    Bytes frame = encode_feed_frame(e);
    std::string id = std::to_string(e.position), previous = std::to_string(e.position - 1);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    // Each message requires its predecessor to be the stream's last: a stale publish that
    // NATS.c re-sends after a reconnect, past messages the restarted server lost, is refused
    // instead of leaving a hole the resync could not see.
    if (chained_ || i > 0) po.ExpectLastMsgId = previous.c_str();
    natsStatus s = js_PublishAsync(conn.js(), o_.subject.c_str(), frame.data(), static_cast<int>(frame.size()), &po);
    if (s != NATS_OK) return nats_failure("publish", s);
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = o_.timeout.count();
  natsStatus s = js_PublishAsyncComplete(conn.js(), &wait);
  if (s != NATS_OK) {
    // Take back what is still unacknowledged; the resync re-publishes from the stream's end.
    natsMsgList pending;
    if (js_PublishAsyncGetPendingList(&pending, conn.js()) == NATS_OK) natsMsgList_Destroy(&pending);
    return nats_failure("publish acknowledgement", s);
  }
  if (conn.publish_errors() != errors_before)
    return Status(ErrorCode::kIo, "JetStream refused a publish");
  next_ += page->size();
  published_ += page->size();
  chained_ = true;
  return Status::ok();
}

void FeedPublisher::run() {
  FeedConnection conn(o_, "rxportal-feed-publisher");
  Backoff backoff{std::chrono::milliseconds(50), std::chrono::milliseconds(2000), std::chrono::milliseconds(50)};
  StateLog log;
  bool need_sync = true;
  auto last_check = std::chrono::steady_clock::now();
  while (!stop_requested_.load()) {
    if (!conn.connected()) {
      if (Status st = conn.connect(); !st) {
        connected_ = false;
        log.failed(st);
        sleep_unless(stop_requested_, backoff.step());
        continue;
      }
      need_sync = true;
    }
    connected_ = true;
    if (conn.take_reconnected()) need_sync = true;
    auto now = std::chrono::steady_clock::now();
    if (need_sync || now - last_check >= kIdleCheck) {
      if (Status st = sync(conn, need_sync); !st) {
        log.failed(st);
        sleep_unless(stop_requested_, backoff.step());
        continue;
      }
      need_sync = false;
      last_check = now;
    }
    bool idle = false;
    if (Status st = publish_from_store(conn, idle); !st) {
      log.failed(st);
      need_sync = true;
      sleep_unless(stop_requested_, backoff.step());
      continue;
    }
    log.ok();
    backoff.reset();
    if (idle) {
      // Wakes at once on this process's commits; the timeout bounds stop() and the checks.
      (void)store_.wait_beyond(next_.load() - 1, o_.poll);
    } else {
      last_check = std::chrono::steady_clock::now();  // just talked to the stream
    }
  }
  connected_ = false;
}

}  // namespace rxp::projections
