// /v1/auth/*: the password step, the second factors, step-up, logout, logout everywhere.
#include "api/edge_internal.hpp"
#include "infra/secure.hpp"

namespace rxp::api {
namespace {

using actors::DirectoryReply;
using actors::DirectoryRequest;
using actors::SessionReply;
using actors::SessionRequest;
using actors::UserReply;
using actors::UserRequest;
using identity::UserOutcome;

// One answer for an unknown user and a wrong password: same status, headers and body.
HttpResponse bad_credentials() { return error_response(401, "unauthenticated", "invalid username or password"); }

}  // namespace

HttpResponse login_not_completed() { return error_response(401, "unauthenticated", "the login could not be completed"); }

void wipe_body(const CallPtr& c) {
  if (!c->req.body.empty()) secure_wipe(c->req.body.data(), c->req.body.size());
  c->req.body.clear();
}

namespace {

std::string fresh_cookie_value() {
  uint8_t raw[32];
  secure_random(raw, sizeof raw);
  auto v = base64url_encode(BytesView(raw, sizeof raw));
  secure_wipe(raw, sizeof raw);
  return v;
}

}  // namespace

// A new session is open: learn its roles from the session itself, then answer with the
// session cookie (the pre-auth cookie is cleared).
void answer_authenticated(const CallPtr& c, const actors::SessionGrant& grant) {
  SessionRequest use{grant.session_id, identity::Authenticate{grant.token, c->device, false, ""}};
  ask<SessionRequest, SessionReply>(c, std::move(use), [grant](const CallPtr& cc, SessionReply& r) {
    if (!r.error.is_ok()) return answer(cc, unavailable());
    // Another User-Agent than the password step's ends the new session (device binding).
    if (r.outcome != identity::SessionOutcome::kOk || !r.info) return answer(cc, login_not_completed());
    nlohmann::json body = {{"status", "authenticated"}, {"csrf_token", grant.csrf_token}, {"user", user_json(*r.info)}};
    body["user"]["mfa"] = cc->core->methods.get(r.info->user_id);
    auto resp = json_response(200, dump(body));
    resp.headers.emplace_back("Set-Cookie", set_cookie(kSessionCookie, grant.token));
    resp.headers.emplace_back("Set-Cookie", clear_cookie(kPreAuthCookie));
    answer(cc, std::move(resp));
  });
}

namespace {

HttpResponse throttled(int64_t retry_after_us) { return rate_limited_response(retry_after_us); }

// The second factors a client can complete through this API's routes. The user aggregate
// also offers "number_match" (approval from a signed-in device), which has no route yet.
std::vector<std::string> api_methods(const std::vector<std::string>& offered) {
  std::vector<std::string> out;
  for (const auto& m : offered)
    if (m == "totp" || m == "recovery" || m == "webauthn") out.push_back(m);
  return out;
}

}  // namespace

void handle_login(const CallPtr& c) {
  static const JsonSchema schema{{"username", JsonType::kString, true, 256},
                                 {"password", JsonType::kString, true, 1024}};
  auto body = body_of(c, schema);
  if (!body) return;
  actors::LoginAttempt attempt{(*body)["username"].get<std::string>(),
                               actors::make_secret((*body)["password"].get_ref<const std::string&>()),
                               c->req.source_ip, c->device};
  auto& pw = (*body)["password"].get_ref<std::string&>();
  secure_wipe(pw.data(), pw.size());
  wipe_body(c);
  ask<DirectoryRequest, DirectoryReply>(c, DirectoryRequest{std::move(attempt), c->correlation_id},
                                        [](const CallPtr& cc, DirectoryReply& d) {
    const UserReply& u = d.login;
    if (!d.error.is_ok() || !u.error.is_ok()) return answer(cc, unavailable());
    switch (u.outcome) {
      case UserOutcome::kOk: break;
      case UserOutcome::kThrottled: return answer(cc, throttled(u.retry_after_us));
      case UserOutcome::kMfaEnrollmentRequired:
        return answer(cc, error_response(403, "mfa_enrollment_required",
                                         "a second factor must be enrolled; contact an administrator"));
      default: return answer(cc, bad_credentials());  // unknown user or wrong password alike
    }
    if (u.session) {  // enrollment grace: a password-only session
      cc->core->methods.set(u.user_id, {});
      return answer_authenticated(cc, *u.session);
    }
    if (u.login_id.empty() || u.user_id.empty()) return answer(cc, unavailable());
    auto methods = api_methods(u.methods);
    std::string preauth = fresh_cookie_value();
    cc->core->logins.put(u.login_id, preauth, PendingLoginEntry{u.user_id, methods, 0}, cc->core->clock.now_us());
    cc->core->methods.set(u.user_id, methods);
    nlohmann::json out = {{"status", "mfa_required"}, {"methods", methods}, {"login_id", u.login_id}};
    auto resp = json_response(200, dump(out));
    resp.headers.emplace_back("Set-Cookie", set_cookie(kPreAuthCookie, preauth, 300));
    answer(cc, std::move(resp));
  });
}

void handle_mfa(const CallPtr& c, bool recovery) {
  static const JsonSchema schema{{"login_id", JsonType::kString, true, 64}, {"code", JsonType::kString, true, 64}};
  auto body = body_of(c, schema);
  if (!body) return;
  std::string login_id = (*body)["login_id"].get<std::string>();
  std::string code = (*body)["code"].get<std::string>();
  auto& raw = (*body)["code"].get_ref<std::string&>();
  secure_wipe(raw.data(), raw.size());
  wipe_body(c);
  auto preauth = cookie_value(c->req.cookie, kPreAuthCookie).value_or("");
  auto entry = c->core->logins.find(login_id, preauth, c->core->clock.now_us());
  if (!entry) return answer(c, login_not_completed());
  identity::UserCommand cmd;
  if (recovery) cmd = identity::CompleteRecovery{login_id, code, {}};
  else cmd = identity::CompleteTotp{login_id, code, {}};
  secure_wipe(code.data(), code.size());
  UserRequest req{entry->user_id, std::move(cmd)};
  req.correlation_id = c->correlation_id;
  ask<UserRequest, UserReply>(c, std::move(req), [login_id](const CallPtr& cc, UserReply& u) {
    finish_second_factor(cc, login_id, u);
  });
}

void finish_second_factor(const CallPtr& c, const std::string& login_id, const UserReply& u) {
  auto& logins = c->core->logins;
  if (!u.error.is_ok()) return answer(c, unavailable());
  if (u.outcome == UserOutcome::kThrottled) return answer(c, throttled(u.retry_after_us));
  if (u.outcome == UserOutcome::kMfaFailed) {
    logins.note_failure(login_id);
    return answer(c, login_not_completed());
  }
  if (u.outcome != UserOutcome::kOk || !u.session) {
    logins.erase(login_id);
    return answer(c, login_not_completed());
  }
  logins.erase(login_id);
  answer_authenticated(c, *u.session);
}

// {method: "totp", code} or {method: "webauthn", credential} (handlers_webauthn.cpp).
void handle_step_up(const CallPtr& c) {
  static const JsonSchema schema{{"method", JsonType::kString, true, 32},
                                 {"code", JsonType::kString, false, 64},
                                 {"credential", JsonType::kObject, false, 0}};
  auto body = body_of(c, schema);
  if (!body) return;
  if ((*body)["method"] == "webauthn") {
    if (!body->contains("credential")) return answer(c, error_response(422, "invalid_request", "credential: required"));
    return step_up_webauthn(c, (*body)["credential"]);
  }
  if ((*body)["method"] != "totp")
    return answer(c, error_response(422, "invalid_request", "method: must be \"totp\" or \"webauthn\""));
  if (!body->contains("code")) return answer(c, error_response(422, "invalid_request", "code: required"));
  std::string code = (*body)["code"].get<std::string>();
  auto& raw = (*body)["code"].get_ref<std::string&>();
  secure_wipe(raw.data(), raw.size());
  wipe_body(c);
  UserRequest req{c->session.user_id, identity::StepUp{facts_of(*c), "totp", code, {}, "", ""}};
  secure_wipe(code.data(), code.size());
  req.correlation_id = c->correlation_id;
  ask<UserRequest, UserReply>(c, std::move(req), [](const CallPtr& cc, UserReply& u) { answer_stepped_up(cc, u); });
}

void answer_stepped_up(const CallPtr& c, const UserReply& u) {
  if (!u.error.is_ok()) return answer(c, unavailable());
  if (u.outcome == UserOutcome::kThrottled) return answer(c, throttled(u.retry_after_us));
  if (u.outcome == UserOutcome::kNotFound) return answer(c, unauthenticated());
  if (u.outcome == UserOutcome::kMfaFailed || u.outcome == UserOutcome::kInvalid)
    return answer(c, error_response(403, "mfa_failed", "the second factor was not accepted"));
  if (u.outcome != UserOutcome::kOk || !u.session) return answer(c, unavailable());
  nlohmann::json out = {{"csrf_token", u.session->csrf_token}, {"step_up_until", rfc3339(u.session->step_up_until_us)}};
  auto resp = json_response(200, dump(out));
  // The token rotated: the cookie carries the new one (bearer clients read it from here too).
  resp.headers.emplace_back("Set-Cookie", set_cookie(kSessionCookie, u.session->token));
  answer(c, std::move(resp));
}

void handle_logout(const CallPtr& c) {
  ask<SessionRequest, SessionReply>(c, SessionRequest{c->session.session_id, identity::Logout{c->token}},
                                    [](const CallPtr& cc, SessionReply& r) {
    if (!r.error.is_ok()) return answer(cc, unavailable());
    auto resp = empty_response(204);
    resp.headers.emplace_back("Set-Cookie", clear_cookie(kSessionCookie));
    answer(cc, std::move(resp));
  });
}

void handle_logout_all(const CallPtr& c) {
  UserRequest req{c->session.user_id, identity::LogoutAll{facts_of(*c)}};
  req.correlation_id = c->correlation_id;
  ask<UserRequest, UserReply>(c, std::move(req), [](const CallPtr& cc, UserReply& u) {
    if (!u.error.is_ok()) return answer(cc, unavailable());
    if (u.outcome == UserOutcome::kNotFound) return answer(cc, unauthenticated());
    if (u.outcome != UserOutcome::kOk) return answer(cc, unavailable());
    auto resp = empty_response(204);
    resp.headers.emplace_back("Set-Cookie", clear_cookie(kSessionCookie));
    answer(cc, std::move(resp));
  });
}

}  // namespace rxp::api
