#include "simulations/runbook.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "events/checkpoint.hpp"
#include "events/keyring.hpp"
#include "events/verify.hpp"
#include "projections/audit_trail.hpp"
#include "projections/fhir_audit.hpp"

namespace rxp::sim {
namespace {

constexpr int64_t kNotificationUs = 60 * kDay;  // HIPAA: without unreasonable delay, <= 60 days
constexpr size_t kMediaNoticeResidents = 500;

// Times one step: simulated seconds from the clock, wall milliseconds from steady_clock.
template <class F>
StepResult timed(Sim& sim, const std::string& name, F&& body) {
  StepResult r;
  r.step = name;
  int64_t sim_start = sim.clock.now_us();
  auto wall_start = std::chrono::steady_clock::now();
  Status st = body(r);
  r.simulated_s = static_cast<double>(sim.clock.now_us() - sim_start) / 1e6;
  r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start).count();
  if (r.status.empty()) r.status = st.is_ok() ? "done" : "failed";
  if (!st.is_ok() && r.detail.empty()) r.detail = st.to_string();
  return r;
}

Status contain(Sim& sim, const ScenarioRun& run, StepResult& r) {
  if (run.lock_accounts.empty() && run.revoke_sessions_of.empty()) {
    r.detail = "no account to contain";
    return Status::ok();
  }
  Person& admin = sim.pop.people[sim.pop.admins[0]];
  if (!sim.step_up(admin)) return Status(ErrorCode::kInternal, "the admin could not step up");
  size_t roles = 0, sessions = 0;
  for (size_t who : run.lock_accounts) {
    Person& p = sim.pop.people[who];
    actors::UserRequest req(p.user_id, identity::RevokeRole{p.role, "admin", {admin.session_id, admin.step_up_until_us}});
    req.actor_user_id = admin.user_id;
    req.actor_role = "admin";
    auto reply = sim.rt().call(req);
    if (reply.outcome != identity::UserOutcome::kOk) return Status(ErrorCode::kInternal, "lock " + p.user_id + ": " + reply.reason);
    ++roles;
    p.session_id.clear();
  }
  std::vector<std::string> targets;
  if (!run.stolen_session_id.empty()) targets.push_back(run.stolen_session_id);
  for (size_t who : run.revoke_sessions_of) {
    Person& p = sim.pop.people[who];
    if (!p.session_id.empty() && p.session_id != run.stolen_session_id) targets.push_back(p.session_id);
    p.session_id.clear();
  }
  for (const auto& sid : targets) {
    // Revoking a session that already ended is harmless (no event): the session actor ended
    // the stolen one itself when its token came from another device.
    auto reply = sim.rt().call(actors::SessionRequest{sid, identity::Revoke{"incident"}});
    sessions += reply.outcome == identity::SessionOutcome::kOk;
  }
  r.detail = std::to_string(roles) + " account(s) locked (every role revoked, every session ended), " +
             std::to_string(sessions) + " session(s) revoked or found already ended";
  return Status::ok();
}

Status export_evidence(Sim& sim, const std::string& stem, int64_t from_us, size_t& count, StepResult& r) {
  projections::AuditQuery q;
  q.since_us = from_us - kHour;
  q.until_us = sim.clock.now_us();
  auto trail = projections::read_audit_trail(sim.log(), q);
  if (!trail) return trail.status();
  std::string text;
  for (const auto& e : *trail) {
    text += projections::to_json(projections::audit_entry(e)).dump();
    text += "\n";
  }
  count = trail->size();
  r.detail = std::to_string(count) + " audit events exported (evidence file)";
  return write_private(stem + ".evidence.jsonl", text);
}

Notification notify(Sim& sim, const std::optional<projections::BreachScope>& scope, int64_t discovered_us,
                    const std::string& stem, Status& st) {
  Notification n;
  n.discovered_us = discovered_us;
  n.deadline_us = discovered_us + kNotificationUs;
  nlohmann::json letters = nlohmann::json::array();
  // Letters go to whom the computed scope names (what an incident team has), unsecured only;
  // without a scope (no attacker principal) to the ground truth's exposure, which is empty.
  auto letter = [&](const std::string& pid, const std::string& state, const auto& sections) {
    ++n.residents_by_state[state];
    letters.push_back({{"patient_id", pid}, {"state", state}, {"sections", sections},
                       {"due", format_rfc3339_us(n.deadline_us)}});
  };
  if (scope) {
    for (const auto& p : scope->patients)
      if (!p.secured) letter(p.patient_id, p.state, p.sections);
  } else {
    for (const auto& [pid, e] : sim.truth.exposure) letter(pid, e.state, e.sections);
  }
  n.letters = letters.size();
  for (const auto& [state, residents] : n.residents_by_state)
    if (residents >= kMediaNoticeResidents) n.states_needing_media_notice.push_back(state);
  st = write_private(stem + ".letters.json", letters.dump(2) + "\n");
  return n;
}

Status check_rotated_key(Sim& sim, const ScenarioRun& run, KeyCheck& k, StepResult& r) {
  auto kek = sim.log().rotate_kek();  // the code path of `rxportal keys rotate-kek`
  if (!kek) return kek.status();
  // New data after the rotation: a record created by the admin through the actors.
  Person& admin = sim.pop.people[sim.pop.admins[0]];
  if (!sim.step_up(admin)) return Status(ErrorCode::kInternal, "the admin could not step up");
  const std::string pid = "pt-after-rotation";
  auto created = sim.record(admin, pid, record::CreateRecord{"1980-01-01", "MA", false});
  if (created.outcome != record::Outcome::kOk) return Status(ErrorCode::kInternal, "new record: " + created.reason);
  auto events = sim.log().read_stream("record/" + pid);
  if (!events) return events.status();
  if (events->empty()) return Status(ErrorCode::kInternal, "new record has no events");
  auto wrapped = sim.store().find_dek(events->front().header.key_id);
  if (!wrapped) return wrapped.status();
  if (!*wrapped) return Status(ErrorCode::kKeyError, "new record's DEK is missing");
  k.new_kek_opens_new_data = sim.keys().unwrap(**wrapped).is_ok();
  auto stolen = events::KeyRing::open(run.stolen_key_path);
  k.old_kek_opens_new_data = stolen && stolen->unwrap(**wrapped).is_ok();
  k.done = true;
  r.detail = std::string("KEK rotated; the stolen copy ") + (k.old_kek_opens_new_data ? "STILL opens" : "does not open") +
             " the new record's DEK; the current key ring " + (k.new_kek_opens_new_data ? "does" : "does NOT");
  return Status::ok();
}

Result<events::VerifyReport> verify_quick(Sim& sim) {
  events::VerifyOptions vo;
  vo.threads = 2;
  return events::verify_log(sim.log(), vo);
}

Status recover(Sim& sim, ScenarioRun& run, RunbookResult& out, const std::string& stem, StepResult& r) {
  if (run.info.name == "tamper" && run.tampered_position != 0) {
    RXP_RETURN_IF_ERROR(flip_payload_byte(sim.dir + "/events.db", run.tampered_position));  // restore
    r.detail = "the tampered event restored from backup; ";
  } else if (run.info.name == "key-compromise") {
    RXP_RETURN_IF_ERROR(check_rotated_key(sim, run, out.key, r));
    r.detail += "; ";
  } else if (run.info.name == "credential-stuffing" || run.info.name == "mfa-bombing") {
    // The victim's password is reset out of band; their role comes back.
    Person& admin = sim.pop.people[sim.pop.admins[0]];
    if (!sim.step_up(admin)) return Status(ErrorCode::kInternal, "the admin could not step up");
    for (size_t who : run.lock_accounts) {
      Person& p = sim.pop.people[who];
      actors::UserRequest req(p.user_id, identity::GrantRole{p.role, {admin.session_id, admin.step_up_until_us}});
      req.actor_user_id = admin.user_id;
      req.actor_role = "admin";
      auto reply = sim.rt().call(req);
      if (reply.outcome != identity::UserOutcome::kOk) return Status(ErrorCode::kInternal, "regrant: " + reply.reason);
    }
    r.detail = "victim's role granted back after the password reset; ";
  }
  auto v = verify_quick(sim);
  if (!v) return v.status();
  out.verified_after_recovery = v->ok();
  r.detail += out.verified_after_recovery ? "the log verifies" : "the log does NOT verify: " + v->failure->reason;
  if (!out.verified_after_recovery) return Status(ErrorCode::kIntegrity, r.detail);
  if (out.checkpoint_deferred) {
    RXP_RETURN_IF_ERROR(preserve_signed_checkpoint(sim, stem));
    r.detail += "; signed checkpoint written for a witness";
  }
  return Status::ok();
}

}  // namespace

