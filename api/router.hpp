// The routes of ../shared/API.md that this edge serves: method and path to a route and its
// path parameter. A pure function, no I/O.
//
// CONTRACT
// - match_route(method, path) returns nullopt for a path no route has (404 not_found); a
//   match with method_allowed == false when the path exists under other methods (405, with
//   `allow` listing them).
// - Path parameters ({pid}, {factor_id}) are one non-empty segment of at most 128 bytes,
//   taken as sent (no percent-decoding); the actors check ids (an id that is not well formed
//   is answered like any record the caller may not see).
// - Routes whose kind is state_changing() need the CSRF header with cookie authentication;
//   the login steps (login, mfa/totp, mfa/recovery) need none: they have no session yet.
// Thread-safety: pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rxp::api {

enum class Route {
  kHealthz,
  kLogin,
  kMfaTotp,
  kMfaRecovery,
  kStepUp,
  kLogout,
  kLogoutAll,
  kMe,
  kMePassword,
  kMeTotpStart,
  kMeTotpConfirm,
  kMeRecoveryCodes,
  kMeFactorRemove,  // DELETE /v1/me/mfa/{factor_id}
  kPatientSection,  // GET medications | pgx | adverse-events | dosing
  kPatientExport,
  kMedicationAdd,       // POST /v1/patients/{pid}/medications
  kAdverseEventReport,  // POST /v1/patients/{pid}/adverse-events
  kBreakGlass,          // POST /v1/patients/{pid}/break-glass
  kProxyGrant,          // POST /v1/patients/{pid}/proxies
  kProxyRevoke,         // DELETE /v1/patients/{pid}/proxies/{grant_id} (param2)
  kAdminUserCreate,     // POST /v1/admin/users
  kAdminRoleGrant,      // POST /v1/admin/users/{id}/roles
  kAdminRoleRevoke,     // DELETE /v1/admin/users/{id}/roles/{role} (param2)
  kAdminCareAdd,        // POST /v1/admin/care-relationships
  kAccessLog,           // GET /v1/patients/{pid}/access-log
  kAccessReview,        // GET /v1/admin/access-review
  kAuditAlerts,         // GET /v1/audit/alerts
  kAuditAlertReview,    // POST /v1/audit/alerts/{id}/review
  kAuditEvents,         // GET /v1/audit/events
  // ---- WebAuthn, the session list, operations (api-auth) ----
  kWebAuthnOptions,        // POST /v1/auth/webauthn/options (login step)
  kWebAuthnVerify,         // POST /v1/auth/webauthn/verify (login step)
  kStepUpWebAuthnOptions,  // POST /v1/auth/step-up/webauthn/options
  kMeWebAuthnOptions,      // POST /v1/me/mfa/webauthn/options
  kMeWebAuthnRegister,     // POST /v1/me/mfa/webauthn
  kMeSessions,             // GET /v1/me/sessions
  kMeSessionEnd,           // DELETE /v1/me/sessions/{id}
  kMetrics,                // GET /metrics
  kOpenApi,                // GET /v1/openapi.json
};

struct RouteMatch {
  Route route = Route::kHealthz;
  bool method_allowed = true;
  std::string allow;    // the methods the path has, for 405
  std::string param;    // {pid} or {factor_id}
  std::string section;  // for kPatientSection: "medications", "pgx", "adverse-events", "dosing"
  std::string param2;   // a second path parameter: {grant_id}, {role}
};

std::optional<RouteMatch> match_route(std::string_view method, std::string_view path);

// Needs a session (everything but healthz and the login steps).
bool needs_session(Route r);
// POST, PUT, PATCH, DELETE: a state change, CSRF-checked with cookie authentication.
bool is_state_changing_method(std::string_view method);

const char* route_name(Route r);  // "unknown" for a value that is no route

// ---- route listing (api-auth) ----
// Every (method, path template) match_route() answers, with {name} for a path parameter, as
// the OpenAPI document writes them. The test of the document compares it with this list, and
// this list with match_route() itself.
struct RouteTemplate {
  Route route;
  std::string method;
  std::string path;
};
std::vector<RouteTemplate> route_templates();

// The query string of a request target as name -> value, percent-decoded ('+' is a space).
// nullopt for a malformed query: a bad escape, a name given twice, more than 16 names, a
// value over 256 bytes, or bytes below 0x20 after decoding.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view target);

}  // namespace rxp::api
