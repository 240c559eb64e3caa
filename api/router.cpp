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

std::optional<RouteMatch> match_added_routes(std::string_view method, const std::vector<std::string_view>& s);

}  // namespace

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
  };
}

}  // namespace rxp::api
