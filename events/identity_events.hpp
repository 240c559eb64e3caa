// Identity events: users (user/<id>), sessions (session/<id>) and the username directory
// (directory/users). Included by event_types.hpp; the same rules apply (kType, kSchema, old
// schemas kept and upcast).
//
// Secrets in payloads (password hashes, TOTP secrets, recovery-code hashes, token hashes) are
// only ever inside the encrypted payload; event_json.cpp redacts them from every JSON view.
// Binary values are held in std::string (raw bytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rxp::events {

// ---- user/<id> ----
struct PasswordSet {
  static constexpr const char* kType = "PasswordSet";
  static constexpr uint32_t kSchema = 1;
  std::string password_hash;  // Argon2id encoded string (secret: redacted in JSON)
  std::string reason;         // registration | change | reset
  bool operator==(const PasswordSet&) const = default;
};

struct LoginPasswordAccepted {
  static constexpr const char* kType = "LoginPasswordAccepted";
  static constexpr uint32_t kSchema = 1;
  std::string login_id;
  std::string source_ip;
  std::string device_hash;  // BLAKE2b of the device fingerprint, hex
  int64_t expires_at_us = 0;
  bool new_device = false;
  bool operator==(const LoginPasswordAccepted&) const = default;
};

struct MfaFailed {
  static constexpr const char* kType = "MfaFailed";
  static constexpr uint32_t kSchema = 1;
  std::string login_id;  // empty for a step-up
  std::string method;    // totp | webauthn | recovery | number_match
  std::string reason;    // mismatch | replayed | malformed | expired | ...
  bool operator==(const MfaFailed&) const = default;
};

struct LoginSucceeded {
  static constexpr const char* kType = "LoginSucceeded";
  static constexpr uint32_t kSchema = 1;
  std::string login_id;
  std::string session_id;
  std::string method;  // totp | webauthn | recovery | number_match | password_only
  std::string device_hash;
  std::string source_ip;
  bool operator==(const LoginSucceeded&) const = default;
};

struct TotpEnrollmentStarted {
  static constexpr const char* kType = "TotpEnrollmentStarted";
  static constexpr uint32_t kSchema = 1;
  std::string factor_id;
  std::string secret;  // raw bytes (secret: redacted in JSON)
  bool operator==(const TotpEnrollmentStarted&) const = default;
};

struct TotpFactorConfirmed {
  static constexpr const char* kType = "TotpFactorConfirmed";
  static constexpr uint32_t kSchema = 1;
  std::string factor_id;
  int64_t step = 0;
  bool operator==(const TotpFactorConfirmed&) const = default;
};

struct TotpCodeAccepted {
  static constexpr const char* kType = "TotpCodeAccepted";
  static constexpr uint32_t kSchema = 1;
  std::string factor_id;
  int64_t step = 0;  // replay guard: no code of this step or earlier is accepted again
  bool operator==(const TotpCodeAccepted&) const = default;
};

struct WebAuthnChallengeIssued {
  static constexpr const char* kType = "WebAuthnChallengeIssued";
  static constexpr uint32_t kSchema = 1;
  std::string challenge;  // raw bytes
  std::string purpose;    // register | login | step_up
  std::string login_id;   // for purpose login
  bool operator==(const WebAuthnChallengeIssued&) const = default;
};

struct WebAuthnCredentialRegistered {
  static constexpr const char* kType = "WebAuthnCredentialRegistered";
  static constexpr uint32_t kSchema = 1;
  std::string factor_id;
  std::string credential_id;  // raw bytes
  std::string public_key;     // COSE_Key bytes
  int32_t alg = 0;            // -7 ES256, -8 EdDSA
  uint32_t sign_count = 0;
  bool operator==(const WebAuthnCredentialRegistered&) const = default;
};

struct WebAuthnAssertionAccepted {
  static constexpr const char* kType = "WebAuthnAssertionAccepted";
  static constexpr uint32_t kSchema = 1;
  std::string factor_id;
  uint32_t sign_count = 0;
  bool operator==(const WebAuthnAssertionAccepted&) const = default;
};

struct AuthenticatorCloneSuspected {
  static constexpr const char* kType = "AuthenticatorCloneSuspected";
  static constexpr uint32_t kSchema = 1;
  std::string factor_id;
  uint32_t stored_count = 0;
  uint32_t presented_count = 0;
  bool operator==(const AuthenticatorCloneSuspected&) const = default;
};

struct RecoveryCodesIssued {
  static constexpr const char* kType = "RecoveryCodesIssued";
  static constexpr uint32_t kSchema = 1;
  std::string salt;                 // raw bytes (secret: redacted in JSON)
  std::vector<std::string> hashes;  // raw BLAKE2b-256 values (redacted in JSON)
  bool operator==(const RecoveryCodesIssued&) const = default;
};

