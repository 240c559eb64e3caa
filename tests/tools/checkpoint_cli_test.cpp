// rxportal checkpoint create | export | prove and verify --witness, through the real binary:
// exit codes, the witness catching a truncated log that verify alone accepts, usage errors.
#define BOOST_TEST_MODULE checkpoint_cli
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/testkit/testkit.hpp"
#include "tests/tools/cli_helpers.hpp"

using namespace rxp::clitest;
using rxp::testkit::CommandResult;
using rxp::testkit::TempDir;

namespace {

void sql(const std::string& db_path, const std::string& statement) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE_EQUAL(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  BOOST_CHECK_EQUAL(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

BOOST_AUTO_TEST_CASE(create_export_and_witness_catch_a_truncated_log) {
  TempDir tmp;
  std::string data = tmp.path() + "/data", witness = tmp.path() + "/witness.json";
  CommandResult init = Rx("init --data " + Quote(data));
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, Describe(init));
  // Nothing to export before the first checkpoint.
  CheckExit(Rx("checkpoint export --data " + Quote(data) + " --out " + Quote(witness)), 1, "checkpoint");
  CommandResult create = Rx("checkpoint create --data " + Quote(data));
  BOOST_REQUIRE_MESSAGE(create.exit_code == 0, Describe(create));
  BOOST_CHECK(create.out.find("checkpoint: positions 1..") == 0u);
  CommandResult exp = Rx("checkpoint export --data " + Quote(data) + " --out " + Quote(witness));
  BOOST_REQUIRE_MESSAGE(exp.exit_code == 0, Describe(exp));
  std::ifstream f(witness);
  auto j = nlohmann::json::parse(f, nullptr, false);
  BOOST_REQUIRE(j.is_object());
  BOOST_CHECK_EQUAL(j["format"], "rxportal-checkpoint-v1");
  BOOST_CHECK_EQUAL(j["root"].get<std::string>().size(), 64u);
  BOOST_CHECK_EQUAL(j["signature"].get<std::string>().size(), 128u);
  BOOST_CHECK_EQUAL(j["public_key"].get<std::string>().size(), 64u);
  uint64_t size = j["tree_size"].get<uint64_t>();
  BOOST_REQUIRE_GE(size, 2u);

  CommandResult ok = Rx("verify --data " + Quote(data) + " --witness " + Quote(witness));
  BOOST_CHECK_MESSAGE(ok.exit_code == 0, Describe(ok));
  BOOST_CHECK(ok.out.find("1 signed checkpoints hold") != std::string::npos);
  BOOST_CHECK(ok.out.find("extends the witnessed checkpoint") != std::string::npos);

  CommandResult proof = Rx("checkpoint prove --data " + Quote(data) + " --position 1");
  BOOST_REQUIRE_MESSAGE(proof.exit_code == 0, Describe(proof));
  auto p = nlohmann::json::parse(proof.out, nullptr, false);
  BOOST_REQUIRE(p.is_object());
  BOOST_CHECK_EQUAL(p["position"], 1);
  BOOST_CHECK(p["proof"].is_array());
  CheckExit(Rx("checkpoint prove --data " + Quote(data) + " --position 0"), 2, "--position");
  CheckExit(Rx("verify --data " + Quote(data) + " --witness " + Quote(tmp.path() + "/none.json")), 2, "--witness");

  // Cut the tail, checkpoint included: every chain still holds, the witness does not.
  sql(data + "/events.db", "DELETE FROM events WHERE position >= " + std::to_string(size - 1));
  CommandResult plain = Rx("verify --data " + Quote(data));
  BOOST_CHECK_MESSAGE(plain.exit_code == 0, Describe(plain));
  CommandResult caught = Rx("verify --data " + Quote(data) + " --witness " + Quote(witness));
  BOOST_CHECK_MESSAGE(caught.exit_code == 3, Describe(caught));
  BOOST_CHECK(caught.err.find("truncated") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(init_demo_ends_with_a_checkpoint) {
  TempDir tmp;
  std::string data = tmp.path() + "/data";
  CommandResult init = Rx("init --data " + Quote(data) + " --demo");
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, Describe(init));
  CommandResult v = Rx("verify --data " + Quote(data));
  BOOST_CHECK_MESSAGE(v.exit_code == 0, Describe(v));
  BOOST_CHECK_MESSAGE(v.out.find("1 signed checkpoints hold") != std::string::npos, v.out);
}
