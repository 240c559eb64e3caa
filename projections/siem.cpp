#include "projections/siem.hpp"

#include <arpa/inet.h>

#include <map>
#include <type_traits>

#include "infra/bytes.hpp"

namespace rxp::projections {
namespace {

using nlohmann::json;
namespace o = ocsf;

// What the header's type alone decides: class, activity, severity, status. The payload may
// refine it (a throttled login is more severe, a denial carries its attempted activity).
struct TypeRule {
  int class_uid;
  int activity_id;
  const char* activity_name;
  int severity_id;
  int status_id;
};

const std::map<std::string_view, TypeRule>& rules() {
  static const std::map<std::string_view, TypeRule> r = {
      // Account Change
      {"UserRegistered", {o::kAccountChange, o::kAccountCreate, "Create", o::kLow, o::kSuccess}},
      {"PasswordSet", {o::kAccountChange, o::kOther, "Password Set", o::kInformational, o::kSuccess}},
      {"TotpFactorConfirmed", {o::kAccountChange, o::kMfaFactorEnable, "MFA Factor Enable", o::kLow, o::kSuccess}},
      {"WebAuthnCredentialRegistered", {o::kAccountChange, o::kMfaFactorEnable, "MFA Factor Enable", o::kLow, o::kSuccess}},
      {"FactorRemoved", {o::kAccountChange, o::kMfaFactorDisable, "MFA Factor Disable", o::kMedium, o::kSuccess}},
      {"RecoveryCodesIssued", {o::kAccountChange, o::kOther, "Recovery Codes Issued", o::kLow, o::kSuccess}},
      // Authentication
      {"LoginSucceeded", {o::kAuthentication, o::kLogon, "Logon", o::kInformational, o::kSuccess}},
      {"LoginFailed", {o::kAuthentication, o::kLogon, "Logon", o::kLow, o::kFailure}},
      {"LoginPasswordAccepted", {o::kAuthentication, o::kOther, "Password Accepted", o::kInformational, o::kSuccess}},
      {"MfaFailed", {o::kAuthentication, o::kLogon, "Logon", o::kLow, o::kFailure}},
      {"TotpCodeAccepted", {o::kAuthentication, o::kOther, "Factor Accepted", o::kInformational, o::kSuccess}},
      {"WebAuthnAssertionAccepted", {o::kAuthentication, o::kOther, "Factor Accepted", o::kInformational, o::kSuccess}},
      {"RecoveryCodeUsed", {o::kAuthentication, o::kOther, "Factor Accepted", o::kLow, o::kSuccess}},
      {"MfaPromptDenied", {o::kAuthentication, o::kLogon, "Logon", o::kMedium, o::kFailure}},
      {"MfaBombingSuspected", {o::kAuthentication, o::kOther, "MFA Fatigue Suspected", o::kHigh, o::kFailure}},
      {"AuthenticatorCloneSuspected", {o::kAuthentication, o::kLogon, "Logon", o::kHigh, o::kFailure}},
      // Authorize Session
      {"SessionStarted", {o::kAuthorizeSession, o::kAssignPrivileges, "Assign Privileges", o::kInformational, o::kSuccess}},
      {"SessionSteppedUp", {o::kAuthorizeSession, o::kAssignPrivileges, "Assign Privileges", o::kInformational, o::kSuccess}},
      {"SessionRotated", {o::kAuthorizeSession, o::kOther, "Session Token Rotated", o::kInformational, o::kSuccess}},
      {"SessionClosed", {o::kAuthorizeSession, o::kOther, "Session Closed", o::kInformational, o::kSuccess}},
      {"SessionsRevoked", {o::kAuthorizeSession, o::kOther, "Sessions Revoked", o::kLow, o::kSuccess}},
      {"RoleGranted", {o::kAuthorizeSession, o::kAssignPrivileges, "Assign Privileges", o::kLow, o::kSuccess}},
      {"RoleRevoked", {o::kAuthorizeSession, o::kOther, "Revoke Privileges", o::kLow, o::kSuccess}},
      // API Activity: reads and disclosures
      {"RecordViewed", {o::kApiActivity, o::kRead, "Read", o::kInformational, o::kSuccess}},
      {"RecordExported", {o::kApiActivity, o::kRead, "Read", o::kLow, o::kSuccess}},
      {"AccessDenied", {o::kApiActivity, o::kUnknownActivity, "Unknown", o::kMedium, o::kFailure}},
      {"BreakGlassInvoked", {o::kApiActivity, o::kOther, "Break Glass", o::kHigh, o::kSuccess}},
      {"AlertRaised", {o::kApiActivity, o::kOther, "Alert Raised", o::kMedium, o::kSuccess}},
      // API Activity: clinical writes (the type only, never a value)
      {"RecordCreated", {o::kApiActivity, o::kCreate, "Create", o::kInformational, o::kSuccess}},
      {"MedicationAdded", {o::kApiActivity, o::kCreate, "Create", o::kInformational, o::kSuccess}},
      {"MedicationChanged", {o::kApiActivity, o::kUpdate, "Update", o::kInformational, o::kSuccess}},
      {"MedicationDiscontinued", {o::kApiActivity, o::kUpdate, "Update", o::kInformational, o::kSuccess}},
      {"PgxResultRecorded", {o::kApiActivity, o::kCreate, "Create", o::kInformational, o::kSuccess}},
      {"AdverseEventReported", {o::kApiActivity, o::kCreate, "Create", o::kInformational, o::kSuccess}},
      {"DosingGuidanceRecorded", {o::kApiActivity, o::kCreate, "Create", o::kInformational, o::kSuccess}},
      {"CareRelationshipAdded", {o::kApiActivity, o::kCreate, "Create", o::kInformational, o::kSuccess}},
      {"CareRelationshipEnded", {o::kApiActivity, o::kUpdate, "Update", o::kInformational, o::kSuccess}},
      {"ProxyGranted", {o::kApiActivity, o::kCreate, "Create", o::kLow, o::kSuccess}},
      {"ProxyRevoked", {o::kApiActivity, o::kUpdate, "Update", o::kInformational, o::kSuccess}},
  };
  return r;
}

// A code: lowercase letters, digits, '_', '.', '-'; 1..64 characters. Reason codes, methods,
// roles, sections and purposes are codes; anything else (free text, names) is not copied.
bool is_code(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

std::string code(const std::string& s) { return is_code(s) ? s : std::string(); }
std::string id(const std::string& s) { return events::is_opaque_id(s, false) ? s : std::string(); }

std::string ip(const std::string& s) {
  unsigned char buf[16];
  if (s.size() > 45) return {};
  if (inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1) return s;
  return {};
}

std::string after_slash(const std::string& stream, std::string_view kind) {
  std::string_view s(stream);
  if (s.size() > kind.size() + 1 && s.starts_with(kind) && s[kind.size()] == '/')
    return std::string(s.substr(kind.size() + 1));
  return {};
}

int attempted_activity(std::string_view privilege) {
  if (privilege.ends_with(".read") || privilege == "record.export") return o::kRead;
  if (privilege == "record.create") return o::kCreate;
  if (privilege == "break_glass.invoke" || privilege == "dose_calculator.use") return o::kOther;
  return o::kUpdate;
}

const char* api_activity_name(int a) {
  switch (a) {
    case o::kCreate: return "Create";
    case o::kRead: return "Read";
    case o::kUpdate: return "Update";
    case o::kDelete: return "Delete";
    case o::kOther: return "Other";
    default: return "Unknown";
  }
}

// The allow-list: each overload names the payload fields it copies, and how they are checked.
struct Refine {
  SiemRecord& r;
  void detail(const char* key, const std::string& value) {
    if (!value.empty()) r.details.emplace_back(key, value);
  }
  void method(const std::string& m) {
    detail("method", code(m));
    if (is_code(m)) r.is_mfa = m != "password_only";
  }

  void operator()(const events::UserRegistered& e) {
    std::string roles;
    for (const auto& role : e.roles) {
      if (!is_code(role)) continue;
      if (!roles.empty()) roles += ",";
      roles += role;
    }
    detail("roles", roles);
  }
  void operator()(const events::PasswordSet& e) {
    r.status_detail = code(e.reason);
    if (e.reason == "change") {
      r.activity_id = o::kPasswordChange;
      r.activity_name = "Password Change";
      r.severity_id = o::kLow;
    } else if (e.reason == "reset") {
      r.activity_id = o::kPasswordReset;
      r.activity_name = "Password Reset";
      r.severity_id = o::kMedium;
    }
  }
  void operator()(const events::TotpFactorConfirmed& e) {
    detail("method", "totp");
    detail("factor_id", id(e.factor_id));
  }
  void operator()(const events::WebAuthnCredentialRegistered& e) {
    detail("method", "webauthn");
    detail("factor_id", id(e.factor_id));
  }
  void operator()(const events::FactorRemoved& e) {
    r.status_detail = code(e.reason);
    detail("factor_id", id(e.factor_id));
  }
  void operator()(const events::LoginFailed& e) {
    r.status_detail = code(e.reason);
    r.src_ip = ip(e.source_ip);
    if (e.reason == "throttled") r.severity_id = o::kMedium;
  }
  void operator()(const events::LoginPasswordAccepted& e) {
    r.src_ip = ip(e.source_ip);
    r.is_mfa = false;
    detail("login_id", id(e.login_id));
    detail("new_device", e.new_device ? "true" : "false");
    if (e.new_device) r.severity_id = o::kLow;
  }
  void operator()(const events::LoginSucceeded& e) {
    r.session_id = id(e.session_id);
    r.src_ip = ip(e.source_ip);
    detail("login_id", id(e.login_id));
    method(e.method);
  }
  void operator()(const events::MfaFailed& e) {
    r.is_mfa = true;
    r.status_detail = code(e.reason);
    detail("method", code(e.method));
    if (e.login_id.empty()) {  // a step-up, not a logon
      r.activity_id = o::kOther;
      r.activity_name = "Step-Up Factor Rejected";
    }
    detail("login_id", id(e.login_id));
    if (e.reason == "replayed") r.severity_id = o::kMedium;
  }
  void operator()(const events::TotpCodeAccepted& e) {
    r.is_mfa = true;
    detail("method", "totp");
    detail("factor_id", id(e.factor_id));
  }
  void operator()(const events::WebAuthnAssertionAccepted& e) {
    r.is_mfa = true;
    detail("method", "webauthn");
    detail("factor_id", id(e.factor_id));
  }
  void operator()(const events::RecoveryCodeUsed&) {
    r.is_mfa = true;
    detail("method", "recovery");
  }
  void operator()(const events::MfaPromptDenied& e) {
    r.is_mfa = true;
    r.status_detail = code(e.reason);
    detail("method", "number_match");
    detail("prompt_id", id(e.prompt_id));
  }
  void operator()(const events::MfaBombingSuspected& e) {
    r.is_mfa = true;
    detail("prompts_in_window", std::to_string(e.prompts_in_window));
    detail("window_s", std::to_string(e.window_us / 1000000));
  }
  void operator()(const events::AuthenticatorCloneSuspected& e) {
    r.is_mfa = true;
    r.status_detail = "sign_count_regressed";
    detail("method", "webauthn");
    detail("factor_id", id(e.factor_id));
    detail("stored_count", std::to_string(e.stored_count));
    detail("presented_count", std::to_string(e.presented_count));
  }
  void operator()(const events::SessionStarted& e) {
    r.user_id = id(e.user_id);
    r.src_ip = ip(e.source_ip);
    for (const auto& role : e.roles)
      if (is_code(role)) r.privileges.push_back(role);
    method(e.method);
  }
  void operator()(const events::SessionSteppedUp& e) {
    r.privileges = {"step_up"};
    r.is_mfa = true;
    detail("method", code(e.method));
  }
  void operator()(const events::SessionRotated& e) { r.status_detail = code(e.reason); }
  void operator()(const events::SessionClosed& e) {
    r.session_id = id(e.session_id);
    r.status_detail = code(e.reason);
  }
  void operator()(const events::SessionsRevoked& e) {
    r.status_detail = code(e.reason);
    std::string list;
    for (const auto& s : e.session_ids) {
      if (id(s).empty()) continue;
      if (!list.empty()) list += ",";
      list += s;
    }
    detail("session_count", std::to_string(e.session_ids.size()));
    detail("session_ids", list);
  }
  void operator()(const events::RoleGranted& e) {
    if (is_code(e.role)) r.privileges = {e.role};
  }
  void operator()(const events::RoleRevoked& e) {
    if (is_code(e.role)) r.privileges = {e.role};
    r.status_detail = code(e.reason);
  }
  void operator()(const events::RecordViewed& e) {
    detail("section", code(e.section));
    detail("purpose", code(e.purpose));
    if (e.purpose == "emergency") r.severity_id = o::kLow;
  }
  void operator()(const events::RecordExported& e) {
    std::string list;
    for (const auto& s : e.sections) {
      if (!is_code(s)) continue;
      if (!list.empty()) list += ",";
      list += s;
    }
    detail("section", list);
    detail("format", code(e.format));
  }
  void operator()(const events::AccessDenied& e) {
    r.status_detail = code(e.reason);
    if (is_code(e.action)) {
      r.operation = e.action;
      r.activity_id = attempted_activity(e.action);
      r.activity_name = api_activity_name(r.activity_id);
    }
    detail("section", code(e.section));
  }
  void operator()(const events::BreakGlassInvoked& e) {
    r.status_detail = code(e.reason_code);
    if (e.access_until_us > 0) detail("access_until_ms", std::to_string(e.access_until_us / 1000));
  }
  void operator()(const events::AlertRaised& e) {
    if (e.severity == "low") r.severity_id = o::kLow;
    if (e.severity == "medium") r.severity_id = o::kMedium;
    if (e.severity == "high") r.severity_id = o::kHigh;
    r.user_id = id(e.user_id);
    if (r.patient_id.empty()) r.patient_id = id(e.patient_id);
    detail("rule", code(e.rule));
    std::string list;
    for (uint64_t p : e.evidence) {
      if (!list.empty()) list += ",";
      list += std::to_string(p);
    }
    detail("evidence_positions", list);
    detail("score", json(e.score).dump());
  }
  // Clinical writes and everything else: nothing from the payload.
  template <class T>
  void operator()(const T&) {}
};

}  // namespace


const char* product_version() { return RXP_VERSION; }

bool siem_wants(std::string_view event_type) { return rules().contains(event_type); }

std::optional<SiemRecord> siem_record(const events::RecordedEvent& ev) {
  const events::EventHeader& h = ev.header;
  auto it = rules().find(h.type);
  if (it == rules().end()) return std::nullopt;
  const TypeRule& rule = it->second;
  SiemRecord r;
  r.class_uid = rule.class_uid;
  r.category_uid = rule.class_uid / 1000;
  r.activity_id = rule.activity_id;
  r.activity_name = rule.activity_name;
  r.severity_id = rule.severity_id;
  r.status_id = rule.status_id;
  r.time_us = h.occurred_at_us;
  r.position = h.position;
  r.stream_id = h.stream_id;
  r.version = h.version;
  r.event_type = h.type;
  r.hash_hex = to_hex(ev.hash);
  r.correlation_id = h.correlation_id;
  r.actor = h.principal;
  r.patient_id = after_slash(h.stream_id, "record");
  r.user_id = after_slash(h.stream_id, "user");
  r.session_id = after_slash(h.stream_id, "session");
  if (r.session_id.empty()) r.session_id = h.principal.session_id;
  if (r.user_id.empty() && r.class_uid == o::kAuthorizeSession) r.user_id = h.principal.user_id;
  if (r.class_uid == o::kApiActivity) r.operation = h.type;
  r.shredded = !ev.payload.has_value();
  if (ev.payload) std::visit(Refine{r}, *ev.payload);
  return r;
}

}  // namespace rxp::projections
