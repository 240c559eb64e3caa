// A patient record as an actor: recover (await the loader, so commands wait in the mailbox),
// then for each command decide -> persist through the journal (awaited: no other command is
// handled in between) -> apply -> reply. Data leaves the actor only after the RecordViewed
// that discloses it is durable.
#include <caf/all.hpp>

#include "actors/record_snapshot.hpp"
#include "actors/runtime_parts.hpp"

namespace rxp::actors {
namespace {

struct RecordActorState {
  RecordActorState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  std::string patient_id;
  std::string stream;
  RecordDeps deps;
  record::RecordState record;
  bool failed = false;  // recovery failed: answer every command with the error
  Status failure;
  uint64_t snapshot_version = 0;  // version of the latest snapshot saved or loaded
};

using Self = record_actor::stateful_pointer<RecordActorState>;

// Recovery: await suspends the mailbox, so commands that arrive meanwhile wait in order. A
// snapshot that cannot be decoded (another schema, damage) is dropped for a full replay.
void recover(Self self, bool use_snapshot) {
  auto& st = self->state;
  self->request(st.deps.loader, caf::infinite, load_atom::value, st.stream, use_snapshot)
      .await(
          [=](LoadReply& reply) {
            auto& s = self->state;
            if (!reply.status) {
              s.failed = true;
              s.failure = reply.status;
              return;
            }
            s.record = record::RecordState{};
            if (reply.snapshot) {
              auto decoded = record::decode_snapshot(reply.snapshot->schema, reply.snapshot->plaintext);
              secure_wipe(reply.snapshot->plaintext.data(), reply.snapshot->plaintext.size());
              if (!decoded) return recover(self, false);
              s.record = std::move(decoded.value());
              s.snapshot_version = s.record.version;
            }
            for (const auto& e : reply.events)
              if (e.payload) record::apply(s.record, e.header, *e.payload);
          },
          [=](caf::error&) {
            self->state.failed = true;
            self->state.failure = Status(ErrorCode::kInternal, "loader unavailable");
          });
}

void maybe_snapshot(Self self) {
  auto& s = self->state;
  if (s.record.version < s.snapshot_version + record::kSnapshotEvery) return;
  s.snapshot_version = s.record.version;
  self->send(s.deps.loader, snapshot_atom::value, s.stream, s.record.version,
             record::kSnapshotSchema, record::encode_snapshot(s.record));
}

std::string primary_role(const policy::Subject& s) {
  return s.roles.empty() ? "" : policy::role_name(*s.roles.begin());
}

// Where the events of a decision go: the record's stream, or, for a record that does not
// exist, the subject's own denial stream (probing unknown ids must not create records).
events::AppendRequest append_for(const RecordActorState& st, const RecordRequest& req,
                                 const record::Decided& decided) {
  events::Principal who{req.subject.user_id, primary_role(req.subject), req.session_id};
  events::AppendRequest out;
  if (st.record.exists || std::holds_alternative<record::CreateRecord>(req.command)) {
    out.stream_id = st.stream;
    out.expected_version = st.record.version;
  } else {
    out.stream_id = "denials/" + (req.subject.user_id.empty() ? std::string("anonymous") : req.subject.user_id);
  }
  for (const auto& e : decided.events) out.events.push_back(events::make_pending(e, who, req.correlation_id));
  return out;
}

void apply_committed(RecordActorState& st, const events::AppendRequest& req,
                     const events::AppendResult& res, const record::Decided& decided) {
  if (req.stream_id != st.stream) return;
  uint64_t version = res.last_version - decided.events.size();
  for (size_t i = 0; i < decided.events.size(); ++i) {
    events::EventHeader h;
    h.stream_id = st.stream;
    h.version = ++version;
    h.principal = req.events[i].principal;
    record::apply(st.record, h, decided.events[i]);
  }
}

record_actor::behavior_type record_impl(Self self,
                                        std::string patient_id, RecordDeps deps) {
  auto& st = self->state;
  st.patient_id = patient_id;
  st.stream = "record/" + patient_id;
  st.deps = deps;
  recover(self, true);
  return {
      [=](command_atom, RecordRequest& req) -> caf::result<RecordReply> {
        auto& s = self->state;
        if (s.failed) return RecordReply{record::Outcome::kOk, "", s.failure, {}, 0};
        int64_t now = s.deps.clock->now_us();
        auto decided = record::decide(s.record, s.patient_id, req.command, req.subject, now);
        RecordReply reply;
        reply.outcome = decided.outcome;
        reply.reason = decided.reason;
        if (decided.events.empty()) {
          reply.version = s.record.version;
          return reply;
        }
        auto promise = self->make_response_promise<RecordReply>();
        auto append = append_for(s, req, decided);
        self->request(s.deps.journal, caf::infinite, append_atom::value, append)
            .await(
                [=](AppendReply& ack) mutable {
                  auto& s2 = self->state;
                  RecordReply r = reply;
                  if (!ack.status) {
                    // Nothing was written, so nothing is shown. A conflict means another
                    // instance wrote this stream: stop, the next command recovers afresh.
                    r.error = ack.status;
                    if (ack.status.code() == ErrorCode::kConflict) self->quit();
                    promise.deliver(std::move(r));
                    return;
                  }
                  apply_committed(s2, append, ack.result, decided);
                  maybe_snapshot(self);
                  r.version = s2.record.version;
                  if (decided.outcome == record::Outcome::kOk)
                    r.view = record::disclosed(s2.record, req.command, decided.decision);
                  promise.deliver(std::move(r));
                },
                [=](caf::error&) mutable {
                  RecordReply r = reply;
                  r.error = Status(ErrorCode::kInternal, "journal unavailable");
                  promise.deliver(std::move(r));
                });
        return promise;
      },
      [=](passivate_atom) { self->quit(); },
  };
}

}  // namespace

record_actor spawn_record(caf::actor_system& sys, const std::string& patient_id,
                          const RecordDeps& deps) {
  return sys.spawn(record_impl, patient_id, deps);
}

}  // namespace rxp::actors
