#include "events/event_json.hpp"

#include "infra/bytes.hpp"

namespace rxp::events {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RecordCreated, patient_id, birth_date, state, vip)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MedicationAdded, medication_id, name, dose, route, frequency,
                                   start, end, confidential)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MedicationChanged, medication_id, dose, frequency, confidential)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MedicationDiscontinued, medication_id, end, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PgxResultRecorded, result_id, gene, diplotype, phenotype,
                                   recommendation)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AdverseEventReported, report_id, medication_id, reaction,
                                   severity, onset)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RecordViewed, section, purpose)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RecordExported, sections, format)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AccessDenied, action, section, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BreakGlassInvoked, reason_code, justification, access_until_us)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DosingGuidanceRecorded, guidance_id, medication_id, guidance,
                                   source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CareRelationshipAdded, clinician_id, until_us)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CareRelationshipEnded, clinician_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProxyGranted, grant_id, grantee_user_id, scope, expires_at_us,
                                   parent)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProxyRevoked, grant_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(UserRegistered, username, roles, patient_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LoginFailed, reason, source_ip)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LoginPasswordAccepted, login_id, source_ip, device_hash,
                                   expires_at_us, new_device)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MfaFailed, login_id, method, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LoginSucceeded, login_id, session_id, method, device_hash,
                                   source_ip)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TotpFactorConfirmed, factor_id, step)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TotpCodeAccepted, factor_id, step)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(WebAuthnAssertionAccepted, factor_id, sign_count)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AuthenticatorCloneSuspected, factor_id, stored_count,
                                   presented_count)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RecoveryCodeUsed, index)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(FactorRemoved, factor_id, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SessionsRevoked, session_ids, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SessionClosed, session_id, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MfaPromptApproved, prompt_id, approver_session_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MfaPromptDenied, prompt_id, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MfaBombingSuspected, prompts_in_window, window_us)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SessionSteppedUp, method, until_us)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SessionEnded, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(UsernameClaimed, username, user_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoleGranted, role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoleRevoked, role, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AlertRaised, rule, severity, explanation, user_id, patient_id,
                                   evidence, score)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AlertReviewed, disposition, note)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BreachScopeComputed, by, subject_id, from_us, to_us,
                                   discovered_us, notification_deadline_us, unsecured_patient_ids,
                                   secured_patients, hhs_notice, media_notice_states)

// Events that carry secrets: the JSON view (replay, exports) shows that a secret exists, never
// its value or hash.
constexpr const char* kRedacted = "[redacted]";
void to_json(nlohmann::json& j, const PasswordSet& e) {
  j = {{"password_hash", kRedacted}, {"reason", e.reason}};
}
void to_json(nlohmann::json& j, const TotpEnrollmentStarted& e) {
  j = {{"factor_id", e.factor_id}, {"secret", kRedacted}};
}
void to_json(nlohmann::json& j, const WebAuthnChallengeIssued& e) {
  j = {{"challenge", kRedacted}, {"purpose", e.purpose}, {"login_id", e.login_id}};
}
void to_json(nlohmann::json& j, const WebAuthnCredentialRegistered& e) {
  j = {{"factor_id", e.factor_id}, {"credential_id", rxp::to_hex(rxp::as_bytes(std::string_view(e.credential_id)))},
       {"alg", e.alg}, {"sign_count", e.sign_count}};
}
void to_json(nlohmann::json& j, const RecoveryCodesIssued& e) {
  j = {{"codes", e.hashes.size()}, {"salt", kRedacted}, {"hashes", kRedacted}};
}
void to_json(nlohmann::json& j, const MfaPromptCreated& e) {
  j = {{"prompt_id", e.prompt_id}, {"login_id", e.login_id}, {"number", kRedacted},
       {"expires_at_us", e.expires_at_us}};
}
void to_json(nlohmann::json& j, const SessionStarted& e) {
  j = {{"user_id", e.user_id},         {"roles", e.roles}, {"patient_id", e.patient_id},
       {"token_hash", kRedacted},      {"csrf_hash", kRedacted},
       {"device_hash", e.device_hash}, {"source_ip", e.source_ip},
       {"method", e.method},           {"idle_timeout_us", e.idle_timeout_us},
       {"absolute_expires_at_us", e.absolute_expires_at_us}};
}
void to_json(nlohmann::json& j, const SessionRotated& e) {
  j = {{"token_hash", kRedacted}, {"csrf_hash", kRedacted}, {"reason", e.reason}};
}
void to_json(nlohmann::json& j, const LogCheckpointed& e) {
  j = {{"tree_size", e.tree_size},
       {"root", rxp::to_hex(rxp::as_bytes(std::string_view(e.root)))},
       {"signed_at_us", e.signed_at_us},
       {"key_id", e.key_id},
       {"signature", rxp::to_hex(rxp::as_bytes(std::string_view(e.signature)))}};
}

nlohmann::json payload_to_json(const DomainEvent& event) {
  return std::visit([](const auto& e) { return nlohmann::json(e); }, event);
}

}  // namespace rxp::events
