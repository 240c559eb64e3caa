// rxportal init --data DIR [--demo]: creates the key file and the embedded store.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "events/keyring.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct InitOptions {
  std::string data;
  bool demo = false;
};

// A small synthetic record, so that verify and replay have something to show.
Status load_demo(events::EventLog& log) {
  using namespace events;
  std::string patient = random_id("pt");
  Principal clinician{random_id("usr"), "clinician", random_id("ses")};
  Principal system{"", "system", ""};
  std::string corr = random_id("corr");
  std::vector<AppendRequest> batch;
  batch.push_back({"record/" + patient, 0,
                   {make_pending(RecordCreated{patient, "1961-04-12", "MA", false}, system, corr),
                    make_pending(MedicationAdded{random_id("med"), "warfarin", "5 mg", "oral",
                                                 "daily", "2026-11-02", "", false},
                                 clinician, corr),
                    make_pending(PgxResultRecorded{random_id("pgx"), "CYP2C9", "*1/*3",
                                                   "intermediate metabolizer",
                                                   "reduce warfarin starting dose"},
                                 clinician, corr),
                    make_pending(RecordViewed{"medications", "treatment"}, clinician, corr)}});
  batch.push_back({"user/" + clinician.user_id, 0,
                   {make_pending(UserRegistered{"dr.demo", {"clinician"}, ""}, system, corr)}});
  for (auto& r : log.append_batch(batch))
    if (!r) return r.status();
  return Status::ok();
}

int run_init(const InitOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.data, ec);
  if (ec) return report(Status(ErrorCode::kIo, "cannot create " + o.data + ": " + ec.message()));
  ::chmod(o.data.c_str(), 0700);
  if (std::filesystem::exists(key_path(o.data)) || std::filesystem::exists(db_path(o.data)))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--data " + o.data + " already holds an rxportal store"));
  auto keys = events::KeyRing::create(key_path(o.data));
  if (!keys) return report(keys.status());
  events::SqliteOptions so;
  so.path = db_path(o.data);
  so.create_if_missing = true;
  auto store = events::open_sqlite_store(so);
  if (!store) return report(store.status());
  if (o.demo) {
    events::EventLog log(**store, *keys, SystemClock::instance());
    if (Status st = load_demo(log); !st) return report(st);
  }
  std::cout << "initialised " << o.data << " (key file " << key_path(o.data) << ", mode 0600)"
            << (o.demo ? ", demo record loaded" : "") << "\n";
  return kExitOk;
}

}  // namespace

void add_init(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<InitOptions>();
  auto* sub = app.add_subcommand("init", "Create the key file and the embedded event store");
  sub->add_option("--data", o->data, "Data directory (created if missing)")->required();
  sub->add_flag("--demo", o->demo, "Also load a demo record");
  sub->callback([o, &exit_code] { exit_code = run_init(*o); });
}

}  // namespace rxp::cli
