// Runtime: the actor system of one rxportal process, with the journal (group commit), the
// loader and the record registry over one EventLog.
//
// call() is for the CLI, tests and benchmarks: it blocks the calling thread (never a CAF
// worker) until the record answers. The HTTP edge uses send(), whose callback runs on a
// runtime thread and must not block.
// Thread-safety: all methods may be called from any non-CAF thread. The EventLog and Clock
// must outlive the Runtime; destroying it stops every actor.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "actors/identity_messages.hpp"
#include "actors/identity_options.hpp"
#include "actors/messages.hpp"
#include "infra/clock.hpp"

namespace rxp::actors {

struct RuntimeOptions {
  size_t max_live_records = 10000;
  int64_t idle_us = 10LL * 60 * 1000000;
  std::chrono::milliseconds sweep_every{1000};
  unsigned worker_threads = 2;  // CAF scheduler threads (CAF's default is max(cores, 4))
  IdentityOptions identity;
};

class Runtime {
 public:
  Runtime(events::EventLog& log, const Clock& clock, RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  RecordReply call(RecordRequest request,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void send(RecordRequest request, std::function<void(RecordReply)> done);
  RegistryStats stats();

  // Identity: the username directory (claims, lookups, the first step of every login),
  // users and sessions. Blocking, like call() above.
  DirectoryReply call(DirectoryRequest request,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  UserReply call(UserRequest request, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  SessionReply call(SessionRequest request,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Asynchronous forms for the HTTP edge: `done` runs once, on a runtime thread, and must
  // not block.
  void send(UserRequest request, std::function<void(UserReply)> done);
  void send(SessionRequest request, std::function<void(SessionReply)> done);
  void send(DirectoryRequest request, std::function<void(DirectoryReply)> done);
  // The store's health, asked of the journal (its own thread). `done` runs once, on a runtime
  // thread; an error when the journal does not answer within 10 s or the runtime stops.
  void send(StoreProbe probe, std::function<void(StoreHealth)> done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rxp::actors
