// How events change a user's state (user.hpp). Time comes from the event header, so the state
// recovered from the store equals the state the actor built live.
#include <algorithm>

#include "actors/identity/user.hpp"
#include "actors/identity/webauthn.hpp"

namespace rxp::identity {
namespace {

template <class T>
T* find_by(std::vector<T>& v, const std::string T::*field, const std::string& id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& x) { return x.*field == id; });
  return it == v.end() ? nullptr : &*it;
}

void drop_session(UserState& s, const std::string& id) {
  std::erase_if(s.sessions, [&](const LiveSession& x) { return x.session_id == id; });
}

// Keeps the state bounded: expired logins, challenges and prompts are of no further use
// (the prompt history needed for MFA-bombing detection is kept for its window).
void prune(UserState& s, int64_t now_us) {
  std::erase_if(s.logins, [&](const PendingLogin& l) { return l.expires_at_us <= now_us; });
  if (s.logins.size() > kMaxPendingLogins)
    s.logins.erase(s.logins.begin(), s.logins.end() - static_cast<long>(kMaxPendingLogins));
  std::erase_if(s.challenges,
                [&](const Challenge& c) { return !challenge_valid(c.issued_at_us, now_us); });
  std::erase_if(s.prompts, [&](const Prompt& p) { return p.created_at_us + kPromptWindowUs <= now_us; });
  std::erase_if(s.sessions, [&](const LiveSession& x) { return x.absolute_expires_at_us <= now_us; });
}

struct Applier {
  UserState& s;
  const events::EventHeader& h;
  int64_t now() const { return h.occurred_at_us; }

