// The HTTPS edge end to end: the real server on 127.0.0.1 (ephemeral port, TLS, a self-signed
// certificate), the real actor runtime over a real SQLite store on the simulated clock, and a
// real TLS client (tests/api/http_client.hpp).
#define BOOST_TEST_MODULE api_integration
#include <openssl/ssl.h>

#include <boost/test/unit_test.hpp>
#include <thread>

#include "tests/api/portal.hpp"

using namespace rxp;
using rxp::testkit::HttpsClient;
using rxp::testkit::Reply;
using nlohmann::json;
namespace beast = rxp::testkit::beast;
namespace net = rxp::testkit::net;
namespace ssl = rxp::testkit::ssl;
using rxp::testkit::tcp;
using namespace rxp::apitest;

BOOST_FIXTURE_TEST_CASE(login_with_totp_then_me_and_health, Portal) {
  auto alice = enrol("alice", "patient", "pt-alice");
  auto c = client();
  auto first = c->post("/v1/auth/login", {{"username", "alice"}, {"password", kPassword}});
  BOOST_REQUIRE_EQUAL(first.status, 200);
  check_security_headers(first);
  BOOST_CHECK_EQUAL(first.json()["status"], "mfa_required");
  BOOST_CHECK(first.json()["methods"] == json::array({"totp"}));  // only factors this API completes
  BOOST_CHECK(first.body.find(alice.user_id) == std::string::npos);  // no user id before the factor
  BOOST_CHECK(c->jar.count("__Host-rxp_preauth") == 1 && c->jar.count("__Host-rxp_session") == 0);
  BOOST_CHECK(first.header("Set-Cookie").find("Secure; HttpOnly; SameSite=Strict") != std::string::npos);
  // The login_id alone (without the pre-auth cookie) does not complete the login.
  auto stranger = client();
  check_error(stranger->post("/v1/auth/mfa/totp", {{"login_id", first.json()["login_id"]}, {"code", code(alice)}}),
              401, "unauthenticated");
  auto wrong = c->post("/v1/auth/mfa/totp", {{"login_id", first.json()["login_id"]}, {"code", "000000"}});
  check_error(wrong, 401, "unauthenticated");
  auto done = c->post("/v1/auth/mfa/totp", {{"login_id", first.json()["login_id"]}, {"code", code(alice)}});
  BOOST_REQUIRE_MESSAGE(done.status == 200, done.body);
  BOOST_CHECK_EQUAL(done.json()["status"], "authenticated");
  BOOST_CHECK_EQUAL(done.json()["user"]["id"], alice.user_id);
  BOOST_CHECK(done.json()["csrf_token"].is_string());
  BOOST_CHECK(c->jar.count("__Host-rxp_session") == 1 && c->jar.count("__Host-rxp_preauth") == 0);
  auto me = c->get("/v1/me");
  BOOST_REQUIRE_EQUAL(me.status, 200);
  check_security_headers(me);
  BOOST_CHECK_EQUAL(me.json()["id"], alice.user_id);
  BOOST_CHECK(me.json()["roles"] == json::array({"patient"}));
  BOOST_CHECK_EQUAL(me.json()["patient_id"], "pt-alice");
  BOOST_CHECK(me.json()["mfa"] == json::array({"totp"}));
  BOOST_CHECK(me.json()["session"]["idle_expires_at"].is_string());
  BOOST_CHECK(me.json()["session"]["step_up_until"].is_null());
  // The same token as a bearer works too; a garbage one does not.
  auto b = client();
  b->bearer = c->jar["__Host-rxp_session"];
  BOOST_CHECK_EQUAL(b->get("/v1/me").status, 200);
  b->bearer = "ses-nope.xxx";
  check_error(b->get("/v1/me"), 401, "unauthenticated");
  check_error(client()->get("/v1/me"), 401, "unauthenticated");
  check_error(c->get("/v1/nothing-here"), 404, "not_found");
  check_error(c->call("DELETE", "/v1/auth/login"), 405, "method_not_allowed");
  auto health = client()->get("/healthz");
  BOOST_CHECK_EQUAL(health.status, 200);
  check_security_headers(health);
}

BOOST_FIXTURE_TEST_CASE(unknown_user_is_answered_byte_for_byte_like_a_wrong_password, Portal) {
  enrol("bob", "patient", "pt-bob");
  auto wrong = client()->post("/v1/auth/login", {{"username", "bob"}, {"password", "not the password at all"}});
  auto unknown = client()->post("/v1/auth/login", {{"username", "nobody"}, {"password", "not the password at all"}});
  check_error(wrong, 401, "unauthenticated");
  BOOST_CHECK_EQUAL(unknown.status, wrong.status);
  BOOST_CHECK(unknown.headers == wrong.headers);
  BOOST_CHECK_EQUAL(unknown.body, wrong.body);
  BOOST_CHECK(wrong.body.find("not the password") == std::string::npos);
  // A client that waits for 100 Continue before its body gets it.
  auto waits = client()->call("POST", "/v1/auth/login", R"({"username":"nobody","password":"not the password at all"})",
                              {{"Expect", "100-continue"}});
  BOOST_CHECK_EQUAL(waits.body, wrong.body);
}

