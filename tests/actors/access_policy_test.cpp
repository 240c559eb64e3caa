// Access policy tests, written from the SPECIFICATION in actors/access_policy.hpp alone.
// The exhaustive case walks role x privilege x relationship x age band x step-up and compares
// every decision with a hand-written table plus two small rules (age band, step-up).
#define BOOST_TEST_MODULE access_policy
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "actors/access_policy.hpp"

namespace {

using rxp::policy::age_in_years;
using rxp::policy::BreakGlassGrant;
using rxp::policy::CareRelationship;
using rxp::policy::decide;
using rxp::policy::Decision;
using rxp::policy::parse_role;
using rxp::policy::Privilege;
using rxp::policy::privilege_name;
using rxp::policy::ProxyGrant;
using rxp::policy::RecordAccess;
using rxp::policy::Role;
using rxp::policy::role_name;
using rxp::policy::Section;
using rxp::policy::section_name;
using rxp::policy::section_of;
using rxp::policy::Subject;

// ---- time ----

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kMinuteUs = 60 * kSecondUs;
constexpr int64_t kHourUs = 60 * kMinuteUs;
constexpr int64_t kDayUs = 24 * kHourUs;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11017);

// The fixed `now`: 2026-06-15T12:00:00Z.
constexpr int kNowYear = 2026;
constexpr int kNowMonth = 6;
constexpr int kNowDay = 15;
constexpr int64_t kNowUs =
    (DaysFromCivil(kNowYear, kNowMonth, kNowDay) * 86400 + 12 * 3600) * kSecondUs;
