// Pure builders and readers of the HTTP edge: error bodies, security headers, cookies, the
// bearer token, the device fingerprint. No I/O.
//
// CONTRACT
// - Every error body is exactly {"error":{"code":"<snake_case>","message":"<text>"}}; the
//   message is a fixed text chosen by the edge (or a field name and rule from json_input),
//   never a password, token, code or clinical value.
// - security_headers() is added by the server to every response, errors included:
//   Strict-Transport-Security, Content-Security-Policy "default-src 'none'; frame-ancestors
//   'none'", X-Content-Type-Options nosniff, Cache-Control no-store, Referrer-Policy
//   no-referrer, X-Frame-Options DENY.
// - Cookies are "__Host-" cookies: Path=/, Secure, HttpOnly, SameSite=Strict, no Domain.
// - device_fingerprint(user_agent): hex BLAKE2b-128 of a domain tag and the User-Agent
//   header. It binds a session to the client software that opened it (a stolen cookie replayed
//   from another browser ends the session); it is not a secret and not proof of a device.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_types.hpp"

namespace rxp::api {

inline constexpr const char* kSessionCookie = "__Host-rxp_session";
inline constexpr const char* kPreAuthCookie = "__Host-rxp_preauth";

HttpResponse error_response(int status, std::string_view code, std::string_view message);
HttpResponse json_response(int status, std::string body);
HttpResponse empty_response(int status);  // 204 and the like
// 429 rate_limited with Retry-After in whole seconds (at least 1).
HttpResponse rate_limited_response(int64_t retry_after_us);

std::vector<std::pair<std::string, std::string>> security_headers();

// "name=value; Path=/; Secure; HttpOnly; SameSite=Strict[; Max-Age=N]"; max_age < 0: none.
std::string set_cookie(std::string_view name, std::string_view value, long max_age_s = -1);
std::string clear_cookie(std::string_view name);

// The value of cookie `name` in a Cookie header. nullopt when absent, and also when it is
// present more than once (a planted duplicate must not be guessed between).
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);
// The token of "Authorization: Bearer <token>" (scheme case-insensitive); nullopt otherwise.
std::optional<std::string> bearer_token(std::string_view authorization);

std::string device_fingerprint(std::string_view user_agent);

// The path of a request target without its query; "" when the target is not origin-form.
std::string path_of(std::string_view target);
bool is_json_content_type(std::string_view content_type);

// RFC 3339 UTC with seconds ("2026-12-04T19:22:47Z"); "" for 0.
std::string rfc3339(int64_t us);

}  // namespace rxp::api
