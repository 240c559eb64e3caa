#include "api/login_map.hpp"

#include <algorithm>

#include "actors/identity/session.hpp"
#include "infra/secure.hpp"

namespace rxp::api {

void LoginMap::put(const std::string& login_id, const std::string& preauth_cookie, PendingLoginEntry entry,
                   int64_t now_us) {
  std::lock_guard lock(mu_);
  if (slots_.size() >= max_entries_) {
    std::erase_if(slots_, [&](const auto& kv) { return kv.second.entry.expires_at_us <= now_us; });
    while (slots_.size() >= max_entries_ && !slots_.empty()) {
      auto oldest = std::min_element(slots_.begin(), slots_.end(), [](const auto& a, const auto& b) {
        return a.second.entry.expires_at_us < b.second.entry.expires_at_us;
      });
      slots_.erase(oldest);
    }
  }
  entry.expires_at_us = now_us + ttl_us_;
  slots_[login_id] = Slot{std::move(entry), identity::secret_hash(preauth_cookie), 0};
}

std::optional<PendingLoginEntry> LoginMap::find(const std::string& login_id, const std::string& preauth_cookie,
                                                int64_t now_us) {
  std::string presented = identity::secret_hash(preauth_cookie);
  std::lock_guard lock(mu_);
  auto it = slots_.find(login_id);
  if (it == slots_.end()) return std::nullopt;
  if (it->second.entry.expires_at_us <= now_us) {
    slots_.erase(it);
    return std::nullopt;
  }
  const auto& stored = it->second.cookie_hash;
  if (preauth_cookie.empty() || stored.size() != presented.size() ||
      !secure_equal(as_bytes(stored), as_bytes(presented)))
    return std::nullopt;
  return it->second.entry;
}

void LoginMap::erase(const std::string& login_id) {
  std::lock_guard lock(mu_);
  slots_.erase(login_id);
}

void LoginMap::note_failure(const std::string& login_id) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(login_id);
  if (it != slots_.end() && ++it->second.failures >= max_failures_) slots_.erase(it);
}

size_t LoginMap::size() {
  std::lock_guard lock(mu_);
  return slots_.size();
}

}  // namespace rxp::api