BOOST_FIXTURE_TEST_CASE(a_cookie_set_before_login_is_not_accepted_after_it, Portal) {
  auto victim = enrol("victor", "patient", "pt-victor");
  auto mallory = enrol("mallory", "patient", "pt-mallory");
  auto m = sign_in(mallory);
  std::string planted = m->jar["__Host-rxp_session"];
  // Mallory plants her own session cookie in the victim's browser, who then logs in.
  auto c = client();
  c->jar["__Host-rxp_session"] = planted;
  auto first = c->post("/v1/auth/login", {{"username", "victor"}, {"password", kPassword}});
  BOOST_REQUIRE_EQUAL(first.status, 200);
  std::string preauth = c->jar["__Host-rxp_preauth"];
  auto done = c->post("/v1/auth/mfa/totp", {{"login_id", first.json()["login_id"]}, {"code", code(victim)}});
  BOOST_REQUIRE_EQUAL(done.status, 200);
  std::string issued = c->jar["__Host-rxp_session"];
  BOOST_CHECK(issued != planted && issued != preauth);
  BOOST_CHECK_EQUAL(c->get("/v1/me").json()["id"], victim.user_id);
  // Mallory's cookie still means Mallory, never the victim; the pre-auth cookie means nothing.
  auto as_planted = client();
  as_planted->jar["__Host-rxp_session"] = planted;
  BOOST_CHECK_EQUAL(as_planted->get("/v1/me").json()["id"], mallory.user_id);
  auto as_preauth = client();
  as_preauth->jar["__Host-rxp_session"] = preauth;
  check_error(as_preauth->get("/v1/me"), 401, "unauthenticated");
}

BOOST_FIXTURE_TEST_CASE(state_changes_need_the_csrf_header_with_cookies, Portal) {
  auto carol = enrol("carol", "patient", "pt-carol");
  auto c = sign_in(carol);
  std::string token = c->csrf;
  c->csrf.clear();
  check_error(c->post("/v1/auth/logout"), 403, "csrf_failed");
  c->csrf = "not-the-token";
  check_error(c->post("/v1/auth/logout"), 403, "csrf_failed");
  BOOST_CHECK_EQUAL(c->get("/v1/me").status, 200);  // still signed in
  // A bearer client needs no CSRF header (no ambient credential to forge with).
  auto b = client();
  b->bearer = c->jar["__Host-rxp_session"];
  BOOST_CHECK_EQUAL(b->post("/v1/auth/logout").status, 204);
  check_error(c->get("/v1/me"), 401, "unauthenticated");
}

BOOST_FIXTURE_TEST_CASE(records_of_others_look_like_records_that_do_not_exist, Portal) {
  seed_record("pt-dana");
  seed_record("pt-erin");
  auto dana = enrol("dana", "patient", "pt-dana");
  auto c = sign_in(dana);
  auto own = c->get("/v1/patients/pt-dana/medications");
  BOOST_REQUIRE_MESSAGE(own.status == 200, own.body);
  BOOST_REQUIRE_EQUAL(own.json()["items"].size(), 1u);
  BOOST_CHECK_EQUAL(own.json()["items"][0]["name"], "warfarin");
  BOOST_CHECK_EQUAL(c->get("/v1/patients/pt-dana/adverse-events").status, 200);
  BOOST_CHECK_EQUAL(c->get("/v1/patients/pt-dana/pgx").status, 200);  // self: no step-up for PGx
  auto other = c->get("/v1/patients/pt-erin/medications");
  auto missing = c->get("/v1/patients/pt-nobody/medications");
  auto malformed = c->get("/v1/patients/..%2F..%2Fetc/medications");
  check_error(other, 403, "forbidden");
  BOOST_CHECK(other.headers == missing.headers && other.body == missing.body);
  BOOST_CHECK_EQUAL(missing.status, other.status);
  BOOST_CHECK(malformed.status == 403 && malformed.body == other.body);
}