static_assert(kNowUs == 1'781'524'800'000'000);  // checked with `date -d 2026-06-15T12:00Z +%s`
constexpr int64_t kMidnightUs = DaysFromCivil(kNowYear, kNowMonth, kNowDay) * kDayUs;

std::string Date(int y, int m, int d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// A birth date well inside the year, so that the patient is `years` old at `now` (June 15).
std::string BirthDateForAge(int years) {
  return Date(kNowYear - years, 1, 10);
}

// ---- names used only in failure messages (written here, not taken from the library) ----

constexpr std::array<Role, 6> kRoles = {Role::kPatient,    Role::kProxy, Role::kClinician,
                                        Role::kPharmacist, Role::kAdmin, Role::kAuditor};
constexpr std::array<const char*, 6> kRoleLabels = {"patient",    "proxy", "clinician",
                                                    "pharmacist", "admin", "auditor"};

constexpr std::array<Privilege, 14> kPrivileges = {
    Privilege::kMedicationsRead,
    Privilege::kMedicationsWrite,
    Privilege::kPgxRead,
    Privilege::kAdverseEventsRead,
    Privilege::kAdverseEventReport,
    Privilege::kDosingRead,
    Privilege::kDoseCalculatorUse,
    Privilege::kExport,
    Privilege::kAccessLogRead,
    Privilege::kProxiesGrant,
    Privilege::kProxiesRevoke,
    Privilege::kBreakGlassInvoke,
    Privilege::kRecordCreate,
    Privilege::kCareRelationshipsManage,
};
constexpr std::array<const char*, 14> kPrivilegeLabels = {
    "medications.read",
    "medications.write",
    "pgx.read",
    "adverse_events.read",
    "adverse_event.report",
    "dosing.read",
    "dose_calculator.use",
    "export",
    "access_log.read",
    "proxies.grant",
    "proxies.revoke",
    "break_glass.invoke",
    "record.create",
    "care_relationships.manage",
};

constexpr std::array<Section, 5> kAllSections = {Section::kMedications, Section::kPgx,
                                                 Section::kAdverseEvents, Section::kDosing,
                                                 Section::kAccessLog};

// Relationship columns of the table, in this order.
enum Rel {
  kSelf,
  kNone,
  kCare,
  kProxyIn,
  kProxyOut,
  kProxyExpired,
  kBreakGlass,
  kBreakGlassExpired,
  kRelCount
};
constexpr std::array<const char*, kRelCount> kRelLabels = {"self",
                                                           "none",
                                                           "care",
                                                           "proxy-in-scope",
                                                           "proxy-out-of-scope",
                                                           "proxy-expired",
                                                           "break-glass",
                                                           "break-glass-expired"};

enum Band { kChild, kAdolescent, kAdult, kBandCount };
constexpr std::array<int, kBandCount> kBandAge = {8, 15, 30};
constexpr std::array<const char*, kBandCount> kBandLabels = {"child", "adolescent", "adult"};

enum StepUp { kFresh, kStale, kNoStepUp, kStepUpCount };
constexpr std::array<const char*, kStepUpCount> kStepUpLabels = {"fresh", "stale", "none"};

// ---- the expected table, written from the spec ----
//
// One row per (role, privilege); one character per relationship column:
//   self none care proxy-in proxy-out proxy-expired break-glass break-glass-expired
// 'A' allowed, 'S' allowed only with a fresh step-up, 'D' denied. Proxy cells assume a child
// patient (the age rule below handles the other bands). The subject has exactly one role.
constexpr std::array<std::array<const char*, 14>, 6> kTable = {{
    // patient: only its own record ("self"); care/proxy/break-glass need other roles.
    {{
        "ADDDDDDD",  // medications.read
        "DDDDDDDD",  // medications.write
        "ADDDDDDD",  // pgx.read (self has no +step-up in the pgx line)
        "ADDDDDDD",  // adverse_events.read
        "ADDDDDDD",  // adverse_event.report
        "ADDDDDDD",  // dosing.read
        "DDDDDDDD",  // dose_calculator.use
        "SDDDDDDD",  // export (+step-up)
        "ADDDDDDD",  // access_log.read
        "SDDDDDDD",  // proxies.grant (+step-up)
        "ADDDDDDD",  // proxies.revoke
        "DDDDDDDD",  // break_glass.invoke
        "DDDDDDDD",  // record.create
        "DDDDDDDD",  // care_relationships.manage
    }},
    // proxy: only through a live grant whose scope holds the section; never pgx or [-].
    {{
        "DDDADDDD",  // medications.read
        "DDDDDDDD",  // medications.write
        "DDDDDDDD",  // pgx.read (never a proxy)
        "DDDADDDD",  // adverse_events.read
        "DDDADDDD",  // adverse_event.report
        "DDDADDDD",  // dosing.read
        "DDDDDDDD",  // dose_calculator.use
        "DDDDDDDD",  // export
        "DDDADDDD",  // access_log.read
        "DDDDDDDD",  // proxies.grant
        "DDDDDDDD",  // proxies.revoke
        "DDDDDDDD",  // break_glass.invoke
        "DDDDDDDD",  // record.create
        "DDDDDDDD",  // care_relationships.manage
    }},
    // clinician: care; some reads also through active break-glass; invoke only without care.
    {{
        "DDADDDAD",  // medications.read
        "DDADDDDD",  // medications.write
        "DDSDDDSD",  // pgx.read (+step-up)
        "DDADDDAD",  // adverse_events.read
        "DDADDDDD",  // adverse_event.report
        "DDADDDAD",  // dosing.read
        "DDADDDDD",  // dose_calculator.use
        "DDSDDDDD",  // export (+step-up)
        "DDDDDDDD",  // access_log.read
        "DDDDDDDD",  // proxies.grant
        "DDDDDDDD",  // proxies.revoke
        "AADAAAAA",  // break_glass.invoke (any record without care)
        "DDDDDDDD",  // record.create
        "DDDDDDDD",  // care_relationships.manage
    }},
    // pharmacist: care only; break-glass is for clinicians.
    {{
        "DDADDDDD",  // medications.read
        "DDDDDDDD",  // medications.write
        "DDSDDDDD",  // pgx.read (+step-up)
        "DDADDDDD",  // adverse_events.read
        "DDADDDDD",  // adverse_event.report
        "DDADDDDD",  // dosing.read
        "DDADDDDD",  // dose_calculator.use
        "DDDDDDDD",  // export
        "DDDDDDDD",  // access_log.read
        "DDDDDDDD",  // proxies.grant
        "DDDDDDDD",  // proxies.revoke
        "DDDDDDDD",  // break_glass.invoke
        "DDDDDDDD",  // record.create
        "DDDDDDDD",  // care_relationships.manage
    }},
    // admin: proxy management on any record; never clinical sections.
    {{
        "DDDDDDDD",  // medications.read
        "DDDDDDDD",  // medications.write
        "DDDDDDDD",  // pgx.read
        "DDDDDDDD",  // adverse_events.read
        "DDDDDDDD",  // adverse_event.report
        "DDDDDDDD",  // dosing.read
        "DDDDDDDD",  // dose_calculator.use
        "DDDDDDDD",  // export
        "DDDDDDDD",  // access_log.read
        "SSSSSSSS",  // proxies.grant (any record, +step-up)
        "AAAAAAAA",  // proxies.revoke (any record)
        "DDDDDDDD",  // break_glass.invoke
        "AAAAAAAA",  // record.create (any record)
        "AAAAAAAA",  // care_relationships.manage (any record)
    }},
    // auditor: the access log of any record; nothing else.
    {{
        "DDDDDDDD",  // medications.read
        "DDDDDDDD",  // medications.write
        "DDDDDDDD",  // pgx.read
        "DDDDDDDD",  // adverse_events.read
        "DDDDDDDD",  // adverse_event.report
        "DDDDDDDD",  // dosing.read
        "DDDDDDDD",  // dose_calculator.use
        "DDDDDDDD",  // export
        "AAAAAAAA",  // access_log.read (any record)
        "DDDDDDDD",  // proxies.grant
        "DDDDDDDD",  // proxies.revoke
        "DDDDDDDD",  // break_glass.invoke
        "DDDDDDDD",  // record.create
        "DDDDDDDD",  // care_relationships.manage
    }},
}};

constexpr bool TableIsWellFormed() {
  for (const auto& row : kTable) {
    for (const char* cell : row) {
      int n = 0;
      for (; cell[n] != '\0'; ++n) {
        if (cell[n] != 'A' && cell[n] != 'S' && cell[n] != 'D') return false;
      }
      if (n != kRelCount) return false;
    }
  }
  return true;
}
static_assert(TableIsWellFormed());

// ---- fixtures ----

const std::string kRecordPatient = "p-rec";
const std::string kSubjectPatient = "p-subj";
const std::string kSubjectUser = "u-subj";
const std::string kOtherUser = "u-other";

std::set<Section> AllSections() {
  return {kAllSections.begin(), kAllSections.end()};
}

std::optional<int64_t> StepUpAt(StepUp s) {
  switch (s) {
    case kFresh:
      return kNowUs - 1 * kMinuteUs;
    case kStale:
      return kNowUs - 10 * kMinuteUs;
    default:
      return std::nullopt;
  }
}

Subject MakeSubject(std::set<Role> roles, std::string patient_id,
                    std::optional<int64_t> step_up_at) {
  Subject s;
  s.user_id = kSubjectUser;
  s.roles = std::move(roles);
  s.patient_id = std::move(patient_id);
  s.step_up_at_us = step_up_at;
  return s;
}

ProxyGrant Grant(std::string grantee, std::set<Section> scope, int64_t expires_at, bool parent,
                 bool revoked = false) {
  ProxyGrant g;
  g.grant_id = "g-" + grantee;
  g.grantee_user_id = std::move(grantee);
  g.scope = std::move(scope);
  g.expires_at_us = expires_at;
  g.revoked = revoked;
  g.parent = parent;
  return g;
}

// A record with decoys: the same facts held by another user must never help the subject.
RecordAccess BaseRecord(const std::string& birth_date) {
  RecordAccess r;
  r.patient_id = kRecordPatient;
  r.birth_date = birth_date;
  r.care.push_back(CareRelationship{kOtherUser, std::nullopt});
  r.proxies.push_back(Grant(kOtherUser, AllSections(), kNowUs + kDayUs, /*parent=*/true));
  r.break_glass.push_back(BreakGlassGrant{kOtherUser, kNowUs + kHourUs});
  return r;
}

// Scope that covers the privilege (sectionless privileges: every section).
std::set<Section> InScope(Privilege p) {
  const std::optional<Section> s = section_of(p);
  if (!s) return AllSections();
  return {*s};
}

// Scope that excludes the privilege's section (sectionless privileges: nothing).
std::set<Section> OutOfScope(Privilege p) {
  const std::optional<Section> s = section_of(p);
  if (!s) return {};
  std::set<Section> out = AllSections();
  out.erase(*s);
  return out;
}

RecordAccess MakeRecord(Privilege p, Rel rel, Band band) {
  RecordAccess r = BaseRecord(BirthDateForAge(kBandAge[band]));
  switch (rel) {
    case kSelf:
    case kNone:
      break;
    case kCare:
      r.care.push_back(CareRelationship{kSubjectUser, std::nullopt});
      break;
    case kProxyIn:
      r.proxies.push_back(Grant(kSubjectUser, InScope(p), kNowUs + kDayUs, true));
      break;
    case kProxyOut:
      r.proxies.push_back(Grant(kSubjectUser, OutOfScope(p), kNowUs + kDayUs, true));
      break;
    case kProxyExpired:
      r.proxies.push_back(Grant(kSubjectUser, InScope(p), kNowUs - kHourUs, true));
      break;
    case kBreakGlass:
      r.break_glass.push_back(BreakGlassGrant{kSubjectUser, kNowUs + kHourUs});
      break;
    case kBreakGlassExpired:
      r.break_glass.push_back(BreakGlassGrant{kSubjectUser, kNowUs - kHourUs});
      break;
    default:
      break;
  }
  return r;
}

bool IsRead(Privilege p) {
  return p == Privilege::kMedicationsRead || p == Privilege::kPgxRead ||
         p == Privilege::kAdverseEventsRead || p == Privilege::kDosingRead ||
         p == Privilege::kAccessLogRead;
}

const std::set<std::string> kDenialReasons = {
    "no_privilege",     "not_own_record",       "no_care_relationship",    "proxy_out_of_scope",
    "proxy_expired",    "proxy_revoked",        "proxy_ended_at_majority", "break_glass_expired",
    "step_up_required", "has_care_relationship"};

struct Expected {
  bool allowed = false;
  bool step_up_required = false;
  bool hide_confidential = false;
  bool via_break_glass = false;
  std::string reason;  // empty: any denial reason of the spec
};

// Table cell, then the age rule (parent proxy grants), then the step-up rule.
Expected Expect(int role_i, int priv_i, Rel rel, Band band, StepUp step) {
  const Role role = kRoles[role_i];
  const Privilege priv = kPrivileges[priv_i];
  const char cell = kTable[role_i][priv_i][rel];
  Expected e;
  if (cell == 'D') return e;
  // Age rule: a single-role proxy is only ever allowed through its (parent) grant.
  const bool via_parent_grant = role == Role::kProxy && rel == kProxyIn;
  if (via_parent_grant && band == kAdult) {
    e.reason = "proxy_ended_at_majority";
    return e;
  }
  // Step-up rule.
  if (cell == 'S' && step != kFresh) {
    e.step_up_required = true;
    e.reason = "step_up_required";
    return e;
  }
  e.allowed = true;
  e.reason = "allowed";
  e.hide_confidential = via_parent_grant && band == kAdolescent && IsRead(priv);
  // A clinician reading through an active break-glass grant (invoke itself is not "via").
  e.via_break_glass =
      role == Role::kClinician && rel == kBreakGlass && priv != Privilege::kBreakGlassInvoke;
  return e;
}

std::string Describe(int role_i, int priv_i, int rel, int band, int step) {
  return std::string(kRoleLabels[role_i]) + " " + kPrivilegeLabels[priv_i] + " " + kRelLabels[rel] +
         " " + kBandLabels[band] + " step-up=" + kStepUpLabels[step];
}

std::string Show(bool allowed, bool step_up, bool hide, bool via, const std::string& reason) {
  return std::string("{allowed=") + (allowed ? "1" : "0") + " step_up=" + (step_up ? "1" : "0") +
         " hide=" + (hide ? "1" : "0") + " via_bg=" + (via ? "1" : "0") + " reason=" + reason + "}";
}

// age_in_years with nullopt as -1 (Boost.Test cannot print optionals).
int AgeOr(const std::string& birth, int64_t now) {
  return age_in_years(birth, now).value_or(-1);
}

// Convenience for focused tests.
Decision Decide(const Subject& s, Privilege p, const RecordAccess& r, int64_t now = kNowUs) {
  return decide(s, p, r, now);
}

}  // namespace

// ---- 1. exhaustive ----

BOOST_AUTO_TEST_CASE(exhaustive_matches_spec_table) {
  int checked = 0;
  int wrongful_allows = 0;
  int wrongful_denies = 0;
  int step_up_mismatches = 0;
  int hide_mismatches = 0;
  int via_mismatches = 0;
  int reason_mismatches = 0;
  int reported = 0;
  constexpr int kMaxReported = 60;

  for (int ri = 0; ri < 6; ++ri) {
    for (int pi = 0; pi < static_cast<int>(kPrivileges.size()); ++pi) {
      for (int rel = 0; rel < kRelCount; ++rel) {
        for (int band = 0; band < kBandCount; ++band) {
          for (int step = 0; step < kStepUpCount; ++step) {
            const Rel r = static_cast<Rel>(rel);
            const Subject subject =
                MakeSubject({kRoles[ri]}, r == kSelf ? kRecordPatient : kSubjectPatient,
                            StepUpAt(static_cast<StepUp>(step)));
            const RecordAccess record = MakeRecord(kPrivileges[pi], r, static_cast<Band>(band));
            const Decision d = decide(subject, kPrivileges[pi], record, kNowUs);
            const Expected e =
                Expect(ri, pi, r, static_cast<Band>(band), static_cast<StepUp>(step));
            ++checked;

            bool bad = false;
            if (d.allowed && !e.allowed) ++wrongful_allows, bad = true;
            if (!d.allowed && e.allowed) ++wrongful_denies, bad = true;
            if (d.step_up_required != e.step_up_required) ++step_up_mismatches, bad = true;
            if (d.hide_confidential != e.hide_confidential) ++hide_mismatches, bad = true;
            if (d.allowed && e.allowed && d.via_break_glass != e.via_break_glass) {
              ++via_mismatches, bad = true;
            }
            const bool reason_ok = e.reason.empty()
                                       ? (!d.allowed && kDenialReasons.count(d.reason) == 1)
                                       : d.reason == e.reason;
            if (!reason_ok) ++reason_mismatches, bad = true;

            if (bad && reported++ < kMaxReported) {
              BOOST_ERROR(Describe(ri, pi, rel, band, step)
                          << ": expected "
                          << Show(e.allowed, e.step_up_required, e.hide_confidential,
                                  e.via_break_glass, e.reason.empty() ? "<any denial>" : e.reason)
                          << " got "
                          << Show(d.allowed, d.step_up_required, d.hide_confidential,
                                  d.via_break_glass, d.reason));
            }
          }
        }
      }
    }
  }
  BOOST_TEST_MESSAGE("access policy: " << checked << " combinations checked");
  BOOST_TEST(checked == 6 * kPrivileges.size() * kRelCount * kBandCount * kStepUpCount);
  BOOST_TEST(wrongful_allows == 0);
  BOOST_TEST(wrongful_denies == 0);
  BOOST_TEST(step_up_mismatches == 0);
  BOOST_TEST(hide_mismatches == 0);
  BOOST_TEST(via_mismatches == 0);
  BOOST_TEST(reason_mismatches == 0);
}

// ---- 2. focused ----

BOOST_AUTO_TEST_CASE(non_parent_proxy_unaffected_by_age) {
  const Subject s = MakeSubject({Role::kProxy}, "", std::nullopt);
  for (int age : {8, 12, 13, 15, 17, 18, 30, 80}) {
    RecordAccess r = BaseRecord(BirthDateForAge(age));
    r.proxies.push_back(Grant(kSubjectUser, AllSections(), kNowUs + kDayUs, /*parent=*/false));
    for (Privilege p :
         {Privilege::kMedicationsRead, Privilege::kAdverseEventsRead,
          Privilege::kAdverseEventReport, Privilege::kDosingRead, Privilege::kAccessLogRead}) {
      const Decision d = Decide(s, p, r);
      BOOST_TEST(d.allowed, "age " << age << " " << privilege_name(p));
      BOOST_TEST(!d.hide_confidential, "age " << age << " " << privilege_name(p));
      BOOST_TEST(!d.step_up_required);
    }
    // Still never pgx.
    BOOST_TEST(!Decide(s, Privilege::kPgxRead, r).allowed);
  }
}

BOOST_AUTO_TEST_CASE(parent_proxy_age_band_boundaries) {
  const Subject s = MakeSubject({Role::kProxy}, "", std::nullopt);
  auto with_birth = [](const std::string& birth) {
    RecordAccess r = BaseRecord(birth);
    r.proxies.push_back(Grant(kSubjectUser, AllSections(), kNowUs + kDayUs, /*parent=*/true));
    return r;
  };
  // 12, turning 13 tomorrow: child.
  Decision d = Decide(s, Privilege::kMedicationsRead,
                      with_birth(Date(kNowYear - 13, kNowMonth, kNowDay + 1)));
  BOOST_TEST(d.allowed);
  BOOST_TEST(!d.hide_confidential);
  // 13 today: adolescent.
  d = Decide(s, Privilege::kMedicationsRead, with_birth(Date(kNowYear - 13, kNowMonth, kNowDay)));
  BOOST_TEST(d.allowed);
  BOOST_TEST(d.hide_confidential);
  // 17, turning 18 tomorrow: adolescent.
  d = Decide(s, Privilege::kDosingRead, with_birth(Date(kNowYear - 18, kNowMonth, kNowDay + 1)));
  BOOST_TEST(d.allowed);
  BOOST_TEST(d.hide_confidential);
  // 18 today: the parent grant has ended.
  d = Decide(s, Privilege::kDosingRead, with_birth(Date(kNowYear - 18, kNowMonth, kNowDay)));
  BOOST_TEST(!d.allowed);
  BOOST_TEST(!d.step_up_required);
  BOOST_TEST(d.reason == "proxy_ended_at_majority");
}

BOOST_AUTO_TEST_CASE(revoked_proxy_grant_denied) {
  const Subject s = MakeSubject({Role::kProxy}, "", std::nullopt);
  RecordAccess r = BaseRecord(BirthDateForAge(8));
  r.proxies.push_back(Grant(kSubjectUser, AllSections(), kNowUs + kDayUs, true, /*revoked=*/true));
  for (Privilege p :
       {Privilege::kMedicationsRead, Privilege::kAdverseEventReport, Privilege::kAccessLogRead}) {
    const Decision d = Decide(s, p, r);
    BOOST_TEST(!d.allowed, privilege_name(p));
    BOOST_TEST(!d.step_up_required);
    BOOST_TEST(d.reason == "proxy_revoked");
  }
  // The same grant not revoked is allowed (so the denial above is due to revocation).
  r.proxies.back().revoked = false;
  BOOST_TEST(Decide(s, Privilege::kMedicationsRead, r).allowed);
}

BOOST_AUTO_TEST_CASE(proxy_expiry_and_scope_reasons) {
  const Subject s = MakeSubject({Role::kProxy}, "", std::nullopt);
  RecordAccess r = BaseRecord(BirthDateForAge(8));
  r.proxies.push_back(Grant(kSubjectUser, {Section::kMedications}, kNowUs, true));
  // expires_at == now: expired (now < expires_at is false).
  Decision d = Decide(s, Privilege::kMedicationsRead, r);
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "proxy_expired");
  r.proxies.back().expires_at_us = kNowUs + 1;
  BOOST_TEST(Decide(s, Privilege::kMedicationsRead, r).allowed);
  d = Decide(s, Privilege::kDosingRead, r);
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "proxy_out_of_scope");
}

