#include <sqlite3.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "events/keyring.hpp"
#include "tools/bench.hpp"
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

namespace {

// Inserts the given rows into a plain table with the store's pragmas and batch size.
Result<double> baseline_inserts(const std::string& path, const std::vector<events::RawEvent>& rows,
                                size_t batch) {
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return Status(ErrorCode::kIo, "cannot open baseline database");
  }
  auto ok = [&](int rc) { return rc == SQLITE_OK || rc == SQLITE_DONE; };
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"
               "CREATE TABLE t(position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, version "
               "INTEGER NOT NULL, header BLOB NOT NULL, payload BLOB NOT NULL, hash BLOB NOT "
               "NULL, UNIQUE(stream_id, version));",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?1,?2,?3,?4,?5,?6)", -1, &ins, nullptr);
  bool good = ins != nullptr;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; good && i < rows.size(); i += batch) {
    good = ok(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr));
    for (size_t j = i; good && j < std::min(rows.size(), i + batch); ++j) {
      const auto& r = rows[j];
      sqlite3_bind_int64(ins, 1, static_cast<int64_t>(r.position));
      sqlite3_bind_text(ins, 2, r.stream_id.data(), static_cast<int>(r.stream_id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(ins, 3, static_cast<int64_t>(r.version));
      sqlite3_bind_blob(ins, 4, r.header_bytes.data(), static_cast<int>(r.header_bytes.size()), SQLITE_STATIC);
      sqlite3_bind_blob(ins, 5, r.ciphertext.data(), static_cast<int>(r.ciphertext.size()), SQLITE_STATIC);
      sqlite3_bind_blob(ins, 6, r.hash.data(), static_cast<int>(r.hash.size()), SQLITE_STATIC);
      good = ok(sqlite3_step(ins));
      sqlite3_reset(ins);
    }
    good = good && ok(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr));
  }
  double secs = seconds_since(t0);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  if (!good) return Status(ErrorCode::kIo, "baseline inserts failed");
  return secs;
}

}  // namespace

int run_bench_append(const BenchAppendOptions& o) {
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

  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < requests.size(); i += o.batch) {
    std::vector<events::AppendRequest> batch(
        requests.begin() + static_cast<long>(i),
        requests.begin() + static_cast<long>(std::min(requests.size(), i + o.batch)));
    for (auto& r : d->log->append_batch(batch))
      if (!r) return report(r.status());
  }
  double real_s = seconds_since(t0);

  auto rows = d->store->read_all(1, o.events);
  if (!rows) return report(rows.status());
  auto base_s = baseline_inserts(o.data + "/baseline.db", *rows, o.batch);
  if (!base_s) return report(base_s.status());

  double eps = static_cast<double>(o.events) / real_s;
  double bps = static_cast<double>(o.events) / *base_s;
  size_t avg_payload = 0;
  for (const auto& r : *rows) avg_payload += r.ciphertext.size();
  avg_payload /= rows->empty() ? 1 : rows->size();
  nlohmann::json j = {{"bench", "append"},       {"events", o.events},
                      {"batch", o.batch},        {"streams", o.streams},
                      {"ciphertext_bytes_avg", avg_payload},
                      {"events_per_s", eps},     {"baseline_per_s", bps},
                      {"ratio", eps / bps},      {"seconds", real_s},
                      {"baseline_seconds", *base_s}};
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
