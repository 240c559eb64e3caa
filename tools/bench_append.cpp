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

// A plain SQLite table with the store's pragmas and index, fed the same rows in the same
// batches: what the disk and SQLite cost without encoding, encryption and chaining.
class Baseline {
 public:
  explicit Baseline(const std::string& path) : path_(path) {
    std::filesystem::remove(path);
    good_ = sqlite3_open(path.c_str(), &db_) == SQLITE_OK &&
            sqlite3_exec(db_,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"
                         "CREATE TABLE t(position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, "
                         "version INTEGER NOT NULL, header BLOB NOT NULL, payload BLOB NOT NULL, "
                         "hash BLOB NOT NULL, UNIQUE(stream_id, version));",
                         nullptr, nullptr, nullptr) == SQLITE_OK &&
            sqlite3_prepare_v2(db_, "INSERT INTO t VALUES(?1,?2,?3,?4,?5,?6)", -1, &ins_,
                               nullptr) == SQLITE_OK;
  }
  ~Baseline() {
    sqlite3_finalize(ins_);
    sqlite3_close(db_);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }

  // One durable transaction with every row.
  bool insert_batch(const std::vector<events::RawEvent>& rows) {
    auto ok = [](int rc) { return rc == SQLITE_OK || rc == SQLITE_DONE; };
    good_ = good_ && ok(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr));
    for (const auto& r : rows) {
      if (!good_) break;
      sqlite3_bind_int64(ins_, 1, static_cast<int64_t>(r.position));
      sqlite3_bind_text(ins_, 2, r.stream_id.data(), static_cast<int>(r.stream_id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(ins_, 3, static_cast<int64_t>(r.version));
      sqlite3_bind_blob(ins_, 4, r.header_bytes.data(), static_cast<int>(r.header_bytes.size()), SQLITE_STATIC);
      sqlite3_bind_blob(ins_, 5, r.ciphertext.data(), static_cast<int>(r.ciphertext.size()), SQLITE_STATIC);
      sqlite3_bind_blob(ins_, 6, r.hash.data(), static_cast<int>(r.hash.size()), SQLITE_STATIC);
      good_ = ok(sqlite3_step(ins_));
      sqlite3_reset(ins_);
    }
    good_ = good_ && ok(sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr));
    return good_;
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* ins_ = nullptr;
  bool good_ = false;
};

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

  // Interleaved: each real batch, then the same bytes as one baseline batch, so that both
  // meet the same disk, cache and load conditions.
  Baseline baseline(o.data + "/baseline.db");
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
