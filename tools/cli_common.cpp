#include "tools/cli_common.hpp"

#include <iostream>

#include "infra/clock.hpp"
#include "infra/secure.hpp"

namespace rxp::cli {

std::string key_path(const std::string& data_dir) { return data_dir + "/rxportal.key"; }
std::string db_path(const std::string& data_dir) { return data_dir + "/events.db"; }

Result<OpenData> open_data(const std::string& data_dir, bool read_only) {
  harden_process();
  auto keys = events::KeyRing::open(key_path(data_dir));
  if (!keys) return keys.status();
  events::SqliteOptions o;
  o.path = db_path(data_dir);
  o.read_only = read_only;
  auto store = events::open_sqlite_store(o);
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
