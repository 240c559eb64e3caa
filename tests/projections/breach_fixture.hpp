// A log with a known set of accesses, for breach-scope tests (library and command line).
//
// Times are seconds after kT0 (2025-12-04T00:00:00Z). The window the tests ask about is
// [kT0+100 s, kT0+200 s]. Patients and what happens to them:
//   p1 (MA): created at 0; usr-a/ses-a1 views medications at 50 (before the window), pgx at
//            110; its DEK is rotated after 115; usr-b/ses-b1 views adverse_events at 150;
//            usr-a/ses-a1 views medications at 160.
//   p2 (MA): created at 0; usr-a/ses-a2 exports medications and dosing at 120.
//   p3 (NY): created at 0; usr-a/ses-a2 is denied at 130; usr-a/ses-a1 adds a medication at 140.
//   p4 (no RecordCreated: state unknown): a medication added by usr-admin at 0; usr-a/ses-a1
//            views dosing at 145.
//   p5 (CA): created at 0; usr-b/ses-b1 breaks the glass at 155; usr-a/ses-a1 views
//            medications at 250 (after the window).
//   tx-0000 .. tx-0599 (TX, 600 patients): created at 0 in one batch (the fast path: one
//            append_batch, no actors); usr-a/ses-a3 views medications of each at 170.
// Every creation and the p4 medication are by usr-admin (session ses-admin).
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "events/event_log.hpp"
#include "tests/testkit/testkit.hpp"

namespace rxp::breachtest {

inline constexpr int64_t kT0 = 1764806400000000;  // 2025-12-04T00:00:00Z
inline constexpr int64_t kSecond = 1000000;
inline constexpr size_t kTexans = 600;

inline int64_t at(int64_t seconds) { return kT0 + seconds * kSecond; }

inline std::string texan(size_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "tx-%04zu", i);
  return buf;
}

inline events::PendingEvent pending(const events::DomainEvent& e, const char* user, const char* session,
                                    int64_t seconds) {
  events::PendingEvent p = events::make_pending(e, events::Principal{user, "clinician", session}, "corr-breach");
  p.occurred_at_us = at(seconds);
  return p;
}

inline void append(events::EventLog& log, const std::string& pid, const events::DomainEvent& e,
                   const char* user, const char* session, int64_t seconds) {
  auto r = log.append({"record/" + pid, events::kAnyVersion, {pending(e, user, session, seconds)}});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
}

inline events::RecordCreated created(const std::string& pid, const char* state) {
  return events::RecordCreated{pid, "1970-01-01", state, false};
}

inline events::MedicationAdded a_medication() {
  return events::MedicationAdded{"med-1", "warfarin", "5 mg", "oral", "daily", "2025-01-01", "", false};
}

// Builds the log above. Returns p1's DEK id before its rotation (the DEK tests leak).
inline std::string build_breach_log(events::EventLog& log) {
  const char* admin = "usr-admin";
  for (auto [pid, state] : {std::pair{"p1", "MA"}, std::pair{"p2", "MA"}, std::pair{"p3", "NY"},
                            std::pair{"p5", "CA"}})
    append(log, pid, created(pid, state), admin, "ses-admin", 0);
  append(log, "p4", a_medication(), admin, "ses-admin", 0);
  std::vector<events::AppendRequest> batch;
  for (size_t i = 0; i < kTexans; ++i)
    batch.push_back({"record/" + texan(i), 0, {pending(created(texan(i), "TX"), admin, "ses-admin", 0)}});
  for (auto& r : log.append_batch(batch)) BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());

  append(log, "p1", events::RecordViewed{"medications", "treatment"}, "usr-a", "ses-a1", 50);
  append(log, "p1", events::RecordViewed{"pgx", "treatment"}, "usr-a", "ses-a1", 110);
  auto p1 = log.read_stream("record/p1");
  BOOST_REQUIRE(p1.is_ok());
  std::string p1_old_dek = p1->back().header.key_id;
  BOOST_REQUIRE(log.rotate_dek("record/p1").is_ok());
  append(log, "p2", events::RecordExported{{"medications", "dosing"}, "json"}, "usr-a", "ses-a2", 120);
  append(log, "p3", events::AccessDenied{"record.pgx.read", "pgx", "no_care_relationship"}, "usr-a", "ses-a2", 130);
  append(log, "p3", a_medication(), "usr-a", "ses-a1", 140);
  append(log, "p4", events::RecordViewed{"dosing", "treatment"}, "usr-a", "ses-a1", 145);
  append(log, "p1", events::RecordViewed{"adverse_events", "treatment"}, "usr-b", "ses-b1", 150);
  append(log, "p5", events::BreakGlassInvoked{"emergency", "unconscious patient in the ED", at(3755)}, "usr-b",
         "ses-b1", 155);
  append(log, "p1", events::RecordViewed{"medications", "treatment"}, "usr-a", "ses-a1", 160);
  batch.clear();
  for (size_t i = 0; i < kTexans; ++i)
    batch.push_back({"record/" + texan(i), events::kAnyVersion,
                     {pending(events::RecordViewed{"medications", "treatment"}, "usr-a", "ses-a3", 170)}});
  for (auto& r : log.append_batch(batch)) BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  append(log, "p5", events::RecordViewed{"medications", "treatment"}, "usr-a", "ses-a1", 250);
  return p1_old_dek;
}

}  // namespace rxp::breachtest
