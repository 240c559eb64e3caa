// The projection runtime: checkpoints committed with the rows, incremental equals rebuilt,
// exactly-once under concurrent appenders and concurrent runners, no skipped positions.
#define BOOST_TEST_MODULE projections_runner
#include <sqlite3.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

#include "tests/projections/fixtures.hpp"

using namespace rxp;
using namespace rxp::projections;
using rxp::testkit::open_runner;
using rxp::testkit::rows_of;
using rxp::testkit::TestLog;
using rxp::testkit::Traffic;

namespace {

void append_n(TestLog& t, Traffic& traffic, size_t n, const std::string& tag) {
  for (size_t i = 0; i < n; ++i) {
    t.clock.advance_us(1000);
    auto r = t.log->append(traffic.next(tag));
    BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  }
}

// Positions of the disclosure events in the log, read straight from it.
std::set<uint64_t> disclosure_positions(TestLog& t) {
  std::set<uint64_t> out;
  auto all = t.log->read_all(1, 1000000);
  BOOST_REQUIRE(all.is_ok());
  for (const auto& e : *all)
    if (disclosure_of(e)) out.insert(e.header.position);
  return out;
}

std::optional<int64_t> stored_checkpoint(const TestLog& t, const std::string& name) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(rxp::testkit::read_model_path(t).c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT position FROM checkpoints WHERE name = ?1", -1, &s, nullptr);
  sqlite3_bind_text(s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  std::optional<int64_t> v;
  if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

// Wraps the disclosures projection and fails its n-th apply (1-based).
class FailingDisclosures final : public Projection {
 public:
  explicit FailingDisclosures(int fail_at) : fail_at_(fail_at) {}
  const std::string& name() const override { return inner_.name(); }
  Status create_tables(ReadModelTxn& txn) override { return inner_.create_tables(txn); }
  Status drop_tables(ReadModelTxn& txn) override { return inner_.drop_tables(txn); }
  bool wants(const events::EventHeader& h) const override { return inner_.wants(h); }
  Status apply(ReadModelTxn& txn, const events::RecordedEvent& e) override {
    if (++applied_ == fail_at_) return Status(ErrorCode::kIo, "injected failure");
    return inner_.apply(txn, e);
  }

 private:
  DisclosuresProjection inner_;
  int fail_at_;
  int applied_ = 0;
};

std::unique_ptr<ProjectionRunner> open_failing(TestLog& t, int fail_at, size_t page) {
  std::vector<std::unique_ptr<Projection>> ps;
  ps.push_back(std::make_unique<FailingDisclosures>(fail_at));
  auto r = ProjectionRunner::open(*t.log, std::move(ps), {rxp::testkit::read_model_path(t), page, std::chrono::milliseconds(5)});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r.value());
}

}  // namespace

BOOST_AUTO_TEST_CASE(incremental_catch_ups_equal_a_rebuild_from_zero) {
  TestLog t;
  Traffic traffic(7);
  auto runner = open_runner(t, /*page_size=*/16);
  for (int round = 0; round < 6; ++round) {
    append_n(t, traffic, 37, "a");
    BOOST_REQUIRE_MESSAGE(runner->catch_up().is_ok(), "round " << round);
    BOOST_CHECK_EQUAL(runner->lag("disclosures").value(), 0u);
  }
  auto incremental = rows_of(t);
  BOOST_CHECK_EQUAL(incremental.size(), traffic.disclosures);
  std::set<uint64_t> positions;
  for (const auto& d : incremental) positions.insert(d.position);
  BOOST_CHECK(positions == disclosure_positions(t));

  Status st = runner->rebuild("disclosures");
  BOOST_REQUIRE_MESSAGE(st.is_ok(), st.to_string());
  auto rebuilt = rows_of(t);
  BOOST_CHECK(rebuilt == incremental);
  BOOST_CHECK_EQUAL(*stored_checkpoint(t, "disclosures"), static_cast<int64_t>(t.store->head_position().value()));

  // A runner reopened later resumes from its stored checkpoint (a duplicate would fail the
  // primary key, so an event applied twice cannot go unnoticed).
  runner.reset();
  append_n(t, traffic, 20, "b");
  runner = open_runner(t);
  BOOST_CHECK_EQUAL(runner->lag("disclosures").value(), 20u);
  BOOST_REQUIRE(runner->catch_up().is_ok());
  BOOST_CHECK_EQUAL(rows_of(t).size(), traffic.disclosures);
}

BOOST_AUTO_TEST_CASE(concurrent_appenders_and_runners_apply_each_event_exactly_once) {
  TestLog t;
  auto background = open_runner(t, /*page_size=*/7, std::chrono::milliseconds(2));
  auto foreground = open_runner(t, /*page_size=*/5);  // a second connection to the same file
  background->start();
  constexpr int kThreads = 3;
  constexpr size_t kPerThread = 250;
  std::atomic<size_t> disclosures{0};
  std::vector<std::thread> appenders;
  for (int th = 0; th < kThreads; ++th)
    appenders.emplace_back([&, th] {
      Traffic traffic(100 + th);
      // Built with += : GCC 12 reports a false -Wrestrict on "t" + std::to_string(th).
      std::string tag(1, 't');
      tag += std::to_string(th);
      for (size_t i = 0; i < kPerThread;) {
        // Batches of 1..4 requests, as the journal's group commit produces.
        std::vector<events::AppendRequest> batch;
        size_t n = std::min<size_t>(1 + traffic.rng() % 4, kPerThread - i);
        for (size_t k = 0; k < n; ++k) batch.push_back(traffic.next(tag));
        for (auto& r : t.log->append_batch(batch))
          if (!r) throw std::runtime_error(r.status().to_string());
        i += n;
      }
      disclosures += traffic.disclosures;
    });
  for (int i = 0; i < 40; ++i) {
    BOOST_REQUIRE(foreground->catch_up().is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  for (auto& a : appenders) a.join();
  BOOST_REQUIRE(foreground->catch_up().is_ok());
  // The background runner reaches the head on its own.
  uint64_t head = t.store->head_position().value();
  BOOST_CHECK_EQUAL(head, kThreads * kPerThread);
  for (int i = 0; i < 2000 && background->checkpoint("disclosures").value() < head; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_CHECK(background->background_status().is_ok());
  background->stop();
  BOOST_CHECK(background->background_status().is_ok());

  auto rows = rows_of(t);
  BOOST_CHECK_EQUAL(rows.size(), disclosures.load());
  std::set<uint64_t> positions;
  for (const auto& d : rows) positions.insert(d.position);
  BOOST_CHECK(positions == disclosure_positions(t));
  BOOST_CHECK_EQUAL(*stored_checkpoint(t, "disclosures"), static_cast<int64_t>(head));
  BOOST_CHECK_EQUAL(background->lag("disclosures").value(), 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_apply_commits_neither_rows_nor_checkpoint_of_its_page) {
  TestLog t;
  // 30 disclosure events at positions 1..30.
  for (int i = 0; i < 30; ++i)
    BOOST_REQUIRE(t.log->append(rxp::testkit::one("record/p1", events::RecordViewed{"pgx", "treatment"})).is_ok());
  {
    auto runner = open_failing(t, /*fail_at=*/12, /*page=*/5);
    Status st = runner->catch_up();
    BOOST_CHECK(st.code() == ErrorCode::kIo);
    BOOST_CHECK(st.message().find("position 12") != std::string::npos);
    // Pages 1-5 and 6-10 committed; the page 11-15 rolled back as a whole.
    BOOST_CHECK_EQUAL(rows_of(t).size(), 10u);
    BOOST_CHECK_EQUAL(*stored_checkpoint(t, "disclosures"), 10);
    BOOST_CHECK_EQUAL(runner->checkpoint("disclosures").value(), 10u);
  }
  {
    auto runner = open_failing(t, /*fail_at=*/3, /*page=*/100);
    BOOST_CHECK(!runner->catch_up().is_ok());
    BOOST_CHECK_EQUAL(rows_of(t).size(), 10u);
    BOOST_CHECK_EQUAL(*stored_checkpoint(t, "disclosures"), 10);
  }
  // Restarted with a healthy projection: every event counted once.
  auto runner = open_runner(t);
  BOOST_REQUIRE(runner->catch_up().is_ok());
  auto rows = rows_of(t);
  BOOST_REQUIRE_EQUAL(rows.size(), 30u);
  for (size_t i = 0; i < rows.size(); ++i) BOOST_CHECK_EQUAL(rows[i].position, i + 1);
}

BOOST_AUTO_TEST_CASE(a_background_failure_stops_the_runner_and_is_kept) {
  TestLog t;
  for (int i = 0; i < 5; ++i)
    BOOST_REQUIRE(t.log->append(rxp::testkit::one("record/p1", events::RecordViewed{"pgx", "treatment"})).is_ok());
  auto runner = open_failing(t, 2, 100);
  runner->start();
  for (int i = 0; i < 400 && runner->running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_CHECK(!runner->running());
  BOOST_CHECK(runner->background_status().code() == ErrorCode::kIo);
  BOOST_CHECK_EQUAL(rows_of(t).size(), 0u);
}

BOOST_AUTO_TEST_CASE(a_gap_in_positions_is_corruption_not_a_skip) {
  TestLog t;
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(t.log->append(rxp::testkit::one("record/p1", events::RecordViewed{"pgx", "treatment"})).is_ok());
  t.close();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(t.db_path().c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_exec(db, "DELETE FROM events WHERE position = 6", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  t.reopen();
  auto runner = open_runner(t, /*page_size=*/4);
  Status st = runner->catch_up();
  BOOST_CHECK(st.code() == ErrorCode::kCorruption);
  BOOST_CHECK(st.message().find("position 6") != std::string::npos);
  // Positions 1-4 formed a whole page; the page that met the gap committed nothing.
  BOOST_CHECK_EQUAL(runner->checkpoint("disclosures").value(), 4u);
  BOOST_CHECK_EQUAL(rows_of(t).size(), 4u);
}

BOOST_AUTO_TEST_CASE(a_tampered_event_stops_the_runner_with_an_integrity_error) {
  TestLog t;
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(t.log->append(rxp::testkit::one("record/p1", events::MedicationAdded{"m", "warfarin", "5 mg", "", "", "", "", false})).is_ok());
  t.close();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(t.db_path().c_str(), &db) == SQLITE_OK);
  // An event no projection wants is still hash-checked.
  BOOST_REQUIRE(sqlite3_exec(db, "UPDATE events SET payload = zeroblob(length(payload)) WHERE position = 2",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  t.reopen();
  auto runner = open_runner(t);
  BOOST_CHECK(runner->catch_up().code() == ErrorCode::kIntegrity);
  BOOST_CHECK_EQUAL(runner->checkpoint("disclosures").value(), 0u);
}

BOOST_AUTO_TEST_CASE(lag_states_and_unknown_names) {
  TestLog t;
  Traffic traffic(3);
  append_n(t, traffic, 12, "x");
  auto runner = open_runner(t);
  auto states = runner->states();
  BOOST_REQUIRE(states.is_ok());
  BOOST_REQUIRE_EQUAL(states->size(), rxp::projections::projection_names().size());
  BOOST_CHECK_EQUAL(states->at(0).name, "disclosures");
  for (const auto& s : *states) BOOST_CHECK_EQUAL(s.lag, 12u);
  BOOST_REQUIRE(runner->catch_up().is_ok());
  BOOST_CHECK_EQUAL(runner->lag("disclosures").value(), 0u);
  BOOST_CHECK_EQUAL(runner->checkpoint("disclosures").value(), 12u);
  BOOST_CHECK(runner->rebuild("nope").code() == ErrorCode::kNotFound);
  BOOST_CHECK(runner->lag("nope").status().code() == ErrorCode::kNotFound);
}
