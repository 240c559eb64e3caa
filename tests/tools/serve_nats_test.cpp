// rxportal serve --bus nats --nats URL against a real nats-server -js started here: the
// committed events of the data directory reach the JetStream stream, every position once;
// --bus / --nats misuse is a usage error (exit 2) that never repeats the URL.
#define BOOST_TEST_MODULE serve_nats_test
#include <boost/test/unit_test.hpp>

#include "tests/api/served.hpp"
#include "tests/projections/feed_fixtures.hpp"
#include "tests/tools/cli_helpers.hpp"

using namespace rxp::clitest;
using namespace rxp::testkit;

namespace {
// NATS.c's library threads are stopped before the process exits (not during exit handlers).
struct NatsLibrary {
  ~NatsLibrary() { nats_Close(); }
};
}  // namespace
BOOST_TEST_GLOBAL_FIXTURE(NatsLibrary);

BOOST_AUTO_TEST_CASE(serve_publishes_the_log_to_jetstream) {
  NatsServer nats;
  TempDir tmp;
  std::string data = tmp.path() + "/data";
  CommandResult init = Rx("init --data " + Quote(data) + " --demo");
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, Describe(init));
  CommandResult replay = Rx("replay --data " + Quote(data));
  BOOST_REQUIRE_EQUAL(replay.exit_code, 0);
  uint64_t events = Lines(replay.out).size();
  BOOST_REQUIRE_GT(events, 0u);

  Served s({"serve", "--data", data, "--listen", "127.0.0.1:0", "--bus", "nats", "--nats", nats.url()});
  BOOST_REQUIRE_GT(s.port(), 0);
  StreamReader reader(nats.url());
  // serve itself may append (alerts, sweeps): at least the events before it started, all once.
  BOOST_CHECK(eventually([&] {
    auto p = reader.positions();
    return p.size() >= events && p.begin()->first == 1 && p.rbegin()->first == p.size();
  }));
  BOOST_CHECK_EQUAL(s.stop(SIGTERM), 0);
}

BOOST_AUTO_TEST_CASE(bus_misuse_is_a_usage_error) {
  TempDir tmp;
  std::string data = tmp.path() + "/data";
  BOOST_REQUIRE_EQUAL(Rx("init --data " + Quote(data)).exit_code, 0);
  std::string d = " --data " + Quote(data) + " --listen 127.0.0.1:0";
  CommandResult r = Rx("serve" + d + " --bus kafka");
  BOOST_CHECK_EQUAL(r.exit_code, 2);
  BOOST_CHECK(r.err.find("--bus") != std::string::npos);
  r = Rx("serve" + d + " --bus nats");
  BOOST_CHECK_EQUAL(r.exit_code, 2);
  BOOST_CHECK(r.err.find("--nats") != std::string::npos);
  r = Rx("serve" + d + " --nats nats://127.0.0.1:4222");
  BOOST_CHECK_EQUAL(r.exit_code, 2);
  r = Rx("serve" + d + " --bus nats --nats http://user:secret@host");
  BOOST_CHECK_EQUAL(r.exit_code, 2);
  BOOST_CHECK(r.err.find("secret") == std::string::npos);
}
