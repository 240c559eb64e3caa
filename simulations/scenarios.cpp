#include "simulations/scenarios.hpp"

#include <sqlite3.h>

#include <filesystem>

#include "events/verify.hpp"

namespace rxp::sim {
namespace {

using policy::Section;

const std::vector<ScenarioInfo> kScenarios = {
    {"credential-stuffing", "one address tries leaked username/password pairs; one reused password is right", "anomaly_detector"},
    {"snoop-coworker", "a clinician opens a colleague's record without care, is denied, then breaks the glass", "anomaly_detector"},
    {"snoop-vip", "a clinician uses break-glass to read a VIP's record", "anomaly_detector"},
    {"stolen-token", "a clinician's session token is replayed from another device", "anomaly_detector"},
    {"mfa-bombing", "a stolen password, then repeated number-matching prompts to the victim", "anomaly_detector"},
    {"bulk-export", "a clinician steps up and exports every record of their panel", "anomaly_detector"},
    {"tamper", "one byte of an event's ciphertext is flipped in the SQLite file", "integrity_check"},
    {"key-compromise", "the KEK file is copied; the KEK is rotated and the copy must not open new data", "external_report"},
};

const char* section_label(Section s) { return policy::section_name(s); }

// A day-shift clinician with a panel, chosen by the rng (deterministic for the seed).
size_t pick_clinician(Sim& sim, size_t avoid = SIZE_MAX) {
  const auto& c = sim.pop.clinicians;
  for (int tries = 0; tries < 1000; ++tries) {
    size_t who = c[sim.rng() % c.size()];
    if (who == avoid || sim.pop.people[who].night_shift) continue;
    auto it = sim.pop.panel.find(sim.pop.people[who].user_id);
    if (it != sim.pop.panel.end() && !it->second.empty()) return who;
  }
  return c[0];
}

// A patient outside the clinician's panel (not VIP).
size_t pick_stranger(Sim& sim, size_t clinician) {
  const auto& panel = sim.pop.panel[sim.pop.people[clinician].user_id];
  for (int tries = 0; tries < 1000; ++tries) {
    size_t p = sim.rng() % sim.pop.patients.size();
    if (!sim.pop.patients[p].vip && std::find(panel.begin(), panel.end(), p) == panel.end()) return p;
  }
  return 0;
}

// A view by `who` of `pid` as a labelled malicious action; what it discloses is exposure.
void snoop_view(Sim& sim, size_t who, const std::string& pid, Section section) {
  sim.malicious(std::string("view ") + section_label(section), [&] {
    auto r = sim.record(sim.pop.people[who], pid, record::ViewSection{section, "treatment"});
    if (r.error.is_ok() && r.outcome == record::Outcome::kOk) sim.note_exposure(pid, section_label(section));
    return 0;
  });
}

void break_glass(Sim& sim, size_t who, const std::string& pid) {
  sim.malicious("break-glass", [&] {
    return sim.record(sim.pop.people[who], pid,
                      record::InvokeBreakGlass{"emergency", "patient unresponsive, medication list needed now", kHour});
  });
}

void plan_stuffing(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  size_t victim = pick_clinician(sim);
  run.lock_accounts = {victim};
  sim.truth.victim_user_id = sim.pop.people[victim].user_id;
  sim.truth.attacker_source = "203.0.113.50";
  std::vector<std::pair<std::string, std::string>> leaked;  // (username, password)
  for (int i = 0; i < 40; ++i) {
    if (i == 7) {
      leaked.emplace_back(sim.pop.people[victim].username, sim.pop.people[victim].password);
    } else if (i % 3 == 0) {
      leaked.emplace_back("leaked.user." + std::to_string(i), "Summer2026!" + std::to_string(i));
    } else {
      const auto& p = sim.pop.people[sim.rng() % sim.pop.people.size()];
      leaked.emplace_back(p.username, "Password123!" + std::to_string(i));
    }
  }
  for (size_t i = 0; i < leaked.size(); ++i)
    s.at(day + 10 * kHour + static_cast<int64_t>(i) * 6 * kSecond, [&sim, victim, entry = leaked[i]] {
      sim.malicious("login attempt", [&] {
        auto r = sim.rt().call(actors::DirectoryRequest{
            actors::LoginAttempt{entry.first, actors::make_secret(entry.second), "203.0.113.50", "dev-attacker"}, "corr-atk"});
        // The right password: the attacker guesses TOTP codes and fails.
        if (!r.login.login_id.empty())
          for (const char* guess : {"000000", "123456"})
            sim.rt().call(actors::UserRequest(sim.pop.people[victim].user_id, identity::CompleteTotp{r.login.login_id, guess, {}}));
        return 0;
      });
    });
}

void plan_snoop_coworker(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  size_t insider = pick_clinician(sim);
  size_t target = pick_stranger(sim, insider);
  run.lock_accounts = {insider};
  sim.truth.attacker_user_id = sim.pop.people[insider].user_id;
  std::string pid = sim.pop.patients[target].patient_id;
  int64_t t = day + 14 * kHour;
  for (int i = 0; i < 3; ++i, t += 40 * kSecond)
    s.at(t, [&sim, insider, pid] { snoop_view(sim, insider, pid, Section::kMedications); });
  s.at(t, [&sim, insider, pid] { break_glass(sim, insider, pid); });
  t += 30 * kSecond;
  for (Section sec : {Section::kMedications, Section::kAdverseEvents, Section::kDosing}) {
    s.at(t, [&sim, insider, pid, sec] { snoop_view(sim, insider, pid, sec); });
    t += 45 * kSecond;
  }
}

void plan_snoop_vip(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  size_t insider = pick_clinician(sim);
  size_t vip = 0;
  for (size_t i = 0; i < sim.pop.patients.size(); ++i)
    if (sim.pop.patients[i].vip) vip = i;
  run.lock_accounts = {insider};
  sim.truth.attacker_user_id = sim.pop.people[insider].user_id;
  std::string pid = sim.pop.patients[vip].patient_id;
  int64_t t = day + 15 * kHour;
  s.at(t, [&sim, insider, pid] { break_glass(sim, insider, pid); });
  for (Section sec : {Section::kMedications, Section::kAdverseEvents, Section::kDosing, Section::kMedications}) {
    t += 50 * kSecond;
    s.at(t, [&sim, insider, pid, sec] { snoop_view(sim, insider, pid, sec); });
  }
}

void plan_stolen_token(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  size_t victim = pick_clinician(sim);
  run.revoke_sessions_of = {victim};
  sim.truth.victim_user_id = sim.pop.people[victim].user_id;
  sim.truth.attacker_source = "198.51.100.23";
  // The victim is signed in (their browser's cookie is what gets stolen).
  s.at(day + 11 * kHour - 2 * kMinute, [&sim, victim] { sim.ensure_session(sim.pop.people[victim]); });
  s.at(day + 11 * kHour, [&sim, &run, victim] {
    const Person& v = sim.pop.people[victim];
    std::string session = v.session_id, token = v.token;
    run.stolen_session_id = session;
    for (int i = 0; i < 3; ++i)
      sim.malicious("replayed session token", [&] { return sim.authenticate(session, token, "dev-attacker").has_value(); });
  });
}

void plan_mfa_bombing(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  size_t victim = pick_clinician(sim);
  run.lock_accounts = {victim};
  sim.truth.victim_user_id = sim.pop.people[victim].user_id;
  sim.truth.attacker_source = "192.0.2.66";
  auto login_id = std::make_shared<std::string>();
  s.at(day + 21 * kHour - 5 * kMinute, [&sim, victim] { sim.ensure_session(sim.pop.people[victim]); });
  s.at(day + 21 * kHour, [&sim, victim, login_id] {
    sim.malicious("login with stolen password", [&] {
      const Person& v = sim.pop.people[victim];
      auto r = sim.rt().call(actors::DirectoryRequest{
          actors::LoginAttempt{v.username, actors::make_secret(v.password), "192.0.2.66", "dev-attacker"}, "corr-atk"});
      *login_id = r.login.login_id;
      return 0;
    });
  });
  for (int i = 1; i <= 6; ++i)
    s.at(day + 21 * kHour + i * 45 * kSecond, [&sim, victim, login_id] {
      sim.malicious("number-matching prompt", [&] {
        return sim.rt().call(actors::UserRequest(sim.pop.people[victim].user_id, identity::RequestApproval{*login_id, "", ""})).outcome;
      });
    });
}

void plan_bulk_export(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  size_t insider = pick_clinician(sim);
  run.lock_accounts = {insider};
  sim.truth.attacker_user_id = sim.pop.people[insider].user_id;
  auto panel = sim.pop.panel[sim.pop.people[insider].user_id];
  if (panel.size() > 25) panel.resize(25);
  int64_t t = day + 13 * kHour;
  for (size_t i = 0; i < panel.size(); ++i, t += 20 * kSecond)
    s.at(t, [&sim, insider, pid = sim.pop.patients[panel[i]].patient_id] {
      Person& p = sim.pop.people[insider];
      if (p.step_up_until_us <= sim.clock.now_us() + 30 * kSecond) sim.step_up(p);
      sim.malicious("export", [&] {
        auto r = sim.record(p, pid, record::ExportRecord{"json"});
        if (r.error.is_ok() && r.outcome == record::Outcome::kOk) {
          ++sim.count.exports;
          for (const char* sec : {"medications", "pgx", "adverse_events", "dosing"}) sim.note_exposure(pid, sec);
        }
        return 0;
      });
    });
}

void plan_tamper(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  s.at(day + 12 * kHour, [&sim, &run] {
    // Readers (detector, projections) are past everything so far: the damage waits for verify.
    sim.settle();
    (void)sim.detect();
    (void)sim.project();
    uint64_t head = sim.head();
    uint64_t target = 1 + head / 3 + sim.rng() % std::max<uint64_t>(1, head / 3);
    Status flipped = sim.malicious("flip one ciphertext byte in the store file", [&] {
      sim.truth.positions.insert(target);
      return flip_payload_byte(sim.dir + "/events.db", target);
    });
    if (flipped.is_ok()) run.tampered_position = target;
    sim.truth.action_positions.back().push_back(target);
  });
  s.at(day + 23 * kHour + 30 * kMinute, [&sim, &run] {  // the nightly integrity check
    events::VerifyOptions vo;
    vo.threads = 2;
    auto report = events::verify_log(sim.log(), vo);
    run.found_at_us = sim.clock.now_us();
    if (!report) {
      run.finding = report.status().to_string();
    } else if (report->failure) {
      run.found = report->failure->position == run.tampered_position;
      run.tampered_stream = report->failure->stream_id;
      run.named_position = report->failure->position;
      run.finding = "verify named position " + std::to_string(report->failure->position);
    } else {
      run.finding = "verify: the log verified (tampering not found)";
    }
  });
}

void plan_key_compromise(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  s.at(day + 11 * kHour, [&sim, &run] {
    sim.malicious("copy of the KEK file", [&] {
      run.stolen_key_path = sim.dir + "/stolen.key";
      std::error_code ec;
      std::filesystem::copy_file(sim.dir + "/rxportal.key", run.stolen_key_path, ec);
      return 0;
    });
  });
  s.at(day + 13 * kHour, [&sim, &run] {  // a third party reports the key for sale
    run.found_at_us = sim.clock.now_us();
    run.found = !run.stolen_key_path.empty();
    run.finding = "external report: the KEK file was copied";
  });
}

}  // namespace

Status flip_payload_byte(const std::string& db, uint64_t position) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return Status(ErrorCode::kIo, "tamper: cannot open the store");
  }
  // An attacker with write access to the file, outside rxportal: one byte of one ciphertext.
  sqlite3_stmt* get = nullptr;
  sqlite3_prepare_v2(h, "SELECT payload FROM events WHERE position = ?1", -1, &get, nullptr);
  sqlite3_bind_int64(get, 1, static_cast<sqlite3_int64>(position));
  Bytes payload;
  if (sqlite3_step(get) == SQLITE_ROW) {
    auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(get, 0));
    payload.assign(p, p + sqlite3_column_bytes(get, 0));
  }
  sqlite3_finalize(get);
  Status st = Status(ErrorCode::kNotFound, "tamper: no such event");
  if (payload.size() > 8) {
    payload[payload.size() / 2] ^= 0x01;
    sqlite3_stmt* put = nullptr;
    sqlite3_prepare_v2(h, "UPDATE events SET payload = ?1 WHERE position = ?2", -1, &put, nullptr);
    sqlite3_bind_blob(put, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(put, 2, static_cast<sqlite3_int64>(position));
    st = sqlite3_step(put) == SQLITE_DONE ? Status::ok() : Status(ErrorCode::kIo, "tamper: update failed");
    sqlite3_finalize(put);
  }
  sqlite3_close(h);
  return st;
}

const std::vector<ScenarioInfo>& scenarios() { return kScenarios; }

const ScenarioInfo* find_scenario(const std::string& name) {
  for (const auto& s : kScenarios)
    if (s.name == name) return &s;
  return nullptr;
}

Status plan_scenario(Sim& sim, Schedule& s, int64_t day, ScenarioRun& run) {
  const std::string& n = run.info.name;
  if (n == "credential-stuffing") plan_stuffing(sim, s, day, run);
  else if (n == "snoop-coworker") plan_snoop_coworker(sim, s, day, run);
  else if (n == "snoop-vip") plan_snoop_vip(sim, s, day, run);
  else if (n == "stolen-token") plan_stolen_token(sim, s, day, run);
  else if (n == "mfa-bombing") plan_mfa_bombing(sim, s, day, run);
  else if (n == "bulk-export") plan_bulk_export(sim, s, day, run);
  else if (n == "tamper") plan_tamper(sim, s, day, run);
  else if (n == "key-compromise") plan_key_compromise(sim, s, day, run);
  else return Status(ErrorCode::kInvalidArgument, "unknown scenario");
  return Status::ok();
}

}  // namespace rxp::sim
