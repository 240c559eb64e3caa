// A patient record as an actor, on the aggregate base (aggregate.hpp): recover, then for each
// command decide -> apply -> persist through the journal, pipelined (persist_pipelined: many
// reads of one record share a commit) -> reply in order. Data leaves the actor only after the
// RecordViewed that discloses it, and every event decided before it, is durable.
#include "actors/aggregate.hpp"
#include "actors/record_snapshot.hpp"
#include "actors/registry_impl.hpp"

namespace rxp::actors {
namespace {

struct RecordTraits {
  using State = record::RecordState;
  static constexpr uint32_t kSnapshotSchema = record::kSnapshotSchema;
  static constexpr uint64_t kSnapshotEvery = record::kSnapshotEvery;
  static void apply(State& s, const events::EventHeader& h, const events::DomainEvent& e) {
    record::apply(s, h, e);
  }
  static Bytes encode_snapshot(const State& s) { return record::encode_snapshot(s); }
  static Result<State> decode_snapshot(uint32_t schema, BytesView b) {
    return record::decode_snapshot(schema, b);
  }
};

struct RecordActorState {
  RecordActorState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  std::string patient_id;
  AggregateCore<RecordTraits> core;
};

using Self = record_actor::stateful_pointer<RecordActorState>;
using RecordPlan = Plan<RecordReply, record::RecordState>;

RecordReply record_failed(Status status) {
  RecordReply r;
  r.error = std::move(status);
  return r;
}

std::string primary_role(const policy::Subject& s) {
  return s.roles.empty() ? "" : policy::role_name(*s.roles.begin());
}

// The plan for one command. Its events go to the record's stream or, for a record that does
// not exist, to the subject's own denial stream (probing unknown ids must not create records).
RecordPlan plan_command(const RecordActorState& st, const RecordRequest& req, int64_t now_us) {
  const auto& rec = st.core.state;
  auto decided = record::decide(rec, st.patient_id, req.command, req.subject, now_us);
  RecordPlan plan;
  plan.reply.outcome = decided.outcome;
  plan.reply.reason = decided.reason;
  if (decided.events.empty()) return plan;
  if (rec.exists || std::holds_alternative<record::CreateRecord>(req.command)) {
    plan.append.stream_id = st.core.stream;
    plan.append.expected_version = rec.version;
  } else {
    plan.append.stream_id =
        "denials/" + (req.subject.user_id.empty() ? std::string("anonymous") : req.subject.user_id);
  }
  events::Principal who{req.subject.user_id, primary_role(req.subject), req.session_id};
  add_events(plan.append, decided.events, who, req.correlation_id, now_us);
  plan.decided = std::move(decided.events);
  if (decided.outcome == record::Outcome::kOk)
    plan.finish = [command = req.command, decision = decided.decision](
                      RecordReply& r, const record::RecordState& s) {
      r.view = record::disclosed(s, command, decision);
    };
  return plan;
}

record_actor::behavior_type record_impl(Self self, std::string patient_id, AggregateDeps deps) {
  self->state.patient_id = patient_id;
  self->state.core.stream = "record/" + patient_id;
  self->state.core.deps = deps;
  recover<RecordTraits>(self);
  return {
      [=](command_atom, RecordRequest& req) -> caf::result<RecordReply> {
        auto& st = self->state;
        if (st.core.failed) return record_failed(st.core.failure);
        auto plan = plan_command(st, req, st.core.deps.clock->now_us());
        auto promise = self->make_response_promise<RecordReply>();
        persist_pipelined<RecordTraits>(self, std::move(plan), std::function<void(RecordReply)>(
                                            [promise](RecordReply r) mutable { promise.deliver(std::move(r)); }));
        return promise;
      },
      [=](passivate_atom) { passivate_when_idle(self); },
  };
}

}  // namespace

record_actor spawn_record(caf::actor_system& sys, const std::string& patient_id,
                          const AggregateDeps& deps) {
  return sys.spawn(record_impl, patient_id, deps);
}

namespace {
struct RecordRegistryTraits {
  using Request = RecordRequest;
  using Reply = RecordReply;
  using Target = record_actor;
  static const std::string& id_of(const Request& r) { return r.patient_id; }
  static Reply invalid_id() {  // the same answer as any record the subject may not see
    RecordReply r;
    r.outcome = record::Outcome::kForbidden;
    r.reason = "no_such_record";
    return r;
  }
  static Reply failed(Status s) { return record_failed(std::move(s)); }
  static Target spawn(caf::actor_system& sys, const std::string& id, const AggregateDeps& deps) {
    return spawn_record(sys, id, deps);
  }
};
}  // namespace

registry_actor spawn_registry(caf::actor_system& sys, AggregateDeps deps, RegistryConfig config) {
  return spawn_registry_of<RecordRegistryTraits>(sys, deps, config);
}

}  // namespace rxp::actors
