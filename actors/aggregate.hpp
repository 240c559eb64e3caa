// The aggregate base: what every event-sourced actor (record, user, session, directory) does
// the same way, written once as function templates that an actor's behaviour calls.
//
//   recover            latest snapshot + later events; an undecodable snapshot falls back to
//                      a full replay. Awaited, so commands wait in the mailbox meanwhile.
//   persist_pipelined  the record actor's variant: decide the next command before the previous
//                      commit, reply in order after each own commit (see below).
//   persist_then_reply a decided Plan: append through the journal (awaited: no other command
//                      is handled in between), apply the committed events, maybe snapshot,
//                      finish the reply from the new state, and only then answer.
//
// A Traits type names the aggregate's pure parts:
//   using State;                                  // has `uint64_t version`
//   static void apply(State&, const events::EventHeader&, const events::DomainEvent&);
//   static constexpr uint32_t kSnapshotSchema; static constexpr uint64_t kSnapshotEvery;
//   static Bytes encode_snapshot(const State&);
//   static Result<State> decode_snapshot(uint32_t schema, BytesView);
// An actor's state type embeds `AggregateCore<Traits> core;` (CAF state: default-constructed).
// A Reply type has `Status error;` and `uint64_t version;`.
//
// Included by actor .cpp files only (it pulls in CAF).
#pragma once

#include <caf/all.hpp>
#include <deque>
#include <functional>

#include "actors/runtime_parts.hpp"
#include "infra/secure.hpp"