BOOST_AUTO_TEST_CASE(care_relationship_with_until) {
  for (Role role : {Role::kClinician, Role::kPharmacist}) {
    const Subject s = MakeSubject({role}, "", std::nullopt);
    RecordAccess r = BaseRecord(BirthDateForAge(30));
    r.care.push_back(CareRelationship{kSubjectUser, kNowUs - kDayUs});
    Decision d = Decide(s, Privilege::kMedicationsRead, r);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.reason == "no_care_relationship");
    // until == now: ended.
    r.care.back().until_us = kNowUs;
    BOOST_TEST(!Decide(s, Privilege::kMedicationsRead, r).allowed);
    // until in the future: in care.
    r.care.back().until_us = kNowUs + 1;
    BOOST_TEST(Decide(s, Privilege::kMedicationsRead, r).allowed);
    BOOST_TEST(Decide(s, Privilege::kDoseCalculatorUse, r).allowed);
  }
}

BOOST_AUTO_TEST_CASE(two_roles_allowed_if_either_allows) {
  const Subject s = MakeSubject({Role::kClinician, Role::kProxy}, "", std::nullopt);
  // Only a proxy grant: the proxy role allows reads in scope, the clinician role nothing.
  RecordAccess by_grant = BaseRecord(BirthDateForAge(8));
  by_grant.proxies.push_back(Grant(kSubjectUser, AllSections(), kNowUs + kDayUs, true));
  BOOST_TEST(Decide(s, Privilege::kMedicationsRead, by_grant).allowed);
  BOOST_TEST(Decide(s, Privilege::kAccessLogRead, by_grant).allowed);
  BOOST_TEST(!Decide(s, Privilege::kMedicationsWrite, by_grant).allowed);
  BOOST_TEST(!Decide(s, Privilege::kPgxRead, by_grant).allowed);
  // Only care: the clinician role allows, the proxy role nothing.
  RecordAccess by_care = BaseRecord(BirthDateForAge(8));
  by_care.care.push_back(CareRelationship{kSubjectUser, std::nullopt});
  BOOST_TEST(Decide(s, Privilege::kMedicationsWrite, by_care).allowed);
  BOOST_TEST(!Decide(s, Privilege::kAccessLogRead, by_care).allowed);
  // Patient + auditor on someone else's record: the auditor reads the access log only.
  const Subject pa = MakeSubject({Role::kPatient, Role::kAuditor}, kSubjectPatient, std::nullopt);
  BOOST_TEST(Decide(pa, Privilege::kAccessLogRead, by_care).allowed);
  BOOST_TEST(!Decide(pa, Privilege::kMedicationsRead, by_care).allowed);
}

