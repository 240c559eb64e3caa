#include "projections/read_model.hpp"

#include <sqlite3.h>

#include <filesystem>

namespace rxp::projections {
namespace {

ErrorCode code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT: return ErrorCode::kCorruption;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::kBusy;
    case SQLITE_CONSTRAINT: return ErrorCode::kConflict;
    case SQLITE_CANTOPEN: return ErrorCode::kIo;
    default: return ErrorCode::kIo;
  }
}

constexpr int kBusyTimeoutMs = 10000;

}  // namespace

Stmt::~Stmt() { sqlite3_finalize(s_); }
void Stmt::bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
void Stmt::bind(int i, const std::string& v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
int Stmt::step() { return sqlite3_step(s_); }
int64_t Stmt::i64(int c) { return sqlite3_column_int64(s_, c); }
std::string Stmt::text(int c) {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, c))) : std::string();
}
void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

Result<std::unique_ptr<ReadModelDb>> ReadModelDb::open(const std::string& path, bool read_only) {
  if (read_only && !std::filesystem::exists(path))
    return Status(ErrorCode::kNotFound, "no projections database at " + path);
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<ReadModelDb> db(new ReadModelDb(raw));
  if (rc != SQLITE_OK) return db->error(rc, "open projections database");
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (!read_only) {
    RXP_RETURN_IF_ERROR(db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                                 "configure projections database"));
  }
  // Fails early (kCorruption) on a file that is not a database.
  RXP_RETURN_IF_ERROR(db->exec("SELECT count(*) FROM sqlite_master;", "read projections database"));
  return db;
}

ReadModelDb::~ReadModelDb() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

Status ReadModelDb::error(int rc, const char* what) const {
  std::string msg = std::string(what) + ": " + sqlite3_errstr(rc);
  const char* detail = db_ != nullptr ? sqlite3_errmsg(db_) : nullptr;
  if (detail != nullptr && msg.find(detail) == std::string::npos) msg += " (" + std::string(detail) + ")";
  return Status(code_of(rc), msg);
}

Status ReadModelDb::exec(const char* sql, const char* what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::ok() : error(rc, what);
}

Stmt* ReadModelDb::statement(const char* sql, Status& err) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second.get();
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    err = error(rc, "prepare statement");
    return nullptr;
  }
  return statements_.emplace(sql, std::make_unique<Stmt>(s)).first->second.get();
}

void ReadModelDb::clear_statements() { statements_.clear(); }

Result<std::unique_ptr<ReadModelTxn>> ReadModelTxn::begin(ReadModelDb& db) {
  RXP_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE;", "begin read-model transaction"));
  return std::unique_ptr<ReadModelTxn>(new ReadModelTxn(db));
}

ReadModelTxn::~ReadModelTxn() {
  if (!done_) (void)db_.exec("ROLLBACK;", "roll back read-model transaction");
}

Status ReadModelTxn::run(Stmt& s, const char* what) {
  StmtUse use{s};
  int rc = s.step();
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::ok() : db_.error(rc, what);
}

Status ReadModelTxn::commit() {
  Status st = db_.exec("COMMIT;", "commit read-model transaction");
  if (st) done_ = true;
  return st;
}

}  // namespace rxp::projections
