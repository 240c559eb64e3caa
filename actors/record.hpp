// The patient record aggregate (stream record/<patient id>): its state, how events change it
// (apply), and how commands become events (decide). Pure functions, no actors, no I/O; the
// record actor (record_actor.hpp) runs them.
//
// Every command is checked by the access policy. An allowed command yields its events; a
// denied one yields exactly one AccessDenied event (reason code, no PHI) and the denial, so
// that denials are recorded as durably as changes. A read (ViewSection) yields RecordViewed,
// which must be durable before the section's data leaves the actor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/access_policy.hpp"
#include "events/envelope.hpp"
#include "events/event_types.hpp"

namespace rxp::record {

// ---- state ----
struct Medication {
  std::string id, name, dose, route, frequency, start, end;
  std::string status = "active";  // active | discontinued
  bool confidential = false;
  bool operator==(const Medication&) const = default;
};

struct RecordState {
  uint64_t version = 0;  // stream version the state reflects
  bool exists = false;
  std::string birth_date;
  std::string residence_state;
  bool vip = false;
  std::vector<Medication> medications;
  std::vector<events::PgxResultRecorded> pgx;
  std::vector<events::AdverseEventReported> adverse_events;
  std::vector<events::DosingGuidanceRecorded> dosing;
  policy::RecordAccess access;  // care, proxies, break-glass (patient_id, birth_date too)
  bool operator==(const RecordState&) const;
};

// Applies one committed event. Events the record does not know are ignored (forward
// compatibility); views and denials do not change state.
void apply(RecordState& state, const events::EventHeader& header, const events::DomainEvent& event);

// ---- commands ----
struct CreateRecord {
  std::string birth_date;  // YYYY-MM-DD
  std::string residence_state;
  bool vip = false;
};
struct AddMedication {
  events::MedicationAdded medication;  // medication_id assigned by the caller
};
struct ChangeMedication {
  events::MedicationChanged change;
};
struct DiscontinueMedication {
  events::MedicationDiscontinued discontinue;
};
struct RecordPgx {
  events::PgxResultRecorded result;
};
struct ReportAdverseEvent {
  events::AdverseEventReported report;
};
struct RecordDosingGuidance {
  events::DosingGuidanceRecorded guidance;
};
struct AddCareRelationship {
  std::string clinician_id;
  int64_t until_us = 0;
};
struct EndCareRelationship {
  std::string clinician_id;
};
struct GrantProxy {
  events::ProxyGranted grant;  // grant_id assigned by the caller
};
struct RevokeProxy {
  std::string grant_id;
};
struct InvokeBreakGlass {
  std::string reason_code;
  std::string justification;
  int64_t duration_us = 60LL * 60 * 1000000;
};
struct ViewSection {
  policy::Section section = policy::Section::kMedications;
  std::string purpose = "treatment";
};
struct ExportRecord {
  std::string format = "json";
};

using RecordCommand =
    std::variant<CreateRecord, AddMedication, ChangeMedication, DiscontinueMedication, RecordPgx,
                 ReportAdverseEvent, RecordDosingGuidance, AddCareRelationship,
                 EndCareRelationship, GrantProxy, RevokeProxy, InvokeBreakGlass, ViewSection,
                 ExportRecord>;

enum class Outcome {
  kOk,
  kForbidden,       // also for a record that does not exist: same answer, no existence leak
  kStepUpRequired,
  kInvalid,         // malformed command (missing field, past expiry, short justification)
  kConflict,
};

struct Decided {
  Outcome outcome = Outcome::kOk;
  std::string reason;                  // policy reason or the invalid field; never PHI
  std::vector<events::DomainEvent> events;  // to persist before answering (may be empty)
  policy::Decision decision;           // for reads: hide_confidential, via_break_glass
};

// Break-glass limits (DESIGN.md, issue 3).
inline constexpr size_t kMinJustification = 20;
inline constexpr int64_t kMaxBreakGlassUs = 60LL * 60 * 1000000;

Decided decide(const RecordState& state, const std::string& patient_id,
               const RecordCommand& command, const policy::Subject& subject, int64_t now_us);

// ---- what a read returns ----
struct SectionView {
  std::vector<Medication> medications;
  std::vector<events::PgxResultRecorded> pgx;
  std::vector<events::AdverseEventReported> adverse_events;
  std::vector<events::DosingGuidanceRecorded> dosing;
};

// The section's data as the subject may see it (confidential items removed when the decision
// says so).
SectionView view_of(const RecordState& state, policy::Section section,
                    const policy::Decision& decision);
// What an allowed command discloses: the section of a ViewSection, every clinical section of
// an ExportRecord, nothing for other commands.
SectionView disclosed(const RecordState& state, const RecordCommand& command,
                      const policy::Decision& decision);

const char* outcome_name(Outcome o);

}  // namespace rxp::record
