// Operational counters of the HTTPS edge, rendered in the Prometheus text exposition format
// (version 0.0.4) for GET /metrics.
//
// CONTRACT
// - Labels are only route names (router.hpp's route_name, or "none" for a path no route has)
//   and status classes ("2xx" .. "5xx"): never a path, an id, a user name or anything a client
//   sent, so the output holds no PHI and no identifiers.
// - Series: rxp_http_requests_total{route,status_class}, rxp_http_request_duration_seconds
//   (histogram, all routes), rxp_http_requests_in_flight, rxp_tls_handshake_failures_total,
//   rxp_http_rate_limited_total, rxp_http_refused_total{status_class} (answers the server gives
//   itself: 400, 413, 431).
// - render() appends what the `extra` source returns (set once before serving; e.g. the
//   projection lag of `rxportal serve`); the source must return complete exposition lines and
//   must not block for long (it runs on a runtime thread).
// Thread-safety: every member may be called from any thread at once (atomics); set_extra()
// before the first render().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "api/router.hpp"

namespace rxp::api {

class Metrics {
 public:
  static constexpr size_t kMaxRoutes = 64;  // route enum values counted; "none" is one more
  static constexpr std::array<double, 12> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

  // A request reached the edge (in flight until finished()).
  void started();
  // Its answer: `route` is nullopt for a path no route has.
  void finished(std::optional<Route> route, int status, double seconds);
  void tls_handshake_failed();
  void rate_limited();
  void refused(int status);  // the server's own 400 / 413 / 431

  void set_extra(std::function<std::string()> extra);
  std::string render() const;

 private:
  static size_t class_of(int status);  // 0 for 1xx/unknown .. 4 for 5xx
  std::array<std::array<std::atomic<uint64_t>, 5>, kMaxRoutes + 1> requests_{};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> duration_us_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> tls_failures_{0}, rate_limited_{0};
  std::array<std::atomic<uint64_t>, 5> refused_{};
  std::function<std::string()> extra_;
};

// True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z (the address as the server writes it).
bool is_loopback_address(const std::string& ip);

}  // namespace rxp::api
