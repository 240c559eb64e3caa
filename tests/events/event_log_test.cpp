#include <boost/test/unit_test.hpp>
#include <fstream>
#include <set>
#include <thread>

#include "events/subscription.hpp"
#include "events/verify.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::testkit::one;
using rxp::testkit::TestLog;

BOOST_AUTO_TEST_SUITE(event_log)

BOOST_AUTO_TEST_CASE(append_then_read_back_decrypted_and_chained) {
  TestLog t;
  auto r = t.log->append({"record/p1", 0,
                          {make_pending(RecordCreated{"p1", "2001-02-03", "MA", false}, testkit::test_principal()),
                           make_pending(RecordViewed{"medications", "treatment"}, testkit::test_principal())}});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(r->first_position, 1u);
  BOOST_CHECK_EQUAL(r->last_position, 2u);
  BOOST_CHECK_EQUAL(r->last_version, 2u);
  auto events = t.log->read_stream("record/p1");
  BOOST_REQUIRE(events.is_ok());
  BOOST_REQUIRE_EQUAL(events->size(), 2u);
  BOOST_CHECK(events->at(0).header.prev_hash == kZeroHash);
  BOOST_CHECK(events->at(1).header.prev_hash == events->at(0).hash);
  BOOST_CHECK(std::get<RecordCreated>(*events->at(0).payload).birth_date == "2001-02-03");
  BOOST_CHECK_EQUAL(events->at(1).header.principal.user_id, "usr-1");
  BOOST_CHECK_EQUAL(events->at(1).header.occurred_at_us, t.clock.now_us());
  // The stored bytes do not contain the plaintext.
  auto raw = t.store->read_stream("record/p1", 1, 10);
  std::string blob(raw->at(0).ciphertext.begin(), raw->at(0).ciphertext.end());
  BOOST_CHECK(blob.find("2001-02-03") == std::string::npos);
  std::string hdr(raw->at(0).header_bytes.begin(), raw->at(0).header_bytes.end());
  BOOST_CHECK(hdr.find("2001-02-03") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(expected_version_conflicts_are_typed_and_write_nothing) {
  TestLog t;
  BOOST_REQUIRE(t.log->append(one("record/p1", RecordViewed{"a", "b"}, 0)).is_ok());
  auto again = t.log->append(one("record/p1", RecordViewed{"a", "b"}, 0));
  BOOST_CHECK(again.status().code() == ErrorCode::kConflict);
  auto ahead = t.log->append(one("record/p1", RecordViewed{"a", "b"}, 5));  // would leave a gap
  BOOST_CHECK(ahead.status().code() == ErrorCode::kConflict);
  BOOST_CHECK(t.log->append(one("record/p1", RecordViewed{"a", "b"}, 1)).is_ok());
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 2u);
}

BOOST_AUTO_TEST_CASE(batch_requests_succeed_or_fail_on_their_own) {
  TestLog t;
  BOOST_REQUIRE(t.log->append(one("record/p1", RecordViewed{"a", "b"})).is_ok());
  std::vector<AppendRequest> batch = {one("record/p2", RecordViewed{"x", "y"}, 0),
                                      one("record/p1", RecordViewed{"x", "y"}, 0),  // conflict
                                      one("bad stream", RecordViewed{"x", "y"}),     // invalid
                                      one("record/p2", RecordViewed{"x", "y"}, 1)};  // sees #0
  auto results = t.log->append_batch(batch);
  BOOST_CHECK(results[0].is_ok());
  BOOST_CHECK(results[1].status().code() == ErrorCode::kConflict);
  BOOST_CHECK(results[2].status().code() == ErrorCode::kInvalidArgument);
  BOOST_REQUIRE(results[3].is_ok());
  BOOST_CHECK_EQUAL(results[3]->last_version, 2u);
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 3u);
  BOOST_CHECK(verify_log(*t.log)->ok());
}

