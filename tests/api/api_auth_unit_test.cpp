// The pure parts added for WebAuthn, sessions, metrics and the OpenAPI document: the document
// lists exactly the routes the router serves, the WebAuthn JSON reader refuses what it must
// without echoing, and the metrics text carries only route names and counts.
#define BOOST_TEST_MODULE api_auth_unit
#include <boost/test/unit_test.hpp>
#include <set>

#include "api/metrics.hpp"
#include "api/openapi.hpp"
#include "api/router.hpp"
#include "api/webauthn_json.hpp"
#include "infra/bytes.hpp"

using namespace rxp;
using namespace rxp::api;
using nlohmann::json;

namespace {

std::string b64(const std::string& raw) { return base64url_encode(as_bytes(std::string_view(raw))); }

// "/v1/patients/{pid}/export" -> "/v1/patients/x-1/export"
std::string instantiate(const std::string& tmpl) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{') {
      i = tmpl.find('}', i);
      out += "x-1";
    } else {
      out += tmpl[i];
    }
  }
  return out;
}

json assertion(const std::string& sig = "\x30\x45sig") {
  return {{"id", b64("cred-1")},
          {"rawId", b64("cred-1")},
          {"type", "public-key"},
          {"authenticatorAttachment", "cross-platform"},
          {"clientExtensionResults", json::object()},
          {"response",
           {{"clientDataJSON", b64(R"({"type":"webauthn.get"})")},
            {"authenticatorData", b64(std::string(37, '\x01'))},
            {"signature", b64(sig)},
            {"userHandle", nullptr}}}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_openapi_document_lists_exactly_the_routes_of_the_router) {
  auto doc = json::parse(openapi_document());
  BOOST_CHECK_EQUAL(doc["openapi"].get<std::string>().substr(0, 4), "3.0.");
  std::set<std::pair<std::string, std::string>> documented, served;
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.emplace(m, path);
      // Every operation says what it answers, errors included.
      BOOST_TEST_CONTEXT(m << " " << path) {
        BOOST_CHECK(op.contains("responses") && !op["responses"].empty());
        bool any_error = false;
        for (const auto& [code, r] : op["responses"].items()) any_error = any_error || code[0] >= '4';
        BOOST_CHECK(any_error);
      }
    }
  for (const auto& t : route_templates()) served.emplace(t.method, t.path);
  BOOST_CHECK(documented == served);
  for (const auto& d : documented)
    if (!served.count(d)) BOOST_ERROR("documented, not served: " << d.first << " " << d.second);
  for (const auto& s : served)
    if (!documented.count(s)) BOOST_ERROR("served, not documented: " << s.first << " " << s.second);
}

BOOST_AUTO_TEST_CASE(the_route_listing_is_what_the_router_matches) {
  std::set<Route> listed;
  for (const auto& t : route_templates()) {
    BOOST_TEST_CONTEXT(t.method << " " << t.path) {
      auto m = match_route(t.method, instantiate(t.path));
      BOOST_REQUIRE(m);
      BOOST_CHECK(m->route == t.route);
      BOOST_CHECK(m->method_allowed);
      listed.insert(t.route);
    }
  }
  // Every route the router has (each named value of the enum) is listed.
  for (int i = 0; std::string(route_name(static_cast<Route>(i))) != "unknown"; ++i)
    BOOST_CHECK_MESSAGE(listed.count(static_cast<Route>(i)), "route not listed: " << route_name(static_cast<Route>(i)));
  // /v1/me/mfa/webauthn is the registration, not a factor id to DELETE.
  auto reg = match_route("DELETE", "/v1/me/mfa/webauthn");
  BOOST_REQUIRE(reg);
  BOOST_CHECK(reg->route == Route::kMeWebAuthnRegister && !reg->method_allowed && reg->allow == "POST");
  auto end = match_route("DELETE", "/v1/me/sessions/ses-1");
  BOOST_REQUIRE(end);
  BOOST_CHECK_EQUAL(end->param, "ses-1");
  BOOST_CHECK(!needs_session(Route::kMetrics) && !needs_session(Route::kWebAuthnVerify) && needs_session(Route::kMeSessions));
}

BOOST_AUTO_TEST_CASE(an_assertion_in_the_level_2_json_shape_is_read) {
  AssertionInput in;
  BOOST_REQUIRE_EQUAL(parse_assertion_json(assertion(), in), "");
  BOOST_CHECK_EQUAL(in.assertion.credential_id, "cred-1");
  BOOST_CHECK_EQUAL(in.assertion.client_data_json, R"({"type":"webauthn.get"})");
  BOOST_CHECK_EQUAL(in.assertion.authenticator_data, std::string(37, '\x01'));
  BOOST_CHECK(!in.has_user_handle);
  auto with_handle = assertion();
  with_handle["response"]["userHandle"] = b64("usr-1");
  BOOST_REQUIRE_EQUAL(parse_assertion_json(with_handle, in), "");
  BOOST_CHECK(in.has_user_handle && in.user_handle == "usr-1");
}

