// rxportal replay --data DIR [--stream ID] [--until TIME] [--state]: decrypted events as JSON
// lines, for analysts; with --state (and --stream), instead of the events, one JSON object: the
// stream's aggregate state as of --until (tools/stream_state.hpp). Every event is hash-checked
// and authenticated as it is read; the first one that is not stops the replay with exit 3.
#include <CLI/CLI.hpp>
#include <iostream>

#include "events/event_json.hpp"
#include "tools/cli_common.hpp"
#include "tools/stream_state.hpp"

namespace rxp::cli {
namespace {

struct ReplayOptions {
  std::string data;
  std::string pg;  // PostgreSQL URL; empty: the SQLite store under data
  std::string stream;
  std::string until;
  bool state = false;
};

nlohmann::json event_json(const events::RecordedEvent& e) {
  const auto& h = e.header;
  nlohmann::json j = {
      {"position", h.position},
      {"stream", h.stream_id},
      {"version", h.version},
      {"type", h.type},
      {"schema_version", h.schema_version},
      {"occurred_at", format_rfc3339_us(h.occurred_at_us)},
      {"principal",
       {{"user_id", h.principal.user_id}, {"role", h.principal.role}, {"session_id", h.principal.session_id}}},
      {"causation_id", h.causation_id},
      {"correlation_id", h.correlation_id},
      {"key_id", h.key_id},
      {"hash", to_hex(e.hash)},
      {"shredded", !e.payload.has_value()},
      {"payload", e.payload ? events::payload_to_json(*e.payload) : nlohmann::json(nullptr)},
  };
  return j;
}

int run_replay(const ReplayOptions& o) {
  int64_t until = INT64_MAX;
  if (!o.until.empty() && !parse_rfc3339_us(o.until, until))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--until must be an RFC 3339 UTC time like 2026-12-04T10:00:00Z"));
  if (!o.stream.empty() && !events::is_valid_stream_id(o.stream))
    return report(Status(ErrorCode::kInvalidArgument, "--stream must look like record/<id>"));
  if (o.state && o.stream.empty())
    return report(Status(ErrorCode::kInvalidArgument, "--state needs --stream"));
  if (o.state && !has_aggregate(o.stream))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--state: only record/, user/ and session/ streams have an aggregate to fold"));
  auto d = open_data(o.data, /*read_only=*/true, o.pg);
  if (!d) return report(d.status());
  std::vector<events::RecordedEvent> folded;
  auto emit = [&](const std::vector<events::RecordedEvent>& page) {
    for (const auto& e : page) {
      if (e.header.occurred_at_us > until) continue;
      if (o.state)
        folded.push_back(e);
      else
        std::cout << event_json(e).dump() << "\n";
    }
  };
  constexpr size_t kPage = 1024;
  if (!o.stream.empty()) {
    for (uint64_t from = 1;;) {
      auto page = d->log->read_stream(o.stream, from, kPage);
      if (!page) return report(page.status());
      emit(*page);
      if (page->size() < kPage) break;
      from += page->size();
    }
    if (o.state) {
      auto state = stream_state_json(o.stream, folded);
      if (!state) return report(state.status());
      std::cout << state->dump() << "\n";
    }
    return kExitOk;
  }
  for (uint64_t from = 1;;) {
    auto page = d->log->read_all(from, kPage);
    if (!page) return report(page.status());
    emit(*page);
    if (page->size() < kPage) break;
    from = page->back().header.position + 1;
  }
  return kExitOk;
}

}  // namespace

void add_replay(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReplayOptions>();
  auto* sub = app.add_subcommand("replay", "Print decrypted events as JSON lines");
  sub->add_option("--data", o->data, "Data directory")->required();
  add_pg_option(*sub, o->pg);
  sub->add_option("--stream", o->stream, "Only this stream, e.g. record/<patient id>");
  sub->add_option("--until", o->until, "Only events that occurred at or before this RFC 3339 time");
  sub->add_flag("--state", o->state,
                "With --stream: print the stream's aggregate state as of --until instead of its events");
  sub->callback([o, &exit_code] { exit_code = run_replay(*o); });
}

}  // namespace rxp::cli
