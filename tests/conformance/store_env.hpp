// Store environments for the conformance suite: the same EventLog over each EventStore
// implementation, with a real key file. A test case is written once as a template over the
// environment type and runs against every store.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "events/event_log.hpp"
#include "events/pg_store.hpp"
#include "events/sqlite_store.hpp"
#include "infra/secure.hpp"
#include "tests/testkit/pg_server.hpp"
#include "tests/testkit/testkit.hpp"

namespace rxp::conformance {

// One throw-away PostgreSQL server for the whole test program; each environment gets its own
// database in it.
inline testkit::PgServer& shared_pg_server() {
  static testkit::PgServer server;
  return server;
}

class StoreEnv {
 public:
  virtual ~StoreEnv() = default;
  void reopen() {
    close();
    auto k = events::KeyRing::open(key_path());
    if (!k) throw std::runtime_error(k.status().to_string());
    keys = std::make_unique<events::KeyRing>(std::move(k.value()));
    open_log(false);
  }
  void close() {
    log.reset();
    store.reset();
    keys.reset();
  }
  // A second store on the same data (another process or node): for stores that allow it.
  virtual Result<std::unique_ptr<events::EventStore>> open_store(bool create) = 0;

  testkit::TempDir dir;
  SimulatedClock clock{1764806400000000};
  std::unique_ptr<events::EventStore> store;
  std::unique_ptr<events::KeyRing> keys;
  std::unique_ptr<events::EventLog> log;

 protected:
  std::string key_path() const { return dir.path() + "/rxportal.key"; }
  void init() {
    if (!secure_init()) throw std::runtime_error("sodium_init failed");
    auto k = events::KeyRing::create(key_path());
    if (!k) throw std::runtime_error(k.status().to_string());
    keys = std::make_unique<events::KeyRing>(std::move(k.value()));
    open_log(true);
  }
  void open_log(bool create) {
    auto s = open_store(create);
    if (!s) throw std::runtime_error(s.status().to_string());
    store = std::move(s.value());
    log = std::make_unique<events::EventLog>(*store, *keys, clock);
  }
};

struct SqliteEnv : StoreEnv {
  static constexpr const char* kName = "sqlite";
  SqliteEnv() { init(); }
  ~SqliteEnv() override { close(); }
  Result<std::unique_ptr<events::EventStore>> open_store(bool create) override {
    return events::open_sqlite_store(events::SqliteOptions{dir.path() + "/events.db", create, false, ""});
  }
};

struct PgEnv : StoreEnv {
  static constexpr const char* kName = "postgresql";
  PgEnv() : url(shared_pg_server().fresh_database()) { init(); }
  ~PgEnv() override { close(); }
  Result<std::unique_ptr<events::EventStore>> open_store(bool) override {
    return events::open_pg_store(events::PgOptions(url));
  }
  std::string url;
};

}  // namespace rxp::conformance
