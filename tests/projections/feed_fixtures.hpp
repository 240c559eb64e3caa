// Shared parts of the JetStream feed tests: a test log with a feed publisher, a feed consumer
// and a projection runner fed by it, bounded waits, a raw reader of the JetStream stream, and
// a dump of a whole read model for "equal to a rebuild" comparisons.
#pragma once

#include <nats/nats.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "projections/feed_frame.hpp"
#include "projections/jetstream_consumer.hpp"
#include "projections/jetstream_publisher.hpp"
#include "tests/projections/fixtures.hpp"
#include "tests/testkit/nats_server.hpp"

namespace rxp::testkit {

// Polls `done` until it holds or `limit` passes; the caller asserts the condition afterwards,
// so a slow machine only makes the test slower, never different.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::seconds limit = std::chrono::seconds(120)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

inline projections::FeedOptions feed_options(const std::string& url) {
  projections::FeedOptions o;
  o.url = url;
  o.batch = 64;
  o.poll = std::chrono::milliseconds(50);
  o.timeout = std::chrono::milliseconds(2000);
  return o;
}

inline Status append_traffic(TestLog& t, Traffic& traffic, size_t n, const std::string& tag = "feed") {
  std::vector<events::AppendRequest> batch;
  for (size_t i = 0; i < n; ++i) batch.push_back(traffic.next(tag));
  for (auto& r : t.log->append_batch(batch))
    if (!r) return r.status();
  return Status::ok();
}

inline uint64_t head_of(TestLog& t) {
  auto h = t.store->head_position();
  if (!h) throw std::runtime_error(h.status().to_string());
  return *h;
}

inline uint64_t lowest_checkpoint(projections::ProjectionRunner& r) {
  auto states = r.states();
  if (!states) throw std::runtime_error(states.status().to_string());
  uint64_t low = UINT64_MAX;
  for (const auto& s : *states) low = std::min(low, s.checkpoint);
  return low;
}

// Every row of every table but the checkpoints, as sorted text: two read models built from
// the same log compare equal.
inline std::vector<std::string> dump_read_model(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + path);
  auto rows_of = [&](const std::string& sql, const std::string& prefix, std::vector<std::string>& out) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row = prefix;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const unsigned char* v = sqlite3_column_text(s, c);
        row += v ? reinterpret_cast<const char*>(v) : "NULL";
        row += '|';
      }
      out.push_back(row);
    }
    sqlite3_finalize(s);
  };
  std::vector<std::string> tables, rows;
  rows_of("SELECT name FROM sqlite_master WHERE type='table' AND name <> 'checkpoints' ORDER BY name", "", tables);
  for (auto& t : tables) {
    t.pop_back();  // the trailing '|'
    rows_of("SELECT * FROM \"" + t + "\"", t + ":", rows);
  }
  sqlite3_close(db);
  std::sort(rows.begin(), rows.end());
  return rows;
}

// A read model rebuilt from the store alone, next to the live one.
inline std::vector<std::string> rebuilt_read_model(TestLog& t) {
  projections::RunnerOptions o;
  o.db_path = t.dir.path() + "/rebuilt.db";
  auto r = projections::ProjectionRunner::open(*t.log, projections::make_projections(), o);
  if (!r) throw std::runtime_error(r.status().to_string());
  Status st = (*r)->catch_up();
  if (!st) throw std::runtime_error(st.to_string());
  r->reset();
  return dump_read_model(o.db_path);
}

inline projections::FeedOptions with_stale(projections::FeedOptions o, std::chrono::milliseconds d) {
  o.stale_after = d;
  return o;
}

// The whole feed: publisher, consumer and the background runner reading from the consumer.
struct Feed {
  Feed(TestLog& t, const std::string& url, std::chrono::milliseconds stale_after = std::chrono::milliseconds(2000))
      : publisher(*t.store, feed_options(url)), consumer(*t.store, with_stale(feed_options(url), stale_after)) {
    projections::RunnerOptions o;
    o.db_path = read_model_path(t);
    o.page_size = 128;
    o.poll = std::chrono::milliseconds(20);
    o.source = &consumer;
    auto r = projections::ProjectionRunner::open(*t.log, projections::make_projections(), o);
    if (!r) throw std::runtime_error(r.status().to_string());
    runner = std::move(r.value());
    Status st = publisher.start();
    if (st) st = consumer.start();
    if (!st) throw std::runtime_error(st.to_string());
    runner->start();
  }
  ~Feed() {
    runner->stop();
    consumer.stop();
    publisher.stop();
  }
  projections::FeedPublisher publisher;
  projections::FeedConsumer consumer;
  std::unique_ptr<projections::ProjectionRunner> runner;
};

// A plain client reading the JetStream stream message by message (what the server holds).
struct StreamReader {
  explicit StreamReader(const std::string& url) {
    if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) throw std::runtime_error("connect");
    if (natsConnection_JetStream(&js, nc, nullptr) != NATS_OK) throw std::runtime_error("jetstream");
  }
  ~StreamReader() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  // Decoded events by stream sequence; messages that do not decode count in `undecodable`.
  std::map<uint64_t, events::RawEvent> all(size_t* undecodable = nullptr) {
    std::map<uint64_t, events::RawEvent> out;
    jsStreamInfo* si = nullptr;
    if (js_GetStreamInfo(&si, js, "RXP_EVENTS", nullptr, nullptr) != NATS_OK) return out;
    uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    for (uint64_t seq = first; seq <= last && seq > 0; ++seq) {
      natsMsg* m = nullptr;
      if (js_GetMsg(&m, js, "RXP_EVENTS", seq, nullptr, nullptr) != NATS_OK) continue;
      auto e = projections::decode_feed_frame(
          BytesView(reinterpret_cast<const uint8_t*>(natsMsg_GetData(m)), static_cast<size_t>(natsMsg_GetDataLength(m))));
      natsMsg_Destroy(m);
      if (e) out.emplace(seq, std::move(e.value()));
      else if (undecodable) ++*undecodable;
    }
    return out;
  }
  // The set of positions the stream holds, and how many messages carried them.
  std::map<uint64_t, int> positions() {
    std::map<uint64_t, int> out;
    for (auto& [seq, e] : all()) ++out[e.position];
    return out;
  }
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
};

inline bool holds_exactly(StreamReader& r, uint64_t head) {
  auto p = r.positions();
  if (p.size() != head) return false;
  return p.empty() || (p.begin()->first == 1 && p.rbegin()->first == head);
}

}  // namespace rxp::testkit
