// PostgreSQL faults, against throw-away servers this program starts: the server down at
// start, the writer's connection killed at each point of a commit, the server stopped
// mid-batch, and two writer processes ("nodes") on one database. In every case a batch is
// all in or all out and the caller is told which.
#define BOOST_TEST_MODULE pg_fault
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "events/pg_conn.hpp"
#include "events/subscription.hpp"
#include "events/verify.hpp"
#include "tests/conformance/store_env.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::conformance::shared_pg_server;
using rxp::testkit::one;

namespace {

// The shared server, stopped by a test and started again however the test ends.
struct StoppedServer {
  StoppedServer() : server(shared_pg_server()), url(server.fresh_database()) { server.stop(/*crash=*/false); }
  ~StoppedServer() {
    try {
      server.start();
    } catch (const std::exception& e) {
      BOOST_ERROR(e.what());
    }
  }
  testkit::PgServer& server;
  std::string url;
};

AppendRequest viewed(const std::string& stream, uint64_t expected = kAnyVersion) {
  return one(stream, RecordViewed{"s", "p"}, expected);
}

// A key ring and a log over a PostgreSQL store opened with `options`.
struct PgLog {
  explicit PgLog(PgOptions o) : options(std::move(o)) {
    if (!secure_init()) throw std::runtime_error("sodium_init failed");
    auto k = KeyRing::create(dir.path() + "/rxportal.key");
    if (!k) throw std::runtime_error(k.status().to_string());
    keys = std::make_unique<KeyRing>(std::move(k.value()));
    auto s = open_pg_store(options);
    if (!s) throw std::runtime_error(s.status().to_string());
    store = std::move(s.value());
    log = std::make_unique<EventLog>(*store, *keys, clock);
  }
  PgOptions options;
  testkit::TempDir dir;
  SimulatedClock clock{1764806400000000};
  std::unique_ptr<KeyRing> keys;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<EventLog> log;
};

// Reads the committed head through a connection of its own (what another node sees).
uint64_t committed_head(const std::string& url) {
  pg::PgConn c;
  BOOST_REQUIRE(c.connect(url).is_ok());
  auto r = c.exec_rows("SELECT position FROM rxp_head", "head");
  BOOST_REQUIRE(r.is_ok());
  return std::stoull(r->text(0, 0));
}

void terminate_backend(const std::string& url, int pid) {
  pg::PgConn c;
  BOOST_REQUIRE(c.connect(url).is_ok());
  // The timeout makes the call wait until the backend is gone.
  std::string sql = "SELECT pg_terminate_backend(" + std::to_string(pid) + ", 10000)";
  BOOST_REQUIRE(c.exec(sql.c_str(), "terminate").is_ok());
}

std::vector<AppendRequest> three_stream_batch(int round) {
  return {viewed("record/a" + std::to_string(round)), viewed("record/b" + std::to_string(round)),
          viewed("record/c" + std::to_string(round))};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_fault)

BOOST_AUTO_TEST_CASE(server_down_at_start_is_a_clear_error_after_bounded_retries) {
  StoppedServer down;
  PgOptions o(down.url);
  o.connect_attempts = 3;
  o.first_backoff = std::chrono::milliseconds(10);
  auto s = open_pg_store(o);
  BOOST_REQUIRE(!s.is_ok());
  BOOST_CHECK(s.status().code() == ErrorCode::kIo);
  std::string msg = s.status().message();
  BOOST_CHECK_MESSAGE(msg.find("cannot connect to PostgreSQL") != std::string::npos, msg);
  BOOST_CHECK_MESSAGE(msg.find("gave up after 3 attempts") != std::string::npos, msg);
  BOOST_CHECK(msg.find('\n') == std::string::npos);  // one line
}

BOOST_AUTO_TEST_CASE(a_server_that_comes_up_during_the_retries_is_used) {
  StoppedServer down;
  std::thread starter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    down.server.start();
  });
  PgOptions o(down.url);
  o.connect_attempts = 12;  // 100 ms doubling: far longer than a server start
  o.first_backoff = std::chrono::milliseconds(100);
  auto s = open_pg_store(o);
  starter.join();
  BOOST_REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
  BOOST_CHECK_EQUAL((*s)->head_position().value(), 0u);
}

