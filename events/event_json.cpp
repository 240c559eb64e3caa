#include "events/event_json.hpp"

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

nlohmann::json payload_to_json(const DomainEvent& event) {
  return std::visit([](const auto& e) { return nlohmann::json(e); }, event);
}

}  // namespace rxp::events
