// The edge's dispatcher and the helpers its handlers share (edge_internal.hpp).
#include <algorithm>
#include <chrono>
#include <exception>

#include "api/edge_internal.hpp"

namespace rxp::api {

// ---- MethodCache ----
void MethodCache::set(const std::string& user_id, std::vector<std::string> methods) {
  std::lock_guard lock(mu_);
  if (by_user_.size() >= kMax && !by_user_.count(user_id)) by_user_.clear();
  by_user_[user_id] = std::move(methods);
}
void MethodCache::add(const std::string& user_id, const std::string& method) {
  std::lock_guard lock(mu_);
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return;  // unknown: stays unknown rather than half known
  if (std::find(it->second.begin(), it->second.end(), method) == it->second.end()) it->second.push_back(method);
}
std::vector<std::string> MethodCache::get(const std::string& user_id) {
  std::lock_guard lock(mu_);
  auto it = by_user_.find(user_id);
  return it == by_user_.end() ? std::vector<std::string>{} : it->second;
}

void MethodCache::forget(const std::string& user_id) {
  std::lock_guard lock(mu_);
  by_user_.erase(user_id);
}

// ---- answers ----
void answer(const CallPtr& c, HttpResponse r) {
  if (c->answered.exchange(true)) return;
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - c->started_at).count();
  c->core->metrics->finished(c->metric_route, r.status, took);
  auto respond = std::move(c->respond);
  c->respond = nullptr;
  respond(std::move(r));
}

HttpResponse unauthenticated() { return error_response(401, "unauthenticated", "authentication required"); }
HttpResponse forbidden() { return error_response(403, "forbidden", "access denied"); }
HttpResponse step_up_required() {
  return error_response(403, "step_up_required", "this action needs a step-up no older than 5 minutes");
}
HttpResponse unavailable() { return error_response(503, "unavailable", "the service is temporarily unavailable"); }

HttpResponse invalid_field(const std::string& field, const char* rule) {
  std::string m = field;
  m += ": ";
  m += rule;
  return error_response(422, "invalid_request", m);
}

bool has_role(const Call& c, const char* role) {
  const auto& r = c.session.roles;
  return std::find(r.begin(), r.end(), role) != r.end();
}

HttpResponse invalid(const JsonInput& in) {
  switch (in.problem) {
    case InputProblem::kTooLarge: return error_response(413, "too_large", in.message);
    case InputProblem::kMalformed: return error_response(400, "invalid_json", in.message);
    default: return error_response(422, "invalid_request", in.message);
  }
}

