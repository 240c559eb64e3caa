// Breach scope (issue 8): whom a breach exposes, what of their records, and which notices are
// due by when (HIPAA breach notification: 60 days from discovery; HHS at the same time and the
// media of a state when 500 or more of its residents are affected).
//
// Three kinds of breach, one question each:
// - By::kActor (a user's account was misused): every record/<patient> event in [from, to] whose
//   principal is that user, except denials (nothing was disclosed or changed): views and
//   exports disclose their sections; break-glass and writes expose what they stored.
// - By::kSession (a stolen session token): the same, restricted to that principal session.
// - By::kKey (a DEK or a KEK leaked): every record event in [from, to] sealed under that DEK, or
//   under a DEK now wrapped by that KEK, is readable by whoever holds the key: all its fields
//   are exposed. Record events of the window sealed under other keys stay encrypted with an
//   uncompromised key: their patients are listed as secured (HHS guidance: such data is not
//   "unsecured PHI" and needs no notice) unless another of their events is exposed.
// What actor and session breaches disclose was read in clear by the intruder: unsecured.
//
// Fields are named "<section>.<payload field>" from the event schemas (events/event_json), so
// a view of a section lists every field that section holds; sections are the record's
// (medications, pgx, adverse_events, dosing, access_log) plus demographics (RecordCreated) and
// access_grants (care relationships, proxies, break-glass). An event whose payload is shredded
// counts with what its type stores; a shredded view or export, with every clinical section.
// The state of residence comes from the patient's RecordCreated (any time; "unknown" if absent
// or shredded); only unsecured patients count toward the 500 thresholds.
//
// breach_scope_of() is the pure core; compute_breach_scope() reads every record/* event of the
// log (each hash-checked and authenticated) and resolves the key. Thread-safety: as EventLog.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event_log.hpp"

namespace rxp::projections {

struct BreachQuery {
  enum class By { kActor, kKey, kSession } by = By::kActor;
  std::string id;  // user id, key id (DEK or KEK) or session id
  int64_t from_us = 0, to_us = 0, discovered_us = 0;
};

struct PatientExposure {
  std::string patient_id;
  std::set<std::string> sections;
  std::set<std::string> fields;
  int64_t first_access_us = 0, last_access_us = 0;
  std::string state;  // two-letter residence code, or "unknown"
  bool secured = false;
  bool operator==(const PatientExposure&) const = default;
};

struct BreachScope {
  BreachQuery query;
  std::vector<PatientExposure> patients;  // sorted by patient id
  int64_t notification_deadline_us = 0;   // discovered + 60 days
  std::map<std::string, size_t> unsecured_residents_by_state;
  std::vector<std::string> states_needing_media_notice;  // >= 500 unsecured residents
  bool hhs_notice_within_60_days = false;                 // >= 500 unsecured in total
};

inline constexpr int64_t kNotificationWindowUs = 60LL * 24 * 3600 * 1000000;
inline constexpr size_t kMediaNoticeThreshold = 500;
inline constexpr size_t kHhsImmediateThreshold = 500;

const char* by_name(BreachQuery::By by);  // "actor" | "key" | "session"

// The pure core. `record_events`: events of record/* streams (any order; others are ignored),
// all of them, not only the window's (RecordCreated gives the state of residence).
// `compromised_deks`: for By::kKey, the DEK ids the leaked key opens (ignored otherwise).
BreachScope breach_scope_of(const std::vector<events::RecordedEvent>& record_events,
                            const BreachQuery& q, const std::set<std::string>& compromised_deks);

// Reads the log. kInvalidArgument for an empty or non-opaque id or to < from; kNotFound for a
// key id that is neither a DEK of a record stream nor the KEK wrapping one. A KEK destroyed by
// rotation no longer wraps any DEK: use the DEK ids it wrapped.
Result<BreachScope> compute_breach_scope(events::EventLog& log, const BreachQuery& q);

// Records the computed scope as BreachScopeComputed in a new investigation/<id> stream (the
// clear header holds opaque ids only). Returns the stream id.
Result<std::string> record_breach_scope(events::EventLog& log, const BreachScope& scope,
                                        const events::Principal& investigator);

nlohmann::json breach_scope_json(const BreachScope& scope);
std::string breach_scope_report(const BreachScope& scope);

}  // namespace rxp::projections
