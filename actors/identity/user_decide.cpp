// How user commands become events (user.hpp). Every branch that refuses something security
// relevant still records it: a failure is an event like a success.
#include <algorithm>

#include "actors/identity/totp.hpp"
#include "actors/identity/user.hpp"
#include "actors/identity/webauthn.hpp"
#include "infra/secure.hpp"

namespace rxp::identity {
namespace {

BytesView bv(const std::string& s) { return as_bytes(std::string_view(s)); }

bool known_role(const std::string& r) {
  return r == "patient" || r == "proxy" || r == "clinician" || r == "pharmacist" || r == "admin" ||
         r == "auditor";
}

struct Decider {
  const UserState& s;
  int64_t now;
  const UserLimits& limits;

  // ---- small helpers ----
  static UserDecided outcome(UserOutcome o, std::string reason) {
    UserDecided d;
    d.outcome = o;
    d.reason = std::move(reason);
    return d;
  }
  const PendingLogin* pending_login(const std::string& login_id) const {
    for (const auto& l : s.logins)
      if (l.login_id == login_id && !l.completed && l.expires_at_us > now) return &l;
    return nullptr;
  }
  bool session_live(const SessionFacts& f) const {
    return std::any_of(s.sessions.begin(), s.sessions.end(), [&](const LiveSession& x) {
      return x.session_id == f.session_id && x.absolute_expires_at_us > now;
    });
  }
  bool stepped_up(const SessionFacts& f) const { return f.step_up_until_us > now; }
  std::vector<std::string> live_session_ids() const {
    std::vector<std::string> out;
    for (const auto& x : s.sessions)
      if (x.absolute_expires_at_us > now) out.push_back(x.session_id);
    return out;
  }
  // Throttle verdict for a login or step-up from this device.
  ThrottleVerdict throttle(const std::string& device_hash) const {
    return account_check(s.throttle, now, !device_hash.empty() && s.known_devices.count(device_hash) > 0);
  }
  UserDecided throttled(const ThrottleVerdict& v, const std::string& login_id, const char* method) const {
    auto d = outcome(UserOutcome::kThrottled, "throttled");
    d.retry_after_us = v.retry_after_us;
    // Recorded, not counted: a throttled attempt must not extend the victim's delay.
    if (method) d.events.push_back(events::MfaFailed{login_id, method, "throttled"});
    return d;
  }
  UserDecided mfa_failed(const std::string& login_id, const char* method, std::string reason) const {
    auto d = outcome(UserOutcome::kMfaFailed, reason);
    d.events.push_back(events::MfaFailed{login_id, method, std::move(reason)});
    return d;
  }

  // A completed login: the session to open, the cap enforced (oldest sessions evicted first).
  UserDecided login_succeeded(const PendingLogin& l, const NewSession& ns, const char* method,
                              std::vector<events::DomainEvent> first) const {
    UserDecided d;
    d.events = std::move(first);
    auto live = s.sessions;
    std::erase_if(live, [&](const LiveSession& x) { return x.absolute_expires_at_us <= now; });
    std::sort(live.begin(), live.end(),
              [](const LiveSession& a, const LiveSession& b) { return a.started_at_us < b.started_at_us; });
    std::vector<std::string> evicted;
    size_t cap = std::max<size_t>(1, limits.max_sessions);
    for (size_t i = 0; live.size() - i + 1 > cap; ++i) evicted.push_back(live[i].session_id);
    if (!evicted.empty()) {
      d.events.push_back(events::SessionsRevoked{evicted, "evicted"});
      d.effects.end_sessions = evicted;
      d.effects.end_reason = "evicted";
    }
    d.events.push_back(events::LoginSucceeded{l.login_id, ns.session_id, method, l.device_hash, l.source_ip});
    events::SessionStarted started;
    started.user_id = s.user_id;
    started.roles = s.roles;
    started.patient_id = s.patient_id;
    started.token_hash = ns.token_hash;
    started.csrf_hash = ns.csrf_hash;
    started.device_hash = l.device_hash;
    started.source_ip = l.source_ip;
    started.method = method;
    started.idle_timeout_us = idle_timeout_for(s.roles);
    started.absolute_expires_at_us = now + kSessionAbsoluteUs;
    d.effects.start_session = std::move(started);
    d.effects.start_session_id = ns.session_id;
    return d;
  }

