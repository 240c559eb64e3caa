// Shared by the edge's handler files only (edge.cpp, handlers_*.cpp): the edge's state, one
// call in flight, and the helpers every handler uses.
// Thread-safety: Core is shared by every call; its members are thread-safe or guarded.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/runtime.hpp"
#include "api/edge.hpp"
#include "api/login_map.hpp"
#include "api/metrics.hpp"
#include "api/response.hpp"
#include "api/router.hpp"

namespace rxp::api {

// The second factors a user has, as learnt at login and at factor changes (the user actor has
// no read command yet); bounded.
class MethodCache {
 public:
  void set(const std::string& user_id, std::vector<std::string> methods);
  void add(const std::string& user_id, const std::string& method);
  std::vector<std::string> get(const std::string& user_id);
  void forget(const std::string& user_id);

 private:
  static constexpr size_t kMax = 10000;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::string>> by_user_;
};

struct Edge::Core {
  Core(actors::Runtime& r, const Clock& c, EdgeOptions o)
      : rt(r), clock(c), options(o), logins(o.max_pending_logins, 5LL * 60 * 1000000, o.max_mfa_failures_per_login),
        accounts(o.account_rate) {}
  actors::Runtime& rt;
  const Clock& clock;
  EdgeOptions options;
  LoginMap logins;
  MethodCache methods;
  RateLimiter accounts;  // per signed-in user id
  std::shared_mutex gate;  // shared: a send() under way; exclusive: shutdown
  bool stopping = false;

