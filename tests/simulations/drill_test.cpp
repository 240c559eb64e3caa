// Incident drills at small scale: every scenario runs through the real actors, detector and
// projections; the attacker is caught, the report is the same for the same seed (apart from
// the wall-clock "performance" key), and the HTML page references nothing outside itself.
#define BOOST_TEST_MODULE drill
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "simulations/drill.hpp"
#include "simulations/metrics.hpp"
#include "simulations/runbook.hpp"
#include "simulations/scenarios.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using nlohmann::json;

namespace {

json run_small(const std::string& scenario, uint64_t seed, const std::string& dir) {
  sim::DrillOptions o;
  o.scenario = scenario;
  o.seed = seed;
  o.patients = 200;
  o.staff = 30;
  o.days = 2;
  o.report_path = dir + "/report.json";
  auto r = sim::run_drill(o);
  BOOST_REQUIRE_MESSAGE(r.is_ok(), scenario << ": " << r.status().to_string());
  return *r;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

json without_performance(const std::string& path) {
  json j = json::parse(slurp(path));
  BOOST_REQUIRE(j.contains("performance"));
  j.erase("performance");
  return j;
}

}  // namespace

BOOST_AUTO_TEST_CASE(auc_counts_ties_as_half_and_needs_both_classes) {
  BOOST_TEST(*sim::roc_auc({{0.9, true}, {0.1, false}, {0.2, false}}) == 1.0);
  BOOST_TEST(*sim::roc_auc({{0.1, true}, {0.9, false}}) == 0.0);
  BOOST_TEST(*sim::roc_auc({{0.5, true}, {0.5, false}}) == 0.5);
  BOOST_TEST(*sim::roc_auc({{0.8, true}, {0.0, true}, {0.0, false}, {0.4, false}}) == 0.625);
  BOOST_TEST(!sim::roc_auc({{0.3, false}}).has_value());
}

BOOST_AUTO_TEST_CASE(a_scope_matches_the_truth_only_with_the_same_patients_and_sections) {
  struct Scoped {
    std::string patient_id;
    std::vector<std::string> sections;
  };
  sim::GroundTruth t;
  t.exposure["pt-1"].patient_id = "pt-1";
  t.exposure["pt-1"].sections = {"medications", "dosing"};
  BOOST_TEST(sim::matches_truth(t, std::vector<Scoped>{{"pt-1", {"dosing", "medications"}}}));
  BOOST_TEST(!sim::matches_truth(t, std::vector<Scoped>{{"pt-1", {"medications"}}}));
  BOOST_TEST(!sim::matches_truth(t, std::vector<Scoped>{{"pt-2", {"dosing", "medications"}}}));
  BOOST_TEST(!sim::matches_truth(t, std::vector<Scoped>{{"pt-1", {"dosing", "medications"}}, {"pt-3", {"pgx"}}}));
  BOOST_TEST(sim::matches_truth(sim::GroundTruth{}, std::vector<Scoped>{}));
}

BOOST_AUTO_TEST_CASE(every_scenario_catches_its_attacker_at_small_scale) {
  for (const auto& s : sim::scenarios()) {
    BOOST_TEST_CONTEXT("scenario " << s.name) {
      testkit::TempDir dir;
      json r = run_small(s.name, 11, dir.path());
      for (const char* key : {"scenario", "seed", "time_to_detect_s", "true_alerts", "false_alerts", "precision",
                              "recall", "auc", "breach_scope_exact", "runbook"})
        BOOST_TEST(r.contains(key), key);
      BOOST_TEST(r["scenario"] == s.name);
      // Key compromise has no per-patient truth (everything under the key is exposed): null.
      BOOST_TEST(r["breach_scope_exact"].is_null() == (s.name == "key-compromise"));
      BOOST_TEST(r["attacker_caught"].get<bool>());
      BOOST_TEST(r["ground_truth"]["actions"].get<size_t>() > 0);
      BOOST_TEST(r["verified_after_recovery"].get<bool>());
      if (s.detection == "anomaly_detector") {
        BOOST_TEST(r["true_alerts"].get<size_t>() > 0);
        BOOST_TEST(r["recall"].get<double>() > 0);
        BOOST_TEST(!r["auc"].is_null());
        BOOST_TEST(r["time_to_detect_s"].get<double>() >= 0);
      }
      if (s.name == "tamper")
        BOOST_TEST(r["integrity_check"]["verify_named_position"] == r["integrity_check"]["tampered_position"]);
      if (s.name == "key-compromise") {
        BOOST_TEST(!r["key_check"]["old_kek_opens_new_data"].get<bool>());
        BOOST_TEST(r["key_check"]["new_kek_opens_new_data"].get<bool>());
      }
      if (s.name == "snoop-coworker" || s.name == "snoop-vip" || s.name == "bulk-export") {
        BOOST_TEST(!r["ground_truth"]["exposure"]["patients"].empty());
        // The scope by the insider's account names every patient the truth names (and may add
        // their legitimate views in the window); letters go to the scope's unsecured patients.
        BOOST_TEST(r["breach_scope_vs_truth"]["missed_patients"] == 0);
        BOOST_TEST(r["notification"]["letters"] == r["breach_scope"]["patients"].size());
        BOOST_TEST(r["notification"]["letters"].get<size_t>() >= r["ground_truth"]["exposure"]["patients"].size());
      }
      if (s.name == "stolen-token" || s.name == "credential-stuffing" || s.name == "mfa-bombing" ||
          s.name == "tamper") {
        BOOST_TEST(r["breach_scope_exact"].get<bool>());
      }
      BOOST_TEST(std::filesystem::exists(dir.path() + "/report.html"));
      BOOST_TEST(std::filesystem::exists(dir.path() + "/report.evidence.jsonl"));
    }
  }
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_report_and_a_self_contained_page) {
  testkit::TempDir a, b, c;
  run_small("mfa-bombing", 5, a.path());
  run_small("mfa-bombing", 5, b.path());
  run_small("mfa-bombing", 6, c.path());
  json ja = without_performance(a.path() + "/report.json"), jb = without_performance(b.path() + "/report.json");
  BOOST_TEST(ja.dump(2) == jb.dump(2));
  BOOST_TEST(ja.dump() != without_performance(c.path() + "/report.json").dump());  // the seed matters
  std::string html = slurp(a.path() + "/report.html");
  BOOST_TEST(html.find("<svg") != std::string::npos);
  BOOST_TEST(html.find("mfa-bombing") != std::string::npos);
  for (const char* external : {"http:", "https:", "//", "src=", "href", "url(", "@import", "<script", "<link"})
    BOOST_TEST(html.find(external) == std::string::npos, external);
}

BOOST_AUTO_TEST_CASE(the_cli_lists_scenarios_and_names_bad_arguments) {
  const std::string bin = testkit::rxportal_bin();
  auto list = testkit::run_command(bin + " drill list");
  BOOST_TEST(list.exit_code == 0);
  for (const auto& s : sim::scenarios()) BOOST_TEST(list.out.find(s.name) != std::string::npos, s.name);
  struct Bad {
    const char* args;
    const char* named;
  };
  for (const Bad& b : {Bad{"drill run no-such --seed 1 --report /nonexistent/r.json", "NAME"},
                       Bad{"drill run tamper --seed x --report /nonexistent/r.json", "--seed"},
                       Bad{"drill run tamper --seed 1 --report /nonexistent/r.json --patients 1", "--patients"},
                       Bad{"drill run tamper --seed 1 --report /nonexistent/r.json --staff 2", "--staff"},
                       Bad{"drill run tamper --seed 1 --report /nonexistent/r.json --days 0", "--days"},
                       Bad{"drill run tamper --seed 1", "--report"}}) {
    auto r = testkit::run_command(bin + " " + b.args);
    BOOST_TEST(r.exit_code == 2, b.args);
    BOOST_TEST(r.err.find(b.named) != std::string::npos, b.args << ": " << r.err);
  }
}