BOOST_AUTO_TEST_CASE(patient_reading_another_record_denied) {
  const Subject s = MakeSubject({Role::kPatient}, kSubjectPatient, kNowUs - kMinuteUs);
  const RecordAccess r = BaseRecord(BirthDateForAge(30));
  for (Privilege p : kPrivileges) {
    const Decision d = Decide(s, p, r);
    BOOST_TEST(!d.allowed, privilege_name(p));
    BOOST_TEST(!d.step_up_required, privilege_name(p));
  }
  BOOST_TEST(Decide(s, Privilege::kMedicationsRead, r).reason == "not_own_record");
  // Own record is allowed (the denial above is about ownership).
  const Subject own = MakeSubject({Role::kPatient}, kRecordPatient, std::nullopt);
  BOOST_TEST(Decide(own, Privilege::kMedicationsRead, r).allowed);
}

BOOST_AUTO_TEST_CASE(break_glass_invoke) {
  const Subject s = MakeSubject({Role::kClinician}, "", std::nullopt);
  RecordAccess r = BaseRecord(BirthDateForAge(30));
  // Without care: allowed.
  Decision d = Decide(s, Privilege::kBreakGlassInvoke, r);
  BOOST_TEST(d.allowed);
  BOOST_TEST(!d.step_up_required);
  // Already active break-glass is fine.
  r.break_glass.push_back(BreakGlassGrant{kSubjectUser, kNowUs + kHourUs});
  BOOST_TEST(Decide(s, Privilege::kBreakGlassInvoke, r).allowed);
  // In care: denied.
  r.care.push_back(CareRelationship{kSubjectUser, std::nullopt});
  d = Decide(s, Privilege::kBreakGlassInvoke, r);
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "has_care_relationship");
  // Care that ended: allowed again.
  r.care.back().until_us = kNowUs - 1;
  BOOST_TEST(Decide(s, Privilege::kBreakGlassInvoke, r).allowed);
  // A pharmacist can never invoke it.
  const Subject ph = MakeSubject({Role::kPharmacist}, "", std::nullopt);
  d = Decide(ph, Privilege::kBreakGlassInvoke, BaseRecord(BirthDateForAge(30)));
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "no_privilege");
}

