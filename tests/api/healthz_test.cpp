// GET /healthz answers 200 only while the store takes writes: the real edge and runtime over a
// real SQLite store whose writes fail on demand (the fault-injecting VFS), no sockets.
#define BOOST_TEST_MODULE healthz
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <future>

#include "actors/runtime.hpp"
#include "api/edge.hpp"
#include "tests/actors/subjects.hpp"
#include "tests/testkit/fault_vfs.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using rxp::testkit::who;

namespace {

api::HttpResponse get(api::Edge& edge, const std::string& target) {
  api::HttpRequest r;
  r.method = "GET";
  r.target = target;
  r.source_ip = "127.0.0.1";
  std::promise<api::HttpResponse> answered;
  auto f = answered.get_future();
  edge.handle(std::move(r), [&answered](api::HttpResponse resp) { answered.set_value(std::move(resp)); });
  return f.get();
}

// One command that appends an event (a new record), so the journal commits.
actors::RecordReply create_record(actors::Runtime& rt, const std::string& pid) {
  return rt.call(actors::RecordRequest{pid, who("adm", policy::Role::kAdmin), "ses-1", "corr-1",
                                       record::CreateRecord{"1970-05-05", "MA", false}});
}

}  // namespace

BOOST_AUTO_TEST_CASE(healthz_is_503_while_the_store_fails_writes_and_200_once_a_commit_succeeds) {
  testkit::register_fault_vfs();
  testkit::TestLog t("rxp-fault");
  actors::Runtime rt(*t.log, t.clock);
  api::Edge edge(rt, t.clock);

  auto healthy = get(edge, "/healthz");
  BOOST_CHECK_EQUAL(healthy.status, 200);
  BOOST_CHECK_EQUAL(healthy.body, R"({"status":"ok"})");

  testkit::fault_vfs_fail_after(0, SQLITE_FULL);
  auto failed = create_record(rt, "pt-1");
  BOOST_REQUIRE(!failed.error.is_ok());  // the disk is "full": nothing written
  testkit::fault_vfs_clear();
  // The fault is gone but no commit has shown it yet: still unhealthy, with no detail leaked.
  auto sick = get(edge, "/healthz");
  BOOST_CHECK_EQUAL(sick.status, 503);
  BOOST_CHECK(sick.body.find("unavailable") != std::string::npos);
  BOOST_CHECK(sick.body.find("disk") == std::string::npos);
  BOOST_CHECK(sick.body.find("SQL") == std::string::npos);

  auto ok = create_record(rt, "pt-2");
  BOOST_REQUIRE_MESSAGE(ok.error.is_ok(), ok.error.to_string());
  BOOST_CHECK_EQUAL(get(edge, "/healthz").status, 200);
  edge.shutdown();
}

BOOST_AUTO_TEST_CASE(healthz_is_503_while_another_writer_holds_the_store) {
  testkit::TestLog t;
  actors::Runtime rt(*t.log, t.clock);
  api::Edge edge(rt, t.clock);
  BOOST_CHECK_EQUAL(get(edge, "/healthz").status, 200);
  {
    // A second connection holds the write lock (as a stuck writer would): the probe's
    // BEGIN IMMEDIATE gives up after the store's busy timeout and the answer is 503.
    sqlite3* other = nullptr;
    BOOST_REQUIRE_EQUAL(sqlite3_open(t.db_path().c_str(), &other), SQLITE_OK);
    BOOST_REQUIRE_EQUAL(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    BOOST_CHECK_EQUAL(get(edge, "/healthz").status, 503);
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
  }
  BOOST_CHECK_EQUAL(get(edge, "/healthz").status, 200);
  edge.shutdown();
}
