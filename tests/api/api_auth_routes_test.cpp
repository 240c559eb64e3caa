// WebAuthn, the session list, /metrics and /v1/openapi.json end to end: the real server on
// 127.0.0.1 (TLS, ephemeral port), the real actor runtime over a real SQLite store on the
// simulated clock, a real TLS client (http_client.hpp) and a software authenticator
// (tests/testkit/soft_authenticator.hpp) that signs what a browser would send.
#define BOOST_TEST_MODULE api_auth_routes
#include <boost/test/unit_test.hpp>

#include "actors/identity/password.hpp"
#include "actors/identity/totp.hpp"
#include "actors/runtime.hpp"
#include "api/edge.hpp"
#include "api/http_server.hpp"
#include "api/tls.hpp"
#include "tests/api/http_client.hpp"
#include "tests/api/portal.hpp"
#include "tests/testkit/soft_authenticator.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using rxp::testkit::HttpsClient;
using rxp::testkit::Reply;
using rxp::testkit::SoftAuthenticator;
using nlohmann::json;
namespace net = rxp::testkit::net;
using rxp::testkit::tcp;

namespace {

using apitest::kSec;
using apitest::kPassword;
using apitest::Person;

std::string b64(const std::string& raw) { return base64url_encode(as_bytes(std::string_view(raw))); }
std::string unb64(const json& text) {
  Bytes out;
  BOOST_REQUIRE(text.is_string() && base64url_decode(text.get<std::string>(), out));
  return std::string(out.begin(), out.end());
}
BytesView bv(const std::string& s) { return as_bytes(std::string_view(s)); }

// What PublicKeyCredential.toJSON() gives for an assertion and for a registration.
json assertion_json(const SoftAuthenticator::Assertion& a, const std::string& user_handle = "") {
  return {{"id", b64(a.credential_id)},
          {"rawId", b64(a.credential_id)},
          {"type", "public-key"},
          {"authenticatorAttachment", "cross-platform"},
          {"clientExtensionResults", json::object()},
          {"response",
           {{"clientDataJSON", b64(a.client_data_json)},
            {"authenticatorData", b64(a.authenticator_data)},
            {"signature", b64(a.signature)},
            {"userHandle", user_handle.empty() ? json(nullptr) : json(b64(user_handle))}}}};
}
json registration_json(const SoftAuthenticator::Registration& r) {
  return {{"id", b64(r.credential_id)},
          {"rawId", b64(r.credential_id)},
          {"type", "public-key"},
          {"clientExtensionResults", json::object()},
          {"response",
           {{"clientDataJSON", b64(r.client_data_json)},
            {"attestationObject", b64(r.attestation_object)},
            {"transports", json::array({"usb"})}}}};
}

// The shared portal (tests/api/portal.hpp) and the WebAuthn ceremonies of these tests.
struct Portal : apitest::Portal {
  // Registers a user and signs in with the password alone (the enrollment grace).
  std::unique_ptr<HttpsClient> register_in_grace(Person& p, const std::string& role) {
    p.user_id = identity::fresh_id("usr-");
    auto claim = rt->call(actors::DirectoryRequest{actors::ClaimUsername{p.username, p.user_id}, "c"});
    BOOST_REQUIRE(claim.outcome == identity::UserOutcome::kOk);
    actors::UserRequest reg{p.user_id, identity::Register{claim.username, {role}, p.patient_id, ""}};
    reg.password = actors::make_secret(kPassword);
    BOOST_REQUIRE(rt->call(reg).outcome == identity::UserOutcome::kOk);
    auto c = client();
    auto in = c->post("/v1/auth/login", {{"username", p.username}, {"password", kPassword}});
    BOOST_REQUIRE_MESSAGE(in.status == 200 && in.json()["status"] == "authenticated", in.status << in.body);
    c->csrf = in.json()["csrf_token"];
    return c;
  }

  // Registers `key` through the API for the signed-in client.
  std::string add_key(HttpsClient& c, SoftAuthenticator& key) {
    auto options = c.post("/v1/me/mfa/webauthn/options");
    BOOST_REQUIRE_MESSAGE(options.status == 200, options.body);
    auto o = options.json();
    BOOST_CHECK_EQUAL(o["rp"]["id"], ro.identity.rp_id);
    BOOST_CHECK_EQUAL(o["attestation"], "none");
    auto reg = key.make_registration(bv(unb64(o["challenge"])), ro.identity.origin, ro.identity.rp_id);
    auto done = c.post("/v1/me/mfa/webauthn", {{"credential", registration_json(reg)}});
    BOOST_REQUIRE_MESSAGE(done.status == 200, done.body);
    BOOST_CHECK(done.json()["factor_id"].get<std::string>().rfind("fac-", 0) == 0);
    return done.json()["factor_id"];
  }

