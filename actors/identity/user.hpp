// The user aggregate (stream user/<id>): an account's credentials, factors, pending logins,
// MFA prompts and live sessions; how events change it (apply) and how commands become events
// (decide). Pure functions, no actors, no I/O, no clock, no randomness: the user actor
// (user_actor.cpp) verifies passwords on the hasher threads, draws the random values a
// command needs (ids, secrets, challenges) and passes both in as facts.
//
// CONTRACT
// - Every outcome that matters for security is an event: a failed password, a failed or
//   replayed code, a denied prompt, a clone suspicion, a revocation.
// - Login: password (BeginLogin) -> a pending login (5 minutes) -> one second factor
//   (TOTP, WebAuthn, a recovery code, or number matching from a signed-in device) -> a
//   session. An account without any confirmed factor may log in with its password alone only
//   during the enrollment grace (72 h after registration).
// - Throttling (throttle.hpp) counts password and second-factor failures; a success resets
//   the delay. Devices that completed a login before are "known" and exempt from the delay.
// - A TOTP code is accepted once (TotpCodeAccepted stores its step); a WebAuthn challenge is
//   single-use and expires after 5 minutes; a recovery code is single-use, and using one
//   ends every session.
// - Factor changes (enrol while another factor exists, remove, new recovery codes) need a
//   step-up no older than 5 minutes on the requesting session. Removing a factor ends every
//   session; a password change ends every session but the requester's.
// - Three or more number-matching prompts within ten minutes raise MfaBombingSuspected.
// Thread-safety: plain values; the user actor serialises access.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "actors/identity/throttle.hpp"
#include "events/envelope.hpp"
#include "events/event_types.hpp"

