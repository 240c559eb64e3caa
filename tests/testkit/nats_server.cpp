#include "tests/testkit/nats_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace rxp::testkit {
namespace {

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (ok) {
    // nats-server greets every client with INFO once it serves (JetStream is enabled by then).
    char buf[4];
    ok = ::recv(fd, buf, sizeof buf, 0) == 4 && std::string(buf, 4) == "INFO";
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::string nats_server_binary() {
  for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

NatsServer::NatsServer(bool jetstream) : jetstream_(jetstream) {
  port_ = free_loopback_port();
  url_ = "nats://127.0.0.1:" + std::to_string(port_);
  start();
}

NatsServer::~NatsServer() { stop(); }

void NatsServer::start() {
  if (pid_ > 0) return;
  std::string bin = nats_server_binary();
  if (bin.empty()) throw std::runtime_error("nats-server is not installed (scripts/install-deps.sh installs it)");
  std::string port = std::to_string(port_), log = dir_.path() + "/nats.log", store = store_dir();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (::chdir(dir_.path().c_str()) != 0) _exit(127);
    if (jetstream_)
      ::execl(bin.c_str(), "nats-server", "-a", "127.0.0.1", "-p", port.c_str(), "-l", log.c_str(), "-js",
              "-sd", store.c_str(), static_cast<char*>(nullptr));
    else
      ::execl(bin.c_str(), "nats-server", "-a", "127.0.0.1", "-p", port.c_str(), "-l", log.c_str(),
              static_cast<char*>(nullptr));
    _exit(127);
  }
  // Ready when it greets a client (a bounded number of attempts, no timing assertion).
  for (int i = 0; i < 800; ++i) {
    if (accepts(port_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited (e.g. the port was taken)
      pid_ = -1;
      throw std::runtime_error("nats-server exited at start; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  stop();
  throw std::runtime_error("nats-server did not accept connections on " + url_);
}

void NatsServer::signal_and_wait(int sig) {
  if (pid_ <= 0) return;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void NatsServer::stop() { signal_and_wait(SIGTERM); }
void NatsServer::kill9() { signal_and_wait(SIGKILL); }

void NatsServer::wipe_store() {
  if (pid_ > 0) throw std::runtime_error("wipe_store needs the server stopped");
  std::error_code ec;
  std::filesystem::remove_all(store_dir(), ec);
}

}  // namespace rxp::testkit