BOOST_FIXTURE_TEST_CASE(export_needs_a_fresh_step_up_which_rotates_the_session, Portal) {
  seed_record("pt-fay");
  auto fay = enrol("fay", "patient", "pt-fay");
  auto c = sign_in(fay);
  check_error(c->post("/v1/patients/pt-fay/export"), 403, "step_up_required");
  std::string before = c->jar["__Host-rxp_session"];
  check_error(c->post("/v1/auth/step-up", {{"method", "totp"}, {"code", "123"}}), 403, "mfa_failed");
  auto up = c->post("/v1/auth/step-up", {{"method", "totp"}, {"code", code(fay)}});
  BOOST_REQUIRE_MESSAGE(up.status == 200, up.body);
  BOOST_CHECK(up.json()["step_up_until"].is_string());
  BOOST_CHECK(c->jar["__Host-rxp_session"] != before);
  // The old CSRF token died with the old token.
  check_error(c->post("/v1/patients/pt-fay/export"), 403, "csrf_failed");
  c->csrf = up.json()["csrf_token"];
  auto bundle = c->post("/v1/patients/pt-fay/export");
  BOOST_REQUIRE_MESSAGE(bundle.status == 200, bundle.body);
  BOOST_CHECK_EQUAL(bundle.json()["patient_id"], "pt-fay");
  BOOST_CHECK_EQUAL(bundle.json()["medications"].size(), 1u);
  auto old = client();
  old->jar["__Host-rxp_session"] = before;
  check_error(old->get("/v1/me"), 401, "unauthenticated");
  // Recovery codes need the step-up too; they are shown once.
  auto codes = c->post("/v1/me/recovery-codes");
  BOOST_REQUIRE_EQUAL(codes.status, 200);
  BOOST_CHECK_EQUAL(codes.json()["codes"].size(), 10u);
  t.clock.advance_us(6 * 60 * kSec);  // the step-up lapses
  check_error(c->post("/v1/patients/pt-fay/export"), 403, "step_up_required");
  // Removing a factor needs a step-up too, and ends every session.
  check_error(c->call("DELETE", "/v1/me/mfa/recovery"), 403, "step_up_required");
  auto again = c->post("/v1/auth/step-up", {{"method", "totp"}, {"code", code(fay)}});
  BOOST_REQUIRE_EQUAL(again.status, 200);
  c->csrf = again.json()["csrf_token"];
  check_error(c->call("DELETE", "/v1/me/mfa/fac-nope"), 404, "not_found");
  BOOST_CHECK_EQUAL(c->call("DELETE", "/v1/me/mfa/recovery").status, 204);
  check_error(c->get("/v1/me"), 401, "unauthenticated");
}

BOOST_FIXTURE_TEST_CASE(logout_and_logout_all_end_sessions_on_the_next_request, Portal) {
  auto gus = enrol("gus", "patient", "pt-gus");
  auto a = sign_in(gus), b = sign_in(gus), d = sign_in(gus);
  auto out = a->post("/v1/auth/logout");
  BOOST_CHECK_EQUAL(out.status, 204);
  check_security_headers(out);
  BOOST_CHECK(a->jar.count("__Host-rxp_session") == 0);  // the cookie is cleared
  check_error(a->get("/v1/me"), 401, "unauthenticated");
  BOOST_CHECK_EQUAL(b->get("/v1/me").status, 200);
  std::string b_token = b->jar["__Host-rxp_session"];
  BOOST_CHECK_EQUAL(b->post("/v1/auth/logout-all").status, 204);
  auto b_old = client();
  b_old->jar["__Host-rxp_session"] = b_token;
  check_error(b_old->get("/v1/me"), 401, "unauthenticated");
  check_error(d->get("/v1/me"), 401, "unauthenticated");
}

BOOST_FIXTURE_TEST_CASE(a_password_change_ends_the_other_sessions, Portal) {
  auto hal = enrol("hal", "patient", "pt-hal");
  auto a = sign_in(hal), b = sign_in(hal, "another-browser/2.0");
  check_error(a->post("/v1/me/password", {{"current_password", "wrong one entirely"}, {"new_password", "a whole new passphrase"}}),
              403, "forbidden");
  auto weak = a->post("/v1/me/password", {{"current_password", kPassword}, {"new_password", "short"}});
  check_error(weak, 422, "invalid_request");
  BOOST_CHECK(weak.body.find("new_password") != std::string::npos && weak.body.find("\"short\"") == std::string::npos);
  BOOST_CHECK_EQUAL(a->post("/v1/me/password", {{"current_password", kPassword}, {"new_password", "a whole new passphrase"}}).status, 204);
  BOOST_CHECK_EQUAL(a->get("/v1/me").status, 200);
  check_error(b->get("/v1/me"), 401, "unauthenticated");
  check_error(client()->post("/v1/auth/login", {{"username", "hal"}, {"password", kPassword}}), 401, "unauthenticated");
  auto again = client()->post("/v1/auth/login", {{"username", "hal"}, {"password", "a whole new passphrase"}});
  BOOST_CHECK_EQUAL(again.status, 200);
}

