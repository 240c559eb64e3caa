// /v1/admin/*: accounts, their roles, care relationships.
//
// Users and roles: the user aggregate does not know who asks, so the edge is the check here:
// the caller's session must hold role admin (deny by default), and role changes, like
// creating an account with an elevated role (admin, auditor), need the admin's fresh step-up
// (the user actor checks it again with the admin's session facts). These refusals are not
// events: no actor takes a denial for a user stream yet.
// Care relationships are record commands: the access policy decides them (admin only) and
// the record actor records a refusal as an AccessDenied event.
#include "actors/identity/password.hpp"
#include "api/edge_internal.hpp"
#include "events/envelope.hpp"
#include "infra/clock.hpp"
#include "infra/secure.hpp"

namespace rxp::api {
namespace {

using actors::DirectoryReply;
using actors::DirectoryRequest;
using actors::UserReply;
using actors::UserRequest;
using identity::UserOutcome;

HttpResponse invalid_message(std::string message) { return error_response(422, "invalid_request", message); }


bool stepped_up(const Call& c) { return c.session.step_up_until_us > c.core->clock.now_us(); }

UserRequest admin_request(const CallPtr& c, std::string user_id, identity::UserCommand cmd) {
  UserRequest req{std::move(user_id), std::move(cmd)};
  req.correlation_id = c->correlation_id;
  req.actor_user_id = c->session.user_id;
  req.actor_role = "admin";
  return req;
}

// The answer to a role change of the user actor.
HttpResponse role_change_answer(const UserReply& u) {
  if (!u.error.is_ok()) return unavailable();
  switch (u.outcome) {
    case UserOutcome::kOk: return empty_response(204);
    case UserOutcome::kStepUpRequired: return step_up_required();
    case UserOutcome::kNotFound: return error_response(404, "not_found", "no such resource");
    case UserOutcome::kInvalid: return invalid_field("role", "cannot be changed this way");
    default: return forbidden();
  }
}

// The common gate of the role routes: admin, a well-formed user id, a fresh step-up.
bool role_route_refused(const CallPtr& c) {
  if (!has_role(*c, "admin")) return answer(c, forbidden()), true;
  if (!events::is_opaque_id(c->route.param, false))
    return answer(c, error_response(404, "not_found", "no such resource")), true;
  if (!stepped_up(*c)) return answer(c, step_up_required()), true;
  return false;
}

}  // namespace

void handle_admin_user_create(const CallPtr& c) {
  static const JsonSchema schema{{"username", JsonType::kString, true, 64},
                                 {"password", JsonType::kString, true, 1024},
                                 {"roles", JsonType::kStringArray, true, 6},
                                 {"patient_id", JsonType::kString, false, 64}};
  if (!has_role(*c, "admin")) {
    wipe_body(c);
    return answer(c, forbidden());
  }
  auto body = body_of(c, schema);
  wipe_body(c);
  if (!body) return;
  auto& pw = (*body)["password"].get_ref<std::string&>();
  actors::Secret password = actors::make_secret(pw);
  secure_wipe(pw.data(), pw.size());
  std::string username = (*body)["username"];
  std::string patient_id = body->contains("patient_id") ? (*body)["patient_id"].get<std::string>() : "";
  std::vector<std::string> roles;
  bool elevated = false, patient = false;
  for (const auto& r : (*body)["roles"]) {
    auto role = policy::parse_role(r.get<std::string>());
    if (!role) return answer(c, invalid_field("roles", "items must be patient, proxy, clinician, pharmacist, admin or auditor"));
    std::string name = policy::role_name(*role);
    if (std::find(roles.begin(), roles.end(), name) != roles.end()) continue;
    elevated = elevated || *role == policy::Role::kAdmin || *role == policy::Role::kAuditor;
    patient = patient || *role == policy::Role::kPatient;
    roles.push_back(std::move(name));
  }
  if (roles.empty()) return answer(c, invalid_field("roles", "must not be empty"));
  if (patient != !patient_id.empty() || !events::is_opaque_id(patient_id, true))
    return answer(c, invalid_field("patient_id", "is required with role patient only, and must be an id"));
  auto normalized = identity::normalize_username(username);
  if (!normalized) return answer(c, invalid_message(normalized.status().message()));  // "username: <rule>"
  auto policy = identity::check_password_policy(password->view(), username);
  if (policy != identity::PasswordPolicyOutcome::kAccepted) {
    std::string m = "password: ";
    m += identity::password_policy_outcome_name(policy);
    return answer(c, invalid_message(std::move(m)));
  }
  if (elevated && !stepped_up(*c)) return answer(c, step_up_required());
  std::string user_id = identity::fresh_id("usr-");
  // The name is claimed first (it may be taken); only then is the account registered.
  DirectoryRequest claim{actors::ClaimUsername{username, user_id}, c->correlation_id};
  ask<DirectoryRequest, DirectoryReply>(c, std::move(claim), [=](const CallPtr& cc, DirectoryReply& d) {
    if (!d.error.is_ok()) return answer(cc, unavailable());
    if (d.outcome == UserOutcome::kConflict) return answer(cc, error_response(409, "conflict", "the username is taken"));
    if (d.outcome != UserOutcome::kOk) return answer(cc, invalid_field("username", "is not valid"));
    auto reg = admin_request(cc, user_id, identity::Register{d.username, roles, patient_id, ""});
    reg.password = password;
    ask<UserRequest, UserReply>(cc, std::move(reg), [user_id](const CallPtr& c3, UserReply& u) {
      if (!u.error.is_ok()) return answer(c3, unavailable());
      if (u.outcome == UserOutcome::kInvalid) return answer(c3, invalid_message(u.reason.find(':') != std::string::npos ? u.reason : u.reason + ": is not valid"));
      if (u.outcome != UserOutcome::kOk) return answer(c3, error_response(409, "conflict", "the user exists already"));
      answer(c3, json_response(201, dump(nlohmann::json{{"id", user_id}})));
    });
  });
}

void handle_admin_role_grant(const CallPtr& c) {
  static const JsonSchema schema{{"role", JsonType::kString, true, 32}};
  if (role_route_refused(c)) return;
  auto body = body_of(c, schema);
  if (!body) return;
  auto role = policy::parse_role((*body)["role"].get<std::string>());
  if (!role || *role == policy::Role::kPatient)
    return answer(c, invalid_field("role", "must be proxy, clinician, pharmacist, admin or auditor"));
  auto req = admin_request(c, c->route.param, identity::GrantRole{policy::role_name(*role), facts_of(*c)});
  ask<UserRequest, UserReply>(c, std::move(req), [](const CallPtr& cc, UserReply& u) { answer(cc, role_change_answer(u)); });
}

void handle_admin_role_revoke(const CallPtr& c) {
  if (role_route_refused(c)) return;
  auto role = policy::parse_role(c->route.param2);
  if (!role) return answer(c, error_response(404, "not_found", "no such resource"));
  auto req = admin_request(c, c->route.param, identity::RevokeRole{policy::role_name(*role), "admin", facts_of(*c)});
  ask<UserRequest, UserReply>(c, std::move(req), [](const CallPtr& cc, UserReply& u) { answer(cc, role_change_answer(u)); });
}

void handle_admin_care_add(const CallPtr& c) {
  static const JsonSchema schema{{"clinician_id", JsonType::kString, true, 64},
                                 {"patient_id", JsonType::kString, true, 64},
                                 {"until", JsonType::kString, false, 40}};
  auto body = body_of(c, schema);
  if (!body) return;
  record::AddCareRelationship cmd;
  cmd.clinician_id = (*body)["clinician_id"];
  std::string patient_id = (*body)["patient_id"];
  if (!events::is_opaque_id(cmd.clinician_id, false)) return answer(c, invalid_field("clinician_id", "must be a user id"));
  if (!events::is_opaque_id(patient_id, false)) return answer(c, invalid_field("patient_id", "must be an id"));
  nlohmann::json out = {{"clinician_id", cmd.clinician_id}, {"patient_id", patient_id}};
  if (body->contains("until")) {
    if (!parse_rfc3339_us((*body)["until"].get<std::string>(), cmd.until_us) || cmd.until_us <= 0)
      return answer(c, invalid_field("until", "must be an RFC 3339 UTC time"));
    out["until"] = rfc3339(cmd.until_us);
  }
  // Sent for every caller: the access policy lets only an admin through, and the record
  // records anyone else's attempt as AccessDenied.
  auto req = record_request_for(c, patient_id, std::move(cmd));
  ask<actors::RecordRequest, actors::RecordReply>(c, std::move(req), [out](const CallPtr& cc, actors::RecordReply& r) {
    if (r.error.is_ok() && r.outcome == record::Outcome::kInvalid && r.reason == "until")
      return answer(cc, invalid_field("until", "must be in the future"));
    if (auto refused = refusal(r)) return answer(cc, std::move(*refused));
    answer(cc, json_response(201, dump(out)));
  });
}

}  // namespace rxp::api
