#include "actors/identity/throttle.hpp"

#include <sodium.h>

#include <algorithm>
#include <unordered_set>

namespace rxp::identity {

static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);
static_assert(kAccountKnownDeviceReserve < kAccountMaxFailures);

namespace {

constexpr size_t kAccountUnknownDeviceMaxFailures =
    kAccountMaxFailures - kAccountKnownDeviceReserve;

ThrottleVerdict refuse(ThrottleReason reason, int64_t retry_after_us) {
  return ThrottleVerdict{false, std::max<int64_t>(retry_after_us, 1), reason};
}

// The failures strictly after now - window: a suffix of the sorted times.
template <class It, class TimeOf>
It first_in_window(It begin, It end, int64_t now_us, int64_t window_us, TimeOf time_of) {
  return std::find_if(begin, end, [&](const auto& f) { return time_of(f) > now_us - window_us; });
}

// A consecutive-failure streak lapses after a window without failures.
uint32_t live_streak(const AccountThrottle& state, int64_t now_us) {
  if (state.consecutive_failures == 0) return 0;
  return now_us - state.last_failure_us >= kAccountWindowUs ? 0 : state.consecutive_failures;
}

}  // namespace

const char* throttle_reason_name(ThrottleReason reason) {
  switch (reason) {
    case ThrottleReason::kAllowed:
      return "allowed";
    case ThrottleReason::kAccountDelay:
      return "account_delay";
    case ThrottleReason::kAccountHourlyCap:
      return "account_hourly_cap";
    case ThrottleReason::kSourceLimit:
      return "source_limit";
  }
  return "unknown";
}

ThrottleVerdict most_restrictive(const ThrottleVerdict& a, const ThrottleVerdict& b) {
  if (a.allowed) return b.allowed ? a : b;
  if (b.allowed) return a;
  return b.retry_after_us > a.retry_after_us ? b : a;
}

// ---- per account ----

int64_t account_delay_us(uint32_t consecutive_failures) {
  if (consecutive_failures < kAccountFreeFailures) return 0;
  const uint32_t doublings = consecutive_failures - kAccountFreeFailures;
  if (doublings >= 20) return kAccountMaxDelayUs;  // 2^20 s is far past the cap; no overflow
  return std::min(kAccountFirstDelayUs << doublings, kAccountMaxDelayUs);
}

ThrottleVerdict account_check(const AccountThrottle& state, int64_t now_us, bool known_device) {
  ThrottleVerdict verdict;
  if (!known_device) {
    const uint32_t streak = live_streak(state, now_us);
    const int64_t allowed_at = state.last_failure_us + account_delay_us(streak);
    if (streak > 0 && now_us < allowed_at) {
      verdict = refuse(ThrottleReason::kAccountDelay, allowed_at - now_us);
    }
  }
  const auto& times = state.failure_times_us;
  const auto first = first_in_window(times.begin(), times.end(), now_us, kAccountWindowUs,
                                     [](int64_t t) { return t; });
  const size_t in_window = static_cast<size_t>(times.end() - first);
  const size_t cap = known_device ? kAccountMaxFailures : kAccountUnknownDeviceMaxFailures;
  if (in_window >= cap) {
    // Allowed again when only cap - 1 failures remain in the window.
    const int64_t expires_at =
        *(first + static_cast<std::ptrdiff_t>(in_window - cap)) + kAccountWindowUs;
    verdict =
        most_restrictive(verdict, refuse(ThrottleReason::kAccountHourlyCap, expires_at - now_us));
  }
  return verdict;
}

void account_record_failure(AccountThrottle& state, int64_t now_us) {
  auto& times = state.failure_times_us;
  times.erase(times.begin(), first_in_window(times.begin(), times.end(), now_us, kAccountWindowUs,
                                             [](int64_t t) { return t; }));
  times.insert(std::upper_bound(times.begin(), times.end(), now_us), now_us);
  if (times.size() > kAccountMaxFailures) {
    times.erase(times.begin(),
                times.begin() + static_cast<std::ptrdiff_t>(times.size() - kAccountMaxFailures));
  }
  const uint32_t streak = live_streak(state, now_us);
  state.consecutive_failures = streak == UINT32_MAX ? streak : streak + 1;
  state.last_failure_us = now_us;
}

void account_record_success(AccountThrottle& state) {
  state.consecutive_failures = 0;
  state.last_failure_us = 0;
}

uint64_t username_fingerprint(std::string_view normalized_username,
                              const std::array<uint8_t, 16>& key) {
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(normalized_username.data()),
                   normalized_username.size(), key.data());
  uint64_t value = 0;
  for (unsigned char byte : out) value = (value << 8) | byte;
  return value;
}

// ---- per unknown username ----

ThrottleVerdict UnknownAccountThrottle::check(uint64_t username_hash, int64_t now_us) const {
  const AccountThrottle* state = states_.find(username_hash);
  return state == nullptr ? ThrottleVerdict{} : account_check(*state, now_us, false);
}

void UnknownAccountThrottle::record_failure(uint64_t username_hash, int64_t now_us) {
  account_record_failure(states_.touch(username_hash), now_us);
}

// ---- per source ----

ThrottleVerdict SourceThrottle::check(const std::string& source, int64_t now_us) const {
  const Failures* failures = sources_.find(source);
  if (failures == nullptr) return {};
  const auto first = first_in_window(failures->begin(), failures->end(), now_us, kSourceWindowUs,
                                     [](const Failure& f) { return f.time_us; });
  const size_t in_window = static_cast<size_t>(failures->end() - first);
  if (in_window < kSourceMaxFailures) return {};
  const int64_t expires_at =
      (first + static_cast<std::ptrdiff_t>(in_window - kSourceMaxFailures))->time_us +
      kSourceWindowUs;
  return refuse(ThrottleReason::kSourceLimit, expires_at - now_us);
}

SourceFailureReport SourceThrottle::record_failure(const std::string& source,
                                                   uint64_t username_hash, int64_t now_us) {
  Failures& failures = sources_.touch(source);
  const auto time_of = [](const Failure& f) { return f.time_us; };
  failures.erase(failures.begin(), first_in_window(failures.begin(), failures.end(), now_us,
                                                   kSourceWindowUs, time_of));
  const auto at = std::upper_bound(failures.begin(), failures.end(), now_us,
                                   [](int64_t t, const Failure& f) { return t < f.time_us; });
  failures.insert(at, Failure{now_us, username_hash});
  if (failures.size() > kSourceMaxFailures) {
    failures.erase(failures.begin(), failures.begin() + static_cast<std::ptrdiff_t>(
                                                            failures.size() - kSourceMaxFailures));
  }
  SourceFailureReport report;
  report.failures_in_window = failures.size();
  report.distinct_usernames_in_window = distinct_usernames(source, now_us);
  report.credential_stuffing_suspected =
      report.distinct_usernames_in_window >= kSourceStuffingUsernames;
  return report;
}

void SourceThrottle::record_success(const std::string& source, uint64_t username_hash) {
  Failures* failures = sources_.find(source);
  if (failures == nullptr) return;
  std::erase_if(*failures, [&](const Failure& f) { return f.username_hash == username_hash; });
  if (failures->empty()) sources_.erase(source);
}

size_t SourceThrottle::distinct_usernames(const std::string& source, int64_t now_us) const {
  const Failures* failures = sources_.find(source);
  if (failures == nullptr) return 0;
  std::unordered_set<uint64_t> names;
  for (const Failure& f : *failures) {
    if (f.time_us > now_us - kSourceWindowUs) names.insert(f.username_hash);
  }
  return names.size();
}

}  // namespace rxp::identity