  void operator()(const events::UserRegistered& e) {
    s.exists = true;
    s.username = e.username;
    s.roles = e.roles;
    s.patient_id = e.patient_id;
    s.registered_at_us = now();
  }
  void operator()(const events::PasswordSet& e) { s.password_hash = e.password_hash; }
  // Only guesses count towards the throttle: a throttled attempt is recorded but must not
  // extend the delay (else an attacker keeps the real user locked out for good).
  void operator()(const events::LoginFailed& e) {
    if (e.reason == "bad_password") account_record_failure(s.throttle, now());
  }
  void operator()(const events::MfaFailed& e) {
    if (e.reason != "throttled") account_record_failure(s.throttle, now());
    if (e.method == "webauthn")  // a failed assertion spends its challenge too
      std::erase_if(s.challenges, [](const Challenge& c) { return c.purpose != "register"; });
    if (e.method == "webauthn_register")
      std::erase_if(s.challenges, [](const Challenge& c) { return c.purpose == "register"; });
  }
  void operator()(const events::LoginPasswordAccepted& e) {
    s.logins.push_back({e.login_id, e.source_ip, e.device_hash, e.expires_at_us, e.new_device, false});
  }
  void operator()(const events::LoginSucceeded& e) {
    account_record_success(s.throttle);
    if (auto* l = find_by(s.logins, &PendingLogin::login_id, e.login_id)) l->completed = true;
    if (!e.device_hash.empty()) s.known_devices.insert(e.device_hash);
    s.sessions.push_back({e.session_id, now(), now() + kSessionAbsoluteUs});
  }
  void operator()(const events::TotpEnrollmentStarted& e) {
    s.totp.push_back({e.factor_id, e.secret, false, std::nullopt});
  }
  void operator()(const events::TotpFactorConfirmed& e) {
    if (auto* f = find_by(s.totp, &TotpFactor::factor_id, e.factor_id)) {
      f->confirmed = true;
      f->last_step = e.step;
    }
  }
  void operator()(const events::TotpCodeAccepted& e) {
    if (auto* f = find_by(s.totp, &TotpFactor::factor_id, e.factor_id)) f->last_step = e.step;
  }
  void operator()(const events::WebAuthnChallengeIssued& e) {
    s.challenges.push_back({e.challenge, e.purpose, e.login_id, now()});
  }
  void operator()(const events::WebAuthnCredentialRegistered& e) {
    std::erase_if(s.challenges, [](const Challenge& c) { return c.purpose == "register"; });
    s.webauthn.push_back({e.factor_id, e.credential_id, e.public_key, e.alg, e.sign_count});
  }
  void operator()(const events::WebAuthnAssertionAccepted& e) {
    if (auto* f = find_by(s.webauthn, &WebAuthnFactor::factor_id, e.factor_id)) f->sign_count = e.sign_count;
    // Any assertion spends the challenges of its ceremony (single use).
    std::erase_if(s.challenges, [](const Challenge& c) { return c.purpose != "register"; });
  }
  void operator()(const events::AuthenticatorCloneSuspected&) {
    std::erase_if(s.challenges, [](const Challenge& c) { return c.purpose != "register"; });
  }
  void operator()(const events::RecoveryCodesIssued& e) {
    s.recovery_salt = e.salt;
    s.recovery_hashes = e.hashes;
    s.recovery_used.assign(e.hashes.size(), false);
  }
  void operator()(const events::RecoveryCodeUsed& e) {
    if (e.index < s.recovery_used.size()) s.recovery_used[e.index] = true;
  }
  void operator()(const events::FactorRemoved& e) {
    std::erase_if(s.totp, [&](const TotpFactor& f) { return f.factor_id == e.factor_id; });
    std::erase_if(s.webauthn, [&](const WebAuthnFactor& f) { return f.factor_id == e.factor_id; });
    if (e.factor_id == "recovery") {
      s.recovery_hashes.clear();
      s.recovery_used.clear();
      s.recovery_salt.clear();
    }
  }
  void operator()(const events::SessionsRevoked& e) {
    for (const auto& id : e.session_ids) drop_session(s, id);
  }
  void operator()(const events::SessionClosed& e) { drop_session(s, e.session_id); }
  void operator()(const events::MfaPromptCreated& e) {
    s.prompts.push_back({e.prompt_id, e.login_id, e.number, now(), e.expires_at_us, "pending"});
  }
  void operator()(const events::MfaPromptApproved& e) {
    if (auto* p = find_by(s.prompts, &Prompt::prompt_id, e.prompt_id)) p->state = "approved";
  }
  void operator()(const events::MfaPromptDenied& e) {
    account_record_failure(s.throttle, now());
    if (auto* p = find_by(s.prompts, &Prompt::prompt_id, e.prompt_id)) p->state = "denied";
  }
  void operator()(const events::RoleGranted& e) {
    if (std::find(s.roles.begin(), s.roles.end(), e.role) == s.roles.end()) s.roles.push_back(e.role);
  }
  void operator()(const events::RoleRevoked& e) { std::erase(s.roles, e.role); }
  template <class Other>
  void operator()(const Other&) {}  // events of other aggregates, or informational ones
};

}  // namespace

void apply(UserState& state, const events::EventHeader& header, const events::DomainEvent& event) {
  state.version = header.version;
  if (state.user_id.empty() && header.stream_id.rfind("user/", 0) == 0)
    state.user_id = header.stream_id.substr(5);
  std::visit(Applier{state, header}, event);
  prune(state, header.occurred_at_us);
}

bool has_confirmed_factor(const UserState& s) {
  return std::any_of(s.totp.begin(), s.totp.end(), [](const TotpFactor& f) { return f.confirmed; }) ||
         !s.webauthn.empty();
}

std::vector<std::string> mfa_methods(const UserState& s) {
  std::vector<std::string> out;
  if (std::any_of(s.totp.begin(), s.totp.end(), [](const TotpFactor& f) { return f.confirmed; }))
    out.push_back("totp");
  if (!s.webauthn.empty()) out.push_back("webauthn");
  if (std::find(s.recovery_used.begin(), s.recovery_used.end(), false) != s.recovery_used.end())
    out.push_back("recovery");
  if (!s.sessions.empty()) out.push_back("number_match");
  return out;
}

int64_t idle_timeout_for(const std::vector<std::string>& roles) {
  constexpr int64_t kMinute = 60LL * 1000000;
  int64_t t = 30 * kMinute;
  for (const auto& r : roles)
    if (r == "clinician" || r == "pharmacist" || r == "admin" || r == "auditor") t = 15 * kMinute;
  return t;
}

}  // namespace rxp::identity