  // The first confirmed TOTP factor that accepts `code`, or the most telling failure.
  struct TotpMatch {
    const TotpFactor* factor = nullptr;
    TotpCheck check;
  };
  TotpMatch match_totp(const std::string& code) const {
    TotpMatch best;
    best.check.outcome = TotpOutcome::kMismatch;
    for (const auto& f : s.totp) {
      if (!f.confirmed) continue;
      auto c = verify_totp(bv(f.secret), code, now, f.last_step);
      if (c.accepted()) return {&f, c};
      if (c.outcome != TotpOutcome::kMismatch) best.check = c;  // replayed / malformed say more
    }
    return best;
  }

  const Challenge* challenge_for(const std::string& purpose, const std::string& login_id) const {
    const Challenge* out = nullptr;
    for (const auto& c : s.challenges)
      if (c.purpose == purpose && c.login_id == login_id && challenge_valid(c.issued_at_us, now)) out = &c;
    return out;
  }

  // Verifies an assertion against the user's credentials and the ceremony's challenge.
  // Returns the events to record and whether it was accepted.
  struct AssertionResult {
    bool accepted = false;
    std::string reason;
    std::vector<events::DomainEvent> events;
  };
  AssertionResult check_assertion(const WebAuthnAssertion& a, const Challenge* ch,
                                  const std::string& origin, const std::string& rp_id) const {
    AssertionResult r;
    if (!ch) return {false, "challenge_expired", {}};
    auto cred = std::find_if(s.webauthn.begin(), s.webauthn.end(), [&](const WebAuthnFactor& f) {
      return f.credential_id.size() == a.credential_id.size() && secure_equal(bv(f.credential_id), bv(a.credential_id));
    });
    if (cred == s.webauthn.end()) return {false, "unknown_credential", {}};
    StoredCredential stored{bv(cred->public_key), static_cast<CoseAlg>(cred->alg), cred->sign_count};
    WebAuthnExpectation expect{bv(ch->challenge), origin, rp_id, false};
    auto check = verify_assertion(bv(a.client_data_json), bv(a.authenticator_data), bv(a.signature), stored, expect);
    if (check.accepted()) {
      r.accepted = true;
      r.events.push_back(events::WebAuthnAssertionAccepted{cred->factor_id, check.sign_count});
      return r;
    }
    r.reason = webauthn_outcome_name(check.outcome);
    if (check.outcome == WebAuthnOutcome::kCloneSuspected)
      r.events.push_back(events::AuthenticatorCloneSuspected{cred->factor_id, cred->sign_count, check.sign_count});
    return r;
  }

  // ---- commands ----
  UserDecided operator()(const Register& c) const {
    if (s.exists) return outcome(UserOutcome::kConflict, "user_exists");
    if (c.username.empty()) return outcome(UserOutcome::kInvalid, "username");
    if (c.roles.empty() || !std::all_of(c.roles.begin(), c.roles.end(), known_role))
      return outcome(UserOutcome::kInvalid, "roles");
    bool patient = std::find(c.roles.begin(), c.roles.end(), "patient") != c.roles.end();
    if (patient != !c.patient_id.empty() || (patient && !events::is_opaque_id(c.patient_id, false)))
      return outcome(UserOutcome::kInvalid, "patient_id");
    if (c.password_hash.empty()) return outcome(UserOutcome::kInvalid, "password");
    UserDecided d;
    d.events.push_back(events::UserRegistered{c.username, c.roles, c.patient_id});
    d.events.push_back(events::PasswordSet{c.password_hash, "registration"});
    return d;
  }

  UserDecided operator()(const BeginLogin& c) const {
    if (!s.exists || s.password_hash.empty()) return outcome(UserOutcome::kBadCredentials, "bad_credentials");
    auto v = throttle(c.device_hash);
    if (!v.allowed) {
      auto d = outcome(UserOutcome::kThrottled, "throttled");
      d.retry_after_us = v.retry_after_us;
      d.events.push_back(events::LoginFailed{"throttled", c.source_ip});
      return d;
    }
    if (!c.password_matched) {
      auto d = outcome(UserOutcome::kBadCredentials, "bad_credentials");
      d.events.push_back(events::LoginFailed{"bad_password", c.source_ip});
      return d;
    }
    bool new_device = c.device_hash.empty() || s.known_devices.count(c.device_hash) == 0;
    events::LoginPasswordAccepted accepted{c.login_id, c.source_ip, c.device_hash, now + kLoginTtlUs, new_device};
    if (!has_confirmed_factor(s)) {
      if (now >= s.registered_at_us + kEnrollmentGraceUs) {
        auto d = outcome(UserOutcome::kMfaEnrollmentRequired, "mfa_enrollment_required");
        d.events.push_back(events::LoginFailed{"mfa_enrollment_required", c.source_ip});
        return d;
      }
      PendingLogin l{c.login_id, c.source_ip, c.device_hash, accepted.expires_at_us, new_device, false};
      return login_succeeded(l, c.session, "password_only", {accepted});
    }
    UserDecided d;
    d.events.push_back(accepted);
    d.methods = mfa_methods(s);
    return d;
  }

