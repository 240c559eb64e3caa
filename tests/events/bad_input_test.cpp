// Bad input the event core must survive with a clear, typed error and nothing lost.
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "events/verify.hpp"
#include "infra/secure.hpp"
#include "tests/testkit/fault_vfs.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::testkit::one;
using rxp::testkit::TempDir;
using rxp::testkit::TestLog;

namespace {

void fill(TestLog& t, int n) {
  for (int i = 0; i < n; ++i)
    BOOST_REQUIRE(t.log->append(one("record/p" + std::to_string(i % 5), RecordViewed{"s", "p"})).is_ok());
}

Result<std::unique_ptr<EventStore>> open_rw(const std::string& path) {
  return open_sqlite_store({path, false, false, ""});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_database_is_refused_as_corruption) {
  TempDir dir;
  std::string path = dir.path() + "/events.db";
  {
    std::ofstream f(path, std::ios::binary);
    Bytes junk(8192);
    secure_random(junk.data(), junk.size());
    f.write(reinterpret_cast<const char*>(junk.data()), static_cast<std::streamsize>(junk.size()));
  }
  auto s = open_rw(path);
  BOOST_REQUIRE(!s.is_ok());
  BOOST_CHECK(s.status().code() == ErrorCode::kCorruption);
  auto ro = open_sqlite_store({path, false, true, ""});
  BOOST_CHECK(ro.status().code() == ErrorCode::kCorruption);
  // Another application's SQLite database is not an event store either.
  std::string other = dir.path() + "/other.db";
  sqlite3* db = nullptr;
  sqlite3_open(other.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE patients(name TEXT)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  BOOST_CHECK(open_rw(other).status().code() == ErrorCode::kCorruption);
  // A missing store is not silently created.
  BOOST_CHECK(open_rw(dir.path() + "/none.db").status().code() == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(a_truncated_database_is_reported_not_crashed_on) {
  TestLog t;
  fill(t, 2000);  // several pages of events
  t.close();
  // Fold the WAL into the main file, then cut the file in half.
  {
    sqlite3* db = nullptr;
    sqlite3_open(t.db_path().c_str(), &db);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto size = std::filesystem::file_size(t.db_path());
  std::filesystem::resize_file(t.db_path(), size / 2);
  auto s = open_sqlite_store({t.db_path(), false, true, ""});
  if (!s.is_ok()) {
    BOOST_CHECK(s.status().code() == ErrorCode::kCorruption);
    return;
  }
  auto keys = KeyRing::open(t.key_path());
  BOOST_REQUIRE(keys.is_ok());
  EventLog log(**s, *keys, t.clock);
  auto rep = verify_log(log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK(!rep->ok());
  BOOST_TEST_MESSAGE("truncated store: " << rep->failure->reason);
}

BOOST_AUTO_TEST_CASE(a_key_file_from_another_installation_is_a_key_error) {
  TestLog t;
  fill(t, 5);
  t.close();
  std::filesystem::remove(t.key_path());
  BOOST_REQUIRE(KeyRing::create(t.key_path()).is_ok());  // same path, different KEK
  t.reopen(true);
  auto rep = verify_log(*t.log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_REQUIRE(!rep->ok());
  BOOST_CHECK_EQUAL(rep->failure->position, 1u);
  BOOST_CHECK(rep->failure->reason.find("unknown KEK") != std::string::npos);
  auto read = t.log->read_stream("record/p0");
  BOOST_CHECK(read.status().code() == ErrorCode::kKeyError);
}

BOOST_AUTO_TEST_CASE(unknown_event_type_or_schema_is_a_typed_error_naming_the_position) {
  TestLog t;
  fill(t, 3);
  // A newer rxportal wrote an event type (and a schema) this build does not know.
  PendingEvent future;
  future.payload = {"PrescriptionTeleported", 1, Bytes{1, 2, 3}};
  future.principal = testkit::test_principal();
  BOOST_REQUIRE(t.log->append({"record/p9", kAnyVersion, {future}}).is_ok());
  PendingEvent newer_schema;
  newer_schema.payload = encode(RecordViewed{"s", "p"});
  newer_schema.payload.schema_version = 9;
  newer_schema.principal = testkit::test_principal();
  BOOST_REQUIRE(t.log->append({"record/p8", kAnyVersion, {newer_schema}}).is_ok());

  auto r = t.log->read_stream("record/p9");
  BOOST_CHECK(r.status().code() == ErrorCode::kUnknownType);
  BOOST_CHECK(r.status().message().find("position 4") != std::string::npos);
  BOOST_CHECK(t.log->read_stream("record/p8").status().code() == ErrorCode::kUnknownType);
  auto rep = verify_log(*t.log);
  BOOST_REQUIRE(!rep->ok());
  BOOST_CHECK_EQUAL(rep->failure->position, 4u);
}

BOOST_AUTO_TEST_CASE(missing_fields_and_bad_ids_are_refused_before_anything_is_written) {
  TestLog t;
  BOOST_CHECK(t.log->append({"record/p1", kAnyVersion, {}}).status().code() == ErrorCode::kInvalidArgument);
  auto bad_principal = one("record/p1", RecordViewed{"s", "p"});
  bad_principal.events[0].principal.user_id = "Jane Doe";
  BOOST_CHECK(t.log->append(bad_principal).status().code() == ErrorCode::kInvalidArgument);
  auto bad_role = one("record/p1", RecordViewed{"s", "p"});
  bad_role.events[0].principal.role = "root";
  BOOST_CHECK(t.log->append(bad_role).status().code() == ErrorCode::kInvalidArgument);
  BOOST_CHECK(t.log->append(one("record/", RecordViewed{"s", "p"})).status().code() == ErrorCode::kInvalidArgument);
  BOOST_CHECK_EQUAL(t.store->head_position().value(), 0u);
}

// A write that fails in the middle of a batch (I/O error, then a full disk) leaves the batch
// all out, tells every caller, and the store keeps working afterwards.
BOOST_AUTO_TEST_CASE(failing_writes_leave_the_batch_all_out_and_the_caller_told) {
  testkit::register_fault_vfs();
  for (int error : {SQLITE_IOERR_WRITE, SQLITE_FULL}) {
    for (int after : {0, 1, 2, 5}) {
      TestLog t("rxp-fault");
      fill(t, 10);
      std::vector<AppendRequest> batch;
      for (int i = 0; i < 50; ++i)
        batch.push_back(one("record/q" + std::to_string(i % 7), RecordViewed{std::string(300, 'x'), "p"}));
      testkit::fault_vfs_fail_after(after, error);
      auto results = t.log->append_batch(batch);
      testkit::fault_vfs_clear();
      for (const auto& r : results) {
        BOOST_CHECK_MESSAGE(!r.is_ok(), "error " << error << " after " << after << ": acknowledged");
        if (!r.is_ok()) BOOST_CHECK(r.status().code() == ErrorCode::kIo);
      }
      // Nothing of the batch is visible, before or after a restart; the old data is intact.
      BOOST_CHECK_EQUAL(t.store->head_position().value(), 10u);
      t.reopen();
      BOOST_CHECK_EQUAL(t.store->head_position().value(), 10u);
      auto rep = verify_log(*t.log);
      BOOST_REQUIRE(rep.is_ok());
      BOOST_CHECK_MESSAGE(rep->ok(), (rep->failure ? rep->failure->reason : std::string()));
      // The store still accepts appends, including to the streams of the failed batch: no
      // DEK from the rolled-back transaction is used.
      auto again = t.log->append_batch(batch);
      for (const auto& r : again) BOOST_CHECK(r.is_ok());
      t.reopen();
      BOOST_CHECK(verify_log(*t.log)->ok());
      BOOST_CHECK_EQUAL(t.store->head_position().value(), 60u);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_second_writer_process_is_refused_while_the_first_holds_the_store) {
  TestLog t;
  auto second = open_rw(t.db_path());
  BOOST_CHECK(second.status().code() == ErrorCode::kBusy);
  auto reader = open_sqlite_store({t.db_path(), false, true, ""});
  BOOST_CHECK(reader.is_ok());  // readers are always allowed
}

BOOST_AUTO_TEST_SUITE_END()
