// A running `rxportal serve` (the real binary, RXPORTAL_BIN) for the CLI tests of serve: its
// stdout is read until it names its address; stop() signals it and returns its exit code.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "tests/testkit/testkit.hpp"

namespace rxp::testkit {

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
      std::string bin = rxportal_bin();
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
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;

  // Reads stdout until `pattern` matches (or EOF / 20 s). The match refers into `printed`.
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
  // The port it serves on, once printed (0 at EOF or after 20 s).
  uint16_t port() {
    static const std::regex kServing(R"(serving https://127\.0\.0\.1:(\d+))");
    auto m = wait_for(kServing);
    return m.empty() ? 0 : static_cast<uint16_t>(std::stoi(m[1].str()));
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

}  // namespace rxp::testkit
