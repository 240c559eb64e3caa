// The hasher: Argon2id runs on the PasswordHasher's own threads, never on a CAF worker. Each
// request parks its promise; the pool's callback sends `done` back to this actor, which
// answers from its own context (a promise is only touched by its actor).
#include <caf/all.hpp>
#include <unordered_map>

#include "actors/identity/password.hpp"
#include "actors/runtime_parts.hpp"

namespace rxp::actors {
namespace {

struct HasherState {
  HasherState() = default;  // CAF 0.17 builds aggregate states from `self` otherwise
  std::unique_ptr<identity::PasswordHasher> pool;
  Status start_error;
  uint64_t next = 0;
  std::unordered_map<uint64_t, caf::typed_response_promise<HashReply>> parked;
};

using Self = hasher_actor::stateful_pointer<HasherState>;

SecretBytes copy_secret(const Secret& s) {
  SecretBytes out(s ? s->size() : 0);
  if (s && s->size()) std::memcpy(out.data(), s->data(), s->size());
  return out;
}

// Parks a promise and returns the callback that will complete it (from a pool thread).
template <class Result, class Convert>
std::function<void(Result)> park(Self self, caf::typed_response_promise<HashReply> promise,
                                 uint64_t& job, Convert convert) {
  job = self->state.next++;
  self->state.parked.emplace(job, promise);
  auto handle = caf::actor_cast<hasher_actor>(self);
  return [handle, job, convert](Result r) { caf::anon_send(handle, done_atom::value, HasherDone{job, convert(r)}); };
}

HashReply from_hash(const Result<std::string>& r) {
  return r ? HashReply{Status(), r.value(), false} : HashReply{r.status(), {}, false};
}
HashReply from_check(const Result<identity::PasswordCheck>& r) {
  return r ? HashReply{Status(), {}, r->matched()} : HashReply{r.status(), {}, false};
}

hasher_actor::behavior_type hasher(Self self, IdentityOptions options) {
  identity::PasswordHasherOptions po;
  po.threads = options.hasher_threads;
  po.queue_capacity = options.hasher_queue;
  po.params = options.password;
  auto pool = identity::PasswordHasher::start(po);
  if (pool)
    self->state.pool = std::move(pool.value());
  else
    self->state.start_error = pool.status();
  // CAF 0.17 never answers a dropped promise: answer every parked one on shutdown.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    self->state.pool.reset();  // joins; queued jobs are answered to a dead actor: harmless
    for (auto& [job, p] : self->state.parked) p.deliver(HashReply{Status(ErrorCode::kInternal, "shutting down"), {}, false});
    self->state.parked.clear();
    self->quit(msg.reason);
  });
  return {
      [=](hash_atom, const Secret& password) -> caf::result<HashReply> {
        if (!self->state.pool) return HashReply{self->state.start_error, {}, false};
        auto promise = self->make_response_promise<HashReply>();
        uint64_t job = 0;
        auto cb = park<Result<std::string>>(self, promise, job, from_hash);
        if (Status st = self->state.pool->submit_hash(copy_secret(password), cb); !st) {
          self->state.parked.erase(job);
          promise.deliver(HashReply{st, {}, false});
        }
        return promise;
      },
      [=](verify_atom, const Secret& password, const std::string& stored) -> caf::result<HashReply> {
        if (!self->state.pool) return HashReply{self->state.start_error, {}, false};
        auto promise = self->make_response_promise<HashReply>();
        uint64_t job = 0;
        auto cb = park<Result<identity::PasswordCheck>>(self, promise, job, from_check);
        Status st = stored.empty() ? self->state.pool->submit_verify_unknown_user(copy_secret(password), cb)
                                   : self->state.pool->submit_verify(copy_secret(password), stored, cb);
        if (!st) {
          self->state.parked.erase(job);
          promise.deliver(HashReply{st, {}, false});
        }
        return promise;
      },
      [=](done_atom, HasherDone& done) {
        auto it = self->state.parked.find(done.job);
        if (it == self->state.parked.end()) return;
        it->second.deliver(std::move(done.reply));
        self->state.parked.erase(it);
      },
  };
}

}  // namespace

hasher_actor spawn_hasher(caf::actor_system& sys, const IdentityOptions& options) {
  return sys.spawn(hasher, options);
}

Secret make_secret(std::string_view text) {
  auto s = std::make_shared<SecretBytes>(text.size());
  if (!text.empty()) std::memcpy(s->data(), text.data(), text.size());
  return s;
}

}  // namespace rxp::actors