namespace rxp::identity {

inline constexpr int64_t kLoginTtlUs = 5LL * 60 * 1000000;
inline constexpr int64_t kEnrollmentGraceUs = 72LL * 3600 * 1000000;
inline constexpr int64_t kStepUpValidUs = 5LL * 60 * 1000000;
inline constexpr int64_t kPromptTtlUs = 2LL * 60 * 1000000;
inline constexpr int64_t kPromptWindowUs = 10LL * 60 * 1000000;
inline constexpr size_t kPromptBombingThreshold = 3;
inline constexpr int64_t kSessionAbsoluteUs = 12LL * 3600 * 1000000;
inline constexpr size_t kDefaultMaxSessions = 5;
inline constexpr size_t kMaxPendingLogins = 16;  // older ones are dropped: a bounded state

// ---- state ----
struct TotpFactor {
  std::string factor_id;
  std::string secret;  // raw bytes
  bool confirmed = false;
  std::optional<int64_t> last_step;
  bool operator==(const TotpFactor&) const = default;
};
struct WebAuthnFactor {
  std::string factor_id;
  std::string credential_id;
  std::string public_key;  // COSE_Key
  int32_t alg = 0;
  uint32_t sign_count = 0;
  bool operator==(const WebAuthnFactor&) const = default;
};
struct PendingLogin {
  std::string login_id, source_ip, device_hash;
  int64_t expires_at_us = 0;
  bool new_device = false;
  bool completed = false;
  bool operator==(const PendingLogin&) const = default;
};
struct Challenge {
  std::string challenge, purpose, login_id;
  int64_t issued_at_us = 0;
  bool operator==(const Challenge&) const = default;
};
struct Prompt {
  std::string prompt_id, login_id, number;
  int64_t created_at_us = 0, expires_at_us = 0;
  std::string state = "pending";  // pending | approved | denied
  bool operator==(const Prompt&) const = default;
};
struct LiveSession {
  std::string session_id;
  int64_t started_at_us = 0;
  int64_t absolute_expires_at_us = 0;
  bool operator==(const LiveSession&) const = default;
};

struct UserState {
  uint64_t version = 0;
  bool exists = false;
  std::string user_id, username;
  std::vector<std::string> roles;
  std::string patient_id;
  int64_t registered_at_us = 0;
  std::string password_hash;
  AccountThrottle throttle;
  std::vector<TotpFactor> totp;
  std::vector<WebAuthnFactor> webauthn;
  std::string recovery_salt;
  std::vector<std::string> recovery_hashes;
  std::vector<bool> recovery_used;
  std::vector<PendingLogin> logins;
  std::vector<Challenge> challenges;
  std::vector<Prompt> prompts;
  std::vector<LiveSession> sessions;
  std::set<std::string> known_devices;
  bool operator==(const UserState&) const = default;
};

void apply(UserState& state, const events::EventHeader& header, const events::DomainEvent& event);

// Confirmed factors, as API names: "totp", "webauthn", "recovery".
std::vector<std::string> mfa_methods(const UserState& state);
bool has_confirmed_factor(const UserState& state);
// The sessions not yet past their absolute lifetime at `now_us`, oldest first. (Idle expiry
// is the session actor's to know; a session it ended is dropped here by SessionClosed.)
std::vector<LiveSession> live_sessions(const UserState& state, int64_t now_us);

// ---- facts the actor establishes before deciding ----
// The requesting session, as its session actor vouched for it.
struct SessionFacts {
  std::string session_id;
  int64_t step_up_until_us = 0;
};
// A session to open for a completed login (ids and token hashes drawn by the actor).
struct NewSession {
  std::string session_id;
  std::string token_hash, csrf_hash;
};

// ---- commands ----
struct Register {
  std::string username;  // normalized
  std::vector<std::string> roles;
  std::string patient_id;
  std::string password_hash;  // computed on the hasher
};
struct BeginLogin {
  bool password_matched = false;  // verified on the hasher
  std::string login_id;           // fresh
  std::string source_ip, device_hash;
  NewSession session;  // fresh; used only for a password-only login in the enrollment grace
};
struct CompleteTotp {
  std::string login_id, code;
  NewSession session;
};
struct CompleteRecovery {
  std::string login_id, code;
  NewSession session;
};
struct IssueWebAuthnChallenge {
  std::string purpose;   // login | register | step_up
  std::string login_id;  // for login
  std::string challenge; // fresh
  std::optional<SessionFacts> session;  // for register and step_up
};
struct WebAuthnAssertion {
  std::string credential_id, client_data_json, authenticator_data, signature;
};
struct CompleteWebAuthn {
  std::string login_id;
  WebAuthnAssertion assertion;
  std::string origin, rp_id;
  NewSession session;
};
struct RequestApproval {  // the new device asks a signed-in device to approve
  std::string login_id, prompt_id, number;  // prompt_id, number fresh
};
struct AnswerPrompt {  // from a signed-in device of the same user
  SessionFacts approver;
  std::string prompt_id, number;
  bool approve = true;
};
struct PollApproval {  // the new device collects its session once approved
  std::string login_id;
  NewSession session;
};
struct StepUp {
  SessionFacts session;
  std::string method;  // totp | webauthn
  std::string code;
  WebAuthnAssertion assertion;
  std::string origin, rp_id;
};
struct StartTotpEnrollment {
  SessionFacts session;
  std::string factor_id, secret;  // fresh
};
struct ConfirmTotp {
  SessionFacts session;
  std::string factor_id, code;
};
struct RegisterWebAuthn {
  SessionFacts session;
  std::string factor_id;  // fresh
  std::string client_data_json, attestation_object, origin, rp_id;
};
struct RemoveFactor {
  SessionFacts session;
  std::string factor_id;
};
struct IssueRecoveryCodes {
  SessionFacts session;
  std::string salt;
  std::vector<std::string> hashes;  // drawn by the actor; the codes go back to the caller
};
struct ChangePassword {
  SessionFacts session;
  bool current_matched = false;  // verified on the hasher
  std::string new_password_hash;
};
struct LogoutAll {
  SessionFacts session;
};
struct NoteSessionClosed {
  std::string session_id, reason;
};
// Role changes: by an admin whose own session is stepped up (the edge checks the admin's
// privilege with the access policy and passes the admin's session facts), or by the system
// when an elevated role was unused for 90 days (reason "dormant"). Every session of the user
// ends: the next login gets a new session id with the new privileges.
struct GrantRole {
  std::string role;
  SessionFacts admin;
};
struct RevokeRole {
  std::string role;
  std::string reason = "admin";  // admin | dormant
  SessionFacts admin;            // for reason admin
};
// The user's live sessions, for the requesting session (a pure read: no event; the reply
// carries live_sessions()).
struct ListSessions {
  SessionFacts session;
};
// The user ends one of their own sessions (the requester's included). Another user's session
// id is answered like an unknown one: kNotFound, reason "target".
struct EndSession {
  SessionFacts session;
  std::string session_id;
};

using UserCommand =
    std::variant<Register, BeginLogin, CompleteTotp, CompleteRecovery, IssueWebAuthnChallenge,
                 CompleteWebAuthn, RequestApproval, AnswerPrompt, PollApproval, StepUp,
                 StartTotpEnrollment, ConfirmTotp, RegisterWebAuthn, RemoveFactor,
                 IssueRecoveryCodes, ChangePassword, LogoutAll, NoteSessionClosed, GrantRole,
                 RevokeRole, ListSessions, EndSession>;

enum class UserOutcome {
  kOk,
  kBadCredentials,   // wrong password or unknown user: one answer for both
  kMfaFailed,        // wrong, replayed or malformed second factor
  kThrottled,        // retry_after_us says when
  kStepUpRequired,
  kPending,          // number matching not answered yet
  kInvalid,          // malformed command; reason names the field
  kNotFound,         // no such login, factor, prompt (never says whether the user exists)
  kConflict,         // the username is taken, the user exists already
  kMfaEnrollmentRequired,
};
const char* user_outcome_name(UserOutcome outcome);

// What the actor must do after the events are durable.
struct UserEffects {
  std::optional<events::SessionStarted> start_session;  // with session id below
  std::string start_session_id;
  std::vector<std::string> end_sessions;  // ask these session actors to end
  std::string end_reason;
  std::optional<int64_t> step_up_until_us;  // step up (and rotate) the requesting session
};

struct UserDecided {
  UserOutcome outcome = UserOutcome::kOk;
  std::string reason;  // a code, never a secret
  std::vector<events::DomainEvent> events;
  UserEffects effects;
  int64_t retry_after_us = 0;
  std::vector<std::string> methods;  // for BeginLogin
  std::string number;                // for RequestApproval: shown on the new device
};

struct UserLimits {
  size_t max_sessions = kDefaultMaxSessions;
};

UserDecided decide(const UserState& state, const UserCommand& command, int64_t now_us,
                   const UserLimits& limits = {});

// Idle timeout for a session of these roles: 15 min for clinician, pharmacist, admin and
// auditor; 30 min for patient and proxy; the shortest applies.
int64_t idle_timeout_for(const std::vector<std::string>& roles);

}  // namespace rxp::identity