BOOST_AUTO_TEST_CASE(break_glass_grant_boundaries) {
  const Subject s = MakeSubject({Role::kClinician}, "", std::nullopt);
  RecordAccess r = BaseRecord(BirthDateForAge(30));
  r.break_glass.push_back(BreakGlassGrant{kSubjectUser, kNowUs});  // until == now: expired
  Decision d = Decide(s, Privilege::kMedicationsRead, r);
  BOOST_TEST(!d.allowed);
  BOOST_TEST((d.reason == "break_glass_expired" || d.reason == "no_care_relationship"));
  r.break_glass.back().until_us = kNowUs + 1;
  d = Decide(s, Privilege::kMedicationsRead, r);
  BOOST_TEST(d.allowed);
  BOOST_TEST(d.via_break_glass);
  // Break-glass never covers writes.
  BOOST_TEST(!Decide(s, Privilege::kMedicationsWrite, r).allowed);
  // A break-glass grant held by a pharmacist counts as absent.
  const Subject ph = MakeSubject({Role::kPharmacist}, "", std::nullopt);
  BOOST_TEST(!Decide(ph, Privilege::kMedicationsRead, r).allowed);
}

BOOST_AUTO_TEST_CASE(step_up_five_minute_boundary) {
  const RecordAccess r = BaseRecord(BirthDateForAge(30));
  const Subject fresh = MakeSubject({Role::kPatient}, kRecordPatient, kNowUs - 5 * kMinuteUs);
  static_assert(rxp::policy::kStepUpValidityUs == 5 * kMinuteUs);
  Decision d = Decide(fresh, Privilege::kExport, r);
  BOOST_TEST(d.allowed);
  BOOST_TEST(!d.step_up_required);
  const Subject stale = MakeSubject({Role::kPatient}, kRecordPatient, kNowUs - 5 * kMinuteUs - 1);
  d = Decide(stale, Privilege::kExport, r);
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.step_up_required);
  BOOST_TEST(d.reason == "step_up_required");
  // Admin granting proxies needs it as well.
  const Subject admin = MakeSubject({Role::kAdmin}, "", kNowUs - 5 * kMinuteUs - 1);
  d = Decide(admin, Privilege::kProxiesGrant, r);
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.step_up_required);
  // Revoking does not.
  BOOST_TEST(Decide(admin, Privilege::kProxiesRevoke, r).allowed);
}

