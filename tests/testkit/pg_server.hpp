// A throw-away PostgreSQL 15 server for tests: initdb in a temp directory, a free loopback
// port, the unix socket inside the temp directory, fsync on. Stopped (and its directory
// removed) by the destructor. Tests use only servers they started.
//
// As root, initdb and pg_ctl run as the `postgres` user (PostgreSQL refuses root).
// Throws std::runtime_error when the server cannot be set up (tests report it as a failure).
// Thread-safety: none; one test thread drives it.
#pragma once

#include <string>

#include "tests/testkit/testkit.hpp"

namespace rxp::testkit {

class PgServer {
 public:
  PgServer();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // URL of the default database `postgres`.
  std::string url() const { return url_for("postgres"); }
  std::string url_for(const std::string& database) const;
  // Creates an empty database and returns its URL: one per test keeps tests independent.
  std::string fresh_database();
  int port() const { return port_; }

  // Fault tests: stop (immediately, like a crash, or a clean fast shutdown) and start again
  // on the same port. After a crash, start() runs PostgreSQL's recovery.
  void stop(bool crash = true);
  void start();
  bool running() const { return running_; }

 private:
  void run(const std::string& command, const char* what) const;
  std::string as_owner(const std::string& command) const;

  TempDir dir_;
  int port_ = 0;
  bool running_ = false;
  int databases_ = 0;
};

// The directory of PostgreSQL 15's server programs (initdb, pg_ctl).
std::string pg_bin_dir();

}  // namespace rxp::testkit
