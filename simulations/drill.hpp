// One incident drill end to end: a fresh data directory, the synthetic population, days of
// traffic with the scenario's attack on the last day, detection, the runbook, and the report
// (JSON, plus a self-contained HTML page and the evidence and letters files next to it).
//
// Determinism: for the same options the report is byte-identical except the "performance"
// key (wall-clock times and rates). See sim.hpp for why.
// Thread-safety: run one drill per thread; drills share nothing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "infra/result.hpp"

namespace rxp::sim {

struct DrillOptions {
  std::string scenario;
  uint64_t seed = 1;
  size_t patients = 10000;
  size_t staff = 500;
  int days = 7;
  std::string report_path;  // FILE.json; FILE.html, FILE.evidence.jsonl, FILE.letters.json beside it
  std::string work_dir;     // empty: a temporary directory, removed afterwards
  unsigned threads = 8;     // for creating the population only
};

// The report (also written to options.report_path and its HTML beside it).
Result<nlohmann::json> run_drill(const DrillOptions& options);

// The report path without ".json" (where the other files go).
std::string report_stem(const std::string& report_path);

// The HTML page of a report: inline CSS and SVG, no external reference.
std::string render_html(const nlohmann::json& report);

}  // namespace rxp::sim
