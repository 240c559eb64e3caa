// Thin libpq helpers for the PostgreSQL event store: one owned connection, binary parameters
// (scalars and one-dimensional arrays, so a whole append batch is one statement), binary
// result access, and connecting with bounded retries.
//
// Errors become Status values: a lost connection is kIo with "connection lost", a unique or
// check violation kConflict. Messages are one line and never carry the connection URL (it may
// hold a password).
// Thread-safety: a PgConn is used by one thread at a time (callers hold a mutex or own it).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::events::pg {

// Parameters sent in binary format, with their type OIDs.
class Params {
 public:
  void i64(int64_t v);
  void text(const std::string& v);
  void bytes(BytesView v);
  void i64_array(const std::vector<int64_t>& v);
  void text_array(const std::vector<std::string>& v);
  void bytes_array(const std::vector<Bytes>& v);
  int count() const { return static_cast<int>(values_.size()); }
  const Oid* types() const { return types_.data(); }
  const char* const* values();
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void add(Oid type, std::string data);
  std::vector<std::string> data_;
  std::vector<const char*> values_;
  std::vector<Oid> types_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// A query result, cleared on destruction. Columns are read in binary format.
class Res {
 public:
  explicit Res(PGresult* r = nullptr) : r_(r) {}
  ~Res() { PQclear(r_); }
  Res(Res&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Res& operator=(Res&& o) noexcept;
  Res(const Res&) = delete;
  Res& operator=(const Res&) = delete;
  PGresult* get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  int64_t i64(int row, int col) const;
  bool boolean(int row, int col) const;
  std::string text(int row, int col) const;
  Bytes bytes(int row, int col) const;

 private:
  PGresult* r_;
};

class PgConn {
 public:
  PgConn() = default;
  ~PgConn() { PQfinish(c_); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Connects (dropping any previous connection) and sets the session up for durable writes.
  Status connect(const std::string& url);
  bool healthy() const { return c_ != nullptr && PQstatus(c_) == CONNECTION_OK; }
  int backend_pid() const { return c_ ? PQbackendPID(c_) : 0; }
  // Runs one or more statements without parameters (simple query protocol).
  Status exec(const char* sql, const char* what);
  // Several statements (simple query protocol); the last one's rows, in text format.
  Result<Res> exec_rows(const char* sql, const char* what);
  // Cuts the socket without a goodbye: tests simulate a network failure with it.
  void cut();
  // One statement with binary parameters; binary results. `what` names the operation.
  Result<Res> query(const char* sql, Params& params, const char* what);
  Result<Res> query(const char* sql, const char* what);
  // Sends every step in pipeline mode with one Sync (one round trip), calls `after_send`, then
  // reads every result. Ok when all steps succeeded; otherwise the first failure (a step after
  // a failed one is skipped by the server).
  struct Step {
    const char* sql;
    Params* params;  // may be null
  };
  // With `results`, each step's result is kept there (an empty Res for a failed step).
  Status pipeline(const std::vector<Step>& steps, const char* what, const std::function<void()>& after_send,
                  std::vector<Res>* results = nullptr);
  PGconn* raw() { return c_; }
  // ok for a successful result; otherwise the error as a Status.
  Status check(PGresult* r, const char* what);

 private:
  PGconn* c_ = nullptr;
};

// Connects with up to `attempts` tries, waiting first_backoff, then twice as long each time.
// The error names the attempts and the last reason in one line.
Status connect_with_retry(PgConn& conn, const std::string& url, int attempts,
                          std::chrono::milliseconds first_backoff);

// The server's message on one line.
std::string one_line(const char* message);

}  // namespace rxp::events::pg
