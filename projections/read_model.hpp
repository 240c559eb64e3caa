// ReadModelDb: one SQLite connection to the read-model database of the projections
// (DIR/projections.db): WAL, synchronous=FULL, a busy timeout, so a commit is durable when it
// returns and readers never block the writer. ReadModelTxn: one write transaction on it
// (BEGIN IMMEDIATE), rolled back unless committed. Stmt: a prepared statement kept by the
// connection for reuse.
//
// Read models are derived data: rebuildable from the event log at any time. They hold opaque
// ids, codes and times only, never names or clinical values.
//
// Thread-safety: a ReadModelDb (and its statements and transactions) is used by one thread at
// a time; the runner guards its own with a mutex, and readers (the API, the CLI) open their own
// connection. Several connections, also in other processes, may use one file concurrently.
// Ownership: statements belong to the ReadModelDb and live until clear_statements() or its
// destruction; a ReadModelTxn must not outlive its ReadModelDb.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "infra/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace rxp::projections {

class Stmt {
 public:
  Stmt(sqlite3_stmt* s) : s_(s) {}  // NOLINT: owned
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void bind(int i, int64_t v);
  void bind(int i, const std::string& v);  // the string must outlive the step
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  int64_t i64(int column);
  std::string text(int column);
  // Resets and clears bindings; done by StmtUse on scope exit.
  void reset();

 private:
  sqlite3_stmt* s_;
};

// Resets a cached statement when the scope that uses it ends.
struct StmtUse {
  Stmt& s;
  ~StmtUse() { s.reset(); }
};

class ReadModelDb {
 public:
  // read_only: the file must exist (kNotFound otherwise); no pragma that writes is issued.
  static Result<std::unique_ptr<ReadModelDb>> open(const std::string& path, bool read_only);
  ~ReadModelDb();
  ReadModelDb(const ReadModelDb&) = delete;
  ReadModelDb& operator=(const ReadModelDb&) = delete;

  // Runs one or more statements without results.
  Status exec(const char* sql, const char* what);
  // The statement for `sql`, prepared on first use and kept; null with `error` set on failure.
  Stmt* statement(const char* sql, Status& error);
  // Finalizes every kept statement (before dropping tables).
  void clear_statements();
  // "what: <sqlite message>" with the error code mapped onto ErrorCode.
  Status error(int rc, const char* what) const;

 private:
  explicit ReadModelDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Stmt>> statements_;
};

class ReadModelTxn {
 public:
  // Begins immediately (takes the write lock, waiting up to the busy timeout).
  static Result<std::unique_ptr<ReadModelTxn>> begin(ReadModelDb& db);
  ~ReadModelTxn();  // rolls back unless committed
  ReadModelTxn(const ReadModelTxn&) = delete;
  ReadModelTxn& operator=(const ReadModelTxn&) = delete;

  ReadModelDb& db() { return db_; }
  Status exec(const char* sql, const char* what) { return db_.exec(sql, what); }
  Stmt* statement(const char* sql, Status& error) { return db_.statement(sql, error); }
  // Executes a prepared statement that returns no rows, then resets it.
  Status run(Stmt& s, const char* what);
  Status commit();

 private:
  explicit ReadModelTxn(ReadModelDb& db) : db_(db) {}
  ReadModelDb& db_;
  bool done_ = false;
};

}  // namespace rxp::projections
