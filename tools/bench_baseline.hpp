// The plain-SQLite baseline shared by the benchmarks: a table with the store's pragmas and
// index, fed rows in durable batches. What the disk and SQLite cost without encoding,
// encryption, chaining or actors.
#pragma once

#include <string>
#include <vector>

#include "events/event_store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace rxp::cli {

class PlainSqliteBaseline {
 public:
  explicit PlainSqliteBaseline(const std::string& path);
  ~PlainSqliteBaseline();
  PlainSqliteBaseline(const PlainSqliteBaseline&) = delete;
  PlainSqliteBaseline& operator=(const PlainSqliteBaseline&) = delete;

  // One durable transaction with every row; false once anything failed.
  bool insert_batch(const std::vector<events::RawEvent>& rows);

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* ins_ = nullptr;
  bool good_ = false;
};

}  // namespace rxp::cli
