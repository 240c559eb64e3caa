// The attack scenarios of the drills. Each plans its malicious actions into the schedule on
// the attack day (the last simulated day, so the detector has a day of baselines), through
// the same actors as normal traffic, and labels them as ground truth (Sim::malicious).
//
//   credential-stuffing  one address tries leaked username/password pairs; one password is
//                        right (reused), the TOTP guesses are not
//   snoop-coworker       a clinician opens a colleague's record without a care relationship,
//                        is denied, then invokes break-glass and reads it
//   snoop-vip            a clinician uses break-glass to read a VIP's record
//   stolen-token         a clinician's session token is replayed from another device
//   mfa-bombing          a clinician's stolen password, then number-matching prompts until
//                        they give in (they do not)
//   bulk-export          a clinician steps up and exports every record of their panel
//   tamper               one byte of an event's ciphertext is flipped in the SQLite file;
//                        the nightly integrity check (verify) must name its position
//   key-compromise       the KEK file is copied; the runbook rotates the KEK and shows the
//                        copy no longer opens data written afterwards
// Thread-safety: one thread (the Sim's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "simulations/traffic.hpp"

namespace rxp::sim {

struct ScenarioInfo {
  std::string name;
  std::string summary;
  std::string detection;  // anomaly_detector | integrity_check | external_report
};
const std::vector<ScenarioInfo>& scenarios();
const ScenarioInfo* find_scenario(const std::string& name);

// What the scenario leaves for detection and the runbook.
struct ScenarioRun {
  ScenarioInfo info;
  std::vector<size_t> lock_accounts;          // people to lock out (contain)
  std::vector<size_t> revoke_sessions_of;     // people whose sessions end (contain)
  std::string stolen_session_id;              // stolen-token: the session whose token was replayed
  // integrity_check / external_report: when and whether the scenario's own check found it.
  std::optional<int64_t> found_at_us;
  bool found = false;
  std::string finding;
  uint64_t tampered_position = 0, named_position = 0;
  std::string tampered_stream;
  std::string stolen_key_path;
};

// XORs one bit in the middle of the ciphertext of the event at `position`, with a separate
// SQLite connection (an attacker with the file, outside rxportal). Its own inverse: the
// tamper runbook's recovery calls it again, standing in for a restore from backup.
Status flip_payload_byte(const std::string& db_path, uint64_t position);

Status plan_scenario(Sim& sim, Schedule& schedule, int64_t attack_day_us, ScenarioRun& run);

}  // namespace rxp::sim
