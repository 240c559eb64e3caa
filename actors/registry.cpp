// The registry: spawns a record actor on first use, routes commands to it, and passivates
// actors that were idle too long or that fall off the end of an LRU list when too many are
// live, so memory follows active work rather than the number of patients.
//
// Passivation is a message to the record actor, handled after every command already queued
// for it. Until the actor is down, new commands for that patient wait here, so two instances
// never write one stream at the same time (the store's expected-version check would catch it,
// but as a failed command).
#include <caf/all.hpp>
#include <list>
#include <unordered_map>

#include "actors/runtime_parts.hpp"

namespace rxp::actors {
namespace {

struct Waiting {
  RecordRequest request;
  caf::typed_response_promise<RecordReply> promise;
};

struct RegistryState {
  RegistryState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  struct Live {
    record_actor handle;
    int64_t last_used_us = 0;
    std::list<std::string>::iterator lru;  // position in `lru`, most recent at the back
  };
  RecordDeps deps;
  RegistryConfig config;
  std::unordered_map<std::string, Live> live;
  std::list<std::string> lru;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  std::unordered_map<std::string, std::vector<Waiting>> passivating;  // id -> held commands
  RegistryStats stats;
};

using Self = registry_actor::stateful_pointer<RegistryState>;

// `id` by value: callers pass lru.front(), whose node this function erases.
void passivate(Self self, std::string id) {
  auto& st = self->state;
  auto it = st.live.find(id);
  if (it == st.live.end()) return;
  self->send(it->second.handle, passivate_atom::value);
  st.lru.erase(it->second.lru);
  st.live.erase(it);
  st.passivating[id];  // commands for it now wait for its down message
  ++st.stats.passivated;
}

record_actor activate(Self self, const std::string& id) {
  auto& st = self->state;
  auto handle = spawn_record(self->system(), id, st.deps);
  self->monitor(handle);
  st.by_addr[handle.address()] = id;
  st.lru.push_back(id);
  st.live[id] = {handle, st.deps.clock->now_us(), std::prev(st.lru.end())};
  ++st.stats.spawned;
  while (st.live.size() > st.config.max_live) passivate(self, st.lru.front());
  return handle;
}

void forward(Self self, const record_actor& handle, RecordRequest req,
             caf::typed_response_promise<RecordReply> promise) {
  self->request(handle, caf::infinite, command_atom::value, std::move(req))
      .then([=](RecordReply& r) mutable { promise.deliver(std::move(r)); },
            [=](caf::error&) mutable {
              // The actor went down before answering (e.g. it stopped after a conflict).
              RecordReply r;
              r.error = Status(ErrorCode::kConflict, "record actor restarted; retry");
              promise.deliver(std::move(r));
            });
}

void on_down(Self self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto a = st.by_addr.find(msg.source);
  if (a == st.by_addr.end()) return;
  std::string id = a->second;
  st.by_addr.erase(a);
  if (auto it = st.live.find(id); it != st.live.end() && it->second.handle.address() == msg.source) {
    st.lru.erase(it->second.lru);
    st.live.erase(it);
  }
  auto p = st.passivating.find(id);
  if (p == st.passivating.end()) return;
  auto held = std::move(p->second);
  st.passivating.erase(p);
  if (held.empty()) return;
  auto handle = activate(self, id);
  for (auto& w : held) forward(self, handle, std::move(w.request), std::move(w.promise));
}

registry_actor::behavior_type registry(Self self, RecordDeps deps, RegistryConfig config) {
  self->state.deps = deps;
  self->state.config = config;
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  // On shutdown, records are passivated (a message, handled after whatever they are doing;
  // killing one mid-append would drop its caller's promise, which CAF 0.17 never answers),
  // and held commands are answered.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    for (auto& [id, live] : st.live) self->send(live.handle, passivate_atom::value);
    for (auto& [id, held] : st.passivating)
      for (auto& w : held) {
        RecordReply r;
        r.error = Status(ErrorCode::kInternal, "shutting down");
        w.promise.deliver(std::move(r));
      }
    st.passivating.clear();
    self->quit(msg.reason);
  });
  self->delayed_send(self, config.sweep_every, sweep_atom::value);
  return {
      [=](command_atom, RecordRequest& req) -> caf::result<RecordReply> {
        auto& st = self->state;
        std::string id = req.patient_id;
        if (!events::is_opaque_id(id, false)) {
          RecordReply r;  // the same answer as any record the subject may not see
          r.outcome = record::Outcome::kForbidden;
          r.reason = "no_such_record";
          return r;
        }
        if (auto p = st.passivating.find(id); p != st.passivating.end()) {
          auto promise = self->make_response_promise<RecordReply>();
          p->second.push_back({std::move(req), promise});
          return promise;
        }
        record_actor handle;
        if (auto it = st.live.find(id); it != st.live.end()) {
          it->second.last_used_us = st.deps.clock->now_us();
          st.lru.splice(st.lru.end(), st.lru, it->second.lru);
          handle = it->second.handle;
        } else {
          handle = activate(self, id);
        }
        return self->delegate(handle, command_atom::value, std::move(req));
      },
      [=](stats_atom) {
        auto s = self->state.stats;
        s.live = self->state.live.size();
        return s;
      },
      [=](sweep_atom) {
        auto& st = self->state;
        int64_t cutoff = st.deps.clock->now_us() - st.config.idle_us;
        while (!st.lru.empty() && st.live[st.lru.front()].last_used_us < cutoff)
          passivate(self, st.lru.front());
        self->delayed_send(self, st.config.sweep_every, sweep_atom::value);
      },
  };
}

}  // namespace

registry_actor spawn_registry(caf::actor_system& sys, RecordDeps deps, RegistryConfig config) {
  return sys.spawn(registry, deps, config);
}

}  // namespace rxp::actors
