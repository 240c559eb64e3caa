#include "actors/runtime.hpp"

#include <caf/all.hpp>
#include <unordered_map>

#include "actors/runtime_parts.hpp"

namespace rxp::actors {
namespace {

// One long-lived actor forwards every send(): spawning one per request cost more than the
// request. Each callback runs exactly once: with the answer, or with an error when the
// runtime shuts down first.
struct ClientState {
  ClientState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  registry_actor registry;
  uint64_t next = 0;
  std::unordered_map<uint64_t, std::function<void(RecordReply)>> pending;
};

void finish(client_actor::stateful_pointer<ClientState> self, uint64_t id, RecordReply r) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  auto done = std::move(it->second);
  self->state.pending.erase(it);
  done(std::move(r));
}

RecordReply shutting_down() {
  RecordReply r;
  r.error = Status(ErrorCode::kInternal, "runtime shut down");
  return r;
}

client_actor::behavior_type client(client_actor::stateful_pointer<ClientState> self,
                                   registry_actor registry) {
  self->state.registry = registry;
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto pending = std::move(self->state.pending);
    self->state.pending.clear();
    for (auto& [id, done] : pending) done(shutting_down());
    self->quit(msg.reason);
  });
  return {
      [=](call_atom, Call& call) {
        uint64_t id = self->state.next++;
        self->state.pending.emplace(id, std::move(call.done));
        self->request(self->state.registry, caf::infinite, command_atom::value, std::move(call.request))
            .then([=](RecordReply& r) { finish(self, id, std::move(r)); },
                  [=](caf::error&) { finish(self, id, shutting_down()); });
      },
  };
}

// A blocking request from a non-CAF thread; a CAF error becomes the reply's error.
template <class Reply, class Handle, class Request>
Reply blocking_call(caf::actor_system& sys, const Handle& to, Request request,
                    std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys};
  Reply out;
  self->request(to, timeout, command_atom::value, std::move(request))
      .receive([&](Reply& r) { out = std::move(r); },
               [&](caf::error& e) {
                 out.error = Status(ErrorCode::kInternal, "request failed: " + sys.render(e));
               });
  return out;
}

}  // namespace

struct Runtime::Impl {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  journal_actor journal;
  loader_actor loader;
  registry_actor registry;
  client_actor client;
  hasher_actor hasher;
  user_registry_actor users;
  session_registry_actor sessions;
  directory_actor directory;
};

Runtime::Runtime(events::EventLog& log, const Clock& clock, RuntimeOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->config.set("scheduler.max-threads", static_cast<size_t>(options.worker_threads));
  impl_->config.set("logger.verbosity", caf::atom("quiet"));
  impl_->system = std::make_unique<caf::actor_system>(impl_->config);
  auto& sys = *impl_->system;
  impl_->journal = spawn_journal(sys, log);
  impl_->loader = spawn_loader(sys, log);
  AggregateDeps deps{impl_->journal, impl_->loader, &clock, nullptr};
  RegistryConfig rc{options.max_live_records, options.idle_us, options.sweep_every};
  impl_->registry = spawn_registry(sys, deps, rc);
  impl_->client = sys.spawn(client, impl_->registry);

  // Identity actors reach each other through links filled before any command arrives.
  auto links = std::make_shared<IdentityLinks>();
  links->options = options.identity;
  impl_->hasher = links->hasher = spawn_hasher(sys, options.identity);
  AggregateDeps ideps{impl_->journal, impl_->loader, &clock, links};
  impl_->users = links->users = spawn_user_registry(sys, ideps, rc);
  // A session stays live for longer than its longest idle timeout, so its last activity,
  // kept in memory, is not lost to passivation.
  RegistryConfig sc = rc;
  sc.idle_us = std::max<int64_t>(rc.idle_us, 31LL * 60 * 1000000);
  impl_->sessions = links->sessions = spawn_session_registry(sys, ideps, sc);
  impl_->directory = spawn_directory(sys, ideps);
}

Runtime::~Runtime() {
  for (auto a : {caf::actor_cast<caf::actor>(impl_->client),
                 caf::actor_cast<caf::actor>(impl_->registry),
                 caf::actor_cast<caf::actor>(impl_->directory),
                 caf::actor_cast<caf::actor>(impl_->users),
                 caf::actor_cast<caf::actor>(impl_->sessions),
                 caf::actor_cast<caf::actor>(impl_->hasher),
                 caf::actor_cast<caf::actor>(impl_->journal),
                 caf::actor_cast<caf::actor>(impl_->loader)})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  // Detached actors are destroyed, and their threads end, only once no handle remains.
  impl_->client = nullptr;
  impl_->registry = nullptr;
  impl_->directory = nullptr;
  impl_->users = nullptr;
  impl_->sessions = nullptr;
  impl_->hasher = nullptr;
  impl_->journal = nullptr;
  impl_->loader = nullptr;
  impl_->system.reset();  // waits for every actor to finish
}

RecordReply Runtime::call(RecordRequest request, std::chrono::milliseconds timeout) {
  return blocking_call<RecordReply>(*impl_->system, impl_->registry, std::move(request), timeout);
}

void Runtime::send(RecordRequest request, std::function<void(RecordReply)> done) {
  caf::anon_send(impl_->client, call_atom::value, Call{std::move(request), std::move(done)});
}

DirectoryReply Runtime::call(DirectoryRequest request, std::chrono::milliseconds timeout) {
  return blocking_call<DirectoryReply>(*impl_->system, impl_->directory, std::move(request), timeout);
}
UserReply Runtime::call(UserRequest request, std::chrono::milliseconds timeout) {
  return blocking_call<UserReply>(*impl_->system, impl_->users, std::move(request), timeout);
}
SessionReply Runtime::call(SessionRequest request, std::chrono::milliseconds timeout) {
  return blocking_call<SessionReply>(*impl_->system, impl_->sessions, std::move(request), timeout);
}

RegistryStats Runtime::stats() {
  caf::scoped_actor self{*impl_->system};
  RegistryStats out;
  self->request(impl_->registry, std::chrono::seconds(10), stats_atom::value)
      .receive([&](RegistryStats& s) { out = s; }, [&](caf::error&) {});
  return out;
}

}  // namespace rxp::actors
