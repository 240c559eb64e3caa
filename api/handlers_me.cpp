// /v1/me*: the signed-in user, the password, TOTP enrolment, recovery codes.
#include "api/edge_internal.hpp"
#include "infra/secure.hpp"

namespace rxp::api {
namespace {

using actors::UserReply;
using actors::UserRequest;
using identity::UserOutcome;

// The answers every factor command shares; true when it answered.
bool answered_common(const CallPtr& c, const UserReply& u) {
  if (!u.error.is_ok()) return answer(c, unavailable()), true;
  switch (u.outcome) {
    case UserOutcome::kOk: return false;
    case UserOutcome::kThrottled: return answer(c, rate_limited_response(u.retry_after_us)), true;
    case UserOutcome::kStepUpRequired: return answer(c, step_up_required()), true;
    default: return false;
  }
}

}  // namespace

void handle_me(const CallPtr& c) {
  const auto& s = c->session;
  nlohmann::json session = {{"id", s.session_id},
                            {"idle_expires_at", rfc3339(s.idle_expires_at_us)},
                            {"absolute_expires_at", rfc3339(s.absolute_expires_at_us)},
                            {"step_up_until", nullptr}};
  if (s.step_up_until_us > c->core->clock.now_us()) session["step_up_until"] = rfc3339(s.step_up_until_us);
  nlohmann::json out = user_json(s);
  out["mfa"] = c->core->methods.get(s.user_id);
  out["session"] = std::move(session);
  answer(c, json_response(200, dump(out)));
}

void handle_password(const CallPtr& c) {
  static const JsonSchema schema{{"current_password", JsonType::kString, true, 1024},
                                 {"new_password", JsonType::kString, true, 1024}};
  auto body = body_of(c, schema);
  if (!body) return;
  auto req = user_request(c, identity::ChangePassword{facts_of(*c), false, ""});
  for (const char* f : {"current_password", "new_password"}) {
    auto& v = (*body)[f].get_ref<std::string&>();
    (std::string_view(f) == "new_password" ? req.new_password : req.password) = actors::make_secret(v);
    secure_wipe(v.data(), v.size());
  }
  secure_wipe(c->req.body.data(), c->req.body.size());
  ask<UserRequest, UserReply>(c, std::move(req), [](const CallPtr& cc, UserReply& u) {
    if (answered_common(cc, u)) return;
    switch (u.outcome) {
      case UserOutcome::kOk: return answer(cc, empty_response(204));
      case UserOutcome::kBadCredentials:
        return answer(cc, error_response(403, "forbidden", "the current password does not match"));
      case UserOutcome::kInvalid: {
        // "password: too_short" -> "new_password: too_short"; the reason is a rule, not the value.
        auto colon = u.reason.find(':');
        std::string rule = colon == std::string::npos ? "not accepted" : u.reason.substr(colon + 2);
        return answer(cc, error_response(422, "invalid_request", "new_password: " + rule));
      }
      case UserOutcome::kNotFound: return answer(cc, unauthenticated());
      default: return answer(cc, unavailable());
    }
  });
}

void handle_totp_start(const CallPtr& c) {
  if (!body_of(c, {}, true)) return;
  ask<UserRequest, UserReply>(c, user_request(c, identity::StartTotpEnrollment{facts_of(*c), "", ""}),
                              [](const CallPtr& cc, UserReply& u) {
    if (answered_common(cc, u)) return;
    if (u.outcome == UserOutcome::kNotFound) return answer(cc, unauthenticated());
    if (u.outcome != UserOutcome::kOk || u.factor_id.empty()) return answer(cc, unavailable());
    nlohmann::json out = {{"factor_id", u.factor_id}, {"otpauth_uri", u.otpauth_uri}, {"secret", u.totp_secret_base32}};
    answer(cc, json_response(200, dump(out)));
  });
}

void handle_totp_confirm(const CallPtr& c) {
  static const JsonSchema schema{{"code", JsonType::kString, true, 64}};
  auto body = body_of(c, schema);
  if (!body) return;
  std::string factor_id = c->route.param;
  auto req = user_request(c, identity::ConfirmTotp{facts_of(*c), factor_id, (*body)["code"].get<std::string>()});
  ask<UserRequest, UserReply>(c, std::move(req), [factor_id](const CallPtr& cc, UserReply& u) {
    if (answered_common(cc, u)) return;
    switch (u.outcome) {
      case UserOutcome::kOk: {
        cc->core->methods.add(cc->session.user_id, "totp");
        nlohmann::json out = {{"factor_id", factor_id}, {"status", "active"}};
        return answer(cc, json_response(200, dump(out)));
      }
      case UserOutcome::kMfaFailed: return answer(cc, error_response(422, "invalid_request", "code: not accepted"));
      case UserOutcome::kNotFound:
        return u.reason == "session" ? answer(cc, unauthenticated())
                                     : answer(cc, error_response(404, "not_found", "no such pending factor"));
      default: return answer(cc, unavailable());
    }
  });
}

void handle_recovery_codes(const CallPtr& c) {
  if (!body_of(c, {}, true)) return;
  ask<UserRequest, UserReply>(c, user_request(c, identity::IssueRecoveryCodes{facts_of(*c), "", {}}),
                              [](const CallPtr& cc, UserReply& u) {
    if (answered_common(cc, u)) return;
    if (u.outcome == UserOutcome::kNotFound) return answer(cc, unauthenticated());
    if (u.outcome != UserOutcome::kOk || u.recovery_codes.empty()) return answer(cc, unavailable());
    cc->core->methods.add(cc->session.user_id, "recovery");
    answer(cc, json_response(200, dump(nlohmann::json{{"codes", u.recovery_codes}})));
  });
}

// Needs a fresh step-up; every session of the user ends, this one included.
void handle_factor_remove(const CallPtr& c) {
  ask<UserRequest, UserReply>(c, user_request(c, identity::RemoveFactor{facts_of(*c), c->route.param}),
                              [](const CallPtr& cc, UserReply& u) {
    if (answered_common(cc, u)) return;
    if (u.outcome == UserOutcome::kNotFound)
      return u.reason == "session" ? answer(cc, unauthenticated())
                                   : answer(cc, error_response(404, "not_found", "no such factor"));
    if (u.outcome != UserOutcome::kOk) return answer(cc, unavailable());
    cc->core->methods.forget(cc->session.user_id);  // learnt again at the next login
    auto resp = empty_response(204);
    resp.headers.emplace_back("Set-Cookie", clear_cookie(kSessionCookie));
    answer(cc, std::move(resp));
  });
}

actors::UserRequest user_request(const CallPtr& c, identity::UserCommand cmd) {
  actors::UserRequest req{c->session.user_id, std::move(cmd)};
  req.correlation_id = c->correlation_id;
  req.actor_user_id = c->session.user_id;
  return req;
}

}  // namespace rxp::api
