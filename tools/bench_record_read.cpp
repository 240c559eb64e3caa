// rxportal bench record-read: audited reads through the actor runtime.
//
//  reads_per_s        ViewSection commands from `callers` concurrent callers over `records`
//                     records; each answer waits for its durable RecordViewed.
//  baseline_per_s     the same RecordViewed rows inserted into a plain SQLite table in durable
//                     batches of `callers` rows (the largest group a commit can take here),
//                     interleaved with the reads in ten rounds.
//  activation_p99_ms  first command to a passivated record with a snapshot plus ~100 events.
//  bytes_per_idle_actor  resident memory per activated, idle record actor (100k records).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "actors/runtime.hpp"
#include "tools/bench.hpp"
#include "tools/bench_baseline.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

using actors::RecordReply;
using actors::RecordRequest;
using actors::Runtime;

policy::Subject subject(const char* id, policy::Role role) {
  policy::Subject s;
  s.user_id = id;
  s.roles = {role};
  return s;
}

std::string pid(const char* prefix, size_t i) { return std::string(prefix) + std::to_string(i); }

// Runs `n` requests from `in_flight` callers; each caller sends its next request from the
// callback of its previous one, as a client waiting for each answer would. Returns failures.
size_t run_concurrently(Runtime& rt, size_t n, size_t in_flight,
                        const std::function<RecordRequest(size_t)>& make) {
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::atomic<size_t> next{0};
    std::atomic<size_t> failures{0};
    size_t finished = 0;
  } sh;
  std::function<void()> issue;
  issue = [&] {
    size_t i = sh.next.fetch_add(1);
    if (i >= n) {
      std::lock_guard lock(sh.mu);
      ++sh.finished;  // this caller is done
      sh.cv.notify_all();
      return;
    }
    rt.send(make(i), [&](RecordReply r) {
      if (!r.error.is_ok() || r.outcome == record::Outcome::kForbidden) ++sh.failures;
      issue();
    });
  };
  size_t callers = std::min(in_flight, n);
  for (size_t c = 0; c < callers; ++c) issue();
  std::unique_lock lock(sh.mu);
  sh.cv.wait(lock, [&] { return sh.finished == callers; });
  return sh.failures;
}

RecordRequest command(std::string patient, policy::Subject who, record::RecordCommand c) {
  return RecordRequest{std::move(patient), std::move(who), "ses-bench", "corr-bench", std::move(c)};
}

size_t resident_bytes() {
  std::ifstream f("/proc/self/statm");
  size_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Creates `n` records named prefix+i with a clinician in care and `meds` medications.
size_t populate(Runtime& rt, const char* prefix, size_t n, size_t meds, size_t in_flight) {
  auto admin = subject("adm-bench", policy::Role::kAdmin);
  auto doc = subject("doc-bench", policy::Role::kClinician);
  size_t failures = run_concurrently(rt, n, in_flight, [&](size_t i) {
    return command(pid(prefix, i), admin, record::CreateRecord{"1970-01-01", "MA", false});
  });
  if (meds == 0) return failures;
  failures += run_concurrently(rt, n, in_flight, [&](size_t i) {
    return command(pid(prefix, i), admin, record::AddCareRelationship{"doc-bench", 0});
  });
  for (size_t m = 0; m < meds; ++m)
    failures += run_concurrently(rt, n, in_flight, [&](size_t i) {
      events::MedicationAdded med;
      med.medication_id = "med-" + std::to_string(m);
      med.name = "metoprolol succinate extended-release";
      med.dose = "50 mg";
      med.route = "oral";
      med.frequency = "once daily";
      return command(pid(prefix, i), doc, record::AddMedication{med});
    });
  return failures;
}

}  // namespace

