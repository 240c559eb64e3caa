// The edge's memory of logins between the password step and the second factor: the API's
// /v1/auth/mfa/* steps carry only {login_id, code}, so the edge remembers which user a
// login_id belongs to, and the pre-auth cookie that the password step set, which the second
// step must present again (a login_id alone, seen over a shoulder or in a log, is not enough).
//
// CONTRACT
// - put() stores only a hash of the pre-auth cookie; find() compares in constant time and
//   answers nullopt for an unknown, expired or cookie-mismatched login alike.
// - Bounded: at most `max_entries`; expired entries go first, then the one closest to expiry.
// - note_failure() counts a failed second factor; after `max_failures` the login is dropped
//   (the user actor's throttle slows guessing too; this bounds it per login).
// - Entries expire after `ttl_us` (the user aggregate's pending login lives 5 minutes).
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rxp::api {

struct PendingLoginEntry {
  std::string user_id;
  std::vector<std::string> methods;
  int64_t expires_at_us = 0;
};

class LoginMap {
 public:
  explicit LoginMap(size_t max_entries = 10000, int64_t ttl_us = 5LL * 60 * 1000000, int max_failures = 5)
      : max_entries_(max_entries), ttl_us_(ttl_us), max_failures_(max_failures) {}
  void put(const std::string& login_id, const std::string& preauth_cookie, PendingLoginEntry entry,
           int64_t now_us);
  std::optional<PendingLoginEntry> find(const std::string& login_id, const std::string& preauth_cookie,
                                        int64_t now_us);
  void erase(const std::string& login_id);
  void note_failure(const std::string& login_id);
  size_t size();

 private:
  struct Slot {
    PendingLoginEntry entry;
    std::string cookie_hash;
    int failures = 0;
  };
  size_t max_entries_;
  int64_t ttl_us_;
  int max_failures_;
  std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;
};

}  // namespace rxp::api