BOOST_AUTO_TEST_CASE(a_malformed_credential_is_refused_naming_the_member_never_the_value) {
  struct Case {
    std::function<void(json&)> spoil;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](json& j) { j["type"] = "password"; }, "credential.type: must be \"public-key\""},
      {[](json& j) { j.erase("rawId"); }, "credential.rawId: required"},
      {[](json& j) { j["id"] = b64("other"); }, "credential.id: must equal rawId"},
      {[](json& j) { j["response"] = "x"; }, "credential.response: must be an object"},
      {[](json& j) { j["response"]["signature"] = "secret+value/=="; }, "credential.response.signature: must be base64url"},
      {[](json& j) { j["response"]["authenticatorData"] = b64("short"); },
       "credential.response.authenticatorData: must decode to 37..4096 bytes"},
      {[](json& j) { j["response"].erase("clientDataJSON"); }, "credential.response.clientDataJSON: required"},
      {[](json& j) { j["response"]["userHandle"] = 7; }, "credential.response.userHandle: must be a string"},
  };
  for (auto& c : cases) {
    auto j = assertion();
    c.spoil(j);
    AssertionInput in;
    auto message = parse_assertion_json(j, in);
    BOOST_CHECK_EQUAL(message, c.message);
    BOOST_CHECK(message.find("secret") == std::string::npos);
  }
  RegistrationInput reg;
  auto r = assertion();
  BOOST_CHECK_EQUAL(parse_registration_json(r, reg), "credential.response.attestationObject: required");
  r["response"]["attestationObject"] = b64("cbor");
  BOOST_CHECK_EQUAL(parse_registration_json(r, reg), "");
  BOOST_CHECK_EQUAL(reg.attestation_object, "cbor");
}

BOOST_AUTO_TEST_CASE(options_carry_base64url_challenges_and_credential_ids) {
  auto req = request_options_json("\x01\x02\xff", "portal.example", {"cred-1"});
  BOOST_CHECK_EQUAL(req["challenge"], b64("\x01\x02\xff"));
  BOOST_CHECK_EQUAL(req["rpId"], "portal.example");
  BOOST_CHECK_EQUAL(req["allowCredentials"][0]["id"], b64("cred-1"));
  BOOST_CHECK_EQUAL(req["timeout"], kWebAuthnTimeoutMs);
  auto create = creation_options_json("ch", "portal.example", "rxportal", "usr-1", {"cred-1"});
  BOOST_CHECK_EQUAL(create["user"]["id"], b64("usr-1"));
  BOOST_CHECK_EQUAL(create["rp"]["id"], "portal.example");
  BOOST_CHECK_EQUAL(create["attestation"], "none");
  BOOST_CHECK_EQUAL(create["excludeCredentials"][0]["id"], b64("cred-1"));
  BOOST_CHECK_EQUAL(create["pubKeyCredParams"].size(), 2u);
}

BOOST_AUTO_TEST_CASE(metrics_render_counts_by_route_and_class_only) {
  Metrics m;
  m.started();
  m.started();
  m.finished(Route::kLogin, 200, 0.003);
  m.finished(std::nullopt, 404, 20.0);
  m.tls_handshake_failed();
  m.rate_limited();
  m.refused(431);
  m.set_extra([] { return std::string("rxp_projection_lag_events 3"); });
  auto text = m.render();
  BOOST_CHECK(text.find("rxp_http_requests_total{route=\"login\",status_class=\"2xx\"} 1\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_requests_total{route=\"none\",status_class=\"4xx\"} 1\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_request_duration_seconds_bucket{le=\"0.0025\"} 0\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_request_duration_seconds_bucket{le=\"0.005\"} 1\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_request_duration_seconds_bucket{le=\"+Inf\"} 2\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_request_duration_seconds_count 2\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_requests_in_flight 0\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_tls_handshake_failures_total 1\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_rate_limited_total 1\n") != std::string::npos);
  BOOST_CHECK(text.find("rxp_http_refused_total{status_class=\"4xx\"} 1\n") != std::string::npos);
  BOOST_CHECK(text.size() > 0 && text.back() == '\n');
  BOOST_CHECK(text.find("rxp_projection_lag_events 3\n") != std::string::npos);
  // Each sample line: a metric name, optional labels from a fixed set, a number.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    BOOST_CHECK_MESSAGE(line.rfind("rxp_", 0) == 0, line);
  }
}

BOOST_AUTO_TEST_CASE(loopback_addresses_are_recognised) {
  BOOST_CHECK(is_loopback_address("127.0.0.1") && is_loopback_address("127.8.9.10"));
  BOOST_CHECK(is_loopback_address("::1") && is_loopback_address("::ffff:127.0.0.1"));
  BOOST_CHECK(!is_loopback_address("10.0.0.1") && !is_loopback_address("::ffff:10.0.0.1"));
  BOOST_CHECK(!is_loopback_address("1270.0.0.1"));
  BOOST_CHECK(!is_loopback_address("") && !is_loopback_address("unknown"));
}
