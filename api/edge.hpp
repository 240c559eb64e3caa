// The request handlers of the HTTP edge: one HttpRequest in, exactly one HttpResponse out,
// through the actor runtime's asynchronous send(). No sockets here (http_server.hpp owns
// them), so every route is testable with plain values.
//
// CONTRACT
// - handle() never blocks: it parses, routes and sends to the runtime; `respond` runs once,
//   either on the calling thread (bad input, no session) or on a runtime thread after the
//   actors answer. `respond` must not block (the server posts the answer to its strand).
// - Sessions come from cookie __Host-rxp_session or "Authorization: Bearer <token>" (the bearer
//   header wins when both are sent). With the cookie, every POST/PUT/PATCH/DELETE other than the
//   login steps must carry X-CSRF-Token (403 csrf_failed otherwise). The device fingerprint is
//   response.hpp's device_fingerprint(User-Agent).
// - Login: the password step answers an unknown user and a wrong password with the same
//   status, headers and body; it never exposes a user id before the second factor. A second
//   factor opens a new session (new id, new token, new CSRF token): no cookie sent before the
//   login is ever accepted after it.
// - Records: a record the caller may not see and one that does not exist get the same
//   403 forbidden body; 403 step_up_required when only a fresh step-up is missing.
// - Errors follow API.md ({"error":{"code","message"}}), never echoing secrets or PHI.
// Thread-safety: handle() may be called from any number of threads at once.
// Ownership: the Runtime and Clock must outlive the Edge; call shutdown() (or destroy the
// Edge) before destroying the Runtime. After shutdown() requests are answered 503.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/http_types.hpp"
#include "api/json_input.hpp"
#include "api/rate_limit.hpp"
#include "api/metrics.hpp"
#include "infra/clock.hpp"
#include "infra/result.hpp"

namespace rxp::actors {
class Runtime;
}
namespace rxp::events {
class EventLog;
}
namespace rxp::projections {
class QueryService;
}

namespace rxp::api {

// The projections' read views and the log, for the audit routes (access log, alerts, access
// review, event query). Not owned; must outlive the Edge. Without them those routes answer 503.
struct AuditViews {
  projections::QueryService* queries = nullptr;
  events::EventLog* log = nullptr;          // appends AlertReviewed (on the query thread)
  std::function<Status()> catch_up;          // brings the read models up to the log's head
};

struct EdgeOptions {
  JsonLimits json;                  // every JSON body (the server caps raw bodies before this)
  size_t max_pending_logins = 10000;
  int max_mfa_failures_per_login = 5;
  // Requests per signed-in account (after the per-source limit of the server): 429 with
  // Retry-After beyond it. A browser page loads a handful of sections at once; a script
  // pulling every record does not get far.
  RateLimitOptions account_rate{20, 120, 100000};
  AuditViews views;
  // ---- api-auth ----
  // The WebAuthn relying party the options name; rp_id must equal the runtime's
  // IdentityOptions::rp_id (the user actor checks assertions against that one).
  std::string webauthn_rp_id = "127.0.0.1";
  std::string webauthn_rp_name = "rxportal";
  // GET /metrics: false (default) answers only loopback clients (127.0.0.0/8, ::1) and
  // 403 forbidden to others; true answers everyone (put it behind a firewall then).
  bool metrics_from_any_address = false;
};

class Edge {
 public:
  using Respond = std::function<void(HttpResponse)>;
  Edge(actors::Runtime& runtime, const Clock& clock, EdgeOptions options = {});
  ~Edge();
  Edge(const Edge&) = delete;
  Edge& operator=(const Edge&) = delete;

  void handle(HttpRequest request, Respond respond);
  // Stops handing requests to the runtime; waits only for hand-offs already under way.
  void shutdown();
  // The edge's counters; give them to the HttpServer (ServerOptions::metrics) so TLS and
  // rate-limit refusals are counted too, and add extra lines with Metrics::set_extra().
  std::shared_ptr<Metrics> metrics() const;

  struct Core;  // edge_internal.hpp

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace rxp::api
