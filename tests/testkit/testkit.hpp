// Shared test fixtures: a temporary data directory with a real key file and SQLite store.
#pragma once

#include <memory>
#include <string>

#include "events/event_log.hpp"
#include "events/sqlite_store.hpp"

namespace rxp::testkit {

// A directory under /tmp removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A fresh key file + store + log in a temp directory; reopen() simulates a restart.
struct TestLog {
  explicit TestLog(std::string vfs = "");
  ~TestLog();
  void reopen(bool read_only = false);
  void close();
  std::string key_path() const { return dir.path() + "/rxportal.key"; }
  std::string db_path() const { return dir.path() + "/events.db"; }

  TempDir dir;
  std::string vfs;
  SimulatedClock clock{1764806400000000};  // 2025-12-04T00:00:00Z
  std::unique_ptr<events::EventStore> store;
  std::unique_ptr<events::KeyRing> keys;
  std::unique_ptr<events::EventLog> log;
};

// One-event append request for tests.
events::AppendRequest one(const std::string& stream, const events::DomainEvent& e,
                          uint64_t expected = events::kAnyVersion);
events::Principal test_principal();

// Runs a command line; returns the exit code, with stdout and stderr captured.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& command_line);
// The rxportal binary under test (RXPORTAL_BIN from CTest).
std::string rxportal_bin();

}  // namespace rxp::testkit
