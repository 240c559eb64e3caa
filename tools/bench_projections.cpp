// rxportal bench projections --data NEWDIR: rebuild throughput of the disclosures projection
// against the replay benchmark measured in the same run on the same log, then the live lag of
// the background runner while a writer appends at a sustained rate.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "projections/catalog.hpp"
#include "projections/disclosures.hpp"
#include "projections/runner.hpp"
#include "tools/bench.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

constexpr size_t kStreams = 1000;

// Portal traffic: mostly views (disclosures), some medication changes (~256-byte payloads, as
// in bench append) and denials, an export every 100 events, a break-glass every 1000.
events::AppendRequest traffic(size_t i) {
  using namespace events;
  if (i % 1000 == 999 || i % 100 == 99) {
    Principal p{"usr-bench-" + std::to_string(i % 97), "clinician", "ses-bench"};
    DomainEvent e = i % 1000 == 999
                        ? DomainEvent(BreakGlassInvoked{"er_admission", "unresponsive patient in the ER", 1})
                        : DomainEvent(RecordExported{{"medications", "pgx"}, "fhir"});
    return {"record/bench-" + std::to_string(i % kStreams), kAnyVersion, {make_pending(e, p, "corr-" + std::to_string(i))}};
  }
  switch (i % 8) {
    case 0:
    case 1: return bench_request(i, kStreams);
    case 2: {
      Principal p{"usr-bench-" + std::to_string(i % 89), "pharmacist", "ses-bench"};
      return {"record/bench-" + std::to_string(i % kStreams), kAnyVersion,
              {make_pending(AccessDenied{"record.pgx.read", "pgx", "no_care_relationship"}, p, "corr")}};
    }
    default: {
      static const char* kSections[] = {"medications", "pgx", "adverse_events", "dosing"};
      Principal p{"usr-bench-" + std::to_string(i % 97), "clinician", "ses-bench"};
      return {"record/bench-" + std::to_string(i % kStreams), kAnyVersion,
              {make_pending(RecordViewed{kSections[i % 4], "treatment"}, p, "corr-" + std::to_string(i))}};
    }
  }
}

