#include "actors/identity/user_snapshot.hpp"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>

#include "infra/secure.hpp"

namespace rxp::identity {

template <class A> void serialize(A& a, AccountThrottle& t) {
  a(t.failure_times_us, t.consecutive_failures, t.last_failure_us);
}
template <class A> void serialize(A& a, TotpFactor& f) { a(f.factor_id, f.secret, f.confirmed, f.last_step); }
template <class A> void serialize(A& a, WebAuthnFactor& f) {
  a(f.factor_id, f.credential_id, f.public_key, f.alg, f.sign_count);
}
template <class A> void serialize(A& a, PendingLogin& l) {
  a(l.login_id, l.source_ip, l.device_hash, l.expires_at_us, l.new_device, l.completed);
}
template <class A> void serialize(A& a, Challenge& c) { a(c.challenge, c.purpose, c.login_id, c.issued_at_us); }
template <class A> void serialize(A& a, Prompt& p) {
  a(p.prompt_id, p.login_id, p.number, p.created_at_us, p.expires_at_us, p.state);
}
template <class A> void serialize(A& a, LiveSession& s) { a(s.session_id, s.started_at_us, s.absolute_expires_at_us); }
template <class A> void serialize(A& a, UserState& s) {
  a(s.version, s.exists, s.user_id, s.username, s.roles, s.patient_id, s.registered_at_us,
    s.password_hash, s.throttle, s.totp, s.webauthn, s.recovery_salt, s.recovery_hashes,
    s.recovery_used, s.logins, s.challenges, s.prompts, s.sessions, s.known_devices);
}

Bytes encode_user_snapshot(const UserState& state) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(const_cast<UserState&>(state));
  }
  std::string s = os.str();
  Bytes out(s.begin(), s.end());
  secure_wipe(s.data(), s.size());  // holds the password hash and factor secrets
  return out;
}

Result<UserState> decode_user_snapshot(uint32_t schema, BytesView bytes) {
  if (schema != kUserSnapshotSchema)
    return Status(ErrorCode::kUnknownType, "user snapshot schema " + std::to_string(schema));
  UserState s;
  try {
    std::istringstream is(std::string(bytes.begin(), bytes.end()));
    cereal::PortableBinaryInputArchive ar(is);
    ar(s);
    if (is.peek() != std::char_traits<char>::eof())
      return Status(ErrorCode::kCorruption, "user snapshot has trailing bytes");
  } catch (const std::exception&) {
    return Status(ErrorCode::kCorruption, "user snapshot does not parse");
  }
  return s;
}

}  // namespace rxp::identity
