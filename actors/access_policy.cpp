#include "actors/access_policy.hpp"

#include <chrono>
#include <ctime>
#include <string_view>

namespace rxp::policy {
namespace {

// ---- Relationships, as the spec defines them (each includes its role condition) ----

bool has_role(const Subject& s, Role r) {
  return s.roles.contains(r);
}

// Empty ids never match anything: a blank id on both sides must not grant access.
bool is_self(const Subject& s, const RecordAccess& r) {
  return has_role(s, Role::kPatient) && !s.patient_id.empty() && s.patient_id == r.patient_id;
}

bool in_care(const Subject& s, const RecordAccess& r, int64_t now) {
  if (s.user_id.empty()) return false;
  if (!has_role(s, Role::kClinician) && !has_role(s, Role::kPharmacist)) return false;
  for (const CareRelationship& c : r.care) {
    if (c.clinician_id == s.user_id && (!c.until_us || now < *c.until_us)) return true;
  }
  return false;
}

enum class BreakGlass { kNone, kExpired, kActive };

BreakGlass break_glass(const Subject& s, const RecordAccess& r, int64_t now) {
  if (s.user_id.empty() || !has_role(s, Role::kClinician)) return BreakGlass::kNone;
  BreakGlass state = BreakGlass::kNone;
  for (const BreakGlassGrant& g : r.break_glass) {
    if (g.user_id != s.user_id) continue;
    if (now < g.until_us) return BreakGlass::kActive;
    state = BreakGlass::kExpired;  // remembered only for the denial reason
  }
  return state;
}

// A step-up stamped after `now` is a clock or data fault, not a fresh step-up.
bool step_up_fresh(const Subject& s, int64_t now) {
  if (!s.step_up_at_us || *s.step_up_at_us > now) return false;
  // Unsigned difference: exact for any at <= now, where the signed one could overflow.
  uint64_t age = static_cast<uint64_t>(now) - static_cast<uint64_t>(*s.step_up_at_us);
  return age <= static_cast<uint64_t>(kStepUpValidityUs);
}

// Reads are what hide_confidential filters; a report has nothing to filter.
bool is_read(Privilege p) {
  switch (p) {
    case Privilege::kMedicationsRead:
    case Privilege::kPgxRead:
    case Privilege::kAdverseEventsRead:
    case Privilege::kDosingRead:
    case Privilege::kAccessLogRead:
      return true;
    default:
      return false;
  }
}

// ---- Outcomes ----

Decision allow() {
  return {.allowed = true, .reason = "allowed"};
}
Decision deny(const char* reason) {
  return {.reason = reason};
}

// Lower is better: a clean allow, then an allow with confidential items hidden, then one
// only through break-glass (audited), then a denial that a step-up would lift.
int rank(const Decision& d) {
  if (d.allowed) return d.hide_confidential ? 1 : d.via_break_glass ? 2 : 0;
  return d.step_up_required ? 3 : 4;
}

// One proxy grant. An unknown or future birth date counts as adult: it cannot prove the
// patient is still a minor, and ending a parent grant is the safe side.
Decision follow_grant(const ProxyGrant& g, Privilege p, const RecordAccess& r, int64_t now) {
  if (g.revoked) return deny("proxy_revoked");
  if (now >= g.expires_at_us) return deny("proxy_expired");
  std::optional<Section> section = section_of(p);
  if (!section || !g.scope.contains(*section)) return deny("proxy_out_of_scope");
  Decision d = allow();
  if (g.parent) {
    std::optional<int> age = age_in_years(r.birth_date, now);
    if (!age || *age < 0 || *age >= 18) return deny("proxy_ended_at_majority");
    if (*age >= 13) d.hide_confidential = is_read(p);
  }
  return d;
}

// The best of the subject's grants on this record; any one grant suffices.
Decision follow_proxy(const Subject& s, Privilege p, const RecordAccess& r, int64_t now) {
  std::optional<Decision> best;
  if (has_role(s, Role::kProxy) && !s.user_id.empty()) {
    for (const ProxyGrant& g : r.proxies) {
      if (g.grantee_user_id != s.user_id) continue;
      Decision d = follow_grant(g, p, r, now);
      if (!best || rank(d) < rank(*best)) best = std::move(d);
    }
  }
  // No grant at all: this record is not one the proxy acts for.
  return best ? *best : deny("not_own_record");
}

// ---- The spec's table ----

// How one role reaches a privilege: through which relationship, and whether a fresh step-up
// is needed on top of it.
enum class Path { kNone, kSelf, kProxy, kCare, kCareOrBreakGlass, kAnyRecord, kWithoutCare };

struct Route {
  Path path = Path::kNone;
  bool step_up = false;
};

constexpr Route kNo{Path::kNone, false};
constexpr Route kSelf{Path::kSelf, false};
constexpr Route kSelfStepUp{Path::kSelf, true};
constexpr Route kProxy{Path::kProxy, false};
constexpr Route kCare{Path::kCare, false};
constexpr Route kCareStepUp{Path::kCare, true};
constexpr Route kCareOrBg{Path::kCareOrBreakGlass, false};
constexpr Route kCareOrBgStepUp{Path::kCareOrBreakGlass, true};
constexpr Route kAny{Path::kAnyRecord, false};
constexpr Route kAnyStepUp{Path::kAnyRecord, true};
constexpr Route kNoCare{Path::kWithoutCare, false};

struct Rule {
  Privilege privilege;
  Route patient, proxy, clinician, pharmacist, admin, auditor;

