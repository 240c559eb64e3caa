#include "tests/testkit/testkit.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "infra/secure.hpp"

namespace rxp::testkit {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rxp-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestLog::TestLog(std::string v) : vfs(std::move(v)) {
  if (!secure_init()) throw std::runtime_error("sodium_init failed");
  auto k = events::KeyRing::create(key_path());
  if (!k) throw std::runtime_error(k.status().to_string());
  events::SqliteOptions o{db_path(), true, false, vfs};
  auto s = events::open_sqlite_store(o);
  if (!s) throw std::runtime_error(s.status().to_string());
  store = std::move(s.value());
  keys = std::make_unique<events::KeyRing>(std::move(k.value()));
  log = std::make_unique<events::EventLog>(*store, *keys, clock);
}

TestLog::~TestLog() { close(); }

void TestLog::close() {
  log.reset();
  store.reset();
  keys.reset();
}

void TestLog::reopen(bool read_only) {
  close();
  auto k = events::KeyRing::open(key_path());
  if (!k) throw std::runtime_error(k.status().to_string());
  events::SqliteOptions o{db_path(), false, read_only, vfs};
  auto s = events::open_sqlite_store(o);
  if (!s) throw std::runtime_error(s.status().to_string());
  store = std::move(s.value());
  keys = std::make_unique<events::KeyRing>(std::move(k.value()));
  log = std::make_unique<events::EventLog>(*store, *keys, clock);
}

events::Principal test_principal() { return {"usr-1", "clinician", "ses-1"}; }

events::AppendRequest one(const std::string& stream, const events::DomainEvent& e,
                          uint64_t expected) {
  return {stream, expected, {events::make_pending(e, test_principal(), "corr-1")}};
}

std::string rxportal_bin() {
  const char* b = std::getenv("RXPORTAL_BIN");
  return b ? b : "rxportal";
}

CommandResult run_command(const std::string& command_line) {
  TempDir tmp;
  std::string out = tmp.path() + "/out", err = tmp.path() + "/err";
  std::string full = command_line + " >" + out + " 2>" + err + " </dev/null";
  int rc = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace rxp::testkit