  // A user whose only factor is `key`.
  Person enrol_with_key(const std::string& username, SoftAuthenticator& key) {
    Person p{"", username, "", {}};
    auto c = register_in_grace(p, "clinician");
    add_key(*c, key);
    return p;
  }

  // Password, then the key, through the API.
  std::unique_ptr<HttpsClient> sign_in_with_key(const Person& p, SoftAuthenticator& key, const std::string& ua = "rxp-test/1.0") {
    auto c = client(ua);
    auto first = c->post("/v1/auth/login", {{"username", p.username}, {"password", kPassword}});
    BOOST_REQUIRE_MESSAGE(first.status == 200 && first.json()["status"] == "mfa_required", first.body);
    auto login_id = first.json()["login_id"];
    auto options = c->post("/v1/auth/webauthn/options", {{"login_id", login_id}});
    BOOST_REQUIRE_MESSAGE(options.status == 200, options.body);
    auto a = key.make_assertion(bv(unb64(options.json()["challenge"])), ro.identity.origin, ro.identity.rp_id);
    auto done = c->post("/v1/auth/webauthn/verify", {{"login_id", login_id}, {"credential", assertion_json(a, p.user_id)}});
    BOOST_REQUIRE_MESSAGE(done.status == 200, done.body);
    c->csrf = done.json()["csrf_token"];
    return c;
  }

