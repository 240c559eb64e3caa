// The message protocol of the actor runtime, written once as typed actor interfaces.
//
// Included by the actor .cpp files only; keeps caf/all.hpp out. All message types are local
// to one process (CAF_ALLOW_UNSAFE_MESSAGE_TYPE): commands that cross nodes go over NATS,
// never CAF's own remoting.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <functional>

#include "actors/identity_messages.hpp"
#include "actors/messages.hpp"

namespace rxp::actors {

using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using load_atom = caf::atom_constant<caf::atom("load")>;
using command_atom = caf::atom_constant<caf::atom("command")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
using call_atom = caf::atom_constant<caf::atom("call")>;
using hash_atom = caf::atom_constant<caf::atom("hash")>;
using verify_atom = caf::atom_constant<caf::atom("verify")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using health_atom = caf::atom_constant<caf::atom("health")>;

using journal_actor =
    caf::typed_actor<caf::replies_to<append_atom, events::AppendRequest>::with<AppendReply>,
                     caf::reacts_to<flush_atom>, caf::replies_to<health_atom>::with<StoreHealth>>;
// load: stream, use the snapshot? | snapshot: stream, version, schema, encoded state.
using loader_actor =
    caf::typed_actor<caf::replies_to<load_atom, std::string, bool>::with<LoadReply>,
                     caf::reacts_to<snapshot_atom, std::string, uint64_t, uint32_t, Bytes>>;
using record_actor =
    caf::typed_actor<caf::replies_to<command_atom, RecordRequest>::with<RecordReply>,
                     caf::reacts_to<passivate_atom>>;
// A registry of aggregates of one kind: routes commands by id, answers stats, sweeps idlers.
template <class Request, class Reply>
using registry_of =
    caf::typed_actor<typename caf::replies_to<command_atom, Request>::template with<Reply>,
                     caf::replies_to<stats_atom>::with<RegistryStats>, caf::reacts_to<sweep_atom>>;
using registry_actor = registry_of<RecordRequest, RecordReply>;

// The password hasher: Argon2id on its own threads. verify with an empty stored hash runs
// against the dummy hash (an unknown user costs the same as a wrong password).
struct HashReply {
  Status status;
  std::string hash;   // hash
  bool matched = false;  // verify
};
struct HasherDone {
  uint64_t job = 0;
  HashReply reply;
};
using hasher_actor = caf::typed_actor<caf::replies_to<hash_atom, Secret>::with<HashReply>,
                                      caf::replies_to<verify_atom, Secret, std::string>::with<HashReply>,
                                      caf::reacts_to<done_atom, HasherDone>>;

using user_actor =
    caf::typed_actor<caf::replies_to<command_atom, UserRequest>::with<UserReply>,
                     caf::reacts_to<passivate_atom>>;
using user_registry_actor = registry_of<UserRequest, UserReply>;
using session_actor =
    caf::typed_actor<caf::replies_to<command_atom, SessionRequest>::with<SessionReply>,
                     caf::reacts_to<passivate_atom>, caf::reacts_to<tick_atom>>;
using session_registry_actor = registry_of<SessionRequest, SessionReply>;
using directory_actor =
    caf::typed_actor<caf::replies_to<command_atom, DirectoryRequest>::with<DirectoryReply>>;

// The runtime's client: forwards callers' commands and runs their callbacks.
template <class Request, class Reply>
struct CallOf {
  Request request;
  std::function<void(Reply)> done;
};
using Call = CallOf<RecordRequest, RecordReply>;
using UserCall = CallOf<UserRequest, UserReply>;
using SessionCall = CallOf<SessionRequest, SessionReply>;
using DirectoryCall = CallOf<DirectoryRequest, DirectoryReply>;
using client_actor = caf::typed_actor<caf::reacts_to<call_atom, Call>, caf::reacts_to<call_atom, UserCall>,
                                      caf::reacts_to<call_atom, SessionCall>,
                                      caf::reacts_to<call_atom, DirectoryCall>>;

}  // namespace rxp::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::Call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::UserCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::SessionCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::DirectoryCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::events::AppendRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::AppendReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::LoadReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::RecordRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::RecordReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::RegistryStats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::StoreHealth)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::Secret)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::HashReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::HasherDone)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::UserRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::UserReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::SessionRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::SessionReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::DirectoryRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxp::actors::DirectoryReply)
