// A user account as an actor, on the aggregate base. For each command: establish the facts
// the pure decider needs (Argon2id on the hasher, awaited so commands stay in order; fresh
// ids, tokens, secrets), decide, persist, then carry out the effects on sessions (open,
// step up, revoke) and only then answer. Tokens and codes exist in the clear only in the
// reply.
#include <sodium.h>

#include "actors/aggregate.hpp"
#include "actors/identity/password.hpp"
#include "actors/identity/totp.hpp"
#include "actors/identity/user_snapshot.hpp"
#include "actors/identity/webauthn.hpp"
#include "actors/registry_impl.hpp"

namespace rxp::actors {
namespace {

struct UserTraits {
  using State = identity::UserState;
  static constexpr uint32_t kSnapshotSchema = identity::kUserSnapshotSchema;
  static constexpr uint64_t kSnapshotEvery = identity::kUserSnapshotEvery;
  static void apply(State& s, const events::EventHeader& h, const events::DomainEvent& e) {
    identity::apply(s, h, e);
  }
  static Bytes encode_snapshot(const State& s) { return identity::encode_user_snapshot(s); }
  static Result<State> decode_snapshot(uint32_t schema, BytesView b) {
    return identity::decode_user_snapshot(schema, b);
  }
};

struct UserActorState {
  UserActorState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  AggregateCore<UserTraits> core;
};

using Self = user_actor::stateful_pointer<UserActorState>;
using UserPlan = Plan<UserReply, identity::UserState>;
using Reply = std::function<void(UserReply)>;

UserReply user_failed(Status s) {
  UserReply r;
  r.error = std::move(s);
  return r;
}
UserReply refused(identity::UserOutcome o, std::string reason) {
  UserReply r;
  r.outcome = o;
  r.reason = std::move(reason);
  return r;
}

const IdentityLinks& links(Self self) { return *self->state.core.deps.identity; }

// Fresh values drawn for one command; tokens stay here until the reply.
struct Fresh {
  identity::NewSession session;
  SessionGrant grant;
  std::vector<std::string> recovery_codes;
  std::string totp_secret;
};

identity::NewSession new_session(Fresh& f) {
  f.grant.session_id = identity::fresh_id("ses-");
  auto token = identity::issue_token(f.grant.session_id);
  auto csrf = identity::issue_csrf_token();
  f.grant.token = token.token;
  f.grant.csrf_token = csrf.token;
  return {f.grant.session_id, token.hash, csrf.hash};
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  secure_random(out.data(), n);
  return out;
}

// Fills the fresh values a command needs. Facts from the hasher are filled by the caller.
void draw_fresh(identity::UserCommand& cmd, Fresh& f, const IdentityOptions& opt) {
  using namespace identity;
  std::visit(
      [&](auto& c) {
        using C = std::decay_t<decltype(c)>;
        // The relying party is this server's, whatever the request says.
        if constexpr (std::is_same_v<C, CompleteWebAuthn> || std::is_same_v<C, StepUp> ||
                      std::is_same_v<C, RegisterWebAuthn>) {
          c.origin = opt.origin;
          c.rp_id = opt.rp_id;
        }
        if constexpr (std::is_same_v<C, BeginLogin>) {
          c.login_id = fresh_id("lgn-");
          c.session = new_session(f);
        } else if constexpr (std::is_same_v<C, CompleteTotp> || std::is_same_v<C, CompleteRecovery> ||
                             std::is_same_v<C, CompleteWebAuthn> || std::is_same_v<C, PollApproval>) {
          c.session = new_session(f);
        } else if constexpr (std::is_same_v<C, IssueWebAuthnChallenge>) {
          c.challenge = random_bytes(kChallengeBytes);
        } else if constexpr (std::is_same_v<C, RequestApproval>) {
          c.prompt_id = fresh_id("mfp-");
          c.number = std::to_string(10 + randombytes_uniform(90));
        } else if constexpr (std::is_same_v<C, StartTotpEnrollment>) {
          c.factor_id = fresh_id("fac-");
          Bytes secret = generate_totp_secret();
          c.secret.assign(secret.begin(), secret.end());
          f.totp_secret = base32_encode(secret);
          secure_wipe(secret.data(), secret.size());
        } else if constexpr (std::is_same_v<C, RegisterWebAuthn>) {
          c.factor_id = fresh_id("fac-");
        } else if constexpr (std::is_same_v<C, IssueRecoveryCodes>) {
          auto codes = generate_recovery_codes();
          c.salt.assign(codes.salt.begin(), codes.salt.end());
          c.hashes.clear();
          for (const auto& h : codes.hashes) c.hashes.emplace_back(h.begin(), h.end());
          f.recovery_codes = std::move(codes.codes);
        }
      },
      cmd);
}

// The parts of the reply a decision and its state determine.
void fill_reply(UserReply& r, const identity::UserDecided& d, const identity::UserCommand& cmd,
                const identity::UserState& s, const Fresh& f, const IdentityOptions& opt, int64_t now_us) {
  using namespace identity;
  r.outcome = d.outcome;
  r.reason = d.reason;
  r.retry_after_us = d.retry_after_us;
  r.methods = d.methods;
  r.number = d.number;
  r.user_id = s.user_id;
  if (d.outcome != UserOutcome::kOk) return;
  if (auto* c = std::get_if<BeginLogin>(&cmd); c && !d.effects.start_session) r.login_id = c->login_id;
  if (auto* c = std::get_if<RequestApproval>(&cmd)) r.prompt_id = c->prompt_id;
  if (auto* c = std::get_if<IssueWebAuthnChallenge>(&cmd)) {
    r.challenge = c->challenge;
    for (const auto& w : s.webauthn) r.credential_ids.push_back(w.credential_id);
  }
  if (auto* c = std::get_if<StartTotpEnrollment>(&cmd)) {
    r.factor_id = c->factor_id;
    r.totp_secret_base32 = f.totp_secret;
    auto uri = otpauth_uri(opt.issuer, s.username, as_bytes(std::string_view(c->secret)));
    if (uri) r.otpauth_uri = uri.value();
  }
  if (auto* c = std::get_if<RegisterWebAuthn>(&cmd)) r.factor_id = c->factor_id;
  if (std::holds_alternative<IssueRecoveryCodes>(cmd)) r.recovery_codes = f.recovery_codes;
  if (std::holds_alternative<ListSessions>(cmd)) r.sessions = live_sessions(s, now_us);
}

// Asks the session registry to open or step up a session; answers with the grant only when
// the session actor confirms.
void await_session(Self self, SessionRequest request, SessionGrant grant, UserReply reply, Reply done) {
  self->request(links(self).sessions, caf::infinite, command_atom::value, std::move(request))
      .await(
          [=](SessionReply& sr) mutable {
            if (!sr.error.is_ok() || sr.outcome != identity::SessionOutcome::kOk)
              reply.error = sr.error.is_ok() ? Status(ErrorCode::kInternal, "session not opened") : sr.error;
            else
              reply.session = grant;
            done(std::move(reply));
          },
          [=](caf::error&) mutable {
            reply.error = Status(ErrorCode::kInternal, "session registry unavailable");
            done(std::move(reply));
          });
}

// After the events are durable: revoke, open or step up sessions, then answer.
void carry_out(Self self, const identity::UserEffects& effects, const std::string& stepping_session,
               Fresh fresh, UserReply reply, Reply done) {
  const auto& l = links(self);
  for (const auto& sid : effects.end_sessions)
    caf::anon_send(l.sessions, command_atom::value, SessionRequest{sid, identity::Revoke{effects.end_reason}});
  if (effects.start_session) {
    fresh.grant.step_up_until_us = effects.step_up_until_us.value_or(0);
    SessionRequest sr{effects.start_session_id,
                      identity::StartSession{*effects.start_session, effects.step_up_until_us}};
    return await_session(self, std::move(sr), fresh.grant, std::move(reply), done);
  }
  if (effects.step_up_until_us && !stepping_session.empty()) {
    // A step-up rotates the token: the one seen before is worthless after.
    auto token = identity::issue_token(stepping_session);
    auto csrf = identity::issue_csrf_token();
    SessionGrant grant{stepping_session, token.token, csrf.token, *effects.step_up_until_us};
    SessionRequest sr{stepping_session,
                      identity::StepUpSession{"factor", *effects.step_up_until_us, token.hash, csrf.hash}};
    return await_session(self, std::move(sr), std::move(grant), std::move(reply), done);
  }
  done(std::move(reply));
}

std::string stepping_session_of(const identity::UserCommand& cmd) {
  if (auto* c = std::get_if<identity::StepUp>(&cmd)) return c->session.session_id;
  return {};
}

// Decide with every fact in place, persist, carry out, answer.
void decide_and_persist(Self self, UserRequest req, Fresh fresh, Reply done) {
  auto& core = self->state.core;
  const auto& opt = links(self).options;
  int64_t now = core.deps.clock->now_us();
  identity::UserLimits limits{opt.max_sessions};
  auto decided = identity::decide(core.state, req.command, now, limits);
  UserPlan plan;
  fill_reply(plan.reply, decided, req.command, core.state, fresh, opt, now);
  if (!decided.events.empty()) {
    plan.append.stream_id = core.stream;
    plan.append.expected_version = core.state.version;
    events::Principal who{req.actor_user_id.empty() ? core.state.user_id : req.actor_user_id,
                          req.actor_role, ""};
    if (who.user_id.empty()) who.user_id = core.stream.substr(5);
    add_events(plan.append, decided.events, who, req.correlation_id, now);
    plan.decided = std::move(decided.events);
  }
  auto effects = std::move(decided.effects);
  auto stepping = stepping_session_of(req.command);
  persist_then<UserTraits>(self, std::move(plan), Reply([=](UserReply r) {
                             if (!r.error.is_ok()) return done(std::move(r));
                             carry_out(self, effects, stepping, fresh, std::move(r), done);
                           }));
}

// Verifies `password` against the stored hash (or the dummy hash when there is none, so a
// missing password costs the same time) on the hasher; awaited.
void verify_then(Self self, const Secret& password, std::function<void(bool matched, Status)> next) {
  self->request(links(self).hasher, caf::infinite, verify_atom::value, password,
                self->state.core.state.password_hash)
      .await([=](HashReply& h) { next(h.matched, h.status); },
             [=](caf::error&) { next(false, Status(ErrorCode::kInternal, "hasher unavailable")); });
}

void hash_then(Self self, const Secret& password, std::function<void(std::string hash, Status)> next) {
  self->request(links(self).hasher, caf::infinite, hash_atom::value, password)
      .await([=](HashReply& h) { next(h.hash, h.status); },
             [=](caf::error&) { next({}, Status(ErrorCode::kInternal, "hasher unavailable")); });
}

// The new password must satisfy the policy; the reason names the rule, never the password.
std::optional<UserReply> refuse_weak(const Secret& password, const std::string& username) {
  if (!password || password->empty()) return refused(identity::UserOutcome::kInvalid, "password");
  auto p = identity::check_password_policy(password->view(), username);
  if (p != identity::PasswordPolicyOutcome::kAccepted)
    return refused(identity::UserOutcome::kInvalid,
                   std::string("password: ") + identity::password_policy_outcome_name(p));
  return std::nullopt;
}

void handle(Self self, UserRequest req, Reply done) {
  using namespace identity;
  Fresh fresh;
  draw_fresh(req.command, fresh, links(self).options);
  auto& st = self->state.core.state;
  if (auto* c = std::get_if<Register>(&req.command)) {
    if (auto weak = refuse_weak(req.password, c->username)) return done(*weak);
    return hash_then(self, req.password, [=](std::string hash, Status s) mutable {
      if (!s) return done(user_failed(s));
      std::get<Register>(req.command).password_hash = std::move(hash);
      decide_and_persist(self, std::move(req), fresh, done);
    });
  }
  if (auto* c = std::get_if<BeginLogin>(&req.command)) {
    bool known = !c->device_hash.empty() && st.known_devices.count(c->device_hash) > 0;
    if (!account_check(st.throttle, self->state.core.deps.clock->now_us(), known).allowed)
      return decide_and_persist(self, std::move(req), fresh, done);  // throttled: no hashing
    return verify_then(self, req.password, [=](bool matched, Status s) mutable {
      if (!s) return done(user_failed(s));
      std::get<BeginLogin>(req.command).password_matched = matched && self->state.core.state.exists;
      decide_and_persist(self, std::move(req), fresh, done);
    });
  }
  if (std::holds_alternative<ChangePassword>(req.command)) {
    if (auto weak = refuse_weak(req.new_password, st.username)) return done(*weak);
    return verify_then(self, req.password, [=](bool matched, Status s) mutable {
      if (!s) return done(user_failed(s));
      std::get<ChangePassword>(req.command).current_matched = matched;
      if (!matched) return decide_and_persist(self, std::move(req), fresh, done);
      hash_then(self, req.new_password, [=](std::string hash, Status s2) mutable {
        if (!s2) return done(user_failed(s2));
        std::get<ChangePassword>(req.command).new_password_hash = std::move(hash);
        decide_and_persist(self, std::move(req), fresh, done);
      });
    });
  }
  decide_and_persist(self, std::move(req), fresh, done);
}

user_actor::behavior_type user_impl(Self self, std::string user_id, AggregateDeps deps) {
  self->state.core.stream = "user/" + user_id;
  self->state.core.deps = deps;
  recover<UserTraits>(self);
  return {
      [=](command_atom, UserRequest& req) -> caf::result<UserReply> {
        if (self->state.core.failed) return user_failed(self->state.core.failure);
        auto promise = self->make_response_promise<UserReply>();
        handle(self, std::move(req), Reply([promise](UserReply r) mutable { promise.deliver(std::move(r)); }));
        return promise;
      },
      [=](passivate_atom) { self->quit(); },
  };
}

struct UserRegistryTraits {
  using Request = UserRequest;
  using Reply = UserReply;
  using Target = user_actor;
  static const std::string& id_of(const Request& r) { return r.user_id; }
  static Reply invalid_id() { return refused(identity::UserOutcome::kNotFound, "user"); }
  static Reply failed(Status s) { return user_failed(std::move(s)); }
  static Target spawn(caf::actor_system& sys, const std::string& id, const AggregateDeps& deps) {
    return sys.spawn(user_impl, id, deps);
  }
};

}  // namespace

user_registry_actor spawn_user_registry(caf::actor_system& sys, AggregateDeps deps, RegistryConfig config) {
  return spawn_registry_of<UserRegistryTraits>(sys, deps, config);
}

}  // namespace rxp::actors
