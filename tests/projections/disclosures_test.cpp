// The accounting of disclosures: the pure decision per event type, the query, and the rule that
// the access log shows exactly the views that happened (through the real actor runtime: served
// views appear, denied ones do not, and nothing else does).
#define BOOST_TEST_MODULE projections_disclosures
#include <boost/test/unit_test.hpp>

#include "actors/runtime.hpp"
#include "tests/actors/subjects.hpp"
#include "tests/projections/fixtures.hpp"

using namespace rxp;
using namespace rxp::projections;
using rxp::testkit::TestLog;

namespace {

events::RecordedEvent recorded(std::string stream, events::DomainEvent e, uint64_t pos = 9) {
  events::RecordedEvent r;
  r.header.position = pos;
  r.header.stream_id = std::move(stream);
  r.header.type = std::visit([](const auto& x) { return std::string(std::decay_t<decltype(x)>::kType); }, e);
  r.header.occurred_at_us = 1764806400000000;
  r.header.principal = {"usr-7", "clinician", "ses-3"};
  r.payload = std::move(e);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(views_exports_and_break_glass_are_disclosures_nothing_else_is) {
  auto v = disclosure_of(recorded("record/pt-1", events::RecordViewed{"pgx", "treatment"}));
  BOOST_REQUIRE(v);
  BOOST_CHECK(v->kind == DisclosureKind::kView);
  BOOST_CHECK_EQUAL(v->patient_id, "pt-1");
  BOOST_CHECK_EQUAL(v->position, 9u);
  BOOST_CHECK_EQUAL(v->user_id, "usr-7");
  BOOST_CHECK_EQUAL(v->role, "clinician");
  BOOST_CHECK_EQUAL(v->session_id, "ses-3");
  BOOST_CHECK_EQUAL(v->section, "pgx");
  BOOST_CHECK_EQUAL(v->purpose, "treatment");

  auto x = disclosure_of(recorded("record/pt-1", events::RecordExported{{"medications", "pgx"}, "fhir"}));
  BOOST_REQUIRE(x);
  BOOST_CHECK(x->kind == DisclosureKind::kExport);
  BOOST_CHECK_EQUAL(x->section, "medications,pgx");

  auto b = disclosure_of(recorded("record/pt-1", events::BreakGlassInvoked{"er_admission", "free text with a name", 5}));
  BOOST_REQUIRE(b);
  BOOST_CHECK(b->kind == DisclosureKind::kBreakGlass);
  BOOST_CHECK_EQUAL(b->purpose, "er_admission");  // the code, never the justification

  BOOST_CHECK(!disclosure_of(recorded("record/pt-1", events::AccessDenied{"record.pgx.read", "pgx", "no_care_relationship"})));
  BOOST_CHECK(!disclosure_of(recorded("record/pt-1", events::MedicationAdded{})));
  BOOST_CHECK(!disclosure_of(recorded("denials/usr-7", events::RecordViewed{"pgx", "treatment"})));
  // Free text in a code field is dropped, not stored.
  auto odd = disclosure_of(recorded("record/pt-1", events::RecordViewed{"pgx", "called by Mrs Smith"}));
  BOOST_REQUIRE(odd);
  BOOST_CHECK_EQUAL(odd->purpose, "");
  // A shredded stream keeps who, when and what kind.
  auto shredded = recorded("record/pt-1", events::RecordViewed{"pgx", "treatment"});
  shredded.payload.reset();
  auto s = disclosure_of(shredded);
  BOOST_REQUIRE(s);
  BOOST_CHECK(s->kind == DisclosureKind::kView);
  BOOST_CHECK_EQUAL(s->user_id, "usr-7");
  BOOST_CHECK_EQUAL(s->section, "");
}

BOOST_AUTO_TEST_CASE(disclosures_for_filters_by_patient_and_time) {
  TestLog t;
  auto append = [&](const std::string& pid, events::DomainEvent e) {
    t.clock.advance_us(1000000);
    BOOST_REQUIRE(t.log->append(rxp::testkit::one("record/" + pid, e)).is_ok());
    return t.clock.now_us();
  };
  int64_t t1 = append("pt-a", events::RecordViewed{"medications", "treatment"});
  append("pt-b", events::RecordViewed{"medications", "treatment"});
  int64_t t3 = append("pt-a", events::RecordExported{{"medications"}, "json"});
  int64_t t4 = append("pt-a", events::BreakGlassInvoked{"er", "justification long enough", 1});
  auto runner = rxp::testkit::open_runner(t);
  BOOST_REQUIRE(runner->catch_up().is_ok());
  auto db = ReadModelDb::open(rxp::testkit::read_model_path(t), true);
  BOOST_REQUIRE(db.is_ok());
  auto all_a = disclosures_for(**db, "pt-a", INT64_MIN, INT64_MAX);
  BOOST_REQUIRE(all_a.is_ok());
  BOOST_REQUIRE_EQUAL(all_a->size(), 3u);
  BOOST_CHECK_EQUAL(all_a->at(0).occurred_at_us, t1);
  BOOST_CHECK(all_a->at(2).kind == DisclosureKind::kBreakGlass);
  auto window = disclosures_for(**db, "pt-a", t3, t4 - 1);
  BOOST_REQUIRE(window.is_ok());
  BOOST_REQUIRE_EQUAL(window->size(), 1u);
  BOOST_CHECK(window->at(0).kind == DisclosureKind::kExport);
  BOOST_CHECK(disclosures_for(**db, "pt-zzz", INT64_MIN, INT64_MAX)->empty());
}

BOOST_AUTO_TEST_CASE(the_access_log_shows_exactly_the_views_that_happened) {
  using namespace rxp::actors;
  using namespace rxp::record;
  using policy::Role;
  using policy::Section;
  using rxp::testkit::who;
  TestLog t;
  auto runner = rxp::testkit::open_runner(t);
  runner->start();  // live, while the runtime serves
  const std::string pid = "pt-log";
  struct Expected {
    std::string user;
    std::string section;
    std::string purpose;
  };
  std::vector<Expected> served;
  {
    Runtime rt(*t.log, t.clock);
    auto call = [&](policy::Subject s, RecordCommand c) {
      t.clock.advance_us(1000);
      return rt.call(RecordRequest{pid, std::move(s), "ses-9", "corr-9", std::move(c)});
    };
    auto admin = who("adm", Role::kAdmin);
    BOOST_REQUIRE(call(admin, CreateRecord{"1980-01-01", "MA", false}).outcome == Outcome::kOk);
    BOOST_REQUIRE(call(admin, AddCareRelationship{"doc", 0}).outcome == Outcome::kOk);
    auto doc = who("doc", Role::kClinician);
    doc.step_up_at_us = t.clock.now_us();  // PGx is a high-risk read
    auto stranger = who("stranger", Role::kClinician);
    auto self = who("me", Role::kPatient, pid);
    for (int i = 0; i < 5; ++i) {
      auto r = call(doc, ViewSection{i % 2 ? Section::kPgx : Section::kMedications, "treatment"});
      BOOST_REQUIRE_MESSAGE(r.outcome == Outcome::kOk, "view " << i << ": " << r.reason);
      served.push_back({"doc", i % 2 ? "pgx" : "medications", "treatment"});
      // Denied: no care relationship. Must not appear as a view.
      BOOST_REQUIRE(call(stranger, ViewSection{Section::kMedications, "treatment"}).outcome == Outcome::kForbidden);
    }
    BOOST_REQUIRE(call(self, ViewSection{Section::kMedications, "patient_request"}).outcome == Outcome::kOk);
    served.push_back({"me", "medications", "patient_request"});
    // A view of an unknown record is a denial in the subject's denial stream, not a view.
    BOOST_REQUIRE(rt.call(RecordRequest{"pt-none", doc, "ses-9", "corr-9", ViewSection{Section::kMedications, "treatment"}}).outcome == Outcome::kForbidden);
  }
  uint64_t head = t.store->head_position().value();
  for (int i = 0; i < 2000 && runner->checkpoint("disclosures").value() < head; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  runner->stop();
  BOOST_REQUIRE(runner->background_status().is_ok());
  auto db = ReadModelDb::open(rxp::testkit::read_model_path(t), true);
  auto rows = disclosures_for(**db, pid, INT64_MIN, INT64_MAX);
  BOOST_REQUIRE(rows.is_ok());
  BOOST_REQUIRE_EQUAL(rows->size(), served.size());
  for (size_t i = 0; i < served.size(); ++i) {
    BOOST_TEST_CONTEXT("view " << i) {
      BOOST_CHECK(rows->at(i).kind == DisclosureKind::kView);
      BOOST_CHECK_EQUAL(rows->at(i).user_id, served[i].user);
      BOOST_CHECK_EQUAL(rows->at(i).section, served[i].section);
      BOOST_CHECK_EQUAL(rows->at(i).purpose, served[i].purpose);
      BOOST_CHECK_EQUAL(rows->at(i).session_id, "ses-9");
    }
  }
  BOOST_CHECK(rows->at(0).role == "clinician");
  BOOST_CHECK(rows->back().role == "patient");
  BOOST_CHECK_EQUAL(rxp::testkit::rows_of(t).size(), served.size());  // no other patient's rows
}
