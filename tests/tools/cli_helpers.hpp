// What the command-line tests share: running the real binary (RXPORTAL_BIN) through /bin/sh,
// describing a result for a failure message, and the check every usage error must pass (exit
// code, one line on stderr naming the argument, nothing on stdout).
#pragma once

#include <boost/test/unit_test.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testkit/testkit.hpp"

namespace rxp::clitest {

using rxp::testkit::CommandResult;

// Single-quotes a word for /bin/sh.
inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `rxportal <args>`; `args` is already shell-quoted where needed.
inline CommandResult Rx(const std::string& args) {
  return rxp::testkit::run_command(Quote(rxp::testkit::rxportal_bin()) + " " + args);
}

inline std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "; stdout: [" + r.out.substr(0, 400) +
         "]; stderr: [" + r.err + "]";
}

inline std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

inline size_t LineCount(const std::string& s) { return Lines(s).size(); }

// A refusal: `code`, one "rxportal: ..." line on stderr that contains `names`, empty stdout.
inline void CheckExit(const CommandResult& r, int code, const std::string& names) {
  BOOST_TEST_CONTEXT(Describe(r)) {
    BOOST_CHECK_EQUAL(r.exit_code, code);
    BOOST_CHECK_MESSAGE(r.err.find(names) != std::string::npos, "stderr should name " << names);
    BOOST_CHECK_EQUAL(Lines(r.err).size(), 1u);
    BOOST_CHECK(r.err.rfind("rxportal: ", 0) == 0u);
    BOOST_CHECK(r.out.empty());
  }
}

}  // namespace rxp::clitest
