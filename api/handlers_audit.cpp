// The projections' views: a patient's access log, the access review, the auditor's alert queue
// and review, and the event query. Reads run on the QueryService's thread (never an I/O thread
// or a CAF worker), after the read models have caught up with the log, so a caller sees its
// own earlier requests. Answers hold ids, codes and times only.
#include <charconv>

#include "api/edge_internal.hpp"
#include "events/envelope.hpp"
#include "events/event_log.hpp"
#include "infra/clock.hpp"
#include "projections/access_review.hpp"
#include "projections/alerts.hpp"
#include "projections/disclosures.hpp"
#include "projections/event_index.hpp"
#include "projections/query_service.hpp"

namespace rxp::api {
namespace {

using projections::ReadModelDb;
using Query = std::vector<std::pair<std::string, std::string>>;


nlohmann::json opt_time(int64_t us) { return us == 0 ? nlohmann::json(nullptr) : nlohmann::json(rfc3339(us)); }

// Runs `fn(db)` on the query thread once the read models have caught up; answers 503 when the
// views are not configured, the queue is full or the read model cannot be opened.
void on_views(const CallPtr& c, std::function<void(const CallPtr&, ReadModelDb&)> fn) {
  const AuditViews& v = c->core->options.views;
  if (v.queries == nullptr) return answer(c, unavailable());
  bool queued = v.queries->post([c, fn](ReadModelDb* db, const Status& open_error) {
    guarded(c, [&](const CallPtr& cc) {
      const AuditViews& views = cc->core->options.views;
      if (views.catch_up) {
        if (Status st = views.catch_up(); !st) return answer(cc, unavailable());
      }
      if (db == nullptr || !open_error.is_ok()) return answer(cc, unavailable());
      fn(cc, *db);
    });
  });
  if (!queued) answer(c, unavailable());
}

// The query string, with only `allowed` names; answers 422 otherwise.
std::optional<Query> query_of(const CallPtr& c, std::initializer_list<const char*> allowed) {
  auto q = parse_query(c->req.target);
  if (!q) {
    answer(c, error_response(422, "invalid_request", "query: malformed query string"));
    return std::nullopt;
  }
  for (const auto& [name, value] : *q) {
    bool known = false;
    for (const char* a : allowed) known = known || name == a;
    if (!known) {
      // The name is the caller's own text: name it only when it is a plain identifier.
      bool plain = name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char ch) {
                     return (ch >= 'a' && ch <= 'z') || ch == '_';
                   });
      answer(c, invalid_field(plain ? name : std::string("query"), "unknown parameter"));
      return std::nullopt;
    }
  }
  return q;
}

const std::string* param(const Query& q, const char* name) {
  for (const auto& [n, v] : q)
    if (n == name) return &v;
  return nullptr;
}

nlohmann::json alert_json(const projections::AlertRow& a) {
  return {{"id", a.alert_id},
          {"rule", a.rule},
          {"severity", a.severity},
          {"explanation", a.explanation},
          {"user_id", a.user_id},
          {"patient_id", a.patient_id},
          {"raised_at", rfc3339(a.raised_at_us)},
          {"evidence_positions", a.evidence},
          {"score", a.score},
          {"state", a.disposition.empty() ? "open" : "reviewed"},
          {"disposition", a.disposition.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.disposition)},
          {"reviewed_by", a.reviewed_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.reviewed_by)},
          {"reviewed_at", opt_time(a.reviewed_at_us)}};
}

}  // namespace

void handle_access_log(const CallPtr& c) {
  // The record actor decides (patient, proxy in scope, auditor) and records the read.
  std::string purpose = c->session.patient_id == c->route.param ? "patient_request" : "operations";
  if (has_role(*c, "auditor")) purpose = "audit";
  auto req = record_request(c, record::ViewSection{policy::Section::kAccessLog, purpose});
  ask<actors::RecordRequest, actors::RecordReply>(c, std::move(req), [](const CallPtr& cc, actors::RecordReply& r) {
    if (auto refused = refusal(r)) return answer(cc, std::move(*refused));
    on_views(cc, [](const CallPtr& c3, ReadModelDb& db) {
      auto rows = projections::disclosures_for(db, c3->route.param, 0, INT64_MAX);
      if (!rows) return answer(c3, unavailable());
      auto items = nlohmann::json::array();
      for (const auto& d : *rows)
        items.push_back({{"at", rfc3339(d.occurred_at_us)},
                         {"actor_role", d.role},
                         {"actor_id", d.user_id},
                         {"action", projections::kind_name(d.kind)},
                         {"section", d.section},
                         {"reason", d.purpose}});
      answer(c3, json_response(200, dump({{"items", items}})));
    });
  });
}

void handle_access_review(const CallPtr& c) {
  if (!has_role(*c, "admin") && !has_role(*c, "auditor")) return answer(c, forbidden());
  on_views(c, [](const CallPtr& cc, ReadModelDb& db) {
    auto rows = projections::access_review(db);
    if (!rows) return answer(cc, unavailable());
    auto items = nlohmann::json::array();
    const int64_t now = cc->core->clock.now_us();
    auto dormant = projections::dormant_roles(*rows, now);
    for (const auto& g : *rows) {
      bool is_dormant = std::any_of(dormant.begin(), dormant.end(), [&](const auto& d) { return d == g; });
      items.push_back({{"kind", g.kind},
                       {"user_id", g.subject_id},
                       {g.kind == "role" ? "role" : "patient_id", g.object_id},
                       {"grant_id", g.grant_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(g.grant_id)},
                       {"granted_at", rfc3339(g.granted_at_us)},
                       {"until", opt_time(g.until_us)},
                       {"ended_at", opt_time(g.ended_at_us)},
                       {"last_used_at", opt_time(g.last_used_at_us)},
                       {"active", g.ended_at_us == 0 && (g.until_us == 0 || g.until_us > now)},
                       {"dormant", is_dormant}});
    }
    answer(cc, json_response(200, dump({{"items", items}})));
  });
}

