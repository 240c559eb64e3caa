#include "tools/cli_common.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "events/pg_store.hpp"

#include "infra/clock.hpp"
#include "infra/secure.hpp"

namespace rxp::cli {

std::string key_path(const std::string& data_dir) { return data_dir + "/rxportal.key"; }
std::string db_path(const std::string& data_dir) { return data_dir + "/events.db"; }

Result<std::unique_ptr<events::EventStore>> open_store(const std::string& data_dir, const std::string& pg_url,
                                                       bool read_only, bool create) {
  if (!pg_url.empty()) {
    events::PgOptions o(pg_url);
    o.read_only = read_only;
    if (const char* a = std::getenv("RXPORTAL_PG_CONNECT_ATTEMPTS")) {
      char* end = nullptr;
      long n = std::strtol(a, &end, 10);
      if (end == a || *end != '\0' || n < 1 || n > 100)
        return Status(ErrorCode::kInvalidArgument, "RXPORTAL_PG_CONNECT_ATTEMPTS must be 1..100");
      o.connect_attempts = static_cast<int>(n);
    }
    return events::open_pg_store(o);
  }
  events::SqliteOptions o;
  o.path = db_path(data_dir);
  o.read_only = read_only;
  o.create_if_missing = create;
  return events::open_sqlite_store(o);
}

void add_pg_option(CLI::App& sub, std::string& pg_url) {
  sub.add_option("--pg", pg_url,
                 "PostgreSQL URL (postgresql://user@host:port/db): keep the events there instead of "
                 "the SQLite file under --data (the key file stays under --data)");
}

Result<OpenData> open_data(const std::string& data_dir, bool read_only, const std::string& pg_url) {
  harden_process();
  auto keys = events::KeyRing::open(key_path(data_dir));
  if (!keys) return keys.status();
  auto store = open_store(data_dir, pg_url, read_only, false);
  if (!store) return store.status();
  OpenData d;
  d.store = std::move(store.value());
  d.keys = std::make_unique<events::KeyRing>(std::move(keys.value()));
  d.log = std::make_unique<events::EventLog>(*d.store, *d.keys, SystemClock::instance());
  return d;
}

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return kExitOk;
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kIntegrity:
    case ErrorCode::kCorruption: return kExitIntegrity;
    default: return kExitFailure;
  }
}

int report(const Status& st) {
  if (st.is_ok()) return kExitOk;
  std::cerr << "rxportal: " << st.to_string() << "\n";
  return exit_code_for(st.code());
}

}  // namespace rxp::cli
