// The record aggregate's deciders, without actors or I/O.
#define BOOST_TEST_MODULE record
#include <boost/test/unit_test.hpp>

#include "actors/record.hpp"
#include "actors/record_snapshot.hpp"

#include "tests/actors/subjects.hpp"

using namespace rxp;
using rxp::testkit::who;
using namespace rxp::record;
using policy::Role;
using policy::Section;

namespace {

constexpr int64_t kNow = 1781524800000000;  // 2026-06-15T12:00:00Z
constexpr int64_t kMinute = 60'000'000;

// Runs decide and applies its events, as the actor would after a durable append.
Decided run(RecordState& st, const RecordCommand& c, const policy::Subject& s, int64_t now = kNow) {
  Decided d = decide(st, "pt-1", c, s, now);
  for (const auto& e : d.events) {
    events::EventHeader h;
    h.version = st.version + 1;
    h.principal.user_id = s.user_id;
    apply(st, h, e);
  }
  return d;
}

AddMedication med(std::string id, std::string name, bool confidential = false) {
  events::MedicationAdded m;
  m.medication_id = std::move(id);
  m.name = std::move(name);
  m.confidential = confidential;
  return AddMedication{m};
}

RecordState adult_record_with_care() {
  RecordState st;
  auto admin = who("adm", Role::kAdmin);
  BOOST_REQUIRE(run(st, CreateRecord{"1980-01-01", "MA", false}, admin).outcome == Outcome::kOk);
  BOOST_REQUIRE(run(st, AddCareRelationship{"doc", 0}, admin).outcome == Outcome::kOk);
  return st;
}

}  // namespace

BOOST_AUTO_TEST_CASE(clinician_in_care_adds_medication_and_view_records_a_disclosure) {
  RecordState st = adult_record_with_care();
  auto doc = who("doc", Role::kClinician);
  events::MedicationAdded m{"med-1", "warfarin", "5 mg", "oral", "daily", "2026-06-01", "", false};
  Decided add = run(st, AddMedication{m}, doc);
  BOOST_CHECK(add.outcome == Outcome::kOk);
  BOOST_REQUIRE_EQUAL(st.medications.size(), 1u);
  Decided view = run(st, ViewSection{Section::kMedications, "treatment"}, doc);
  BOOST_CHECK(view.outcome == Outcome::kOk);
  BOOST_REQUIRE_EQUAL(view.events.size(), 1u);
  const auto& viewed = std::get<events::RecordViewed>(view.events[0]);
  BOOST_CHECK_EQUAL(viewed.section, "medications");
  BOOST_CHECK_EQUAL(viewed.purpose, "treatment");
  BOOST_CHECK_EQUAL(view_of(st, Section::kMedications, view.decision).medications.size(), 1u);
}

BOOST_AUTO_TEST_CASE(every_denial_is_an_access_denied_event_without_phi) {
  RecordState st = adult_record_with_care();
  auto stranger = who("doc2", Role::kClinician);
  Decided d = run(st, ViewSection{Section::kMedications, "treatment"}, stranger);
  BOOST_CHECK(d.outcome == Outcome::kForbidden);
  BOOST_REQUIRE_EQUAL(d.events.size(), 1u);
  const auto& denied = std::get<events::AccessDenied>(d.events[0]);
  BOOST_CHECK_EQUAL(denied.action, "record.medications.read");
  BOOST_CHECK_EQUAL(denied.section, "medications");
  BOOST_CHECK_EQUAL(denied.reason, "no_care_relationship");
}

BOOST_AUTO_TEST_CASE(unknown_record_answers_like_a_forbidden_one) {
  RecordState empty;
  auto doc = who("doc", Role::kClinician);
  Decided unknown = decide(empty, "pt-x", ViewSection{Section::kMedications, "treatment"}, doc, kNow);
  RecordState st = adult_record_with_care();
  Decided forbidden = decide(st, "pt-1", ViewSection{Section::kMedications, "treatment"},
                             who("doc2", Role::kClinician), kNow);
  BOOST_CHECK(unknown.outcome == forbidden.outcome);
  BOOST_CHECK(unknown.outcome == Outcome::kForbidden);
}

