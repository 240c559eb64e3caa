// Settings of the identity actors (users, sessions, the hasher), part of RuntimeOptions.
#pragma once

#include <chrono>
#include <string>

#include "actors/identity/password.hpp"
#include "actors/identity/user.hpp"

namespace rxp::actors {

struct IdentityOptions {
  identity::PasswordParams password;  // Argon2id limits (interactive by default)
  size_t hasher_threads = 2;
  size_t hasher_queue = 64;           // beyond this, logins are refused as busy, not queued
  size_t max_sessions = identity::kDefaultMaxSessions;
  std::string origin = "https://127.0.0.1:8443";  // WebAuthn origin and relying party id
  std::string rp_id = "127.0.0.1";
  std::string issuer = "rxportal";    // shown by authenticator apps
  std::chrono::milliseconds session_check_every{30000};  // timer that ends expired sessions
};

}  // namespace rxp::actors
