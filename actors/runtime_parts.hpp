// Spawn functions of the runtime's actors, for runtime.cpp and tests. Not a public interface.
#pragma once

#include <caf/fwd.hpp>

#include <memory>

#include "actors/identity_options.hpp"
#include "actors/protocol.hpp"
#include "infra/clock.hpp"

namespace rxp::actors {

journal_actor spawn_journal(caf::actor_system& sys, events::EventLog& log);
loader_actor spawn_loader(caf::actor_system& sys, events::EventLog& log);

struct IdentityLinks;

// What every aggregate actor needs: the journal to persist, the loader to recover, a clock;
// identity actors also reach each other and the hasher through `identity`.
struct AggregateDeps {
  journal_actor journal;
  loader_actor loader;
  const Clock* clock = nullptr;
  std::shared_ptr<const IdentityLinks> identity;
};
record_actor spawn_record(caf::actor_system& sys, const std::string& patient_id,
                          const AggregateDeps& deps);

struct RegistryConfig {
  size_t max_live = 10000;                 // live actors before LRU passivation
  int64_t idle_us = 10LL * 60 * 1000000;   // passivate after this much idle time
  std::chrono::milliseconds sweep_every{1000};
};
registry_actor spawn_registry(caf::actor_system& sys, AggregateDeps deps, RegistryConfig config);

// ---- identity ----
struct IdentityLinks {
  IdentityOptions options;
  hasher_actor hasher;
  user_registry_actor users;        // set once spawned, before any command is sent
  session_registry_actor sessions;  // likewise
};
hasher_actor spawn_hasher(caf::actor_system& sys, const IdentityOptions& options);
user_registry_actor spawn_user_registry(caf::actor_system& sys, AggregateDeps deps, RegistryConfig config);
session_registry_actor spawn_session_registry(caf::actor_system& sys, AggregateDeps deps,
                                              RegistryConfig config);
directory_actor spawn_directory(caf::actor_system& sys, AggregateDeps deps);

}  // namespace rxp::actors