  // Hands a request to the runtime unless the edge is shutting down (then false).
  template <class Request, class Reply>
  bool send(Request request, std::function<void(Reply)> done) {
    std::shared_lock lock(gate);
    if (stopping) return false;
    rt.send(std::move(request), std::move(done));
    return true;
  }
  // ---- api-auth ----
  std::shared_ptr<Metrics> metrics = std::make_shared<Metrics>();
};

// One request in flight.
struct Call {
  std::shared_ptr<Edge::Core> core;
  HttpRequest req;
  RouteMatch route;
  Edge::Respond respond;
  std::atomic<bool> answered{false};
  std::string device;          // device_fingerprint(User-Agent)
  std::string correlation_id;  // "req-..." for the events this request causes
  // Filled by with_session():
  std::string token;
  bool via_cookie = false;
  identity::SessionInfo session;
  // ---- api-auth: for the metrics ----
  std::chrono::steady_clock::time_point started_at{};
  std::optional<Route> metric_route;  // nullopt: no route has the path
};
using CallPtr = std::shared_ptr<Call>;

// Answers once; later answers are dropped.
void answer(const CallPtr& c, HttpResponse r);

// Fixed answers (no input is ever echoed).
HttpResponse unauthenticated();
HttpResponse forbidden();
HttpResponse step_up_required();
HttpResponse unavailable();
HttpResponse invalid(const JsonInput& in);
// 422 invalid_request "<field>: <rule>" (the field and the rule, never the value).
HttpResponse invalid_field(const std::string& field, const char* rule);
// Whether the caller's session holds `role` (deny by default: no session, no role).
bool has_role(const Call& c, const char* role);  // 400 / 413 / 422 for a refused body

// Runs `fn(c)` and turns an escaping exception into a 500, so no exception reaches a runtime
// or I/O thread.
void guarded(const CallPtr& c, const std::function<void(const CallPtr&)>& fn);

// Sends through the core; answers 503 when the edge is shutting down. `then` runs guarded.
template <class Request, class Reply>
void ask(const CallPtr& c, Request request, std::function<void(const CallPtr&, Reply&)> then) {
  bool sent = c->core->send<Request, Reply>(std::move(request), [c, then](Reply r) {
    guarded(c, [&](const CallPtr& cc) { then(cc, r); });
  });
  if (!sent) answer(c, unavailable());
}

// Authenticates the request's session (and CSRF for a state change with the cookie), then
// runs `next`; answers 401 / 403 csrf_failed / 503 itself otherwise.
void with_session(const CallPtr& c, std::function<void(const CallPtr&)> next);

// The parsed body for `schema`, or nullopt after answering 400/413/422.
std::optional<nlohmann::json> body_of(const CallPtr& c, const JsonSchema& schema, bool empty_is_object = false);

identity::SessionFacts facts_of(const Call& c);
// A command of the signed-in user to their own user actor (handlers_me.cpp).
actors::UserRequest user_request(const CallPtr& c, identity::UserCommand cmd);
nlohmann::json user_json(const identity::SessionInfo& s);
std::string dump(const nlohmann::json& j);  // never throws on bad UTF-8

// Handlers, by route.
void handle_login(const CallPtr& c);
void handle_mfa(const CallPtr& c, bool recovery);
void handle_step_up(const CallPtr& c);
void handle_logout(const CallPtr& c);
void handle_logout_all(const CallPtr& c);
void handle_me(const CallPtr& c);
void handle_password(const CallPtr& c);
void handle_totp_start(const CallPtr& c);
void handle_totp_confirm(const CallPtr& c);
void handle_recovery_codes(const CallPtr& c);
void handle_factor_remove(const CallPtr& c);
void handle_section(const CallPtr& c);
void handle_export(const CallPtr& c);
void handle_healthz(const CallPtr& c);

// ---- record writes and administration (handlers_writes.cpp, handlers_admin.cpp) ----
// The caller as the access policy sees it (roles parsed, step-up time from the session).
policy::Subject subject_of(const Call& c);
// The HTTP answer to a refused record command (403 forbidden for a record that does not
// exist, like one the caller may not see); nullopt when the command succeeded.
std::optional<HttpResponse> refusal(const actors::RecordReply& r);
// A command for the record of the route's {pid}, or of `patient_id`, on behalf of the caller.
actors::RecordRequest record_request(const CallPtr& c, record::RecordCommand cmd);
actors::RecordRequest record_request_for(const CallPtr& c, const std::string& patient_id,
                                         record::RecordCommand cmd);
void handle_medication_add(const CallPtr& c);
void handle_adverse_event_report(const CallPtr& c);
void handle_break_glass(const CallPtr& c);
void handle_proxy_grant(const CallPtr& c);
void handle_proxy_revoke(const CallPtr& c);
void handle_admin_user_create(const CallPtr& c);
void handle_admin_role_grant(const CallPtr& c);
void handle_admin_role_revoke(const CallPtr& c);
void handle_admin_care_add(const CallPtr& c);

// ---- the projections' views (handlers_audit.cpp) ----
void handle_access_log(const CallPtr& c);
void handle_access_review(const CallPtr& c);
void handle_audit_alerts(const CallPtr& c);
void handle_audit_alert_review(const CallPtr& c);
void handle_audit_events(const CallPtr& c);
// ---- api-auth: WebAuthn (handlers_webauthn.cpp), sessions (handlers_sessions.cpp),
// operations (handlers_ops.cpp), and the helpers of handlers_auth.cpp they share ----
HttpResponse login_not_completed();
// Wipes a request body that held a password, a code or a credential once it has been read.
void wipe_body(const CallPtr& c);
// A new session is open: answers 200 authenticated with the session cookie.
void answer_authenticated(const CallPtr& c, const actors::SessionGrant& grant);
// The user's answer to a second factor of login `login_id` (TOTP, recovery, WebAuthn).
void finish_second_factor(const CallPtr& c, const std::string& login_id, const actors::UserReply& u);
// The user's answer to a step-up: 200 {csrf_token, step_up_until} and the rotated cookie.
void answer_stepped_up(const CallPtr& c, const actors::UserReply& u);
void step_up_webauthn(const CallPtr& c, const nlohmann::json& credential);
void handle_webauthn_options(const CallPtr& c);
void handle_webauthn_verify(const CallPtr& c);
void handle_step_up_webauthn_options(const CallPtr& c);
void handle_webauthn_register_options(const CallPtr& c);
void handle_webauthn_register(const CallPtr& c);
void handle_sessions(const CallPtr& c);
void handle_session_end(const CallPtr& c);
void handle_metrics(const CallPtr& c);
void handle_openapi(const CallPtr& c);

}  // namespace rxp::api
