// The incident runbook a drill executes after the traffic window, timed in simulated and
// wall-clock time:
//   contain   an admin signs in and steps up (TOTP, the real actors), then locks the
//             scenario's accounts (RevokeRole for each role: RoleRevoked, every session ends)
//             and revokes the sessions of token victims (Revoke: SessionEnded) - all events
//   preserve  a signed Merkle checkpoint to <report stem>.checkpoint.json and the event
//             export: the audit trail of the incident window as `rxportal audit --format json`
//             lines (opaque ids and codes only) to <report stem>.evidence.jsonl, mode 0600
//   scope     breach scope (projections/breach_scope.hpp) by the insider's account, the
//             replayed session or the copied KEK, from the first malicious action to containment;
//             recorded as BreachScopeComputed; compared with the ground truth's exposure
//   notify    letters and deadlines: one letter per exposed patient, due 60 days after
//             discovery (HIPAA 45 CFR 164.404); states with 500 or more exposed residents
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

#include "projections/breach_scope.hpp"
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
  bool checkpoint_deferred = false;  // the log did not verify at preserve: signed after recovery
  // True when the computed breach scope names exactly the ground truth's patients and sections;
  // null for key compromise (everything under the key is exposed; no per-patient truth).
  std::optional<bool> breach_scope_exact;
  std::optional<projections::BreachScope> scope;  // absent when there was no principal to scope
  std::string scope_json;                         // breach_scope_json(*scope), for the report
  size_t scope_extra = 0, scope_missed = 0;       // patients named beyond / missing from the truth
};

// True when `patients` (anything with .patient_id and .sections, e.g. BreachScope::patients)
// names exactly the ground truth's exposed patients, each with exactly its record sections.
template <class Patients>
bool matches_truth(const GroundTruth& truth, const Patients& patients) {
  if (patients.size() != truth.exposure.size()) return false;
  for (const auto& p : patients) {
    auto it = truth.exposure.find(p.patient_id);
    if (it == truth.exposure.end()) return false;
    // "access_grants" (a break-glass or care grant the actor wrote) discloses nothing of the
    // patient's record, so the truth never names it.
    std::set<std::string> disclosed(p.sections.begin(), p.sections.end());
    disclosed.erase("access_grants");
    if (disclosed != it->second.sections) return false;
  }
  return true;
}

// Writes `text` to `path` (created or truncated) with mode 0600: reports, evidence, letters.
Status write_private(const std::string& path, const std::string& text);

// `stem`: the report path without its extension; evidence and letters go next to it.
Result<RunbookResult> run_runbook(Sim& sim, ScenarioRun& run, const Detection& detection, const std::string& stem);

// Signs a checkpoint of the whole log and writes it for an outside witness to
// <stem>.checkpoint.json (the `rxportal checkpoint export` format).
Status preserve_signed_checkpoint(Sim& sim, const std::string& stem);

}  // namespace rxp::sim
