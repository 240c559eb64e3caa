// What every subcommand shares: the data-directory layout, opening the log, and turning a
// Status into a one-line message and an exit code (DESIGN.md: 0 ok, 1 failure, 2 usage,
// 3 integrity).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "events/event_log.hpp"
#include "events/sqlite_store.hpp"

namespace CLI {
class App;
}

namespace rxp::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitIntegrity = 3;

std::string key_path(const std::string& data_dir);
std::string db_path(const std::string& data_dir);

// An open data directory. Members are declared in dependency order so they are destroyed in
// reverse: the log before the keys and the store.
struct OpenData {
  std::unique_ptr<events::EventStore> store;
  std::unique_ptr<events::KeyRing> keys;
  std::unique_ptr<events::EventLog> log;
};

// The one place that chooses the event store: PostgreSQL when `pg_url` is given (--pg URL),
// else the SQLite file under the data directory. With --pg the data directory still holds
// the key file, TLS material and read models; only the events, DEKs and snapshots live in
// PostgreSQL. Connecting retries with backoff (RXPORTAL_PG_CONNECT_ATTEMPTS, default 5)
// and then fails with a one-line reason.
Result<std::unique_ptr<events::EventStore>> open_store(const std::string& data_dir, const std::string& pg_url,
                                                       bool read_only, bool create);
Result<OpenData> open_data(const std::string& data_dir, bool read_only, const std::string& pg_url = {});
// Adds the --pg option to a subcommand.
void add_pg_option(CLI::App& sub, std::string& pg_url);

// Prints "rxportal: <message>" on stderr and returns the exit code for the status.
int report(const Status& st);
int exit_code_for(ErrorCode code);

// Each subcommand adds itself; its callback stores the exit code in `exit_code`.
void add_init(CLI::App& app, int& exit_code);
void add_verify(CLI::App& app, int& exit_code);
void add_replay(CLI::App& app, int& exit_code);
void add_keys(CLI::App& app, int& exit_code);
void add_bench(CLI::App& app, int& exit_code);
void add_projections(CLI::App& app, int& exit_code);
void add_audit(CLI::App& app, int& exit_code);
void add_serve(CLI::App& app, int& exit_code);
void add_siem(CLI::App& app, int& exit_code);
void add_breach_scope(CLI::App& app, int& exit_code);
void add_checkpoint(CLI::App& app, int& exit_code);
void add_drill(CLI::App& app, int& exit_code);

}  // namespace rxp::cli
