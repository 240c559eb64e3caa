// The session aggregate's state, tokens and decisions (session.hpp).
#include "actors/identity/session.hpp"

#include <sodium.h>

#include "infra/bytes.hpp"
#include "infra/secure.hpp"

namespace rxp::identity {
namespace {

constexpr size_t kTokenSecretBytes = 32;
constexpr size_t kTokenSecretChars = 43;  // base64url of 32 bytes, unpadded

BytesView bv(const std::string& s) { return as_bytes(std::string_view(s)); }

bool hash_matches(const std::string& stored, std::string_view presented) {
  if (stored.empty()) return false;
  std::string h = secret_hash(presented);
  return h.size() == stored.size() && secure_equal(bv(h), bv(stored));
}

struct Applier {
  SessionState& s;
  const events::EventHeader& h;
  void operator()(const events::SessionStarted& e) {
    s.exists = true;
    s.user_id = e.user_id;
    s.roles = e.roles;
    s.patient_id = e.patient_id;
    s.token_hash = e.token_hash;
    s.csrf_hash = e.csrf_hash;
    s.device_hash = e.device_hash;
    s.source_ip = e.source_ip;
    s.method = e.method;
    s.started_at_us = h.occurred_at_us;
    s.idle_timeout_us = e.idle_timeout_us;
    s.absolute_expires_at_us = e.absolute_expires_at_us;
  }
  void operator()(const events::SessionRotated& e) {
    s.token_hash = e.token_hash;
    s.csrf_hash = e.csrf_hash;
  }
  void operator()(const events::SessionSteppedUp& e) { s.step_up_until_us = e.until_us; }
  void operator()(const events::SessionEnded& e) {
    s.ended = true;
    s.end_reason = e.reason;
  }
  template <class Other>
  void operator()(const Other&) {}
};

struct Decider {
  const SessionState& s;
  int64_t now;

  static SessionDecided refuse(SessionOutcome o, std::string reason) {
    SessionDecided d;
    d.outcome = o;
    d.reason = std::move(reason);
    return d;
  }
  static SessionDecided end(std::string reason, SessionOutcome o = SessionOutcome::kUnauthenticated) {
    SessionDecided d;
    d.outcome = o;
    d.reason = reason;
    d.events.push_back(events::SessionEnded{reason});
    d.closed_reason = std::move(reason);
    return d;
  }
  bool live() const { return s.exists && !s.ended; }
  // The timeout that has passed, if any.
  const char* expired() const {
    if (now >= s.absolute_expires_at_us) return "absolute_timeout";
    if (now - s.last_activity_us >= s.idle_timeout_us) return "idle_timeout";
    return nullptr;
  }

