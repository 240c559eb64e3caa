#include "simulations/metrics.hpp"

#include <algorithm>

#include "projections/anomaly.hpp"

namespace rxp::sim {
namespace {

// The event kinds some anomaly rule looks at (anomaly.hpp).
bool judged(const std::string& type) {
  static const std::set<std::string> kinds = {
      "RecordViewed",        "RecordExported",     "AccessDenied",       "LoginFailed",
      "LoginSucceeded",      "MfaBombingSuspected", "AuthenticatorCloneSuspected",
      "BreakGlassInvoked",   "SessionEnded"};
  return kinds.count(type) > 0;
}

bool is_true(const SeenAlert& a, const std::set<uint64_t>& malicious) {
  return std::any_of(a.evidence.begin(), a.evidence.end(), [&](uint64_t p) { return malicious.count(p) > 0; });
}

}  // namespace

std::optional<double> roc_auc(std::vector<std::pair<double, bool>> v) {
  size_t pos = 0;
  for (const auto& [s, p] : v) pos += p;
  size_t neg = v.size() - pos;
  if (pos == 0 || neg == 0) return std::nullopt;
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Sum of the positives' ranks, ties sharing their average rank.
  double rank_sum = 0;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    size_t pos_here = 0;
    while (j < v.size() && v[j].first == v[i].first) pos_here += v[j++].second;
    double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    rank_sum += avg_rank * static_cast<double>(pos_here);
    i = j;
  }
  double p = static_cast<double>(pos), n = static_cast<double>(neg);
  return (rank_sum - p * (p + 1) / 2.0) / (p * n);
}

Result<Detection> measure(Sim& sim, const ScenarioRun& run) {
  Detection d;
  d.source = run.info.detection;
  const auto& bad = sim.truth.positions;
  std::optional<int64_t> first_true;
  std::set<uint64_t> covered;
  for (const auto& a : sim.alerts) {
    bool t = is_true(a, bad);
    auto& rc = d.by_rule[a.rule];
    if (t) {
      ++d.true_alerts;
      ++rc.true_alerts;
      d.true_alert_times_us.push_back(a.detected_at_us);
      if (!first_true || a.detected_at_us < *first_true) first_true = a.detected_at_us;
      covered.insert(a.evidence.begin(), a.evidence.end());
    } else {
      ++d.false_alerts;
      ++rc.false_alerts;
      d.false_alert_times_us.push_back(a.detected_at_us);
    }
  }
  if (d.true_alerts + d.false_alerts > 0)
    d.precision = static_cast<double>(d.true_alerts) / static_cast<double>(d.true_alerts + d.false_alerts);
  size_t actions = 0, caught = 0;
  for (const auto& positions : sim.truth.action_positions) {
    if (positions.empty()) continue;
    ++actions;
    caught += std::any_of(positions.begin(), positions.end(), [&](uint64_t p) { return covered.count(p) > 0; });
  }
  if (d.source == "anomaly_detector") {
    if (actions > 0) d.recall = static_cast<double>(caught) / static_cast<double>(actions);
    d.detected_at_us = first_true;
    d.attacker_caught = d.true_alerts > 0;
  } else {
    // The scenario's own check is the detector: one finding, a true alert when it names the
    // damage; the anomaly detector's alerts of the run are all false ones here.
    d.detected_at_us = run.found ? run.found_at_us : std::nullopt;
    d.attacker_caught = run.found;
    d.recall = run.found ? 1.0 : 0.0;
    if (run.found) {
      ++d.true_alerts;
      ++d.by_rule[run.info.detection].true_alerts;
      d.true_alert_times_us.push_back(*run.found_at_us);
    }
    if (d.true_alerts + d.false_alerts > 0)
      d.precision = static_cast<double>(d.true_alerts) / static_cast<double>(d.true_alerts + d.false_alerts);
  }
  if (d.detected_at_us && sim.truth.action_count > 0)
    d.time_to_detect_s = static_cast<double>(*d.detected_at_us - sim.truth.first_us) / 1e6;

  // Scores for every judged event, replaying the log through a fresh detector state.
  projections::DetectorState state;
  std::vector<std::pair<double, bool>> scored;
  for (uint64_t from = 1;;) {
    auto raws = sim.store().read_all(from, 4096);
    if (!raws) return raws.status();
    if (raws->empty()) break;
    for (const auto& raw : *raws) {
      from = raw.position + 1;
      auto e = sim.log().open(raw);
      if (!e) {
        ++d.unreadable_events;  // the tampered event: verify's finding, not a score
        continue;
      }
      double s = projections::score_event(state, *e);
      bool positive = bad.count(raw.position) > 0;
      if (judged(e->header.type) || positive) scored.emplace_back(s, positive);
    }
  }
  d.scored_events = scored.size();
  for (const auto& [s, p] : scored) d.positives += p;
  if (d.source == "anomaly_detector") d.auc = roc_auc(std::move(scored));
  return d;
}

}  // namespace rxp::sim