  Route route_for(Role r) const {
    switch (r) {
      case Role::kPatient:
        return patient;
      case Role::kProxy:
        return proxy;
      case Role::kClinician:
        return clinician;
      case Role::kPharmacist:
        return pharmacist;
      case Role::kAdmin:
        return admin;
      case Role::kAuditor:
        return auditor;
    }
    return kNo;
  }
};

// A privilege missing from the table (or an out-of-range value) gets no route: denied.
Rule rule_for(Privilege p) {
  using enum Privilege;
  // clang-format off
  static constexpr Rule kRules[] = {
      // privilege         patient      proxy   clinician        pharmacist   admin       auditor
      {kMedicationsRead,    kSelf,       kProxy, kCareOrBg,       kCare,       kNo,        kNo},
      {kMedicationsWrite,   kNo,         kNo,    kCare,           kNo,         kNo,        kNo},
      {kPgxRead,            kSelf,       kNo,    kCareOrBgStepUp, kCareStepUp, kNo,        kNo},
      {kAdverseEventsRead,  kSelf,       kProxy, kCareOrBg,       kCare,       kNo,        kNo},
      {kAdverseEventReport, kSelf,       kProxy, kCare,           kCare,       kNo,        kNo},
      {kDosingRead,         kSelf,       kProxy, kCareOrBg,       kCare,       kNo,        kNo},
      {kDoseCalculatorUse,  kNo,         kNo,    kCare,           kCare,       kNo,        kNo},
      {kExport,             kSelfStepUp, kNo,    kCareStepUp,     kNo,         kNo,        kNo},
      {kAccessLogRead,      kSelf,       kProxy, kNo,             kNo,         kNo,        kAny},
      {kProxiesGrant,       kSelfStepUp, kNo,    kNo,             kNo,         kAnyStepUp, kNo},
      {kProxiesRevoke,      kSelf,       kNo,    kNo,             kNo,         kAny,       kNo},
      {kBreakGlassInvoke,   kNo,         kNo,    kNoCare,         kNo,         kNo,        kNo},
      {kRecordCreate,       kNo,         kNo,    kNo,             kNo,         kAny,       kNo},
      {kCareRelationshipsManage, kNo,    kNo,    kNo,             kNo,         kAny,       kNo},
  };
  // clang-format on
  for (const Rule& rule : kRules) {
    if (rule.privilege == p) return rule;
  }
  return Rule{p, kNo, kNo, kNo, kNo, kNo, kNo};
}

// The decision of one route, before step-up.
Decision follow_path(Path path, const Subject& s, Privilege p, const RecordAccess& r, int64_t now) {
  switch (path) {
    case Path::kNone:
      return deny("no_privilege");
    case Path::kSelf:
      return is_self(s, r) ? allow() : deny("not_own_record");
    case Path::kProxy:
      return follow_proxy(s, p, r, now);
    case Path::kCare:
      return in_care(s, r, now) ? allow() : deny("no_care_relationship");
    case Path::kCareOrBreakGlass: {
      if (in_care(s, r, now)) return allow();
      switch (break_glass(s, r, now)) {
        case BreakGlass::kActive: {
          Decision d = allow();
          d.via_break_glass = true;
          return d;
        }
        case BreakGlass::kExpired:
          return deny("break_glass_expired");
        case BreakGlass::kNone:
          break;
      }
      return deny("no_care_relationship");
    }
    case Path::kAnyRecord:
      return allow();
    case Path::kWithoutCare:
      return in_care(s, r, now) ? deny("has_care_relationship") : allow();
  }
  return deny("no_privilege");
}

Decision follow_route(Route route, const Subject& s, Privilege p, const RecordAccess& r,
                      int64_t now) {
  Decision d = follow_path(route.path, s, p, r, now);
  if (d.allowed && route.step_up && !step_up_fresh(s, now)) {
    return {.step_up_required = true, .reason = "step_up_required"};
  }
  return d;
}

// ---- Dates ----

struct CivilDate {
  int year, month, day;
};

bool two_digits(std::string_view s, size_t at, int& out) {
  char a = s[at], b = s[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  out = (a - '0') * 10 + (b - '0');
  return true;
}

// Exactly YYYY-MM-DD, a day that exists in the Gregorian calendar (leap years included).
std::optional<CivilDate> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int hi, lo, month, day;
  if (!two_digits(s, 0, hi) || !two_digits(s, 2, lo) || !two_digits(s, 5, month) ||
      !two_digits(s, 8, day)) {
    return std::nullopt;
  }
  int year = hi * 100 + lo;
  std::chrono::year_month_day ymd{std::chrono::year(year),
                                  std::chrono::month(static_cast<unsigned>(month)),
                                  std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  return CivilDate{year, month, day};
}

std::optional<CivilDate> utc_date(int64_t now_us) {
  int64_t secs = now_us / 1'000'000;
  if (now_us % 1'000'000 < 0) --secs;  // floor, so instants before 1970 fall on the right day
  time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) return std::nullopt;
  return CivilDate{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

}  // namespace

Decision decide(const Subject& subject, Privilege privilege, const RecordAccess& record,
                int64_t now_us) {
  const Rule rule = rule_for(privilege);
  std::optional<Decision> best;
  // Any one role suffices: keep the best outcome over the subject's roles.
  for (Role role : subject.roles) {
    Route route = rule.route_for(role);
    if (route.path == Path::kNone) continue;
    Decision d = follow_route(route, subject, privilege, record, now_us);
    if (!best || rank(d) < rank(*best)) best = std::move(d);
  }
  return best ? *best : deny("no_privilege");
}

const char* privilege_name(Privilege p) {
  switch (p) {
    case Privilege::kMedicationsRead:
      return "record.medications.read";
    case Privilege::kMedicationsWrite:
      return "record.medications.write";
    case Privilege::kPgxRead:
      return "record.pgx.read";
    case Privilege::kAdverseEventsRead:
      return "record.adverse_events.read";
    case Privilege::kAdverseEventReport:
      return "adverse_event.report";
    case Privilege::kDosingRead:
      return "record.dosing.read";
    case Privilege::kDoseCalculatorUse:
      return "dose_calculator.use";
    case Privilege::kExport:
      return "record.export";
    case Privilege::kAccessLogRead:
      return "record.access_log.read";
    case Privilege::kProxiesGrant:
      return "record.proxies.grant";
    case Privilege::kProxiesRevoke:
      return "record.proxies.revoke";
    case Privilege::kBreakGlassInvoke:
      return "break_glass.invoke";
    case Privilege::kRecordCreate:
      return "record.create";
    case Privilege::kCareRelationshipsManage:
      return "record.care_relationships.manage";
  }
  return "unknown";
}

std::optional<Section> section_of(Privilege p) {
  switch (p) {
    case Privilege::kMedicationsRead:
    case Privilege::kMedicationsWrite:
      return Section::kMedications;
    case Privilege::kPgxRead:
      return Section::kPgx;
    case Privilege::kAdverseEventsRead:
    case Privilege::kAdverseEventReport:
      return Section::kAdverseEvents;
    case Privilege::kDosingRead:
    case Privilege::kDoseCalculatorUse:
      return Section::kDosing;
    case Privilege::kAccessLogRead:
      return Section::kAccessLog;
    case Privilege::kExport:
    case Privilege::kProxiesGrant:
    case Privilege::kProxiesRevoke:
    case Privilege::kBreakGlassInvoke:
    case Privilege::kRecordCreate:
    case Privilege::kCareRelationshipsManage:
      return std::nullopt;
  }
  return std::nullopt;
}

const char* section_name(Section s) {
  switch (s) {
    case Section::kMedications:
      return "medications";
    case Section::kPgx:
      return "pgx";
    case Section::kAdverseEvents:
      return "adverse_events";
    case Section::kDosing:
      return "dosing";
    case Section::kAccessLog:
      return "access_log";
  }
  return "unknown";
}

const char* role_name(Role r) {
  switch (r) {
    case Role::kPatient:
      return "patient";
    case Role::kProxy:
      return "proxy";
    case Role::kClinician:
      return "clinician";
    case Role::kPharmacist:
      return "pharmacist";
    case Role::kAdmin:
      return "admin";
    case Role::kAuditor:
      return "auditor";
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::kPatient, Role::kProxy, Role::kClinician, Role::kPharmacist, Role::kAdmin,
                 Role::kAuditor}) {
    if (name == role_name(r)) return r;
  }
  return std::nullopt;
}

std::optional<int> age_in_years(const std::string& birth_date, int64_t now_us) {
  std::optional<CivilDate> born = parse_date(birth_date);
  std::optional<CivilDate> today = utc_date(now_us);
  if (!born || !today) return std::nullopt;
  int age = today->year - born->year;
  // Birthday not yet reached this year.
  if (today->month < born->month || (today->month == born->month && today->day < born->day)) {
    --age;
  }
  return age;
}

}  // namespace rxp::policy
