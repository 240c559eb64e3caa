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
#include "tests/testkit/testkit.hpp"

namespace {

using rxp::testkit::TempDir;

// A running `rxportal serve`, its stdout read until it names its address.
struct Served {
  pid_t pid = -1;
  int out = -1;
  std::string printed;

  explicit Served(const std::vector<std::string>& args) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      std::string bin = rxp::testkit::rxportal_bin();
      argv.push_back(bin.data());
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
  }
  ~Served() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
  }
  // Reads stdout until `pattern` matches (or EOF / 20 s).
  std::smatch wait_for(const std::regex& pattern) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::smatch m;
    while (!std::regex_search(printed, m, pattern) && std::chrono::steady_clock::now() < deadline) {
      char buf[512];
      ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) break;
      printed.append(buf, static_cast<size_t>(n));
    }
    std::regex_search(printed, m, pattern);
    return m;
  }
  int stop(int sig) {
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

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
