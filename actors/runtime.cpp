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
  registry_actor records;
  user_registry_actor users;
  session_registry_actor sessions;
  directory_actor directory;
  uint64_t next = 0;
  // Per pending call: answer it (with the reply, or with "shut down" when given none).
  std::unordered_map<uint64_t, std::function<void(const void* reply)>> pending;
};
using ClientSelf = client_actor::stateful_pointer<ClientState>;

template <class Reply>
Reply shutting_down() {
  Reply r;
  r.error = Status(ErrorCode::kInternal, "runtime shut down");
  return r;
}

void finish(ClientSelf self, uint64_t id, const void* reply) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  auto done = std::move(it->second);
  self->state.pending.erase(it);
  done(reply);
}

template <class Request, class Reply, class Handle>
void forward_call(ClientSelf self, const Handle& to, CallOf<Request, Reply>& call) {
  uint64_t id = self->state.next++;
  self->state.pending.emplace(id, [done = std::move(call.done)](const void* reply) {
    done(reply ? *static_cast<const Reply*>(reply) : shutting_down<Reply>());
  });
  self->request(to, caf::infinite, command_atom::value, std::move(call.request))
      .then([=](Reply& r) { finish(self, id, &r); }, [=](caf::error&) { finish(self, id, nullptr); });
}

client_actor::behavior_type client(ClientSelf self, registry_actor records, user_registry_actor users,
                                   session_registry_actor sessions, directory_actor directory) {
  self->state.records = records;
  self->state.users = users;
  self->state.sessions = sessions;
  self->state.directory = directory;
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto pending = std::move(self->state.pending);
    self->state.pending.clear();
    for (auto& [id, done] : pending) done(nullptr);
    self->quit(msg.reason);
  });
  return {
      [=](call_atom, Call& c) { forward_call(self, self->state.records, c); },
      [=](call_atom, UserCall& c) { forward_call(self, self->state.users, c); },
      [=](call_atom, SessionCall& c) { forward_call(self, self->state.sessions, c); },
      [=](call_atom, DirectoryCall& c) { forward_call(self, self->state.directory, c); },
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
  impl_->client = sys.spawn(client, impl_->registry, impl_->users, impl_->sessions, impl_->directory);
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
void Runtime::send(UserRequest request, std::function<void(UserReply)> done) {
  caf::anon_send(impl_->client, call_atom::value, UserCall{std::move(request), std::move(done)});
}
void Runtime::send(SessionRequest request, std::function<void(SessionReply)> done) {
  caf::anon_send(impl_->client, call_atom::value, SessionCall{std::move(request), std::move(done)});
}
void Runtime::send(DirectoryRequest request, std::function<void(DirectoryReply)> done) {
  caf::anon_send(impl_->client, call_atom::value, DirectoryCall{std::move(request), std::move(done)});
}

void Runtime::send(StoreProbe, std::function<void(StoreHealth)> done) {
  // A one-shot actor: probes are rare (a monitor's interval), and it keeps the client actor's
  // interface to the aggregates. It ends once its one request is answered.
  // The journal and callback go as spawn arguments, not captures: CAF 0.17 dereferences a null
  // argument tuple when a function actor is spawned with none (UBSan reports it).
  using Done = std::function<void(StoreHealth)>;
  auto probe = [](caf::event_based_actor* self, journal_actor journal, Done done) {
    self->request(journal, std::chrono::seconds(10), health_atom::value)
        .then([done](StoreHealth& h) { done(std::move(h)); },
              [done, self](caf::error& e) {
                done(StoreHealth{Status(ErrorCode::kInternal, "store probe failed: " + self->system().render(e))});
              });
  };
  impl_->system->spawn(probe, impl_->journal, Done(std::move(done)));
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
