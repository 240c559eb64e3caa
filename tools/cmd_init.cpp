// rxportal init --data DIR [--demo]: creates the key file, the embedded store and the first
// admin, or with --demo the demo population (tools/population.hpp).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "events/checkpoint.hpp"
#include "events/keyring.hpp"
#include "tools/cli_common.hpp"
#include "tools/population.hpp"

namespace rxp::cli {
namespace {

struct InitOptions {
  std::string data;
  std::string pg;  // PostgreSQL URL; empty: the SQLite store under data
  bool demo = false;
};

int run_init(const InitOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.data, ec);
  if (ec) return report(Status(ErrorCode::kIo, "cannot create " + o.data + ": " + ec.message()));
  ::chmod(o.data.c_str(), 0700);
  if (std::filesystem::exists(key_path(o.data)) || (o.pg.empty() && std::filesystem::exists(db_path(o.data))))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--data " + o.data + " already holds an rxportal store"));
  // PostgreSQL first: a database that already holds events must not get a second key file.
  Result<std::unique_ptr<events::EventStore>> store = Status(ErrorCode::kInternal, "not opened");
  if (!o.pg.empty()) {
    store = open_store(o.data, o.pg, false, true);
    if (!store) return report(store.status());
    auto head = (*store)->head_position();
    if (!head) return report(head.status());
    if (*head != 0)
      return report(Status(ErrorCode::kInvalidArgument, "--pg database already holds an rxportal event store"));
  }
  auto keys = events::KeyRing::create(key_path(o.data));
  if (!keys) return report(keys.status());
  if (o.pg.empty()) {
    store = open_store(o.data, o.pg, false, true);
    if (!store) return report(store.status());
  }
  // Accounts are made through the real actors, so they are ordinary events.
  std::string creds = o.data + (o.demo ? "/demo-credentials.json" : "/admin-credentials.json");
  {
    events::EventLog log(**store, *keys, SystemClock::instance());
    actors::Runtime rt(log, SystemClock::instance());
    std::vector<Credential> people;
    if (o.demo) {
      auto demo = create_demo_population(rt, SystemClock::instance());
      if (!demo) return report(demo.status());
      people = std::move(demo.value());
    } else {
      auto admin = create_account(rt, SystemClock::instance(), "admin", "admin");
      if (!admin) return report(admin.status());
      people.push_back(std::move(admin.value()));
    }
    if (Status st = write_credentials(creds, people); !st) return report(st);
    // The demo log starts out witnessed: a signed checkpoint over everything just created.
    if (o.demo) {
      auto cp = events::create_checkpoint(log, *keys, SystemClock::instance());
      if (!cp) return report(cp.status());
    }
  }
  std::cout << "initialised " << o.data << " (key file " << key_path(o.data) << ", mode 0600); "
            << (o.demo ? "demo population" : "first admin") << " credentials in " << creds
            << " (mode 0600)\n";
  return kExitOk;
}

}  // namespace

void add_init(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<InitOptions>();
  auto* sub = app.add_subcommand("init", "Create the key file and the embedded event store");
  sub->add_option("--data", o->data, "Data directory (created if missing)")->required();
  sub->add_flag("--demo", o->demo, "Create the demo population instead of only the first admin");
  add_pg_option(*sub, o->pg);
  sub->callback([o, &exit_code] { exit_code = run_init(*o); });
}

}  // namespace rxp::cli