  // A user with TOTP as the only factor, signed in with it.
  std::unique_ptr<HttpsClient> enrol_with_totp(Person& p, const std::string& ua = "rxp-test/1.0") {
    auto c = register_in_grace(p, "patient");
    auto start = c->post("/v1/me/mfa/totp");
    BOOST_REQUIRE_MESSAGE(start.status == 200, start.body);
    p.totp_secret = identity::base32_decode(start.json()["secret"].get<std::string>()).value();
    auto ok = c->post("/v1/me/mfa/totp/" + start.json()["factor_id"].get<std::string>() + "/confirm", {{"code", code(p)}});
    BOOST_REQUIRE_MESSAGE(ok.status == 200, ok.body);
    next_step();
    return sign_in_with_totp(p, ua);
  }
  std::unique_ptr<HttpsClient> sign_in_with_totp(const Person& p, const std::string& ua = "rxp-test/1.0") {
    auto c = client(ua);
    auto first = c->post("/v1/auth/login", {{"username", p.username}, {"password", kPassword}});
    BOOST_REQUIRE_MESSAGE(first.status == 200 && first.json()["status"] == "mfa_required", first.body);
    auto done = c->post("/v1/auth/mfa/totp", {{"login_id", first.json()["login_id"]}, {"code", code(p)}});
    BOOST_REQUIRE_MESSAGE(done.status == 200, done.body);
    c->csrf = done.json()["csrf_token"];
    next_step();
    return c;
  }
};

void check_error(const Reply& r, int status, const std::string& code) {
  BOOST_TEST_CONTEXT(r.status << " " << r.body) {
    BOOST_CHECK_EQUAL(r.status, status);
    auto j = r.json();
    BOOST_REQUIRE(j.is_object() && j.contains("error"));
    BOOST_CHECK_EQUAL(j["error"]["code"], code);
    BOOST_CHECK_EQUAL(r.header("Cache-Control"), "no-store");
  }
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(webauthn_login_end_to_end, Portal) {
  SoftAuthenticator key(identity::CoseAlg::kES256);
  auto dana = enrol_with_key("dana", key);
  // A user with a key is offered webauthn (and only what they have).
  auto c = client();
  auto first = c->post("/v1/auth/login", {{"username", "dana"}, {"password", kPassword}});
  BOOST_REQUIRE_EQUAL(first.status, 200);
  BOOST_CHECK(first.json()["methods"] == json::array({"webauthn"}));
  auto login_id = first.json()["login_id"];
  // Options need the pre-auth cookie with the login id.
  check_error(client()->post("/v1/auth/webauthn/options", {{"login_id", login_id}}), 401, "unauthenticated");
  auto options = c->post("/v1/auth/webauthn/options", {{"login_id", login_id}});
  BOOST_REQUIRE_MESSAGE(options.status == 200, options.body);
  auto o = options.json();
  BOOST_CHECK_EQUAL(o["rpId"], ro.identity.rp_id);
  BOOST_CHECK_EQUAL(unb64(o["challenge"]).size(), identity::kChallengeBytes);
  BOOST_REQUIRE_EQUAL(o["allowCredentials"].size(), 1u);
  BOOST_CHECK_EQUAL(unb64(o["allowCredentials"][0]["id"]), key.credential_id());
  BOOST_CHECK_EQUAL(o["allowCredentials"][0]["type"], "public-key");
  BOOST_CHECK(o["timeout"].is_number_integer());
  // A malformed credential: 422 naming the member, never the value.
  auto a = key.make_assertion(bv(unb64(o["challenge"])), ro.identity.origin, ro.identity.rp_id);
  auto bad = assertion_json(a);
  bad["response"]["signature"] = "not base64url!";
  auto refused = c->post("/v1/auth/webauthn/verify", {{"login_id", login_id}, {"credential", bad}});
  check_error(refused, 422, "invalid_request");
  BOOST_CHECK(refused.body.find("credential.response.signature") != std::string::npos);
  BOOST_CHECK(refused.body.find("not base64url!") == std::string::npos);
  // The assertion signs in: the session cookie, the CSRF token, the user.
  auto done = c->post("/v1/auth/webauthn/verify", {{"login_id", login_id}, {"credential", assertion_json(a, dana.user_id)}});
  BOOST_REQUIRE_MESSAGE(done.status == 200, done.body);
  BOOST_CHECK_EQUAL(done.json()["status"], "authenticated");
  BOOST_CHECK_EQUAL(done.json()["user"]["id"], dana.user_id);
  BOOST_CHECK(done.json()["csrf_token"].is_string());
  BOOST_CHECK(c->jar.count("__Host-rxp_session") == 1 && c->jar.count("__Host-rxp_preauth") == 0);
  auto me = c->get("/v1/me");
  BOOST_REQUIRE_EQUAL(me.status, 200);
  BOOST_CHECK(me.json()["mfa"] == json::array({"webauthn"}));
  // The same assertion again (a replay) does not sign in.
  auto c2 = client();
  auto again = c2->post("/v1/auth/login", {{"username", "dana"}, {"password", kPassword}});
  BOOST_REQUIRE_EQUAL(again.status, 200);
  check_error(c2->post("/v1/auth/webauthn/verify", {{"login_id", again.json()["login_id"]}, {"credential", assertion_json(a)}}),
              401, "unauthenticated");
  // A key answering for another account (userHandle) is refused, and recorded.
  auto c3 = client();
  auto third = c3->post("/v1/auth/login", {{"username", "dana"}, {"password", kPassword}});
  auto o3 = c3->post("/v1/auth/webauthn/options", {{"login_id", third.json()["login_id"]}}).json();
  auto a3 = key.make_assertion(bv(unb64(o3["challenge"])), ro.identity.origin, ro.identity.rp_id);
  check_error(c3->post("/v1/auth/webauthn/verify",
                       {{"login_id", third.json()["login_id"]}, {"credential", assertion_json(a3, "usr-someone-else")}}),
              401, "unauthenticated");
  auto evs = t.log->read_stream("user/" + dana.user_id);
  BOOST_REQUIRE(evs.is_ok() && !evs->empty());
  const auto* failed = std::get_if<events::MfaFailed>(&*evs->back().payload);
  BOOST_REQUIRE(failed);
  BOOST_CHECK_EQUAL(failed->method, "webauthn");
  BOOST_CHECK_EQUAL(failed->reason, "unknown_credential");
}

BOOST_FIXTURE_TEST_CASE(a_second_key_needs_a_step_up_and_a_key_registers_once, Portal) {
  SoftAuthenticator first(identity::CoseAlg::kES256), second(identity::CoseAlg::kEdDSA);
  auto kim = enrol_with_key("kim", first);
  auto c = sign_in_with_key(kim, first);
  // A factor exists: a new key needs a fresh step-up.
  check_error(c->post("/v1/me/mfa/webauthn/options"), 403, "step_up_required");
  auto options = c->post("/v1/auth/step-up/webauthn/options");
  BOOST_REQUIRE_EQUAL(options.status, 200);
  auto a = first.make_assertion(bv(unb64(options.json()["challenge"])), ro.identity.origin, ro.identity.rp_id);
  auto up = c->post("/v1/auth/step-up", {{"method", "webauthn"}, {"credential", assertion_json(a)}});
  BOOST_REQUIRE_MESSAGE(up.status == 200, up.body);
  c->csrf = up.json()["csrf_token"];
  // The creation options exclude the key already registered.
  auto create = c->post("/v1/me/mfa/webauthn/options");
  BOOST_REQUIRE_EQUAL(create.status, 200);
  BOOST_REQUIRE_EQUAL(create.json()["excludeCredentials"].size(), 1u);
  BOOST_CHECK_EQUAL(unb64(create.json()["excludeCredentials"][0]["id"]), first.credential_id());
  BOOST_CHECK_EQUAL(unb64(create.json()["user"]["id"]), kim.user_id);
  // The same key again: 409 conflict.
  auto again = first.make_registration(bv(unb64(create.json()["challenge"])), ro.identity.origin, ro.identity.rp_id);
  check_error(c->post("/v1/me/mfa/webauthn", {{"credential", registration_json(again)}}), 409, "conflict");
  // A registration for another origin: 422, the credential not accepted.
  auto create2 = c->post("/v1/me/mfa/webauthn/options");
  auto foreign = second.make_registration(bv(unb64(create2.json()["challenge"])), "https://evil.example", ro.identity.rp_id);
  check_error(c->post("/v1/me/mfa/webauthn", {{"credential", registration_json(foreign)}}), 422, "invalid_request");
  // A second key, properly made: registered, and either key signs in.
  auto create3 = c->post("/v1/me/mfa/webauthn/options");
  auto good = second.make_registration(bv(unb64(create3.json()["challenge"])), ro.identity.origin, ro.identity.rp_id);
  auto added = c->post("/v1/me/mfa/webauthn", {{"credential", registration_json(good)}});
  BOOST_REQUIRE_MESSAGE(added.status == 200, added.body);
  BOOST_CHECK_EQUAL(sign_in_with_key(kim, second)->get("/v1/me").status, 200);
}

BOOST_FIXTURE_TEST_CASE(webauthn_is_offered_only_to_users_with_a_key, Portal) {
  Person erin{"", "erin", "pt-erin", {}};
  enrol_with_totp(erin);
  auto c = client();
  auto first = c->post("/v1/auth/login", {{"username", "erin"}, {"password", kPassword}});
  BOOST_REQUIRE_EQUAL(first.status, 200);
  BOOST_CHECK(first.json()["methods"] == json::array({"totp"}));
  check_error(c->post("/v1/auth/webauthn/options", {{"login_id", first.json()["login_id"]}}), 404, "not_found");
  // The pending login still completes with the factor the user has.
  auto done = c->post("/v1/auth/mfa/totp", {{"login_id", first.json()["login_id"]}, {"code", code(erin)}});
  BOOST_CHECK_EQUAL(done.status, 200);
}

BOOST_FIXTURE_TEST_CASE(webauthn_step_up_rotates_the_session_and_unlocks_factor_changes, Portal) {
  SoftAuthenticator key(identity::CoseAlg::kEdDSA);
  auto fay = enrol_with_key("fay", key);
  auto c = sign_in_with_key(fay, key);
  t.clock.advance_us(6 * 60 * kSec);  // the login's own step-up, if any, is over
  check_error(c->post("/v1/me/recovery-codes"), 403, "step_up_required");
  std::string before = c->jar["__Host-rxp_session"];
  auto options = c->post("/v1/auth/step-up/webauthn/options");
  BOOST_REQUIRE_MESSAGE(options.status == 200, options.body);
  BOOST_CHECK_EQUAL(unb64(options.json()["allowCredentials"][0]["id"]), key.credential_id());
  auto challenge = unb64(options.json()["challenge"]);
  // A signature that does not verify: 403 mfa_failed, nothing rotates.
  auto forged = key.make_assertion(bv(challenge), ro.identity.origin, ro.identity.rp_id);
  forged.signature.back() ^= 0x01;
  check_error(c->post("/v1/auth/step-up", {{"method", "webauthn"}, {"credential", assertion_json(forged)}}), 403, "mfa_failed");
  // The failed attempt spent the challenge: a fresh one.
  challenge = unb64(c->post("/v1/auth/step-up/webauthn/options").json()["challenge"]);
  check_error(c->post("/v1/auth/step-up", {{"method", "webauthn"}}), 422, "invalid_request");
  auto a = key.make_assertion(bv(challenge), ro.identity.origin, ro.identity.rp_id);
  auto up = c->post("/v1/auth/step-up", {{"method", "webauthn"}, {"credential", assertion_json(a, fay.user_id)}});
  BOOST_REQUIRE_MESSAGE(up.status == 200, up.body);
  BOOST_CHECK(up.json()["step_up_until"].is_string());
  std::string after = c->jar["__Host-rxp_session"];
  BOOST_CHECK(after != before);
  c->csrf = up.json()["csrf_token"];
  auto codes = c->post("/v1/me/recovery-codes");
  BOOST_CHECK_EQUAL(codes.status, 200);
  // The token seen before the step-up is worthless after it.
  auto old = client();
  old->bearer = before;
  check_error(old->get("/v1/me"), 401, "unauthenticated");
}

BOOST_FIXTURE_TEST_CASE(listing_sessions_and_ending_one, Portal) {
  Person gus{"", "gus", "pt-gus", {}};
  auto laptop = enrol_with_totp(gus, "laptop/1.0");
  auto phone = sign_in_with_totp(gus, "phone/1.0");
  t.clock.advance_us(60 * kSec);
  BOOST_REQUIRE_EQUAL(phone->get("/v1/me").status, 200);  // the phone was used last
  auto list = laptop->get("/v1/me/sessions");
  BOOST_REQUIRE_MESSAGE(list.status == 200, list.body);
  auto items = list.json()["items"];
  // The grace session of enrolment, the laptop's, the phone's.
  BOOST_REQUIRE_EQUAL(items.size(), 3u);
  std::string laptop_id = laptop->get("/v1/me").json()["session"]["id"];
  std::string phone_id = phone->get("/v1/me").json()["session"]["id"];
  int current = 0;
  for (const auto& it : items) {
    BOOST_CHECK(it["created_at"].is_string() && it["last_used_at"].is_string());
    BOOST_CHECK(it["idle_expires_at"].is_string() && it["absolute_expires_at"].is_string());
    BOOST_CHECK_EQUAL(it.size(), 6u);  // id, four times, current: nothing else
    current += it["current"].get<bool>();
    if (it["current"].get<bool>()) BOOST_CHECK_EQUAL(it["id"], laptop_id);
  }
  BOOST_CHECK_EQUAL(current, 1);
  // Never a token.
  BOOST_CHECK(list.body.find(laptop->jar["__Host-rxp_session"]) == std::string::npos);
  BOOST_CHECK(list.body.find(phone->jar["__Host-rxp_session"].substr(phone_id.size() + 1)) == std::string::npos);
  BOOST_CHECK(list.body.find("token") == std::string::npos);
  // Ending the phone's session from the laptop: 204, and the phone's next request is refused.
  auto end = laptop->call("DELETE", "/v1/me/sessions/" + phone_id);
  BOOST_CHECK_EQUAL(end.status, 204);
  check_error(phone->get("/v1/me"), 401, "unauthenticated");
  auto after = laptop->get("/v1/me/sessions").json()["items"];
  BOOST_CHECK_EQUAL(after.size(), 2u);
  for (const auto& it : after) BOOST_CHECK(it["id"] != phone_id);
  // Without the CSRF header a cookie client cannot end a session.
  auto no_csrf = laptop->csrf;
  laptop->csrf.clear();
  check_error(laptop->call("DELETE", "/v1/me/sessions/" + laptop_id), 403, "csrf_failed");
  laptop->csrf = no_csrf;
  // Ending its own session signs the laptop out.
  BOOST_CHECK_EQUAL(laptop->call("DELETE", "/v1/me/sessions/" + laptop_id).status, 204);
  check_error(laptop->get("/v1/me"), 401, "unauthenticated");
}

BOOST_FIXTURE_TEST_CASE(another_users_session_is_answered_like_a_missing_one, Portal) {
  Person hal{"", "hal", "pt-hal", {}};
  Person ivy{"", "ivy", "pt-ivy", {}};
  auto h = enrol_with_totp(hal);
  auto i = enrol_with_totp(ivy);
  std::string ivys = i->get("/v1/me").json()["session"]["id"];
  auto foreign = h->call("DELETE", "/v1/me/sessions/" + ivys);
  auto missing = h->call("DELETE", "/v1/me/sessions/" + identity::fresh_id("ses-"));
  check_error(foreign, 404, "not_found");
  BOOST_CHECK_EQUAL(foreign.status, missing.status);
  BOOST_CHECK(foreign.headers == missing.headers);
  BOOST_CHECK_EQUAL(foreign.body, missing.body);
  BOOST_CHECK(foreign.body.find(ivys) == std::string::npos);
  BOOST_CHECK_EQUAL(i->get("/v1/me").status, 200);  // Ivy's session lives on
  for (const auto& it : h->get("/v1/me/sessions").json()["items"]) BOOST_CHECK(it["id"] != ivys);
}

BOOST_FIXTURE_TEST_CASE(metrics_are_prometheus_text_without_ids_or_names, Portal) {
  Person jon{"", "jon.smith", "pt-jon-4711", {}};
  auto c = enrol_with_totp(jon);
  std::string sid = c->get("/v1/me").json()["session"]["id"];
  check_error(c->get("/v1/patients/pt-jon-4711/nothing"), 404, "not_found");
  client()->post("/v1/auth/login", {{"username", "jon.smith"}, {"password", "wrong password here"}});
  // A client that does not speak TLS: a handshake failure.
  {
    net::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    std::string hello = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    net::write(s, net::buffer(hello));
    boost::system::error_code ec;
    char buf[256];
    while (!ec) s.read_some(net::buffer(buf), ec);  // the server closes
  }
  auto m = client()->get("/metrics");
  BOOST_REQUIRE_EQUAL(m.status, 200);
  BOOST_CHECK(m.header("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  BOOST_CHECK_EQUAL(m.header("Cache-Control"), "no-store");
  const auto& text = m.body;
  BOOST_CHECK(text.find("# TYPE rxp_http_requests_total counter") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_requests_total{route=\"login\",status_class=\"2xx\"}") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_requests_total{route=\"login\",status_class=\"4xx\"} 1") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_requests_total{route=\"none\",status_class=\"4xx\"} 1") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_request_duration_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_requests_in_flight 1") != std::string::npos);  // this request
  BOOST_CHECK(text.find("rxp_tls_handshake_failures_total 1") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_rate_limited_total 0") != std::string::npos);
  for (const std::string& secret : {jon.user_id, std::string("jon.smith"), jon.patient_id, sid,
                                    c->jar["__Host-rxp_session"]})
    BOOST_CHECK_MESSAGE(text.find(secret) == std::string::npos, "metrics hold " << secret);
}

BOOST_FIXTURE_TEST_CASE(the_openapi_document_is_served, Portal) {
  auto r = client()->get("/v1/openapi.json");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_CHECK_EQUAL(r.header("Content-Type"), "application/json");
  auto doc = r.json();
  BOOST_REQUIRE(doc.is_object());
  BOOST_CHECK(doc["openapi"].get<std::string>().rfind("3.0", 0) == 0);
  BOOST_CHECK(doc["paths"].contains("/v1/me/sessions/{id}"));
  BOOST_CHECK(doc["paths"]["/v1/auth/webauthn/verify"].contains("post"));
  BOOST_CHECK(doc["components"]["schemas"].contains("AssertionCredential"));
}

// The edge itself, without sockets: the source address decides who may read /metrics.
BOOST_FIXTURE_TEST_CASE(metrics_answer_loopback_clients_only_unless_configured, Portal) {
  auto ask = [](api::Edge& e, const std::string& ip) {
    api::HttpRequest r;
    r.method = "GET";
    r.target = "/metrics";
    r.source_ip = ip;
    api::HttpResponse out;
    e.handle(r, [&out](api::HttpResponse resp) { out = std::move(resp); });  // answered at once
    return out;
  };
  BOOST_CHECK_EQUAL(ask(*edge, "127.0.0.1").status, 200);
  BOOST_CHECK_EQUAL(ask(*edge, "::1").status, 200);
  auto far = ask(*edge, "203.0.113.9");
  BOOST_CHECK_EQUAL(far.status, 403);
  BOOST_CHECK(far.body.find("\"forbidden\"") != std::string::npos);
  BOOST_CHECK(far.body.find("rxp_") == std::string::npos);
  api::EdgeOptions open;
  open.metrics_from_any_address = true;
  api::Edge public_edge(*rt, t.clock, open);
  public_edge.metrics()->set_extra([] { return std::string("rxp_projection_lag_events 0"); });
  auto served = ask(public_edge, "203.0.113.9");
  BOOST_CHECK_EQUAL(served.status, 200);
  BOOST_CHECK(served.body.find("rxp_projection_lag_events 0\n") != std::string::npos);
  public_edge.shutdown();
}
