// The actor runtime over a real SQLite store: recovery, passivation, concurrency, and the
// rule that no data leaves a record without its durable RecordViewed.
#define BOOST_TEST_MODULE runtime
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <mutex>
#include <thread>

#include "actors/runtime.hpp"
#include "events/verify.hpp"
#include "tests/testkit/fault_vfs.hpp"
#include "tests/testkit/testkit.hpp"

#include "tests/actors/subjects.hpp"

using namespace rxp;
using rxp::testkit::who;
using namespace rxp::actors;
using namespace rxp::record;
using policy::Role;
using policy::Section;
using rxp::testkit::TestLog;

namespace {

RecordRequest req(std::string pid, policy::Subject s, RecordCommand c) {
  return RecordRequest{std::move(pid), std::move(s), "ses-1", "corr-1", std::move(c)};
}

AddMedication med(std::string id, std::string name) {
  events::MedicationAdded m;
  m.medication_id = std::move(id);
  m.name = std::move(name);
  m.dose = "5 mg";
  return AddMedication{m};
}

// A record with a clinician in care and `n` medications.
void seed(Runtime& rt, const std::string& pid, int n) {
  auto admin = who("adm", Role::kAdmin);
  BOOST_REQUIRE(rt.call(req(pid, admin, CreateRecord{"1970-05-05", "MA", false})).outcome == Outcome::kOk);
  BOOST_REQUIRE(rt.call(req(pid, admin, AddCareRelationship{"doc", 0})).outcome == Outcome::kOk);
  for (int i = 0; i < n; ++i) {
    auto r = rt.call(req(pid, who("doc", Role::kClinician), med("med-" + std::to_string(i), "drug" + std::to_string(i))));
    BOOST_REQUIRE_MESSAGE(r.error.is_ok() && r.outcome == Outcome::kOk, r.error.to_string() << " " << r.reason);
  }
}

RecordReply view(Runtime& rt, const std::string& pid, const std::string& user = "doc") {
  return rt.call(req(pid, who(user, Role::kClinician), ViewSection{Section::kMedications, "treatment"}));
}

size_t count_type(TestLog& t, const std::string& stream, const std::string& type) {
  auto evs = t.log->read_stream(stream);
  BOOST_REQUIRE(evs.is_ok());
  size_t n = 0;
  for (const auto& e : *evs) n += e.header.type == type;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(recovered_record_equals_the_record_before_restart) {
  TestLog t;
  RecordReply before;
  {
    Runtime rt(*t.log, t.clock);
    seed(rt, "pt-1", 5);
    before = view(rt, "pt-1");
    BOOST_REQUIRE(before.outcome == Outcome::kOk);
  }
  t.reopen();
  Runtime rt(*t.log, t.clock);
  RecordReply after = view(rt, "pt-1");
  BOOST_REQUIRE(after.outcome == Outcome::kOk);
  BOOST_CHECK(after.view.medications == before.view.medications);
  BOOST_CHECK_EQUAL(after.version, before.version + 1);  // one more RecordViewed
  BOOST_CHECK_EQUAL(after.view.medications.size(), 5u);
}

BOOST_AUTO_TEST_CASE(lru_passivation_and_reactivation_keep_state) {
  TestLog t;
  RuntimeOptions o;
  o.max_live_records = 2;
  Runtime rt(*t.log, t.clock, o);
  for (int i = 0; i < 5; ++i) seed(rt, "pt-" + std::to_string(i), 1);
  auto s = rt.stats();
  BOOST_CHECK_LE(s.live, 2u);
  BOOST_CHECK_GE(s.passivated, 3u);
  // pt-0 was passivated long ago; it comes back with its state and continues its version.
  auto r = view(rt, "pt-0");
  BOOST_REQUIRE(r.outcome == Outcome::kOk);
  BOOST_CHECK_EQUAL(r.view.medications.size(), 1u);
  BOOST_CHECK_EQUAL(r.version, 4u);  // created, care, medication, viewed
  BOOST_CHECK(events::verify_log(*t.log)->ok());
}

BOOST_AUTO_TEST_CASE(idle_records_are_passivated_on_the_simulated_clock) {
  TestLog t;
  RuntimeOptions o;
  o.idle_us = 60'000'000;
  o.sweep_every = std::chrono::milliseconds(10);
  Runtime rt(*t.log, t.clock, o);
  seed(rt, "pt-1", 1);
  seed(rt, "pt-2", 1);
  BOOST_CHECK_EQUAL(rt.stats().live, 2u);
  t.clock.advance_us(61'000'000);
  for (int i = 0; i < 200 && rt.stats().live > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_CHECK_EQUAL(rt.stats().live, 0u);
  BOOST_CHECK(view(rt, "pt-2").outcome == Outcome::kOk);
}

BOOST_AUTO_TEST_CASE(concurrent_commands_to_one_record_are_serialized_and_all_recorded) {
  TestLog t;
  Runtime rt(*t.log, t.clock);
  seed(rt, "pt-1", 2);
  constexpr int kThreads = 6, kEach = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < kEach; ++j) {
        auto r = (j % 4 == 0) ? rt.call(req("pt-1", who("doc", Role::kClinician),
                                            med("m" + std::to_string(i) + "-" + std::to_string(j), "x")))
                              : view(rt, "pt-1");
        ok += r.error.is_ok() && r.outcome == Outcome::kOk;
      }
    });
  for (auto& th : threads) th.join();
  BOOST_CHECK_EQUAL(ok.load(), kThreads * kEach);
  BOOST_CHECK_EQUAL(count_type(t, "record/pt-1", "RecordViewed"), static_cast<size_t>(kThreads * kEach * 3 / 4));
  BOOST_CHECK_EQUAL(count_type(t, "record/pt-1", "MedicationAdded"), static_cast<size_t>(2 + kThreads * kEach / 4));
  BOOST_CHECK(events::verify_log(*t.log)->ok());
}

