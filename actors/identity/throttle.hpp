// Login throttling: per account (state kept in the user aggregate), per unknown username (in
// memory) and per source address (in memory). Pure: no clock, no I/O; time is `now_us`,
// microseconds since the Unix epoch, passed by the caller.
//
// CONTRACT (issue: "no more than 100 failed attempts an hour, with growing delays, and per
// source address, without letting an attacker lock the real user out for good; an unknown
// username costs the same time and gets the same answer as a wrong password")
// - A failure is a completed password (or second factor) check that did not match. A request
//   refused by a verdict is NOT a failure: the caller does not verify the password and does not
//   record anything, so refused requests never lengthen a block.
// - Growing delay: after kAccountFreeFailures (5) consecutive failures the next attempt waits
//   1 s after the last failure, then 2 s, 4 s, ... capped at 15 min. A success resets the
//   streak; so does an hour without failures (the streak of a long-past attack does not follow
//   the user forever).
// - Hourly cap: at most 100 failures in any sliding hour. AccountThrottle keeps the times of the
//   last 100 failures (oldest first), so the refusal lasts exactly until the oldest one that
//   matters leaves the window. A success does not clear this list: otherwise the victim's own
//   logins would hand the attacker a fresh budget.
// - Known device (OWASP "device cookie"): the caller passes known_device = true when the request
//   carries a valid device cookie issued to this account at an earlier successful login. Such a
//   request skips the consecutive-failure delay, and may use the last kAccountKnownDeviceReserve
//   (10) failures of the hourly budget, which requests without the cookie cannot reach (they are
//   capped at 90). Why: an attacker without the victim's cookie can then make the victim wait
//   neither for a delay nor for the cap on the victim's own device, while the account as a whole
//   still never sees more than 100 failures an hour, even if a cookie is stolen. A victim on a
//   new device can be delayed by an ongoing attack (at most 15 min at a time, or until the
//   hourly window slides); recovery and the known device remain open.
// - No permanent lockout: every refusal carries a finite retry_after_us > 0 (at most one hour
//   plus any backward clock step), and once the window has passed without new failures every
//   check allows.
// - Unknown usernames: UnknownAccountThrottle runs the same AccountThrottle rules for names
//   that have no account, so the answers (allowed, delayed, capped, and the retry_after) are
//   those a real account with the same failures would give. Timing is equalised separately
//   (password.hpp, dummy hash). Residual: this state lives in memory and is bounded, so a
//   restart or an eviction forgets it, while a real account's state persists.
// - Source addresses: SourceThrottle allows at most 20 failures per source in a sliding 5 min,
//   across all accounts, then refuses until the oldest leaves the window. It counts distinct
//   usernames (by keyed hash) failing from a source: kSourceStuffingUsernames or more in the
//   window flags credential stuffing. A success forgets only that source's failures for the
//   same username (the user's own typos), so logging in to one's own account does not reset the
//   budget for guessing others. The caller passes a canonical address (IPv6 reduced to its /64)
//   and should skip the source check for a request carrying a known-device cookie for the
//   target account, so that a noisy shared NAT cannot lock out enrolled devices.
// - Bounded memory: SourceThrottle and UnknownAccountThrottle hold at most `capacity` entries
//   and evict the least recently failed one; an attacker with more addresses than that can
//   make the limiter forget (the account limits still hold).
// - Usernames are never stored: username_fingerprint gives a keyed 64-bit SipHash-2-4 of the
//   normalized name, with a random per-process key held by the caller.
//
// Thread-safety: the free functions are reentrant and touch only their arguments; the caller
// serialises updates of one AccountThrottle (its user actor does). SourceThrottle and
// UnknownAccountThrottle are not thread-safe: each is owned by one actor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rxp::identity {

inline constexpr int64_t kAccountWindowUs = int64_t{3600} * 1'000'000;
inline constexpr size_t kAccountMaxFailures = 100;          // per sliding window, in total
inline constexpr size_t kAccountKnownDeviceReserve = 10;    // reachable only with the cookie
inline constexpr uint32_t kAccountFreeFailures = 5;         // consecutive, before any delay
inline constexpr int64_t kAccountFirstDelayUs = 1'000'000;  // then doubling
inline constexpr int64_t kAccountMaxDelayUs = int64_t{900} * 1'000'000;  // 15 min

inline constexpr int64_t kSourceWindowUs = int64_t{300} * 1'000'000;  // 5 min
inline constexpr size_t kSourceMaxFailures = 20;
inline constexpr size_t kSourceStuffingUsernames = 5;
inline constexpr size_t kSourceDefaultCapacity = 50'000;
inline constexpr size_t kUnknownAccountDefaultCapacity = 10'000;

