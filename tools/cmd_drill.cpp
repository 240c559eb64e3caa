// rxportal drill list | drill run NAME --seed N --report FILE [--patients N] [--staff N] [--days N]
// Incident drills (simulations/drill.hpp): a synthetic hospital in a temporary directory,
// traffic on the simulated clock, one attack scenario, detection, the runbook, and the report.
#include <CLI/CLI.hpp>
#include <iostream>

#include "simulations/drill.hpp"
#include "simulations/scenarios.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct DrillCli {
  std::string name, report, work;
  uint64_t seed = 1;
  size_t patients = 10000, staff = 500;
  int days = 7;
};

int usage(const std::string& message) {
  std::cerr << "rxportal: usage: " << message << " (see rxportal drill --help)\n";
  return kExitUsage;
}

int run_list() {
  for (const auto& s : sim::scenarios()) std::cout << s.name << "\t" << s.summary << "\n";
  return kExitOk;
}

int run_drill(const DrillCli& c) {
  if (sim::find_scenario(c.name) == nullptr) return usage("NAME '" + c.name + "' is not a scenario (rxportal drill list)");
  if (c.patients < 2 || c.patients > 1000000) return usage("--patients must be between 2 and 1000000");
  if (c.staff < 6 || c.staff > 100000) return usage("--staff must be between 6 and 100000");
  if (c.days < 1 || c.days > 60) return usage("--days must be between 1 and 60");
  if (c.report.empty()) return usage("--report must name a file");
  sim::DrillOptions o;
  o.scenario = c.name;
  o.seed = c.seed;
  o.patients = c.patients;
  o.staff = c.staff;
  o.days = c.days;
  o.report_path = c.report;
  o.work_dir = c.work;
  auto r = sim::run_drill(o);
  if (!r) return report(r.status().code() == ErrorCode::kInvalidArgument
                            ? Status(ErrorCode::kInternal, r.status().message())  // not the user's arguments
                            : r.status());
  const auto& j = *r;
  std::cout << "drill " << c.name << " (seed " << c.seed << "): attacker caught " << (j["attacker_caught"].get<bool>() ? "yes" : "no")
            << ", time to detect " << j["time_to_detect_s"].dump() << " s, alerts " << j["true_alerts"].dump() << " true / "
            << j["false_alerts"].dump() << " false, precision " << j["precision"].dump() << ", recall " << j["recall"].dump()
            << ", auc " << j["auc"].dump() << "\n"
            << "simulated " << j["simulated"]["events"].dump() << " events; "
            << static_cast<long>(j["performance"]["simulated_events_per_s"].get<double>()) << " simulated events/s\n"
            << "report: " << c.report << " and " << sim::report_stem(c.report) << ".html\n";
  return kExitOk;
}

}  // namespace

void add_drill(CLI::App& app, int& exit_code) {
  auto c = std::make_shared<DrillCli>();
  auto* drill = app.add_subcommand("drill", "Incident drills on a synthetic hospital (simulated clock)");
  drill->require_subcommand(1);
  auto* list = drill->add_subcommand("list", "The scenarios");
  list->callback([&exit_code] { exit_code = run_list(); });
  auto* run = drill->add_subcommand("run", "Run one scenario and write its report (JSON + HTML)");
  run->add_option("NAME", c->name, "Scenario (rxportal drill list)")->required();
  run->add_option("--seed", c->seed, "Seed of every random choice")->required();
  run->add_option("--report", c->report, "Report file (JSON); the HTML page and evidence go beside it")->required();
  run->add_option("--patients", c->patients, "Patients (default 10000)");
  run->add_option("--staff", c->staff, "Staff (default 500)");
  run->add_option("--days", c->days, "Simulated days (default 7)");
  run->add_option("--work", c->work, "Data directory to keep (default: a temporary one, removed)");
  run->callback([c, &exit_code] { exit_code = run_drill(*c); });
}

}  // namespace rxp::cli