void guarded(const CallPtr& c, const std::function<void(const CallPtr&)>& fn) {
  try {
    fn(c);
  } catch (const std::exception&) {
    answer(c, error_response(500, "internal", "internal error"));
  } catch (...) {
    answer(c, error_response(500, "internal", "internal error"));
  }
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<nlohmann::json> body_of(const CallPtr& c, const JsonSchema& schema, bool empty_is_object) {
  JsonLimits limits = c->core->options.json;
  limits.empty_is_object = empty_is_object;
  auto in = parse_json_object(c->req.body, schema, limits);
  if (!in.ok()) {
    answer(c, invalid(in));
    return std::nullopt;
  }
  return std::move(in.value);
}

identity::SessionFacts facts_of(const Call& c) { return {c.session.session_id, c.session.step_up_until_us}; }

nlohmann::json user_json(const identity::SessionInfo& s) {
  nlohmann::json u = {{"id", s.user_id}, {"roles", s.roles}};
  if (!s.patient_id.empty()) u["patient_id"] = s.patient_id;
  return u;
}

// ---- sessions ----
void with_session(const CallPtr& c, std::function<void(const CallPtr&)> next) {
  std::optional<std::string> token;
  if (!c->req.authorization.empty()) {
    token = bearer_token(c->req.authorization);
  } else {
    token = cookie_value(c->req.cookie, kSessionCookie);
    c->via_cookie = true;
  }
  std::optional<std::string> sid;
  if (token) sid = identity::session_id_of_token(*token);
  auto refuse = [](const CallPtr& cc) {
    auto r = unauthenticated();
    if (cc->via_cookie && !cc->req.cookie.empty()) r.headers.emplace_back("Set-Cookie", clear_cookie(kSessionCookie));
    answer(cc, std::move(r));
  };
  if (!sid) return refuse(c);
  c->token = *token;
  bool state_changing = c->via_cookie && is_state_changing_method(c->req.method);
  identity::Authenticate auth{c->token, c->device, state_changing, state_changing ? c->req.csrf_token : ""};
  ask<actors::SessionRequest, actors::SessionReply>(
      c, actors::SessionRequest{*sid, auth}, [next, refuse](const CallPtr& cc, actors::SessionReply& r) {
        if (!r.error.is_ok()) return answer(cc, unavailable());
        if (r.outcome == identity::SessionOutcome::kCsrfFailed)
          return answer(cc, error_response(403, "csrf_failed", "missing or wrong X-CSRF-Token"));
        if (r.outcome != identity::SessionOutcome::kOk || !r.info) return refuse(cc);
        cc->session = *r.info;
        auto steady = std::chrono::steady_clock::now().time_since_epoch();
        int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(steady).count();
        if (int64_t wait = cc->core->accounts.take(cc->session.user_id, now); wait > 0)
          return answer(cc, rate_limited_response(wait));
        next(cc);
      });
}

void handle_healthz(const CallPtr& c) {
  // 200 only when the store takes writes: the journal takes the write lock (no page written)
  // and its last commit did not fail. No detail of the failure leaves the process.
  ask<actors::StoreProbe, actors::StoreHealth>(c, actors::StoreProbe{}, [](const CallPtr& cc, actors::StoreHealth& h) {
    if (!h.status.is_ok()) return answer(cc, unavailable());
    answer(cc, json_response(200, R"({"status":"ok"})"));
  });
}

// ---- the edge ----
Edge::Edge(actors::Runtime& runtime, const Clock& clock, EdgeOptions options)
    : core_(std::make_shared<Core>(runtime, clock, options)) {}

Edge::~Edge() { shutdown(); }

std::shared_ptr<Metrics> Edge::metrics() const { return core_->metrics; }

void Edge::shutdown() {
  std::unique_lock lock(core_->gate);
  core_->stopping = true;
}

void Edge::handle(HttpRequest request, Respond respond) {
  auto c = std::make_shared<Call>();
  c->core = core_;
  c->req = std::move(request);
  c->respond = std::move(respond);
  c->started_at = std::chrono::steady_clock::now();
  core_->metrics->started();
  guarded(c, [](const CallPtr& c) {
    auto m = match_route(c->req.method, path_of(c->req.target));
    if (!m) return answer(c, error_response(404, "not_found", "no such resource"));
    c->metric_route = m->route;
    if (!m->method_allowed) {
      auto r = error_response(405, "method_not_allowed", "method not allowed");
      r.headers.emplace_back("Allow", m->allow);
      return answer(c, std::move(r));
    }
    if (is_state_changing_method(c->req.method) && !c->req.body.empty() && !is_json_content_type(c->req.content_type))
      return answer(c, error_response(415, "unsupported_media_type", "request bodies must be application/json"));
    c->route = *m;
    c->device = device_fingerprint(c->req.user_agent);
    c->correlation_id = identity::fresh_id("req-");
    switch (m->route) {
      case Route::kHealthz: return handle_healthz(c);
      case Route::kLogin: return handle_login(c);
      case Route::kMfaTotp: return handle_mfa(c, false);
      case Route::kMfaRecovery: return handle_mfa(c, true);
      case Route::kStepUp: return with_session(c, handle_step_up);
      case Route::kLogout: return with_session(c, handle_logout);
      case Route::kLogoutAll: return with_session(c, handle_logout_all);
      case Route::kMe: return with_session(c, handle_me);
      case Route::kMePassword: return with_session(c, handle_password);
      case Route::kMeTotpStart: return with_session(c, handle_totp_start);
      case Route::kMeTotpConfirm: return with_session(c, handle_totp_confirm);
      case Route::kMeRecoveryCodes: return with_session(c, handle_recovery_codes);
      case Route::kMeFactorRemove: return with_session(c, handle_factor_remove);
      case Route::kPatientSection: return with_session(c, handle_section);
      case Route::kPatientExport: return with_session(c, handle_export);
      case Route::kMedicationAdd: return with_session(c, handle_medication_add);
      case Route::kAdverseEventReport: return with_session(c, handle_adverse_event_report);
      case Route::kBreakGlass: return with_session(c, handle_break_glass);
      case Route::kProxyGrant: return with_session(c, handle_proxy_grant);
      case Route::kProxyRevoke: return with_session(c, handle_proxy_revoke);
      case Route::kAdminUserCreate: return with_session(c, handle_admin_user_create);
      case Route::kAdminRoleGrant: return with_session(c, handle_admin_role_grant);
      case Route::kAdminRoleRevoke: return with_session(c, handle_admin_role_revoke);
      case Route::kAdminCareAdd: return with_session(c, handle_admin_care_add);
      case Route::kAccessLog: return with_session(c, handle_access_log);
      case Route::kAccessReview: return with_session(c, handle_access_review);
      case Route::kAuditAlerts: return with_session(c, handle_audit_alerts);
      case Route::kAuditAlertReview: return with_session(c, handle_audit_alert_review);
      case Route::kAuditEvents: return with_session(c, handle_audit_events);
      // ---- api-auth ----
      case Route::kWebAuthnOptions: return handle_webauthn_options(c);
      case Route::kWebAuthnVerify: return handle_webauthn_verify(c);
      case Route::kStepUpWebAuthnOptions: return with_session(c, handle_step_up_webauthn_options);
      case Route::kMeWebAuthnOptions: return with_session(c, handle_webauthn_register_options);
      case Route::kMeWebAuthnRegister: return with_session(c, handle_webauthn_register);
      case Route::kMeSessions: return with_session(c, handle_sessions);
      case Route::kMeSessionEnd: return with_session(c, handle_session_end);
      case Route::kMetrics: return handle_metrics(c);
      case Route::kOpenApi: return handle_openapi(c);
    }
    answer(c, error_response(404, "not_found", "no such resource"));
  });
}

}  // namespace rxp::api
