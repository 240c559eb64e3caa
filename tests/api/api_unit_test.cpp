// The edge's pure parts without sockets: strict JSON input, routing, headers and cookies, the
// rate limiter, the pending-login map, listen addresses and the self-signed certificate.
#define BOOST_TEST_MODULE api_unit
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "api/http_server.hpp"
#include "api/json_input.hpp"
#include "api/login_map.hpp"
#include "api/rate_limit.hpp"
#include "api/response.hpp"
#include "api/router.hpp"
#include "api/tls.hpp"
#include "infra/secure.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp::api;

namespace {

const JsonSchema kLogin{{"username", JsonType::kString, true, 16}, {"password", JsonType::kString, true, 64}};

JsonInput parse(std::string_view body, const JsonSchema& s = kLogin, JsonLimits l = {}) {
  return parse_json_object(body, s, l);
}

// libsodium before any test (the device fingerprint and the login map hash with it).
const bool kSodiumReady = rxp::secure_init();

}  // namespace

BOOST_AUTO_TEST_CASE(json_accepts_exactly_the_schema) {
  BOOST_REQUIRE(kSodiumReady);
  auto ok = parse(R"({"username":"dr.who","password":"secret words"})");
  BOOST_REQUIRE(ok.ok());
  BOOST_CHECK_EQUAL(ok.value["username"], "dr.who");
  auto missing = parse(R"({"username":"dr.who"})");
  BOOST_CHECK(missing.problem == InputProblem::kInvalidField);
  BOOST_CHECK_EQUAL(missing.field, "password");
  auto unknown = parse(R"({"username":"a","password":"b","admin":true})");
  BOOST_CHECK_EQUAL(unknown.field, "admin");
  BOOST_CHECK(unknown.problem == InputProblem::kInvalidField);
  auto type = parse(R"({"username":"a","password":12345})");
  BOOST_CHECK_EQUAL(type.field, "password");
  BOOST_CHECK(type.message.find("string") != std::string::npos);
  BOOST_CHECK(type.message.find("12345") == std::string::npos);  // values are never echoed
  auto too_long = parse(R"({"username":"aaaaaaaaaaaaaaaaaaaaaa","password":"b"})");
  BOOST_CHECK_EQUAL(too_long.field, "username");
  auto dup = parse(R"({"username":"a","password":"b","password":"c"})");
  BOOST_CHECK_EQUAL(dup.field, "password");
  BOOST_CHECK(dup.message.find("more than once") != std::string::npos);
  // Odd keys are not echoed either.
  auto odd = parse(R"({"username":"a","password":"b","<script>":1})");
  BOOST_CHECK_EQUAL(odd.field, "body");
  BOOST_CHECK(odd.message.find("<script>") == std::string::npos);
  BOOST_CHECK(parse(R"(["username"])").problem == InputProblem::kInvalidField);
  BOOST_CHECK(parse(R"("text")").problem == InputProblem::kInvalidField);
}