int run_bench_record_read(const BenchRecordReadOptions& o) {
  if (std::filesystem::exists(db_path(o.data)))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--data " + o.data + " already holds a store; bench record-read needs a new directory"));
  if (Status st = ensure_initialised(o.data); !st) return report(st);
  auto d = open_data(o.data, false);
  if (!d) return report(d.status());
  auto doc = subject("doc-bench", policy::Role::kClinician);
  actors::RuntimeOptions ro;
  ro.max_live_records = o.idle_records + o.records + 1000;

  // 1. Audited reads, and the baseline over the same rows, interleaved in rounds so that
  // both see the same disk and the same neighbours (this VM's fsync latency drifts by x10).
  double reads_s = 0, base_s = 0;
  {
    Runtime rt(*d->log, SystemClock::instance(), ro);
    if (populate(rt, "rr-", o.records, 5, o.callers) != 0)
      return report(Status(ErrorCode::kInternal, "populating records failed"));
    PlainSqliteBaseline baseline(o.data + "/baseline.db");
    constexpr size_t kRounds = 10;
    size_t done = 0;
    for (size_t round = 0; round < kRounds; ++round) {
      size_t n = o.reads / kRounds + (round < o.reads % kRounds ? 1 : 0);
      if (n == 0) continue;
      uint64_t first = d->store->head_position().value() + 1;
      auto t0 = std::chrono::steady_clock::now();
      size_t failures = run_concurrently(rt, n, o.callers, [&](size_t i) {
        return command(pid("rr-", (done + i) % o.records), doc,
                       record::ViewSection{policy::Section::kMedications, "treatment"});
      });
      reads_s += seconds_since(t0);
      if (failures != 0) return report(Status(ErrorCode::kInternal, "audited reads failed"));
      done += n;
      auto rows = d->store->read_all(first, n);
      if (!rows || rows->size() != n) return report(Status(ErrorCode::kInternal, "RecordViewed rows missing"));
      auto t1 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < rows->size(); i += o.callers) {
        std::vector<events::RawEvent> batch(rows->begin() + static_cast<long>(i),
                                            rows->begin() + static_cast<long>(std::min(rows->size(), i + o.callers)));
        if (!baseline.insert_batch(batch)) return report(Status(ErrorCode::kIo, "baseline inserts failed"));
      }
      base_s += seconds_since(t1);
    }
  }

  // 2. Activation from a snapshot plus ~100 events: records with 197 medications (snapshot at
  // version 100, ~99 events after it), activated one at a time in a fresh runtime by a
  // command that persists nothing (it fails validation), so the time is recovery.
  std::vector<double> activation_ms;
  {
    Runtime rt(*d->log, SystemClock::instance(), ro);
    if (populate(rt, "ra-", o.activations, 197, o.callers) != 0)
      return report(Status(ErrorCode::kInternal, "populating activation records failed"));
  }
  {
    Runtime rt(*d->log, SystemClock::instance(), ro);
    auto admin = subject("adm-bench", policy::Role::kAdmin);
    for (size_t i = 0; i < o.activations; ++i) {
      auto t = std::chrono::steady_clock::now();
      auto r = rt.call(command(pid("ra-", i), admin, record::AddCareRelationship{"", 0}));
      activation_ms.push_back(seconds_since(t) * 1000);
      if (r.outcome != record::Outcome::kInvalid || r.version < 199)
        return report(Status(ErrorCode::kInternal, "activation did not recover the record"));
    }
  }
  std::sort(activation_ms.begin(), activation_ms.end());
  double p99 = activation_ms[std::min(activation_ms.size() - 1, activation_ms.size() * 99 / 100)];
  double p50 = activation_ms[activation_ms.size() / 2];

  // 3. Resident memory per idle record actor.
  double bytes_per_idle = 0;
  {
    Runtime rt(*d->log, SystemClock::instance(), ro);
    if (populate(rt, "ri-", o.idle_records, 0, 256) != 0)
      return report(Status(ErrorCode::kInternal, "populating idle records failed"));
  }
  {
    Runtime rt(*d->log, SystemClock::instance(), ro);
    auto admin = subject("adm-bench", policy::Role::kAdmin);
    size_t before = resident_bytes();
    run_concurrently(rt, o.idle_records, 256, [&](size_t i) {
      return command(pid("ri-", i), admin, record::AddCareRelationship{"", 0});
    });
    size_t live = rt.stats().live;
    size_t after = resident_bytes();
    if (live < o.idle_records) return report(Status(ErrorCode::kInternal, "idle actors were passivated"));
    bytes_per_idle = static_cast<double>(after - std::min(after, before)) / static_cast<double>(live);
  }

  double rps = static_cast<double>(o.reads) / reads_s;
  double bps = static_cast<double>(o.reads) / base_s;
  nlohmann::json j = {{"bench", "record-read"},     {"records", o.records},
                      {"reads", o.reads},           {"callers", o.callers},
                      {"reads_per_s", rps},         {"baseline_per_s", bps},
                      {"ratio", rps / bps},         {"baseline_batch", o.callers},
                      {"activation_p50_ms", p50},   {"activation_p99_ms", p99},
                      {"activations", o.activations}, {"idle_records", o.idle_records},
                      {"bytes_per_idle_actor", bytes_per_idle}};
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "record-read: " << static_cast<long>(rps) << " audited reads/s; baseline "
              << static_cast<long>(bps) << " plain inserts/s in batches of " << o.callers
              << "; ratio " << rps / bps << "; activation p99 " << p99 << " ms; "
              << static_cast<long>(bytes_per_idle) << " bytes per idle record actor\n";
  }
  return kExitOk;
}

}  // namespace rxp::cli