Status write_private(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status(ErrorCode::kIo, "cannot create " + path);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok ? Status::ok() : Status(ErrorCode::kIo, "cannot write " + path);
}

Status preserve_signed_checkpoint(Sim& sim, const std::string& stem) {
  // Signs the Merkle root of the whole log (a LogCheckpointed event) and writes it, with the
  // public key, where an outside witness keeps it: `rxportal verify --witness` later proves
  // the log still extends it.
  auto cp = events::create_checkpoint(sim.log(), sim.keys(), sim.clock);
  if (!cp) return cp.status();
  auto witness = events::export_checkpoint(sim.log(), sim.keys());
  if (!witness) return witness.status();
  return write_private(stem + ".checkpoint.json", events::witness_to_json(*witness) + "\n");
}

Status compute_scope(Sim& sim, const ScenarioRun& run, int64_t discovered_us, RunbookResult& out, StepResult& r) {
  projections::BreachQuery q;
  // From the first malicious action to now: containment has just run, and an attacker keeps
  // going between detection and containment (a bulk export does).
  q.from_us = sim.truth.first_us;
  q.to_us = sim.clock.now_us();
  q.discovered_us = discovered_us;
  if (!sim.truth.attacker_user_id.empty()) {  // an insider: everything their account disclosed
    q.by = projections::BreachQuery::By::kActor;
    q.id = sim.truth.attacker_user_id;
  } else if (!run.stolen_session_id.empty()) {  // a replayed token: what that session disclosed
    q.by = projections::BreachQuery::By::kSession;
    q.id = run.stolen_session_id;
  } else if (!run.stolen_key_path.empty()) {  // a copied key file: the KEK it holds
    q.by = projections::BreachQuery::By::kKey;
    q.id = sim.keys().current_kek_id();
  } else {
    // The attacker never held a session (stuffing and bombing stopped at MFA; tampering
    // discloses nothing): there is no principal to scope, and nothing was disclosed.
    out.breach_scope_exact = sim.truth.exposure.empty();
    r.detail = "no attacker session or key: nothing to scope";
    return Status::ok();
  }
  q.to_us = std::max(q.to_us, q.from_us);
  auto scope = projections::compute_breach_scope(sim.log(), q);
  if (!scope) return scope.status();
  size_t unsecured = 0;
  for (const auto& p : scope->patients) unsecured += !p.secured;
  if (q.by == projections::BreachQuery::By::kKey) {
    // Everything under the copied KEK is exposed; the ground truth names no patients, so
    // exactness is not defined here (reported as null).
    out.breach_scope_exact.reset();
  } else {
    out.breach_scope_exact = matches_truth(sim.truth, scope->patients);
  }
  std::set<std::string> truth_ids, scope_ids;
  for (const auto& [pid, e] : sim.truth.exposure) truth_ids.insert(pid);
  for (const auto& p : scope->patients) scope_ids.insert(p.patient_id);
  for (const auto& pid : scope_ids) out.scope_extra += !truth_ids.contains(pid);
  for (const auto& pid : truth_ids) out.scope_missed += !scope_ids.contains(pid);
  auto recorded = projections::record_breach_scope(sim.log(), *scope,
                                                   events::Principal{sim.pop.people[sim.pop.admins[0]].user_id, "admin", ""});
  if (!recorded) return recorded.status();
  out.scope_json = projections::breach_scope_json(*scope).dump();
  r.detail = std::string("by ") + projections::by_name(q.by) + ": " + std::to_string(scope->patients.size()) +
             " patient(s), " + std::to_string(unsecured) + " unsecured; recorded as " + *recorded;
  out.scope = std::move(*scope);
  return Status::ok();
}

