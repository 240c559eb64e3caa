// The set-up the API integration tests share: the real server on 127.0.0.1 (ephemeral port,
// TLS, a self-signed certificate), the real actor runtime over a real SQLite store on the
// simulated clock (Portal::t.clock), users enrolled with TOTP through the API, and checks of
// the error body and the security headers. Include after defining BOOST_TEST_MODULE.
#pragma once

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "actors/identity/password.hpp"
#include "actors/identity/totp.hpp"
#include "actors/runtime.hpp"
#include "api/edge.hpp"
#include "api/http_server.hpp"
#include "api/tls.hpp"
#include "projections/alert_raiser.hpp"
#include "projections/catalog.hpp"
#include "projections/query_service.hpp"
#include "projections/runner.hpp"
#include "tests/actors/subjects.hpp"
#include "tests/api/http_client.hpp"
#include "tests/testkit/testkit.hpp"

namespace rxp::apitest {

using nlohmann::json;
using rxp::testkit::HttpsClient;
using rxp::testkit::Reply;

inline constexpr int64_t kSec = 1'000'000;
inline constexpr const char* kPassword = "correct horse battery staple";

struct Person {
  std::string user_id, username, patient_id;
  Bytes totp_secret;
};

inline api::ServerOptions test_options() {
  api::ServerOptions o;
  o.port = 0;
  o.io_threads = 2;
  o.header_timeout = std::chrono::milliseconds(1500);
  o.idle_timeout = std::chrono::milliseconds(5000);
  o.rate = {1000.0, 1000.0, 1000};
  return o;
}

struct Portal {
  testkit::TestLog t;
  actors::RuntimeOptions ro;  // the runtime's (WebAuthn ceremonies need its origin and rp id)
  std::unique_ptr<actors::Runtime> rt;
  // The read views behind the audit routes, caught up on demand (as rxportal serve does).
  std::unique_ptr<projections::ProjectionRunner> runner;
  std::unique_ptr<projections::AlertRaiser> raiser;
  std::unique_ptr<projections::QueryService> queries;
  std::unique_ptr<api::Edge> edge;
  std::unique_ptr<api::HttpServer> server;
  api::CertPaths cert;
  uint16_t port = 0;

  explicit Portal(api::ServerOptions so = test_options(), api::EdgeOptions eo = {}) {
    ro.identity.password = identity::minimum_password_params();
    rt = std::make_unique<actors::Runtime>(*t.log, t.clock, ro);
    projections::RunnerOptions po;
    po.db_path = projections::projections_db_path(t.dir.path());
    auto opened = projections::ProjectionRunner::open(*t.log, projections::make_projections(), po);
    BOOST_REQUIRE_MESSAGE(opened.is_ok(), opened.status().to_string());
    runner = std::move(opened.value());
    raiser = std::make_unique<projections::AlertRaiser>(*t.log);
    queries = std::make_unique<projections::QueryService>(po.db_path);
    eo.webauthn_rp_id = ro.identity.rp_id;
    eo.views.queries = queries.get();
    eo.views.log = t.log.get();
    eo.views.catch_up = [this] {
      Status st = raiser->catch_up();
      return st.is_ok() ? runner->catch_up() : st;
    };
    edge = std::make_unique<api::Edge>(*rt, t.clock, eo);
    auto made = api::make_self_signed(t.dir.path() + "/tls");
    BOOST_REQUIRE_MESSAGE(made.is_ok(), made.status().to_string());
    cert = *made;
    so.cert_path = cert.cert_path;
    so.key_path = cert.key_path;
    so.metrics = edge->metrics();
    auto* e = edge.get();
    server = std::make_unique<api::HttpServer>(so, [e](api::HttpRequest r, std::function<void(api::HttpResponse)> done) {
      e->handle(std::move(r), std::move(done));
    });
    auto st = server->start();
    BOOST_REQUIRE_MESSAGE(st.is_ok(), st.to_string());
    port = server->port();
  }
  ~Portal() {
    server->stop();
    edge->shutdown();
    server.reset();
    edge.reset();
    queries.reset();
    rt.reset();
  }

  std::unique_ptr<HttpsClient> client(const std::string& ua = "rxp-test/1.0") {
    return std::make_unique<HttpsClient>(port, cert.cert_path, ua);
  }
  std::string code(const Person& p) { return identity::totp_code(p.totp_secret, t.clock.now_us()).value(); }
  void next_step() { t.clock.advance_us(31 * kSec); }  // a TOTP code is accepted once per step

