// What scripts/run.sh and scripts/bench-http.sh rely on from `rxportal serve` (the real binary,
// RXPORTAL_BIN): Ctrl-C (SIGINT) stops it cleanly, as SIGTERM does (serve_cli_test), over a
// demo data directory; --rate-per-source lets one address make many requests, and is checked.
#define BOOST_TEST_MODULE serve_run
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <regex>

#include "tests/api/http_client.hpp"
#include "tests/api/served.hpp"
#include "tests/testkit/testkit.hpp"

namespace {

using rxp::testkit::TempDir;

using rxp::testkit::Served;

}  // namespace

BOOST_AUTO_TEST_CASE(serve_over_a_demo_directory_stops_cleanly_on_sigint) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  auto bin = rxp::testkit::rxportal_bin();
  auto init = rxp::testkit::run_command(bin + " init --data " + data + " --demo");
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);
  // Many requests from one address, more than the default bucket (burst 100) holds.
  Served s({"serve", "--data", data, "--listen", "127.0.0.1:0", "--rate-per-source", "100000"});
  uint16_t port = s.port();
  BOOST_REQUIRE_MESSAGE(port != 0, s.printed);
  rxp::testkit::HttpsClient c(port, data + "/tls/server.crt");
  int ok = 0;
  for (int i = 0; i < 300; ++i) ok += c.get("/healthz").status == 200;
  BOOST_CHECK_EQUAL(ok, 300);
  c.disconnect();
  BOOST_CHECK_EQUAL(s.stop(SIGINT), 0);
  BOOST_CHECK(s.printed.find("SIGINT, stopping") != std::string::npos);
  auto verify = rxp::testkit::run_command(bin + " verify --data " + data);
  BOOST_CHECK_MESSAGE(verify.exit_code == 0, verify.err);
}

BOOST_AUTO_TEST_CASE(rate_per_source_out_of_range_is_a_usage_error_naming_it) {
  TempDir dir;
  auto bin = rxp::testkit::rxportal_bin();
  for (const char* bad : {"0", "-5", "1e9"}) {
    auto r = rxp::testkit::run_command(bin + " serve --data " + dir.path() + " --rate-per-source " + bad);
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    BOOST_CHECK(r.err.find("--rate-per-source") != std::string::npos);
  }
}
