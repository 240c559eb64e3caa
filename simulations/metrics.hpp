// Detection quality of one drill: the real detector's alerts against the ground truth.
//
// - An alert is true when one of its evidence positions is an event of a malicious action.
// - time_to_detect_s: simulated seconds from the first malicious action to the detection
//   tick that raised the first true alert (or to the scenario's own check: verify for
//   tampering, the external report for a copied key; that finding then counts as the one true
//   alert, and the anomaly detector's alerts of the run as false ones).
// - precision = true / (true + false alerts); recall = malicious actions with an event among
//   a true alert's evidence / malicious actions (labelled actions that appended events).
// - auc: every event of a kind the detector judges (and every malicious event) is scored by
//   projections::score_event (0 when no rule looks at it), replaying the log from position 1;
//   the malicious ones are the positives. Ties count one half (Mann-Whitney).
// Thread-safety: pure functions, except measure() which reads the Sim's log.
#pragma once

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "simulations/scenarios.hpp"

namespace rxp::sim {

struct RuleCount {
  size_t true_alerts = 0, false_alerts = 0;
};

struct Detection {
  std::string source;  // anomaly_detector | integrity_check | external_report
  std::optional<double> time_to_detect_s;
  std::optional<int64_t> detected_at_us;
  size_t true_alerts = 0, false_alerts = 0;
  std::optional<double> precision, recall, auc;
  bool attacker_caught = false;
  std::map<std::string, RuleCount> by_rule;
  size_t scored_events = 0, positives = 0, unreadable_events = 0;
  std::vector<int64_t> true_alert_times_us, false_alert_times_us;  // detection ticks
};

// Area under the ROC curve of (score, is_positive) pairs; nullopt without both classes.
std::optional<double> roc_auc(std::vector<std::pair<double, bool>> scored);

Result<Detection> measure(Sim& sim, const ScenarioRun& run);

}  // namespace rxp::sim
