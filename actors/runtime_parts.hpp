// Spawn functions of the runtime's actors, for runtime.cpp and tests. Not a public interface.
#pragma once

#include <caf/fwd.hpp>

#include "actors/protocol.hpp"
#include "infra/clock.hpp"

namespace rxp::actors {

journal_actor spawn_journal(caf::actor_system& sys, events::EventLog& log);
loader_actor spawn_loader(caf::actor_system& sys, events::EventLog& log);

// What every aggregate actor needs: the journal to persist, the loader to recover, a clock.
struct AggregateDeps {
  journal_actor journal;
  loader_actor loader;
  const Clock* clock = nullptr;
};
record_actor spawn_record(caf::actor_system& sys, const std::string& patient_id,
                          const AggregateDeps& deps);

struct RegistryConfig {
  size_t max_live = 10000;                 // live actors before LRU passivation
  int64_t idle_us = 10LL * 60 * 1000000;   // passivate after this much idle time
  std::chrono::milliseconds sweep_every{1000};
};
registry_actor spawn_registry(caf::actor_system& sys, AggregateDeps deps, RegistryConfig config);

}  // namespace rxp::actors
