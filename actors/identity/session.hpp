// The session aggregate (stream session/<id>): one signed-in device of one user. Pure state,
// apply and decide; the session actor (session_actor.cpp) runs them and its timers.
//
// CONTRACT
// - A token is "<session id>.<43 base64url characters>" (256 random bits). Only BLAKE2b-256
//   hashes of the token and of the CSRF token are stored; presented tokens are hashed and
//   compared in constant time.
// - Every use checks, in this order: the session exists and has not ended; the token; the
//   absolute lifetime (12 h); the idle timeout (15 or 30 min by role, user.hpp); the device
//   fingerprint (a change ends the session, reason device_changed); the CSRF token for state
//   changes. Expiry found on use, or by the actor's timer, ends the session as an event.
// - Step-up lasts 5 minutes and rotates the token; a privilege change rotates the token. A
//   token seen before a rotation is refused after it.
// - Last activity is kept in memory only (a use is not an event); after recovery it is the
//   time of the session's latest event, so a recovered session can only expire earlier, never
//   later.
// Thread-safety: plain values; the session actor serialises access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/envelope.hpp"
#include "events/event_types.hpp"

namespace rxp::identity {

struct SessionState {
  uint64_t version = 0;
  bool exists = false;
  std::string session_id, user_id;
  std::vector<std::string> roles;
  std::string patient_id;
  std::string token_hash, csrf_hash, device_hash, source_ip, method;
  int64_t started_at_us = 0, idle_timeout_us = 0, absolute_expires_at_us = 0;
  int64_t last_activity_us = 0, step_up_until_us = 0;
  bool ended = false;
  std::string end_reason;
  bool operator==(const SessionState&) const = default;
};

void apply(SessionState& state, const events::EventHeader& header, const events::DomainEvent& event);

// ---- tokens ----
struct IssuedToken {
  std::string token;  // give to the client once; never stored
  std::string hash;   // store this
};
// A fresh token for session `session_id` (secure_init() must have succeeded).
IssuedToken issue_token(const std::string& session_id);
// A fresh CSRF token (43 base64url characters) and its hash.
IssuedToken issue_csrf_token();
std::string secret_hash(std::string_view secret);  // BLAKE2b-256, raw bytes
// The session id of a well-formed token; nullopt otherwise (then nothing is looked up).
std::optional<std::string> session_id_of_token(std::string_view token);
// A fresh opaque id with a prefix ("ses-", "lgn-", ...): 128 random bits, hex.
std::string fresh_id(std::string_view prefix);

// ---- commands ----
struct StartSession {
  events::SessionStarted started;
  std::optional<int64_t> step_up_until_us;  // a recovery login starts stepped up
};
struct Authenticate {
  std::string token;
  std::string device_hash;
  bool state_changing = false;
  std::string csrf_token;  // required when state_changing
};
struct StepUpSession {
  std::string method;
  int64_t until_us = 0;
  std::string token_hash, csrf_hash;  // the rotated tokens
};
struct RotateSession {
  std::string reason;  // privilege_change
  std::string token_hash, csrf_hash;
};
struct Logout {
  std::string token;
};
struct Revoke {  // from the user actor: password change, factor reset, recovery, cap, logout-all
  std::string reason;
};
struct CheckExpiry {};  // the actor's timer
// A read for the user's session list: the session's times, without counting as a use (no
// touch). A session found expired ends, as on any use.
struct Describe {};

using SessionCommand =
    std::variant<StartSession, Authenticate, StepUpSession, RotateSession, Logout, Revoke, CheckExpiry,
                 Describe>;

enum class SessionOutcome {
  kOk,
  kUnauthenticated,  // no such session, ended, expired, wrong token, device changed
  kCsrfFailed,
  kInvalid,
};
const char* session_outcome_name(SessionOutcome outcome);

struct SessionInfo {
  std::string session_id, user_id;
  std::vector<std::string> roles;
  std::string patient_id;
  int64_t idle_expires_at_us = 0, absolute_expires_at_us = 0, step_up_until_us = 0;
  int64_t started_at_us = 0, last_used_at_us = 0;
};

struct SessionDecided {
  SessionOutcome outcome = SessionOutcome::kOk;
  std::string reason;
  std::vector<events::DomainEvent> events;
  bool touch = false;             // a successful use: last activity becomes now
  std::string closed_reason;      // set when this decision ends the session: tell the user
  std::optional<SessionInfo> info;
};

SessionDecided decide(const SessionState& state, const SessionCommand& command, int64_t now_us);

SessionInfo info_of(const SessionState& state);

}  // namespace rxp::identity
