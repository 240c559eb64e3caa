// The HTTP edge's own request and response values: what the server (http_server.hpp) reads
// off the wire and what the handlers (edge.hpp) answer. Plain values, no Beast, so routing,
// validation and header building are tested without sockets.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rxp::api {

struct HttpRequest {
  std::string method;        // "GET", "POST", ... as sent
  std::string target;        // path and query as sent
  std::string cookie;        // the Cookie header(s), joined with "; "
  std::string authorization;
  std::string csrf_token;    // X-CSRF-Token
  std::string user_agent;
  std::string content_type;
  std::string body;
  std::string source_ip;     // the peer address
};

struct HttpResponse {
  int status = 200;
  // Headers beyond the security headers and Content-Type/Length, which the server adds to
  // every response (security_headers() in response.hpp).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // JSON, or empty (204)
};

}  // namespace rxp::api
