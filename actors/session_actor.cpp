// A session as an actor, on the aggregate base: every use is decided by the pure session
// rules (identity/session.hpp); an expiry found on use or by the timer ends the session as
// an event, and the user actor is told so that its list of live sessions stays exact.
#include "actors/aggregate.hpp"
#include "actors/registry_impl.hpp"

namespace rxp::actors {
namespace {

struct SessionTraits {
  using State = identity::SessionState;
  static constexpr uint32_t kSnapshotSchema = 1;
  static constexpr uint64_t kSnapshotEvery = UINT64_MAX;  // a session has a handful of events
  static void apply(State& s, const events::EventHeader& h, const events::DomainEvent& e) {
    identity::apply(s, h, e);
  }
  static Bytes encode_snapshot(const State&) { return {}; }
  static Result<State> decode_snapshot(uint32_t, BytesView) {
    return Status(ErrorCode::kUnknownType, "sessions keep no snapshots");
  }
};

struct SessionActorState {
  SessionActorState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  AggregateCore<SessionTraits> core;
};

using Self = session_actor::stateful_pointer<SessionActorState>;
using SessionPlan = Plan<SessionReply, identity::SessionState>;

SessionReply session_failed(Status s) {
  SessionReply r;
  r.outcome = identity::SessionOutcome::kUnauthenticated;
  r.error = std::move(s);
  return r;
}

void tell_user_closed(Self self, const std::string& reason) {
  const auto& s = self->state.core.state;
  const auto& links = self->state.core.deps.identity;
  if (!links || !links->users || s.user_id.empty()) return;
  UserRequest req;
  req.user_id = s.user_id;
  req.command = identity::NoteSessionClosed{s.session_id, reason};
  caf::anon_send(links->users, command_atom::value, std::move(req));
}

SessionPlan plan_command(Self self, const SessionRequest& req, int64_t now) {
  auto& core = self->state.core;
  auto decided = identity::decide(core.state, req.command, now);
  if (decided.touch) core.state.last_activity_us = now;
  SessionPlan plan;
  plan.reply.outcome = decided.outcome;
  plan.reply.reason = decided.reason;
  plan.reply.info = decided.info;
  if (decided.events.empty()) return plan;
  plan.append.stream_id = core.stream;
  plan.append.expected_version = core.state.version;
  // The session's own user (a starting session names it in its command), never a name.
  events::Principal who{core.state.user_id, "", req.session_id};
  if (auto* start = std::get_if<identity::StartSession>(&req.command)) who.user_id = start->started.user_id;
  if (who.user_id.empty()) who.user_id = "system";
  add_events(plan.append, decided.events, who, "", now);
  plan.decided = std::move(decided.events);
  if (!decided.closed_reason.empty())
    plan.finish = [self, reason = decided.closed_reason](SessionReply&, const identity::SessionState&) {
      tell_user_closed(self, reason);
    };
  return plan;
}

void schedule_check(Self self) {
  const auto& links = self->state.core.deps.identity;
  auto every = links ? links->options.session_check_every : std::chrono::milliseconds(30000);
  self->delayed_send(self, every, tick_atom::value);
}

session_actor::behavior_type session_impl(Self self, std::string session_id, AggregateDeps deps) {
  self->state.core.stream = "session/" + session_id;
  self->state.core.deps = deps;
  recover<SessionTraits>(self);
  schedule_check(self);
  return {
      [=](command_atom, SessionRequest& req) -> caf::result<SessionReply> {
        auto& core = self->state.core;
        if (core.failed) return session_failed(core.failure);
        auto plan = plan_command(self, req, core.deps.clock->now_us());
        return persist_then_reply<SessionTraits, SessionReply>(self, std::move(plan));
      },
      [=](tick_atom) {
        // The timer: an idle or outlived session ends now, not at its next use.
        auto& core = self->state.core;
        if (core.failed || !core.state.exists || core.state.ended) return;
        SessionRequest req{core.state.session_id, identity::CheckExpiry{}};
        auto plan = plan_command(self, req, core.deps.clock->now_us());
        if (!plan.append.events.empty())  // nobody waits for the answer (not even a promise:
          persist_then<SessionTraits>(self, std::move(plan),  // its sender is this actor)
                                      std::function<void(SessionReply)>([](SessionReply) {}));
        schedule_check(self);
      },
      [=](passivate_atom) { self->quit(); },
  };
}

struct SessionRegistryTraits {
  using Request = SessionRequest;
  using Reply = SessionReply;
  using Target = session_actor;
  static const std::string& id_of(const Request& r) { return r.session_id; }
  static Reply invalid_id() {
    SessionReply r;
    r.outcome = identity::SessionOutcome::kUnauthenticated;
    r.reason = "unauthenticated";
    return r;
  }
  static Reply failed(Status s) { return session_failed(std::move(s)); }
  static Target spawn(caf::actor_system& sys, const std::string& id, const AggregateDeps& deps) {
    return sys.spawn(session_impl, id, deps);
  }
};

}  // namespace

session_registry_actor spawn_session_registry(caf::actor_system& sys, AggregateDeps deps,
                                              RegistryConfig config) {
  return spawn_registry_of<SessionRegistryTraits>(sys, deps, config);
}

}  // namespace rxp::actors
