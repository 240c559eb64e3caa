// The loader: a detached actor that reads and decrypts streams for recovering aggregates, so
// that store reads never run on a CAF worker thread.
#include <caf/all.hpp>

#include "actors/runtime_parts.hpp"

namespace rxp::actors {
namespace {

loader_actor::behavior_type loader(loader_actor::pointer, events::EventLog* log) {
  return {
      [=](load_atom, const std::string& stream, uint64_t from_version) {
        LoadReply reply;
        auto events = log->read_stream(stream, from_version);
        if (events)
          reply.events = std::move(events.value());
        else
          reply.status = events.status();
        return reply;
      },
  };
}

}  // namespace

loader_actor spawn_loader(caf::actor_system& sys, events::EventLog& log) {
  return sys.spawn<caf::detached>(loader, &log);
}

}  // namespace rxp::actors
