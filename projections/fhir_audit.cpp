#include "projections/fhir_audit.hpp"

#include <cctype>
#include <string_view>

#include "infra/bytes.hpp"
#include "infra/clock.hpp"

namespace rxp::projections {
namespace {

using nlohmann::json;

constexpr const char* kParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
constexpr const char* kRoleClass = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
constexpr const char* kRoleSystem = "urn:rxportal:role";
constexpr const char* kUserIdSystem = "urn:rxportal:user-id";
constexpr const char* kPatientIdSystem = "urn:rxportal:patient-id";
constexpr const char* kStreamSystem = "urn:rxportal:stream";
constexpr const char* kSystemIdSystem = "urn:rxportal:system";
constexpr const char* kSessionExtension = "urn:rxportal:fhir:extension:session-id";

const FhirCode kPatientRecord{kDicomSystem, "110110", "Patient Record"};
const FhirCode kExport{kDicomSystem, "110106", "Export"};
const FhirCode kSecurityAlert{kDicomSystem, "110113", "Security Alert"};
const FhirCode kEmergencyOverrideStarted{kDicomSystem, "110127", "Emergency Override Started"};
const FhirCode kEmergencyTreatment{kActReasonSystem, "ETREAT", "Emergency Treatment"};
const FhirCode kSourceRole{kDicomSystem, "110153", "Source Role ID"};

std::string code(const std::string& s) { return events::is_opaque_id(s, true) ? s : std::string(); }

std::optional<FhirCode> purpose_of_use(std::string_view purpose) {
  if (purpose == "treatment") return FhirCode{kActReasonSystem, "TREAT", "treatment"};
  if (purpose == "payment") return FhirCode{kActReasonSystem, "HPAYMT", "healthcare payment"};
  if (purpose == "operations") return FhirCode{kActReasonSystem, "HOPERAT", "healthcare operations"};
  if (purpose == "patient_request") return FhirCode{kActReasonSystem, "PATRQT", "patient requested"};
  if (purpose == "emergency") return kEmergencyTreatment;
  return std::nullopt;
}

// The action a denied privilege would have performed (actors/access_policy privilege names).
char attempted_action(std::string_view privilege) {
  if (privilege.ends_with(".read") || privilege == "record.export") return 'R';
  if (privilege == "record.create") return 'C';
  if (privilege == "break_glass.invoke" || privilege == "dose_calculator.use") return 'E';
  return 'U';
}

char change_action(std::string_view type) {
  if (type == "MedicationChanged" || type == "MedicationDiscontinued" ||
      type == "CareRelationshipEnded" || type == "ProxyRevoked")
    return 'U';
  return 'C';
}

json coding(const FhirCode& c) { return {{"system", c.system}, {"code", c.code}, {"display", c.display}}; }
json codeable(const FhirCode& c) { return {{"coding", json::array({coding(c)})}}; }

// FHIR resource ids: [A-Za-z0-9-.]{1,64}. Opaque ids may also hold '_' and ':'.
bool is_fhir_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  return true;
}

// A logical reference by identifier: user ids are not FHIR resource ids (a patient's user id
// is not their Patient id).
json by_identifier(const std::string& type, const char* system, const std::string& id) {
  return {{"type", type}, {"identifier", {{"system", system}, {"value", id}}}};
}

json patient_reference(const std::string& patient_id) {
  if (is_fhir_id(patient_id)) return {{"reference", "Patient/" + patient_id}};
  return by_identifier("Patient", kPatientIdSystem, patient_id);
}

std::string fhir_type_of_role(const std::string& role) {
  if (role == "patient") return "Patient";
  if (role == "proxy") return "RelatedPerson";
  if (role == "clinician" || role == "pharmacist" || role == "admin" || role == "auditor")
    return "Practitioner";
  return "Device";
}

FhirCode agent_type(const AuditEntry& e) {
  if (e.principal.role == "patient") return {kRoleClass, "PAT", "patient"};
  if (e.type == kExport) return kSourceRole;
  switch (e.action) {
    case 'R': return {kParticipationType, "IRCP", "information recipient"};
    case 'E': return {kRoleClass, "AGNT", "agent"};
    default: return {kParticipationType, "AUT", "author (originator)"};
  }
}

json agent(const AuditEntry& e) {
  const events::Principal& p = e.principal;
  json a;
  a["type"] = codeable(agent_type(e));
  if (!p.role.empty())
    a["role"] = json::array({{{"coding", json::array({{{"system", kRoleSystem}, {"code", p.role}}})},
                              {"text", p.role}}});
  if (p.user_id.empty())
    a["who"] = {{"type", "Device"}, {"identifier", {{"system", kSystemIdSystem}, {"value", "rxportal"}}}};
  else
    a["who"] = by_identifier(fhir_type_of_role(p.role), kUserIdSystem, p.user_id);
  a["requestor"] = true;
  if (!p.session_id.empty())
    a["extension"] = json::array({{{"url", kSessionExtension}, {"valueString", p.session_id}}});
  if (e.purpose_of_use) a["purposeOfUse"] = json::array({codeable(*e.purpose_of_use)});
  return a;
}

json detail(const char* type, const std::string& value) {
  return {{"type", type}, {"valueString", value}};
}

json entity(const AuditEntry& e) {
  json d = json::array({detail("event_position", std::to_string(e.position)),
                        detail("stream_version", std::to_string(e.version)),
                        detail("event_type", e.event_type), detail("event_hash", e.hash_hex)});
  if (!e.section.empty()) d.push_back(detail("section", e.section));
  if (!e.purpose.empty()) d.push_back(detail("purpose", e.purpose));
  if (!e.reason.empty()) d.push_back(detail("reason", e.reason));
  if (!e.correlation_id.empty()) d.push_back(detail("correlation_id", e.correlation_id));
  if (e.shredded) d.push_back(detail("payload", "shredded"));
  json x;
  if (!e.patient_id.empty()) {
    x["what"] = patient_reference(e.patient_id);
    x["type"] = {{"system", "http://terminology.hl7.org/CodeSystem/audit-entity-type"},
                 {"code", "1"}, {"display", "Person"}};
    x["role"] = {{"system", "http://terminology.hl7.org/CodeSystem/object-role"},
                 {"code", "1"}, {"display", "Patient"}};
  } else {
    x["what"] = {{"identifier", {{"system", kStreamSystem}, {"value", e.stream_id}}}};
    x["type"] = {{"system", "http://terminology.hl7.org/CodeSystem/audit-entity-type"},
                 {"code", "2"}, {"display", "System Object"}};
  }
  x["detail"] = std::move(d);
  return x;
}

}  // namespace

