// The loader: a detached actor that reads and decrypts streams for recovering aggregates, and
// writes their snapshots, so that store I/O never runs on a CAF worker thread. A snapshot that
// does not open is skipped: the stream is then read from its start.
#include <caf/all.hpp>

#include "actors/runtime_parts.hpp"

namespace rxp::actors {
namespace {

loader_actor::behavior_type loader(loader_actor::pointer, events::EventLog* log) {
  return {
      [=](load_atom, const std::string& stream, bool use_snapshot) {
        LoadReply reply;
        uint64_t from = 1;
        if (use_snapshot) {
          auto snap = log->load_snapshot(stream);
          if (snap && snap->has_value()) {
            reply.snapshot = std::move(snap.value());
            from = reply.snapshot->version + 1;
          }
        }
        auto events = log->read_stream(stream, from);
        if (events)
          reply.events = std::move(events.value());
        else
          reply.status = events.status();
        return reply;
      },
      [=](snapshot_atom, const std::string& stream, uint64_t version, uint32_t schema,
          const Bytes& state) {
        // Best effort: a missing or failed snapshot only makes the next recovery slower.
        (void)log->save_snapshot(stream, version, schema, state);
      },
  };
}

}  // namespace

loader_actor spawn_loader(caf::actor_system& sys, events::EventLog& log) {
  return sys.spawn<caf::detached>(loader, &log);
}

}  // namespace rxp::actors
