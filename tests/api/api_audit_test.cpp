// The projections' views through the real API: the patient's access log lists each view
// with role and time; a break-glass shows up as an alert that an auditor reviews; the
// auditor's event query; the access review. Real server over TLS, real client, real store.
#define BOOST_TEST_MODULE api_audit
#include <boost/test/unit_test.hpp>

#include "infra/clock.hpp"
#include "tests/api/portal.hpp"

using namespace rxp;
using namespace rxp::apitest;

namespace {

// The "items" array of an answer, by value: iterating `r.json()["items"]` directly would
// iterate a temporary's member after the temporary is gone.
json items(const Reply& r) { return r.json()["items"]; }

struct Audit : Portal {
  Person patient, doc, outsider, auditor, admin;
  Audit() {
    seed_record("pt-1");
    seed_record("pt-2");
    patient = enrol("pat.one", "patient", "pt-1");
    doc = enrol("doc.care", "clinician");
    outsider = enrol("doc.far", "clinician");
    auditor = enrol("aud.one", "auditor");
    admin = enrol("adm.one", "admin");
    auto r = rt->call(actors::RecordRequest{"pt-1", testkit::who("adm", policy::Role::kAdmin), "ses-seed", "corr",
                                            record::AddCareRelationship{doc.user_id, 0}});
    BOOST_REQUIRE(r.outcome == record::Outcome::kOk);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(the_access_log_lists_each_view_with_role_and_time, Audit) {
  auto d = sign_in(doc);
  std::vector<std::string> times;
  for (const char* section : {"medications", "dosing", "medications"}) {
    times.push_back(format_rfc3339_us(t.clock.now_us()).substr(0, 19));
    auto r = d->get(std::string("/v1/patients/pt-1/") + section);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    t.clock.advance_us(60 * kSec);
  }
  // A refused read is not a disclosure: it must not appear.
  check_error(sign_in(outsider)->get("/v1/patients/pt-1/medications"), 403, "forbidden");
  auto p = sign_in(patient);
  auto log = p->get("/v1/patients/pt-1/access-log");
  BOOST_REQUIRE_MESSAGE(log.status == 200, log.body);
  check_security_headers(log);
  std::vector<json> views;
  for (const auto& item : items(log))
    if (item["actor_id"] == doc.user_id) views.push_back(item);
  BOOST_REQUIRE_EQUAL(views.size(), 3u);
  const char* sections[] = {"medications", "dosing", "medications"};
  for (size_t i = 0; i < 3; ++i) {
    BOOST_CHECK_EQUAL(views[i]["actor_role"], "clinician");
    BOOST_CHECK_EQUAL(views[i]["action"], "view");
    BOOST_CHECK_EQUAL(views[i]["section"], sections[i]);
    BOOST_CHECK_EQUAL(views[i]["reason"], "treatment");
    BOOST_CHECK_EQUAL(views[i]["at"].get<std::string>().substr(0, 19), times[i]);
  }
  for (const auto& item : items(log)) BOOST_CHECK(item["actor_id"] != outsider.user_id);
  // A clinician in care may not read who else looked; another patient's log is refused
  // like a record that does not exist; the auditor may read it.
  auto refused = d->get("/v1/patients/pt-1/access-log");
  check_error(refused, 403, "forbidden");
  BOOST_CHECK_EQUAL(p->get("/v1/patients/pt-2/access-log").body, p->get("/v1/patients/pt-nobody/access-log").body);
  auto a = sign_in(auditor);
  auto by_auditor = a->get("/v1/patients/pt-1/access-log");
  BOOST_REQUIRE_EQUAL(by_auditor.status, 200);
  BOOST_CHECK(by_auditor.json()["items"].size() >= 4u);  // the three views and the patient's own look
}

BOOST_FIXTURE_TEST_CASE(break_glass_raises_an_alert_that_an_auditor_reviews, Audit) {
  auto o = sign_in(outsider);
  json asked = {{"reason_code", "emergency_treatment"},
                {"justification", "unconscious in the emergency department, allergy history needed"}};
  auto open = o->post("/v1/patients/pt-1/break-glass", asked);
  BOOST_REQUIRE_MESSAGE(open.status == 200, open.body);
  BOOST_REQUIRE_EQUAL(o->get("/v1/patients/pt-1/medications").status, 200);
  // Only auditors see the queue.
  check_error(o->get("/v1/audit/alerts"), 403, "forbidden");
  auto a = sign_in(auditor);
  auto alerts = a->get("/v1/audit/alerts?state=open");
  BOOST_REQUIRE_MESSAGE(alerts.status == 200, alerts.body);
  json found;
  for (const auto& x : items(alerts))
    if (x["rule"] == "break_glass") found = x;
  BOOST_REQUIRE(found.is_object());
  BOOST_CHECK_EQUAL(found["severity"], "high");
  BOOST_CHECK_EQUAL(found["user_id"], outsider.user_id);
  BOOST_CHECK_EQUAL(found["patient_id"], "pt-1");
  BOOST_CHECK_EQUAL(found["state"], "open");
  BOOST_CHECK(found["explanation"].get<std::string>().find("allergy") == std::string::npos);
  const std::string id = found["id"];
  // The break-glass is in the patient's access log too.
  bool listed = false;
  for (const auto& item : items(sign_in(patient)->get("/v1/patients/pt-1/access-log")))
    listed = listed || (item["action"] == "break_glass" && item["actor_id"] == outsider.user_id &&
                        item["reason"] == "emergency_treatment");
  BOOST_CHECK(listed);
  // Review: bad disposition refused naming the field; then closed once; a second review conflicts.
  auto bad = a->post("/v1/audit/alerts/" + id + "/review", {{"disposition", "fine"}});
  check_error(bad, 422, "invalid_request");
  BOOST_CHECK(bad.body.find("disposition") != std::string::npos);
  check_error(a->post("/v1/audit/alerts/alr-none-1/review", {{"disposition", "benign"}}), 404, "not_found");
  check_error(o->post("/v1/audit/alerts/" + id + "/review", {{"disposition", "benign"}}), 403, "forbidden");
  auto done = a->post("/v1/audit/alerts/" + id + "/review",
                      {{"disposition", "benign"}, {"note", "confirmed with the ED charge nurse"}});
  BOOST_REQUIRE_MESSAGE(done.status == 204, done.body);
  check_error(a->post("/v1/audit/alerts/" + id + "/review", {{"disposition", "escalated"}}), 409, "conflict");
  for (const auto& x : items(a->get("/v1/audit/alerts?state=open"))) BOOST_CHECK(x["id"] != id);
  bool reviewed = false;
  for (const auto& x : items(a->get("/v1/audit/alerts")))
    if (x["id"] == id)
      reviewed = x["state"] == "reviewed" && x["disposition"] == "benign" && x["reviewed_by"] == auditor.user_id;
  BOOST_CHECK(reviewed);
  BOOST_CHECK(a->get("/v1/audit/alerts").body.find("charge nurse") == std::string::npos);
  check_error(a->get("/v1/audit/alerts?state=closed"), 422, "invalid_request");
}

BOOST_FIXTURE_TEST_CASE(the_auditor_queries_events_by_patient_actor_and_type_in_pages, Audit) {
  auto d = sign_in(doc);
  for (int i = 0; i < 5; ++i) BOOST_REQUIRE_EQUAL(d->get("/v1/patients/pt-1/medications").status, 200);
  auto a = sign_in(auditor);
  std::string base = "/v1/audit/events?patient=pt-1&type=RecordViewed&actor=" + doc.user_id + "&limit=2";
  std::vector<uint64_t> positions;
  std::string next = base;
  for (int page = 0; page < 10; ++page) {
    auto r = a->get(next);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    for (const auto& e : items(r)) {
      BOOST_CHECK_EQUAL(e["type"], "RecordViewed");
      BOOST_CHECK_EQUAL(e["actor_id"], doc.user_id);
      BOOST_CHECK_EQUAL(e["patient_id"], "pt-1");
      positions.push_back(e["position"]);
    }
    if (r.json()["next_after"].is_null()) break;
    next = base + "&after=" + std::to_string(r.json()["next_after"].get<uint64_t>());
  }
  BOOST_CHECK_EQUAL(positions.size(), 5u);
  BOOST_CHECK(std::is_sorted(positions.begin(), positions.end()));
  check_error(a->get("/v1/audit/events?limit=0"), 422, "invalid_request");
  check_error(a->get("/v1/audit/events?from=yesterday"), 422, "invalid_request");
  auto unknown = a->get("/v1/audit/events?colour=red");
  check_error(unknown, 422, "invalid_request");
  BOOST_CHECK(unknown.body.find("colour") != std::string::npos);
  check_error(a->get("/v1/audit/events?patient=%ZZ"), 422, "invalid_request");
  check_error(d->get("/v1/audit/events"), 403, "forbidden");
}

BOOST_FIXTURE_TEST_CASE(the_access_review_lists_grants_with_their_last_use, Audit) {
  auto d = sign_in(doc);
  BOOST_REQUIRE_EQUAL(d->get("/v1/patients/pt-1/medications").status, 200);
  auto m = sign_in(admin);
  auto r = m->get("/v1/admin/access-review");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  bool role = false, care = false;
  for (const auto& g : items(r)) {
    if (g["kind"] == "role" && g["user_id"] == doc.user_id && g["role"] == "clinician")
      role = !g["last_used_at"].is_null() && g["active"] == true && g["dormant"] == false;
    if (g["kind"] == "care" && g["user_id"] == doc.user_id && g["patient_id"] == "pt-1")
      care = !g["last_used_at"].is_null();
  }
  BOOST_CHECK(role);
  BOOST_CHECK(care);
  BOOST_CHECK_EQUAL(sign_in(auditor)->get("/v1/admin/access-review").status, 200);
  check_error(d->get("/v1/admin/access-review"), 403, "forbidden");
}

BOOST_AUTO_TEST_CASE(an_account_over_its_rate_is_told_when_to_retry_and_others_are_served) {
  api::EdgeOptions eo;
  eo.account_rate = {0.01, 3, 100};  // three requests, then one every 100 s
  Portal p(test_options(), eo);
  auto greedy = p.enrol("greedy.doc", "clinician");
  auto other = p.enrol("other.doc", "clinician");
  auto g = p.sign_in(greedy);
  int ok = 0;
  Reply limited;
  for (int i = 0; i < 6 && limited.status == 0; ++i) {
    auto r = g->get("/v1/me");
    if (r.status == 200) ++ok;
    else limited = r;
  }
  // enrol() used some of greedy's budget through the API already (TOTP start and confirm).
  BOOST_CHECK(ok <= 3);
  check_error(limited, 429, "rate_limited");
  BOOST_CHECK(std::stoi(limited.header("Retry-After")) >= 1);
  BOOST_CHECK_EQUAL(p.sign_in(other)->get("/v1/me").status, 200);
}
