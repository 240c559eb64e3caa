// rxportal projections rebuild NAME --data DIR: drops a projection's read model and checkpoint
// and replays the whole log into it (one transaction per page; safe while the server runs:
// its runner sees the reset checkpoint in its next transaction).
// rxportal projections status --data DIR [--json]: each projection's checkpoint, the log's
// head and the lag between them, from the read-model database (nothing is applied).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "projections/catalog.hpp"
#include "projections/runner.hpp"
#include "tools/bench.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct ProjectionsOptions {
  std::string data;
  std::string name;
  bool json = false;
};

std::string known_names() {
  std::string out;
  for (const auto& n : projections::projection_names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Result<std::unique_ptr<projections::ProjectionRunner>> open_runner(events::EventLog& log,
                                                                   const std::string& data) {
  projections::RunnerOptions o;
  o.db_path = projections::projections_db_path(data);
  return projections::ProjectionRunner::open(log, projections::make_projections(), o);
}

int run_rebuild(const ProjectionsOptions& o) {
  auto names = projections::projection_names();
  if (std::find(names.begin(), names.end(), o.name) == names.end())
    return report(Status(ErrorCode::kInvalidArgument,
                         "NAME: unknown projection '" + o.name + "' (known: " + known_names() + ")"));
  auto d = open_data(o.data, /*read_only=*/true);
  if (!d) return report(d.status());
  auto runner = open_runner(*d->log, o.data);
  if (!runner) return report(runner.status());
  auto t0 = std::chrono::steady_clock::now();
  if (Status st = (*runner)->rebuild(o.name); !st) return report(st);
  double s = seconds_since(t0);
  auto cp = (*runner)->checkpoint(o.name);
  if (!cp) return report(cp.status());
  std::cout << "rebuilt " << o.name << ": checkpoint " << *cp << " (" << s << " s)\n";
  return kExitOk;
}

int run_status(const ProjectionsOptions& o) {
  auto d = open_data(o.data, /*read_only=*/true);
  if (!d) return report(d.status());
  auto runner = open_runner(*d->log, o.data);
  if (!runner) return report(runner.status());
  auto states = (*runner)->states();
  if (!states) return report(states.status());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : *states) {
    list.push_back({{"name", s.name}, {"checkpoint", s.checkpoint}, {"head", s.head}, {"lag", s.lag}});
    if (!o.json)
      std::cout << s.name << ": checkpoint " << s.checkpoint << ", head " << s.head << ", lag "
                << s.lag << " events\n";
  }
  if (o.json) std::cout << nlohmann::json{{"projections", list}}.dump() << "\n";
  return kExitOk;
}

}  // namespace

void add_projections(CLI::App& app, int& exit_code) {
  auto* sub = app.add_subcommand("projections", "Read models: rebuild one, or show their lag");
  sub->require_subcommand(1);

  auto r = std::make_shared<ProjectionsOptions>();
  auto* rebuild = sub->add_subcommand("rebuild", "Drop a projection's read model and replay the log from position 0");
  rebuild->add_option("NAME", r->name, "Projection name (" + known_names() + ")")->required();
  rebuild->add_option("--data", r->data, "Data directory")->required();
  rebuild->callback([r, &exit_code] { exit_code = run_rebuild(*r); });

  auto s = std::make_shared<ProjectionsOptions>();
  auto* status = sub->add_subcommand("status", "Checkpoint, head and lag of every projection");
  status->add_option("--data", s->data, "Data directory")->required();
  status->add_flag("--json", s->json, "Print one JSON object");
  status->callback([s, &exit_code] { exit_code = run_status(*s); });
}

}  // namespace rxp::cli
