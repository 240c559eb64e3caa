#include "simulations/drill.hpp"

#include <chrono>
#include <filesystem>

#include "actors/identity/password.hpp"
#include "simulations/population.hpp"
#include "simulations/runbook.hpp"

namespace rxp::sim {
namespace {

using nlohmann::json;
using Wall = std::chrono::steady_clock;

double seconds_since(Wall::time_point t) { return std::chrono::duration<double>(Wall::now() - t).count(); }

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json optional_time(const std::optional<int64_t>& v) { return v ? json(format_rfc3339_us(*v)) : json(nullptr); }

std::string basename_of(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// A temporary data directory removed on scope exit (unless the caller gave one).
struct WorkDir {
  std::string path;
  bool owned = false;
  ~WorkDir() {
    if (!owned) return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

json exposure_json(const GroundTruth& t) {
  json patients = json::array();
  for (const auto& [pid, e] : t.exposure)
    patients.push_back({{"patient_id", pid},
                        {"sections", e.sections},
                        {"fields", json::array()},
                        {"first_access_us", e.first_access_us},
                        {"last_access_us", e.last_access_us},
                        {"state", e.state},
                        {"secured", false}});
  return patients;
}

json population_json(const Population& p) {
  size_t adolescents = 0, vip = 0;
  std::map<std::string, size_t> bands;
  for (const auto& pt : p.patients) {
    bands[pt.age < 13 ? "child" : pt.age < 18 ? "adolescent" : pt.age < 65 ? "adult" : "senior"]++;
    adolescents += pt.age >= 13 && pt.age <= 17;
    vip += pt.vip;
  }
  return {{"patients", p.patients.size()},     {"accounts", p.people.size()},
          {"clinicians", p.clinicians.size()}, {"pharmacists", p.pharmacists.size()},
          {"admins", p.admins.size()},         {"auditors", p.auditors.size()},
          {"patient_accounts", p.patient_accounts.size()},
          {"proxies", p.proxies.size()},       {"age_bands", bands},
          {"vip_records", vip}};
}

json build_report(const DrillOptions& o, Sim& sim, const ScenarioRun& run, const Detection& d,
                  const RunbookResult& rb, int64_t start_us, uint64_t events) {
  const auto& c = sim.count;
  json rules = json::object();
  for (const auto& [rule, n] : d.by_rule) rules[rule] = {{"true", n.true_alerts}, {"false", n.false_alerts}};
  json steps = json::array();
  for (const auto& s : rb.steps)
    steps.push_back({{"step", s.step}, {"status", s.status}, {"simulated_s", s.simulated_s}, {"detail", s.detail}});
  json alerts = json::array();
  for (const auto& a : sim.alerts)
    alerts.push_back({{"rule", a.rule}, {"severity", a.severity}, {"user_id", a.user_id}, {"score", a.score},
                      {"detected_at", format_rfc3339_us(a.detected_at_us)},
                      {"true", std::any_of(a.evidence.begin(), a.evidence.end(),
                                           [&](uint64_t p) { return sim.truth.positions.count(p) > 0; })}});
  auto pw = identity::minimum_password_params();
  json r = {
      {"scenario", o.scenario},
      {"summary", run.info.summary},
      {"seed", o.seed},
      {"population", population_json(sim.pop)},
      {"simulated", {{"from", format_rfc3339_us(start_us)}, {"to", format_rfc3339_us(sim.clock.now_us())}, {"days", o.days},
                     {"events", events}}},
      {"traffic", {{"logins", c.logins}, {"relogins_after_idle", c.relogins}, {"mistyped_passwords", c.mistyped_passwords},
                   {"record_views", c.views}, {"denied", c.denied}, {"prescriptions", c.prescriptions},
                   {"adverse_event_reports", c.adverse_events}, {"exports", c.exports}, {"commands", c.commands},
                   {"store_errors", c.errors}}},
      {"password_hashing", {{"argon2id_opslimit", pw.opslimit}, {"argon2id_memlimit_bytes", pw.memlimit},
                            {"note", "libsodium's minimum Argon2id cost (identity::minimum_password_params) "
                                     "for synthetic passwords; production uses opslimit 2, 64 MiB"}}},
      {"detection_source", d.source},
      {"first_malicious_at", sim.truth.action_count ? json(format_rfc3339_us(sim.truth.first_us)) : json(nullptr)},
      {"detected_at", optional_time(d.detected_at_us)},
      {"time_to_detect_s", optional_number(d.time_to_detect_s)},
      {"true_alerts", d.true_alerts},
      {"false_alerts", d.false_alerts},
      {"precision", optional_number(d.precision)},
      {"recall", optional_number(d.recall)},
      {"auc", optional_number(d.auc)},
      {"attacker_caught", d.attacker_caught},
      {"alerts_by_rule", rules},
      {"alerts", alerts},
      {"scored_events", d.scored_events},
      {"malicious_events", sim.truth.positions.size()},
      {"unreadable_events", d.unreadable_events},
      {"ground_truth", {{"actions", sim.truth.action_count}, {"labelled_actions", sim.truth.actions},
                        {"attacker_user_id", sim.truth.attacker_user_id}, {"victim_user_id", sim.truth.victim_user_id},
                        {"attacker_source", sim.truth.attacker_source},
                        {"window", {{"from_us", sim.truth.first_us}, {"to_us", sim.truth.last_us}}},
                        {"exposure", {{"patients", exposure_json(sim.truth)}}}}},
      {"breach_scope_exact", rb.breach_scope_exact ? json(*rb.breach_scope_exact) : json(nullptr)},
      {"breach_scope", rb.scope_json.empty() ? json(nullptr) : json::parse(rb.scope_json)},
      {"breach_scope_vs_truth", {{"extra_patients", rb.scope_extra}, {"missed_patients", rb.scope_missed}}},
      {"runbook", steps},
      {"notification", {{"discovered_at", format_rfc3339_us(rb.notice.discovered_us)},
                        {"deadline", format_rfc3339_us(rb.notice.deadline_us)},
                        {"letters", rb.notice.letters},
                        {"unsecured_residents_by_state", rb.notice.residents_by_state},
                        {"states_needing_media_notice", rb.notice.states_needing_media_notice}}},
      {"evidence_events", rb.evidence_events},
      {"verified_after_recovery", rb.verified_after_recovery},
      {"files", {{"html", basename_of(report_stem(o.report_path) + ".html")},
                 {"evidence", basename_of(report_stem(o.report_path) + ".evidence.jsonl")},
                 {"letters", basename_of(report_stem(o.report_path) + ".letters.json")}}},
  };
  if (run.info.name == "tamper")
    r["integrity_check"] = {{"tampered_position", run.tampered_position}, {"verify_named_position", run.named_position},
                            {"found", run.found}};
  if (run.info.name == "key-compromise")
    r["key_check"] = {{"rotated", rb.key.done}, {"old_kek_opens_new_data", rb.key.old_kek_opens_new_data},
                      {"new_kek_opens_new_data", rb.key.new_kek_opens_new_data}};
  return r;
}

}  // namespace

std::string report_stem(const std::string& path) {
  if (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) return path.substr(0, path.size() - 5);
  return path;
}

Result<nlohmann::json> run_drill(const DrillOptions& o) {
  const ScenarioInfo* info = find_scenario(o.scenario);
  if (info == nullptr) return Status(ErrorCode::kInvalidArgument, "unknown scenario");
  if (o.days < 1 || o.patients < 2 || o.staff < 6) return Status(ErrorCode::kInvalidArgument, "population too small");
  WorkDir work{o.work_dir, o.work_dir.empty()};
  if (work.owned) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rxp-drill-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return Status(ErrorCode::kIo, "cannot create a temporary directory");
    work.path = tmpl;
  }
  SimOptions so;
  so.dir = work.path;
  so.seed = o.seed;
  auto opened = Sim::open(so);
  if (!opened) return opened.status();
  Sim& sim = **opened;
  const int64_t start = sim.clock.now_us();
  auto t0 = Wall::now();
  RXP_RETURN_IF_ERROR(build_population(sim, {o.patients, o.staff, o.threads}, o.seed));
  sim.settle();
  const uint64_t population_events = sim.head();
  const double population_s = seconds_since(t0);

  auto t1 = Wall::now();
  Schedule schedule;
  ScenarioRun run;
  run.info = *info;
  for (int d = 0; d < o.days; ++d) plan_day(sim, schedule, start + d * kDay);
  // The attack starts at a seeded offset into the hour, not on a detection tick.
  const int64_t attack_day = start + (o.days - 1) * kDay + sim.rand_between(0, 299) * kSecond;
  RXP_RETURN_IF_ERROR(plan_scenario(sim, schedule, attack_day, run));
  RXP_RETURN_IF_ERROR(schedule.run_until(sim, start + o.days * kDay + 8 * kHour));
  sim.settle();
  RXP_RETURN_IF_ERROR(sim.detect());
  RXP_RETURN_IF_ERROR(sim.project());
  const uint64_t traffic_events = sim.head() - population_events;
  const double traffic_s = seconds_since(t1);

  auto detection = measure(sim, run);
  if (!detection) return detection.status();
  auto t2 = Wall::now();
  const std::string stem = report_stem(o.report_path);
  auto runbook = run_runbook(sim, run, *detection, stem);
  if (!runbook) return runbook.status();
  sim.settle();
  const double runbook_s = seconds_since(t2);

  json report = build_report(o, sim, run, *detection, *runbook, start, sim.head());
  json per_step = json::object();
  for (const auto& s : runbook->steps) per_step[s.step] = s.wall_ms;
  report["performance"] = {
      {"population_wall_s", population_s},
      {"population_events", population_events},
      {"population_events_per_s", population_s > 0 ? static_cast<double>(population_events) / population_s : 0.0},
      {"traffic_wall_s", traffic_s},
      {"traffic_events", traffic_events},
      {"simulated_events_per_s", traffic_s > 0 ? static_cast<double>(traffic_events) / traffic_s : 0.0},
      {"simulated_seconds_per_wall_second", traffic_s > 0 ? (o.days * 86400.0) / traffic_s : 0.0},
      {"runbook_wall_s", runbook_s},
      {"runbook_step_wall_ms", per_step},
      {"total_wall_s", seconds_since(t0)},
  };
  RXP_RETURN_IF_ERROR(write_private(o.report_path, report.dump(2) + "\n"));
  RXP_RETURN_IF_ERROR(write_private(stem + ".html", render_html(report)));
  return report;
}

}  // namespace rxp::sim
