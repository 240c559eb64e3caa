// A throw-away nats-server for tests: Debian's binary on 127.0.0.1, a free port, its own temp
// directory (JetStream store under it when enabled). Stopped (SIGTERM, waited for) on
// destruction. kill9() / restart() / wipe_store() are the fault injections of the feed tests:
// a restart keeps the port and the store directory unless it was wiped.
// Throws std::runtime_error when the server is missing or never accepts connections (a test
// setup failure, not an assertion). Thread-safety: one test thread.
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/testkit/testkit.hpp"

namespace rxp::testkit {

class NatsServer {
 public:
  explicit NatsServer(bool jetstream = true);
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  std::string store_dir() const { return dir_.path() + "/js"; }
  bool running() const { return pid_ > 0; }

  void start();       // on the same port and store directory; waits until it accepts clients
  void stop();        // SIGTERM, waited for
  void kill9();       // SIGKILL, waited for: whatever it had not synced to disk is gone
  void wipe_store();  // the server must be stopped: its JetStream store is deleted

 private:
  void signal_and_wait(int sig);
  bool jetstream_;
  TempDir dir_;
  int port_ = 0;
  std::string url_;
  pid_t pid_ = -1;
};

// A loopback TCP port nobody listens on right now.
int free_loopback_port();
// Path of nats-server, or "" when not installed.
std::string nats_server_binary();

}  // namespace rxp::testkit