  SessionDecided operator()(const StartSession& c) const {
    if (s.exists) return refuse(SessionOutcome::kInvalid, "session_exists");
    if (c.started.user_id.empty() || c.started.token_hash.empty() || c.started.csrf_hash.empty())
      return refuse(SessionOutcome::kInvalid, "session");
    SessionDecided d;
    d.events.push_back(c.started);
    if (c.step_up_until_us) d.events.push_back(events::SessionSteppedUp{c.started.method, *c.step_up_until_us});
    return d;
  }
  SessionDecided operator()(const Authenticate& c) const {
    if (!live() || !hash_matches(s.token_hash, c.token)) return refuse(SessionOutcome::kUnauthenticated, "unauthenticated");
    if (const char* why = expired()) return end(why);
    if (!s.device_hash.empty() && c.device_hash != s.device_hash) return end("device_changed");
    if (c.state_changing && !hash_matches(s.csrf_hash, c.csrf_token))
      return refuse(SessionOutcome::kCsrfFailed, "csrf_token_invalid");
    SessionDecided d;
    d.touch = true;
    d.info = info_of(s);
    d.info->idle_expires_at_us = now + s.idle_timeout_us;
    return d;
  }
  SessionDecided operator()(const StepUpSession& c) const {
    if (!live()) return refuse(SessionOutcome::kUnauthenticated, "unauthenticated");
    if (const char* why = expired()) return end(why);
    if (c.until_us <= now || c.token_hash.empty() || c.csrf_hash.empty()) return refuse(SessionOutcome::kInvalid, "step_up");
    SessionDecided d;
    d.events.push_back(events::SessionSteppedUp{c.method, c.until_us});
    d.events.push_back(events::SessionRotated{c.token_hash, c.csrf_hash, "step_up"});
    d.touch = true;
    return d;
  }
  SessionDecided operator()(const RotateSession& c) const {
    if (!live()) return refuse(SessionOutcome::kUnauthenticated, "unauthenticated");
    if (c.token_hash.empty() || c.csrf_hash.empty()) return refuse(SessionOutcome::kInvalid, "rotate");
    SessionDecided d;
    d.events.push_back(events::SessionRotated{c.token_hash, c.csrf_hash, c.reason});
    return d;
  }
  SessionDecided operator()(const Logout& c) const {
    if (!live() || !hash_matches(s.token_hash, c.token)) return refuse(SessionOutcome::kUnauthenticated, "unauthenticated");
    return end("logout", SessionOutcome::kOk);
  }
  SessionDecided operator()(const Revoke& c) const {
    if (!live()) return {};  // already over: revoking twice is harmless
    auto d = end(c.reason, SessionOutcome::kOk);
    d.closed_reason.clear();  // the user actor asked: it knows already
    return d;
  }
  SessionDecided operator()(const CheckExpiry&) const {
    if (!live()) return {};
    if (const char* why = expired()) return end(why, SessionOutcome::kOk);
    return {};
  }
  SessionDecided operator()(const Describe&) const {
    if (!live()) return refuse(SessionOutcome::kUnauthenticated, "unauthenticated");
    if (const char* why = expired()) return end(why);
    SessionDecided d;
    d.info = info_of(s);
    return d;
  }
};

}  // namespace

void apply(SessionState& state, const events::EventHeader& header, const events::DomainEvent& event) {
  state.version = header.version;
  if (state.session_id.empty() && header.stream_id.rfind("session/", 0) == 0)
    state.session_id = header.stream_id.substr(8);
  std::visit(Applier{state, header}, event);
  state.last_activity_us = std::max(state.last_activity_us, header.occurred_at_us);
}

SessionDecided decide(const SessionState& state, const SessionCommand& command, int64_t now_us) {
  return std::visit(Decider{state, now_us}, command);
}

SessionInfo info_of(const SessionState& s) {
  return {s.session_id,
          s.user_id,
          s.roles,
          s.patient_id,
          s.last_activity_us + s.idle_timeout_us,
          s.absolute_expires_at_us,
          s.step_up_until_us,
          s.started_at_us,
          s.last_activity_us};
}

std::string secret_hash(std::string_view secret) {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nullptr, 0);
  return out;
}

namespace {
IssuedToken issue_secret(const std::string& prefix) {
  uint8_t raw[kTokenSecretBytes];
  secure_random(raw, sizeof raw);
  IssuedToken t;
  t.token = prefix + base64url_encode(BytesView(raw, sizeof raw));
  secure_wipe(raw, sizeof raw);
  t.hash = secret_hash(t.token);
  return t;
}
}  // namespace

IssuedToken issue_token(const std::string& session_id) { return issue_secret(session_id + "."); }
IssuedToken issue_csrf_token() { return issue_secret(""); }

std::optional<std::string> session_id_of_token(std::string_view token) {
  auto dot = token.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || token.size() - dot - 1 != kTokenSecretChars)
    return std::nullopt;
  std::string sid(token.substr(0, dot));
  if (!events::is_opaque_id(sid, false)) return std::nullopt;
  Bytes decoded;
  if (!base64url_decode(token.substr(dot + 1), decoded) || decoded.size() != kTokenSecretBytes)
    return std::nullopt;
  return sid;
}

std::string fresh_id(std::string_view prefix) {
  uint8_t raw[16];
  secure_random(raw, sizeof raw);
  return std::string(prefix) + to_hex(BytesView(raw, sizeof raw));
}

const char* session_outcome_name(SessionOutcome o) {
  switch (o) {
    case SessionOutcome::kOk: return "ok";
    case SessionOutcome::kUnauthenticated: return "unauthenticated";
    case SessionOutcome::kCsrfFailed: return "csrf_failed";
    case SessionOutcome::kInvalid: return "invalid";
  }
  return "unknown";
}

}  // namespace rxp::identity
