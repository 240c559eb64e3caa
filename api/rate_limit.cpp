#include "api/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace rxp::api {

void RateLimiter::refill(Bucket& b, int64_t now_us) const {
  if (now_us > b.last_us) {
    b.tokens = std::min(options_.burst, b.tokens + (now_us - b.last_us) * options_.per_second / 1e6);
    b.last_us = now_us;
  }
}

int64_t RateLimiter::take(const std::string& source, int64_t now_us) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(source);
  Bucket* b = nullptr;
  if (it != buckets_.end()) {
    b = &it->second;
  } else {
    if (buckets_.size() >= options_.max_sources) {
      for (auto b_it = buckets_.begin(); b_it != buckets_.end();) {
        refill(b_it->second, now_us);
        b_it = b_it->second.tokens >= options_.burst ? buckets_.erase(b_it) : std::next(b_it);
      }
    }
    if (buckets_.size() < options_.max_sources) {
      b = &buckets_.emplace(source, Bucket{options_.burst, now_us}).first->second;
    } else {
      if (!overflow_used_) overflow_ = Bucket{options_.burst, now_us};
      overflow_used_ = true;
      b = &overflow_;
    }
  }
  refill(*b, now_us);
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
    return 0;
  }
  double wait_s = (1.0 - b->tokens) / std::max(options_.per_second, 1e-6);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_s * 1e6)));
}

size_t RateLimiter::tracked() {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace rxp::api