BOOST_FIXTURE_TEST_CASE(bad_input_gets_clean_4xx_and_the_server_keeps_serving, Portal) {
  auto c = client();
  auto post_raw = [&](const std::string& body, const std::string& type = "application/json") {
    return c->call("POST", "/v1/auth/login", body, {{"Content-Type", type}});
  };
  check_error(post_raw(R"({"username":"a","password":)"), 400, "invalid_json");
  check_error(post_raw("{\"username\":\"a\xff\xfe\",\"password\":\"b\"}"), 400, "invalid_json");
  check_error(post_raw(std::string(5000, '[') + std::string(5000, ']')), 400, "invalid_json");
  auto unknown = post_raw(R"({"username":"a","password":"b","role":"admin"})");
  check_error(unknown, 422, "invalid_request");
  BOOST_CHECK(unknown.json()["error"]["message"].get<std::string>().find("role") != std::string::npos);
  auto typed = post_raw(R"({"username":"a","password":1234567})");
  check_error(typed, 422, "invalid_request");
  BOOST_CHECK(typed.body.find("password") != std::string::npos && typed.body.find("1234567") == std::string::npos);
  check_error(post_raw(R"({"username":"a","password":"b"})", "text/plain"), 415, "unsupported_media_type");
  check_error(c->send_header_only("/v1/auth/login", 2 * 1024 * 1024), 413, "too_large");
  auto big = client();
  check_error(big->call("GET", "/healthz", "", {{"X-Padding", std::string(20 * 1024, 'a')}}), 431, "header_too_large");
  auto raw = client();
  // A body over the limit sent in full is refused the same way.
  check_error(raw->call("POST", "/v1/auth/login", std::string(1024 * 1024 + 10, ' ')), 413, "too_large");
  for (int i = 0; i < 3; ++i) BOOST_CHECK_EQUAL(client()->get("/healthz").status, 200);
}

BOOST_FIXTURE_TEST_CASE(a_slow_client_does_not_stop_others_being_served, Portal) {
  net::io_context ioc;
  std::vector<std::unique_ptr<tcp::socket>> idle;
  for (int i = 0; i < 20; ++i) {
    auto s = std::make_unique<tcp::socket>(ioc);
    s->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    idle.push_back(std::move(s));  // connects and sends nothing
  }
  auto c = client();
  for (int i = 0; i < 5; ++i) BOOST_CHECK_EQUAL(client()->get("/healthz").status, 200);
  // After the header timeout (1.5 s here) the server has closed the silent connections.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  for (auto& s : idle) {
    char byte;
    boost::system::error_code ec;
    s->read_some(net::buffer(&byte, 1), ec);
    BOOST_CHECK(ec);  // eof or reset: closed by the server
  }
  BOOST_CHECK_EQUAL(c->get("/healthz").status, 200);
}

BOOST_AUTO_TEST_CASE(a_source_over_its_rate_is_told_when_to_retry) {
  auto o = test_options();
  o.rate = {1.0, 3.0, 100};
  Portal p(o);
  auto c = p.client();
  for (int i = 0; i < 3; ++i) BOOST_CHECK_EQUAL(c->get("/healthz").status, 200);
  auto limited = c->get("/healthz");
  check_error(limited, 429, "rate_limited");
  BOOST_CHECK(!limited.header("Retry-After").empty());
}

BOOST_FIXTURE_TEST_CASE(only_tls_1_2_and_1_3_with_aead_suites, Portal) {
  auto try_handshake = [&](const std::function<void(SSL_CTX*)>& configure) {
    net::io_context ioc;
    ssl::context ctx{ssl::context::tls_client};
    ctx.set_verify_mode(ssl::verify_none);
    configure(ctx.native_handle());
    beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
    beast::error_code ec;
    beast::get_lowest_layer(s).expires_after(std::chrono::seconds(5));
    beast::get_lowest_layer(s).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) s.handshake(ssl::stream_base::client, ec);
    return !ec;
  };
  BOOST_CHECK(try_handshake([](SSL_CTX*) {}));
  BOOST_CHECK(try_handshake([](SSL_CTX* c) {
    SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-CHACHA20-POLY1305");
  }));
  BOOST_CHECK(!try_handshake([](SSL_CTX* c) {  // CBC suites are refused
    SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA");
  }));
  BOOST_CHECK(!try_handshake([](SSL_CTX* c) {  // TLS 1.1 is refused
    SSL_CTX_set_security_level(c, 0);
    SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(c, TLS1_1_VERSION);
    SSL_CTX_set_cipher_list(c, "ALL:@SECLEVEL=0");
  }));
}
