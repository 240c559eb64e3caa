// What every handler that sends a record command needs: the caller as the access policy sees
// it, the request, and the HTTP answer to a refusal. Shared by handlers_records.cpp and
// handlers_writes.cpp (declared in edge_internal.hpp).
#include "api/edge_internal.hpp"

namespace rxp::api {

using actors::RecordReply;
using actors::RecordRequest;

policy::Subject subject_of(const Call& c) {
  policy::Subject s;
  s.user_id = c.session.user_id;
  for (const auto& r : c.session.roles)
    if (auto role = policy::parse_role(r)) s.roles.insert(*role);
  s.patient_id = c.session.patient_id;
  // The session keeps when its step-up ends; the policy wants when it happened.
  if (c.session.step_up_until_us > 0) s.step_up_at_us = c.session.step_up_until_us - identity::kStepUpValidUs;
  return s;
}

std::optional<HttpResponse> refusal(const RecordReply& r) {
  if (!r.error.is_ok()) return unavailable();
  switch (r.outcome) {
    case record::Outcome::kOk: return std::nullopt;
    case record::Outcome::kStepUpRequired: return step_up_required();
    case record::Outcome::kInvalid: return error_response(422, "invalid_request", "the request is not valid");
    case record::Outcome::kConflict: return error_response(409, "conflict", "the record changed; retry");
    case record::Outcome::kForbidden: break;
  }
  return forbidden();  // also for a record that does not exist: one body for both
}

RecordRequest record_request(const CallPtr& c, record::RecordCommand cmd) {
  return record_request_for(c, c->route.param, std::move(cmd));
}

RecordRequest record_request_for(const CallPtr& c, const std::string& patient_id, record::RecordCommand cmd) {
  return RecordRequest{patient_id, subject_of(*c), c->session.session_id, c->correlation_id, std::move(cmd)};
}

}  // namespace rxp::api
