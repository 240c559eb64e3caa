// Writes to /v1/patients/{pid}/*: medications, adverse event reports, break-glass, proxy
// grants and their revocation. The record actor decides every one with the access policy and
// records a denial as an AccessDenied event; the edge only checks the shape of the input.
#include "api/edge_internal.hpp"
#include "events/envelope.hpp"
#include "infra/clock.hpp"

namespace rxp::api {
namespace {

using actors::RecordReply;
using actors::RecordRequest;


// A refused write: like refusal(), but an invalid command names the field the record actor
// refused (its reason is a field name, never a value).
std::optional<HttpResponse> write_refusal(const RecordReply& r) {
  if (r.error.is_ok() && r.outcome == record::Outcome::kInvalid && events::is_opaque_id(r.reason, false))
    return invalid_field(r.reason, "is not valid");
  return refusal(r);
}

bool is_date(const std::string& s) {
  return s.size() == 10 && policy::age_in_years(s, 0).has_value();
}

// The optional string field `name` of `body`, or "".
std::string opt(const nlohmann::json& body, const char* name) {
  return body.contains(name) ? body[name].get<std::string>() : std::string();
}

// Sends `cmd` to the route's record and answers 201 {"id": id} once it is durable.
void create(const CallPtr& c, record::RecordCommand cmd, std::string id) {
  ask<RecordRequest, RecordReply>(c, record_request(c, std::move(cmd)), [id](const CallPtr& cc, RecordReply& r) {
    if (auto refused = write_refusal(r)) return answer(cc, std::move(*refused));
    answer(cc, json_response(201, dump(nlohmann::json{{"id", id}})));
  });
}

}  // namespace

void handle_medication_add(const CallPtr& c) {
  static const JsonSchema schema{{"name", JsonType::kString, true, 200},
                                 {"dose", JsonType::kString, true, 100},
                                 {"route", JsonType::kString, true, 50},
                                 {"frequency", JsonType::kString, true, 100},
                                 {"start", JsonType::kString, true, 10},
                                 {"end", JsonType::kString, false, 10},
                                 {"confidential", JsonType::kBool, false, 0}};
  auto body = body_of(c, schema);
  if (!body) return;
  events::MedicationAdded m;
  m.medication_id = identity::fresh_id("med-");
  m.name = (*body)["name"];
  m.dose = (*body)["dose"];
  m.route = (*body)["route"];
  m.frequency = (*body)["frequency"];
  m.start = (*body)["start"];
  m.end = opt(*body, "end");
  m.confidential = body->contains("confidential") && (*body)["confidential"].get<bool>();
  if (m.name.empty()) return answer(c, invalid_field("name", "must not be empty"));
  if (!is_date(m.start)) return answer(c, invalid_field("start", "must be a date YYYY-MM-DD"));
  if (!m.end.empty() && !is_date(m.end)) return answer(c, invalid_field("end", "must be a date YYYY-MM-DD"));
  if (!m.end.empty() && m.end < m.start) return answer(c, invalid_field("end", "must not be before start"));
  std::string id = m.medication_id;
  create(c, record::AddMedication{std::move(m)}, std::move(id));
}

void handle_adverse_event_report(const CallPtr& c) {
  static const JsonSchema schema{{"medication_id", JsonType::kString, false, 64},
                                 {"reaction", JsonType::kString, true, 500},
                                 {"severity", JsonType::kString, true, 32},
                                 {"onset", JsonType::kString, true, 10}};
  auto body = body_of(c, schema);
  if (!body) return;
  events::AdverseEventReported a;
  a.report_id = identity::fresh_id("ae-");
  a.medication_id = opt(*body, "medication_id");
  a.reaction = (*body)["reaction"];
  a.severity = (*body)["severity"];
  a.onset = (*body)["onset"];
  if (!events::is_opaque_id(a.medication_id, true)) return answer(c, invalid_field("medication_id", "must be an id"));
  if (a.reaction.empty()) return answer(c, invalid_field("reaction", "must not be empty"));
  if (a.severity != "mild" && a.severity != "moderate" && a.severity != "severe" && a.severity != "life_threatening")
    return answer(c, invalid_field("severity", "must be mild, moderate, severe or life_threatening"));
  if (!is_date(a.onset)) return answer(c, invalid_field("onset", "must be a date YYYY-MM-DD"));
  std::string id = a.report_id;
  create(c, record::ReportAdverseEvent{std::move(a)}, std::move(id));
}

void handle_break_glass(const CallPtr& c) {
  static const JsonSchema schema{{"reason_code", JsonType::kString, true, 64},
                                 {"justification", JsonType::kString, true, 2000}};
  auto body = body_of(c, schema);
  if (!body) return;
  record::InvokeBreakGlass cmd;
  cmd.reason_code = (*body)["reason_code"];
  cmd.justification = (*body)["justification"];
  if (!events::is_opaque_id(cmd.reason_code, false)) return answer(c, invalid_field("reason_code", "must be a code"));
  if (cmd.justification.size() < record::kMinJustification)
    return answer(c, invalid_field("justification", "must be at least 20 characters"));
  // Taken before the record decides, so the time answered is never later than the grant's
  // own end (the actor adds the same duration to its own, later, now).
  int64_t until = c->core->clock.now_us() + cmd.duration_us;
  ask<RecordRequest, RecordReply>(c, record_request(c, std::move(cmd)), [until](const CallPtr& cc, RecordReply& r) {
    if (auto refused = write_refusal(r)) return answer(cc, std::move(*refused));
    answer(cc, json_response(200, dump(nlohmann::json{{"access_until", rfc3339(until)}})));
  });
}

void handle_proxy_grant(const CallPtr& c) {
  static const JsonSchema schema{{"grantee_user_id", JsonType::kString, true, 64},
                                 {"scope", JsonType::kStringArray, true, 8},
                                 {"expires_at", JsonType::kString, true, 40},
                                 {"parent", JsonType::kBool, false, 0}};
  auto body = body_of(c, schema);
  if (!body) return;
  events::ProxyGranted g;
  g.grant_id = identity::fresh_id("gr-");
  g.grantee_user_id = (*body)["grantee_user_id"];
  g.scope = (*body)["scope"].get<std::vector<std::string>>();
  g.parent = body->contains("parent") && (*body)["parent"].get<bool>();
  if (!events::is_opaque_id(g.grantee_user_id, false))
    return answer(c, invalid_field("grantee_user_id", "must be a user id"));
  if (g.scope.empty()) return answer(c, invalid_field("scope", "must not be empty"));
  for (const auto& name : g.scope)
    if (name != "medications" && name != "adverse_events" && name != "dosing" && name != "access_log")
      return answer(c, invalid_field("scope", "items must be medications, adverse_events, dosing or access_log"));
  if (!parse_rfc3339_us((*body)["expires_at"].get<std::string>(), g.expires_at_us))
    return answer(c, invalid_field("expires_at", "must be an RFC 3339 UTC time"));
  if (g.expires_at_us <= c->core->clock.now_us()) return answer(c, invalid_field("expires_at", "must be in the future"));
  std::string id = g.grant_id;
  ask<RecordRequest, RecordReply>(c, record_request(c, record::GrantProxy{std::move(g)}), [id](const CallPtr& cc, RecordReply& r) {
    if (auto refused = write_refusal(r)) return answer(cc, std::move(*refused));
    answer(cc, json_response(201, dump(nlohmann::json{{"grant_id", id}})));
  });
}

void handle_proxy_revoke(const CallPtr& c) {
  ask<RecordRequest, RecordReply>(c, record_request(c, record::RevokeProxy{c->route.param2}), [](const CallPtr& cc, RecordReply& r) {
    // The policy allowed the caller, so saying the grant is not there reveals nothing.
    if (r.error.is_ok() && r.outcome == record::Outcome::kInvalid)
      return answer(cc, error_response(404, "not_found", "no such grant"));
    if (auto refused = refusal(r)) return answer(cc, std::move(*refused));
    answer(cc, empty_response(204));
  });
}

}  // namespace rxp::api
