#include "projections/jetstream_consumer.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <iostream>

#include "infra/secure.hpp"
#include "projections/feed_frame.hpp"

namespace rxp::projections {
namespace {

constexpr std::chrono::milliseconds kConsumerCheck{2000};  // idle: is the durable still there?
constexpr int64_t kAckWaitNs = 30LL * 1000000000;

void sleep_unless(const std::atomic<bool>& stop, std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace

// One fetched message and what its bytes decoded to.
struct FeedConsumer::Pulled {
  natsMsg* msg = nullptr;
  uint64_t sequence = 0;  // stream sequence, for the log
  Result<events::RawEvent> event = Status(ErrorCode::kInternal, "not decoded");
};

FeedConsumer::FeedConsumer(events::EventStore& store, FeedOptions options)
    : store_(store), o_(std::move(options)) {}

FeedConsumer::~FeedConsumer() { stop(); }

Status FeedConsumer::start() {
  RXP_RETURN_IF_ERROR(check_feed_options(o_));
  if (thread_.joinable()) return Status::ok();
  stop_requested_ = false;
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void FeedConsumer::stop() {
  stop_requested_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::vector<events::RawEvent>> FeedConsumer::read(uint64_t from, size_t max) {
  uint64_t gap_end = 0;
  {
    std::lock_guard lock(mu_);
    if (from > 0 && from - 1 > applied_.load()) applied_ = from - 1;
    buffer_.erase(buffer_.begin(), buffer_.lower_bound(from));
    if (!buffer_.empty() && buffer_.begin()->first == from) {
      std::vector<events::RawEvent> out;
      for (auto it = buffer_.begin(); it != buffer_.end() && out.size() < max; ++it) {
        if (it->first != from + out.size()) break;
        out.push_back(it->second);
      }
      delivered_ += out.size();
      waiting_for_ = 0;
      return out;
    }
    if (!buffer_.empty()) gap_end = buffer_.begin()->first;
  }
  if (gap_end > from) {  // the feed skipped positions: the store has them
    ++store_reads_;
    return store_.read_all(from, std::min<uint64_t>(max, gap_end - from));
  }
  // Nothing from the feed. If the store has `from`, give the feed stale_after to bring it
  // (normally milliseconds), then read the store: NATS down, or the consumer lost.
  auto head = store_.head_position();
  if (!head) return head.status();
  auto now = std::chrono::steady_clock::now();
  if (*head < from) {
    waiting_for_ = 0;
  } else if (waiting_for_ != from) {
    waiting_for_ = from;
    waiting_since_ = now;
  } else if (now - waiting_since_ >= o_.stale_after) {
    ++store_reads_;
    return store_.read_all(from, max);
  }
  return std::vector<events::RawEvent>{};
}

Status FeedConsumer::wait(uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] {
    return stop_requested_.load() || (!buffer_.empty() && buffer_.rbegin()->first > after);
  });
  return Status::ok();
}

void FeedConsumer::accept(std::vector<Pulled>& batch) {
  auto reject = [this](Pulled& p, const std::string& why) {
    natsMsg_Term(p.msg, nullptr);
    natsMsg_Destroy(p.msg);
    p.msg = nullptr;
    ++rejected_;
    // Sequence and size only: the payload is never logged.
    std::cerr << "rxportal: feed consumer: rejected stream message " << p.sequence << ": " << why << "\n";
  };
  uint64_t low = UINT64_MAX, high = 0;
  for (Pulled& p : batch) {
    if (!p.event) {
      reject(p, p.event.status().message());
      continue;
    }
    low = std::min(low, p.event->position);
    high = std::max(high, p.event->position);
  }
  if (high == 0) return;
  // The store's copies of the range, in one read when the range is compact.
  std::map<uint64_t, events::RawEvent> stored;
  auto fetch = [&](uint64_t from, size_t n) -> Status {
    auto rows = store_.read_all(from, n);
    if (!rows) return rows.status();
    for (auto& r : *rows) stored.emplace(r.position, std::move(r));
    return Status::ok();
  };
  Status st;
  if (high - low < 4 * o_.batch) {
    st = fetch(low, static_cast<size_t>(high - low + 1));
  } else {
    for (Pulled& p : batch)
      if (p.msg != nullptr && p.event && st) st = fetch(p.event->position, 1);
  }
  if (!st) {
    // The store is unreadable right now: leave the messages unacknowledged (redelivered later).
    std::cerr << "rxportal: feed consumer: " << st.to_string() << "\n";
    for (Pulled& p : batch) {
      natsMsg_Destroy(p.msg);
      p.msg = nullptr;
    }
    return;
  }
  std::lock_guard lock(mu_);
  for (Pulled& p : batch) {
    if (p.msg == nullptr) continue;
    auto it = stored.find(p.event->position);
    if (it == stored.end()) {
      reject(p, "position " + std::to_string(p.event->position) + " is not in the store");
      continue;
    }
    if (!secure_equal(it->second.hash, p.event->hash)) {
      reject(p, "position " + std::to_string(p.event->position) + " differs from the store");
      continue;
    }
    ++accepted_;
    if (p.event->position > applied_.load()) buffer_.emplace(it->first, it->second);
  }
  cv_.notify_all();
}

void FeedConsumer::run() {
  FeedConnection conn(o_, "rxportal-feed-consumer");
  natsSubscription* sub = nullptr;
  std::vector<std::pair<uint64_t, natsMsg*>> unacked;
  Backoff conn_backoff{std::chrono::milliseconds(50), std::chrono::milliseconds(2000), std::chrono::milliseconds(50)};
  Backoff fetch_backoff{std::chrono::milliseconds(5), std::chrono::milliseconds(200), std::chrono::milliseconds(5)};
  auto last_check = std::chrono::steady_clock::now();
  bool failing = false;
  // Drops the subscription together with the connection, in the order NATS.c 3.4.1 needs:
  // unacknowledged messages first (they point at their subscription; they are redelivered),
  // then the connection closed (no inbound message can reach a destroyed subscription: the
  // 3.4.1 crash fixed only in 3.6), then the subscription destroyed.
  auto drop_sub = [&] {
    for (auto& u : unacked) natsMsg_Destroy(u.second);
    unacked.clear();
    if (conn.nc() != nullptr) natsConnection_Close(conn.nc());
    if (sub != nullptr) natsSubscription_Destroy(sub);
    sub = nullptr;
    conn.close();
  };
  auto fail = [&](const Status& st) {
    if (!failing) std::cerr << "rxportal: feed consumer: " << st.to_string() << " (retrying)\n";
    failing = true;
    sleep_unless(stop_requested_, conn_backoff.step());
  };
  while (!stop_requested_.load()) {
    // Acknowledge what the runner has checkpointed.
    uint64_t applied = applied_.load();
    auto done = std::stable_partition(unacked.begin(), unacked.end(),
                                      [&](const auto& u) { return u.first > applied; });
    for (auto it = done; it != unacked.end(); ++it) {
      natsMsg_Ack(it->second, nullptr);
      natsMsg_Destroy(it->second);
      ++acked_;
    }
    unacked.erase(done, unacked.end());

    if (!conn.connected()) {
      drop_sub();
      if (Status st = conn.connect(); !st) {
        fail(st);
        continue;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (sub != nullptr && (conn.take_reconnected() || now - last_check >= kConsumerCheck)) {
      // After a restart without its store, nats-server no longer knows the durable consumer.
      last_check = now;
      jsConsumerInfo* ci = nullptr;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = js_GetConsumerInfo(&ci, conn.js(), o_.stream.c_str(), o_.durable.c_str(), nullptr, &jerr);
      jsConsumerInfo_Destroy(ci);
      if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr || jerr == JSStreamNotFoundErr) {
        drop_sub();
        continue;  // reconnect, then subscribe again (creating the durable consumer)
      }
    }
    if (sub == nullptr) {
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = o_.stream.c_str();
      so.Config.AckPolicy = js_AckExplicit;
      so.Config.DeliverPolicy = js_DeliverAll;
      so.Config.AckWait = kAckWaitNs;
      so.Config.MaxAckPending = 20000;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = js_PullSubscribe(&sub, conn.js(), o_.subject.c_str(), o_.durable.c_str(), nullptr, &so, &jerr);
      if (s != NATS_OK) {
        sub = nullptr;
        if (jerr == JSStreamNotFoundErr) {  // the publisher has not created it yet: not a failure
          sleep_unless(stop_requested_, conn_backoff.step());
          continue;
        }
        fail(nats_failure("pull subscription", s, jerr));
        continue;
      }
      last_check = std::chrono::steady_clock::now();
    }
    bool full = false;
    {
      std::lock_guard lock(mu_);
      full = buffer_.size() >= 8 * o_.batch;
    }
    if (full) {  // the runner is behind: let it drain (and checkpoint) first
      sleep_unless(stop_requested_, std::chrono::milliseconds(10));
      continue;
    }
    natsMsgList list{};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    auto fetch_start = std::chrono::steady_clock::now();
    natsStatus s = natsSubscription_Fetch(&list, sub, static_cast<int>(o_.batch), o_.poll.count(), &jerr);
    if (s == NATS_TIMEOUT) {
      // Nothing yet. NATS.c 3.4.1's Fetch may return this at once instead of waiting (its
      // Fetch bug): only then back off, so that a real wait is followed by a new Fetch at once.
      if (std::chrono::steady_clock::now() - fetch_start < o_.poll / 2)
        sleep_unless(stop_requested_, fetch_backoff.step());
      else
        fetch_backoff.reset();
      continue;
    }
    if (s != NATS_OK) {
      drop_sub();
      fail(nats_failure("fetch", s, jerr));
      continue;
    }
    if (failing) std::cerr << "rxportal: feed consumer: recovered\n";
    failing = false;
    conn_backoff.reset();
    fetch_backoff.reset();
    std::vector<Pulled> batch(static_cast<size_t>(list.Count));
    for (int i = 0; i < list.Count; ++i) {
      Pulled& p = batch[static_cast<size_t>(i)];
      p.msg = list.Msgs[i];
      list.Msgs[i] = nullptr;  // ours now: acknowledged after the checkpoint
      jsMsgMetaData* md = nullptr;
      if (natsMsg_GetMetaData(&md, p.msg) == NATS_OK) p.sequence = md->Sequence.Stream;
      jsMsgMetaData_Destroy(md);
      p.event = decode_feed_frame(BytesView(reinterpret_cast<const uint8_t*>(natsMsg_GetData(p.msg)),
                                            static_cast<size_t>(natsMsg_GetDataLength(p.msg))));
    }
    natsMsgList_Destroy(&list);
    accept(batch);
    for (Pulled& p : batch)
      if (p.msg != nullptr) unacked.emplace_back(p.event->position, p.msg);
  }
  drop_sub();  // unacknowledged messages are redelivered to the next consumer
}

}  // namespace rxp::projections
