// The incident runbook a drill executes after the traffic window, timed in simulated and
// wall-clock time:
//   contain   an admin signs in and steps up (TOTP, the real actors), then locks the
//             scenario's accounts (RevokeRole for each role: RoleRevoked, every session ends)
//             and revokes the sessions of token victims (Revoke: SessionEnded) - all events
//   preserve  signed checkpoint (LEAD-wired, see preserve_signed_checkpoint) and the event
//             export: the audit trail of the incident window as `rxportal audit --format json`
//             lines (opaque ids and codes only) to <report stem>.evidence.jsonl, mode 0600
//   scope     breach scope (LEAD-wired, see compute_scope); until then breach_scope_exact is
//             null and the ground truth's exposure is reported in the BreachScope shape
//   notify    letters and deadlines: one letter per exposed patient, due 60 days after
//             discovery (HIPAA 45 CFR 164.404); states with more than 500 exposed residents
//             also need media notice (164.406); letters to <report stem>.letters.json
//   recover   by scenario: tamper restores the byte from the backup copy and verifies;
//             key-compromise rotates the KEK (EventLog::rotate_kek, as `rxportal keys
//             rotate-kek`), writes new data and checks that the stolen KEK copy cannot unwrap
//             its DEK; account scenarios give the victims' roles back; every scenario ends
//             with the log verified.
// Thread-safety: one thread (the Sim's).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "simulations/metrics.hpp"

namespace rxp::sim {

struct StepResult {
  std::string step;
  std::string status;  // done | not_implemented | failed
  double simulated_s = 0;
  double wall_ms = 0;  // performance only: not deterministic
  std::string detail;
};

struct Notification {
  int64_t discovered_us = 0, deadline_us = 0;
  size_t letters = 0;
  std::map<std::string, size_t> residents_by_state;
  std::vector<std::string> states_needing_media_notice;
};

struct KeyCheck {
  bool done = false;
  bool old_kek_opens_new_data = true;
  bool new_kek_opens_new_data = false;
};

struct RunbookResult {
  std::vector<StepResult> steps;
  Notification notice;
  size_t evidence_events = 0;
  KeyCheck key;
  bool verified_after_recovery = false;
  std::optional<bool> breach_scope_exact;  // null in the report until compute_scope is wired
};

// True when `patients` (anything with .patient_id and .sections, e.g. BreachScope::patients)
// names exactly the ground truth's exposed patients, each with exactly its sections.
template <class Patients>
bool matches_truth(const GroundTruth& truth, const Patients& patients) {
  if (patients.size() != truth.exposure.size()) return false;
  for (const auto& p : patients) {
    auto it = truth.exposure.find(p.patient_id);
    if (it == truth.exposure.end()) return false;
    if (std::set<std::string>(p.sections.begin(), p.sections.end()) != it->second.sections) return false;
  }
  return true;
}

// Writes `text` to `path` (created or truncated) with mode 0600: reports, evidence, letters.
Status write_private(const std::string& path, const std::string& text);

// `stem`: the report path without its extension; evidence and letters go next to it.
Result<RunbookResult> run_runbook(Sim& sim, ScenarioRun& run, const Detection& detection, const std::string& stem);

// LEAD: wire the signed checkpoint (other branch). Returns kInternal "not implemented" for now.
Status preserve_signed_checkpoint(Sim& sim, const std::string& stem);
// LEAD: wire compute_breach_scope (projections/breach_scope.hpp, other branch): query
// {by kActor sim.truth.attacker_user_id (insiders) or the victim's kSession, from_us =
// sim.truth.first_us, to_us = discovered_us, discovered_us}, then
// exact = matches_truth(sim.truth, scope->patients). Returns kInternal "not implemented" for now.
Status compute_scope(Sim& sim, const ScenarioRun& run, int64_t discovered_us, std::optional<bool>& exact);

}  // namespace rxp::sim