Status append_range(events::EventLog& log, size_t from, size_t to, uint64_t* last = nullptr) {
  std::vector<events::AppendRequest> batch;
  for (size_t i = from; i < to; ++i) batch.push_back(traffic(i));
  for (auto& r : log.append_batch(batch)) {
    if (!r) return r.status();
    if (last != nullptr) *last = std::max(*last, r->last_position);
  }
  return Status::ok();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

struct LiveFigures {
  size_t appended = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // append acknowledged -> checkpoint committed past it
  std::vector<double> lag_events;  // sampled: acknowledged head - checkpoint
};

// A writer appends `rate` events/s in batches every 10 ms (the journal's group commit does the
// same); the caller samples the background runner's checkpoint every 0.2 ms.
Result<LiveFigures> measure_live(events::EventLog& log, projections::ProjectionRunner& runner,
                                 size_t first_index, const BenchProjectionsOptions& o) {
  const size_t per_batch = std::max<size_t>(1, o.rate / 100);
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(static_cast<double>(per_batch) / static_cast<double>(o.rate)));
  const size_t batches = std::max<size_t>(1, o.rate * o.seconds / per_batch);
  struct Acked {
    uint64_t last;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mu;
  std::deque<Acked> pending;
  std::atomic<uint64_t> acked_head{0};
  std::atomic<bool> writing{true};
  Status writer_status;
  LiveFigures f;
  runner.start();
  auto t0 = std::chrono::steady_clock::now();
  std::thread writer([&] {
    auto next = t0;
    for (size_t b = 0; b < batches; ++b) {
      std::this_thread::sleep_until(next);
      next += interval;
      uint64_t last = 0;
      size_t from = first_index + b * per_batch;
      if (Status st = append_range(log, from, from + per_batch, &last); !st) {
        writer_status = st;
        break;
      }
      auto now = std::chrono::steady_clock::now();
      {
        std::lock_guard lock(mu);
        pending.push_back({last, now});
      }
      acked_head = last;
      f.appended += per_batch;
    }
    writing = false;
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.seconds + 30);
  for (;;) {
    uint64_t cp = runner.checkpoint(projections::DisclosuresProjection::kName).value();
    auto now = std::chrono::steady_clock::now();
    bool drained;
    {
      std::lock_guard lock(mu);
      while (!pending.empty() && pending.front().last <= cp) {
        f.latency_ms.push_back(std::chrono::duration<double, std::milli>(now - pending.front().at).count());
        pending.pop_front();
      }
      drained = pending.empty();
    }
    uint64_t head = acked_head.load();
    if (writing.load()) f.lag_events.push_back(head > cp ? static_cast<double>(head - cp) : 0.0);
    if ((!writing.load() && drained) || now > deadline || !runner.running()) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  writer.join();
  f.seconds = seconds_since(t0);
  runner.stop();
  RXP_RETURN_IF_ERROR(writer_status);
  RXP_RETURN_IF_ERROR(runner.background_status());
  return f;
}

}  // namespace

int run_bench_projections(const BenchProjectionsOptions& o) {
  if (std::filesystem::exists(db_path(o.data)))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--data " + o.data + " already holds a store; bench projections needs a new directory"));
  if (Status st = ensure_initialised(o.data); !st) return report(st);
  auto d = open_data(o.data, false);
  if (!d) return report(d.status());
  for (size_t i = 0; i < o.events; i += 512)
    if (Status st = append_range(*d->log, i, std::min(o.events, i + 512)); !st) return report(st);

  // The replay benchmark on this log, then the rebuild on the same log (best of 3 each).
  auto replay = measure_replay(*d, o.threads);
  if (!replay) return report(replay.status());
  projections::RunnerOptions ro;
  ro.db_path = projections::projections_db_path(o.data);
  auto runner = projections::ProjectionRunner::open(*d->log, projections::make_projections(), ro);
  if (!runner) return report(runner.status());
  const std::string name = projections::DisclosuresProjection::kName;
  double rebuild_s = 1e300;
  for (int run = 0; run < 3; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    if (Status st = (*runner)->rebuild(name); !st) return report(st);
    rebuild_s = std::min(rebuild_s, seconds_since(t0));
  }
  auto rm = projections::ReadModelDb::open(ro.db_path, true);
  if (!rm) return report(rm.status());
  auto rows = projections::all_disclosures(**rm);
  if (!rows) return report(rows.status());

  auto live = measure_live(*d->log, **runner, o.events, o);
  if (!live) return report(live.status());

  double rebuild_eps = static_cast<double>(o.events) / rebuild_s;
  nlohmann::json j = {
      {"bench", "projections"},
      {"events", o.events},
      {"disclosure_rows", rows->size()},
      {"rebuild_events_per_s", rebuild_eps},
      {"rebuild_seconds", rebuild_s},
      {"replay_events_per_s", replay->events_per_s},
      {"replay_threads", replay->threads},
      {"replay_baseline_per_s", replay->baseline_per_s},
      {"rebuild_vs_replay", rebuild_eps / replay->events_per_s},
      {"live_rate_target", o.rate},
      {"live_rate", static_cast<double>(live->appended) / live->seconds},
      {"live_seconds", live->seconds},
      {"live_batches", live->latency_ms.size()},
      {"live_lag_ms_p50", percentile(live->latency_ms, 0.50)},
      {"live_lag_ms_p99", percentile(live->latency_ms, 0.99)},
      {"live_lag_ms_max", percentile(live->latency_ms, 1.0)},
      {"live_lag_events_p99", percentile(live->lag_events, 0.99)}};
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "projections: rebuild " << static_cast<long>(rebuild_eps) << " events/s vs replay "
              << static_cast<long>(replay->events_per_s) << " events/s (ratio "
              << rebuild_eps / replay->events_per_s << "); live at "
              << static_cast<long>(static_cast<double>(live->appended) / live->seconds)
              << " events/s: lag p99 " << percentile(live->latency_ms, 0.99) << " ms, "
              << percentile(live->lag_events, 0.99) << " events\n";
  }
  return kExitOk;
}

}  // namespace rxp::cli
