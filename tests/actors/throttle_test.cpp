// Login throttling (actors/identity/throttle.hpp): growing and capped delays, the hourly cap
// and its sliding window, no permanent lockout, the known-device exemption and reserve, unknown
// usernames answered like known ones, per-source limits and the bounded memory.
#define BOOST_TEST_MODULE throttle
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>

#include "actors/identity/throttle.hpp"

namespace {

using namespace rxp::identity;

constexpr int64_t kSec = 1'000'000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kT0 = int64_t{1'800'000'000} * kSec;  // an arbitrary 2027 instant

bool is(const ThrottleVerdict& v, ThrottleReason reason) {
  return !v.allowed && v.reason == reason;
}

}  // namespace

BOOST_AUTO_TEST_CASE(delay_table) {
  for (uint32_t n = 0; n < kAccountFreeFailures; ++n) BOOST_TEST(account_delay_us(n) == 0);
  BOOST_TEST(account_delay_us(5) == 1 * kSec);
  BOOST_TEST(account_delay_us(6) == 2 * kSec);
  BOOST_TEST(account_delay_us(14) == 512 * kSec);
  BOOST_TEST(account_delay_us(15) == 15 * kMin);
  BOOST_TEST(account_delay_us(40) == 15 * kMin);
  BOOST_TEST(account_delay_us(UINT32_MAX) == 15 * kMin);
}

BOOST_AUTO_TEST_CASE(delays_grow_after_five_failures_and_cap_at_fifteen_minutes) {
  AccountThrottle state;
  int64_t now = kT0;
  for (int i = 0; i < 4; ++i) {
    account_record_failure(state, now);
    BOOST_TEST(account_check(state, now, false).allowed);
  }
  int64_t expected = 1 * kSec;
  for (int i = 0; i < 20; ++i) {
    account_record_failure(state, now);
    const ThrottleVerdict v = account_check(state, now, false);
    BOOST_TEST(is(v, ThrottleReason::kAccountDelay));
    BOOST_TEST(v.retry_after_us == expected);
    BOOST_TEST(is(account_check(state, now + expected - 1, false), ThrottleReason::kAccountDelay));
    BOOST_TEST(account_check(state, now + expected, false).allowed);
    now += expected;
    expected = std::min(expected * 2, 15 * kMin);
  }
  BOOST_TEST(state.consecutive_failures == 24u);
  BOOST_TEST(throttle_reason_name(ThrottleReason::kAccountDelay) == std::string("account_delay"));
}

BOOST_AUTO_TEST_CASE(success_resets_the_streak_but_not_the_hourly_count) {
  AccountThrottle state;
  for (int i = 0; i < 10; ++i) account_record_failure(state, kT0 + i);
  BOOST_TEST(!account_check(state, kT0 + 10, false).allowed);
  account_record_success(state);
  BOOST_TEST(account_check(state, kT0 + 10, false).allowed);
  BOOST_TEST(state.failure_times_us.size() == 10u);
  BOOST_TEST(state.consecutive_failures == 0u);
}

BOOST_AUTO_TEST_CASE(a_streak_lapses_after_a_quiet_hour) {
  AccountThrottle state;
  for (int i = 0; i < 30; ++i) account_record_failure(state, kT0);
  BOOST_TEST(is(account_check(state, kT0 + 14 * kMin, false), ThrottleReason::kAccountDelay));
  BOOST_TEST(account_check(state, kT0 + 15 * kMin, false).allowed);
  account_record_failure(state, kT0 + kHour);  // a typo an hour later starts a new streak
  BOOST_TEST(state.consecutive_failures == 1u);
  BOOST_TEST(account_check(state, kT0 + kHour, false).allowed);
}

BOOST_AUTO_TEST_CASE(hundred_failures_an_hour_then_refused_until_the_oldest_leaves) {
  AccountThrottle state;
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST(account_check(state, kT0 + i * kSec, true).allowed);
    account_record_failure(state, kT0 + i * kSec);
  }
  const int64_t now = kT0 + 100 * kSec;
  const ThrottleVerdict v = account_check(state, now, true);
  BOOST_TEST(is(v, ThrottleReason::kAccountHourlyCap));
  BOOST_TEST(v.retry_after_us == kT0 + kHour - now);  // the first failure leaves the window
  BOOST_TEST(throttle_reason_name(v.reason) == std::string("account_hourly_cap"));
  // The window slides: one second later the second failure is the one that matters.
  BOOST_TEST(is(account_check(state, kT0 + kHour - 1, true), ThrottleReason::kAccountHourlyCap));
  BOOST_TEST(account_check(state, kT0 + kHour - 1, true).retry_after_us == 1);
  BOOST_TEST(account_check(state, kT0 + kHour, true).allowed);
  account_record_failure(state, kT0 + kHour);
  const ThrottleVerdict again = account_check(state, kT0 + kHour, true);
  BOOST_TEST(is(again, ThrottleReason::kAccountHourlyCap));
  BOOST_TEST(again.retry_after_us == 1 * kSec);
  BOOST_TEST(state.failure_times_us.size() == kAccountMaxFailures);
}