  UserDecided operator()(const CompleteTotp& c) const {
    const auto* l = pending_login(c.login_id);
    if (!l) return outcome(UserOutcome::kNotFound, "login");
    if (auto v = throttle(l->device_hash); !v.allowed) return throttled(v, c.login_id, "totp");
    auto m = match_totp(c.code);
    if (!m.factor) return mfa_failed(c.login_id, "totp", totp_outcome_name(m.check.outcome));
    return login_succeeded(*l, c.session, "totp", {events::TotpCodeAccepted{m.factor->factor_id, *m.check.step}});
  }

  UserDecided operator()(const CompleteRecovery& c) const {
    const auto* l = pending_login(c.login_id);
    if (!l) return outcome(UserOutcome::kNotFound, "login");
    if (auto v = throttle(l->device_hash); !v.allowed) return throttled(v, c.login_id, "recovery");
    std::vector<RecoveryHash> hashes;
    for (const auto& h : s.recovery_hashes) {
      RecoveryHash x{};
      if (h.size() == x.size()) std::copy(h.begin(), h.end(), x.begin());
      hashes.push_back(x);
    }
    auto check = verify_recovery_code(c.code, bv(s.recovery_salt), hashes, s.recovery_used);
    if (!check.accepted()) return mfa_failed(c.login_id, "recovery", recovery_outcome_name(check.outcome));
    // A recovery ends every session: whoever holds one may be the reason for the recovery.
    std::vector<events::DomainEvent> first{events::RecoveryCodeUsed{static_cast<uint32_t>(*check.index)}};
    auto all = live_session_ids();
    if (!all.empty()) first.push_back(events::SessionsRevoked{all, "recovery"});
    auto d = login_succeeded(*l, c.session, "recovery", std::move(first));
    if (!all.empty()) {
      d.effects.end_sessions = all;
      d.effects.end_reason = "recovery";
    }
    // The recovered session may replace the lost factor at once (a factor change needs it).
    d.effects.step_up_until_us = now + kStepUpValidUs;
    return d;
  }

  UserDecided operator()(const IssueWebAuthnChallenge& c) const {
    if (c.challenge.size() < 16) return outcome(UserOutcome::kInvalid, "challenge");
    if (c.purpose == "login") {
      if (!pending_login(c.login_id)) return outcome(UserOutcome::kNotFound, "login");
      if (s.webauthn.empty()) return outcome(UserOutcome::kNotFound, "webauthn");
    } else if (c.purpose == "register" || c.purpose == "step_up") {
      if (!c.session || !session_live(*c.session)) return outcome(UserOutcome::kNotFound, "session");
      if (c.purpose == "step_up" && s.webauthn.empty()) return outcome(UserOutcome::kNotFound, "webauthn");
      if (c.purpose == "register" && has_confirmed_factor(s) && !stepped_up(*c.session))
        return outcome(UserOutcome::kStepUpRequired, "step_up_required");
    } else {
      return outcome(UserOutcome::kInvalid, "purpose");
    }
    UserDecided d;
    d.events.push_back(events::WebAuthnChallengeIssued{c.challenge, c.purpose, c.purpose == "login" ? c.login_id : ""});
    return d;
  }

  UserDecided operator()(const CompleteWebAuthn& c) const {
    const auto* l = pending_login(c.login_id);
    if (!l) return outcome(UserOutcome::kNotFound, "login");
    if (auto v = throttle(l->device_hash); !v.allowed) return throttled(v, c.login_id, "webauthn");
    auto r = check_assertion(c.assertion, challenge_for("login", c.login_id), c.origin, c.rp_id);
    if (!r.accepted) {
      auto d = mfa_failed(c.login_id, "webauthn", r.reason);
      d.events.insert(d.events.begin(), r.events.begin(), r.events.end());
      return d;
    }
    return login_succeeded(*l, c.session, "webauthn", std::move(r.events));
  }

