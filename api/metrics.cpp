#include "api/metrics.hpp"

#include <cstdio>

namespace rxp::api {
namespace {

const char* kClasses[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

// "%g" keeps bucket bounds short and exact enough ("0.0025", "10").
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

size_t Metrics::class_of(int status) {
  if (status >= 100 && status < 600) return static_cast<size_t>(status / 100 - 1);
  return 0;
}

void Metrics::started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::finished(std::optional<Route> route, int status, double seconds) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  size_t r = kMaxRoutes;  // "none"
  if (route && static_cast<size_t>(*route) < kMaxRoutes) r = static_cast<size_t>(*route);
  requests_[r][class_of(status)].fetch_add(1, std::memory_order_relaxed);
  if (seconds < 0) seconds = 0;
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  duration_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::tls_handshake_failed() { tls_failures_.fetch_add(1, std::memory_order_relaxed); }
void Metrics::rate_limited() { rate_limited_.fetch_add(1, std::memory_order_relaxed); }
void Metrics::refused(int status) { refused_[class_of(status)].fetch_add(1, std::memory_order_relaxed); }

void Metrics::set_extra(std::function<std::string()> extra) { extra_ = std::move(extra); }

std::string Metrics::render() const {
  std::string out;
  out += "# HELP rxp_http_requests_total Requests answered by the edge, by route and status class.\n";
  out += "# TYPE rxp_http_requests_total counter\n";
  for (size_t r = 0; r <= kMaxRoutes; ++r) {
    std::string name = r == kMaxRoutes ? "none" : route_name(static_cast<Route>(r));
    if (name == "unknown") continue;
    for (size_t c = 0; c < 5; ++c) {
      uint64_t v = requests_[r][c].load(std::memory_order_relaxed);
      if (v == 0) continue;
      out += "rxp_http_requests_total{route=\"";
      out += name;
      out += "\",status_class=\"";
      out += kClasses[c];
      out += "\"} " + std::to_string(v) + "\n";
    }
  }
  out += "# HELP rxp_http_request_duration_seconds Time from the request read to its answer.\n";
  out += "# TYPE rxp_http_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kBuckets.size(); ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    out += "rxp_http_request_duration_seconds_bucket{le=\"";
    out += b == kBuckets.size() ? std::string("+Inf") : num(kBuckets[b]);
    out += "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "rxp_http_request_duration_seconds_sum " + num(duration_us_.load(std::memory_order_relaxed) / 1e6) + "\n";
  out += "rxp_http_request_duration_seconds_count " + std::to_string(cumulative) + "\n";
  out += "# HELP rxp_http_requests_in_flight Requests handed to the edge and not answered yet.\n";
  out += "# TYPE rxp_http_requests_in_flight gauge\n";
  out += "rxp_http_requests_in_flight " + std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP rxp_tls_handshake_failures_total TLS handshakes that failed or timed out.\n";
  out += "# TYPE rxp_tls_handshake_failures_total counter\n";
  out += "rxp_tls_handshake_failures_total " + std::to_string(tls_failures_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP rxp_http_rate_limited_total Requests refused with 429 by the per-source rate limit.\n";
  out += "# TYPE rxp_http_rate_limited_total counter\n";
  out += "rxp_http_rate_limited_total " + std::to_string(rate_limited_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP rxp_http_refused_total Requests the server refused itself (unparsable, too large).\n";
  out += "# TYPE rxp_http_refused_total counter\n";
  for (size_t c = 0; c < 5; ++c) {
    uint64_t v = refused_[c].load(std::memory_order_relaxed);
    if (v == 0) continue;
    out += "rxp_http_refused_total{status_class=\"";
    out += kClasses[c];
    out += "\"} " + std::to_string(v) + "\n";
  }
  if (extra_) {
    std::string more = extra_();
    if (!more.empty() && more.back() != '\n') more += '\n';
    out += more;
  }
  return out;
}

bool is_loopback_address(const std::string& ip) {
  return ip == "::1" || ip.rfind("127.", 0) == 0 || ip.rfind("::ffff:127.", 0) == 0;
}

}  // namespace rxp::api
