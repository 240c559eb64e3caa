// A per-source token bucket for the HTTP edge: each source (peer address) may make `burst`
// requests at once and `per_second` on average; beyond that it is told how long to wait.
//
// CONTRACT
// - take(source, now_us) returns 0 and spends a token when one is available; otherwise the
//   microseconds until the next token (the caller answers 429 with Retry-After).
// - Memory is bounded: at most `max_sources` buckets. When full, buckets that have refilled
//   completely (idle sources) are dropped; should every bucket still be busy, new sources
//   share one overflow bucket, so a flood of addresses slows itself rather than the memory.
// - Time comes from the caller (steady microseconds), so the limiter is tested without sleeping.
// Thread-safety: take() may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rxp::api {

struct RateLimitOptions {
  double per_second = 50;
  double burst = 100;
  size_t max_sources = 10000;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimitOptions options = {}) : options_(options) {}
  int64_t take(const std::string& source, int64_t now_us);
  size_t tracked();

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_us = 0;
  };
  void refill(Bucket& b, int64_t now_us) const;
  RateLimitOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  Bucket overflow_;
  bool overflow_used_ = false;
};

}  // namespace rxp::api