BOOST_AUTO_TEST_CASE(json_refuses_malformed_deep_invalid_utf8_and_large_input) {
  BOOST_CHECK(parse(R"({"username":"a","password":)").problem == InputProblem::kMalformed);
  BOOST_CHECK(parse("").problem == InputProblem::kMalformed);
  BOOST_CHECK(parse(R"({"username":"a","password":"b"} trailing)").problem == InputProblem::kMalformed);
  BOOST_CHECK(parse("{\"username\":\"a\xff\",\"password\":\"b\"}").problem == InputProblem::kMalformed);
  std::string deep(100, '[');
  deep += std::string(100, ']');
  BOOST_CHECK(parse(deep).problem == InputProblem::kMalformed);
  std::string deep_in_value = R"({"username":"a","password":)" + std::string(20, '[') + std::string(20, ']') + "}";
  BOOST_CHECK(parse(deep_in_value).problem == InputProblem::kMalformed);
  JsonLimits small;
  small.max_bytes = 10;
  BOOST_CHECK(parse(R"({"username":"a","password":"b"})", kLogin, small).problem == InputProblem::kTooLarge);
  // Brackets inside strings are not nesting.
  auto brackets = parse(R"({"username":"[[[[","password":"{{{{{{{{{{{{{{{{{{{{{{"})");
  BOOST_CHECK(brackets.ok());
  JsonLimits empty_ok;
  empty_ok.empty_is_object = true;
  BOOST_CHECK(parse_json_object("", {}, empty_ok).ok());
  BOOST_CHECK(!parse_json_object("", {}, {}).ok());
}

BOOST_AUTO_TEST_CASE(utf8_validation_follows_rfc_3629) {
  BOOST_CHECK(valid_utf8("plain"));
  BOOST_CHECK(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\x8a"));
  BOOST_CHECK(!valid_utf8("\xc0\xaf"));          // overlong '/'
  BOOST_CHECK(!valid_utf8("\xe0\x80\xaf"));      // overlong, 3 bytes
  BOOST_CHECK(!valid_utf8("\xed\xa0\x80"));      // a surrogate
  BOOST_CHECK(!valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  BOOST_CHECK(!valid_utf8("\xe2\x82"));          // truncated
  BOOST_CHECK(!valid_utf8("\x80"));              // a lone continuation byte
  BOOST_CHECK_EQUAL(json_depth(R"({"a":[1,{"b":"]]]"}]})"), 3u);
}

BOOST_AUTO_TEST_CASE(routes_methods_and_parameters) {
  auto m = match_route("GET", "/v1/patients/pt-1/medications");
  BOOST_REQUIRE(m);
  BOOST_CHECK(m->route == Route::kPatientSection);
  BOOST_CHECK_EQUAL(m->param, "pt-1");
  BOOST_CHECK_EQUAL(m->section, "medications");
  BOOST_CHECK(match_route("GET", "/v1/patients/pt-1/pgx")->section == "pgx");
  BOOST_CHECK(match_route("POST", "/v1/patients/pt-1/export")->route == Route::kPatientExport);
  auto wrong = match_route("DELETE", "/v1/auth/login");
  BOOST_REQUIRE(wrong);
  BOOST_CHECK(!wrong->method_allowed);
  BOOST_CHECK_EQUAL(wrong->allow, "POST");
  BOOST_CHECK(match_route("POST", "/v1/me/mfa/totp/fac-1/confirm")->param == "fac-1");
  BOOST_CHECK(match_route("DELETE", "/v1/me/mfa/fac-1")->route == Route::kMeFactorRemove);
  BOOST_CHECK(match_route("POST", "/v1/me/mfa/totp")->route == Route::kMeTotpStart);
  BOOST_CHECK(!match_route("GET", "/v1/me/"));
  BOOST_CHECK(!match_route("GET", "//v1/me"));
  BOOST_CHECK(!match_route("GET", "/v1/patients//medications"));
  BOOST_CHECK(!match_route("GET", "/v1/patients/pt-1/secrets"));
  BOOST_CHECK(!match_route("GET", "http://example.com/v1/me"));
  BOOST_CHECK(!match_route("GET", "/v1/patients/" + std::string(200, 'x') + "/pgx"));
  BOOST_CHECK(match_route("GET", "/healthz")->route == Route::kHealthz);
  BOOST_CHECK(!needs_session(Route::kLogin) && !needs_session(Route::kMfaTotp) && needs_session(Route::kStepUp));
  BOOST_CHECK(is_state_changing_method("POST") && is_state_changing_method("DELETE") && !is_state_changing_method("GET"));
  BOOST_CHECK_EQUAL(path_of("/v1/me?x=1"), "/v1/me");
  BOOST_CHECK_EQUAL(path_of("*"), "");
}

BOOST_AUTO_TEST_CASE(error_bodies_headers_and_cookies) {
  auto e = error_response(403, "forbidden", "access denied");
  BOOST_CHECK_EQUAL(e.status, 403);
  BOOST_CHECK_EQUAL(e.body, R"({"error":{"code":"forbidden","message":"access denied"}})");
  auto r = rate_limited_response(1'500'000);
  BOOST_CHECK_EQUAL(r.status, 429);
  BOOST_REQUIRE_EQUAL(r.headers.size(), 1u);
  BOOST_CHECK_EQUAL(r.headers[0].first, "Retry-After");
  BOOST_CHECK_EQUAL(r.headers[0].second, "2");
  BOOST_CHECK_EQUAL(rate_limited_response(1).headers[0].second, "1");
  auto h = security_headers();
  auto has = [&](const std::string& k, const std::string& v) {
    return std::any_of(h.begin(), h.end(), [&](const auto& p) { return p.first == k && p.second == v; });
  };
  BOOST_CHECK(has("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"));
  BOOST_CHECK(has("X-Content-Type-Options", "nosniff"));
  BOOST_CHECK(has("Cache-Control", "no-store"));
  BOOST_CHECK(has("Referrer-Policy", "no-referrer"));
  BOOST_CHECK(std::any_of(h.begin(), h.end(), [](const auto& p) { return p.first == "Strict-Transport-Security"; }));
  BOOST_CHECK_EQUAL(set_cookie(kSessionCookie, "abc"), "__Host-rxp_session=abc; Path=/; Secure; HttpOnly; SameSite=Strict");
  BOOST_CHECK(clear_cookie(kPreAuthCookie).find("Max-Age=0") != std::string::npos);
  BOOST_CHECK_EQUAL(*cookie_value("a=1; __Host-rxp_session=tok.en; b=2", kSessionCookie), "tok.en");
  BOOST_CHECK(!cookie_value("a=1", kSessionCookie));
  BOOST_CHECK(!cookie_value("__Host-rxp_session=x; __Host-rxp_session=y", kSessionCookie));  // planted twin
  BOOST_CHECK(!cookie_value("x__Host-rxp_session=y", kSessionCookie));
  BOOST_CHECK_EQUAL(*bearer_token("Bearer abc.def"), "abc.def");
  BOOST_CHECK_EQUAL(*bearer_token("bearer abc"), "abc");
  BOOST_CHECK(!bearer_token("Basic abc"));
  BOOST_CHECK(!bearer_token("Bearer"));
  BOOST_CHECK(!bearer_token("Bearer a b"));
  auto d1 = device_fingerprint("Mozilla/5.0"), d2 = device_fingerprint("Mozilla/5.1");
  BOOST_CHECK(d1 != d2);
  BOOST_CHECK_EQUAL(d1, device_fingerprint("Mozilla/5.0"));
  BOOST_CHECK(d1.find("Mozilla") == std::string::npos);
  BOOST_CHECK(is_json_content_type("application/json"));
  BOOST_CHECK(is_json_content_type("Application/JSON; charset=utf-8"));
  BOOST_CHECK(!is_json_content_type("text/plain"));
  BOOST_CHECK(!is_json_content_type("application/json; charset=latin1"));
}

BOOST_AUTO_TEST_CASE(token_bucket_per_source_with_bounded_memory) {
  RateLimiter rl({2.0, 3.0, 4});
  int64_t t = 1'000'000;
  for (int i = 0; i < 3; ++i) BOOST_CHECK_EQUAL(rl.take("198.51.100.1", t), 0);
  int64_t wait = rl.take("198.51.100.1", t);
  BOOST_CHECK_GT(wait, 0);
  BOOST_CHECK_LE(wait, 500'000);
  BOOST_CHECK_EQUAL(rl.take("198.51.100.2", t), 0);  // another source is not affected
  BOOST_CHECK_EQUAL(rl.take("198.51.100.1", t + wait), 0);
  for (int i = 0; i < 50; ++i) (void)rl.take("203.0.113." + std::to_string(i), t);
  BOOST_CHECK_LE(rl.tracked(), 4u);
}

BOOST_AUTO_TEST_CASE(pending_logins_need_their_cookie_expire_and_are_bounded) {
  LoginMap m(3, 1000, 2);
  m.put("lgn-1", "cookie-1", {"usr-1", {"totp"}, 0}, 0);
  BOOST_CHECK(m.find("lgn-1", "cookie-1", 10)->user_id == "usr-1");
  BOOST_CHECK(!m.find("lgn-1", "cookie-2", 10));
  BOOST_CHECK(!m.find("lgn-1", "", 10));
  BOOST_CHECK(!m.find("lgn-9", "cookie-1", 10));
  BOOST_CHECK(!m.find("lgn-1", "cookie-1", 1000));  // expired
  m.put("lgn-2", "c", {"usr-2", {}, 0}, 0);
  m.note_failure("lgn-2");
  BOOST_CHECK(m.find("lgn-2", "c", 1));
  m.note_failure("lgn-2");
  BOOST_CHECK(!m.find("lgn-2", "c", 1));  // dropped after two failures
  for (int i = 0; i < 10; ++i) m.put("lgn-x" + std::to_string(i), "c", {"u", {}, 0}, i);
  BOOST_CHECK_LE(m.size(), 3u);
  BOOST_CHECK(m.find("lgn-x9", "c", 10));
}

BOOST_AUTO_TEST_CASE(listen_addresses) {
  std::string host;
  uint16_t port = 0;
  BOOST_CHECK(parse_listen("127.0.0.1:8443", host, port).is_ok());
  BOOST_CHECK_EQUAL(host, "127.0.0.1");
  BOOST_CHECK_EQUAL(port, 8443);
  BOOST_CHECK(parse_listen("[::1]:0", host, port).is_ok());
  BOOST_CHECK_EQUAL(host, "::1");
  BOOST_CHECK(!parse_listen("localhost:8443", host, port).is_ok());
  BOOST_CHECK(!parse_listen("127.0.0.1", host, port).is_ok());
  BOOST_CHECK(!parse_listen("127.0.0.1:99999", host, port).is_ok());
  BOOST_CHECK(!parse_listen("127.0.0.1:80a", host, port).is_ok());
}

BOOST_AUTO_TEST_CASE(self_signed_certificate_is_made_once_with_a_private_key) {
  rxp::testkit::TempDir dir;
  auto made = make_self_signed(dir.path() + "/tls");
  BOOST_REQUIRE_MESSAGE(made.is_ok(), made.status().to_string());
  BOOST_CHECK(made->created);
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(made->key_path.c_str(), &st), 0);
  BOOST_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  auto again = make_self_signed(dir.path() + "/tls");
  BOOST_REQUIRE(again.is_ok());
  BOOST_CHECK(!again->created);
  ::chmod(made->key_path.c_str(), 0644);
  BOOST_CHECK(make_self_signed(dir.path() + "/tls").status().code() == rxp::ErrorCode::kKeyError);
}

BOOST_AUTO_TEST_CASE(query_strings_are_decoded_strictly) {
  auto q = rxp::api::parse_query("/v1/audit/events?patient=pt-1&type=Record%56iewed&from=2026-01-01T00%3A00%3A00Z&x=a+b");
  BOOST_REQUIRE(q.has_value());
  BOOST_REQUIRE_EQUAL(q->size(), 4u);
  BOOST_CHECK_EQUAL((*q)[1].second, "RecordViewed");
  BOOST_CHECK_EQUAL((*q)[2].second, "2026-01-01T00:00:00Z");
  BOOST_CHECK_EQUAL((*q)[3].second, "a b");
  BOOST_CHECK(rxp::api::parse_query("/p")->empty());
  BOOST_CHECK(!rxp::api::parse_query("/p?a=%Z1"));     // bad escape
  BOOST_CHECK(!rxp::api::parse_query("/p?a=%4"));      // cut escape
  BOOST_CHECK(!rxp::api::parse_query("/p?a=1&a=2"));   // a name twice
  BOOST_CHECK(!rxp::api::parse_query("/p?a=%0A"));     // a control byte
  BOOST_CHECK(!rxp::api::parse_query("/p?=1"));        // no name
}
