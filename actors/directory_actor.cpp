// The username directory (stream directory/users): one actor that maps normalized usernames
// to user ids, so a username is claimed exactly once, and the front door of every login:
//
// - per-source throttling (in memory) before anything else;
// - a known username goes on to its user actor (not awaited: the directory keeps serving);
// - an unknown one costs the same Argon2id verification (against a dummy hash), is throttled
//   like an account, is recorded as LoginFailed{unknown_user} in auth/unknown-users, and gets
//   the same answer as a wrong password.
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <map>
#include <sstream>

#include "actors/aggregate.hpp"
#include "actors/identity/password.hpp"
#include "actors/identity/throttle.hpp"

namespace rxp::actors {
namespace {

struct DirectoryView {
  uint64_t version = 0;
  std::map<std::string, std::string> user_by_name;
};

struct DirectoryTraits {
  using State = DirectoryView;
  static constexpr uint32_t kSnapshotSchema = 1;
  static constexpr uint64_t kSnapshotEvery = 1000;
  static void apply(State& s, const events::EventHeader& h, const events::DomainEvent& e) {
    s.version = h.version;
    if (auto* c = std::get_if<events::UsernameClaimed>(&e)) s.user_by_name[c->username] = c->user_id;
  }
  static Bytes encode_snapshot(const State& s) {
    std::ostringstream os;
    {
      cereal::PortableBinaryOutputArchive ar(os);
      ar(s.version, s.user_by_name);
    }
    auto str = os.str();
    return Bytes(str.begin(), str.end());
  }
  static Result<State> decode_snapshot(uint32_t schema, BytesView b) {
    if (schema != kSnapshotSchema) return Status(ErrorCode::kUnknownType, "directory snapshot schema");
    State s;
    try {
      std::istringstream is(std::string(b.begin(), b.end()));
      cereal::PortableBinaryInputArchive ar(is);
      ar(s.version, s.user_by_name);
    } catch (const std::exception&) {
      return Status(ErrorCode::kCorruption, "directory snapshot does not parse");
    }
    return s;
  }
};

struct DirectoryState {
  DirectoryState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  AggregateCore<DirectoryTraits> core;
  identity::SourceThrottle sources;
  identity::UnknownAccountThrottle unknown;
  std::array<uint8_t, 16> fingerprint_key{};
};

using Self = directory_actor::stateful_pointer<DirectoryState>;
using Done = std::function<void(DirectoryReply)>;

constexpr const char* kUnknownUsersStream = "auth/unknown-users";

DirectoryReply directory_failed(Status s) {
  DirectoryReply r;
  r.error = std::move(s);
  r.login.error = r.error;
  return r;
}

DirectoryReply login_answer(UserReply login) {
  DirectoryReply r;
  r.outcome = login.outcome;
  r.reason = login.reason;
  r.error = login.error;
  r.login = std::move(login);
  return r;
}

UserReply throttled_reply(int64_t retry_after_us) {
  UserReply u;
  u.outcome = identity::UserOutcome::kThrottled;
  u.reason = "throttled";
  u.retry_after_us = retry_after_us;
  return u;
}

// Records an unknown-user failure durably, then answers exactly as a wrong password would.
void record_unknown(Self self, const LoginAttempt& a, std::string reason, UserReply answer, Done done) {
  events::AppendRequest req;
  req.stream_id = kUnknownUsersStream;
  add_events(req, {events::LoginFailed{std::move(reason), a.source_ip}}, {"anonymous", "", ""}, "",
             self->state.core.deps.clock->now_us());
  self->request(self->state.core.deps.journal, caf::infinite, append_atom::value, std::move(req))
      .then(
          [=](AppendReply& ack) mutable {
            if (!ack.status) answer.error = ack.status;
            done(login_answer(answer));
          },
          [=](caf::error&) { done(directory_failed(Status(ErrorCode::kInternal, "journal unavailable"))); });
}

void login(Self self, LoginAttempt a, std::string correlation_id, Done done) {
  auto& st = self->state;
  int64_t now = st.core.deps.clock->now_us();
  auto name = identity::normalize_username(a.username);
  std::string normalized = name ? name.value() : std::string();
  uint64_t fp = identity::username_fingerprint(normalized, st.fingerprint_key);
  if (auto v = st.sources.check(a.source_ip, now); !v.allowed) return done(login_answer(throttled_reply(v.retry_after_us)));
  auto it = name ? st.core.state.user_by_name.find(normalized) : st.core.state.user_by_name.end();
  const auto& links = *st.core.deps.identity;
  if (it == st.core.state.user_by_name.end()) {
    if (auto v = st.unknown.check(fp, now); !v.allowed)
      return record_unknown(self, a, "throttled", throttled_reply(v.retry_after_us), done);
    self->request(links.hasher, caf::infinite, verify_atom::value, a.password, std::string())
        .then(
            [=](HashReply& h) {
              // A busy hasher answers an unknown name exactly as it answers a known one
              // (the user actor's error), so a flooded queue reveals nothing.
              if (!h.status) {
                UserReply busy;
                busy.error = h.status;
                return done(login_answer(busy));
              }
              auto& s = self->state;
              int64_t t = s.core.deps.clock->now_us();
              s.unknown.record_failure(fp, t);
              s.sources.record_failure(a.source_ip, fp, t);
              UserReply u;
              u.outcome = identity::UserOutcome::kBadCredentials;
              u.reason = "bad_credentials";
              record_unknown(self, a, "unknown_user", u, done);
            },
            [=](caf::error&) { done(directory_failed(Status(ErrorCode::kInternal, "hasher unavailable"))); });
    return;
  }
  UserRequest req;
  req.user_id = it->second;
  req.command = identity::BeginLogin{false, "", a.source_ip, a.device_hash, {}};
  req.password = a.password;
  req.correlation_id = std::move(correlation_id);
  self->request(links.users, caf::infinite, command_atom::value, std::move(req))
      .then(
          [=](UserReply& u) {
            auto& s = self->state;
            if (u.outcome == identity::UserOutcome::kBadCredentials)
              s.sources.record_failure(a.source_ip, fp, s.core.deps.clock->now_us());
            else if (u.outcome == identity::UserOutcome::kOk)
              s.sources.record_success(a.source_ip, fp);
            done(login_answer(std::move(u)));
          },
          [=](caf::error&) { done(directory_failed(Status(ErrorCode::kInternal, "user registry unavailable"))); });
}

void claim(Self self, const ClaimUsername& c, std::string correlation_id, Done done) {
  auto name = identity::normalize_username(c.username);
  DirectoryReply r;
  if (!name) {
    r.outcome = identity::UserOutcome::kInvalid;
    r.reason = name.status().message();  // "username: <problem>", never the input
    return done(r);
  }
  if (!events::is_opaque_id(c.user_id, false)) {
    r.outcome = identity::UserOutcome::kInvalid;
    r.reason = "user_id";
    return done(r);
  }
  r.username = name.value();
  auto& core = self->state.core;
  if (auto it = core.state.user_by_name.find(r.username); it != core.state.user_by_name.end()) {
    r.user_id = it->second;
    if (it->second != c.user_id) {
      r.outcome = identity::UserOutcome::kConflict;
      r.reason = "username_taken";
    }
    return done(r);  // the same claim again: nothing to do
  }
  r.user_id = c.user_id;
  Plan<DirectoryReply, DirectoryView> plan;
  plan.reply = r;
  plan.append.stream_id = core.stream;
  plan.append.expected_version = core.state.version;
  std::vector<events::DomainEvent> decided{events::UsernameClaimed{r.username, c.user_id}};
  add_events(plan.append, decided, {"system", "", ""}, correlation_id, core.deps.clock->now_us());
  plan.decided = std::move(decided);
  persist_then<DirectoryTraits>(self, std::move(plan), done);
}

directory_actor::behavior_type directory(Self self, AggregateDeps deps) {
  self->state.core.stream = "directory/users";
  self->state.core.deps = deps;
  secure_random(self->state.fingerprint_key.data(), self->state.fingerprint_key.size());
  recover<DirectoryTraits>(self);
  return {
      [=](command_atom, DirectoryRequest& req) -> caf::result<DirectoryReply> {
        if (self->state.core.failed) return directory_failed(self->state.core.failure);
        auto promise = self->make_response_promise<DirectoryReply>();
        Done done = [promise](DirectoryReply r) mutable { promise.deliver(std::move(r)); };
        if (auto* a = std::get_if<LoginAttempt>(&req.command))
          login(self, std::move(*a), req.correlation_id, done);
        else if (auto* c = std::get_if<ClaimUsername>(&req.command))
          claim(self, *c, req.correlation_id, done);
        else {
          const auto& r = std::get<ResolveUsername>(req.command);
          DirectoryReply out;
          auto name = identity::normalize_username(r.username);
          auto& names = self->state.core.state.user_by_name;
          auto it = name ? names.find(name.value()) : names.end();
          if (it == names.end()) {
            out.outcome = identity::UserOutcome::kNotFound;
            out.reason = "user";
          } else {
            out.user_id = it->second;
            out.username = it->first;
          }
          done(out);
        }
        return promise;
      },
  };
}

}  // namespace

directory_actor spawn_directory(caf::actor_system& sys, AggregateDeps deps) {
  return sys.spawn(directory, deps);
}

}  // namespace rxp::actors
