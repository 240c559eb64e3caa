// Record writes and administration through the real API: the real server over TLS, the real
// runtime on a real SQLite store with the simulated clock, the real TLS client
// (tests/api/portal.hpp). Each test builds its own portal and people.
#define BOOST_TEST_MODULE api_records
#include <boost/test/unit_test.hpp>
#include <set>

#include "infra/clock.hpp"
#include "tests/api/portal.hpp"

using namespace rxp;
using namespace rxp::apitest;

namespace {

constexpr int64_t kDayUs = 24LL * 3600 * kSec;

struct Records : Portal {
  // A record created by an administrator (the API has no route for it yet).
  void create_record(const std::string& pid, int age_years) {
    int64_t born = t.clock.now_us() - age_years * 366LL * kDayUs;
    auto r = rt->call(actors::RecordRequest{pid, testkit::who("adm-seed", policy::Role::kAdmin), "ses-seed", "corr",
                                            record::CreateRecord{format_rfc3339_us(born).substr(0, 10), "MA", false}});
    BOOST_REQUIRE_MESSAGE(r.outcome == record::Outcome::kOk && r.error.is_ok(), r.reason);
  }
  void add_care(const std::string& pid, const std::string& clinician_id) {
    auto r = rt->call(actors::RecordRequest{pid, testkit::who("adm-seed", policy::Role::kAdmin), "ses-seed", "corr",
                                            record::AddCareRelationship{clinician_id, 0}});
    BOOST_REQUIRE_MESSAGE(r.outcome == record::Outcome::kOk && r.error.is_ok(), r.reason);
  }
  // A fresh step-up on `c`'s session (which rotates it: the new CSRF token is kept).
  void step_up(HttpsClient& c, const Person& p) {
    auto up = c.post("/v1/auth/step-up", {{"method", "totp"}, {"code", code(p)}});
    BOOST_REQUIRE_MESSAGE(up.status == 200, up.body);
    c.csrf = up.json()["csrf_token"];
    next_step();
  }
  std::string in(int64_t us) { return format_rfc3339_us(t.clock.now_us() + us); }
  // The ids of a medications answer.
  static std::set<std::string> ids(const Reply& r) {
    std::set<std::string> out;
    auto j = r.json();  // kept: a range-for over a temporary's member would dangle
    for (const auto& m : j["items"]) out.insert(m["id"].get<std::string>());
    return out;
  }
};

json adverse_event() {
  return {{"reaction", "urticaria"}, {"severity", "moderate"}, {"onset", "2025-11-30"}};
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(another_patients_record_answers_like_one_that_does_not_exist, Records) {
  create_record("pt-ann", 40);
  create_record("pt-ben", 40);
  auto ann = enrol("ann", "patient", "pt-ann");
  auto c = sign_in(ann);
  // Reads and writes alike: the same status, headers and body as for no record at all.
  auto other = c->get("/v1/patients/pt-ben/medications");
  auto none = c->get("/v1/patients/pt-nobody/medications");
  check_error(other, 403, "forbidden");
  BOOST_CHECK(other.status == none.status && other.headers == none.headers && other.body == none.body);
  auto other_w = c->post("/v1/patients/pt-ben/adverse-events", adverse_event());
  auto none_w = c->post("/v1/patients/pt-nobody/adverse-events", adverse_event());
  check_error(other_w, 403, "forbidden");
  BOOST_CHECK(other_w.status == none_w.status && other_w.headers == none_w.headers && other_w.body == none_w.body);
  // Her own record takes the report.
  auto own = c->post("/v1/patients/pt-ann/adverse-events", adverse_event());
  BOOST_REQUIRE_MESSAGE(own.status == 201, own.body);
  auto list = c->get("/v1/patients/pt-ann/adverse-events");
  BOOST_REQUIRE_EQUAL(list.json()["items"].size(), 1u);
  BOOST_CHECK_EQUAL(list.json()["items"][0]["id"], own.json()["id"]);
  BOOST_CHECK_EQUAL(list.json()["items"][0]["severity"], "moderate");
  // Strict input: an unknown field is named, its value never echoed; a bad enum value too.
  auto extra = adverse_event();
  extra["diagnosis"] = "secret-diagnosis-value";
  auto refused = c->post("/v1/patients/pt-ann/adverse-events", extra);
  check_error(refused, 422, "invalid_request");
  BOOST_CHECK(refused.body.find("diagnosis") != std::string::npos);
  BOOST_CHECK(refused.body.find("secret-diagnosis-value") == std::string::npos);
  auto bad = adverse_event();
  bad["severity"] = "catastrophic-value";
  auto bad_r = c->post("/v1/patients/pt-ann/adverse-events", bad);
  check_error(bad_r, 422, "invalid_request");
  BOOST_CHECK(bad_r.body.find("severity") != std::string::npos && bad_r.body.find("catastrophic-value") == std::string::npos);
  // A patient does not write medications (clinician in care only).
  check_error(c->post("/v1/patients/pt-ann/medications", {{"name", "x"}, {"dose", "1 mg"}, {"route", "oral"},
                                                          {"frequency", "daily"}, {"start", "2025-11-01"}}),
              403, "forbidden");
  check_error(c->call("PUT", "/v1/patients/pt-ann/medications"), 405, "method_not_allowed");
  // Without the CSRF header a cookie session writes nothing.
  c->csrf.clear();
  check_error(c->post("/v1/patients/pt-ann/adverse-events", adverse_event()), 403, "csrf_failed");
}

BOOST_FIXTURE_TEST_CASE(a_proxy_grant_needs_a_step_up_and_ends_at_its_expiry, Records) {
  create_record("pt-cleo", 40);
  auto cleo = enrol("cleo", "patient", "pt-cleo");
  auto pat = enrol("pat", "proxy");
  auto c = sign_in(cleo);
  json grant = {{"grantee_user_id", pat.user_id}, {"scope", json::array({"medications"})}, {"expires_at", in(10 * 60 * kSec)}};
  check_error(c->post("/v1/patients/pt-cleo/proxies", grant), 403, "step_up_required");
  step_up(*c, cleo);
  auto past = grant;
  past["expires_at"] = in(-kSec);
  check_error(c->post("/v1/patients/pt-cleo/proxies", past), 422, "invalid_request");
  auto made = c->post("/v1/patients/pt-cleo/proxies", grant);
  BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
  BOOST_CHECK(made.json()["grant_id"].is_string());
  auto p = sign_in(pat);
  BOOST_CHECK_EQUAL(p->get("/v1/patients/pt-cleo/medications").status, 200);
  check_error(p->get("/v1/patients/pt-cleo/adverse-events"), 403, "forbidden");  // out of scope
  t.clock.advance_us(11 * 60 * kSec);  // past the grant's expiry, within the session's idle time
  BOOST_CHECK_EQUAL(p->get("/v1/me").status, 200);
  check_error(p->get("/v1/patients/pt-cleo/medications"), 403, "forbidden");
}

BOOST_FIXTURE_TEST_CASE(a_revoked_proxy_grant_stops_at_once, Records) {
  create_record("pt-dora", 40);
  auto dora = enrol("dora", "patient", "pt-dora");
  auto paul = enrol("paul", "proxy");
  auto c = sign_in(dora);
  step_up(*c, dora);
  auto made = c->post("/v1/patients/pt-dora/proxies",
                      {{"grantee_user_id", paul.user_id}, {"scope", json::array({"medications", "dosing"})}, {"expires_at", in(kDayUs)}});
  BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
  std::string grant_id = made.json()["grant_id"];
  auto p = sign_in(paul);
  BOOST_CHECK_EQUAL(p->get("/v1/patients/pt-dora/dosing").status, 200);
  // The proxy cannot revoke (or see) grants of a record that is not theirs to manage.
  check_error(p->call("DELETE", "/v1/patients/pt-dora/proxies/" + grant_id), 403, "forbidden");
  BOOST_CHECK_EQUAL(c->call("DELETE", "/v1/patients/pt-dora/proxies/" + grant_id).status, 204);
  check_error(p->get("/v1/patients/pt-dora/dosing"), 403, "forbidden");
  check_error(c->call("DELETE", "/v1/patients/pt-dora/proxies/" + grant_id), 404, "not_found");
}

BOOST_FIXTURE_TEST_CASE(a_parent_proxy_does_not_see_an_adolescents_confidential_medication, Records) {
  create_record("pt-teen", 15);
  auto admin = enrol("ada", "admin");
  auto doc = enrol("dr.kim", "clinician");
  auto teen = enrol("tess", "patient", "pt-teen");
  auto parent = enrol("mum", "proxy");
  auto a = sign_in(admin);
  step_up(*a, admin);
  auto care = a->post("/v1/admin/care-relationships", {{"clinician_id", doc.user_id}, {"patient_id", "pt-teen"}});
  BOOST_REQUIRE_MESSAGE(care.status == 201, care.body);
  auto grant = a->post("/v1/patients/pt-teen/proxies", {{"grantee_user_id", parent.user_id},
                                                        {"scope", json::array({"medications"})},
                                                        {"expires_at", in(365 * kDayUs)},
                                                        {"parent", true}});
  BOOST_REQUIRE_MESSAGE(grant.status == 201, grant.body);
  auto d = sign_in(doc);
  json med = {{"name", "albuterol inhaler"}, {"dose", "2 puffs"}, {"route", "inhaled"},
              {"frequency", "as needed"}, {"start", "2025-10-01"}};
  auto open_med = d->post("/v1/patients/pt-teen/medications", med);
  BOOST_REQUIRE_MESSAGE(open_med.status == 201, open_med.body);
  med["name"] = "sertraline";
  med["dose"] = "50 mg";
  med["route"] = "oral";
  med["confidential"] = true;
  auto secret_med = d->post("/v1/patients/pt-teen/medications", med);
  BOOST_REQUIRE_MESSAGE(secret_med.status == 201, secret_med.body);
  std::string open_id = open_med.json()["id"], secret_id = secret_med.json()["id"];
  BOOST_CHECK(open_id != secret_id);
  auto by_teen = sign_in(teen)->get("/v1/patients/pt-teen/medications");
  BOOST_REQUIRE_EQUAL(by_teen.status, 200);
  BOOST_CHECK((ids(by_teen) == std::set<std::string>{open_id, secret_id}));
  auto by_parent = sign_in(parent)->get("/v1/patients/pt-teen/medications");
  BOOST_REQUIRE_EQUAL(by_parent.status, 200);
  BOOST_CHECK((ids(by_parent) == std::set<std::string>{open_id}));
  BOOST_CHECK(by_parent.body.find("sertraline") == std::string::npos);
  // A medication that ends before it starts is refused, naming the field.
  med["end"] = "2025-01-01";
  auto backwards = d->post("/v1/patients/pt-teen/medications", med);
  check_error(backwards, 422, "invalid_request");
  BOOST_CHECK(backwards.body.find("end") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(break_glass_opens_a_record_to_a_clinician_not_in_care, Records) {
  seed_record("pt-erik");  // one medication; care for "doc-1" only
  auto er = enrol("dr.er", "clinician");
  auto erik = enrol("erik", "patient", "pt-erik");
  auto d = sign_in(er);
  check_error(d->get("/v1/patients/pt-erik/medications"), 403, "forbidden");
  json asked = {{"reason_code", "emergency_treatment"}, {"justification", "too short"}};
  auto short_r = d->post("/v1/patients/pt-erik/break-glass", asked);
  check_error(short_r, 422, "invalid_request");
  BOOST_CHECK(short_r.body.find("justification") != std::string::npos && short_r.body.find("too short") == std::string::npos);
  // A patient cannot break the glass, and not on a record that does not exist either.
  asked["justification"] = "unconscious in the emergency department, allergy history needed";
  check_error(sign_in(erik)->post("/v1/patients/pt-erik/break-glass", asked), 403, "forbidden");
  check_error(d->post("/v1/patients/pt-nobody/break-glass", asked), 403, "forbidden");
  int64_t before = t.clock.now_us();
  auto open = d->post("/v1/patients/pt-erik/break-glass", asked);
  BOOST_REQUIRE_MESSAGE(open.status == 200, open.body);
  int64_t until = 0;
  BOOST_REQUIRE(parse_rfc3339_us(open.json()["access_until"].get<std::string>(), until));
  BOOST_CHECK(until > before && until <= before + 3600 * kSec);
  auto meds = d->get("/v1/patients/pt-erik/medications");
  BOOST_REQUIRE_MESSAGE(meds.status == 200, meds.body);
  BOOST_CHECK_EQUAL(meds.json()["items"].size(), 1u);
}

BOOST_FIXTURE_TEST_CASE(an_admin_creates_a_user_and_changes_roles_with_a_step_up, Records) {
  auto admin = enrol("root.admin", "admin");
  auto a = sign_in(admin);
  const char* pw = "a long enough new password";
  auto made = a->post("/v1/admin/users", {{"username", "nina"}, {"password", pw}, {"roles", json::array({"clinician"})}});
  BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
  std::string nina = made.json()["id"];
  BOOST_CHECK(made.body.find(pw) == std::string::npos);
  check_error(a->post("/v1/admin/users", {{"username", "NINA"}, {"password", pw}, {"roles", json::array({"pharmacist"})}}), 409,
              "conflict");
  auto extra = a->post("/v1/admin/users", {{"username", "olga"}, {"password", pw}, {"roles", json::array({"clinician"})}, {"ssn", "078-05-1120"}});
  check_error(extra, 422, "invalid_request");
  BOOST_CHECK(extra.body.find("ssn") != std::string::npos && extra.body.find("078-05-1120") == std::string::npos);
  auto weak = a->post("/v1/admin/users", {{"username", "olga"}, {"password", "short"}, {"roles", json::array({"clinician"})}});
  check_error(weak, 422, "invalid_request");
  BOOST_CHECK(weak.body.find("password") != std::string::npos && weak.body.find("\"short\"") == std::string::npos);
  check_error(a->post("/v1/admin/users", {{"username", "olga"}, {"password", pw}, {"roles", json::array({"patient"})}}), 422,
              "invalid_request");  // a patient account needs its patient_id
  // Elevated accounts and role changes need the admin's fresh step-up.
  check_error(a->post("/v1/admin/users", {{"username", "olga"}, {"password", pw}, {"roles", json::array({"auditor"})}}), 403,
              "step_up_required");
  check_error(a->post("/v1/admin/users/" + nina + "/roles", {{"role", "pharmacist"}}), 403, "step_up_required");
  check_error(a->call("DELETE", "/v1/admin/users/" + nina + "/roles/clinician"), 403, "step_up_required");
  step_up(*a, admin);
  BOOST_CHECK_EQUAL(a->post("/v1/admin/users/" + nina + "/roles", {{"role", "pharmacist"}}).status, 204);
  check_error(a->post("/v1/admin/users/usr-nobody/roles", {{"role", "pharmacist"}}), 404, "not_found");
  check_error(a->post("/v1/admin/users/" + nina + "/roles", {{"role", "superuser"}}), 422, "invalid_request");
  // The new account signs in (password only, in its enrolment grace) with both roles.
  auto login = [&] {
    auto n = client();
    auto in = n->post("/v1/auth/login", {{"username", "nina"}, {"password", pw}});
    BOOST_REQUIRE_MESSAGE(in.status == 200 && in.json()["status"] == "authenticated", in.body);
    return n;
  };
  auto n = login();
  auto roles = n->get("/v1/me").json()["roles"];
  BOOST_CHECK((roles.get<std::set<std::string>>() == std::set<std::string>{"clinician", "pharmacist"}));
  BOOST_CHECK_EQUAL(a->call("DELETE", "/v1/admin/users/" + nina + "/roles/pharmacist").status, 204);
  check_error(n->get("/v1/me"), 401, "unauthenticated");  // a privilege change ends her sessions
  BOOST_CHECK(login()->get("/v1/me").json()["roles"] == json::array({"clinician"}));
  check_error(a->call("DELETE", "/v1/admin/users/" + nina + "/roles/pharmacist"), 404, "not_found");
}

BOOST_FIXTURE_TEST_CASE(administration_is_refused_to_everyone_else, Records) {
  create_record("pt-faye", 40);
  auto carl = enrol("carl", "clinician");
  auto victim = enrol("vic", "pharmacist");
  auto c = sign_in(carl);
  step_up(*c, carl);  // a step-up does not make an admin
  const char* pw = "a long enough new password";
  check_error(c->post("/v1/admin/users", {{"username", "evil"}, {"password", pw}, {"roles", json::array({"admin"})}}), 403, "forbidden");
  check_error(c->post("/v1/admin/users/" + victim.user_id + "/roles", {{"role", "admin"}}), 403, "forbidden");
  check_error(c->post("/v1/admin/users/" + carl.user_id + "/roles", {{"role", "admin"}}), 403, "forbidden");
  check_error(c->call("DELETE", "/v1/admin/users/" + victim.user_id + "/roles/pharmacist"), 403, "forbidden");
  check_error(c->post("/v1/admin/care-relationships", {{"clinician_id", carl.user_id}, {"patient_id", "pt-faye"}}), 403,
              "forbidden");
  // Still no access to the record, and the attempt is on the record's stream as a denial.
  check_error(c->get("/v1/patients/pt-faye/medications"), 403, "forbidden");
  auto stream = t.log->read_stream("record/pt-faye");
  BOOST_REQUIRE(stream.is_ok());
  bool recorded = false;
  for (const auto& e : stream.value()) {
    if (e.header.type != "AccessDenied" || e.header.principal.user_id != carl.user_id || !e.payload) continue;
    const auto* denied = std::get_if<events::AccessDenied>(&*e.payload);
    if (denied && denied->action.find("care") != std::string::npos) recorded = true;
  }
  BOOST_CHECK(recorded);
  // The pharmacist's roles are unchanged: she still signs in as a pharmacist only.
  auto v = sign_in(victim);
  BOOST_CHECK(v->get("/v1/me").json()["roles"] == json::array({"pharmacist"}));
}