// Reads of one record are pipelined (each decided before the previous commit lands): every
// reply still carries its own stream version, in a contiguous run, and the record the store
// gives back after a restart is the one the replies saw.
BOOST_AUTO_TEST_CASE(pipelined_reads_of_one_record_keep_one_version_each_and_survive_restart) {
  TestLog t;
  std::vector<uint64_t> versions;
  uint64_t seeded = 0;
  {
    Runtime rt(*t.log, t.clock);
    seed(rt, "pt-1", 2);
    seeded = view(rt, "pt-1").version;
    std::mutex mu;
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
      threads.emplace_back([&] {
        for (int j = 0; j < 25; ++j) {
          auto r = view(rt, "pt-1");
          BOOST_REQUIRE(r.error.is_ok() && r.outcome == Outcome::kOk);
          BOOST_REQUIRE_EQUAL(r.view.medications.size(), 2u);
          std::lock_guard lock(mu);
          versions.push_back(r.version);
        }
      });
    for (auto& th : threads) th.join();
  }
  std::sort(versions.begin(), versions.end());
  BOOST_REQUIRE_EQUAL(versions.size(), 200u);
  for (size_t i = 0; i < versions.size(); ++i) BOOST_CHECK_EQUAL(versions[i], seeded + 1 + i);
  t.reopen();
  Runtime rt(*t.log, t.clock);
  BOOST_CHECK_EQUAL(view(rt, "pt-1").version, seeded + 201);
  BOOST_CHECK(events::verify_log(*t.log)->ok());
}

BOOST_AUTO_TEST_CASE(no_data_leaves_a_record_unless_its_view_is_durable) {
  testkit::register_fault_vfs();
  TestLog t("rxp-fault");
  Runtime rt(*t.log, t.clock);
  seed(rt, "pt-1", 3);
  size_t shown = 0;
  for (int round = 0; round < 6; ++round) {
    testkit::fault_vfs_fail_after(round % 3, round % 2 ? SQLITE_FULL : SQLITE_IOERR_WRITE);
    auto failed = view(rt, "pt-1");
    testkit::fault_vfs_clear();
    BOOST_CHECK(!failed.error.is_ok());
    BOOST_CHECK(failed.view.medications.empty());  // nothing shown without its RecordViewed
    auto r = view(rt, "pt-1");                       // the record recovers and goes on
    BOOST_REQUIRE_MESSAGE(r.error.is_ok(), r.error.to_string());
    BOOST_CHECK_EQUAL(r.view.medications.size(), 3u);
    ++shown;
  }
  BOOST_CHECK_EQUAL(count_type(t, "record/pt-1", "RecordViewed"), shown);
}

