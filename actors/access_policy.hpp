// The access policy: who may do what to a patient's record. Pure functions of the subject,
// the record's access facts and the time; no actors, no I/O. Deny by default.
//
// SPECIFICATION (the implementation and the exhaustive test are both written from this
// text; neither is derived from the other).
//
// Relationship of a subject to a record, evaluated at `now`:
//   self        the subject has role patient and subject.patient_id == record.patient_id.
//   care        record.care has an entry with clinician_id == subject.user_id and
//               (no until, or now < until). Care counts for roles clinician and pharmacist.
//   proxy       record.proxies has a grant with grantee_user_id == subject.user_id, not revoked,
//               now < expires_at, and the subject has role proxy. It covers a privilege only
//               when the privilege's section (below) is in the grant's scope.
//   break-glass record.break_glass has an entry for subject.user_id with now < until, and the
//               subject has role clinician.
// A grant or relationship that is expired, revoked, or held by a subject without the matching
// role counts as absent.
//
// Age of the patient: whole years from record.birth_date (YYYY-MM-DD) to the UTC date of
// `now`. Bands: child < 13, adolescent 13..17, adult >= 18. For a PARENT proxy grant
// (grant.parent == true): on an adolescent's record every allowed read carries
// hide_confidential = true (items marked confidential must be filtered out); on an adult's
// record the grant has ended (denied, reason proxy_ended_at_majority). Non-parent grants
// are unaffected by age.
//
// Step-up: fresh when subject.step_up_at_us is set and now - step_up_at_us <= 5 minutes
// (300'000'000 us); otherwise stale or none. Where the table says "+step-up", an otherwise
// allowed request without a fresh step-up is denied with step_up_required = true and reason
// step_up_required.
//
// Privileges, their sections, and who is allowed (any one role of the subject suffices):
//   medications.read      [medications]    self; proxy; clinician: care or break-glass;
//                                          pharmacist: care
//   medications.write     [medications]    clinician: care
//   pgx.read              [pgx]            self; clinician: care or break-glass, +step-up;
//                                          pharmacist: care, +step-up   (never a proxy)
//   adverse_events.read   [adverse_events] self; proxy; clinician: care or break-glass;
//                                          pharmacist: care
//   adverse_event.report  [adverse_events] self; proxy; clinician: care; pharmacist: care
//   dosing.read           [dosing]         self; proxy; clinician: care or break-glass;
//                                          pharmacist: care
//   dose_calculator.use   [dosing]         clinician: care; pharmacist: care
//   export                [-]              self +step-up; clinician: care +step-up
//   access_log.read       [access_log]     self; proxy; auditor (any record)
//   proxies.grant         [-]              self +step-up; admin (any record) +step-up
//   proxies.revoke        [-]              self; admin (any record)
//   break_glass.invoke    [-]              clinician without care (any record; break-glass
//                                          already active is fine)
//   record.create         [-]              admin (any record)
//   care_relationships.manage [-]          admin (any record)
// Everything else is denied. Admin and auditor never read clinical sections. A privilege with
// no section [-] is never reachable through a proxy grant.
//
// Denial reasons (snake_case, recorded in AccessDenied; never PHI): no_privilege (no role of
// the subject can ever have it), not_own_record, no_care_relationship, proxy_out_of_scope,
// proxy_expired, proxy_revoked, proxy_ended_at_majority, break_glass_expired,
// step_up_required, has_care_relationship (break-glass asked by a clinician in care). When
// several apply, any of them is acceptable; tests check allowed/step_up_required/
// hide_confidential exactly and the reason only where a single one applies.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rxp::policy {

enum class Role { kPatient, kProxy, kClinician, kPharmacist, kAdmin, kAuditor };

enum class Privilege {
  kMedicationsRead,
  kMedicationsWrite,
  kPgxRead,
  kAdverseEventsRead,
  kAdverseEventReport,
  kDosingRead,
  kDoseCalculatorUse,
  kExport,
  kAccessLogRead,
  kProxiesGrant,
  kProxiesRevoke,
  kBreakGlassInvoke,
  kRecordCreate,
  kCareRelationshipsManage,
};

enum class Section { kMedications, kPgx, kAdverseEvents, kDosing, kAccessLog };

inline constexpr int64_t kStepUpValidityUs = 300'000'000;

struct Subject {
  std::string user_id;
  std::set<Role> roles;
  std::string patient_id;                // the subject's own record, for patients
  std::optional<int64_t> step_up_at_us;  // time of the last successful step-up
};

struct CareRelationship {
  std::string clinician_id;  // user id of the clinician or pharmacist
  std::optional<int64_t> until_us;
};

struct ProxyGrant {
  std::string grant_id;
  std::string grantee_user_id;
  std::set<Section> scope;
  int64_t expires_at_us = 0;
  bool revoked = false;
  bool parent = false;  // a parent or guardian of the patient
};

struct BreakGlassGrant {
  std::string user_id;
  int64_t until_us = 0;
};

// What the policy needs to know about one record (no clinical content).
struct RecordAccess {
  std::string patient_id;
  std::string birth_date;  // YYYY-MM-DD
  std::vector<CareRelationship> care;
  std::vector<ProxyGrant> proxies;
  std::vector<BreakGlassGrant> break_glass;
};

struct Decision {
  bool allowed = false;
  bool step_up_required = false;   // denied only for want of a fresh step-up
  bool hide_confidential = false;  // allowed, but confidential items must be filtered out
  bool via_break_glass = false;    // allowed only through an active break-glass grant
  std::string reason;              // "allowed" or a denial reason above
};

Decision decide(const Subject& subject, Privilege privilege, const RecordAccess& record,
                int64_t now_us);

// "record.medications.read", ...; the names of DESIGN.md.
const char* privilege_name(Privilege p);
std::optional<Section> section_of(Privilege p);
const char* section_name(Section s);
const char* role_name(Role r);
std::optional<Role> parse_role(std::string_view name);
// Whole years between a YYYY-MM-DD birth date and the UTC date of `now_us`; nullopt when the
// date is malformed.
std::optional<int> age_in_years(const std::string& birth_date, int64_t now_us);

}  // namespace rxp::policy