// Kills the writer's backend at `point` during the second batch; returns that batch's
// results. The first batch (3 events) committed normally.
struct KillAt {
  explicit KillAt(const std::string& point, bool cut_socket = false) : url(shared_pg_server().fresh_database()) {
    PgOptions o(url);
    o.connect_attempts = 3;
    o.first_backoff = std::chrono::milliseconds(50);
    o.test_hook = [this, point, cut_socket](const std::string& at, int pid) {
      if (!armed || at != point) return false;
      armed = false;
      if (cut_socket) {
        // The COMMIT went out: wait until another connection sees it, then lose the answer.
        for (int i = 0; i < 2000 && committed_head(url) < 6; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return true;
      }
      terminate_backend(url, pid);
      return false;
    };
    t = std::make_unique<PgLog>(o);
    auto first = t->log->append_batch(three_stream_batch(0));
    for (auto& r : first) BOOST_REQUIRE(r.is_ok());
    armed = true;
    results = t->log->append_batch(three_stream_batch(1));
  }
  std::string url;
  bool armed = false;
  std::unique_ptr<PgLog> t;
  std::vector<Result<AppendResult>> results;
};

void check_not_written(KillAt& k) {
  for (auto& r : k.results) {
    BOOST_REQUIRE(!r.is_ok());
    BOOST_CHECK(r.status().code() == ErrorCode::kIo);
    BOOST_CHECK_MESSAGE(r.status().message().find("nothing was written") != std::string::npos,
                        r.status().message());
  }
  BOOST_CHECK_EQUAL(committed_head(k.url), 3u);
  BOOST_CHECK(k.t->store->read_stream("record/a1", 1, 10)->empty());
  // The store reconnects and carries on with the next position, no gap.
  auto again = k.t->log->append_batch(three_stream_batch(2));
  for (auto& r : again) BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(again[0]->first_position, 4u);
  auto rep = verify_log(*k.t->log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK(rep->ok());
  BOOST_CHECK_EQUAL(rep->events, 6u);
}

BOOST_AUTO_TEST_CASE(connection_killed_before_the_batch_is_sent_writes_nothing_and_says_so) {
  KillAt k("before_flush");
  check_not_written(k);
}

BOOST_AUTO_TEST_CASE(connection_killed_before_commit_writes_nothing_and_says_so) {
  KillAt k("before_commit");
  check_not_written(k);
}

BOOST_AUTO_TEST_CASE(connection_lost_after_commit_was_sent_finds_the_batch_landed) {
  KillAt k("after_commit_sent", true);
  for (auto& r : k.results) BOOST_CHECK_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(committed_head(k.url), 6u);
  BOOST_CHECK_EQUAL(k.t->store->read_stream("record/b1", 1, 10)->size(), 1u);
  auto next = k.t->log->append(viewed("record/a1", 1));  // caches stay right after the loss
  BOOST_REQUIRE_MESSAGE(next.is_ok(), next.status().to_string());
  BOOST_CHECK_EQUAL(next->first_position, 7u);
  auto rep = verify_log(*k.t->log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK(rep->ok());
  BOOST_CHECK_EQUAL(rep->events, 7u);
}

BOOST_AUTO_TEST_CASE(server_stopped_mid_batch_is_all_out_and_the_store_recovers) {
  testkit::PgServer& server = shared_pg_server();
  std::string url = server.fresh_database();
  struct Restart {
    testkit::PgServer& s;
    ~Restart() {
      try {
        s.start();
      } catch (const std::exception& e) {
        BOOST_ERROR(e.what());
      }
    }
  } restart{server};
  PgOptions o(url);
  o.connect_attempts = 2;
  o.first_backoff = std::chrono::milliseconds(20);
  bool armed = false;
  o.test_hook = [&](const std::string& at, int) {
    if (armed && at == "before_commit") {
      armed = false;
      server.stop();  // immediate: like a crash of the database host
    }
    return false;
  };
  PgLog t(o);
  for (auto& r : t.log->append_batch(three_stream_batch(0))) BOOST_REQUIRE(r.is_ok());
  armed = true;
  auto lost = t.log->append_batch(three_stream_batch(1));
  for (auto& r : lost) {
    BOOST_REQUIRE(!r.is_ok());
    // The server cannot be asked: the caller is told the outcome is unknown.
    BOOST_CHECK_MESSAGE(r.status().message().find("outcome unknown") != std::string::npos, r.status().message());
  }
  server.start();
  BOOST_CHECK_EQUAL(committed_head(url), 3u);  // it was all out
  auto again = t.log->append_batch(three_stream_batch(2));
  for (auto& r : again) BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(again[0]->first_position, 4u);
  BOOST_CHECK(verify_log(*t.log)->ok());
}

// Two stores on one database stand for two nodes: their writes serialize on the head row,
// their stream caches notice each other's commits, and a tailing subscriber on a third store
// sees every acknowledged event once, in order.
BOOST_AUTO_TEST_CASE(two_writer_nodes_interleave_without_gaps_or_lost_updates) {
  std::string url = shared_pg_server().fresh_database();
  PgLog a{PgOptions(url)};
  // Node b shares the key file (as nodes share the KEK).
  auto kb = KeyRing::open(a.dir.path() + "/rxportal.key");
  BOOST_REQUIRE(kb.is_ok());
  auto sb = open_pg_store(PgOptions(url));
  BOOST_REQUIRE(sb.is_ok());
  SimulatedClock clock{1764806400000000};
  EventLog b(**sb, *kb, clock);
  auto sc = open_pg_store(PgOptions(url));
  BOOST_REQUIRE(sc.is_ok());
  std::mutex mu;
  std::vector<uint64_t> seen;
  Subscription sub(**sc, 1, [&](const std::vector<RawEvent>& page) {
    std::lock_guard lock(mu);
    for (const auto& e : page) seen.push_back(e.position);
    return Status::ok();
  }, std::chrono::milliseconds(10), 8);
  constexpr int kRounds = 60;
  std::set<uint64_t> acked;
  std::atomic<int> conflicts{0};
  auto writer = [&](EventLog& log) {
    for (int i = 0; i < kRounds; ++i) {
      // Both nodes append to one shared stream with an expected version read just before:
      // exactly one wins each race, nothing is overwritten.
      auto head = log.store().read_stream("record/shared", 1, 100000);
      BOOST_REQUIRE(head.is_ok());
      auto r = log.append(viewed("record/shared", head->size()));
      std::lock_guard lock(mu);
      if (r.is_ok()) {
        acked.insert(r->first_position);
      } else {
        BOOST_CHECK_MESSAGE(r.status().code() == ErrorCode::kConflict, r.status().to_string());
        ++conflicts;
      }
    }
  };
  std::thread ta([&] { writer(*a.log); });
  std::thread tb([&] { writer(b); });
  ta.join();
  tb.join();
  const uint64_t total = acked.size();
  BOOST_CHECK_EQUAL(total + static_cast<uint64_t>(conflicts.load()), 2u * kRounds);
  BOOST_CHECK_EQUAL(committed_head(url), total);
  for (int i = 0; i < 3000 && sub.next_position() <= total && sub.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  sub.stop();
  std::lock_guard lock(mu);
  BOOST_REQUIRE_EQUAL(seen.size(), total);
  for (size_t i = 0; i < seen.size(); ++i) BOOST_CHECK_EQUAL(seen[i], i + 1);
  BOOST_CHECK(std::set<uint64_t>(seen.begin(), seen.end()) == acked);
  auto stream = a.log->read_stream("record/shared");
  BOOST_REQUIRE(stream.is_ok());
  BOOST_CHECK_EQUAL(stream->size(), total);  // versions 1..total, chained (read_stream checks links)
  BOOST_CHECK(verify_log(*a.log)->ok());
}

// Below EventLog: a writer holding stale versions (a bug, or another build) is refused by the
// database itself; the refused transaction leaves nothing behind.
BOOST_AUTO_TEST_CASE(the_database_refuses_a_stale_writers_overwrite_and_gap) {
  PgLog t{PgOptions(shared_pg_server().fresh_database())};
  BOOST_REQUIRE(t.log->append({"record/p1", 0, {make_pending(RecordViewed{"s", "p"}, testkit::test_principal()),
                                                make_pending(RecordViewed{"s", "p"}, testkit::test_principal())}})
                    .is_ok());
  auto stored = t.store->read_stream("record/p1", 1, 10);
  BOOST_REQUIRE(stored.is_ok() && stored->size() == 2);
  auto attempt = [&](uint64_t version) {
    auto txn = t.store->begin_write();
    BOOST_REQUIRE(txn.is_ok());
    BOOST_REQUIRE_EQUAL((*txn)->last_position().value(), 2u);
    RawEvent e = stored->at(1);
    e.position = 3;
    e.version = version;
    BOOST_REQUIRE((*txn)->insert_event(e).is_ok());  // buffered: the database decides at commit
    return (*txn)->commit();
  };
  Status gap = attempt(5);
  BOOST_CHECK(gap.code() == ErrorCode::kConflict);
  BOOST_CHECK_MESSAGE(gap.message().find("nothing was written") != std::string::npos, gap.message());
  Status overwrite = attempt(2);
  BOOST_CHECK(overwrite.code() == ErrorCode::kConflict);
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 2u);
  auto after = t.store->read_stream("record/p1", 1, 10);
  BOOST_REQUIRE(after.is_ok() && after->size() == 2);
  BOOST_CHECK(after->at(1).hash == stored->at(1).hash);
  // A position that would leave a gap is refused before it is sent.
  auto txn = t.store->begin_write();
  BOOST_REQUIRE(txn.is_ok());
  RawEvent e = stored->at(1);
  e.position = 5;
  e.version = 3;
  BOOST_CHECK((*txn)->insert_event(e).code() == ErrorCode::kConflict);
}

BOOST_AUTO_TEST_SUITE_END()
