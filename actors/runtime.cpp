#include "actors/runtime.hpp"

#include <caf/all.hpp>

#include "actors/runtime_parts.hpp"

namespace rxp::actors {

struct Runtime::Impl {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  journal_actor journal;
  loader_actor loader;
  registry_actor registry;
};

Runtime::Runtime(events::EventLog& log, const Clock& clock, RuntimeOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->config.set("scheduler.max-threads", static_cast<size_t>(options.worker_threads));
  impl_->config.set("logger.verbosity", caf::atom("quiet"));
  impl_->system = std::make_unique<caf::actor_system>(impl_->config);
  auto& sys = *impl_->system;
  impl_->journal = spawn_journal(sys, log);
  impl_->loader = spawn_loader(sys, log);
  RecordDeps deps{impl_->journal, impl_->loader, &clock};
  RegistryConfig rc{options.max_live_records, options.idle_us, options.sweep_every};
  impl_->registry = spawn_registry(sys, deps, rc);
}

Runtime::~Runtime() {
  for (auto a : {caf::actor_cast<caf::actor>(impl_->registry),
                 caf::actor_cast<caf::actor>(impl_->journal),
                 caf::actor_cast<caf::actor>(impl_->loader)})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  // Detached actors are destroyed, and their threads end, only once no handle remains.
  impl_->registry = nullptr;
  impl_->journal = nullptr;
  impl_->loader = nullptr;
  impl_->system.reset();  // waits for every actor to finish
}

RecordReply Runtime::call(RecordRequest request, std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*impl_->system};
  RecordReply out;
  self->request(impl_->registry, timeout, command_atom::value, std::move(request))
      .receive([&](RecordReply& r) { out = std::move(r); },
               [&](caf::error& e) {
                 out.error = Status(ErrorCode::kInternal,
                                    "record request failed: " + impl_->system->render(e));
               });
  return out;
}

void Runtime::send(RecordRequest request, std::function<void(RecordReply)> done) {
  auto registry = impl_->registry;
  impl_->system->spawn([registry, request = std::move(request),
                        done = std::move(done)](caf::event_based_actor* self) mutable {
    self->request(registry, caf::infinite, command_atom::value, std::move(request))
        .then([=](RecordReply& r) { done(std::move(r)); },
              [=](caf::error&) {
                RecordReply r;
                r.error = Status(ErrorCode::kInternal, "record request failed");
                done(std::move(r));
              });
  });
}

RegistryStats Runtime::stats() {
  caf::scoped_actor self{*impl_->system};
  RegistryStats out;
  self->request(impl_->registry, std::chrono::seconds(10), stats_atom::value)
      .receive([&](RegistryStats& s) { out = s; }, [&](caf::error&) {});
  return out;
}

}  // namespace rxp::actors