BOOST_AUTO_TEST_CASE(bad_commands_are_typed_errors_naming_the_field) {
  RecordState st = adult_record_with_care();
  auto doc = who("doc", Role::kClinician);
  auto patient = who("pat", Role::kPatient, "pt-1");
  patient.step_up_at_us = kNow - kMinute;
  BOOST_CHECK_EQUAL(run(st, med("", "x"), doc).reason, "medication_id");
  BOOST_CHECK_EQUAL(run(st, med("med-2", ""), doc).reason, "name");
  events::MedicationDiscontinued stop;
  stop.medication_id = "med-404";
  BOOST_CHECK_EQUAL(run(st, DiscontinueMedication{stop}, doc).reason, "medication_id");
  events::ProxyGranted past{"gr-1", "usr-p", {"medications"}, kNow - 1, true};
  Decided g = run(st, GrantProxy{past}, patient);
  BOOST_CHECK(g.outcome == Outcome::kInvalid);
  BOOST_CHECK_EQUAL(g.reason, "expires_at");
  BOOST_CHECK(g.events.empty());
  events::ProxyGranted bad_scope{"gr-1", "usr-p", {"everything"}, kNow + kMinute, true};
  BOOST_CHECK_EQUAL(run(st, GrantProxy{bad_scope}, patient).reason, "scope");
  auto other = who("doc9", Role::kClinician);
  BOOST_CHECK_EQUAL(run(st, InvokeBreakGlass{"emergency", "too short", kMinute}, other).reason, "justification");
  BOOST_CHECK_EQUAL(run(st, InvokeBreakGlass{"emergency", std::string(30, 'j'), 61 * kMinute}, other).reason, "duration");
  BOOST_CHECK_EQUAL(run(st, CreateRecord{"1980-01-01", "MA", false}, who("adm", Role::kAdmin)).outcome == Outcome::kConflict, true);
  RecordState fresh;
  BOOST_CHECK_EQUAL(run(fresh, CreateRecord{"1980-13-01", "MA", false}, who("adm", Role::kAdmin)).reason, "birth_date");
}

BOOST_AUTO_TEST_CASE(break_glass_grants_scoped_time_limited_access_and_is_an_event) {
  RecordState st = adult_record_with_care();
  auto er_doc = who("doc9", Role::kClinician);
  BOOST_CHECK(run(st, ViewSection{Section::kMedications, "treatment"}, er_doc).outcome == Outcome::kForbidden);
  Decided bg = run(st, InvokeBreakGlass{"emergency", "unconscious in ED, anticoagulant status?", 30 * kMinute}, er_doc);
  BOOST_REQUIRE(bg.outcome == Outcome::kOk);
  BOOST_CHECK(std::holds_alternative<events::BreakGlassInvoked>(bg.events.at(0)));
  Decided view = run(st, ViewSection{Section::kMedications, "treatment"}, er_doc);
  BOOST_CHECK(view.outcome == Outcome::kOk);
  BOOST_CHECK_EQUAL(std::get<events::RecordViewed>(view.events[0]).purpose, "emergency");
  // Writes are not part of emergency access, and it ends on time.
  BOOST_CHECK(run(st, med("med-9", "x"), er_doc).outcome == Outcome::kForbidden);
  BOOST_CHECK(run(st, ViewSection{Section::kMedications, "treatment"}, er_doc, kNow + 31 * kMinute).outcome == Outcome::kForbidden);
}