BOOST_AUTO_TEST_CASE(age_in_years_boundaries) {
  BOOST_TEST(AgeOr(Date(2010, kNowMonth, kNowDay), kNowUs) == 16);
  BOOST_TEST(AgeOr(Date(2010, kNowMonth, kNowDay + 1), kNowUs) == 15);
  BOOST_TEST(AgeOr(Date(2010, kNowMonth, kNowDay - 1), kNowUs) == 16);
  BOOST_TEST(AgeOr(Date(2010, kNowMonth + 1, 1), kNowUs) == 15);
  BOOST_TEST(AgeOr(Date(kNowYear, kNowMonth, kNowDay), kNowUs) == 0);
  BOOST_TEST(AgeOr(Date(2008, 2, 29), kNowUs) == 18);
  BOOST_TEST(AgeOr(BirthDateForAge(8), kNowUs) == 8);
  BOOST_TEST(AgeOr(BirthDateForAge(15), kNowUs) == 15);
  BOOST_TEST(AgeOr(BirthDateForAge(30), kNowUs) == 30);
  // The UTC date of `now` counts, not the time of day.
  const std::string birth = Date(2010, kNowMonth, kNowDay);
  BOOST_TEST(AgeOr(birth, kMidnightUs - 1) == 15);
  BOOST_TEST(AgeOr(birth, kMidnightUs) == 16);
  // Clearly malformed.
  for (const char* bad : {"", "2010/01/01", "abcd-ef-gh", "2010-13-01"}) {
    BOOST_TEST(!age_in_years(bad, kNowUs).has_value(), "'" << bad << "'");
  }
}