BOOST_AUTO_TEST_CASE(failure_list_stays_bounded) {
  AccountThrottle state;
  for (int i = 0; i < 5000; ++i) account_record_failure(state, kT0 + i * 10 * kMin / 1000);
  BOOST_TEST(state.failure_times_us.size() <= kAccountMaxFailures);
  BOOST_TEST(std::is_sorted(state.failure_times_us.begin(), state.failure_times_us.end()));
  const AccountThrottle copy = state;  // plain, copyable state for the user aggregate
  BOOST_TEST((copy == state));
}

BOOST_AUTO_TEST_CASE(known_device_skips_the_delay_and_keeps_a_reserve) {
  AccountThrottle state;
  // An attacker without the cookie spends the whole budget it can reach (recorded without
  // waiting, as if from many hosts racing the delay).
  for (int i = 0; i < 90; ++i) account_record_failure(state, kT0 + i * kSec);
  const int64_t now = kT0 + 100 * kSec;
  const ThrottleVerdict attacker = account_check(state, now, false);
  BOOST_TEST(is(attacker, ThrottleReason::kAccountHourlyCap));  // the cap outlasts the delay
  BOOST_TEST(attacker.retry_after_us == kT0 + kHour - now);
  // The victim on the enrolled device is neither delayed nor capped.
  BOOST_TEST(account_check(state, now, true).allowed);
  // The victim's own typos use the reserve; the total still never exceeds 100.
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST(account_check(state, now + i, true).allowed);
    account_record_failure(state, now + i);
  }
  BOOST_TEST(is(account_check(state, now + 10, true), ThrottleReason::kAccountHourlyCap));
}

BOOST_AUTO_TEST_CASE(no_permanent_lockout) {
  std::mt19937_64 rng(42);
  AccountThrottle state;
  int64_t now = kT0;
  for (int step = 0; step < 20000; ++step) {
    now += static_cast<int64_t>(rng() % (30 * kSec));
    const bool known = rng() % 4 == 0;
    const ThrottleVerdict v = account_check(state, now, known);
    if (v.allowed) {
      BOOST_REQUIRE(v.retry_after_us == 0);
      if (rng() % 16 == 0) {
        account_record_success(state);
      } else {
        account_record_failure(state, now);
      }
    } else {
      BOOST_REQUIRE(v.retry_after_us > 0);
      BOOST_REQUIRE(v.retry_after_us <= kHour);
      // Waiting exactly as told is enough.
      BOOST_REQUIRE(account_check(state, now + v.retry_after_us, known).allowed);
      if (rng() % 8 == 0) account_record_failure(state, now);  // a failure the caller forced
    }
  }
  // An hour after the last failure, everyone is allowed.
  BOOST_TEST(account_check(state, state.last_failure_us + kHour, false).allowed);
  BOOST_TEST(account_check(state, now + kHour, false).allowed);
}

BOOST_AUTO_TEST_CASE(unknown_usernames_get_the_answers_of_a_real_account) {
  UnknownAccountThrottle unknown;
  AccountThrottle real;
  const uint64_t name = 0x1234;
  std::mt19937_64 rng(7);
  int64_t now = kT0;
  for (int i = 0; i < 300; ++i) {
    now += static_cast<int64_t>(rng() % (20 * kSec));
    BOOST_REQUIRE((unknown.check(name, now) == account_check(real, now, false)));
    if (rng() % 2 == 0) {
      unknown.record_failure(name, now);
      account_record_failure(real, now);
    }
  }
  BOOST_TEST(unknown.check(0x9999, now).allowed);
  UnknownAccountThrottle small(2);
  for (uint64_t n = 0; n < 5; ++n) small.record_failure(n, kT0);
  BOOST_TEST(small.size() == 2u);
  BOOST_TEST(small.evictions() == 3u);
}

