// Breach scope (issue 8) exact against a constructed ground truth (breach_fixture.hpp): a log
// with known accesses by two users over four sessions, a DEK rotation, accesses before and
// after the window, a denial, a patient with no state of residence and 600 residents of one
// state. Every expected patient, section, field and time below is written from the fixture's
// description, not computed by the code under test.
#define BOOST_TEST_MODULE breach_scope_test
#include <boost/test/unit_test.hpp>
#include <map>
#include <set>
#include <sstream>

#include "projections/breach_scope.hpp"
#include "tests/projections/breach_fixture.hpp"

namespace {

using namespace rxp;
using namespace rxp::breachtest;
using projections::BreachQuery;
using projections::BreachScope;
using projections::PatientExposure;
using Fields = std::set<std::string>;

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += x + " ";
  return out;
}

Fields prefixed(const std::string& section, std::initializer_list<const char*> keys) {
  Fields f;
  for (const char* k : keys) f.insert(section + "." + k);
  return f;
}
Fields operator+(Fields a, const Fields& b) {
  a.insert(b.begin(), b.end());
  return a;
}

// What each section holds (the union of the payload fields of the events stored in it).
const Fields kMedications = prefixed("medications", {"medication_id", "name", "dose", "route", "frequency",
                                                     "start", "end", "confidential", "reason"});
const Fields kMedicationAdded = prefixed("medications", {"medication_id", "name", "dose", "route",
                                                         "frequency", "start", "end", "confidential"});
const Fields kPgx = prefixed("pgx", {"result_id", "gene", "diplotype", "phenotype", "recommendation"});
const Fields kAdverse = prefixed("adverse_events", {"report_id", "medication_id", "reaction", "severity", "onset"});
const Fields kDosing = prefixed("dosing", {"guidance_id", "medication_id", "guidance", "source"});
const Fields kBreakGlass = prefixed("access_grants", {"reason_code", "justification", "access_until_us"});
const Fields kViewed = prefixed("access_log", {"section", "purpose"});
const Fields kExported = prefixed("access_log", {"sections", "format"});
const Fields kDenied = prefixed("access_log", {"action", "section", "reason"});
const Fields kCreated = prefixed("demographics", {"patient_id", "birth_date", "state", "vip"});

struct Expected {
  std::string pid;
  Fields sections, fields;
  int64_t first_s = 0, last_s = 0;
  std::string state;
  bool secured = false;
};

void CheckPatients(const BreachScope& s, std::vector<Expected> want) {
  std::sort(want.begin(), want.end(), [](const Expected& a, const Expected& b) { return a.pid < b.pid; });
  BOOST_REQUIRE_EQUAL(s.patients.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const PatientExposure& p = s.patients[i];
    const Expected& w = want[i];
    BOOST_TEST_CONTEXT("patient " << w.pid) {
      BOOST_CHECK_EQUAL(p.patient_id, w.pid);
      BOOST_CHECK_EQUAL(joined(p.sections), joined(w.sections));
      BOOST_CHECK_EQUAL(joined(p.fields), joined(w.fields));
      BOOST_CHECK_EQUAL(p.first_access_us, at(w.first_s));
      BOOST_CHECK_EQUAL(p.last_access_us, at(w.last_s));
      BOOST_CHECK_EQUAL(p.state, w.state);
      BOOST_CHECK_EQUAL(p.secured, w.secured);
    }
  }
}

std::vector<Expected> Texans(Fields sections, Fields fields, bool secured, int64_t first_s = 170) {
  std::vector<Expected> out;
  for (size_t i = 0; i < kTexans; ++i) out.push_back({texan(i), sections, fields, first_s, 170, "TX", secured});
  return out;
}