AuditEntry audit_entry(const events::RecordedEvent& ev) {
  const events::EventHeader& h = ev.header;
  AuditEntry e;
  e.position = h.position;
  e.stream_id = h.stream_id;
  e.version = h.version;
  e.event_type = h.type;
  e.occurred_at_us = h.occurred_at_us;
  e.principal = h.principal;
  e.correlation_id = h.correlation_id;
  if (std::string_view(h.stream_id).starts_with("record/")) e.patient_id = h.stream_id.substr(7);
  e.hash_hex = to_hex(ev.hash);
  e.shredded = !ev.payload.has_value();
  e.type = kPatientRecord;
  e.action = change_action(h.type);
  std::string_view type = h.type;
  if (type == events::RecordViewed::kType) {
    e.action = 'R';
  } else if (type == events::RecordExported::kType) {
    e.action = 'R';
    e.type = kExport;
  } else if (type == events::BreakGlassInvoked::kType) {
    e.action = 'E';
    e.type = kSecurityAlert;
    e.subtype = kEmergencyOverrideStarted;
    e.purpose_of_use = kEmergencyTreatment;  // known from the type even when shredded
  } else if (type == events::AccessDenied::kType) {
    e.success = false;
    e.action = 'E';  // the attempted action comes from the payload, if readable
  }
  if (!ev.payload) return e;
  if (const auto* v = std::get_if<events::RecordViewed>(&*ev.payload)) {
    e.section = code(v->section);
    e.purpose = code(v->purpose);
    e.purpose_of_use = purpose_of_use(v->purpose);
  } else if (const auto* x = std::get_if<events::RecordExported>(&*ev.payload)) {
    for (const auto& s : x->sections) {
      if (code(s).empty()) continue;
      if (!e.section.empty()) e.section += ",";
      e.section += s;
    }
  } else if (const auto* d = std::get_if<events::AccessDenied>(&*ev.payload)) {
    e.action = attempted_action(d->action);
    if (d->action == "record.export") e.type = kExport;
    e.section = code(d->section);
    e.reason = code(d->reason);
  } else if (const auto* b = std::get_if<events::BreakGlassInvoked>(&*ev.payload)) {
    e.reason = code(b->reason_code);
  }
  return e;
}

nlohmann::json to_fhir(const AuditEntry& e) {
  json r;
  r["resourceType"] = "AuditEvent";
  r["id"] = "rxp-" + std::to_string(e.position);
  r["type"] = coding(e.type);
  if (e.subtype) r["subtype"] = json::array({coding(*e.subtype)});
  r["action"] = std::string(1, e.action);
  r["recorded"] = format_rfc3339_us(e.occurred_at_us);
  r["outcome"] = e.success ? "0" : "4";
  if (!e.success) r["outcomeDesc"] = e.reason.empty() ? "denied" : "denied: " + e.reason;
  if (e.purpose_of_use) r["purposeOfEvent"] = json::array({codeable(*e.purpose_of_use)});
  r["agent"] = json::array({agent(e)});
  r["source"] = {
      {"site", "rxportal"},
      {"observer", {{"type", "Device"},
                    {"identifier", {{"system", kSystemIdSystem}, {"value", "rxportal"}}},
                    {"display", "rxportal"}}},
      {"type", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/security-source-type"},
                             {"code", "4"}, {"display", "Application Server"}}})}};
  r["entity"] = json::array({entity(e)});
  return r;
}

nlohmann::json fhir_bundle(const std::vector<AuditEntry>& entries) {
  json list = json::array();
  for (const auto& e : entries) list.push_back({{"resource", to_fhir(e)}});
  return {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", std::move(list)}};
}

nlohmann::json to_json(const AuditEntry& e) {
  json j = {{"position", e.position},
            {"stream", e.stream_id},
            {"version", e.version},
            {"type", e.event_type},
            {"occurred_at", format_rfc3339_us(e.occurred_at_us)},
            {"action", std::string(1, e.action)},
            {"outcome", e.success ? "success" : "denied"},
            {"principal", {{"user_id", e.principal.user_id}, {"role", e.principal.role},
                           {"session_id", e.principal.session_id}}},
            {"hash", e.hash_hex}};
  if (!e.patient_id.empty()) j["patient_id"] = e.patient_id;
  if (!e.section.empty()) j["section"] = e.section;
  if (!e.purpose.empty()) j["purpose"] = e.purpose;
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (!e.correlation_id.empty()) j["correlation_id"] = e.correlation_id;
  if (e.shredded) j["shredded"] = true;
  return j;
}

}  // namespace rxp::projections