  // Registers a user, logs in during the enrollment grace and enrols TOTP through the API.
  Person enrol(const std::string& username, const std::string& role, const std::string& patient_id = "") {
    Person p{identity::fresh_id("usr-"), username, patient_id, {}};
    auto claim = rt->call(actors::DirectoryRequest{actors::ClaimUsername{username, p.user_id}, "c"});
    BOOST_REQUIRE(claim.outcome == identity::UserOutcome::kOk);
    actors::UserRequest reg{p.user_id, identity::Register{claim.username, {role}, patient_id, ""}};
    reg.password = actors::make_secret(kPassword);
    BOOST_REQUIRE(rt->call(reg).outcome == identity::UserOutcome::kOk);
    auto c = client();
    auto in = c->post("/v1/auth/login", {{"username", username}, {"password", kPassword}});
    BOOST_REQUIRE_MESSAGE(in.status == 200 && in.json()["status"] == "authenticated", in.status << in.body);
    c->csrf = in.json()["csrf_token"];
    auto start = c->post("/v1/me/mfa/totp");
    BOOST_REQUIRE_MESSAGE(start.status == 200, start.body);
    p.totp_secret = identity::base32_decode(start.json()["secret"].get<std::string>()).value();
    auto factor = start.json()["factor_id"].get<std::string>();
    auto ok = c->post("/v1/me/mfa/totp/" + factor + "/confirm", {{"code", code(p)}});
    BOOST_REQUIRE_MESSAGE(ok.status == 200, ok.body);
    next_step();
    return p;
  }

  // Password then TOTP through the API: a client holding the session cookie and CSRF token.
  std::unique_ptr<HttpsClient> sign_in(const Person& p, const std::string& ua = "rxp-test/1.0") {
    auto c = client(ua);
    auto first = c->post("/v1/auth/login", {{"username", p.username}, {"password", kPassword}});
    BOOST_REQUIRE_MESSAGE(first.status == 200 && first.json()["status"] == "mfa_required", first.body);
    auto done = c->post("/v1/auth/mfa/totp", {{"login_id", first.json()["login_id"]}, {"code", code(p)}});
    BOOST_REQUIRE_MESSAGE(done.status == 200, done.body);
    c->csrf = done.json()["csrf_token"];
    next_step();
    return c;
  }

  void seed_record(const std::string& pid) {
    auto admin = testkit::who("adm", policy::Role::kAdmin);
    auto doc = testkit::who("doc-1", policy::Role::kClinician);
    auto req = [&](policy::Subject s, record::RecordCommand c) {
      auto r = rt->call(actors::RecordRequest{pid, s, "ses-seed", "corr", std::move(c)});
      BOOST_REQUIRE_MESSAGE(r.outcome == record::Outcome::kOk && r.error.is_ok(), r.reason);
    };
    req(admin, record::CreateRecord{"1980-02-03", "MA", false});
    req(admin, record::AddCareRelationship{"doc-1", 0});
    events::MedicationAdded m;
    m.medication_id = "med-" + pid;
    m.name = "warfarin";
    m.dose = "5 mg";
    req(doc, record::AddMedication{m});
  }
};

inline void check_security_headers(const Reply& r) {
  BOOST_TEST_CONTEXT("status " << r.status) {
    BOOST_CHECK(!r.header("Strict-Transport-Security").empty());
    BOOST_CHECK_EQUAL(r.header("Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'");
    BOOST_CHECK_EQUAL(r.header("X-Content-Type-Options"), "nosniff");
    BOOST_CHECK_EQUAL(r.header("Cache-Control"), "no-store");
    BOOST_CHECK_EQUAL(r.header("Referrer-Policy"), "no-referrer");
  }
}

inline void check_error(const Reply& r, int status, const std::string& code) {
  BOOST_TEST_CONTEXT(r.status << " " << r.body) {
    BOOST_CHECK_EQUAL(r.status, status);
    auto j = r.json();
    BOOST_REQUIRE(j.is_object() && j.size() == 1 && j.contains("error"));
    BOOST_CHECK_EQUAL(j["error"].size(), 2u);
    BOOST_CHECK_EQUAL(j["error"]["code"], code);
    BOOST_CHECK(j["error"]["message"].is_string());
    check_security_headers(r);
  }
}

}  // namespace rxp::apitest
