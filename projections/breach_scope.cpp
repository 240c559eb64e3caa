#include "projections/breach_scope.hpp"

#include <algorithm>
#include <sstream>
#include <string_view>
#include <utility>

#include "events/event_json.hpp"
#include "events/keyring.hpp"
#include "events/scan.hpp"
#include "infra/clock.hpp"

namespace rxp::projections {
namespace {

constexpr std::string_view kRecordPrefix = "record/";
const std::vector<std::string> kClinicalSections = {"medications", "pgx", "adverse_events", "dosing"};

// The section of the record each record event type stores its data in.
const std::map<std::string, std::string, std::less<>>& section_of_type() {
  static const std::map<std::string, std::string, std::less<>> table = {
      {events::RecordCreated::kType, "demographics"},
      {events::MedicationAdded::kType, "medications"},
      {events::MedicationChanged::kType, "medications"},
      {events::MedicationDiscontinued::kType, "medications"},
      {events::PgxResultRecorded::kType, "pgx"},
      {events::AdverseEventReported::kType, "adverse_events"},
      {events::DosingGuidanceRecorded::kType, "dosing"},
      {events::RecordViewed::kType, "access_log"},
      {events::RecordExported::kType, "access_log"},
      {events::AccessDenied::kType, "access_log"},
      {events::CareRelationshipAdded::kType, "access_grants"},
      {events::CareRelationshipEnded::kType, "access_grants"},
      {events::ProxyGranted::kType, "access_grants"},
      {events::ProxyRevoked::kType, "access_grants"},
      {events::BreakGlassInvoked::kType, "access_grants"},
  };
  return table;
}

// The payload field names of every event type, from its JSON schema (a default value's keys).
template <size_t... I>
std::map<std::string, std::vector<std::string>, std::less<>> payload_keys(std::index_sequence<I...>) {
  std::map<std::string, std::vector<std::string>, std::less<>> out;
  auto add = [&](const events::DomainEvent& e, const char* type) {
    std::vector<std::string> keys;
    nlohmann::json j = events::payload_to_json(e);
    if (j.is_object())
      for (const auto& [k, v] : j.items()) keys.push_back(k);
    out[type] = std::move(keys);
  };
  (add(events::DomainEvent(std::variant_alternative_t<I, events::DomainEvent>{}),
       std::variant_alternative_t<I, events::DomainEvent>::kType),
   ...);
  return out;
}

const std::map<std::string, std::vector<std::string>, std::less<>>& keys_of_type() {
  static const auto table =
      payload_keys(std::make_index_sequence<std::variant_size_v<events::DomainEvent>>{});
  return table;
}

// Every field a section holds: the fields of each event type stored in it.
const std::map<std::string, std::set<std::string>>& fields_of_section() {
  static const std::map<std::string, std::set<std::string>> table = [] {
    std::map<std::string, std::set<std::string>> t;
    for (const auto& [type, section] : section_of_type()) {
      auto it = keys_of_type().find(type);
      if (it == keys_of_type().end()) continue;
      for (const auto& k : it->second) t[section].insert(section + "." + k);
    }
    return t;
  }();
  return table;
}

void add_section(PatientExposure& p, const std::string& section) {
  auto it = fields_of_section().find(section);
  if (it == fields_of_section().end()) return;  // not a section of the record: nothing to add
  p.sections.insert(section);
  p.fields.insert(it->second.begin(), it->second.end());
}

// What an event stores: its type's section and every field of its payload schema.
void add_stored(PatientExposure& p, const std::string& type) {
  auto s = section_of_type().find(type);
  auto k = keys_of_type().find(type);
  if (s == section_of_type().end() || k == keys_of_type().end()) return;
  p.sections.insert(s->second);
  for (const auto& key : k->second) p.fields.insert(s->second + "." + key);
}

// What an actor's or session's event gave the intruder: the sections a view or export
// disclosed (every clinical section when the payload is shredded), else what the event stored.
void add_disclosed(PatientExposure& p, const events::RecordedEvent& e) {
  const std::string& type = e.header.type;
  if (type == events::RecordViewed::kType || type == events::RecordExported::kType) {
    if (!e.payload) {
      for (const auto& s : kClinicalSections) add_section(p, s);
    } else if (const auto* v = std::get_if<events::RecordViewed>(&*e.payload)) {
      add_section(p, v->section);
    } else if (const auto* x = std::get_if<events::RecordExported>(&*e.payload)) {
      for (const auto& s : x->sections) add_section(p, s);
    }
    return;
  }
  add_stored(p, type);
}

void touch(PatientExposure& p, int64_t t) {
  if (p.first_access_us == 0 && p.last_access_us == 0) {
    p.first_access_us = p.last_access_us = t;
    return;
  }
  p.first_access_us = std::min(p.first_access_us, t);
  p.last_access_us = std::max(p.last_access_us, t);
}

bool matches_principal(const BreachQuery& q, const events::EventHeader& h) {
  if (q.by == BreachQuery::By::kActor) return h.principal.user_id == q.id;
  if (q.by == BreachQuery::By::kSession) return h.principal.session_id == q.id;
  return false;
}

std::string us_text(int64_t us) { return format_rfc3339_us(us); }

}  // namespace

const char* by_name(BreachQuery::By by) {
  switch (by) {
    case BreachQuery::By::kActor: return "actor";
    case BreachQuery::By::kKey: return "key";
    case BreachQuery::By::kSession: return "session";
  }
  return "actor";
}

BreachScope breach_scope_of(const std::vector<events::RecordedEvent>& record_events,
                            const BreachQuery& q, const std::set<std::string>& compromised_deks) {
  std::map<std::string, std::string> residence;  // patient -> state
  std::map<std::string, PatientExposure> exposed, secured;
  for (const auto& e : record_events) {
    const events::EventHeader& h = e.header;
    if (!std::string_view(h.stream_id).starts_with(kRecordPrefix)) continue;
    const std::string pid = h.stream_id.substr(kRecordPrefix.size());
    if (e.payload)
      if (const auto* c = std::get_if<events::RecordCreated>(&*e.payload)) residence[pid] = c->state;
    if (h.occurred_at_us < q.from_us || h.occurred_at_us > q.to_us) continue;
    if (q.by == BreachQuery::By::kKey) {
      bool open = compromised_deks.count(h.key_id) > 0;
      PatientExposure& p = (open ? exposed : secured)[pid];
      add_stored(p, h.type);
      touch(p, h.occurred_at_us);
      continue;
    }
    if (!matches_principal(q, h) || h.type == events::AccessDenied::kType) continue;
    PatientExposure& p = exposed[pid];
    add_disclosed(p, e);
    touch(p, h.occurred_at_us);
  }

  BreachScope s;
  s.query = q;
  s.notification_deadline_us = q.discovered_us + kNotificationWindowUs;
  auto finish = [&](std::map<std::string, PatientExposure>& from, bool is_secured) {
    for (auto& [pid, p] : from) {
      if (is_secured && exposed.count(pid)) continue;  // exposed by another event
      p.patient_id = pid;
      auto r = residence.find(pid);
      p.state = (r == residence.end() || r->second.empty()) ? "unknown" : r->second;
      p.secured = is_secured;
      if (!is_secured) ++s.unsecured_residents_by_state[p.state];
      s.patients.push_back(std::move(p));
    }
  };
  finish(exposed, false);
  finish(secured, true);
  std::sort(s.patients.begin(), s.patients.end(),
            [](const PatientExposure& a, const PatientExposure& b) { return a.patient_id < b.patient_id; });
  size_t unsecured = 0;
  for (const auto& [state, n] : s.unsecured_residents_by_state) {
    unsecured += n;
    if (n >= kMediaNoticeThreshold && state != "unknown") s.states_needing_media_notice.push_back(state);
  }
  s.hhs_notice_within_60_days = unsecured >= kHhsImmediateThreshold;
  return s;
}

Result<BreachScope> compute_breach_scope(events::EventLog& log, const BreachQuery& q) {
  if (q.id.empty() || !events::is_opaque_id(q.id, false))
    return Status(ErrorCode::kInvalidArgument, "the breach id must be an opaque id");
  if (q.to_us < q.from_us) return Status(ErrorCode::kInvalidArgument, "from is after to");
  std::vector<events::RecordedEvent> events;
  std::set<std::string> key_ids;
  Status scanned = events::scan_stored_events(log.store(), 0, [&](const events::RawEvent& raw) {
    if (!std::string_view(raw.stream_id).starts_with(kRecordPrefix)) return Status::ok();
    auto e = log.open(raw);  // hash-checked, authenticated, decoded
    if (!e) return e.status();
    key_ids.insert(e->header.key_id);
    events.push_back(std::move(e.value()));
    return Status::ok();
  });
  if (!scanned) return scanned;
  std::set<std::string> compromised;
  if (q.by == BreachQuery::By::kKey) {
    bool known = false;
    for (const auto& dek_id : key_ids) {
      if (dek_id == q.id) {
        compromised.insert(dek_id);
        known = true;
        continue;
      }
      auto dek = log.store().find_dek(dek_id);
      if (!dek) return dek.status();
      if (dek->has_value() && (*dek)->kek_id == q.id) {
        compromised.insert(dek_id);
        known = true;
      }
    }
    if (!known)
      return Status(ErrorCode::kNotFound,
                    "the key id is neither a DEK of a record stream nor the KEK wrapping one");
  }
  return breach_scope_of(events, q, compromised);
}

Result<std::string> record_breach_scope(events::EventLog& log, const BreachScope& scope,
                                        const events::Principal& investigator) {
  events::BreachScopeComputed e;
  e.by = by_name(scope.query.by);
  e.subject_id = scope.query.id;
  e.from_us = scope.query.from_us;
  e.to_us = scope.query.to_us;
  e.discovered_us = scope.query.discovered_us;
  e.notification_deadline_us = scope.notification_deadline_us;
  for (const auto& p : scope.patients) {
    if (p.secured)
      ++e.secured_patients;
    else
      e.unsecured_patient_ids.push_back(p.patient_id);
  }
  e.hhs_notice = scope.hhs_notice_within_60_days;
  e.media_notice_states = scope.states_needing_media_notice;
  const std::string stream = "investigation/" + events::random_id("inv");
  events::AppendRequest req;
  req.stream_id = stream;
  req.expected_version = 0;
  req.events.push_back(events::make_pending(e, investigator));
  auto r = log.append(req);
  if (!r) return r.status();
  return stream;
}

nlohmann::json breach_scope_json(const BreachScope& s) {
  nlohmann::json patients = nlohmann::json::array();
  size_t unsecured = 0;
  for (const auto& p : s.patients) {
    if (!p.secured) ++unsecured;
    patients.push_back({{"patient_id", p.patient_id},
                        {"state", p.state},
                        {"secured", p.secured},
                        {"sections", p.sections},
                        {"fields", p.fields},
                        {"first_access", us_text(p.first_access_us)},
                        {"last_access", us_text(p.last_access_us)}});
  }
  return {{"query",
           {{"by", by_name(s.query.by)},
            {"id", s.query.id},
            {"from", us_text(s.query.from_us)},
            {"to", us_text(s.query.to_us)},
            {"discovered", us_text(s.query.discovered_us)}}},
          {"patients", patients},
          {"patients_total", s.patients.size()},
          {"unsecured_patients", unsecured},
          {"secured_patients", s.patients.size() - unsecured},
          {"notification_deadline", us_text(s.notification_deadline_us)},
          {"unsecured_residents_by_state", s.unsecured_residents_by_state},
          {"states_needing_media_notice", s.states_needing_media_notice},
          {"hhs_notice_within_60_days", s.hhs_notice_within_60_days}};
}

std::string breach_scope_report(const BreachScope& s) {
  std::ostringstream o;
  size_t unsecured = 0;
  for (const auto& p : s.patients) unsecured += p.secured ? 0 : 1;
  o << "Breach scope: " << by_name(s.query.by) << " " << s.query.id << "\n"
    << "Window: " << us_text(s.query.from_us) << " to " << us_text(s.query.to_us) << "\n"
    << "Discovered: " << us_text(s.query.discovered_us) << "\n"
    << "Notify individuals by: " << us_text(s.notification_deadline_us)
    << " (60 days from discovery)\n\n";
  switch (s.query.by) {
    case BreachQuery::By::kActor:
      o << "What this user viewed, exported or changed in the window was read in clear by whoever\n"
           "used the account: all of it is unsecured.\n";
      break;
    case BreachQuery::By::kSession:
      o << "What was viewed, exported or changed through this session in the window was read in\n"
           "clear by whoever held the token: all of it is unsecured.\n";
      break;
    case BreachQuery::By::kKey:
      o << "Events of the window sealed under the leaked key (a DEK, or every DEK its KEK wraps)\n"
           "are readable by whoever holds it: every field they store is unsecured. Patients whose\n"
           "events of the window are all sealed under other keys stay encrypted with keys that\n"
           "were not compromised: they are listed as secured and need no notice. Only events\n"
           "that occurred in the window count: to cover everything ever sealed under the key,\n"
           "start the window at the key's creation.\n";
      break;
  }
  o << "\nPatients: " << s.patients.size() << " (" << unsecured << " unsecured, "
    << s.patients.size() - unsecured << " secured)\n";
  o << "Unsecured residents by state:";
  if (s.unsecured_residents_by_state.empty()) o << " none";
  for (const auto& [state, n] : s.unsecured_residents_by_state) o << " " << state << "=" << n;
  o << "\n";
  o << "HHS: " << (s.hhs_notice_within_60_days
                       ? "notify within 60 days of discovery (500 or more unsecured)"
                       : "log for the annual report (fewer than 500 unsecured)")
    << "\n";
  o << "Media notice:";
  if (s.states_needing_media_notice.empty()) o << " none (no state has 500 or more unsecured residents)";
  for (const auto& st : s.states_needing_media_notice) o << " " << st;
  o << "\n";
  if (s.unsecured_residents_by_state.count("unknown"))
    o << "Note: some unsecured patients have no recorded state of residence (\"unknown\").\n";
  o << "\n";
  for (const auto& p : s.patients) {
    o << p.patient_id << "  state " << p.state << "  " << (p.secured ? "secured" : "UNSECURED")
      << "  first " << us_text(p.first_access_us) << "  last " << us_text(p.last_access_us) << "\n";
    o << "  sections:";
    for (const auto& x : p.sections) o << " " << x;
    o << "\n  fields:";
    for (const auto& x : p.fields) o << " " << x;
    o << "\n";
  }
  return o.str();
}

}  // namespace rxp::projections