void handle_audit_alerts(const CallPtr& c) {
  if (!has_role(*c, "auditor")) return answer(c, forbidden());
  auto q = query_of(c, {"state"});
  if (!q) return;
  const std::string* state = param(*q, "state");
  if (state != nullptr && *state != "open" && *state != "all") return answer(c, invalid_field("state", "must be open or all"));
  bool open_only = state != nullptr && *state == "open";
  on_views(c, [open_only](const CallPtr& cc, ReadModelDb& db) {
    auto rows = projections::list_alerts(db, open_only);
    if (!rows) return answer(cc, unavailable());
    auto items = nlohmann::json::array();
    for (const auto& a : *rows) items.push_back(alert_json(a));
    answer(cc, json_response(200, dump({{"items", items}})));
  });
}

void handle_audit_alert_review(const CallPtr& c) {
  if (!has_role(*c, "auditor")) return answer(c, forbidden());
  static const JsonSchema schema{{"disposition", JsonType::kString, true, 32}, {"note", JsonType::kString, false, 2000}};
  auto body = body_of(c, schema);
  if (!body) return;
  std::string disposition = (*body)["disposition"];
  if (!projections::is_disposition(disposition))
    return answer(c, invalid_field("disposition", "must be benign, true_positive or escalated"));
  std::string note = body->value("note", "");
  if (!events::is_opaque_id(c->route.param, false)) return answer(c, error_response(404, "not_found", "no such alert"));
  if (c->core->options.views.log == nullptr) return answer(c, unavailable());
  on_views(c, [disposition, note](const CallPtr& cc, ReadModelDb& db) {
    auto row = projections::find_alert(db, cc->route.param);
    if (!row) return answer(cc, unavailable());
    if (!*row) return answer(cc, error_response(404, "not_found", "no such alert"));
    if (!(*row)->disposition.empty()) return answer(cc, error_response(409, "conflict", "the alert has been reviewed"));
    events::AppendRequest req;
    req.stream_id = std::string(projections::kAlertStreamPrefix) + cc->route.param;
    req.expected_version = (*row)->version;
    req.events.push_back(events::make_pending(events::AlertReviewed{disposition, note},
                                              {cc->session.user_id, "auditor", cc->session.session_id},
                                              cc->correlation_id));
    auto r = cc->core->options.views.log->append(req);
    if (!r && r.status().code() == ErrorCode::kConflict)
      return answer(cc, error_response(409, "conflict", "the alert changed; reload it"));
    if (!r) return answer(cc, unavailable());
    answer(cc, empty_response(204));
  });
}

void handle_audit_events(const CallPtr& c) {
  if (!has_role(*c, "auditor")) return answer(c, forbidden());
  auto q = query_of(c, {"patient", "actor", "type", "from", "to", "after", "limit"});
  if (!q) return;
  projections::EventQuery eq;
  for (const auto& [name, value] : *q) {
    if (name == "patient" || name == "actor") {
      if (!events::is_opaque_id(value, false)) return answer(c, invalid_field(name, "must be an id"));
      (name == "patient" ? eq.patient_id : eq.user_id) = value;
    } else if (name == "type") {
      bool ok = !value.empty() && value.size() <= 64 && std::all_of(value.begin(), value.end(), [](char ch) {
                  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
                });
      if (!ok) return answer(c, invalid_field("type", "must be an event type name"));
      eq.type = value;
    } else if (name == "from" || name == "to") {
      int64_t t = 0;
      if (!parse_rfc3339_us(value, t)) return answer(c, invalid_field(name, "must be an RFC 3339 time"));
      (name == "from" ? eq.from_us : eq.to_us) = t;
    } else {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size()) return answer(c, invalid_field(name, "must be a whole number"));
      if (name == "after") eq.after_position = n;
      else if (n < 1 || n > 500) return answer(c, invalid_field("limit", "must be 1..500"));
      else eq.limit = static_cast<size_t>(n);
    }
  }
  on_views(c, [eq](const CallPtr& cc, ReadModelDb& db) {
    auto rows = projections::query_events(db, eq);
    if (!rows) return answer(cc, unavailable());
    auto items = nlohmann::json::array();
    for (const auto& e : *rows)
      items.push_back({{"position", e.position},
                       {"stream_id", e.stream_id},
                       {"type", e.type},
                       {"at", rfc3339(e.occurred_at_us)},
                       {"actor_id", e.user_id},
                       {"actor_role", e.role},
                       {"session_id", e.session_id},
                       {"correlation_id", e.correlation_id},
                       {"patient_id", e.patient_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.patient_id)}});
    nlohmann::json out = {{"items", items}};
    out["next_after"] = rows->size() == eq.limit ? nlohmann::json(rows->back().position) : nlohmann::json(nullptr);
    answer(cc, json_response(200, dump(out)));
  });
}

}  // namespace rxp::api