BOOST_AUTO_TEST_CASE(source_limit_across_accounts) {
  SourceThrottle sources;
  const std::string ip = "203.0.113.7";
  for (int i = 0; i < 20; ++i) {
    BOOST_TEST(sources.check(ip, kT0 + i * kSec).allowed);
    (void)sources.record_failure(ip, static_cast<uint64_t>(i % 3), kT0 + i * kSec);
  }
  const int64_t now = kT0 + 20 * kSec;
  const ThrottleVerdict v = sources.check(ip, now);
  BOOST_TEST(is(v, ThrottleReason::kSourceLimit));
  BOOST_TEST(v.retry_after_us == kT0 + 5 * kMin - now);
  BOOST_TEST(sources.check("198.51.100.1", now).allowed);  // other sources unaffected
  BOOST_TEST(sources.check(ip, kT0 + 5 * kMin).allowed);   // the window slides
  BOOST_TEST(is(sources.check(ip, kT0 + 5 * kMin - 1), ThrottleReason::kSourceLimit));
}

BOOST_AUTO_TEST_CASE(distinct_usernames_flag_credential_stuffing) {
  SourceThrottle sources;
  const std::string ip = "2001:db8:1:2::/64";
  SourceFailureReport report;
  for (uint64_t name = 1; name <= 4; ++name) {
    report = sources.record_failure(ip, name, kT0);
    report = sources.record_failure(ip, name, kT0 + 1);  // repeats count once
  }
  BOOST_TEST(report.failures_in_window == 8u);
  BOOST_TEST(report.distinct_usernames_in_window == 4u);
  BOOST_TEST(!report.credential_stuffing_suspected);
  report = sources.record_failure(ip, 5, kT0 + 2);
  BOOST_TEST(report.credential_stuffing_suspected);
  BOOST_TEST(sources.distinct_usernames(ip, kT0 + 2) == 5u);
  BOOST_TEST(sources.distinct_usernames(ip, kT0 + 5 * kMin + 2) == 0u);
}

BOOST_AUTO_TEST_CASE(source_success_forgets_only_that_username) {
  SourceThrottle sources;
  const std::string ip = "203.0.113.8";
  for (int i = 0; i < 3; ++i) (void)sources.record_failure(ip, 1, kT0 + i);  // the user's typos
  for (int i = 0; i < 17; ++i) (void)sources.record_failure(ip, 2, kT0 + 10 + i);  // guesses
  BOOST_TEST(!sources.check(ip, kT0 + 30).allowed);
  sources.record_success(ip, 1);
  BOOST_TEST(sources.check(ip, kT0 + 30).allowed);
  BOOST_TEST(sources.distinct_usernames(ip, kT0 + 30) == 1u);
  sources.record_success(ip, 2);
  BOOST_TEST(sources.size() == 0u);  // nothing left: the entry is dropped
}

BOOST_AUTO_TEST_CASE(source_memory_is_bounded_by_least_recent_eviction) {
  SourceThrottle sources(3);
  for (int i = 0; i < 20; ++i) (void)sources.record_failure("a", 1, kT0 + i);
  (void)sources.record_failure("b", 1, kT0 + 30);
  (void)sources.record_failure("c", 1, kT0 + 31);
  (void)sources.record_failure("a", 1, kT0 + 32);  // "a" is now the most recent
  (void)sources.record_failure("d", 1, kT0 + 33);  // evicts "b"
  BOOST_TEST(sources.size() == 3u);
  BOOST_TEST(sources.evictions() == 1u);
  BOOST_TEST(!sources.check("a", kT0 + 34).allowed);
  BOOST_TEST(sources.distinct_usernames("b", kT0 + 34) == 0u);
  for (int i = 0; i < 1000; ++i) (void)sources.record_failure(std::to_string(i), 1, kT0 + 40);
  BOOST_TEST(sources.size() == 3u);
  BOOST_TEST(sources.evictions() == 1001u);
}

BOOST_AUTO_TEST_CASE(combining_verdicts) {
  const ThrottleVerdict ok;
  const ThrottleVerdict short_wait{false, 5, ThrottleReason::kSourceLimit};
  const ThrottleVerdict long_wait{false, 50, ThrottleReason::kAccountDelay};
  BOOST_TEST((most_restrictive(ok, ok) == ok));
  BOOST_TEST((most_restrictive(ok, short_wait) == short_wait));
  BOOST_TEST((most_restrictive(long_wait, ok) == long_wait));
  BOOST_TEST((most_restrictive(short_wait, long_wait) == long_wait));
  BOOST_TEST((most_restrictive(long_wait, short_wait) == long_wait));
}

BOOST_AUTO_TEST_CASE(username_fingerprints_are_keyed) {
  const std::array<uint8_t, 16> k1{1, 2, 3};
  const std::array<uint8_t, 16> k2{9, 9, 9};
  BOOST_TEST(username_fingerprint("alice", k1) == username_fingerprint("alice", k1));
  BOOST_TEST(username_fingerprint("alice", k1) != username_fingerprint("alice", k2));
  BOOST_TEST(username_fingerprint("alice", k1) != username_fingerprint("alicf", k1));
}
