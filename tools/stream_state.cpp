#include "tools/stream_state.hpp"

#include <string_view>

#include "actors/identity/session.hpp"
#include "actors/identity/user.hpp"
#include "actors/record.hpp"
#include "events/event_json.hpp"
#include "infra/clock.hpp"

namespace rxp::cli {
namespace {

using nlohmann::json;

json time_or_null(int64_t us) { return us == 0 ? json(nullptr) : json(format_rfc3339_us(us)); }

template <class E>
json events_json(const std::vector<E>& list) {
  json out = json::array();
  for (const auto& e : list) out.push_back(events::payload_to_json(events::DomainEvent(e)));
  return out;
}

json record_json(const record::RecordState& s) {
  json meds = json::array();
  for (const auto& m : s.medications)
    meds.push_back({{"medication_id", m.id}, {"name", m.name}, {"dose", m.dose}, {"route", m.route},
                    {"frequency", m.frequency}, {"start", m.start}, {"end", m.end},
                    {"status", m.status}, {"confidential", m.confidential}});
  json care = json::array();
  for (const auto& c : s.access.care)
    care.push_back({{"clinician_id", c.clinician_id}, {"until", c.until_us ? time_or_null(*c.until_us) : json(nullptr)}});
  json proxies = json::array();
  for (const auto& p : s.access.proxies) {
    json scope = json::array();
    for (auto sec : p.scope) scope.push_back(policy::section_name(sec));
    proxies.push_back({{"grant_id", p.grant_id}, {"grantee_user_id", p.grantee_user_id}, {"scope", scope},
                       {"expires_at", time_or_null(p.expires_at_us)}, {"revoked", p.revoked},
                       {"parent", p.parent}});
  }
  json glass = json::array();
  for (const auto& b : s.access.break_glass)
    glass.push_back({{"user_id", b.user_id}, {"until", time_or_null(b.until_us)}});
  return {{"version", s.version},
          {"exists", s.exists},
          {"birth_date", s.birth_date},
          {"residence_state", s.residence_state},
          {"vip", s.vip},
          {"medications", meds},
          {"pgx", events_json(s.pgx)},
          {"adverse_events", events_json(s.adverse_events)},
          {"dosing", events_json(s.dosing)},
          {"care", care},
          {"proxies", proxies},
          {"break_glass", glass}};
}

json user_json(const identity::UserState& s) {
  json totp = json::array();
  for (const auto& f : s.totp) totp.push_back({{"factor_id", f.factor_id}, {"confirmed", f.confirmed}});
  json webauthn = json::array();
  for (const auto& f : s.webauthn)
    webauthn.push_back({{"factor_id", f.factor_id}, {"alg", f.alg}, {"sign_count", f.sign_count}});
  size_t used = 0;
  for (bool u : s.recovery_used) used += u ? 1 : 0;
  json sessions = json::array();
  for (const auto& l : s.sessions)
    sessions.push_back({{"session_id", l.session_id}, {"started_at", time_or_null(l.started_at_us)},
                        {"absolute_expires_at", time_or_null(l.absolute_expires_at_us)}});
  return {{"version", s.version},
          {"exists", s.exists},
          {"user_id", s.user_id},
          {"username", s.username},
          {"roles", s.roles},
          {"patient_id", s.patient_id},
          {"registered_at", time_or_null(s.registered_at_us)},
          {"password_set", !s.password_hash.empty()},
          {"consecutive_failures", s.throttle.consecutive_failures},
          {"totp", totp},
          {"webauthn", webauthn},
          {"recovery_codes", {{"issued", s.recovery_hashes.size()}, {"used", used}}},
          {"pending_logins", s.logins.size()},
          {"pending_prompts", s.prompts.size()},
          {"sessions", sessions},
          {"known_devices", s.known_devices.size()}};
}

json session_json(const identity::SessionState& s) {
  return {{"version", s.version},
          {"exists", s.exists},
          {"session_id", s.session_id},
          {"user_id", s.user_id},
          {"roles", s.roles},
          {"patient_id", s.patient_id},
          {"method", s.method},
          {"source_ip", s.source_ip},
          {"started_at", time_or_null(s.started_at_us)},
          {"idle_timeout_us", s.idle_timeout_us},
          {"absolute_expires_at", time_or_null(s.absolute_expires_at_us)},
          {"last_activity_at", time_or_null(s.last_activity_us)},
          {"step_up_until", time_or_null(s.step_up_until_us)},
          {"ended", s.ended},
          {"end_reason", s.end_reason}};
}

// Folds the events with `apply`; counts the shredded ones.
template <class State>
State fold(const std::vector<events::RecordedEvent>& list, size_t& shredded) {
  State s;
  for (const auto& e : list) {
    if (!e.payload) {
      ++shredded;
      continue;
    }
    if constexpr (std::is_same_v<State, record::RecordState>)
      record::apply(s, e.header, *e.payload);
    else
      identity::apply(s, e.header, *e.payload);
  }
  return s;
}

}  // namespace

bool has_aggregate(const std::string& stream_id) {
  std::string_view s(stream_id);
  return s.starts_with("record/") || s.starts_with("user/") || s.starts_with("session/");
}

Result<json> stream_state_json(const std::string& stream_id, const std::vector<events::RecordedEvent>& list) {
  std::string_view s(stream_id);
  size_t shredded = 0;
  json state;
  if (s.starts_with("record/")) {
    state = record_json(fold<record::RecordState>(list, shredded));
  } else if (s.starts_with("user/")) {
    state = user_json(fold<identity::UserState>(list, shredded));
  } else if (s.starts_with("session/")) {
    state = session_json(fold<identity::SessionState>(list, shredded));
  } else {
    return Status(ErrorCode::kInvalidArgument,
                  "--state: only record/, user/ and session/ streams have an aggregate to fold");
  }
  json out = {{"stream", stream_id},
              {"events", list.size()},
              {"as_of_version", list.empty() ? 0 : list.back().header.version},
              {"as_of", list.empty() ? json(nullptr) : json(format_rfc3339_us(list.back().header.occurred_at_us))},
              {"shredded_events", shredded},
              {"state", state}};
  return out;
}

}  // namespace rxp::cli
