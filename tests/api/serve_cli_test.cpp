// `rxportal serve` as a user runs it: the real binary (RXPORTAL_BIN) over a fresh data
// directory, a self-signed certificate made on first run, a request over TLS, a clean stop on
// SIGTERM, and its usage errors.
#define BOOST_TEST_MODULE serve_cli
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <regex>
#include <thread>

#include "tests/api/http_client.hpp"
#include "tests/api/served.hpp"
#include "tests/testkit/testkit.hpp"

namespace {

using rxp::testkit::TempDir;

using rxp::testkit::Served;

}  // namespace

BOOST_AUTO_TEST_CASE(serve_makes_a_certificate_answers_over_tls_and_stops_on_sigterm) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  auto init = rxp::testkit::run_command(rxp::testkit::rxportal_bin() + " init --data " + data);
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);
  Served s({"serve", "--data", data, "--listen", "127.0.0.1:0"});
  static const std::regex kServing(R"(serving https://127\.0\.0\.1:(\d+))");
  auto m = s.wait_for(kServing);
  BOOST_REQUIRE_MESSAGE(!m.empty(), s.printed);
  auto port = static_cast<uint16_t>(std::stoi(m[1].str()));
  BOOST_CHECK(s.printed.find("/v1/auth/login") != std::string::npos);  // says how to log in
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat((data + "/tls/server.key").c_str(), &st), 0);
  BOOST_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  rxp::testkit::HttpsClient c(port, data + "/tls/server.crt");
  auto health = c.get("/healthz");
  BOOST_CHECK_EQUAL(health.status, 200);
  auto login = c.post("/v1/auth/login", {{"username", "nobody"}, {"password", "nothing at all here"}});
  BOOST_CHECK_EQUAL(login.status, 401);
  // Loopback may read the metrics: the projections' lag is among them, and no user name.
  auto metrics = c.get("/metrics");
  BOOST_CHECK_EQUAL(metrics.status, 200);
  BOOST_CHECK(metrics.body.find("rxportal_projection_lag_events{projection=\"disclosures\"}") != std::string::npos);
  BOOST_CHECK(metrics.body.find("rxportal_alerts_raised_total") != std::string::npos);
  BOOST_CHECK(metrics.body.find("nobody") == std::string::npos);
  c.disconnect();
  BOOST_CHECK_EQUAL(s.stop(SIGTERM), 0);
  // The store was closed cleanly: it verifies.
  auto verify = rxp::testkit::run_command(rxp::testkit::rxportal_bin() + " verify --data " + data);
  BOOST_CHECK_MESSAGE(verify.exit_code == 0, verify.err);
}

BOOST_AUTO_TEST_CASE(serve_usage_errors_name_the_argument) {
  TempDir dir;
  auto bin = rxp::testkit::rxportal_bin();
  auto bad_listen = rxp::testkit::run_command(bin + " serve --data " + dir.path() + " --listen nowhere");
  BOOST_CHECK_EQUAL(bad_listen.exit_code, 2);
  BOOST_CHECK(bad_listen.err.find("--listen") != std::string::npos);
  auto half = rxp::testkit::run_command(bin + " serve --data " + dir.path() + " --cert /tmp/x.pem");
  BOOST_CHECK_EQUAL(half.exit_code, 2);
  BOOST_CHECK(half.err.find("--key") != std::string::npos);
  auto help = rxp::testkit::run_command(bin + " serve --help");
  BOOST_CHECK_EQUAL(help.exit_code, 0);
  BOOST_CHECK(help.out.find("--listen") != std::string::npos);
}
