#include "actors/record.hpp"

#include <algorithm>

namespace rxp::record {
namespace {

using events::DomainEvent;
using policy::Privilege;
using policy::Section;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

std::optional<Section> parse_section(const std::string& name) {
  for (Section s : {Section::kMedications, Section::kPgx, Section::kAdverseEvents, Section::kDosing,
                    Section::kAccessLog})
    if (name == policy::section_name(s)) return s;
  return std::nullopt;
}

Privilege read_privilege(Section s) {
  switch (s) {
    case Section::kMedications:
      return Privilege::kMedicationsRead;
    case Section::kPgx:
      return Privilege::kPgxRead;
    case Section::kAdverseEvents:
      return Privilege::kAdverseEventsRead;
    case Section::kDosing:
      return Privilege::kDosingRead;
    case Section::kAccessLog:
      return Privilege::kAccessLogRead;
  }
  return Privilege::kMedicationsRead;
}

// Which privilege a command needs.
Privilege privilege_of(const RecordCommand& c) {
  return std::visit(
      Overloaded{
          [](const CreateRecord&) -> Privilege { return Privilege::kRecordCreate; },
          [](const AddCareRelationship&) -> Privilege {
            return Privilege::kCareRelationshipsManage;
          },
          [](const EndCareRelationship&) -> Privilege {
            return Privilege::kCareRelationshipsManage;
          },
          [](const AddMedication&) -> Privilege { return Privilege::kMedicationsWrite; },
          [](const ChangeMedication&) -> Privilege { return Privilege::kMedicationsWrite; },
          [](const DiscontinueMedication&) -> Privilege { return Privilege::kMedicationsWrite; },
          // PGx results are entered by the care team, like any other clinical write.
          [](const RecordPgx&) -> Privilege { return Privilege::kMedicationsWrite; },
          [](const ReportAdverseEvent&) -> Privilege { return Privilege::kAdverseEventReport; },
          [](const RecordDosingGuidance&) -> Privilege { return Privilege::kDoseCalculatorUse; },
          [](const GrantProxy&) -> Privilege { return Privilege::kProxiesGrant; },
          [](const RevokeProxy&) -> Privilege { return Privilege::kProxiesRevoke; },
          [](const InvokeBreakGlass&) -> Privilege { return Privilege::kBreakGlassInvoke; },
          [](const ViewSection& v) -> Privilege { return read_privilege(v.section); },
          [](const ExportRecord&) -> Privilege { return Privilege::kExport; },
      },
      c);
}

std::string action_name(const RecordCommand& c) {
  return policy::privilege_name(privilege_of(c));
}

std::string section_of_command(const RecordCommand& c) {
  if (const auto* v = std::get_if<ViewSection>(&c)) return policy::section_name(v->section);
  if (auto s = policy::section_of(privilege_of(c))) return policy::section_name(*s);
  return "";
}

Decided deny(const RecordCommand& c, Outcome outcome, std::string reason) {
  Decided d;
  d.outcome = outcome;
  d.reason = reason;
  d.events.push_back(
      events::AccessDenied{action_name(c), section_of_command(c), std::move(reason)});
  return d;
}

Decided invalid(std::string field) {
  Decided d;
  d.outcome = Outcome::kInvalid;
  d.reason = std::move(field);
  return d;
}

Decided ok(std::vector<DomainEvent> evs) {
  Decided d;
  d.events = std::move(evs);
  return d;
}

const Medication* find_medication(const RecordState& s, const std::string& id) {
  for (const auto& m : s.medications)
    if (m.id == id) return &m;
  return nullptr;
}

bool has_care(const RecordState& s, const std::string& user, int64_t now) {
  return std::any_of(s.access.care.begin(), s.access.care.end(), [&](const auto& c) {
    return c.clinician_id == user && (!c.until_us || now < *c.until_us);
  });
}

// Validation of an allowed command: what the caller got wrong, or nothing.
Decided validate_and_decide(const RecordState& s, const std::string& patient_id,
                            const RecordCommand& command, const policy::Subject& subject,
                            const policy::Decision& decision, int64_t now) {
  return std::visit(
      Overloaded{
          [&](const CreateRecord& c) {
            if (s.exists) {
              Decided d = invalid("record");
              d.outcome = Outcome::kConflict;
              return d;
            }
            if (!policy::age_in_years(c.birth_date, now)) return invalid("birth_date");
            if (c.residence_state.size() != 2) return invalid("residence_state");
            return ok({events::RecordCreated{patient_id, c.birth_date, c.residence_state, c.vip}});
          },
          [&](const AddMedication& c) {
            const auto& m = c.medication;
            if (!events::is_opaque_id(m.medication_id, false)) return invalid("medication_id");
            if (m.name.empty()) return invalid("name");
            if (find_medication(s, m.medication_id)) return invalid("medication_id");
            return ok({m});
          },
          [&](const ChangeMedication& c) {
            const Medication* m = find_medication(s, c.change.medication_id);
            if (!m || m->status != "active") return invalid("medication_id");
            return ok({c.change});
          },
          [&](const DiscontinueMedication& c) {
            const Medication* m = find_medication(s, c.discontinue.medication_id);
            if (!m || m->status != "active") return invalid("medication_id");
            return ok({c.discontinue});
          },
          [&](const RecordPgx& c) {
            if (!events::is_opaque_id(c.result.result_id, false)) return invalid("result_id");
            if (c.result.gene.empty()) return invalid("gene");
            return ok({c.result});
          },
          [&](const ReportAdverseEvent& c) {
            if (!events::is_opaque_id(c.report.report_id, false)) return invalid("report_id");
            if (c.report.reaction.empty()) return invalid("reaction");
            return ok({c.report});
          },
          [&](const RecordDosingGuidance& c) {
            if (!events::is_opaque_id(c.guidance.guidance_id, false)) return invalid("guidance_id");
            if (c.guidance.guidance.empty()) return invalid("guidance");
            return ok({c.guidance});
          },
          [&](const AddCareRelationship& c) {
            if (!events::is_opaque_id(c.clinician_id, false)) return invalid("clinician_id");
            if (c.until_us != 0 && c.until_us <= now) return invalid("until");
            return ok({events::CareRelationshipAdded{c.clinician_id, c.until_us}});
          },
          [&](const EndCareRelationship& c) {
            if (!has_care(s, c.clinician_id, now)) return invalid("clinician_id");
            return ok({events::CareRelationshipEnded{c.clinician_id}});
          },
          [&](const GrantProxy& c) {
            const auto& g = c.grant;
            if (!events::is_opaque_id(g.grant_id, false)) return invalid("grant_id");
            if (!events::is_opaque_id(g.grantee_user_id, false)) return invalid("grantee_user_id");
            if (g.expires_at_us <= now) return invalid("expires_at");
            if (g.scope.empty()) return invalid("scope");
            for (const auto& name : g.scope)
              if (!parse_section(name)) return invalid("scope");
            return ok({g});
          },
          [&](const RevokeProxy& c) {
            bool live =
                std::any_of(s.access.proxies.begin(), s.access.proxies.end(),
                            [&](const auto& g) { return g.grant_id == c.grant_id && !g.revoked; });
            if (!live) return invalid("grant_id");
            return ok({events::ProxyRevoked{c.grant_id}});
          },
          [&](const InvokeBreakGlass& c) {
            if (!events::is_opaque_id(c.reason_code, false)) return invalid("reason_code");
            if (c.justification.size() < kMinJustification) return invalid("justification");
            if (c.duration_us <= 0 || c.duration_us > kMaxBreakGlassUs) return invalid("duration");
            return ok(
                {events::BreakGlassInvoked{c.reason_code, c.justification, now + c.duration_us}});
          },
          [&](const ViewSection& c) {
            std::string purpose = decision.via_break_glass ? "emergency" : c.purpose;
            if (!events::is_opaque_id(purpose, false)) return invalid("purpose");
            Decided d = ok({events::RecordViewed{policy::section_name(c.section), purpose}});
            d.decision = decision;
            return d;
          },
          [&](const ExportRecord& c) {
            if (c.format != "json" && c.format != "fhir") return invalid("format");
            return ok({events::RecordExported{{"medications", "pgx", "adverse_events", "dosing"},
                                              c.format}});
          },
      },
      command);
  (void)subject;
}

}  // namespace

bool RecordState::operator==(const RecordState& o) const {
  auto care_eq = [](const policy::CareRelationship& a, const policy::CareRelationship& b) {
    return a.clinician_id == b.clinician_id && a.until_us == b.until_us;
  };
  auto proxy_eq = [](const policy::ProxyGrant& a, const policy::ProxyGrant& b) {
    return a.grant_id == b.grant_id && a.grantee_user_id == b.grantee_user_id &&
           a.scope == b.scope && a.expires_at_us == b.expires_at_us && a.revoked == b.revoked &&
           a.parent == b.parent;
  };
  auto bg_eq = [](const policy::BreakGlassGrant& a, const policy::BreakGlassGrant& b) {
    return a.user_id == b.user_id && a.until_us == b.until_us;
  };
  return version == o.version && exists == o.exists && birth_date == o.birth_date &&
         residence_state == o.residence_state && vip == o.vip && medications == o.medications &&
         pgx == o.pgx && adverse_events == o.adverse_events && dosing == o.dosing &&
         access.patient_id == o.access.patient_id && access.birth_date == o.access.birth_date &&
         std::equal(access.care.begin(), access.care.end(), o.access.care.begin(),
                    o.access.care.end(), care_eq) &&
         std::equal(access.proxies.begin(), access.proxies.end(), o.access.proxies.begin(),
                    o.access.proxies.end(), proxy_eq) &&
         std::equal(access.break_glass.begin(), access.break_glass.end(),
                    o.access.break_glass.begin(), o.access.break_glass.end(), bg_eq);
}

void apply(RecordState& s, const events::EventHeader& h, const DomainEvent& event) {
  s.version = h.version;
  std::visit(Overloaded{
                 [&](const events::RecordCreated& e) {
                   s.exists = true;
                   s.birth_date = e.birth_date;
                   s.residence_state = e.state;
                   s.vip = e.vip;
                   s.access.patient_id = e.patient_id;
                   s.access.birth_date = e.birth_date;
                 },
                 [&](const events::MedicationAdded& e) {
                   s.medications.push_back({e.medication_id, e.name, e.dose, e.route, e.frequency,
                                            e.start, e.end, "active", e.confidential});
                 },
                 [&](const events::MedicationChanged& e) {
                   for (auto& m : s.medications)
                     if (m.id == e.medication_id) {
                       m.dose = e.dose;
                       m.frequency = e.frequency;
                       m.confidential = e.confidential;
                     }
                 },
                 [&](const events::MedicationDiscontinued& e) {
                   for (auto& m : s.medications)
                     if (m.id == e.medication_id) {
                       m.status = "discontinued";
                       m.end = e.end;
                     }
                 },
                 [&](const events::PgxResultRecorded& e) { s.pgx.push_back(e); },
                 [&](const events::AdverseEventReported& e) { s.adverse_events.push_back(e); },
                 [&](const events::DosingGuidanceRecorded& e) { s.dosing.push_back(e); },
                 [&](const events::CareRelationshipAdded& e) {
                   std::erase_if(s.access.care,
                                 [&](const auto& c) { return c.clinician_id == e.clinician_id; });
                   policy::CareRelationship c{e.clinician_id, std::nullopt};
                   if (e.until_us != 0) c.until_us = e.until_us;
                   s.access.care.push_back(c);
                 },
                 [&](const events::CareRelationshipEnded& e) {
                   std::erase_if(s.access.care,
                                 [&](const auto& c) { return c.clinician_id == e.clinician_id; });
                 },
                 [&](const events::ProxyGranted& e) {
                   policy::ProxyGrant g;
                   g.grant_id = e.grant_id;
                   g.grantee_user_id = e.grantee_user_id;
                   for (const auto& name : e.scope)
                     if (auto sec = parse_section(name)) g.scope.insert(*sec);
                   g.expires_at_us = e.expires_at_us;
                   g.parent = e.parent;
                   s.access.proxies.push_back(std::move(g));
                 },
                 [&](const events::ProxyRevoked& e) {
                   for (auto& g : s.access.proxies)
                     if (g.grant_id == e.grant_id) g.revoked = true;
                 },
                 [&](const events::BreakGlassInvoked& e) {
                   s.access.break_glass.push_back({h.principal.user_id, e.access_until_us});
                 },
                 [](const auto&) {},  // views, exports, denials, and events of other streams
             },
             event);
}

Decided decide(const RecordState& state, const std::string& patient_id,
               const RecordCommand& command, const policy::Subject& subject, int64_t now_us) {
  bool creating = std::holds_alternative<CreateRecord>(command);
  // A record that does not exist answers exactly like one the subject may not see.
  if (!state.exists && !creating) return deny(command, Outcome::kForbidden, "no_such_record");
  policy::Decision decision = policy::decide(subject, privilege_of(command), state.access, now_us);
  if (!decision.allowed)
    return deny(command, decision.step_up_required ? Outcome::kStepUpRequired : Outcome::kForbidden,
                decision.reason);
  return validate_and_decide(state, patient_id, command, subject, decision, now_us);
}

namespace {
// Each section fills its own field of the view.
void add_section(SectionView& v, const RecordState& s, Section section, const policy::Decision& d) {
  switch (section) {
    case Section::kMedications:
      for (const auto& m : s.medications)
        if (!(d.hide_confidential && m.confidential)) v.medications.push_back(m);
      break;
    case Section::kPgx:
      v.pgx = s.pgx;
      break;
    case Section::kAdverseEvents:
      v.adverse_events = s.adverse_events;
      break;
    case Section::kDosing:
      v.dosing = s.dosing;
      break;
    case Section::kAccessLog:
      break;  // served by the disclosures projection
  }
}
}  // namespace

SectionView view_of(const RecordState& s, policy::Section section, const policy::Decision& d) {
  SectionView v;
  add_section(v, s, section, d);
  return v;
}

SectionView disclosed(const RecordState& s, const RecordCommand& command,
                      const policy::Decision& d) {
  SectionView v;
  if (const auto* view = std::get_if<ViewSection>(&command)) {
    add_section(v, s, view->section, d);
  } else if (std::holds_alternative<ExportRecord>(command)) {
    for (Section section :
         {Section::kMedications, Section::kPgx, Section::kAdverseEvents, Section::kDosing})
      add_section(v, s, section, d);
  }
  return v;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kForbidden:
      return "forbidden";
    case Outcome::kStepUpRequired:
      return "step_up_required";
    case Outcome::kInvalid:
      return "invalid_request";
    case Outcome::kConflict:
      return "conflict";
  }
  return "unknown";
}

}  // namespace rxp::record