enum class ThrottleReason {
  kAllowed,
  kAccountDelay,      // consecutive failures: wait before the next attempt
  kAccountHourlyCap,  // the hourly failure budget is spent
  kSourceLimit,       // too many failures from this source address
};
// "allowed", "account_delay", "account_hourly_cap", "source_limit".
const char* throttle_reason_name(ThrottleReason reason);

struct ThrottleVerdict {
  bool allowed = true;
  int64_t retry_after_us = 0;  // > 0 exactly when !allowed
  ThrottleReason reason = ThrottleReason::kAllowed;
  bool operator==(const ThrottleVerdict&) const = default;
};

// The refusal with the later retry, or `a` when both allow.
ThrottleVerdict most_restrictive(const ThrottleVerdict& a, const ThrottleVerdict& b);

// ---- per account: plain state, stored in the user aggregate ----

struct AccountThrottle {
  std::vector<int64_t> failure_times_us;  // sorted, the last <= kAccountMaxFailures failures
  uint32_t consecutive_failures = 0;      // since the last success (saturating)
  int64_t last_failure_us = 0;            // meaningful when consecutive_failures > 0
  bool operator==(const AccountThrottle&) const = default;
};

ThrottleVerdict account_check(const AccountThrottle& state, int64_t now_us, bool known_device);
void account_record_failure(AccountThrottle& state, int64_t now_us);
void account_record_success(AccountThrottle& state);

// The delay that follows `consecutive_failures` (0 for up to kAccountFreeFailures).
int64_t account_delay_us(uint32_t consecutive_failures);

// Keyed SipHash-2-4 of a normalized username (libsodium crypto_shorthash).
uint64_t username_fingerprint(std::string_view normalized_username,
                              const std::array<uint8_t, 16>& key);

namespace throttle_detail {

// A map with at most `capacity` entries; touch() makes an entry the most recent and, when a new
// key arrives at capacity, evicts the least recent one.
template <class Key, class Value>
class LruMap {
 public:
  explicit LruMap(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  LruMap(const LruMap&) = delete;
  LruMap& operator=(const LruMap&) = delete;

  const Value* find(const Key& key) const {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }
  Value* find(const Key& key) {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }
  Value& touch(const Key& key) {
    if (const auto it = index_.find(key); it != index_.end()) {
      items_.splice(items_.begin(), items_, it->second);
      return it->second->second;
    }
    if (items_.size() >= capacity_) {
      index_.erase(items_.back().first);
      items_.pop_back();
      ++evictions_;
    }
    items_.emplace_front(key, Value{});
    index_.emplace(key, items_.begin());
    return items_.front().second;
  }
  void erase(const Key& key) {
    if (const auto it = index_.find(key); it != index_.end()) {
      items_.erase(it->second);
      index_.erase(it);
    }
  }
  size_t size() const { return items_.size(); }
  uint64_t evictions() const { return evictions_; }

 private:
  using Items = std::list<std::pair<Key, Value>>;
  size_t capacity_;
  Items items_;  // most recent first
  std::unordered_map<Key, typename Items::iterator> index_;
  uint64_t evictions_ = 0;
};

}  // namespace throttle_detail

// ---- per unknown username: the same rules, in memory ----

class UnknownAccountThrottle {
 public:
  explicit UnknownAccountThrottle(size_t capacity = kUnknownAccountDefaultCapacity)
      : states_(capacity) {}
  // As account_check(state, now_us, false) for the state of this username.
  ThrottleVerdict check(uint64_t username_hash, int64_t now_us) const;
  void record_failure(uint64_t username_hash, int64_t now_us);
  size_t size() const { return states_.size(); }
  uint64_t evictions() const { return states_.evictions(); }

 private:
  throttle_detail::LruMap<uint64_t, AccountThrottle> states_;
};

// ---- per source address ----

struct SourceFailureReport {
  size_t failures_in_window = 0;
  size_t distinct_usernames_in_window = 0;
  bool credential_stuffing_suspected = false;  // distinct >= kSourceStuffingUsernames
};

class SourceThrottle {
 public:
  explicit SourceThrottle(size_t capacity = kSourceDefaultCapacity) : sources_(capacity) {}

  ThrottleVerdict check(const std::string& source, int64_t now_us) const;
  SourceFailureReport record_failure(const std::string& source, uint64_t username_hash,
                                     int64_t now_us);
  // Forgets this source's failures for this username only (see CONTRACT).
  void record_success(const std::string& source, uint64_t username_hash);
  size_t distinct_usernames(const std::string& source, int64_t now_us) const;

  size_t size() const { return sources_.size(); }
  uint64_t evictions() const { return sources_.evictions(); }

 private:
  struct Failure {
    int64_t time_us = 0;
    uint64_t username_hash = 0;
  };
  using Failures = std::vector<Failure>;  // sorted by time, at most kSourceMaxFailures
  throttle_detail::LruMap<std::string, Failures> sources_;
};

}  // namespace rxp::identity
