// A registry: spawns an aggregate actor (record, user, session) on first use, routes commands
// to it, and passivates actors that were idle too long or that fall off the end of an LRU
// list when too many are live, so memory follows active work rather than the number of ids.
//
// Passivation is a message to the actor, handled after every command already queued for it.
// Until the actor is down, new commands for that id wait here, so two instances
// never write one stream at the same time (the store's expected-version check would catch it,
// but as a failed command).
//
// One template serves every aggregate kind. Traits:
//   using Request; using Reply; using Target;   // Target: the aggregate's typed actor
//   static const std::string& id_of(const Request&);
//   static Reply invalid_id();                  // answer for an id that is not well formed
//   static Reply failed(Status);                // answer when the aggregate is unavailable
//   static Target spawn(caf::actor_system&, const std::string& id, const AggregateDeps&);
// Included by actor .cpp files only (it pulls in CAF).
#pragma once

#include <caf/all.hpp>
#include <list>
#include <unordered_map>

#include "actors/runtime_parts.hpp"

namespace rxp::actors {

namespace registry_detail {

template <class Traits>
struct Waiting {
  typename Traits::Request request;
  caf::typed_response_promise<typename Traits::Reply> promise;
};

template <class Traits>
struct RegistryState {
  RegistryState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  struct Live {
    typename Traits::Target handle;
    int64_t last_used_us = 0;
    std::list<std::string>::iterator lru;  // position in `lru`, most recent at the back
  };
  AggregateDeps deps;
  RegistryConfig config;
  std::unordered_map<std::string, Live> live;
  std::list<std::string> lru;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  std::unordered_map<std::string, std::vector<Waiting<Traits>>> passivating;  // held commands
  RegistryStats stats;
};

template <class Traits>
using Self = typename registry_of<typename Traits::Request, typename Traits::Reply>::template
    stateful_pointer<RegistryState<Traits>>;

// `id` by value: callers pass lru.front(), whose node this function erases.
template <class Traits>
void passivate(Self<Traits> self, std::string id) {
  auto& st = self->state;
  auto it = st.live.find(id);
  if (it == st.live.end()) return;
  self->send(it->second.handle, passivate_atom::value);
  st.lru.erase(it->second.lru);
  st.live.erase(it);
  st.passivating[id];  // commands for it now wait for its down message
  ++st.stats.passivated;
}

template <class Traits>
typename Traits::Target activate(Self<Traits> self, const std::string& id) {
  auto& st = self->state;
  auto handle = Traits::spawn(self->system(), id, st.deps);
  self->monitor(handle);
  st.by_addr[handle.address()] = id;
  st.lru.push_back(id);
  st.live[id] = {handle, st.deps.clock->now_us(), std::prev(st.lru.end())};
  ++st.stats.spawned;
  while (st.live.size() > st.config.max_live) passivate<Traits>(self, st.lru.front());
  return handle;
}

template <class Traits>
void forward(Self<Traits> self, const typename Traits::Target& handle,
             typename Traits::Request req,
             caf::typed_response_promise<typename Traits::Reply> promise) {
  self->request(handle, caf::infinite, command_atom::value, std::move(req))
      .then([=](typename Traits::Reply& r) mutable { promise.deliver(std::move(r)); },
            [=](caf::error&) mutable {
              // The actor went down before answering (e.g. it stopped after a conflict).
              promise.deliver(Traits::failed(Status(ErrorCode::kConflict, "actor restarted; retry")));
            });
}

template <class Traits>
void on_down(Self<Traits> self, const caf::down_msg& msg) {
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
  auto handle = activate<Traits>(self, id);
  for (auto& w : held) forward<Traits>(self, handle, std::move(w.request), std::move(w.promise));
}

template <class Traits>
typename registry_of<typename Traits::Request, typename Traits::Reply>::behavior_type registry(
    Self<Traits> self, AggregateDeps deps, RegistryConfig config) {
  using Reply = typename Traits::Reply;
  self->state.deps = deps;
  self->state.config = config;
  self->set_down_handler([=](caf::down_msg& msg) { on_down<Traits>(self, msg); });
  // On shutdown, aggregates are passivated (a message, handled after whatever they are doing;
  // killing one mid-append would drop its caller's promise, which CAF 0.17 never answers),
  // and held commands are answered.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    for (auto& [id, live] : st.live) self->send(live.handle, passivate_atom::value);
    for (auto& [id, held] : st.passivating)
      for (auto& w : held) w.promise.deliver(Traits::failed(Status(ErrorCode::kInternal, "shutting down")));
    st.passivating.clear();
    self->quit(msg.reason);
  });
  self->delayed_send(self, config.sweep_every, sweep_atom::value);
  return {
      [=](command_atom, typename Traits::Request& req) -> caf::result<Reply> {
        auto& st = self->state;
        std::string id = Traits::id_of(req);
        if (!events::is_opaque_id(id, false)) return Traits::invalid_id();
        if (auto p = st.passivating.find(id); p != st.passivating.end()) {
          auto promise = self->template make_response_promise<Reply>();
          p->second.push_back({std::move(req), promise});
          return promise;
        }
        typename Traits::Target handle;
        if (auto it = st.live.find(id); it != st.live.end()) {
          it->second.last_used_us = st.deps.clock->now_us();
          st.lru.splice(st.lru.end(), st.lru, it->second.lru);
          handle = it->second.handle;
        } else {
          handle = activate<Traits>(self, id);
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
          passivate<Traits>(self, st.lru.front());
        self->delayed_send(self, st.config.sweep_every, sweep_atom::value);
      },
  };
}

}  // namespace registry_detail

template <class Traits>
registry_of<typename Traits::Request, typename Traits::Reply> spawn_registry_of(
    caf::actor_system& sys, AggregateDeps deps, RegistryConfig config) {
  return sys.spawn(registry_detail::registry<Traits>, deps, config);
}

}  // namespace rxp::actors