BOOST_AUTO_TEST_CASE(concurrent_appenders_to_one_stream_lose_and_duplicate_nothing) {
  TestLog t;
  constexpr int kThreads = 8, kAttempts = 40;
  std::atomic<int> ok{0}, conflicts{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> acked;  // "<thread>-<attempt>" of every acknowledged append
  for (int th = 0; th < kThreads; ++th)
    threads.emplace_back([&, th] {
      for (int i = 0; i < kAttempts; ++i) {
        auto current = t.store->read_stream("record/shared", 1, 100000);
        uint64_t v = current->size();
        std::string tag = std::to_string(th) + "-" + std::to_string(i);
        auto r = t.log->append(one("record/shared", RecordViewed{tag, "treatment"}, v));
        if (r) {
          ++ok;
          std::lock_guard lock(mu);
          acked.insert(tag);
        } else {
          BOOST_CHECK(r.status().code() == ErrorCode::kConflict);
          ++conflicts;
        }
      }
    });
  for (auto& th : threads) th.join();
  BOOST_CHECK_EQUAL(ok + conflicts, kThreads * kAttempts);
  BOOST_CHECK_GT(ok.load(), 0);
  auto events = t.log->read_stream("record/shared");
  BOOST_REQUIRE(events.is_ok());
  BOOST_CHECK_EQUAL(events->size(), static_cast<size_t>(ok.load()));
  std::set<std::string> stored;
  for (const auto& e : *events) stored.insert(std::get<RecordViewed>(*e.payload).section);
  BOOST_CHECK(stored == acked);  // every acknowledged append present, none twice
  BOOST_CHECK(verify_log(*t.log)->ok());
}

BOOST_AUTO_TEST_CASE(data_survives_reopen) {
  TestLog t;
  for (int i = 0; i < 20; ++i)
    BOOST_REQUIRE(t.log->append(one("record/p" + std::to_string(i % 3), RecordViewed{"s", "p"})).is_ok());
  t.reopen();
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 20u);
  BOOST_CHECK(t.log->append(one("record/p0", RecordViewed{"s", "p"})).is_ok());
  auto rep = verify_log(*t.log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK(rep->ok());
  BOOST_CHECK_EQUAL(rep->events, 21u);
  BOOST_CHECK_EQUAL(rep->streams, 3u);
}

BOOST_AUTO_TEST_CASE(kek_rotation_keeps_every_event_readable) {
  TestLog t;
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(t.log->append(one("record/p" + std::to_string(i % 4), RecordViewed{"s", "p"})).is_ok());
  std::string old_kek = t.keys->current_kek_id();
  auto new_kek = t.log->rotate_kek();
  BOOST_REQUIRE_MESSAGE(new_kek.is_ok(), new_kek.status().to_string());
  BOOST_CHECK_NE(*new_kek, old_kek);
  BOOST_REQUIRE(t.log->append(one("record/p9", RecordViewed{"s", "p"})).is_ok());
  t.reopen();  // only the new KEK is in the file now
  BOOST_CHECK_EQUAL(t.keys->kek_ids().size(), 1u);
  auto rep = verify_log(*t.log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK_MESSAGE(rep->ok(), (rep->failure ? rep->failure->reason : std::string()));
  BOOST_CHECK_EQUAL(rep->events, 11u);
  BOOST_CHECK_EQUAL(rep->shredded_events, 0u);
}

BOOST_AUTO_TEST_CASE(dek_rotation_starts_a_new_key_for_new_events_only) {
  TestLog t;
  BOOST_REQUIRE(t.log->append(one("record/p1", RecordViewed{"before", "p"})).is_ok());
  auto v = t.log->rotate_dek("record/p1");
  BOOST_REQUIRE(v.is_ok());
  BOOST_CHECK_EQUAL(*v, 2u);
  BOOST_REQUIRE(t.log->append(one("record/p1", RecordViewed{"after", "p"})).is_ok());
  t.reopen();
  auto events = t.log->read_stream("record/p1");
  BOOST_REQUIRE(events.is_ok());
  BOOST_REQUIRE_EQUAL(events->size(), 2u);
  BOOST_CHECK_NE(events->at(0).header.key_id, events->at(1).header.key_id);
  BOOST_CHECK(std::get<RecordViewed>(*events->at(0).payload).section == "before");
  BOOST_CHECK(std::get<RecordViewed>(*events->at(1).payload).section == "after");
  BOOST_CHECK(t.log->rotate_dek("record/none").status().code() == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(shred_makes_exactly_one_stream_unreadable_and_verify_still_passes) {
  TestLog t;
  for (int i = 0; i < 12; ++i)
    BOOST_REQUIRE(t.log->append(one("record/p" + std::to_string(i % 3), RecordViewed{"s", "p"})).is_ok());
  BOOST_REQUIRE(t.log->rotate_dek("record/p1").is_ok());
  BOOST_REQUIRE(t.log->append(one("record/p1", RecordViewed{"s", "p"})).is_ok());
  std::vector<Bytes> wrapped;  // the stream's wrapped DEKs, to look for on disk afterwards
  auto before = t.log->read_stream("record/p1");
  BOOST_REQUIRE(before.is_ok());
  for (const auto& e : *before) {
    auto w = t.store->find_dek(e.header.key_id);
    BOOST_REQUIRE(w.is_ok() && w->has_value());
    wrapped.push_back((*w)->wrapped);
  }
  BOOST_REQUIRE(t.log->shred("record/p1").is_ok());
  t.reopen();
  for (const char* s : {"record/p0", "record/p2"}) {
    auto ev = t.log->read_stream(s);
    BOOST_REQUIRE(ev.is_ok());
    for (const auto& e : *ev) BOOST_CHECK(e.payload.has_value());
  }
  auto shredded = t.log->read_stream("record/p1");
  BOOST_REQUIRE(shredded.is_ok());
  BOOST_CHECK_EQUAL(shredded->size(), 5u);
  for (const auto& e : *shredded) BOOST_CHECK(!e.payload.has_value());
  auto rep = verify_log(*t.log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK(rep->ok());
  BOOST_CHECK_EQUAL(rep->shredded_events, 5u);
  // No new events for a shredded stream; shredding twice or an unknown stream is an error.
  BOOST_CHECK(t.log->append(one("record/p1", RecordViewed{"s", "p"})).status().code() == ErrorCode::kShredded);
  BOOST_CHECK(t.log->shred("record/zz").code() == ErrorCode::kNotFound);
  // The wrapped keys are gone from the database file and its WAL, not merely unlinked.
  t.close();
  for (std::string path : {t.db_path(), t.db_path() + "-wal"}) {
    std::ifstream f(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    for (const auto& w : wrapped)
      BOOST_CHECK(bytes.find(std::string(w.begin() + 24, w.end())) == std::string::npos);
    if (path == t.db_path()) BOOST_CHECK(bytes.find("record/p1") != std::string::npos);  // events stay
  }
}

BOOST_AUTO_TEST_CASE(wait_beyond_wakes_on_commit) {
  TestLog t;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_CHECK(t.log->append(one("record/p1", RecordViewed{"s", "p"})).is_ok());
  });
  auto head = t.store->wait_beyond(0, std::chrono::seconds(10));
  writer.join();
  BOOST_REQUIRE(head.is_ok());
  BOOST_CHECK_EQUAL(*head, 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(subscription)

BOOST_AUTO_TEST_CASE(subscriber_sees_every_committed_event_once_in_order_under_concurrent_appends) {
  TestLog t;
  BOOST_REQUIRE(t.log->append(one("record/early", RecordViewed{"s", "p"})).is_ok());
  std::mutex mu;
  std::vector<uint64_t> seen;
  Subscription sub(*t.store, 1, [&](const std::vector<RawEvent>& page) {
    std::lock_guard lock(mu);
    for (const auto& e : page) seen.push_back(e.position);
    return Status::ok();
  }, std::chrono::milliseconds(20));
  constexpr int kWriters = 4, kPerWriter = 60;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i)
        BOOST_CHECK(t.log->append(one("record/w" + std::to_string(w), RecordViewed{"s", "p"})).is_ok());
    });
  for (auto& w : writers) w.join();
  const uint64_t total = 1 + kWriters * kPerWriter;
  for (int i = 0; i < 500 && sub.next_position() <= total; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  sub.stop();
  std::lock_guard lock(mu);
  BOOST_REQUIRE_EQUAL(seen.size(), total);
  for (size_t i = 0; i < seen.size(); ++i) BOOST_CHECK_EQUAL(seen[i], i + 1);
}

BOOST_AUTO_TEST_CASE(a_failing_handler_stops_the_subscription_with_its_status) {
  TestLog t;
  BOOST_REQUIRE(t.log->append(one("record/a", RecordViewed{"s", "p"})).is_ok());
  Subscription sub(*t.store, 1, [](const std::vector<RawEvent>&) {
    return Status(ErrorCode::kIo, "projection database unavailable");
  }, std::chrono::milliseconds(10));
  for (int i = 0; i < 300 && sub.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_CHECK(!sub.running());
  BOOST_CHECK(sub.status().code() == ErrorCode::kIo);
  BOOST_CHECK_EQUAL(sub.next_position(), 1u);  // not advanced past what failed
}

BOOST_AUTO_TEST_SUITE_END()
