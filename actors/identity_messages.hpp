// Plain message types of the identity actors (no CAF here): what callers send to the username
// directory, to users and to sessions, and what they get back.
//
// Secrets travel as shared, sodium-allocated buffers (Secret) so no copy lingers in the
// mailbox's std::strings; tokens given back to the caller are the only copies that exist.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/identity/session.hpp"
#include "actors/identity/user.hpp"
#include "infra/secure.hpp"

namespace rxp::actors {

using Secret = std::shared_ptr<const SecretBytes>;
Secret make_secret(std::string_view text);

// A freshly opened or rotated session: the only place its tokens exist in the clear.
struct SessionGrant {
  std::string session_id;
  std::string token;       // goes into the session cookie
  std::string csrf_token;  // goes back in X-CSRF-Token
  int64_t step_up_until_us = 0;
};

// ---- users ----
struct UserRequest {
  UserRequest() = default;
  UserRequest(std::string user, identity::UserCommand cmd)
      : user_id(std::move(user)), command(std::move(cmd)) {}
  std::string user_id;
  identity::UserCommand command;  // facts and fresh values are filled in by the user actor
  Secret password;                // Register, BeginLogin, ChangePassword (current)
  Secret new_password;            // ChangePassword
  std::string correlation_id;
  std::string actor_user_id;  // who asks (the admin registering, the user themself)
  std::string actor_role;
};

struct UserReply {
  identity::UserOutcome outcome = identity::UserOutcome::kOk;
  std::string reason;  // a code, never a secret
  Status error;        // the store failed: nothing was done
  uint64_t version = 0;
  int64_t retry_after_us = 0;
  std::string user_id;
  std::string login_id;                 // BeginLogin
  std::vector<std::string> methods;     // BeginLogin
  std::optional<SessionGrant> session;  // a completed login or a step-up
  std::string number;                   // RequestApproval: show on the new device
  std::string prompt_id;
  std::string challenge;                // IssueWebAuthnChallenge: raw bytes
  std::vector<std::string> credential_ids;  // for allowCredentials
  std::string factor_id;
  std::string otpauth_uri, totp_secret_base32;  // StartTotpEnrollment (shown once)
  std::vector<std::string> recovery_codes;      // IssueRecoveryCodes (shown once)
  std::vector<identity::LiveSession> sessions;  // ListSessions: live_sessions(), oldest first
};

// ---- sessions ----
struct SessionRequest {
  std::string session_id;
  identity::SessionCommand command;
};
struct SessionReply {
  identity::SessionOutcome outcome = identity::SessionOutcome::kOk;
  std::string reason;
  Status error;
  uint64_t version = 0;
  std::optional<identity::SessionInfo> info;
};

// ---- the username directory ----
struct ClaimUsername {
  std::string username;  // as typed; normalized by the directory
  std::string user_id;
};
struct ResolveUsername {
  std::string username;
};
struct LoginAttempt {
  std::string username;
  Secret password;
  std::string source_ip, device_hash;
};
struct DirectoryRequest {
  std::variant<ClaimUsername, ResolveUsername, LoginAttempt> command;
  std::string correlation_id;
};
struct DirectoryReply {
  identity::UserOutcome outcome = identity::UserOutcome::kOk;
  std::string reason;
  Status error;
  uint64_t version = 0;
  std::string user_id;      // ClaimUsername, ResolveUsername
  std::string username;     // normalized
  UserReply login;          // LoginAttempt: the user's answer (or the unknown-user answer)
};

}  // namespace rxp::actors