BOOST_AUTO_TEST_CASE(unknown_patient_is_answered_like_a_forbidden_one_and_creates_no_record) {
  TestLog t;
  Runtime rt(*t.log, t.clock);
  seed(rt, "pt-1", 1);
  auto forbidden = view(rt, "pt-1", "doc-other");
  auto unknown = view(rt, "pt-404", "doc-other");
  BOOST_CHECK(forbidden.outcome == Outcome::kForbidden);
  BOOST_CHECK(unknown.outcome == forbidden.outcome);
  BOOST_CHECK(unknown.view.medications.empty());
  BOOST_CHECK(t.store->read_stream("record/pt-404", 1, 10)->empty());
  BOOST_CHECK_EQUAL(count_type(t, "denials/doc-other", "AccessDenied"), 1u);
  BOOST_CHECK_EQUAL(count_type(t, "record/pt-1", "AccessDenied"), 1u);
  auto bad_id = view(rt, "../../etc/passwd", "doc-other");
  BOOST_CHECK(bad_id.outcome == Outcome::kForbidden);
}

BOOST_AUTO_TEST_CASE(shutdown_with_commands_in_flight_neither_crashes_nor_hangs) {
  TestLog t;
  std::atomic<int> answered{0};
  {
    Runtime rt(*t.log, t.clock);
    seed(rt, "pt-1", 1);
    for (int i = 0; i < 200; ++i)
      rt.send(req("pt-" + std::to_string(i % 7), who("doc", Role::kClinician), ViewSection{}),
              [&](RecordReply) { ++answered; });
  }  // destroyed with commands queued for live, recovering and passivating records
  BOOST_CHECK_LE(answered.load(), 200);
  BOOST_CHECK(events::verify_log(*t.log)->ok());
}

BOOST_AUTO_TEST_CASE(recovery_from_a_snapshot_equals_full_replay_and_survives_a_bad_snapshot) {
  TestLog t;
  RecordReply before;
  {
    Runtime rt(*t.log, t.clock);
    seed(rt, "pt-1", 130);  // past the snapshot interval
    before = view(rt, "pt-1");
  }
  auto snap = t.store->load_snapshot("record/pt-1");
  BOOST_REQUIRE(snap.is_ok() && snap->has_value());
  BOOST_CHECK_GE((*snap)->version, 100u);
  // The snapshot is encrypted: the medication names are not in it in the clear.
  std::string ct((*snap)->ciphertext.begin(), (*snap)->ciphertext.end());
  BOOST_CHECK(ct.find("drug7") == std::string::npos);
  auto check_recovers = [&](const char* what) {
    t.reopen();
    Runtime rt(*t.log, t.clock);
    auto after = view(rt, "pt-1");
    BOOST_REQUIRE_MESSAGE(after.error.is_ok(), what << ": " << after.error.to_string());
    BOOST_CHECK_MESSAGE(after.view.medications == before.view.medications, what);
    BOOST_CHECK_EQUAL(after.view.medications.size(), 130u);
  };
  check_recovers("from snapshot");
  // A damaged snapshot, and one of a schema this build does not know, fall back to replay.
  events::SnapshotRow damaged = **snap;
  damaged.ciphertext[10] ^= 1;
  BOOST_REQUIRE(t.store->save_snapshot(damaged).is_ok());
  check_recovers("damaged snapshot");
  // Properly encrypted, but of a schema this build does not know, or not a record state.
  Bytes garbage{1, 2, 3, 4};
  BOOST_REQUIRE(t.log->save_snapshot("record/pt-1", (*snap)->version, 99, garbage).is_ok());
  check_recovers("unknown snapshot schema");
  BOOST_REQUIRE(t.log->save_snapshot("record/pt-1", (*snap)->version, 1, garbage).is_ok());
  check_recovers("undecodable snapshot");
  BOOST_CHECK(events::verify_log(*t.log)->ok());
}