  UserDecided operator()(const RequestApproval& c) const {
    const auto* l = pending_login(c.login_id);
    if (!l) return outcome(UserOutcome::kNotFound, "login");
    if (live_session_ids().empty()) return outcome(UserOutcome::kNotFound, "signed_in_device");
    if (c.number.size() != 2) return outcome(UserOutcome::kInvalid, "number");
    size_t recent = 1;
    for (const auto& p : s.prompts)
      if (p.created_at_us + kPromptWindowUs > now) ++recent;
    UserDecided d;
    d.events.push_back(events::MfaPromptCreated{c.prompt_id, c.login_id, c.number, now + kPromptTtlUs});
    if (recent >= kPromptBombingThreshold)
      d.events.push_back(events::MfaBombingSuspected{static_cast<uint32_t>(recent), kPromptWindowUs});
    d.number = c.number;
    return d;
  }

  UserDecided operator()(const AnswerPrompt& c) const {
    if (!session_live(c.approver)) return outcome(UserOutcome::kNotFound, "session");
    auto p = std::find_if(s.prompts.begin(), s.prompts.end(), [&](const Prompt& x) {
      return x.prompt_id == c.prompt_id && x.state == "pending" && x.expires_at_us > now;
    });
    if (p == s.prompts.end()) return outcome(UserOutcome::kNotFound, "prompt");
    UserDecided d;
    if (!c.approve) {
      d.outcome = UserOutcome::kOk;
      d.events.push_back(events::MfaPromptDenied{c.prompt_id, "rejected"});
      return d;
    }
    if (c.number.size() != p->number.size() || !secure_equal(bv(c.number), bv(p->number))) {
      d.outcome = UserOutcome::kMfaFailed;
      d.reason = "wrong_number";
      d.events.push_back(events::MfaPromptDenied{c.prompt_id, "wrong_number"});
      return d;
    }
    d.events.push_back(events::MfaPromptApproved{c.prompt_id, c.approver.session_id});
    return d;
  }

  UserDecided operator()(const PollApproval& c) const {
    const auto* l = pending_login(c.login_id);
    if (!l) return outcome(UserOutcome::kNotFound, "login");
    const Prompt* latest = nullptr;
    for (const auto& p : s.prompts)
      if (p.login_id == c.login_id) latest = &p;
    if (!latest) return outcome(UserOutcome::kNotFound, "prompt");
    if (latest->state == "denied") return outcome(UserOutcome::kMfaFailed, "prompt_denied");
    if (latest->state != "approved")
      return outcome(latest->expires_at_us > now ? UserOutcome::kPending : UserOutcome::kMfaFailed,
                     latest->expires_at_us > now ? "pending" : "expired");
    return login_succeeded(*l, c.session, "number_match", {});
  }

  UserDecided operator()(const StepUp& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    if (auto v = throttle(""); !v.allowed) return throttled(v, "", c.method == "webauthn" ? "webauthn" : "totp");
    UserDecided d;
    if (c.method == "totp") {
      auto m = match_totp(c.code);
      if (!m.factor) return mfa_failed("", "totp", totp_outcome_name(m.check.outcome));
      d.events.push_back(events::TotpCodeAccepted{m.factor->factor_id, *m.check.step});
    } else if (c.method == "webauthn") {
      auto r = check_assertion(c.assertion, challenge_for("step_up", ""), c.origin, c.rp_id);
      if (!r.accepted) {
        auto f = mfa_failed("", "webauthn", r.reason);
        f.events.insert(f.events.begin(), r.events.begin(), r.events.end());
        return f;
      }
      d.events = std::move(r.events);
    } else {
      return outcome(UserOutcome::kInvalid, "method");
    }
    d.effects.step_up_until_us = now + kStepUpValidUs;
    return d;
  }

  UserDecided operator()(const StartTotpEnrollment& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    if (has_confirmed_factor(s) && !stepped_up(c.session))
      return outcome(UserOutcome::kStepUpRequired, "step_up_required");
    if (c.secret.size() < 16) return outcome(UserOutcome::kInvalid, "secret");
    UserDecided d;
    // An older unconfirmed enrolment is superseded (its secret is never confirmed).
    for (const auto& f : s.totp)
      if (!f.confirmed) d.events.push_back(events::FactorRemoved{f.factor_id, "superseded"});
    d.events.push_back(events::TotpEnrollmentStarted{c.factor_id, c.secret});
    return d;
  }

