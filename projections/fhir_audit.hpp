// Audit records of recorded events: FHIR R4 AuditEvent resources in a Bundle (type
// "collection") for health-IT consumers, and a flat JSON line per event for analysts.
//
// audit_entry() is the pure decision of what one event means as an audit record:
//  - type (DICOM, http://dicom.nema.org/resources/ontology/DCM): 110110 "Patient Record" for
//    creations, changes, views and denials of a record; 110106 "Export" for exports (and
//    denied exports); 110113 "Security Alert" with subtype 110127 "Emergency Override Started"
//    for break-glass;
//  - action: C create, R read (views and exports, as DICOM's export message requires), U update,
//    E execute (break-glass); a denial carries the action that was attempted;
//  - outcome: "0" success, "4" minor failure (denials, with the policy reason code);
//  - purpose of use (HL7 v3 ActReason): treatment TREAT, payment HPAYMT, operations HOPERAT,
//    patient_request PATRQT, emergency ETREAT; break-glass is always ETREAT.
// The agent is the principal by opaque user id and role; the entity is Patient/<patient id>
// with the event's position, stream version and hash (hex) as details for tamper evidence.
// Nothing else leaves: no name, birth date, clinical value or free-text justification, and a
// payload field that is not an opaque id is dropped.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_log.hpp"

namespace rxp::projections {

struct FhirCode {
  std::string system;
  std::string code;
  std::string display;
  bool operator==(const FhirCode&) const = default;
};

inline constexpr const char* kDicomSystem = "http://dicom.nema.org/resources/ontology/DCM";
inline constexpr const char* kActReasonSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

struct AuditEntry {
  uint64_t position = 0;
  std::string stream_id;
  uint64_t version = 0;
  std::string event_type;
  int64_t occurred_at_us = 0;
  events::Principal principal;
  std::string correlation_id;
  std::string patient_id;        // from record/<id>; empty for denials/<user>
  char action = 'E';             // C | R | U | D | E
  bool success = true;
  FhirCode type;
  std::optional<FhirCode> subtype;
  std::string section;           // exports: the sections, comma-separated
  std::string purpose;           // the recorded purpose code (views)
  std::optional<FhirCode> purpose_of_use;
  std::string reason;            // denial reason or break-glass reason code
  std::string hash_hex;
  bool shredded = false;         // payload unreadable: only the header's facts are shown
};

AuditEntry audit_entry(const events::RecordedEvent& event);

// One AuditEvent resource (R4).
nlohmann::json to_fhir(const AuditEntry& entry);
// A Bundle of type "collection" with one AuditEvent per entry, in the given order.
nlohmann::json fhir_bundle(const std::vector<AuditEntry>& entries);
// The flat form, one object per event (rxportal audit --format json).
nlohmann::json to_json(const AuditEntry& entry);

}  // namespace rxp::projections
