#include "projections/event_index.hpp"

#include <sqlite3.h>

#include <string_view>

namespace rxp::projections {
namespace {

constexpr std::string_view kRecord = "record/";

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS event_index ("
    "  position    INTEGER PRIMARY KEY,"
    "  stream_id   TEXT NOT NULL,"
    "  type        TEXT NOT NULL,"
    "  occurred_at INTEGER NOT NULL,"
    "  user_id     TEXT NOT NULL,"
    "  role        TEXT NOT NULL,"
    "  session_id  TEXT NOT NULL,"
    "  correlation TEXT NOT NULL,"
    "  patient_id  TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS event_index_by_patient ON event_index (patient_id, position);"
    "CREATE INDEX IF NOT EXISTS event_index_by_user ON event_index (user_id, position);";
constexpr const char* kDrop = "DROP TABLE IF EXISTS event_index;";
constexpr const char* kInsert = "INSERT INTO event_index VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);";
// Empty filters match everything ('' = ?n short-circuits).
constexpr const char* kQuery =
    "SELECT position, stream_id, type, occurred_at, user_id, role, session_id, correlation, patient_id"
    " FROM event_index WHERE position > ?1 AND occurred_at BETWEEN ?2 AND ?3"
    " AND (?4 = '' OR patient_id = ?4) AND (?5 = '' OR user_id = ?5) AND (?6 = '' OR type = ?6)"
    " ORDER BY position LIMIT ?7;";

}  // namespace

Status EventIndexProjection::create_tables(ReadModelTxn& txn) { return txn.exec(kCreate, "create event_index"); }
Status EventIndexProjection::drop_tables(ReadModelTxn& txn) { return txn.exec(kDrop, "drop event_index"); }

Status EventIndexProjection::apply(ReadModelTxn& txn, const events::RecordedEvent& e) {
  const auto& h = e.header;
  Status err;
  Stmt* s = txn.statement(kInsert, err);
  if (s == nullptr) return err;
  const std::string patient =
      std::string_view(h.stream_id).starts_with(kRecord) ? h.stream_id.substr(kRecord.size()) : std::string();
  s->bind(1, static_cast<int64_t>(h.position));
  s->bind(2, h.stream_id);
  s->bind(3, h.type);
  s->bind(4, h.occurred_at_us);
  s->bind(5, h.principal.user_id);
  s->bind(6, h.principal.role);
  s->bind(7, h.principal.session_id);
  s->bind(8, h.correlation_id);
  s->bind(9, patient);
  return txn.run(*s, "index event");
}

Result<std::vector<IndexedEvent>> query_events(ReadModelDb& db, const EventQuery& q) {
  Status err;
  Stmt* s = db.statement(kQuery, err);
  if (s == nullptr) return err;
  StmtUse use{*s};
  s->bind(1, static_cast<int64_t>(q.after_position));
  s->bind(2, q.from_us);
  s->bind(3, q.to_us);
  s->bind(4, q.patient_id);
  s->bind(5, q.user_id);
  s->bind(6, q.type);
  s->bind(7, static_cast<int64_t>(q.limit));
  std::vector<IndexedEvent> out;
  for (;;) {
    int rc = s->step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return db.error(rc, "query event_index");
    IndexedEvent e;
    e.position = static_cast<uint64_t>(s->i64(0));
    e.stream_id = s->text(1);
    e.type = s->text(2);
    e.occurred_at_us = s->i64(3);
    e.user_id = s->text(4);
    e.role = s->text(5);
    e.session_id = s->text(6);
    e.correlation_id = s->text(7);
    e.patient_id = s->text(8);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace rxp::projections