BOOST_AUTO_TEST_CASE(proxy_grant_for_another_user_denied) {
  const Subject s = MakeSubject({Role::kProxy}, "", std::nullopt);
  RecordAccess r;
  r.patient_id = kRecordPatient;
  r.birth_date = BirthDateForAge(8);
  r.proxies.push_back(Grant(kOtherUser, AllSections(), kNowUs + kDayUs, /*parent=*/false));
  for (Privilege p : kPrivileges) {
    const Decision d = Decide(s, p, r);
    BOOST_TEST(!d.allowed, privilege_name(p));
    BOOST_TEST(!d.hide_confidential);
  }
  // Grantee changed to the subject: allowed (the denial above is about the grantee).
  r.proxies.back().grantee_user_id = kSubjectUser;
  BOOST_TEST(Decide(s, Privilege::kMedicationsRead, r).allowed);
}

BOOST_AUTO_TEST_CASE(no_roles_denied_by_default) {
  // Every relationship fact points at the subject, step-up is fresh, yet no role: deny.
  const Subject s = MakeSubject({}, kRecordPatient, kNowUs - kMinuteUs);
  RecordAccess r = BaseRecord(BirthDateForAge(30));
  r.care.push_back(CareRelationship{kSubjectUser, std::nullopt});
  r.proxies.push_back(Grant(kSubjectUser, AllSections(), kNowUs + kDayUs, false));
  r.break_glass.push_back(BreakGlassGrant{kSubjectUser, kNowUs + kHourUs});
  for (Privilege p : kPrivileges) {
    const Decision d = Decide(s, p, r);
    BOOST_TEST(!d.allowed, privilege_name(p));
    BOOST_TEST(!d.step_up_required, privilege_name(p));
    BOOST_TEST(!d.hide_confidential, privilege_name(p));
    BOOST_TEST(d.reason == "no_privilege", privilege_name(p));
  }
}