  UserDecided operator()(const ConfirmTotp& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    auto f = std::find_if(s.totp.begin(), s.totp.end(),
                          [&](const TotpFactor& x) { return x.factor_id == c.factor_id && !x.confirmed; });
    if (f == s.totp.end()) return outcome(UserOutcome::kNotFound, "factor");
    auto check = verify_totp(bv(f->secret), c.code, now, std::nullopt);
    if (!check.accepted()) return mfa_failed("", "totp", totp_outcome_name(check.outcome));
    UserDecided d;
    d.events.push_back(events::TotpFactorConfirmed{c.factor_id, *check.step});
    return d;
  }

  UserDecided operator()(const RegisterWebAuthn& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    if (has_confirmed_factor(s) && !stepped_up(c.session))
      return outcome(UserOutcome::kStepUpRequired, "step_up_required");
    const auto* ch = challenge_for("register", "");
    if (!ch) return outcome(UserOutcome::kInvalid, "challenge_expired");
    WebAuthnExpectation expect{bv(ch->challenge), c.origin, c.rp_id, false};
    auto check = verify_registration(bv(c.client_data_json), bv(c.attestation_object), expect);
    if (!check.accepted()) {  // recorded, and the challenge is spent (apply)
      auto d = outcome(UserOutcome::kInvalid, webauthn_outcome_name(check.outcome));
      d.events.push_back(events::MfaFailed{"", "webauthn_register", d.reason});
      return d;
    }
    std::string cred_id(check.credential_id.begin(), check.credential_id.end());
    for (const auto& f : s.webauthn)
      if (f.credential_id == cred_id) return outcome(UserOutcome::kConflict, "credential_registered");
    UserDecided d;
    d.events.push_back(events::WebAuthnCredentialRegistered{
        c.factor_id, cred_id, std::string(check.public_key_cose.begin(), check.public_key_cose.end()),
        static_cast<int32_t>(check.alg), check.sign_count});
    return d;
  }

  UserDecided operator()(const RemoveFactor& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    if (!stepped_up(c.session)) return outcome(UserOutcome::kStepUpRequired, "step_up_required");
    bool found = (c.factor_id == "recovery" && !s.recovery_hashes.empty()) ||
                 std::any_of(s.totp.begin(), s.totp.end(), [&](const TotpFactor& f) { return f.factor_id == c.factor_id; }) ||
                 std::any_of(s.webauthn.begin(), s.webauthn.end(), [&](const WebAuthnFactor& f) { return f.factor_id == c.factor_id; });
    if (!found) return outcome(UserOutcome::kNotFound, "factor");
    UserDecided d;
    d.events.push_back(events::FactorRemoved{c.factor_id, "user"});
    auto all = live_session_ids();
    if (!all.empty()) d.events.push_back(events::SessionsRevoked{all, "factor_reset"});
    d.effects.end_sessions = all;
    d.effects.end_reason = "factor_reset";
    return d;
  }

  UserDecided operator()(const IssueRecoveryCodes& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    if (!stepped_up(c.session)) return outcome(UserOutcome::kStepUpRequired, "step_up_required");
    if (c.salt.size() != kRecoverySaltBytes || c.hashes.size() != kRecoveryCodeCount)
      return outcome(UserOutcome::kInvalid, "codes");
    UserDecided d;
    d.events.push_back(events::RecoveryCodesIssued{c.salt, c.hashes});
    return d;
  }

  UserDecided operator()(const ChangePassword& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    if (auto v = throttle(""); !v.allowed) {
      auto d = outcome(UserOutcome::kThrottled, "throttled");
      d.retry_after_us = v.retry_after_us;
      return d;
    }
    if (!c.current_matched) {
      auto d = outcome(UserOutcome::kBadCredentials, "bad_credentials");
      d.events.push_back(events::LoginFailed{"bad_password", ""});
      return d;
    }
    if (c.new_password_hash.empty()) return outcome(UserOutcome::kInvalid, "new_password");
    UserDecided d;
    d.events.push_back(events::PasswordSet{c.new_password_hash, "change"});
    auto others = live_session_ids();
    std::erase(others, c.session.session_id);
    if (!others.empty()) d.events.push_back(events::SessionsRevoked{others, "password_changed"});
    d.effects.end_sessions = others;
    d.effects.end_reason = "password_changed";
    return d;
  }

