// One suite, every store: each case is a template over the store environment and runs
// against SQLite and PostgreSQL (a throw-away server this program starts).
#define BOOST_TEST_MODULE store_conformance
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "events/subscription.hpp"
#include "events/verify.hpp"
#include "tests/conformance/store_env.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::conformance::PgEnv;
using rxp::conformance::SqliteEnv;
using rxp::testkit::one;

using Stores = boost::mpl::list<SqliteEnv, PgEnv>;

namespace {

AppendRequest viewed(const std::string& stream, const std::string& section, uint64_t expected = kAnyVersion) {
  return one(stream, RecordViewed{section, "treatment"}, expected);
}

std::string section_of(const RecordedEvent& e) { return std::get<RecordViewed>(*e.payload).section; }

void check_verifies(EventLog& log, uint64_t events) {
  auto rep = verify_log(log);
  BOOST_REQUIRE_MESSAGE(rep.is_ok(), rep.status().to_string());
  BOOST_CHECK_MESSAGE(rep->ok(), (rep->failure ? rep->failure->reason : std::string()));
  BOOST_CHECK_EQUAL(rep->events, events);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_conformance)

BOOST_AUTO_TEST_CASE_TEMPLATE(append_then_read_back_decrypted_and_chained, E, Stores) {
  E t;
  auto r = t.log->append({"record/p1", 0,
                          {make_pending(RecordCreated{"p1", "2001-02-03", "MA", false}, testkit::test_principal()),
                           make_pending(RecordViewed{"medications", "treatment"}, testkit::test_principal())}});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(r->first_position, 1u);
  BOOST_CHECK_EQUAL(r->last_position, 2u);
  BOOST_CHECK_EQUAL(r->last_version, 2u);
  auto events = t.log->read_stream("record/p1");
  BOOST_REQUIRE_MESSAGE(events.is_ok(), events.status().to_string());
  BOOST_REQUIRE_EQUAL(events->size(), 2u);
  BOOST_CHECK(events->at(0).header.prev_hash == kZeroHash);
  BOOST_CHECK(events->at(1).header.prev_hash == events->at(0).hash);
  BOOST_CHECK(std::get<RecordCreated>(*events->at(0).payload).birth_date == "2001-02-03");
  auto raw = t.store->read_stream("record/p1", 2, 10);
  BOOST_REQUIRE(raw.is_ok());
  BOOST_REQUIRE_EQUAL(raw->size(), 1u);
  BOOST_CHECK_EQUAL(raw->at(0).position, 2u);
  BOOST_CHECK_EQUAL(raw->at(0).version, 2u);
  BOOST_CHECK_EQUAL(raw->at(0).hash.size(), 32u);
  BOOST_CHECK(t.store->read_stream("record/none", 1, 10)->empty());
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stale_and_ahead_expected_versions_conflict_and_write_nothing, E, Stores) {
  E t;
  BOOST_REQUIRE(t.log->append(viewed("record/p1", "first", 0)).is_ok());
  auto stale = t.log->append(viewed("record/p1", "stale", 0));
  BOOST_CHECK(stale.status().code() == ErrorCode::kConflict);
  auto ahead = t.log->append(viewed("record/p1", "ahead", 5));  // would leave a gap
  BOOST_CHECK(ahead.status().code() == ErrorCode::kConflict);
  BOOST_CHECK(t.log->append(viewed("record/p1", "second", 1)).is_ok());
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 2u);
  auto events = t.log->read_stream("record/p1");
  BOOST_REQUIRE(events.is_ok());
  BOOST_REQUIRE_EQUAL(events->size(), 2u);  // nothing overwritten, no gap
  BOOST_CHECK_EQUAL(section_of(events->at(0)), "first");
  BOOST_CHECK_EQUAL(section_of(events->at(1)), "second");
  BOOST_CHECK_EQUAL(events->at(1).header.version, 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(batch_requests_succeed_or_fail_on_their_own, E, Stores) {
  E t;
  BOOST_REQUIRE(t.log->append(viewed("record/p1", "a")).is_ok());
  std::vector<AppendRequest> batch = {viewed("record/p2", "x", 0), viewed("record/p1", "x", 0),  // conflict
                                      viewed("bad stream", "x"),                                  // invalid
                                      viewed("record/p2", "y", 1)};                               // sees #0
  auto results = t.log->append_batch(batch);
  BOOST_CHECK(results[0].is_ok());
  BOOST_CHECK(results[1].status().code() == ErrorCode::kConflict);
  BOOST_CHECK(results[2].status().code() == ErrorCode::kInvalidArgument);
  BOOST_REQUIRE(results[3].is_ok());
  BOOST_CHECK_EQUAL(results[3]->last_version, 2u);
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 3u);
  check_verifies(*t.log, 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_write_transaction_without_commit_leaves_nothing, E, Stores) {
  E t;
  BOOST_REQUIRE(t.log->append(viewed("record/p1", "a")).is_ok());
  auto stored = t.store->read_all(1, 10);
  BOOST_REQUIRE(stored.is_ok());
  {
    auto txn = t.store->begin_write();
    BOOST_REQUIRE(txn.is_ok());
    RawEvent e = stored->at(0);  // bytes do not matter: this never commits
    e.position = 2;
    e.stream_id = "record/p9";
    e.version = 1;
    BOOST_REQUIRE((*txn)->insert_event(e).is_ok());
    e.position = 3;
    e.version = 2;
    BOOST_REQUIRE((*txn)->insert_event(e).is_ok());
  }  // destroyed without commit: rolled back
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 1u);
  BOOST_CHECK_EQUAL(t.store->read_all(1, 10)->size(), 1u);
  BOOST_CHECK(t.store->read_stream("record/p9", 1, 10)->empty());
  BOOST_REQUIRE(t.log->append(viewed("record/p9", "b", 0)).is_ok());  // the writer is free again
  check_verifies(*t.log, 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(read_all_is_in_position_order_and_pages, E, Stores) {
  E t;
  for (int i = 0; i < 30; ++i)
    BOOST_REQUIRE(t.log->append(viewed("record/p" + std::to_string(i % 4), std::to_string(i))).is_ok());
  std::vector<uint64_t> positions;
  for (uint64_t from = 1;;) {
    auto page = t.store->read_all(from, 7);
    BOOST_REQUIRE(page.is_ok());
    if (page->empty()) break;
    for (const auto& e : *page) positions.push_back(e.position);
    from = page->back().position + 1;
  }
  BOOST_REQUIRE_EQUAL(positions.size(), 30u);
  for (size_t i = 0; i < positions.size(); ++i) BOOST_CHECK_EQUAL(positions[i], i + 1);
  auto all = t.log->read_all(11, 5);
  BOOST_REQUIRE(all.is_ok());
  BOOST_REQUIRE_EQUAL(all->size(), 5u);
  BOOST_CHECK_EQUAL(all->front().header.position, 11u);
  BOOST_CHECK_EQUAL(section_of(all->front()), "10");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(data_survives_reopen, E, Stores) {
  E t;
  for (int i = 0; i < 20; ++i)
    BOOST_REQUIRE(t.log->append(viewed("record/p" + std::to_string(i % 3), "s")).is_ok());
  t.reopen();
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 20u);
  BOOST_CHECK(t.log->append(viewed("record/p0", "s", 7)).is_ok());
  check_verifies(*t.log, 21);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(dek_and_kek_rotation_keep_every_event_readable, E, Stores) {
  E t;
  BOOST_REQUIRE(t.log->append(viewed("record/p1", "before")).is_ok());
  auto v = t.log->rotate_dek("record/p1");
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  BOOST_CHECK_EQUAL(*v, 2u);
  BOOST_REQUIRE(t.log->append(viewed("record/p1", "after")).is_ok());
  for (int i = 0; i < 6; ++i) BOOST_REQUIRE(t.log->append(viewed("record/q" + std::to_string(i % 3), "s")).is_ok());
  auto kek = t.log->rotate_kek();
  BOOST_REQUIRE_MESSAGE(kek.is_ok(), kek.status().to_string());
  t.reopen();  // only the new KEK is in the key file now
  auto events = t.log->read_stream("record/p1");
  BOOST_REQUIRE_MESSAGE(events.is_ok(), events.status().to_string());
  BOOST_REQUIRE_EQUAL(events->size(), 2u);
  BOOST_CHECK_NE(events->at(0).header.key_id, events->at(1).header.key_id);
  BOOST_CHECK_EQUAL(section_of(events->at(0)), "before");
  BOOST_CHECK_EQUAL(section_of(events->at(1)), "after");
  auto dek = t.store->find_dek(events->at(1).header.key_id);
  BOOST_REQUIRE(dek.is_ok() && dek->has_value());
  BOOST_CHECK_EQUAL((*dek)->version, 2u);
  BOOST_CHECK_EQUAL((*dek)->kek_id, *kek);
  check_verifies(*t.log, 8);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(shred_makes_one_stream_unreadable_and_verify_still_passes, E, Stores) {
  E t;
  for (int i = 0; i < 9; ++i) BOOST_REQUIRE(t.log->append(viewed("record/p" + std::to_string(i % 3), "s")).is_ok());
  auto before = t.log->read_stream("record/p1");
  BOOST_REQUIRE(before.is_ok());
  std::string key_id = before->at(0).header.key_id;
  BOOST_REQUIRE(t.log->save_snapshot("record/p1", 3, 1, as_bytes("state")).is_ok());
  BOOST_REQUIRE(t.log->shred("record/p1").is_ok());
  BOOST_CHECK(t.store->purge_deleted().is_ok());
  t.reopen();
  BOOST_CHECK(t.store->is_shredded("record/p1").value());
  BOOST_CHECK(!t.store->is_shredded("record/p0").value());
  BOOST_CHECK(!t.store->find_dek(key_id).value().has_value());
  BOOST_CHECK(!t.store->load_snapshot("record/p1").value().has_value());
  auto shredded = t.log->read_stream("record/p1");
  BOOST_REQUIRE(shredded.is_ok());
  BOOST_CHECK_EQUAL(shredded->size(), 3u);
  for (const auto& e : *shredded) BOOST_CHECK(!e.payload.has_value());
  auto intact = t.log->read_stream("record/p0");
  BOOST_REQUIRE(intact.is_ok());
  for (const auto& e : *intact) BOOST_CHECK(e.payload.has_value());
  auto rep = verify_log(*t.log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK(rep->ok());
  BOOST_CHECK_EQUAL(rep->shredded_events, 3u);
  BOOST_CHECK(t.log->append(viewed("record/p1", "s")).status().code() == ErrorCode::kShredded);
  BOOST_CHECK(t.log->shred("record/zz").code() == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(snapshots_replace_and_open, E, Stores) {
  E t;
  BOOST_CHECK(!t.log->load_snapshot("record/p1").value().has_value());
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(t.log->append(viewed("record/p1", "s")).is_ok());
  BOOST_REQUIRE(t.log->save_snapshot("record/p1", 2, 1, as_bytes("at two")).is_ok());
  BOOST_REQUIRE(t.log->save_snapshot("record/p1", 3, 1, as_bytes("at three")).is_ok());
  t.reopen();
  auto s = t.log->load_snapshot("record/p1");
  BOOST_REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
  BOOST_REQUIRE(s->has_value());
  BOOST_CHECK_EQUAL((*s)->version, 3u);
  BOOST_CHECK_EQUAL(std::string(as_chars((*s)->plaintext)), "at three");
  auto row = t.store->load_snapshot("record/p1");
  BOOST_REQUIRE(row.is_ok() && row->has_value());
  std::string stored(as_chars((*row)->ciphertext));
  BOOST_CHECK(stored.find("at three") == std::string::npos);  // encrypted at rest
}

BOOST_AUTO_TEST_CASE_TEMPLATE(verify_finds_a_tampered_payload, E, Stores) {
  E t;
  for (int i = 0; i < 5; ++i) BOOST_REQUIRE(t.log->append(viewed("record/p1", "s")).is_ok());
  check_verifies(*t.log, 5);
  BOOST_CHECK(t.store->check_physical().is_ok());
  // A payload read back with one flipped bit does not open.
  auto raw = t.store->read_all(3, 1);
  BOOST_REQUIRE(raw.is_ok() && raw->size() == 1);
  RawEvent bad = raw->at(0);
  bad.ciphertext[0] ^= 1;
  BOOST_CHECK(!t.log->open(bad).is_ok());
  BOOST_CHECK(t.log->open(raw->at(0)).is_ok());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(wait_beyond_wakes_on_commit, E, Stores) {
  E t;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_CHECK(t.log->append(viewed("record/p1", "s")).is_ok());
  });
  auto head = t.store->wait_beyond(0, std::chrono::seconds(30));
  writer.join();
  BOOST_REQUIRE(head.is_ok());
  BOOST_CHECK_EQUAL(*head, 1u);
}

// The proof that tailing by position skips nothing: appenders on several threads commit
// concurrently while a subscriber tails the log; it must see every acknowledged event exactly
// once, in position order, and nothing that was not acknowledged.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_tailing_subscriber_sees_every_committed_event_once_in_order, E, Stores) {
  E t;
  std::mutex mu;
  std::vector<uint64_t> seen;
  Subscription sub(*t.store, 1, [&](const std::vector<RawEvent>& page) {
    std::lock_guard lock(mu);
    for (const auto& e : page) seen.push_back(e.position);
    return Status::ok();
  }, std::chrono::milliseconds(20), 16);
  constexpr int kWriters = 4, kPerWriter = 50;
  std::set<uint64_t> acked;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        // Every other append is a two-request batch, so commits of different sizes race.
        std::vector<AppendRequest> batch = {viewed("record/w" + std::to_string(w), "s")};
        if (i % 2 == 1) batch.push_back(viewed("record/x" + std::to_string(w), "s"));
        auto results = t.log->append_batch(batch);
        std::lock_guard lock(mu);
        for (auto& r : results) {
          BOOST_CHECK_MESSAGE(r.is_ok(), r.status().to_string());
          if (r.is_ok())
            for (uint64_t p = r->first_position; p <= r->last_position; ++p) acked.insert(p);
        }
      }
    });
  for (auto& w : writers) w.join();
  const uint64_t total = kWriters * kPerWriter + kWriters * (kPerWriter / 2);
  BOOST_CHECK_EQUAL(acked.size(), total);
  BOOST_CHECK_EQUAL(t.store->head_position().value(), total);
  for (int i = 0; i < 3000 && sub.next_position() <= total && sub.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  sub.stop();
  BOOST_CHECK(sub.status().is_ok());
  std::lock_guard lock(mu);
  BOOST_REQUIRE_EQUAL(seen.size(), total);
  for (size_t i = 0; i < seen.size(); ++i) BOOST_CHECK_EQUAL(seen[i], i + 1);  // in order, once
  BOOST_CHECK(std::set<uint64_t>(seen.begin(), seen.end()) == acked);         // the same set
  check_verifies(*t.log, total);
}

BOOST_AUTO_TEST_SUITE_END()
