// SIEM records of committed events: OCSF 1.1 JSON objects and CEF:0 lines (issue 5, "SIEM
// export"). Pure functions, no I/O; the reading is in siem_export.hpp, the sinks in
// siem_sink.hpp.
//
// siem_record() is the one decision of what an event means to a SIEM; to_ocsf() and to_cef()
// only render it, so both formats carry exactly the same facts.
//  - Authentication (class 3002, category 3): LoginSucceeded (Logon, success),
//    LoginFailed / MfaFailed / MfaPromptDenied / AuthenticatorCloneSuspected (Logon, failure),
//    LoginPasswordAccepted, TotpCodeAccepted, WebAuthnAssertionAccepted, RecoveryCodeUsed
//    (Other: one factor accepted, success), MfaBombingSuspected (Other, failure, high).
//  - Authorize Session (3003, category 3): SessionStarted (Assign Privileges: the roles),
//    SessionSteppedUp (Assign Privileges: step_up), RoleGranted (Assign Privileges),
//    SessionRotated, SessionClosed, SessionsRevoked, RoleRevoked (Other). SessionEnded is not
//    exported: every one is already reported by the user's SessionClosed or SessionsRevoked.
//  - API Activity (6003, category 6): RecordViewed / RecordExported (Read), AccessDenied (the
//    attempted activity, failure), BreakGlassInvoked (Other, high), clinical writes (Create,
//    Update, Delete: the type only), AlertRaised (Other, severity from the alert).
//  - Account Change (3001, category 3): UserRegistered (Create), PasswordSet (Password Change,
//    Password Reset, or Other at registration), TotpFactorConfirmed and
//    WebAuthnCredentialRegistered (MFA Factor Enable), FactorRemoved (MFA Factor Disable),
//    RecoveryCodesIssued (Other). Never the hash, secret, key or username they carry.
//  - Everything else (TOTP enrolment secrets, WebAuthn challenges, prompts, the username
//    directory) is not exported: siem_wants() is false and nothing is decrypted for it.
//
// Redaction is an allow-list: a record holds only the clear header's opaque ids (position,
// stream, version, principal, correlation id), the patient id taken from record/<id>, the
// source IP when it parses as an IP address, and payload fields named in siem.cpp that are
// codes (lowercase [a-z0-9_.-], at most 64 characters) or numbers. No name, username, birth
// date, drug, dose, gene, diplotype, free text (justification, notes, explanations, reasons
// of discontinuation) or secret can reach the output, since no such field is ever copied.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_log.hpp"

namespace rxp::projections {

inline constexpr const char* kOcsfVersion = "1.1.0";
// rxportal's version (the CMake project version), as metadata.product.version and in CEF.
const char* product_version();

namespace ocsf {
inline constexpr int kAccountChange = 3001;
inline constexpr int kAuthentication = 3002;
inline constexpr int kAuthorizeSession = 3003;
inline constexpr int kApiActivity = 6003;
inline constexpr int kIdentityAccessCategory = 3;
inline constexpr int kApplicationCategory = 6;
// status_id
inline constexpr int kStatusUnknown = 0, kSuccess = 1, kFailure = 2;
// severity_id
inline constexpr int kInformational = 1, kLow = 2, kMedium = 3, kHigh = 4, kCritical = 5;
// activity_id (per class; 0 Unknown and 99 Other in all)
inline constexpr int kUnknownActivity = 0, kOther = 99;
inline constexpr int kLogon = 1;                                  // Authentication
inline constexpr int kAccountCreate = 1, kPasswordChange = 3, kPasswordReset = 4,  // Account Change
    kMfaFactorEnable = 10, kMfaFactorDisable = 11;
inline constexpr int kAssignPrivileges = 1;                       // Authorize Session
inline constexpr int kCreate = 1, kRead = 2, kUpdate = 3, kDelete = 4;  // API Activity
}  // namespace ocsf

struct SiemRecord {
  int class_uid = 0;
  int category_uid = 0;
  int activity_id = ocsf::kUnknownActivity;
  std::string activity_name;
  int severity_id = ocsf::kInformational;
  int status_id = ocsf::kSuccess;
  std::string status_detail;    // a reason code, never free text
  int64_t time_us = 0;
  uint64_t position = 0;
  std::string stream_id;
  uint64_t version = 0;
  std::string event_type;
  std::string hash_hex;
  std::string correlation_id;
  events::Principal actor;      // who caused it (opaque ids and role)
  std::string user_id;          // whose account (Account Change, Authentication, Authorize Session)
  std::string session_id;       // the session concerned
  std::string patient_id;       // record/<id> only (opaque)
  std::string src_ip;           // a valid IPv4/IPv6 literal or empty
  std::string operation;        // API Activity: api.operation
  std::vector<std::string> privileges;
  std::optional<bool> is_mfa;
  std::vector<std::pair<std::string, std::string>> details;  // allow-listed codes and numbers
  bool shredded = false;        // payload unreadable: header facts only

  int type_uid() const { return class_uid * 100 + activity_id; }
};

// True for the event types a SIEM receives (decided on the clear header's type).
bool siem_wants(std::string_view event_type);

// The record of one event, or nothing when siem_wants(type) is false.
std::optional<SiemRecord> siem_record(const events::RecordedEvent& event);

// OCSF 1.1 event of the record's class: time (ms), class/category/activity/type uids and
// names, severity, status, metadata (product, version, uid, correlation_uid), actor, the
// class's objects, and unmapped.rxportal {position, stream_id, stream_version, ...}.
nlohmann::json to_ocsf(const SiemRecord& record);

// One CEF:0 line (no trailing newline):
// CEF:0|rxportal|rxportal|<version>|<event type>|<OCSF type name>|<0-10>|<extension>
std::string to_cef(const SiemRecord& record);

// CEF escaping: in header fields '\' and '|' are escaped; in extension values '\', '=' and
// newlines (\n, \r as "\n", "\r"). Other control characters become spaces in both.
std::string cef_escape_header(std::string_view s);
std::string cef_escape_value(std::string_view s);

// OCSF captions: "Authentication", "Success", "Authentication: Logon".
const char* ocsf_class_name(int class_uid);
const char* ocsf_status_name(int status_id);
std::string ocsf_type_name(const SiemRecord& record);

// The CEF severity (0-10) of an OCSF severity_id.
int cef_severity(int severity_id);

}  // namespace rxp::projections
