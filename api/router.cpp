#include "api/router.hpp"

#include <vector>

namespace rxp::api {
namespace {

constexpr size_t kMaxParam = 128;

// Segments of an absolute path; nullopt for empty segments ("//", a trailing "/").
std::optional<std::vector<std::string_view>> segments(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    auto seg = path.substr(0, slash);
    if (seg.empty() || seg.size() > kMaxParam) return std::nullopt;
    out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

RouteMatch make(Route r, std::string_view method, std::string_view allowed, std::string param = {},
                std::string section = {}) {
  RouteMatch m;
  m.route = r;
  m.method_allowed = method == allowed;
  m.allow = std::string(allowed);
  m.param = std::move(param);
  m.section = std::move(section);
  return m;
}

bool is_section(std::string_view s) {
  return s == "medications" || s == "pgx" || s == "adverse-events" || s == "dosing";
}

// Record writes and administration. Checked before the section reads: the write routes
// share their paths with GETs, so other methods there are answered 405 with both.
std::optional<RouteMatch> match_writes(std::string_view method, const std::vector<std::string_view>& s) {
  const size_t n = s.size();
  if (s[1] == "patients" && n == 4) {
    std::string pid(s[2]);
    if (s[3] == "medications" || s[3] == "adverse-events") {
      if (method == "GET") return std::nullopt;
      auto m = make(s[3] == "medications" ? Route::kMedicationAdd : Route::kAdverseEventReport, method, "POST", pid);
      m.allow = "GET, POST";
      return m;
    }
    if (s[3] == "break-glass") return make(Route::kBreakGlass, method, "POST", pid);
    if (s[3] == "proxies") return make(Route::kProxyGrant, method, "POST", pid);
  }
  if (s[1] == "patients" && n == 5 && s[3] == "proxies") {
    auto m = make(Route::kProxyRevoke, method, "DELETE", std::string(s[2]));
    m.param2 = std::string(s[4]);
    return m;
  }
  if (s[1] == "admin") {
    if (n == 3 && s[2] == "users") return make(Route::kAdminUserCreate, method, "POST");
    if (n == 3 && s[2] == "care-relationships") return make(Route::kAdminCareAdd, method, "POST");
    if (n == 5 && s[2] == "users" && s[4] == "roles") return make(Route::kAdminRoleGrant, method, "POST", std::string(s[3]));
    if (n == 6 && s[2] == "users" && s[4] == "roles") {
      auto m = make(Route::kAdminRoleRevoke, method, "DELETE", std::string(s[3]));
      m.param2 = std::string(s[5]);
      return m;
    }
  }
  return std::nullopt;
}

// The views of the projections: access log, access review, alerts, the event query.
std::optional<RouteMatch> match_audit(std::string_view method, const std::vector<std::string_view>& s) {
  const size_t n = s.size();
  if (s[1] == "patients" && n == 4 && s[3] == "access-log") return make(Route::kAccessLog, method, "GET", std::string(s[2]));
  if (s[1] == "admin" && n == 3 && s[2] == "access-review") return make(Route::kAccessReview, method, "GET");
  if (s[1] == "audit") {
    if (n == 3 && s[2] == "alerts") return make(Route::kAuditAlerts, method, "GET");
    if (n == 5 && s[2] == "alerts" && s[4] == "review") return make(Route::kAuditAlertReview, method, "POST", std::string(s[3]));
    if (n == 3 && s[2] == "events") return make(Route::kAuditEvents, method, "GET");
  }
  return std::nullopt;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  for (unsigned char c : out)
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  return out;
}
std::optional<RouteMatch> match_added_routes(std::string_view method, const std::vector<std::string_view>& s);

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value || name->empty() || value->size() > 256 || out.size() >= 16) return std::nullopt;
    for (const auto& [n, v] : out)
      if (n == *name) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::optional<RouteMatch> match_route(std::string_view method, std::string_view path) {
  auto segs = segments(path);
  if (!segs) return std::nullopt;
  const auto& s = *segs;
  const size_t n = s.size();
  if (auto added = match_added_routes(method, s)) return added;
  if (n == 1 && s[0] == "healthz") return make(Route::kHealthz, method, "GET");
  if (n < 2 || s[0] != "v1") return std::nullopt;
  if (s[1] == "auth") {
    if (n == 3 && s[2] == "login") return make(Route::kLogin, method, "POST");
    if (n == 4 && s[2] == "mfa" && s[3] == "totp") return make(Route::kMfaTotp, method, "POST");
    if (n == 4 && s[2] == "mfa" && s[3] == "recovery") return make(Route::kMfaRecovery, method, "POST");
    if (n == 3 && s[2] == "step-up") return make(Route::kStepUp, method, "POST");
    if (n == 3 && s[2] == "logout") return make(Route::kLogout, method, "POST");
    if (n == 3 && s[2] == "logout-all") return make(Route::kLogoutAll, method, "POST");
    return std::nullopt;
  }
  if (s[1] == "me") {
    if (n == 2) return make(Route::kMe, method, "GET");
    if (n == 3 && s[2] == "password") return make(Route::kMePassword, method, "POST");
    if (n == 3 && s[2] == "recovery-codes") return make(Route::kMeRecoveryCodes, method, "POST");
    if (n == 4 && s[2] == "mfa" && s[3] == "totp") return make(Route::kMeTotpStart, method, "POST");
    if (n == 4 && s[2] == "mfa") return make(Route::kMeFactorRemove, method, "DELETE", std::string(s[3]));
    if (n == 6 && s[2] == "mfa" && s[3] == "totp" && s[5] == "confirm")
      return make(Route::kMeTotpConfirm, method, "POST", std::string(s[4]));
    return std::nullopt;
  }
  if (auto w = match_writes(method, s)) return w;
  if (auto a = match_audit(method, s)) return a;
  if (s[1] == "patients" && n == 4) {
    if (is_section(s[3])) return make(Route::kPatientSection, method, "GET", std::string(s[2]), std::string(s[3]));
    if (s[3] == "export") return make(Route::kPatientExport, method, "POST", std::string(s[2]));
  }
  return std::nullopt;
}

bool needs_session(Route r) {
  return r != Route::kHealthz && r != Route::kLogin && r != Route::kMfaTotp && r != Route::kMfaRecovery &&
         r != Route::kWebAuthnOptions && r != Route::kWebAuthnVerify && r != Route::kMetrics && r != Route::kOpenApi;
}

bool is_state_changing_method(std::string_view m) {
  return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

const char* route_name(Route r) {
  switch (r) {
    case Route::kHealthz: return "healthz";
    case Route::kLogin: return "login";
    case Route::kMfaTotp: return "mfa_totp";
    case Route::kMfaRecovery: return "mfa_recovery";
    case Route::kStepUp: return "step_up";
    case Route::kLogout: return "logout";
    case Route::kLogoutAll: return "logout_all";
    case Route::kMe: return "me";
    case Route::kMePassword: return "me_password";
    case Route::kMeTotpStart: return "me_totp_start";
    case Route::kMeTotpConfirm: return "me_totp_confirm";
    case Route::kMeRecoveryCodes: return "me_recovery_codes";
    case Route::kMeFactorRemove: return "me_factor_remove";
    case Route::kPatientSection: return "patient_section";
    case Route::kPatientExport: return "patient_export";
    case Route::kMedicationAdd: return "medication_add";
    case Route::kAdverseEventReport: return "adverse_event_report";
    case Route::kBreakGlass: return "break_glass";
    case Route::kProxyGrant: return "proxy_grant";
    case Route::kProxyRevoke: return "proxy_revoke";
    case Route::kAdminUserCreate: return "admin_user_create";
    case Route::kAdminRoleGrant: return "admin_role_grant";
    case Route::kAdminRoleRevoke: return "admin_role_revoke";
    case Route::kAdminCareAdd: return "admin_care_add";
    case Route::kAccessLog: return "access_log";
    case Route::kAccessReview: return "access_review";
    case Route::kAuditAlerts: return "audit_alerts";
    case Route::kAuditAlertReview: return "audit_alert_review";
    case Route::kAuditEvents: return "audit_events";
    // ---- api-auth ----
    case Route::kWebAuthnOptions: return "webauthn_options";
    case Route::kWebAuthnVerify: return "webauthn_verify";
    case Route::kStepUpWebAuthnOptions: return "step_up_webauthn_options";
    case Route::kMeWebAuthnOptions: return "me_webauthn_options";
    case Route::kMeWebAuthnRegister: return "me_webauthn_register";
    case Route::kMeSessions: return "me_sessions";
    case Route::kMeSessionEnd: return "me_session_end";
    case Route::kMetrics: return "metrics";
    case Route::kOpenApi: return "openapi";
  }
  return "unknown";
}

// ---- api-auth: routes matched before the others (/v1/me/mfa/webauthn is not a factor id) ----
namespace {

std::optional<RouteMatch> match_added_routes(std::string_view method, const std::vector<std::string_view>& s) {
  const size_t n = s.size();
  if (n == 1 && s[0] == "metrics") return make(Route::kMetrics, method, "GET");
  if (n < 2 || s[0] != "v1") return std::nullopt;
  if (n == 2 && s[1] == "openapi.json") return make(Route::kOpenApi, method, "GET");
  if (s[1] == "auth" && n == 4 && s[2] == "webauthn") {
    if (s[3] == "options") return make(Route::kWebAuthnOptions, method, "POST");
    if (s[3] == "verify") return make(Route::kWebAuthnVerify, method, "POST");
  }
  if (s[1] == "auth" && n == 5 && s[2] == "step-up" && s[3] == "webauthn" && s[4] == "options")
    return make(Route::kStepUpWebAuthnOptions, method, "POST");
  if (s[1] == "me" && n >= 4 && s[2] == "mfa" && s[3] == "webauthn") {
    if (n == 4) return make(Route::kMeWebAuthnRegister, method, "POST");
    if (n == 5 && s[4] == "options") return make(Route::kMeWebAuthnOptions, method, "POST");
  }
  if (s[1] == "me" && n == 3 && s[2] == "sessions") return make(Route::kMeSessions, method, "GET");
  if (s[1] == "me" && n == 4 && s[2] == "sessions")
    return make(Route::kMeSessionEnd, method, "DELETE", std::string(s[3]));
  return std::nullopt;
}

}  // namespace

std::vector<RouteTemplate> route_templates() {
  return {
      {Route::kHealthz, "GET", "/healthz"},
      {Route::kLogin, "POST", "/v1/auth/login"},
      {Route::kMfaTotp, "POST", "/v1/auth/mfa/totp"},
      {Route::kMfaRecovery, "POST", "/v1/auth/mfa/recovery"},
      {Route::kStepUp, "POST", "/v1/auth/step-up"},
      {Route::kLogout, "POST", "/v1/auth/logout"},
      {Route::kLogoutAll, "POST", "/v1/auth/logout-all"},
      {Route::kMe, "GET", "/v1/me"},
      {Route::kMePassword, "POST", "/v1/me/password"},
      {Route::kMeTotpStart, "POST", "/v1/me/mfa/totp"},
      {Route::kMeTotpConfirm, "POST", "/v1/me/mfa/totp/{factor_id}/confirm"},
      {Route::kMeRecoveryCodes, "POST", "/v1/me/recovery-codes"},
      {Route::kMeFactorRemove, "DELETE", "/v1/me/mfa/{factor_id}"},
      {Route::kPatientSection, "GET", "/v1/patients/{pid}/medications"},
      {Route::kPatientSection, "GET", "/v1/patients/{pid}/pgx"},
      {Route::kPatientSection, "GET", "/v1/patients/{pid}/adverse-events"},
      {Route::kPatientSection, "GET", "/v1/patients/{pid}/dosing"},
      {Route::kPatientExport, "POST", "/v1/patients/{pid}/export"},
      // ---- api-auth ----
      {Route::kWebAuthnOptions, "POST", "/v1/auth/webauthn/options"},
      {Route::kWebAuthnVerify, "POST", "/v1/auth/webauthn/verify"},
      {Route::kStepUpWebAuthnOptions, "POST", "/v1/auth/step-up/webauthn/options"},
      {Route::kMeWebAuthnOptions, "POST", "/v1/me/mfa/webauthn/options"},
      {Route::kMeWebAuthnRegister, "POST", "/v1/me/mfa/webauthn"},
      {Route::kMeSessions, "GET", "/v1/me/sessions"},
      {Route::kMeSessionEnd, "DELETE", "/v1/me/sessions/{id}"},
      {Route::kMetrics, "GET", "/metrics"},
      {Route::kOpenApi, "GET", "/v1/openapi.json"},
      // ---- record writes and administration ----
      {Route::kMedicationAdd, "POST", "/v1/patients/{pid}/medications"},
      {Route::kAdverseEventReport, "POST", "/v1/patients/{pid}/adverse-events"},
      {Route::kBreakGlass, "POST", "/v1/patients/{pid}/break-glass"},
      {Route::kProxyGrant, "POST", "/v1/patients/{pid}/proxies"},
      {Route::kProxyRevoke, "DELETE", "/v1/patients/{pid}/proxies/{grant_id}"},
      {Route::kAdminUserCreate, "POST", "/v1/admin/users"},
      {Route::kAdminRoleGrant, "POST", "/v1/admin/users/{id}/roles"},
      {Route::kAdminRoleRevoke, "DELETE", "/v1/admin/users/{id}/roles/{role}"},
      {Route::kAdminCareAdd, "POST", "/v1/admin/care-relationships"},
      // ---- the projections' views ----
      {Route::kAccessLog, "GET", "/v1/patients/{pid}/access-log"},
      {Route::kAccessReview, "GET", "/v1/admin/access-review"},
      {Route::kAuditAlerts, "GET", "/v1/audit/alerts"},
      {Route::kAuditAlertReview, "POST", "/v1/audit/alerts/{id}/review"},
      {Route::kAuditEvents, "GET", "/v1/audit/events"},
  };
}

}  // namespace rxp::api
