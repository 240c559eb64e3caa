#include "tools/bench_baseline.hpp"

#include <sqlite3.h>

#include <filesystem>

namespace rxp::cli {

PlainSqliteBaseline::PlainSqliteBaseline(const std::string& path) : path_(path) {
  std::filesystem::remove(path);
  good_ = sqlite3_open(path.c_str(), &db_) == SQLITE_OK &&
          sqlite3_exec(db_,
                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"
                       "CREATE TABLE t(position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, "
                       "version INTEGER NOT NULL, header BLOB NOT NULL, payload BLOB NOT NULL, "
                       "hash BLOB NOT NULL, UNIQUE(stream_id, version));",
                       nullptr, nullptr, nullptr) == SQLITE_OK &&
          sqlite3_prepare_v2(db_, "INSERT INTO t VALUES(?1,?2,?3,?4,?5,?6)", -1, &ins_, nullptr) ==
              SQLITE_OK;
}

PlainSqliteBaseline::~PlainSqliteBaseline() {
  sqlite3_finalize(ins_);
  sqlite3_close(db_);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
}

bool PlainSqliteBaseline::insert_batch(const std::vector<events::RawEvent>& rows) {
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

}  // namespace rxp::cli