BOOST_AUTO_TEST_CASE(admin_and_auditor_never_read_clinical_sections) {
  const RecordAccess r = BaseRecord(BirthDateForAge(30));
  for (Role role : {Role::kAdmin, Role::kAuditor}) {
    const Subject s = MakeSubject({role}, "", kNowUs - kMinuteUs);
    for (Privilege p : {Privilege::kMedicationsRead, Privilege::kPgxRead,
                        Privilege::kAdverseEventsRead, Privilege::kDosingRead}) {
      const Decision d = Decide(s, p, r);
      BOOST_TEST(!d.allowed, privilege_name(p));
      BOOST_TEST(d.reason == "no_privilege", privilege_name(p));
    }
  }
}

// ---- 3. names ----

BOOST_AUTO_TEST_CASE(privilege_names_follow_design) {
  // The names DESIGN.md spells out.
  BOOST_TEST(std::string(privilege_name(Privilege::kMedicationsRead)) == "record.medications.read");
  BOOST_TEST(std::string(privilege_name(Privilege::kMedicationsWrite)) ==
             "record.medications.write");
  BOOST_TEST(std::string(privilege_name(Privilege::kPgxRead)) == "record.pgx.read");
  BOOST_TEST(std::string(privilege_name(Privilege::kDoseCalculatorUse)) == "dose_calculator.use");
  BOOST_TEST(std::string(privilege_name(Privilege::kExport)) == "record.export");
  BOOST_TEST(std::string(privilege_name(Privilege::kAdverseEventReport)) == "adverse_event.report");
  BOOST_TEST(std::string(privilege_name(Privilege::kBreakGlassInvoke)) == "break_glass.invoke");
  BOOST_TEST(std::string(privilege_name(Privilege::kRecordCreate)) == "record.create");
  BOOST_TEST(std::string(privilege_name(Privilege::kCareRelationshipsManage)) ==
             "record.care_relationships.manage");
  // The others: distinct dotted snake_case names.
  std::set<std::string> seen;
  for (Privilege p : kPrivileges) {
    const char* raw = privilege_name(p);
    BOOST_REQUIRE(raw != nullptr);
    const std::string name = raw;
    BOOST_TEST(name.find('.') != std::string::npos, name);
    BOOST_TEST(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_.") == std::string::npos, name);
    seen.insert(name);
  }
  BOOST_TEST(seen.size() == kPrivileges.size());
}

BOOST_AUTO_TEST_CASE(sections_follow_spec) {
  auto sec = [](Privilege p) { return section_of(p); };
  BOOST_TEST((sec(Privilege::kMedicationsRead) == Section::kMedications));
  BOOST_TEST((sec(Privilege::kMedicationsWrite) == Section::kMedications));
  BOOST_TEST((sec(Privilege::kPgxRead) == Section::kPgx));
  BOOST_TEST((sec(Privilege::kAdverseEventsRead) == Section::kAdverseEvents));
  BOOST_TEST((sec(Privilege::kAdverseEventReport) == Section::kAdverseEvents));
  BOOST_TEST((sec(Privilege::kDosingRead) == Section::kDosing));
  BOOST_TEST((sec(Privilege::kDoseCalculatorUse) == Section::kDosing));
  BOOST_TEST(!sec(Privilege::kExport).has_value());
  BOOST_TEST((sec(Privilege::kAccessLogRead) == Section::kAccessLog));
  BOOST_TEST(!sec(Privilege::kProxiesGrant).has_value());
  BOOST_TEST(!sec(Privilege::kProxiesRevoke).has_value());
  BOOST_TEST(!sec(Privilege::kBreakGlassInvoke).has_value());
  BOOST_TEST(std::string(section_name(Section::kMedications)) == "medications");
  BOOST_TEST(std::string(section_name(Section::kPgx)) == "pgx");
  BOOST_TEST(std::string(section_name(Section::kAdverseEvents)) == "adverse_events");
  BOOST_TEST(std::string(section_name(Section::kDosing)) == "dosing");
  BOOST_TEST(std::string(section_name(Section::kAccessLog)) == "access_log");
}

BOOST_AUTO_TEST_CASE(role_names_round_trip) {
  std::set<std::string> seen;
  for (Role r : kRoles) {
    const char* name = role_name(r);
    BOOST_REQUIRE(name != nullptr);
    seen.insert(name);
    const std::optional<Role> back = parse_role(name);
    BOOST_TEST((back == r), name);
  }
  BOOST_TEST(seen.size() == kRoles.size());
  // DESIGN.md's role names.
  for (size_t i = 0; i < kRoles.size(); ++i) {
    BOOST_TEST((parse_role(kRoleLabels[i]) == kRoles[i]), kRoleLabels[i]);
  }
  BOOST_TEST(!parse_role("root").has_value());
  BOOST_TEST(!parse_role("").has_value());
}
