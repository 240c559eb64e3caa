// The domain events of rxportal and their payload schemas.
//
// Each type names itself (kType) and its current schema version (kSchema). A payload is what
// gets encrypted; only the envelope header is clear. To change a payload: keep the old struct
// as <Name>V<n>, bump kSchema, and add an upcaster in codec.cpp. Stored events are never
// rewritten; old versions are upcast on read.
//
// Deliberately plain aggregates: default-constructible and copyable (CAF message types need
// that too), compared with ==.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "events/identity_events.hpp"

namespace rxp::events {

// ---- record/<patient> ----
struct RecordCreated {
  static constexpr const char* kType = "RecordCreated";
  static constexpr uint32_t kSchema = 1;
  std::string patient_id;
  std::string birth_date;  // YYYY-MM-DD (PHI: only ever inside the encrypted payload)
  std::string state;       // residence, two-letter code (breach notification rules)
  bool vip = false;        // flagged record: extra anomaly scrutiny
  bool operator==(const RecordCreated&) const = default;
};

struct MedicationAdded {
  static constexpr const char* kType = "MedicationAdded";
  static constexpr uint32_t kSchema = 1;
  std::string medication_id;
  std::string name;
  std::string dose;
  std::string route;
  std::string frequency;
  std::string start;  // YYYY-MM-DD
  std::string end;    // empty while ongoing
  bool confidential = false;
  bool operator==(const MedicationAdded&) const = default;
};

struct MedicationChanged {
  static constexpr const char* kType = "MedicationChanged";
  static constexpr uint32_t kSchema = 1;
  std::string medication_id;
  std::string dose;
  std::string frequency;
  bool confidential = false;
  bool operator==(const MedicationChanged&) const = default;
};

struct MedicationDiscontinued {
  static constexpr const char* kType = "MedicationDiscontinued";
  static constexpr uint32_t kSchema = 1;
  std::string medication_id;
  std::string end;
  std::string reason;
  bool operator==(const MedicationDiscontinued&) const = default;
};

struct PgxResultRecorded {
  static constexpr const char* kType = "PgxResultRecorded";
  static constexpr uint32_t kSchema = 1;
  std::string result_id;
  std::string gene;
  std::string diplotype;
  std::string phenotype;
  std::string recommendation;
  bool operator==(const PgxResultRecorded&) const = default;
};

struct AdverseEventReported {
  static constexpr const char* kType = "AdverseEventReported";
  static constexpr uint32_t kSchema = 1;
  std::string report_id;
  std::string medication_id;
  std::string reaction;
  std::string severity;  // mild | moderate | severe | life_threatening
  std::string onset;     // YYYY-MM-DD
  bool operator==(const AdverseEventReported&) const = default;
};

// Schema 1 had only the section; schema 2 adds the purpose of use (treatment, payment,
// operations, patient_request, emergency). V1 payloads are upcast with purpose "unspecified".
struct RecordViewedV1 {
  std::string section;
  bool operator==(const RecordViewedV1&) const = default;
};
struct RecordViewed {
  static constexpr const char* kType = "RecordViewed";
  static constexpr uint32_t kSchema = 2;
  std::string section;
  std::string purpose;
  bool operator==(const RecordViewed&) const = default;
};

struct RecordExported {
  static constexpr const char* kType = "RecordExported";
  static constexpr uint32_t kSchema = 1;
  std::vector<std::string> sections;
  std::string format;
  bool operator==(const RecordExported&) const = default;
};

struct AccessDenied {
  static constexpr const char* kType = "AccessDenied";
  static constexpr uint32_t kSchema = 1;
  std::string action;   // privilege asked for, e.g. record.pgx.read
  std::string section;
  std::string reason;   // policy reason code, e.g. no_care_relationship
  bool operator==(const AccessDenied&) const = default;
};

struct BreakGlassInvoked {
  static constexpr const char* kType = "BreakGlassInvoked";
  static constexpr uint32_t kSchema = 1;
  std::string reason_code;
  std::string justification;
  int64_t access_until_us = 0;
  bool operator==(const BreakGlassInvoked&) const = default;
};

struct DosingGuidanceRecorded {
  static constexpr const char* kType = "DosingGuidanceRecorded";
  static constexpr uint32_t kSchema = 1;
  std::string guidance_id;
  std::string medication_id;
  std::string guidance;  // e.g. "reduce starting dose by 25-50% (CPIC, CYP2C9 IM)"
  std::string source;
  bool operator==(const DosingGuidanceRecorded&) const = default;
};

struct CareRelationshipAdded {
  static constexpr const char* kType = "CareRelationshipAdded";
  static constexpr uint32_t kSchema = 1;
  std::string clinician_id;  // user id of the clinician or pharmacist
  int64_t until_us = 0;      // 0: open-ended
  bool operator==(const CareRelationshipAdded&) const = default;
};

struct CareRelationshipEnded {
  static constexpr const char* kType = "CareRelationshipEnded";
  static constexpr uint32_t kSchema = 1;
  std::string clinician_id;
  bool operator==(const CareRelationshipEnded&) const = default;
};

struct ProxyGranted {
  static constexpr const char* kType = "ProxyGranted";
  static constexpr uint32_t kSchema = 1;
  std::string grant_id;
  std::string grantee_user_id;
  std::vector<std::string> scope;  // section names
  int64_t expires_at_us = 0;
  bool parent = false;
  bool operator==(const ProxyGranted&) const = default;
};

struct ProxyRevoked {
  static constexpr const char* kType = "ProxyRevoked";
  static constexpr uint32_t kSchema = 1;
  std::string grant_id;
  bool operator==(const ProxyRevoked&) const = default;
};

// ---- user/<uuid> ----
struct UserRegistered {
  static constexpr const char* kType = "UserRegistered";
  static constexpr uint32_t kSchema = 1;
  std::string username;
  std::vector<std::string> roles;
  std::string patient_id;  // set for patients
  bool operator==(const UserRegistered&) const = default;
};

struct LoginFailed {
  static constexpr const char* kType = "LoginFailed";
  static constexpr uint32_t kSchema = 1;
  std::string reason;     // bad_password | unknown_user | throttled | bad_factor
  std::string source_ip;
  bool operator==(const LoginFailed&) const = default;
};

// ---- alert/<id> (projections: the anomaly detector raises, an auditor reviews) ----
struct AlertRaised {
  static constexpr const char* kType = "AlertRaised";
  static constexpr uint32_t kSchema = 1;
  std::string rule;
  std::string severity;     // low | medium | high
  std::string explanation;  // plain language, ids only, never PHI
  std::string user_id;      // whom it is about
  std::string patient_id;
  std::vector<uint64_t> evidence;  // global positions
  double score = 0;
  bool operator==(const AlertRaised&) const = default;
};

struct AlertReviewed {
  static constexpr const char* kType = "AlertReviewed";
  static constexpr uint32_t kSchema = 1;
  std::string disposition;  // benign | true_positive | escalated
  std::string note;         // the auditor's words (may hold PHI: encrypted like all payloads)
  bool operator==(const AlertReviewed&) const = default;
};

// ---- investigation/<id> (rxportal breach-scope: a breach's discovery and computed scope) ----
// The security decision "this is the scope of breach X" as an event: what was asked, when it
// was discovered, whom it exposes (patient ids stay in this encrypted payload; the clear
// header holds only the investigation's opaque id) and which notices are due.
struct BreachScopeComputed {
  static constexpr const char* kType = "BreachScopeComputed";
  static constexpr uint32_t kSchema = 1;
  std::string by;          // actor | key | session
  std::string subject_id;  // the user, key or session id investigated
  int64_t from_us = 0;
  int64_t to_us = 0;
  int64_t discovered_us = 0;
  int64_t notification_deadline_us = 0;
  std::vector<std::string> unsecured_patient_ids;
  uint64_t secured_patients = 0;
  bool hhs_notice = false;
  std::vector<std::string> media_notice_states;
  bool operator==(const BreachScopeComputed&) const = default;
};

// ---- checkpoint/log (the log's own signed Merkle checkpoints: events/checkpoint.hpp) ----
struct LogCheckpointed {
  static constexpr const char* kType = "LogCheckpointed";
  static constexpr uint32_t kSchema = 1;
  uint64_t tree_size = 0;    // covers global positions 1..tree_size
  std::string root;          // RFC 9162 Merkle tree hash, 32 raw bytes
  int64_t signed_at_us = 0;
  std::string key_id;        // the key ring's Ed25519 signing key
  std::string signature;     // 64 raw bytes over checkpoint_signed_message
  bool operator==(const LogCheckpointed&) const = default;
};

using DomainEvent =
    std::variant<RecordCreated, MedicationAdded, MedicationChanged, MedicationDiscontinued,
                 PgxResultRecorded, AdverseEventReported, RecordViewed, RecordExported,
                 AccessDenied, BreakGlassInvoked, DosingGuidanceRecorded, CareRelationshipAdded,
                 CareRelationshipEnded, ProxyGranted, ProxyRevoked, UserRegistered, LoginFailed,
                 PasswordSet, LoginPasswordAccepted, MfaFailed, LoginSucceeded,
                 TotpEnrollmentStarted, TotpFactorConfirmed, TotpCodeAccepted,
                 WebAuthnChallengeIssued, WebAuthnCredentialRegistered, WebAuthnAssertionAccepted,
                 AuthenticatorCloneSuspected, RecoveryCodesIssued, RecoveryCodeUsed, FactorRemoved,
                 SessionsRevoked, SessionClosed, MfaPromptCreated, MfaPromptApproved,
                 MfaPromptDenied, MfaBombingSuspected, SessionStarted, SessionRotated,
                 SessionSteppedUp, SessionEnded, UsernameClaimed, RoleGranted, RoleRevoked,
                 AlertRaised, AlertReviewed, BreachScopeComputed, LogCheckpointed>;

}  // namespace rxp::events
