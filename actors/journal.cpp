// The journal: a detached actor (its own thread, so fsync never blocks a CAF worker) that
// group-commits appends. An append is parked with its response promise; the first one of a
// batch sends the journal a flush message, which arrives after every append already queued,
// so one durable transaction takes all of them. Promises are delivered only after commit.
// It also answers the health probe (GET /healthz): the store is writable when the write lock
// can be taken now and the last commit did not fail in the store.
#include <caf/all.hpp>

#include "actors/runtime_parts.hpp"

namespace rxp::actors {
namespace {

constexpr size_t kMaxBatch = 1024;

struct JournalState {
  JournalState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  struct Parked {
    events::AppendRequest request;
    caf::typed_response_promise<AppendReply> promise;
  };
  std::vector<Parked> parked;
  bool flush_queued = false;
  events::EventLog* log = nullptr;
  Status last_store_failure;  // of the latest commit that reached the store; ok once one succeeds
};

// A result the store itself caused (I/O, disk full, lock, corruption), not the request.
bool store_failed(const Status& st) {
  auto c = st.code();
  return c == ErrorCode::kIo || c == ErrorCode::kBusy || c == ErrorCode::kCorruption;
}

void commit(JournalState& st) {
  while (!st.parked.empty()) {
    size_t n = std::min(st.parked.size(), kMaxBatch);
    std::vector<events::AppendRequest> batch;
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) batch.push_back(std::move(st.parked[i].request));
    auto results = st.log->append_batch(batch);
    for (const auto& r : results) {
      if (r) st.last_store_failure = Status::ok();
      else if (store_failed(r.status())) st.last_store_failure = r.status();
    }
    for (size_t i = 0; i < n; ++i) {
      AppendReply reply;
      if (results[i])
        reply.result = *results[i];
      else
        reply.status = results[i].status();
      st.parked[i].promise.deliver(std::move(reply));
    }
    st.parked.erase(st.parked.begin(), st.parked.begin() + static_cast<long>(n));
  }
}

journal_actor::behavior_type journal(journal_actor::stateful_pointer<JournalState> self,
                                     events::EventLog* log) {
  self->state.log = log;
  // CAF 0.17 drops an undelivered promise silently, which would leave its requester waiting
  // forever: on shutdown every parked append is answered (not written).
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& p : self->state.parked)
      p.promise.deliver(AppendReply{Status(ErrorCode::kInternal, "journal shut down"), {}});
    self->state.parked.clear();
    self->quit(msg.reason);
  });
  return {
      [=](append_atom, events::AppendRequest& request) -> caf::result<AppendReply> {
        auto promise = self->make_response_promise<AppendReply>();
        self->state.parked.push_back({std::move(request), promise});
        if (!self->state.flush_queued) {
          self->state.flush_queued = true;
          self->send(self, flush_atom::value);
        }
        return promise;
      },
      [=](flush_atom) {
        self->state.flush_queued = false;
        commit(self->state);
      },
      [=](health_atom) -> StoreHealth {
        if (!self->state.last_store_failure.is_ok()) return StoreHealth{self->state.last_store_failure};
        // BEGIN IMMEDIATE (PostgreSQL: BEGIN and the head lock, taken by the first call) and a
        // rollback: nothing written, no fsync.
        auto txn = self->state.log->store().begin_write();
        if (!txn) return StoreHealth{txn.status()};
        auto head = (*txn)->last_position();
        return StoreHealth{head ? Status::ok() : head.status()};
      },
  };
}

}  // namespace

journal_actor spawn_journal(caf::actor_system& sys, events::EventLog& log) {
  return sys.spawn<caf::detached>(journal, &log);
}

}  // namespace rxp::actors
