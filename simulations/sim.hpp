// Sim: one drill's hospital in process: a key file and SQLite store in a directory, the real
// actor runtime on a SimulatedClock, the anomaly detector (AlertRaiser) and the projections
// (ProjectionRunner), plus the synthetic people and the ground truth of what was malicious.
//
// CONTRACT
// - Determinism: every choice comes from `rng` (seeded by the drill); traffic is driven one
//   command at a time from one thread, so for a seed the same commands reach the actors in
//   the same order at the same simulated times. The actors' own random values (session ids,
//   TOTP secrets, nonces) differ between runs; nothing the report shows depends on them.
//   The session actors' expiry timer is set beyond any drill's wall time, so expiry happens on
//   use (an event at a deterministic point), never at a wall-clock moment.
// - The detector and the projections run only in tick(), at simulated times chosen by the
//   caller, so alerts are appended at deterministic points of the log.
// - malicious(label, fn) runs fn and labels every event appended meanwhile as ground truth.
// Thread-safety: one thread drives a Sim. Ownership: the Sim owns the store, keys, log,
// runtime, raiser and runner; the directory is the caller's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "actors/runtime.hpp"
#include "events/event_log.hpp"
#include "infra/bytes.hpp"
#include "infra/clock.hpp"

namespace rxp::projections {
class AlertRaiser;
class ProjectionRunner;
}  // namespace rxp::projections

namespace rxp::sim {

inline constexpr int64_t kSecond = 1000000;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDay = 24 * kHour;

struct Person {
  std::string user_id, username, role, password, patient_id, device, ip;
  Bytes totp_secret;  // raw bytes, as the authenticator app holds them
  bool night_shift = false;
  // The person's browser: the live session, if any.
  std::string session_id, token;
  int64_t step_up_until_us = 0;
  int64_t last_totp_step = -1;  // a code is accepted once per 30 s step
};

struct Patient {
  std::string patient_id, birth_date, state;
  int age = 0;
  bool vip = false;
  std::vector<size_t> care;  // indices into people (clinicians, pharmacists)
  int account = -1;          // index into people, when the patient uses the portal
  int proxy = -1;            // parent proxy of an adolescent
  std::vector<std::string> medications;
};

struct Population {
  std::vector<Person> people;
  std::vector<Patient> patients;
  std::vector<size_t> clinicians, pharmacists, admins, auditors, patient_accounts, proxies;
  std::map<std::string, std::vector<size_t>> panel;  // staff user id -> patient indices in care
};

// What the scenario did maliciously, in the shape of breach_scope.hpp's BreachScope.
struct Exposure {
  std::string patient_id;
  std::set<std::string> sections;
  int64_t first_access_us = 0, last_access_us = 0;
  std::string state;
};

struct GroundTruth {
  std::set<uint64_t> positions;      // every event a malicious action appended
  std::vector<std::string> actions;  // labelled actions, in order ("label @time")
  size_t action_count = 0;
  std::vector<std::vector<uint64_t>> action_positions;  // per labelled action, its events
  int64_t first_us = 0, last_us = 0;
  std::string attacker_user_id, victim_user_id, attacker_source;
  std::map<std::string, Exposure> exposure;  // patient id -> what was disclosed
};

struct Counters {
  uint64_t logins = 0, mistyped_passwords = 0, views = 0, denied = 0, prescriptions = 0,
           adverse_events = 0, exports = 0, errors = 0, relogins = 0, commands = 0;
};

// An alert of the real detector as the drill saw it: when the tick that raised it ran.
struct SeenAlert {
  std::string rule, severity, user_id, patient_id;
  std::vector<uint64_t> evidence;
  double score = 0;
  int64_t triggered_at_us = 0, detected_at_us = 0;
};

struct SimOptions {
  std::string dir;                         // data directory (exists, empty)
  int64_t start_us = 1780272000000000;     // 2026-06-01T00:00:00Z, a Monday
  uint64_t seed = 1;
};

class Sim {
 public:
  static Result<std::unique_ptr<Sim>> open(const SimOptions& options);
  ~Sim();
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  SimulatedClock clock;
  std::mt19937_64 rng;
  Population pop;
  GroundTruth truth;
  Counters count;
  std::vector<SeenAlert> alerts;
  std::string dir;

  events::EventLog& log() { return *log_; }
  events::EventStore& store() { return *store_; }
  events::KeyRing& keys() { return *keys_; }
  actors::Runtime& rt() { return *rt_; }
  projections::ProjectionRunner& runner() { return *runner_; }
  uint64_t head();
  // Waits (briefly, in wall time) until the actors' fire-and-forget follow-ups (a session
  // closed, sessions revoked) have been committed, so the head is the same in every run.
  void settle();

  // ---- identity, as a browser would go through it ----
  // Password then TOTP from `device` at `ip`; the session is kept in `p`. False when refused.
  bool login(Person& p, const std::string& device, const std::string& ip);
  // The session still answers (re-logs in from the usual device when it ended).
  bool ensure_session(Person& p);
  // The subject of p's live session (after logging in again when it ended).
  std::optional<policy::Subject> session_subject(Person& p);
  bool step_up(Person& p);  // TOTP step-up on the live session
  void logout(Person& p);
  // The subject the edge would build for p's session presented from `device`; nullopt when
  // the session refuses (the refusal may end it, as an event).
  std::optional<policy::Subject> authenticate(const std::string& session_id, const std::string& token,
                                              const std::string& device);
  // A record command by p through p's session.
  actors::RecordReply record(Person& p, const std::string& pid, record::RecordCommand cmd);
  std::string totp_now(const Person& p) const;

  // ---- ground truth ----
  // Settles before and after, so the actors' follow-ups of earlier commands stay out of the
  // bracket and those of this action fall in it, in every run.
  template <class F>
  auto malicious(const std::string& label, F&& fn) {
    settle();
    uint64_t before = head();
    note_action(label);
    auto result = fn();
    settle();
    label_since(before);
    return result;
  }
  void note_exposure(const std::string& pid, const std::string& section);

  // ---- detection ----
  // The detector over everything committed so far; new alerts are stamped with the clock.
  Status detect();
  Status project();  // the projection runner catches up

  int64_t rand_between(int64_t lo, int64_t hi);  // [lo, hi]
  bool chance(double p);

 private:
  Sim();
  void note_action(const std::string& label);
  void wait_for_fresh_code(Person& p);
  void label_since(uint64_t before);
  std::unique_ptr<events::EventStore> store_;
  std::unique_ptr<events::KeyRing> keys_;
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<actors::Runtime> rt_;
  std::unique_ptr<projections::AlertRaiser> raiser_;
  std::unique_ptr<projections::ProjectionRunner> runner_;
  uint64_t alerts_seen_through_ = 0;
};

}  // namespace rxp::sim