  UserDecided operator()(const LogoutAll& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    UserDecided d;
    auto all = live_session_ids();
    d.events.push_back(events::SessionsRevoked{all, "logout_all"});
    d.effects.end_sessions = all;
    d.effects.end_reason = "logout_all";
    return d;
  }

  UserDecided role_change(events::DomainEvent e) const {
    UserDecided d;
    d.events.push_back(std::move(e));
    auto all = live_session_ids();
    if (!all.empty()) d.events.push_back(events::SessionsRevoked{all, "privilege_change"});
    d.effects.end_sessions = all;
    d.effects.end_reason = "privilege_change";
    return d;
  }

  UserDecided operator()(const GrantRole& c) const {
    if (!s.exists) return outcome(UserOutcome::kNotFound, "user");
    // A patient role needs its record link, given only at registration.
    if (!known_role(c.role) || c.role == "patient") return outcome(UserOutcome::kInvalid, "role");
    if (!stepped_up(c.admin)) return outcome(UserOutcome::kStepUpRequired, "step_up_required");
    if (std::find(s.roles.begin(), s.roles.end(), c.role) != s.roles.end()) return {};
    return role_change(events::RoleGranted{c.role});
  }

  UserDecided operator()(const RevokeRole& c) const {
    if (!s.exists) return outcome(UserOutcome::kNotFound, "user");
    if (c.reason != "admin" && c.reason != "dormant") return outcome(UserOutcome::kInvalid, "reason");
    if (c.reason == "admin" && !stepped_up(c.admin)) return outcome(UserOutcome::kStepUpRequired, "step_up_required");
    if (std::find(s.roles.begin(), s.roles.end(), c.role) == s.roles.end()) return outcome(UserOutcome::kNotFound, "role");
    return role_change(events::RoleRevoked{c.role, c.reason});
  }

  UserDecided operator()(const ListSessions& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    return {};
  }

  UserDecided operator()(const EndSession& c) const {
    if (!session_live(c.session)) return outcome(UserOutcome::kNotFound, "session");
    auto live = live_session_ids();
    if (std::find(live.begin(), live.end(), c.session_id) == live.end()) return outcome(UserOutcome::kNotFound, "target");
    UserDecided d;
    d.events.push_back(events::SessionsRevoked{{c.session_id}, "user_ended"});
    d.effects.end_sessions = {c.session_id};
    d.effects.end_reason = "user_ended";
    return d;
  }

  UserDecided operator()(const NoteSessionClosed& c) const {
    UserDecided d;
    bool live = std::any_of(s.sessions.begin(), s.sessions.end(),
                            [&](const LiveSession& x) { return x.session_id == c.session_id; });
    if (live) d.events.push_back(events::SessionClosed{c.session_id, c.reason});
    return d;
  }
};

}  // namespace

UserDecided decide(const UserState& state, const UserCommand& command, int64_t now_us,
                   const UserLimits& limits) {
  return std::visit(Decider{state, now_us, limits}, command);
}

std::vector<LiveSession> live_sessions(const UserState& state, int64_t now_us) {
  std::vector<LiveSession> out;
  for (const auto& x : state.sessions)
    if (x.absolute_expires_at_us > now_us) out.push_back(x);
  std::stable_sort(out.begin(), out.end(),
                   [](const LiveSession& a, const LiveSession& b) { return a.started_at_us < b.started_at_us; });
  return out;
}

const char* user_outcome_name(UserOutcome o) {
  switch (o) {
    case UserOutcome::kOk: return "ok";
    case UserOutcome::kBadCredentials: return "bad_credentials";
    case UserOutcome::kMfaFailed: return "mfa_failed";
    case UserOutcome::kThrottled: return "throttled";
    case UserOutcome::kStepUpRequired: return "step_up_required";
    case UserOutcome::kPending: return "pending";
    case UserOutcome::kInvalid: return "invalid";
    case UserOutcome::kNotFound: return "not_found";
    case UserOutcome::kConflict: return "conflict";
    case UserOutcome::kMfaEnrollmentRequired: return "mfa_enrollment_required";
  }
  return "unknown";
}

}  // namespace rxp::identity
