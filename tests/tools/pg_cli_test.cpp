// rxportal init|verify|replay|serve --pg URL, run as the real binary against a throw-away
// PostgreSQL server this test starts: the events go to PostgreSQL, the key file stays under
// --data, and a server that cannot be reached is a one-line error with exit 1, never a crash.
#define BOOST_TEST_MODULE pg_cli_test
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/testkit/pg_server.hpp"
#include "tests/tools/cli_helpers.hpp"

namespace {

using namespace rxp::clitest;
using rxp::testkit::CommandResult;
using rxp::testkit::PgServer;
using rxp::testkit::TempDir;

PgServer& server() {
  static PgServer s;
  return s;
}

// A URL on which nothing listens: a unix socket directory of our own that holds no server
// (a TCP port could belong to a server this test did not start).
std::string unreachable_url(const TempDir& tmp) {
  return "postgresql://postgres@/postgres?host=" + tmp.path();
}

}  // namespace

BOOST_AUTO_TEST_CASE(init_verify_and_replay_keep_the_events_in_postgresql) {
  TempDir tmp;
  std::string data = tmp.path() + "/data";
  std::string url = server().fresh_database();
  CommandResult init = Rx("init --data " + Quote(data) + " --pg " + Quote(url) + " --demo");
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, Describe(init));
  BOOST_CHECK(std::filesystem::exists(data + "/rxportal.key"));
  BOOST_CHECK(!std::filesystem::exists(data + "/events.db"));  // the events are in PostgreSQL

  CommandResult verify = Rx("verify --data " + Quote(data) + " --pg " + Quote(url));
  BOOST_REQUIRE_MESSAGE(verify.exit_code == 0, Describe(verify));
  BOOST_CHECK_MESSAGE(verify.out.rfind("ok: ", 0) == 0, Describe(verify));

  CommandResult replay = Rx("replay --data " + Quote(data) + " --pg " + Quote(url));
  BOOST_REQUIRE_MESSAGE(replay.exit_code == 0, Describe(replay));
  auto lines = Lines(replay.out);
  BOOST_REQUIRE(!lines.empty());
  uint64_t position = 0;
  for (const auto& line : lines) {
    auto j = nlohmann::json::parse(line);
    BOOST_CHECK_EQUAL(j.at("position").get<uint64_t>(), ++position);  // every event, in order
  }
  // verify's count is the replay's count.
  BOOST_CHECK_MESSAGE(verify.out.find("ok: " + std::to_string(lines.size()) + " events") == 0, Describe(verify));

  // Without --pg the same directory has no store: the events really are elsewhere.
  CommandResult sqlite = Rx("verify --data " + Quote(data));
  BOOST_CHECK_NE(sqlite.exit_code, 0);

  // A second init against the same database is refused: one event store per database.
  TempDir other;
  CommandResult again = Rx("init --data " + Quote(other.path() + "/data") + " --pg " + Quote(url));
  CheckExit(again, 2, "--pg");
  BOOST_CHECK(!std::filesystem::exists(other.path() + "/data/rxportal.key"));
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_is_a_one_line_error_and_exit_1) {
  TempDir tmp;
  std::string data = tmp.path() + "/data";
  std::string url = server().fresh_database();
  CommandResult init = Rx("init --data " + Quote(data) + " --pg " + Quote(url));
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, Describe(init));
  std::string down = unreachable_url(tmp);
  for (const char* cmd : {"verify", "replay", "serve --listen 127.0.0.1:18443"}) {
    CommandResult r = rxp::testkit::run_command("RXPORTAL_PG_CONNECT_ATTEMPTS=2 " +
                                                Quote(rxp::testkit::rxportal_bin()) + " " + cmd +
                                                " --data " + Quote(data) + " --pg " + Quote(down));
    CheckExit(r, 1, "gave up after 2 attempts");
    BOOST_CHECK_MESSAGE(r.err.find("cannot connect to PostgreSQL") != std::string::npos, Describe(r));
  }
  CommandResult bad = rxp::testkit::run_command("RXPORTAL_PG_CONNECT_ATTEMPTS=zero " +
                                                Quote(rxp::testkit::rxportal_bin()) + " verify --data " +
                                                Quote(data) + " --pg " + Quote(down));
  CheckExit(bad, 2, "RXPORTAL_PG_CONNECT_ATTEMPTS");
}