namespace rxp::actors {

template <class Traits>
struct AggregateCore {
  std::string stream;
  AggregateDeps deps;
  typename Traits::State state;
  bool failed = false;  // recovery failed: every command is answered with `failure`
  Status failure;
  uint64_t snapshot_version = 0;  // version of the latest snapshot saved or loaded
  // Pipelined persistence (persist_pipelined): appends sent and not yet answered, in decision
  // order; `state` already holds their events.
  struct PendingAppend {
    uint64_t seq = 0;
    bool answered = false;
    std::function<void()> complete;  // delivers the reply (or the error)
  };
  std::deque<PendingAppend> pending;
  uint64_t next_seq = 0;
  bool poisoned = false;        // an append failed: `state` holds events that never committed
  bool quit_when_idle = false;  // passivation asked while appends were in flight
};

// What a command handler decided: the reply so far, and the events to persist first.
template <class Reply, class State>
struct Plan {
  Reply reply;
  events::AppendRequest append;             // no events: answer at once, nothing persisted
  std::vector<events::DomainEvent> decided;  // append.events' payloads, in order
  // Runs after the events are applied, before the answer (e.g. fill in disclosed data).
  std::function<void(Reply&, const State&)> finish;
};

template <class Traits, class Self>
void recover(Self self, bool use_snapshot = true) {
  auto& core = self->state.core;
  self->request(core.deps.loader, caf::infinite, load_atom::value, core.stream, use_snapshot)
      .await(
          [=](LoadReply& reply) {
            auto& c = self->state.core;
            if (!reply.status) {
              c.failed = true;
              c.failure = reply.status;
              return;
            }
            c.state = typename Traits::State{};
            if (reply.snapshot) {
              auto decoded = Traits::decode_snapshot(reply.snapshot->schema, reply.snapshot->plaintext);
              secure_wipe(reply.snapshot->plaintext.data(), reply.snapshot->plaintext.size());
              if (!decoded) return recover<Traits>(self, false);
              c.state = std::move(decoded.value());
              c.snapshot_version = c.state.version;
            }
            for (const auto& e : reply.events)
              if (e.payload) Traits::apply(c.state, e.header, *e.payload);
          },
          [=](caf::error&) {
            self->state.core.failed = true;
            self->state.core.failure = Status(ErrorCode::kInternal, "loader unavailable");
          });
}

template <class Traits, class Self>
void maybe_snapshot(Self self) {
  auto& c = self->state.core;
  if (c.state.version < c.snapshot_version + Traits::kSnapshotEvery) return;
  c.snapshot_version = c.state.version;
  self->send(c.deps.loader, snapshot_atom::value, c.stream, c.state.version,
             Traits::kSnapshotSchema, Traits::encode_snapshot(c.state));
}

// Applies a plan's events as the versions after `version` (committed, or about to be).
template <class Traits>
void apply_decided(AggregateCore<Traits>& c, const events::AppendRequest& req, uint64_t version,
                   const std::vector<events::DomainEvent>& decided) {
  for (size_t i = 0; i < decided.size(); ++i) {
    events::EventHeader h;
    h.stream_id = c.stream;
    h.version = ++version;
    h.principal = req.events[i].principal;
    h.occurred_at_us = req.events[i].occurred_at_us;
    Traits::apply(c.state, h, decided[i]);
  }
}

// Applies committed events of the aggregate's own stream (events appended elsewhere, such as
// a denial recorded in the subject's stream, do not change this aggregate).
template <class Traits>
void apply_committed(AggregateCore<Traits>& c, const events::AppendRequest& req,
                     const events::AppendResult& res,
                     const std::vector<events::DomainEvent>& decided) {
  if (req.stream_id != c.stream) return;
  apply_decided(c, req, res.last_version - decided.size(), decided);
}

// Persists the plan's events, applies them, then calls `done` with the finished reply (or
// the error that kept anything from being written). `done` runs in the actor's context.
template <class Traits, class Self, class Reply>
void persist_then(Self self, Plan<Reply, typename Traits::State> plan,
                  std::function<void(Reply)> done) {
  auto& c = self->state.core;
  if (plan.append.events.empty()) {
    plan.reply.version = c.state.version;
    if (plan.finish) plan.finish(plan.reply, c.state);
    done(std::move(plan.reply));
    return;
  }
  auto shared = std::make_shared<Plan<Reply, typename Traits::State>>(std::move(plan));
  self->request(c.deps.journal, caf::infinite, append_atom::value, shared->append)
      .await(
          [=](AppendReply& ack) {
            auto& c2 = self->state.core;
            Reply r = std::move(shared->reply);
            if (!ack.status) {
              // Nothing was written, so nothing is shown. A conflict means another instance
              // wrote this stream: stop; the next command recovers afresh.
              r.error = ack.status;
              if (ack.status.code() == ErrorCode::kConflict) self->quit();
              done(std::move(r));
              return;
            }
            apply_committed(c2, shared->append, ack.result, shared->decided);
            maybe_snapshot<Traits>(self);
            r.version = c2.state.version;
            if (shared->finish) shared->finish(r, c2.state);
            done(std::move(r));
          },
          [=](caf::error&) {
            Reply r = std::move(shared->reply);
            r.error = Status(ErrorCode::kInternal, "journal unavailable");
            done(std::move(r));
          });
}

// Pipelined persistence, for aggregates whose commands are mostly reads that record an event
// (the record actor: every view is a RecordViewed). The decided events are applied at once, so
// the next command is decided against everything decided before it, and its append follows
// without waiting for the earlier commits (expected versions v+1, v+2, ...: the journal keeps
// order and commits them together). The reply is computed at decision time but delivered only
// after its own append is durable, and in decision order, so nothing uncommitted ever leaves
// the actor. An append that fails fails every later one of the stream too (their expected
// versions no longer match): the actor answers each with the error, refuses new commands
// meanwhile (kBusy, "retry"), and recovers from the store once nothing is in flight.
template <class Traits, class Self>
void finish_answered_appends(Self self) {
  auto& c = self->state.core;
  while (!c.pending.empty() && c.pending.front().answered) {
    auto complete = std::move(c.pending.front().complete);
    c.pending.pop_front();
    complete();
  }
  if (!c.pending.empty()) return;
  if (c.quit_when_idle) return self->quit();
  if (c.poisoned) {  // `state` holds events that never committed: load it again from the store
    c.poisoned = false;
    return recover<Traits>(self);
  }
  maybe_snapshot<Traits>(self);  // nothing in flight: `state` is exactly what is committed
}

template <class Traits, class Self, class Reply>
void persist_pipelined(Self self, Plan<Reply, typename Traits::State> plan, std::function<void(Reply)> done) {
  auto& c = self->state.core;
  if (c.poisoned) {
    Reply r;
    r.error = Status(ErrorCode::kBusy, "the aggregate is restarting; retry");
    return done(std::move(r));
  }
  if (plan.append.events.empty()) {  // nothing to record: nothing discloses, answer now
    plan.reply.version = c.state.version;
    if (plan.finish) plan.finish(plan.reply, c.state);
    return done(std::move(plan.reply));
  }
  if (plan.append.stream_id == c.stream) apply_decided(c, plan.append, c.state.version, plan.decided);
  Reply reply = std::move(plan.reply);
  reply.version = c.state.version;
  if (plan.finish) plan.finish(reply, c.state);
  const uint64_t seq = c.next_seq++;
  c.pending.push_back({seq, false, {}});
  auto answered = [self, seq, done, reply](Status status) {
    auto& c2 = self->state.core;
    for (auto& p : c2.pending) {
      if (p.seq != seq) continue;
      p.answered = true;
      if (status.is_ok()) {
        p.complete = [done, reply] { done(reply); };
      } else {
        c2.poisoned = true;
        p.complete = [done, status] {
          Reply r;  // no data: nothing of this command was written
          r.error = status;
          done(std::move(r));
        };
      }
    }
    finish_answered_appends<Traits>(self);
  };
  self->request(c.deps.journal, caf::infinite, append_atom::value, std::move(plan.append))
      .then([answered](AppendReply& ack) { answered(ack.status); },
            [answered](caf::error&) { answered(Status(ErrorCode::kInternal, "journal unavailable")); });
}

// Passivation of a pipelined aggregate: stop now, or once the appends in flight are answered.
template <class Self>
void passivate_when_idle(Self self) {
  auto& c = self->state.core;
  if (c.pending.empty()) return self->quit();
  c.quit_when_idle = true;
}

template <class Traits, class Self, class Reply>
void persist_then_reply(Self self, Plan<Reply, typename Traits::State> plan,
                        caf::typed_response_promise<Reply> promise) {
  persist_then<Traits>(self, std::move(plan),
                       std::function<void(Reply)>([promise](Reply r) mutable { promise.deliver(std::move(r)); }));
}

template <class Traits, class Reply, class Self>
caf::result<Reply> persist_then_reply(Self self, Plan<Reply, typename Traits::State> plan) {
  auto promise = self->template make_response_promise<Reply>();
  persist_then_reply<Traits>(self, std::move(plan), promise);
  return promise;
}

// The events of a plan, stamped with who caused them, ready for the journal.
inline void add_events(events::AppendRequest& out, const std::vector<events::DomainEvent>& decided,
                       const events::Principal& who, const std::string& correlation_id,
                       int64_t now_us) {
  for (const auto& e : decided) {
    auto p = events::make_pending(e, who, correlation_id);
    p.occurred_at_us = now_us;
    out.events.push_back(std::move(p));
  }
}

}  // namespace rxp::actors
