#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "events/keyring.hpp"
#include "tools/bench.hpp"
#include "tools/bench_baseline.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {

events::AppendRequest bench_request(size_t i, size_t streams) {
  using namespace events;
  std::string sid = "record/bench-" + std::to_string(i % streams);
  // ~256 bytes of payload: a medication entry with realistic field sizes.
  MedicationAdded m{"med-" + std::to_string(i), "amoxicillin-clavulanate 875 mg/125 mg tablet",
                    "1 tablet (875 mg amoxicillin) every 12 hours with food",
                    "oral", "q12h for 10 days; take with meals to reduce GI upset",
                    "2026-11-02", "2026-11-12", false};
  m.name += std::string(60, 'x');
  Principal p{"usr-bench-" + std::to_string(i % 97), "clinician", "ses-bench"};
  return AppendRequest{sid, kAnyVersion, {make_pending(m, p, "corr-" + std::to_string(i))}};
}

Status ensure_initialised(const std::string& data) {
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  if (ec) return Status(ErrorCode::kIo, "cannot create " + data);
  if (!std::filesystem::exists(key_path(data))) {
    auto k = events::KeyRing::create(key_path(data));
    if (!k) return k.status();
  }
  events::SqliteOptions so{db_path(data), true, false, ""};
  auto s = events::open_sqlite_store(so);
  return s ? Status::ok() : s.status();
}

int run_bench_append(const BenchAppendOptions& o) {
  if (!o.pg.empty()) return run_bench_append_pg(o);
  if (std::filesystem::exists(db_path(o.data)))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--data " + o.data + " already holds a store; bench append needs a new directory"));
  if (Status st = ensure_initialised(o.data); !st) return report(st);
  auto d = open_data(o.data, false);
  if (!d) return report(d.status());

  // Build every request first, so that the timed loop is encode-free only where the real path
  // is: it still encrypts, chains and commits each event.
  std::vector<events::AppendRequest> requests;
  requests.reserve(o.events);
  for (size_t i = 0; i < o.events; ++i) requests.push_back(bench_request(i, o.streams));

  // Interleaved: each real batch, then the same bytes as one baseline batch, so that both
  // meet the same disk, cache and load conditions.
  PlainSqliteBaseline baseline(o.data + "/baseline.db");
  double real_s = 0, base_s = 0;
  size_t ciphertext_bytes = 0;
  for (size_t i = 0; i < requests.size(); i += o.batch) {
    std::vector<events::AppendRequest> batch(
        requests.begin() + static_cast<long>(i),
        requests.begin() + static_cast<long>(std::min(requests.size(), i + o.batch)));
    auto t0 = std::chrono::steady_clock::now();
    auto results = d->log->append_batch(batch);
    real_s += seconds_since(t0);
    for (auto& r : results)
      if (!r) return report(r.status());
    auto rows = d->store->read_all(results.front()->first_position, batch.size());
    if (!rows) return report(rows.status());
    for (const auto& r : *rows) ciphertext_bytes += r.ciphertext.size();
    auto t1 = std::chrono::steady_clock::now();
    if (!baseline.insert_batch(*rows)) return report(Status(ErrorCode::kIo, "baseline inserts failed"));
    base_s += seconds_since(t1);
  }

  double eps = static_cast<double>(o.events) / real_s;
  double bps = static_cast<double>(o.events) / base_s;
  size_t avg_payload = ciphertext_bytes / o.events;
  nlohmann::json j = {{"bench", "append"},       {"events", o.events},
                      {"batch", o.batch},        {"streams", o.streams},
                      {"ciphertext_bytes_avg", avg_payload},
                      {"events_per_s", eps},     {"baseline_per_s", bps},
                      {"ratio", eps / bps},      {"seconds", real_s},
                      {"baseline_seconds", base_s}};
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "append: " << static_cast<long>(eps) << " events/s (encrypted, chained, durable); "
              << "baseline plain SQLite inserts of the same bytes: " << static_cast<long>(bps)
              << " rows/s; ratio " << eps / bps << "\n";
  }
  return kExitOk;
}

}  // namespace rxp::cli
