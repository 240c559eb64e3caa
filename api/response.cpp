#include "api/response.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "infra/bytes.hpp"
#include "infra/clock.hpp"

namespace rxp::api {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
  nlohmann::json j = {{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
  // Replacement of invalid UTF-8 keeps dump() from throwing should a message ever carry it.
  return json_response(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse empty_response(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

HttpResponse rate_limited_response(int64_t retry_after_us) {
  auto r = error_response(429, "rate_limited", "too many requests; retry later");
  int64_t s = std::max<int64_t>(1, (retry_after_us + 999'999) / 1'000'000);
  r.headers.emplace_back("Retry-After", std::to_string(s));
  return r;
}

std::vector<std::pair<std::string, std::string>> security_headers() {
  return {
      {"Strict-Transport-Security", "max-age=63072000; includeSubDomains"},
      {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Cache-Control", "no-store"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
}

std::string set_cookie(std::string_view name, std::string_view value, long max_age_s) {
  std::string c = std::string(name) + "=" + std::string(value) + "; Path=/; Secure; HttpOnly; SameSite=Strict";
  if (max_age_s >= 0) c += "; Max-Age=" + std::to_string(max_age_s);
  return c;
}

std::string clear_cookie(std::string_view name) { return set_cookie(name, "", 0); }

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  std::optional<std::string> found;
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    if (found) return std::nullopt;  // twice: refuse to choose
    auto v = trim(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    found = std::string(v);
  }
  return found;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
  auto a = trim(authorization);
  auto sp = a.find(' ');
  if (sp == std::string_view::npos || !iequals(a.substr(0, sp), "bearer")) return std::nullopt;
  auto token = trim(a.substr(sp + 1));
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return std::string(token);
}

std::string device_fingerprint(std::string_view user_agent) {
  static constexpr std::string_view kTag = "rxportal/device/v1";
  crypto_generichash_state st;
  uint8_t out[16];
  crypto_generichash_init(&st, nullptr, 0, sizeof out);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kTag.data()), kTag.size());
  uint8_t zero = 0;
  crypto_generichash_update(&st, &zero, 1);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(user_agent.data()), user_agent.size());
  crypto_generichash_final(&st, out, sizeof out);
  return "ua-" + to_hex(BytesView(out, sizeof out));
}

std::string path_of(std::string_view target) {
  if (target.empty() || target.front() != '/') return {};
  return std::string(target.substr(0, target.find('?')));
}

bool is_json_content_type(std::string_view ct) {
  auto semi = ct.find(';');
  auto type = trim(ct.substr(0, semi));
  if (!iequals(type, "application/json")) return false;
  if (semi == std::string_view::npos) return true;
  auto param = trim(ct.substr(semi + 1));
  return param.empty() || iequals(param, "charset=utf-8") || iequals(param, "charset=\"utf-8\"");
}

std::string rfc3339(int64_t us) { return us == 0 ? std::string() : format_rfc3339_us(us); }

}  // namespace rxp::api