std::vector<Expected> operator+(std::vector<Expected> a, const std::vector<Expected>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

BreachQuery Query(BreachQuery::By by, std::string id, int64_t from_s = 100, int64_t to_s = 200) {
  BreachQuery q;
  q.by = by;
  q.id = std::move(id);
  q.from_us = at(from_s);
  q.to_us = at(to_s);
  q.discovered_us = at(86400);
  return q;
}

using States = std::map<std::string, size_t>;

std::string joined(const States& m) {
  std::ostringstream o;
  for (const auto& [k, v] : m) o << k << "=" << v << " ";
  return o.str();
}

struct Fixture {
  Fixture() { p1_old_dek = build_breach_log(*t.log); }
  BreachScope Scope(const BreachQuery& q) {
    auto s = projections::compute_breach_scope(*t.log, q);
    BOOST_REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return s.value();
  }
  testkit::TestLog t;
  std::string p1_old_dek;
};

BOOST_FIXTURE_TEST_CASE(actor_covers_views_exports_and_writes_in_the_window_only, Fixture) {
  BreachScope s = Scope(Query(BreachQuery::By::kActor, "usr-a"));
  CheckPatients(s, std::vector<Expected>{
                       {"p1", {"medications", "pgx"}, kMedications + kPgx, 110, 160, "MA", false},
                       {"p2", {"medications", "dosing"}, kMedications + kDosing, 120, 120, "MA", false},
                       {"p3", {"medications"}, kMedicationAdded, 140, 140, "NY", false},
                       {"p4", {"dosing"}, kDosing, 145, 145, "unknown", false},
                   } + Texans({"medications"}, kMedications, false));
  BOOST_CHECK_EQUAL(joined(s.unsecured_residents_by_state),
                    joined(States{{"MA", 2}, {"NY", 1}, {"TX", 600}, {"unknown", 1}}));
  BOOST_CHECK(s.states_needing_media_notice == std::vector<std::string>{"TX"});
  BOOST_CHECK(s.hhs_notice_within_60_days);
  BOOST_CHECK_EQUAL(s.notification_deadline_us, at(86400) + 60LL * 86400 * kSecond);
}

BOOST_FIXTURE_TEST_CASE(the_window_bounds_the_accesses, Fixture) {
  BreachScope s = Scope(Query(BreachQuery::By::kActor, "usr-a", 0, 60));
  CheckPatients(s, {{"p1", {"medications"}, kMedications, 50, 50, "MA", false}});
  BOOST_CHECK(s.states_needing_media_notice.empty());
  BOOST_CHECK(!s.hhs_notice_within_60_days);
  BreachScope after = Scope(Query(BreachQuery::By::kActor, "usr-a", 201, 300));
  CheckPatients(after, {{"p5", {"medications"}, kMedications, 250, 250, "CA", false}});
  BreachScope nobody = Scope(Query(BreachQuery::By::kActor, "usr-nobody"));
  BOOST_CHECK(nobody.patients.empty());
  BOOST_CHECK(nobody.unsecured_residents_by_state.empty());
}

BOOST_FIXTURE_TEST_CASE(another_actor_and_break_glass, Fixture) {
  BreachScope s = Scope(Query(BreachQuery::By::kActor, "usr-b"));
  CheckPatients(s, {{"p1", {"adverse_events"}, kAdverse, 150, 150, "MA", false},
                    {"p5", {"access_grants"}, kBreakGlass, 155, 155, "CA", false}});
  BOOST_CHECK_EQUAL(joined(s.unsecured_residents_by_state), joined(States{{"CA", 1}, {"MA", 1}}));
}

BOOST_FIXTURE_TEST_CASE(session_restricts_to_the_stolen_token_and_skips_denials, Fixture) {
  CheckPatients(Scope(Query(BreachQuery::By::kSession, "ses-a2")),
                {{"p2", {"medications", "dosing"}, kMedications + kDosing, 120, 120, "MA", false}});
  CheckPatients(Scope(Query(BreachQuery::By::kSession, "ses-a1")),
                {{"p1", {"medications", "pgx"}, kMedications + kPgx, 110, 160, "MA", false},
                 {"p3", {"medications"}, kMedicationAdded, 140, 140, "NY", false},
                 {"p4", {"dosing"}, kDosing, 145, 145, "unknown", false}});
  BreachScope a3 = Scope(Query(BreachQuery::By::kSession, "ses-a3"));
  CheckPatients(a3, Texans({"medications"}, kMedications, false));
  BOOST_CHECK(a3.states_needing_media_notice == std::vector<std::string>{"TX"});
}

BOOST_FIXTURE_TEST_CASE(a_leaked_dek_exposes_its_events_and_the_rest_is_secured, Fixture) {
  BreachScope s = Scope(Query(BreachQuery::By::kKey, p1_old_dek));
  // p1: only the view at 110 was sealed under the old DEK; 150 and 160 are under the new one.
  CheckPatients(s, std::vector<Expected>{
                       {"p1", {"access_log"}, kViewed, 110, 110, "MA", false},
                       {"p2", {"access_log"}, kExported, 120, 120, "MA", true},
                       {"p3", {"access_log", "medications"}, kDenied + kMedicationAdded, 130, 140, "NY", true},
                       {"p4", {"access_log"}, kViewed, 145, 145, "unknown", true},
                       {"p5", {"access_grants"}, kBreakGlass, 155, 155, "CA", true},
                   } + Texans({"access_log"}, kViewed, true));
  BOOST_CHECK_EQUAL(joined(s.unsecured_residents_by_state), joined(States{{"MA", 1}}));
  BOOST_CHECK(s.states_needing_media_notice.empty());
  BOOST_CHECK(!s.hhs_notice_within_60_days);
  std::string report = projections::breach_scope_report(s);
  BOOST_CHECK(report.find("secured") != std::string::npos);
  BOOST_CHECK(report.find("p1  state MA  UNSECURED") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_leaked_kek_exposes_every_dek_it_wraps, Fixture) {
  BreachScope s = Scope(Query(BreachQuery::By::kKey, t.keys->current_kek_id(), 0, 200));
  // From 0: the creations are in the window too.
  CheckPatients(s, std::vector<Expected>{
                       {"p1", {"access_log", "demographics"}, kViewed + kCreated, 0, 160, "MA", false},
                       {"p2", {"access_log", "demographics"}, kExported + kCreated, 0, 120, "MA", false},
                       {"p3", {"access_log", "demographics", "medications"}, kDenied + kCreated + kMedicationAdded,
                        0, 140, "NY", false},
                       {"p4", {"access_log", "medications"}, kViewed + kMedicationAdded, 0, 145, "unknown", false},
                       {"p5", {"access_grants", "demographics"}, kBreakGlass + kCreated, 0, 155, "CA", false},
                   } + Texans({"access_log", "demographics"}, kViewed + kCreated, false, 0));
  BOOST_CHECK_EQUAL(joined(s.unsecured_residents_by_state),
                    joined(States{{"CA", 1}, {"MA", 2}, {"NY", 1}, {"TX", 600}, {"unknown", 1}}));
  BOOST_CHECK(s.states_needing_media_notice == std::vector<std::string>{"TX"});
  BOOST_CHECK(s.hhs_notice_within_60_days);
}

BOOST_FIXTURE_TEST_CASE(unknown_and_rotated_out_keys_are_not_found, Fixture) {
  auto unknown = projections::compute_breach_scope(*t.log, Query(BreachQuery::By::kKey, "dk-nope"));
  BOOST_CHECK(unknown.status().code() == ErrorCode::kNotFound);
  std::string old_kek = t.keys->current_kek_id();
  BOOST_REQUIRE(t.log->rotate_kek().is_ok());
  auto rotated = projections::compute_breach_scope(*t.log, Query(BreachQuery::By::kKey, old_kek));
  BOOST_CHECK(rotated.status().code() == ErrorCode::kNotFound);
  BOOST_CHECK_EQUAL(Scope(Query(BreachQuery::By::kKey, t.keys->current_kek_id())).patients.size(), 605u);
  auto bad = projections::compute_breach_scope(*t.log, Query(BreachQuery::By::kActor, "no spaces"));
  BOOST_CHECK(bad.status().code() == ErrorCode::kInvalidArgument);
  auto backwards = projections::compute_breach_scope(*t.log, Query(BreachQuery::By::kActor, "usr-a", 200, 100));
  BOOST_CHECK(backwards.status().code() == ErrorCode::kInvalidArgument);
}

BOOST_FIXTURE_TEST_CASE(a_shredded_record_counts_every_clinical_section, Fixture) {
  BOOST_REQUIRE(t.log->shred("record/p2").is_ok());
  BreachScope s = Scope(Query(BreachQuery::By::kSession, "ses-a2"));
  // The export's sections and p2's state are gone with the DEK: assume the worst.
  CheckPatients(s, {{"p2", {"adverse_events", "dosing", "medications", "pgx"},
                     kMedications + kPgx + kAdverse + kDosing, 120, 120, "unknown", false}});
}

BOOST_FIXTURE_TEST_CASE(the_scope_is_recorded_with_opaque_ids_in_the_header, Fixture) {
  BreachScope s = Scope(Query(BreachQuery::By::kActor, "usr-a"));
  auto stream = projections::record_breach_scope(*t.log, s, events::Principal{"usr-auditor", "auditor", "ses-x"});
  BOOST_REQUIRE_MESSAGE(stream.is_ok(), stream.status().to_string());
  BOOST_CHECK(stream->starts_with("investigation/inv-"));
  BOOST_CHECK(stream->find("inv--") == std::string::npos);
  BOOST_CHECK(events::is_valid_stream_id(*stream));
  auto events = t.log->read_stream(*stream);
  BOOST_REQUIRE(events.is_ok());
  BOOST_REQUIRE_EQUAL(events->size(), 1u);
  const auto& e = events->front();
  BOOST_CHECK_EQUAL(e.header.type, "BreachScopeComputed");
  BOOST_CHECK_EQUAL(e.header.principal.user_id, "usr-auditor");
  const auto* p = std::get_if<events::BreachScopeComputed>(&*e.payload);
  BOOST_REQUIRE(p != nullptr);
  BOOST_CHECK_EQUAL(p->by, "actor");
  BOOST_CHECK_EQUAL(p->subject_id, "usr-a");
  BOOST_CHECK_EQUAL(p->unsecured_patient_ids.size(), 604u);
  BOOST_CHECK_EQUAL(p->secured_patients, 0u);
  BOOST_CHECK(p->hhs_notice);
  BOOST_CHECK(p->media_notice_states == std::vector<std::string>{"TX"});
  BOOST_CHECK_EQUAL(p->notification_deadline_us, s.notification_deadline_us);
  // The JSON form carries the same facts.
  auto j = projections::breach_scope_json(s);
  BOOST_CHECK_EQUAL(j.at("patients").size(), 604u);
  BOOST_CHECK_EQUAL(j.at("unsecured_patients").get<size_t>(), 604u);
  BOOST_CHECK_EQUAL(j.at("unsecured_residents_by_state").at("TX").get<size_t>(), 600u);
  BOOST_CHECK_EQUAL(j.at("hhs_notice_within_60_days").get<bool>(), true);
}

}  // namespace
