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
  // The port it serves on, once printed (0 at EOF or after 20 s).
  uint16_t port() {
    static const std::regex kServing(R"(serving https://127\.0\.0\.1:(\d+))");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::smatch m;
    while (!std::regex_search(printed, m, kServing) && std::chrono::steady_clock::now() < deadline) {
      char buf[512];
      ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) break;
      printed.append(buf, static_cast<size_t>(n));
    }
    return std::regex_search(printed, m, kServing) ? static_cast<uint16_t>(std::stoi(m[1].str())) : 0;
  }
  // Signals, waits for the exit, reads what it printed until then.
  int stop(int sig) {
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    char buf[512];
    for (ssize_t n; (n = ::read(out, buf, sizeof buf)) > 0;) printed.append(buf, static_cast<size_t>(n));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

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
