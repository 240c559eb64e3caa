// The HTTPS server of the edge: Boost.Beast over Asio with OpenSSL, one listener and one
// session per connection, each on its own strand, run by `io_threads` threads of its own (never
// CAF's). It reads a request, hands it to the Handler as a plain HttpRequest, and writes the
// HttpResponse the Handler gives back (from any thread: the answer is posted to the
// connection's strand).
//
// CONTRACT
// - TLS as tls.hpp's configure_server_tls (1.2/1.3, AEAD only). Nothing is served in clear.
// - Limits answered by the server itself, with the edge's JSON error body and headers, and
//   the connection closed after: header block above `header_limit` -> 431
//   header_too_large; body above `body_limit` -> 413 too_large; a request that does not parse
//   -> 400 bad_request; more than the source's token bucket allows -> 429 rate_limited with
//   Retry-After (the body is not read).
// - Timeouts against slow clients: TLS handshake and the first request's header
//   (`header_timeout`), the wait for a keep-alive request plus its header (`idle_timeout`), the
//   body (`body_timeout`), each write (`write_timeout`). A connection that sends nothing is
//   closed after `header_timeout` and never holds a thread. At most `max_connections` are open;
//   beyond that new ones are closed at once.
// - Every response carries response.hpp's security_headers(); JSON bodies carry
//   Content-Type application/json unless the handler gives its own Content-Type (GET /metrics's
//   text). No Date or Server header (responses stay comparable).
// - stop() (and the destructor) closes everything, joins the threads, and makes answers that
//   arrive later go nowhere. The Handler must stay valid until stop() returns.
// Thread-safety: start() and stop() from one controlling thread; port() from any.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.hpp"
#include "api/rate_limit.hpp"
#include "infra/result.hpp"

namespace rxp::api {

class Metrics;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;  // 0: an ephemeral port (see port())
  std::string cert_path, key_path;
  unsigned io_threads = 2;
  size_t header_limit = 16 * 1024;
  size_t body_limit = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  size_t max_connections = 4096;
  RateLimitOptions rate;
  // Counts TLS handshake failures, 429s and the server's own refusals when set (Edge::metrics()).
  std::shared_ptr<Metrics> metrics;
};

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest, std::function<void(HttpResponse)>)>;
  HttpServer(ServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the certificate, binds, listens and starts the threads. Errors name the address or
  // the file.
  Status start();
  uint16_t port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "HOST:PORT" or "[v6]:PORT" -> host and port; kInvalidArgument otherwise.
Status parse_listen(const std::string& text, std::string& host, uint16_t& port);

}  // namespace rxp::api