struct RecoveryCodeUsed {
  static constexpr const char* kType = "RecoveryCodeUsed";
  static constexpr uint32_t kSchema = 1;
  uint32_t index = 0;
  bool operator==(const RecoveryCodeUsed&) const = default;
};

struct FactorRemoved {
  static constexpr const char* kType = "FactorRemoved";
  static constexpr uint32_t kSchema = 1;
  std::string factor_id;
  std::string reason;  // user | admin_reset | recovery
  bool operator==(const FactorRemoved&) const = default;
};

// The user's sessions that end together (password change, factor reset, recovery, logout-all,
// the concurrent-session cap). Each session also records its own SessionEnded.
struct SessionsRevoked {
  static constexpr const char* kType = "SessionsRevoked";
  static constexpr uint32_t kSchema = 1;
  std::vector<std::string> session_ids;
  std::string reason;
  bool operator==(const SessionsRevoked&) const = default;
};

// A session of this user ended on its own (timeout, logout, device change).
struct SessionClosed {
  static constexpr const char* kType = "SessionClosed";
  static constexpr uint32_t kSchema = 1;
  std::string session_id;
  std::string reason;
  bool operator==(const SessionClosed&) const = default;
};

struct MfaPromptCreated {
  static constexpr const char* kType = "MfaPromptCreated";
  static constexpr uint32_t kSchema = 1;
  std::string prompt_id;
  std::string login_id;
  std::string number;  // two digits shown on the new device
  int64_t expires_at_us = 0;
  bool operator==(const MfaPromptCreated&) const = default;
};

struct MfaPromptApproved {
  static constexpr const char* kType = "MfaPromptApproved";
  static constexpr uint32_t kSchema = 1;
  std::string prompt_id;
  std::string approver_session_id;
  bool operator==(const MfaPromptApproved&) const = default;
};

struct MfaPromptDenied {
  static constexpr const char* kType = "MfaPromptDenied";
  static constexpr uint32_t kSchema = 1;
  std::string prompt_id;
  std::string reason;  // wrong_number | rejected | expired
  bool operator==(const MfaPromptDenied&) const = default;
};

struct MfaBombingSuspected {
  static constexpr const char* kType = "MfaBombingSuspected";
  static constexpr uint32_t kSchema = 1;
  uint32_t prompts_in_window = 0;
  int64_t window_us = 0;
  bool operator==(const MfaBombingSuspected&) const = default;
};

struct RoleGranted {
  static constexpr const char* kType = "RoleGranted";
  static constexpr uint32_t kSchema = 1;
  std::string role;
  bool operator==(const RoleGranted&) const = default;
};

struct RoleRevoked {
  static constexpr const char* kType = "RoleRevoked";
  static constexpr uint32_t kSchema = 1;
  std::string role;
  std::string reason;  // admin | dormant (unused for 90 days)
  bool operator==(const RoleRevoked&) const = default;
};

// ---- session/<id> ----
struct SessionStarted {
  static constexpr const char* kType = "SessionStarted";
  static constexpr uint32_t kSchema = 1;
  std::string user_id;
  std::vector<std::string> roles;
  std::string patient_id;  // the user's own record, for patients
  std::string token_hash;  // BLAKE2b-256 of the token (redacted in JSON)
  std::string csrf_hash;   // BLAKE2b-256 of the CSRF token (redacted in JSON)
  std::string device_hash;
  std::string source_ip;
  std::string method;
  int64_t idle_timeout_us = 0;
  int64_t absolute_expires_at_us = 0;
  bool operator==(const SessionStarted&) const = default;
};

// A new token (and CSRF token) for the same session: at step-up and privilege change, so a
// token seen before is worthless after.
struct SessionRotated {
  static constexpr const char* kType = "SessionRotated";
  static constexpr uint32_t kSchema = 1;
  std::string token_hash;
  std::string csrf_hash;
  std::string reason;  // step_up | privilege_change
  bool operator==(const SessionRotated&) const = default;
};

struct SessionSteppedUp {
  static constexpr const char* kType = "SessionSteppedUp";
  static constexpr uint32_t kSchema = 1;
  std::string method;
  int64_t until_us = 0;
  bool operator==(const SessionSteppedUp&) const = default;
};

struct SessionEnded {
  static constexpr const char* kType = "SessionEnded";
  static constexpr uint32_t kSchema = 1;
  std::string reason;  // logout | logout_all | idle_timeout | absolute_timeout | device_changed
                       // | password_changed | factor_reset | recovery | evicted
  bool operator==(const SessionEnded&) const = default;
};

// ---- directory/users ----
struct UsernameClaimed {
  static constexpr const char* kType = "UsernameClaimed";
  static constexpr uint32_t kSchema = 1;
  std::string username;  // normalized (lowercase)
  std::string user_id;
  bool operator==(const UsernameClaimed&) const = default;
};

}  // namespace rxp::events
