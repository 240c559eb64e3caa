// The anomaly detector: rules and per-user baselines over the committed event stream. Pure:
// a state and one event in, alerts out; time is the event's own time, so a given sequence of
// events always yields the same alerts (rebuilds and drills are reproducible).
//
// Rules (DESIGN.md, "Security model"; each alert has a severity, a plain-language explanation
// without PHI, the positions of its evidence, and a score in [0, 1] for measuring detection
// quality):
//   volume_above_baseline   record views in the last hour far above the user's own hourly
//                           baseline (exponentially weighted; ignored until 24 h of history)
//   no_care_relationship    repeated denials for patients the user has no relationship with
//   vip_record_access       any view or export of a flagged (VIP) record
//   off_hours_bulk          many views between 22:00 and 06:00 UTC
//   export_burst            several exports within ten minutes
//   failed_login_storm      many failed passwords on one account, or from one source
//   mfa_bombing             MfaBombingSuspected from the user aggregate
//   new_device_login        a login completed from a device never seen for the user
//   authenticator_clone     AuthenticatorCloneSuspected
//   break_glass             every BreakGlassInvoked (high; an auditor must review it)
//   session_token_replay    SessionEnded with reason device_changed: a session token came back
//                           with another device's fingerprint (a stolen cookie replayed)
// Not implemented: "same surname or address" snooping: rxportal stores no names or
// addresses, so there is nothing to compare (the VIP flag is the stand-in).
//
// Thread-safety: plain values; one detector state per projection runner.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "events/event_log.hpp"

namespace rxp::projections {

struct Alert {
  std::string alert_id;  // deterministic: rule + the position of the triggering event
  std::string rule;
  std::string severity;  // low | medium | high
  std::string explanation;
  std::string user_id;     // whom it is about (may be empty: a source address storm)
  std::string patient_id;  // where it matters
  std::vector<uint64_t> evidence;
  double score = 0;
  bool operator==(const Alert&) const = default;
};

struct DetectorConfig {
  int64_t window_us = 3600LL * 1000000;  // volume window
  double volume_factor = 5.0;            // views in the window above factor x baseline
  size_t volume_min = 30;                // and at least this many
  size_t no_care_denials = 3;            // within the window
  size_t off_hours_views = 20;           // within one night
  size_t export_burst = 3;               // within ten minutes
  size_t failed_logins = 10;             // within ten minutes, per account or source
};

struct UserActivity {
  std::deque<std::pair<int64_t, uint64_t>> views;  // (time, position) in the window
  double hourly_baseline = 0;                      // EWMA of views per hour
  int64_t baseline_since_us = 0;
  int64_t last_hour_bucket = -1;
  size_t views_in_bucket = 0;
  std::deque<std::pair<int64_t, uint64_t>> denials, night_views, exports, failures;
  std::set<std::string> devices;
  bool volume_alerted_in_window = false;
  std::set<int64_t> nights_worked;  // night indices (06:00-06:00 UTC days) with views, last 14
};

struct DetectorState {
  std::map<std::string, UserActivity> users;
  std::map<std::string, std::deque<std::pair<int64_t, uint64_t>>> source_failures;
  std::set<std::string> vip_patients;
  // Care teams of VIP records only (bounded by the VIPs): their own clinicians' views are care.
  std::map<std::string, std::set<std::string>> vip_care_teams;
  std::map<std::string, std::string> pending_login_device;  // login id -> device hash
};

// The alerts this event raises (usually none). Events of other kinds are ignored.
std::vector<Alert> detect(DetectorState& state, const events::RecordedEvent& event,
                          const DetectorConfig& config = {});

// The detector's suspicion of one event, raising nothing (for ROC curves and AUC in drills):
// the highest score any rule gives it, 0 when no rule looks at it. A counting rule scores its
// progress toward its threshold (count / threshold x the alert's score), so events below the
// threshold still rank; an event that would raise an alert scores at least that alert's score.
// Advances `state` exactly as detect() does: feed every event of the log, in order, to one of
// the two functions per state.
double score_event(DetectorState& state, const events::RecordedEvent& event,
                   const DetectorConfig& config = {});

}  // namespace rxp::projections