Result<RunbookResult> run_runbook(Sim& sim, ScenarioRun& run, const Detection& detection, const std::string& stem) {
  RunbookResult out;
  int64_t discovered = detection.detected_at_us.value_or(sim.clock.now_us());
  out.steps.push_back(timed(sim, "contain", [&](StepResult& r) { return contain(sim, run, r); }));
  out.steps.push_back(timed(sim, "preserve", [&](StepResult& r) {
    Status st = export_evidence(sim, stem, sim.truth.first_us, out.evidence_events, r);
    if (!st.is_ok()) return st;
    // Signing a log that does not verify would vouch for the tampering: then the checkpoint
    // waits until recovery has restored a log that verifies.
    auto v = verify_quick(sim);
    if (!v) return v.status();
    if (!v->ok()) {
      out.checkpoint_deferred = true;
      r.detail += "; the log does not verify (" + v->failure->reason + "): no checkpoint until recovered";
      return Status::ok();
    }
    RXP_RETURN_IF_ERROR(preserve_signed_checkpoint(sim, stem));
    r.detail += "; signed checkpoint of the whole log written for a witness";
    return Status::ok();
  }));
  out.steps.push_back(timed(sim, "scope", [&](StepResult& r) {
    return compute_scope(sim, run, discovered, out, r);
  }));
  out.steps.push_back(timed(sim, "notify", [&](StepResult& r) {
    Status st;
    out.notice = notify(sim, out.scope, discovered, stem, st);
    r.detail = std::to_string(out.notice.letters) + " letter(s) due " + format_rfc3339_us(out.notice.deadline_us);
    return st;
  }));
  out.steps.push_back(timed(sim, "recover", [&](StepResult& r) { return recover(sim, run, out, stem, r); }));
  return out;
}

}  // namespace rxp::sim
