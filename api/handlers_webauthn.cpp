// WebAuthn through the edge: login options and verification (a second factor, like TOTP),
// step-up with a security key, and enrolment of a new key. The user actor checks every
// signature, challenge, origin and relying party (webauthn.hpp); here only JSON is read and
// written (webauthn_json.hpp).
#include "api/edge_internal.hpp"
#include "api/webauthn_json.hpp"
#include "infra/secure.hpp"

namespace rxp::api {
namespace {

using actors::UserReply;
using actors::UserRequest;
using identity::UserOutcome;

// The pending login of {login_id} with its pre-auth cookie, or nullopt after answering 401.
std::optional<PendingLoginEntry> pending_login(const CallPtr& c, const std::string& login_id) {
  auto preauth = cookie_value(c->req.cookie, kPreAuthCookie).value_or("");
  auto entry = c->core->logins.find(login_id, preauth, c->core->clock.now_us());
  if (!entry) answer(c, login_not_completed());
  return entry;
}

// Asks the user for a challenge of `purpose` and answers with what `options` makes of it.
void issue_challenge(const CallPtr& c, UserRequest req,
                     std::function<nlohmann::json(const CallPtr&, const UserReply&)> options) {
  ask<UserRequest, UserReply>(c, std::move(req), [options](const CallPtr& cc, UserReply& u) {
    if (!u.error.is_ok()) return answer(cc, unavailable());
    switch (u.outcome) {
      case UserOutcome::kOk: break;
      case UserOutcome::kStepUpRequired: return answer(cc, step_up_required());
      case UserOutcome::kNotFound:
        if (u.reason == "session") return answer(cc, unauthenticated());
        if (u.reason == "login") return answer(cc, login_not_completed());
        return answer(cc, error_response(404, "not_found", "no security key is registered"));
      default: return answer(cc, unavailable());
    }
    if (u.challenge.empty()) return answer(cc, unavailable());
    answer(cc, json_response(200, dump(options(cc, u))));
  });
}

// The key names the account it was made for (userHandle = the creation options' user.id).
// A key answering for another account must fail, and as a recorded failure like any other: the
// credential id is blanked, so the user actor refuses it as an unknown credential (MfaFailed
// event, throttle count) without checking a signature.
void refuse_foreign_key(AssertionInput& in, const std::string& user_id) {
  if (in.has_user_handle && in.user_handle != user_id) in.assertion.credential_id.clear();
}

}  // namespace

void handle_webauthn_options(const CallPtr& c) {
  static const JsonSchema schema{{"login_id", JsonType::kString, true, 64}};
  auto body = body_of(c, schema);
  if (!body) return;
  std::string login_id = (*body)["login_id"].get<std::string>();
  auto entry = pending_login(c, login_id);
  if (!entry) return;
  UserRequest req{entry->user_id, identity::IssueWebAuthnChallenge{"login", login_id, "", std::nullopt}};
  req.correlation_id = c->correlation_id;
  issue_challenge(c, std::move(req), [](const CallPtr& cc, const UserReply& u) {
    return request_options_json(u.challenge, cc->core->options.webauthn_rp_id, u.credential_ids);
  });
}

void handle_webauthn_verify(const CallPtr& c) {
  static const JsonSchema schema{{"login_id", JsonType::kString, true, 64}, {"credential", JsonType::kObject, true, 0}};
  auto body = body_of(c, schema);
  if (!body) return;
  AssertionInput in;
  auto problem = parse_assertion_json((*body)["credential"], in);
  wipe_body(c);
  if (!problem.empty()) return answer(c, error_response(422, "invalid_request", problem));
  std::string login_id = (*body)["login_id"].get<std::string>();
  auto entry = pending_login(c, login_id);
  if (!entry) return;
  refuse_foreign_key(in, entry->user_id);
  UserRequest req{entry->user_id, identity::CompleteWebAuthn{login_id, std::move(in.assertion), "", "", {}}};
  req.correlation_id = c->correlation_id;
  ask<UserRequest, UserReply>(c, std::move(req), [login_id](const CallPtr& cc, UserReply& u) {
    finish_second_factor(cc, login_id, u);
  });
}

void handle_step_up_webauthn_options(const CallPtr& c) {
  if (!body_of(c, {}, true)) return;
  auto req = user_request(c, identity::IssueWebAuthnChallenge{"step_up", "", "", facts_of(*c)});
  issue_challenge(c, std::move(req), [](const CallPtr& cc, const UserReply& u) {
    return request_options_json(u.challenge, cc->core->options.webauthn_rp_id, u.credential_ids);
  });
}

void step_up_webauthn(const CallPtr& c, const nlohmann::json& credential) {
  AssertionInput in;
  auto problem = parse_assertion_json(credential, in);
  wipe_body(c);
  if (!problem.empty()) return answer(c, error_response(422, "invalid_request", problem));
  refuse_foreign_key(in, c->session.user_id);
  auto req = user_request(c, identity::StepUp{facts_of(*c), "webauthn", "", std::move(in.assertion), "", ""});
  ask<UserRequest, UserReply>(c, std::move(req), [](const CallPtr& cc, UserReply& u) { answer_stepped_up(cc, u); });
}

void handle_webauthn_register_options(const CallPtr& c) {
  if (!body_of(c, {}, true)) return;
  auto req = user_request(c, identity::IssueWebAuthnChallenge{"register", "", "", facts_of(*c)});
  issue_challenge(c, std::move(req), [](const CallPtr& cc, const UserReply& u) {
    const auto& o = cc->core->options;
    return creation_options_json(u.challenge, o.webauthn_rp_id, o.webauthn_rp_name, cc->session.user_id,
                                 u.credential_ids);
  });
}

void handle_webauthn_register(const CallPtr& c) {
  static const JsonSchema schema{{"credential", JsonType::kObject, true, 0}};
  auto body = body_of(c, schema);
  if (!body) return;
  RegistrationInput in;
  auto problem = parse_registration_json((*body)["credential"], in);
  wipe_body(c);
  if (!problem.empty()) return answer(c, error_response(422, "invalid_request", problem));
  auto req = user_request(c, identity::RegisterWebAuthn{facts_of(*c), "", std::move(in.client_data_json),
                                                        std::move(in.attestation_object), "", ""});
  ask<UserRequest, UserReply>(c, std::move(req), [](const CallPtr& cc, UserReply& u) {
    if (!u.error.is_ok()) return answer(cc, unavailable());
    switch (u.outcome) {
      case UserOutcome::kOk:
        if (u.factor_id.empty()) return answer(cc, unavailable());
        cc->core->methods.add(cc->session.user_id, "webauthn");
        return answer(cc, json_response(200, dump(nlohmann::json{{"factor_id", u.factor_id}})));
      case UserOutcome::kThrottled: return answer(cc, rate_limited_response(u.retry_after_us));
      case UserOutcome::kStepUpRequired: return answer(cc, step_up_required());
      case UserOutcome::kConflict:
        return answer(cc, error_response(409, "conflict", "this security key is registered already"));
      case UserOutcome::kInvalid:
        // The reason is a rule name (webauthn.hpp), never input content.
      {
        std::string message = "credential: not accepted (";
        message += u.reason;
        message += ")";
        return answer(cc, error_response(422, "invalid_request", message));
      }
      case UserOutcome::kNotFound: return answer(cc, unauthenticated());
      default: return answer(cc, unavailable());
    }
  });
}

}  // namespace rxp::api
