#include "tests/testkit/pg_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "events/pg_conn.hpp"

namespace rxp::testkit {
namespace {

// A free loopback port: bind to port 0 and read back what the kernel chose.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

std::string pg_bin_dir() {
  if (const char* d = std::getenv("RXP_PG_BIN")) return d;
  return "/usr/lib/postgresql/15/bin";
}

std::string PgServer::as_owner(const std::string& command) const {
  if (::geteuid() != 0) return command;
  std::string c = "runuser -u postgres -- ";
  c += command;
  return c;
}

void PgServer::run(const std::string& command, const char* what) const {
  std::string log = dir_.path() + "/cmd.log";
  std::string full = as_owner(command);
  full += " >";
  full += log;
  full += " 2>&1";
  if (std::system(full.c_str()) != 0) {
    std::string msg = what;
    msg += " failed: ";
    msg += slurp(log);
    msg += slurp(dir_.path() + "/server.log");
    throw std::runtime_error(msg);
  }
}

PgServer::PgServer() {
  if (::geteuid() == 0) {
    std::string chown = "chown postgres:postgres " + dir_.path();
    if (std::system(chown.c_str()) != 0) throw std::runtime_error("cannot chown the PostgreSQL directory");
  }
  std::string initdb = pg_bin_dir();
  initdb += "/initdb -D ";
  initdb += dir_.path();
  initdb += "/data -A trust -U postgres -E UTF8 --no-instructions --no-sync";
  run(initdb, "initdb");
  port_ = free_port();
  start();
}

PgServer::~PgServer() {
  try {
    stop();
  } catch (...) {
  }
}

std::string PgServer::url_for(const std::string& database) const {
  std::string u = "postgresql://postgres@127.0.0.1:";
  u += std::to_string(port_);
  u += "/";
  u += database;
  return u;
}

void PgServer::start() {
  if (running_) return;
  // fsync on: the store's durability is part of what the tests exercise.
  std::string c = pg_bin_dir();
  c += "/pg_ctl -D " + dir_.path();
  c += "/data -l ";
  c += dir_.path();
  c += "/server.log -w -t 60 -o '-c port=";
  c += std::to_string(port_);
  c += " -c listen_addresses=127.0.0.1 -c unix_socket_directories=";
  c += dir_.path();
  c += " -c fsync=on -c synchronous_commit=on -c max_connections=60' start";
  run(c, "pg_ctl start");
  running_ = true;
}

void PgServer::stop(bool crash) {
  if (!running_) return;
  running_ = false;
  std::string c = pg_bin_dir();
  c += "/pg_ctl -D ";
  c += dir_.path();
  c += crash ? "/data -m immediate -w stop" : "/data -m fast -w stop";
  run(c, "pg_ctl stop");
}

std::string PgServer::fresh_database() {
  std::string name = "t" + std::to_string(++databases_);
  events::pg::PgConn c;
  if (Status st = c.connect(url()); !st) throw std::runtime_error(st.to_string());
  std::string sql = "CREATE DATABASE " + name;
  if (Status st = c.exec(sql.c_str(), "create database"); !st) throw std::runtime_error(st.to_string());
  return url_for(name);
}

}  // namespace rxp::testkit