BOOST_AUTO_TEST_CASE(parent_proxy_of_an_adolescent_does_not_see_confidential_medications) {
  RecordState st;
  auto admin = who("adm", Role::kAdmin);
  run(st, CreateRecord{"2011-03-01", "MA", false}, admin);  // 15 at kNow
  run(st, AddCareRelationship{"doc", 0}, admin);
  auto doc = who("doc", Role::kClinician);
  run(st, med("med-1", "amoxicillin"), doc);
  run(st, med("med-2", "contraceptive", true), doc);
  events::ProxyGranted grant{"gr-1", "parent", {"medications"}, kNow + 100 * kMinute, true};
  BOOST_REQUIRE(run(st, GrantProxy{grant}, admin).outcome == Outcome::kStepUpRequired);
  admin.step_up_at_us = kNow;
  BOOST_REQUIRE(run(st, GrantProxy{grant}, admin).outcome == Outcome::kOk);
  auto parent = who("parent", Role::kProxy);
  Decided v = run(st, ViewSection{Section::kMedications, "caregiving"}, parent);
  BOOST_REQUIRE(v.outcome == Outcome::kOk);
  auto shown = view_of(st, Section::kMedications, v.decision).medications;
  BOOST_REQUIRE_EQUAL(shown.size(), 1u);
  BOOST_CHECK_EQUAL(shown[0].id, "med-1");
  BOOST_CHECK_EQUAL(view_of(st, Section::kMedications, run(st, ViewSection{}, doc).decision).medications.size(), 2u);
}

BOOST_AUTO_TEST_CASE(snapshot_round_trips_the_whole_state_and_refuses_what_it_cannot_read) {
  RecordState st = adult_record_with_care();
  auto doc = who("doc", Role::kClinician);
  run(st, med("med-1", "warfarin", true), doc);
  run(st, RecordPgx{{"pgx-1", "CYP2C9", "*1/*3", "IM", "reduce dose"}}, doc);
  run(st, RecordDosingGuidance{{"dg-1", "med-1", "start 2.5 mg", "CPIC"}}, doc);
  run(st, ReportAdverseEvent{{"ae-1", "med-1", "bruising", "mild", "2026-06-01"}}, doc);
  auto er = who("doc9", Role::kClinician);
  run(st, InvokeBreakGlass{"emergency", "unconscious in ED, anticoagulant status?", kMinute}, er);
  Bytes snap = encode_snapshot(st);
  auto back = decode_snapshot(kSnapshotSchema, snap);
  BOOST_REQUIRE(back.is_ok());
  BOOST_CHECK(back.value() == st);
  BOOST_CHECK(decode_snapshot(kSnapshotSchema + 1, snap).status().code() == ErrorCode::kUnknownType);
  for (size_t n : {size_t{0}, snap.size() / 2, snap.size() - 1})
    BOOST_CHECK(!decode_snapshot(kSnapshotSchema, BytesView(snap.data(), n)).is_ok());
  snap.push_back(0);
  BOOST_CHECK(!decode_snapshot(kSnapshotSchema, snap).is_ok());
}

BOOST_AUTO_TEST_CASE(export_discloses_every_clinical_section_and_other_commands_nothing) {
  RecordState st = adult_record_with_care();
  auto doc = who("doc", Role::kClinician);
  doc.step_up_at_us = kNow;
  run(st, med("med-1", "warfarin"), doc);
  run(st, RecordPgx{{"pgx-1", "CYP2C9", "*1/*3", "IM", "reduce dose"}}, doc);
  run(st, RecordDosingGuidance{{"dg-1", "med-1", "start 2.5 mg", "CPIC"}}, doc);
  run(st, ReportAdverseEvent{{"ae-1", "med-1", "bruising", "mild", "2026-06-01"}}, doc);
  Decided ex = run(st, ExportRecord{"json"}, doc);
  BOOST_REQUIRE(ex.outcome == Outcome::kOk);
  BOOST_CHECK(std::holds_alternative<events::RecordExported>(ex.events.at(0)));
  SectionView all = disclosed(st, ExportRecord{"json"}, ex.decision);
  BOOST_CHECK_EQUAL(all.medications.size(), 1u);
  BOOST_CHECK_EQUAL(all.pgx.size(), 1u);
  BOOST_CHECK_EQUAL(all.dosing.size(), 1u);
  BOOST_CHECK_EQUAL(all.adverse_events.size(), 1u);
  SectionView none = disclosed(st, med("med-2", "x"), ex.decision);
  BOOST_CHECK(none.medications.empty() && none.pgx.empty() && none.dosing.empty());
  SectionView pgx_only = disclosed(st, ViewSection{Section::kPgx, "treatment"}, ex.decision);
  BOOST_CHECK(pgx_only.medications.empty());
  BOOST_CHECK_EQUAL(pgx_only.pgx.size(), 1u);
}
