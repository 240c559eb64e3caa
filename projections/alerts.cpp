#include "projections/alerts.hpp"

#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <string_view>

namespace rxp::projections {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS alerts ("
    "  alert_id    TEXT PRIMARY KEY,"
    "  position    INTEGER NOT NULL UNIQUE,"
    "  raised_at   INTEGER NOT NULL,"
    "  rule        TEXT NOT NULL,"
    "  severity    TEXT NOT NULL,"
    "  explanation TEXT NOT NULL,"
    "  user_id     TEXT NOT NULL,"
    "  patient_id  TEXT NOT NULL,"
    "  evidence    TEXT NOT NULL,"  // JSON array of positions
    "  score_ppm   INTEGER NOT NULL,"  // score x 1e6 (Stmt binds integers and text)
    "  disposition TEXT NOT NULL DEFAULT '',"
    "  reviewed_by TEXT NOT NULL DEFAULT '',"
    "  reviewed_at INTEGER NOT NULL DEFAULT 0,"
    "  version     INTEGER NOT NULL);";
constexpr const char* kDrop = "DROP TABLE IF EXISTS alerts;";
constexpr const char* kInsert =
    "INSERT INTO alerts (alert_id, position, raised_at, rule, severity, explanation, user_id,"
    " patient_id, evidence, score_ppm, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11);";
constexpr const char* kReview =
    "UPDATE alerts SET disposition = ?2, reviewed_by = ?3, reviewed_at = ?4, version = ?5"
    " WHERE alert_id = ?1;";
constexpr const char* kColumns =
    "SELECT alert_id, position, raised_at, rule, severity, explanation, user_id, patient_id,"
    " evidence, score_ppm, disposition, reviewed_by, reviewed_at, version FROM alerts ";

std::string alert_id_of(const std::string& stream) {
  return stream.substr(std::string_view(kAlertStreamPrefix).size());
}

Result<std::vector<AlertRow>> read_rows(ReadModelDb& db, const char* sql, const std::string* id) {
  Status err;
  Stmt* s = db.statement(sql, err);
  if (s == nullptr) return err;
  StmtUse use{*s};
  if (id != nullptr) s->bind(1, *id);
  std::vector<AlertRow> out;
  for (;;) {
    int rc = s->step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return db.error(rc, "read alerts");
    AlertRow a;
    a.alert_id = s->text(0);
    a.position = static_cast<uint64_t>(s->i64(1));
    a.raised_at_us = s->i64(2);
    a.rule = s->text(3);
    a.severity = s->text(4);
    a.explanation = s->text(5);
    a.user_id = s->text(6);
    a.patient_id = s->text(7);
    auto ev = nlohmann::json::parse(s->text(8), nullptr, false);
    if (ev.is_array())
      for (const auto& p : ev)
        if (p.is_number_unsigned()) a.evidence.push_back(p.get<uint64_t>());
    a.score = static_cast<double>(s->i64(9)) / 1e6;
    a.disposition = s->text(10);
    a.reviewed_by = s->text(11);
    a.reviewed_at_us = s->i64(12);
    a.version = static_cast<uint64_t>(s->i64(13));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

bool is_disposition(const std::string& s) {
  return s == "benign" || s == "true_positive" || s == "escalated";
}

Status AlertsProjection::create_tables(ReadModelTxn& txn) { return txn.exec(kCreate, "create alerts table"); }
Status AlertsProjection::drop_tables(ReadModelTxn& txn) { return txn.exec(kDrop, "drop alerts table"); }

bool AlertsProjection::wants(const events::EventHeader& h) const {
  return std::string_view(h.stream_id).starts_with(kAlertStreamPrefix) &&
         (h.type == events::AlertRaised::kType || h.type == events::AlertReviewed::kType);
}

Status AlertsProjection::apply(ReadModelTxn& txn, const events::RecordedEvent& e) {
  if (!e.payload) return Status::ok();  // shredded alert stream: nothing left to show
  Status err;
  const std::string id = alert_id_of(e.header.stream_id);
  if (const auto* r = std::get_if<events::AlertRaised>(&*e.payload)) {
    Stmt* s = txn.statement(kInsert, err);
    if (s == nullptr) return err;
    const std::string evidence = nlohmann::json(r->evidence).dump();
    s->bind(1, id);
    s->bind(2, static_cast<int64_t>(e.header.position));
    s->bind(3, e.header.occurred_at_us);
    s->bind(4, r->rule);
    s->bind(5, r->severity);
    s->bind(6, r->explanation);
    s->bind(7, r->user_id);
    s->bind(8, r->patient_id);
    s->bind(9, evidence);
    s->bind(10, static_cast<int64_t>(r->score * 1e6 + 0.5));
    s->bind(11, static_cast<int64_t>(e.header.version));
    return txn.run(*s, "insert alert");
  }
  if (const auto* v = std::get_if<events::AlertReviewed>(&*e.payload)) {
    Stmt* s = txn.statement(kReview, err);
    if (s == nullptr) return err;
    s->bind(1, id);
    s->bind(2, v->disposition);
    s->bind(3, e.header.principal.user_id);
    s->bind(4, e.header.occurred_at_us);
    s->bind(5, static_cast<int64_t>(e.header.version));
    return txn.run(*s, "review alert");
  }
  return Status::ok();
}

Result<std::vector<AlertRow>> list_alerts(ReadModelDb& db, bool open_only) {
  static const std::string all = std::string(kColumns) + "ORDER BY position DESC;";
  static const std::string open = std::string(kColumns) + "WHERE disposition = '' ORDER BY position DESC;";
  return read_rows(db, (open_only ? open : all).c_str(), nullptr);
}

Result<std::optional<AlertRow>> find_alert(ReadModelDb& db, const std::string& alert_id) {
  static const std::string sql = std::string(kColumns) + "WHERE alert_id = ?1;";
  auto rows = read_rows(db, sql.c_str(), &alert_id);
  if (!rows) return rows.status();
  if (rows->empty()) return std::optional<AlertRow>();
  return std::optional<AlertRow>(std::move(rows->front()));
}

}  // namespace rxp::projections
