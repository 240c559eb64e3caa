#include "projections/disclosures.hpp"

#include <sqlite3.h>

#include <string_view>

namespace rxp::projections {
namespace {

constexpr std::string_view kRecordPrefix = "record/";

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS disclosures ("
    "  position    INTEGER PRIMARY KEY,"  // the event's global position: applied at most once
    "  patient_id  TEXT    NOT NULL,"
    "  occurred_at INTEGER NOT NULL,"     // UTC microseconds
    "  user_id     TEXT    NOT NULL,"
    "  role        TEXT    NOT NULL,"
    "  session_id  TEXT    NOT NULL,"
    "  kind        TEXT    NOT NULL,"     // view | export | break_glass
    "  section     TEXT    NOT NULL,"
    "  purpose     TEXT    NOT NULL);"
    "CREATE INDEX IF NOT EXISTS disclosures_by_patient ON disclosures (patient_id, occurred_at);";
constexpr const char* kDrop = "DROP TABLE IF EXISTS disclosures;";
constexpr const char* kInsert =
    "INSERT INTO disclosures (position, patient_id, occurred_at, user_id, role, session_id, kind,"
    " section, purpose) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);";
constexpr const char* kColumns =
    "SELECT position, patient_id, occurred_at, user_id, role, session_id, kind, section, purpose"
    " FROM disclosures ";

// Codes only: anything that is not an opaque id (free text could carry PHI) is left out.
std::string code(const std::string& s) { return events::is_opaque_id(s, true) ? s : std::string(); }

std::optional<DisclosureKind> kind_of(std::string_view type) {
  if (type == events::RecordViewed::kType) return DisclosureKind::kView;
  if (type == events::RecordExported::kType) return DisclosureKind::kExport;
  if (type == events::BreakGlassInvoked::kType) return DisclosureKind::kBreakGlass;
  return std::nullopt;
}

std::optional<DisclosureKind> parse_kind(const std::string& s) {
  for (auto k : {DisclosureKind::kView, DisclosureKind::kExport, DisclosureKind::kBreakGlass})
    if (s == kind_name(k)) return k;
  return std::nullopt;
}

Result<std::vector<Disclosure>> read_rows(ReadModelDb& db, const char* sql,
                                          const std::string* patient, int64_t since,
                                          int64_t until) {
  Status err;
  Stmt* s = db.statement(sql, err);
  if (s == nullptr) return err;
  StmtUse use{*s};
  if (patient != nullptr) {
    s->bind(1, *patient);
    s->bind(2, since);
    s->bind(3, until);
  }
  std::vector<Disclosure> out;
  for (;;) {
    int rc = s->step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return db.error(rc, "read disclosures");
    Disclosure d;
    d.position = static_cast<uint64_t>(s->i64(0));
    d.patient_id = s->text(1);
    d.occurred_at_us = s->i64(2);
    d.user_id = s->text(3);
    d.role = s->text(4);
    d.session_id = s->text(5);
    auto kind = parse_kind(s->text(6));
    if (!kind) return Status(ErrorCode::kCorruption, "disclosure row with an unknown kind");
    d.kind = *kind;
    d.section = s->text(7);
    d.purpose = s->text(8);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

const char* kind_name(DisclosureKind kind) {
  switch (kind) {
    case DisclosureKind::kView: return "view";
    case DisclosureKind::kExport: return "export";
    case DisclosureKind::kBreakGlass: return "break_glass";
  }
  return "view";
}

std::optional<Disclosure> disclosure_of(const events::RecordedEvent& e) {
  const events::EventHeader& h = e.header;
  if (!std::string_view(h.stream_id).starts_with(kRecordPrefix)) return std::nullopt;
  auto kind = kind_of(h.type);
  if (!kind) return std::nullopt;
  Disclosure d;
  d.position = h.position;
  d.patient_id = h.stream_id.substr(kRecordPrefix.size());
  d.occurred_at_us = h.occurred_at_us;
  d.user_id = h.principal.user_id;
  d.role = h.principal.role;
  d.session_id = h.principal.session_id;
  d.kind = *kind;
  if (!e.payload) return d;  // shredded: who, when and what kind remain in the clear header
  if (const auto* v = std::get_if<events::RecordViewed>(&*e.payload)) {
    d.section = code(v->section);
    d.purpose = code(v->purpose);
  } else if (const auto* x = std::get_if<events::RecordExported>(&*e.payload)) {
    for (const auto& s : x->sections) {
      if (code(s).empty()) continue;
      if (!d.section.empty()) d.section += ",";
      d.section += s;
    }
  } else if (const auto* b = std::get_if<events::BreakGlassInvoked>(&*e.payload)) {
    d.purpose = code(b->reason_code);
  }
  return d;
}

Status DisclosuresProjection::create_tables(ReadModelTxn& txn) {
  return txn.exec(kCreate, "create disclosures table");
}

Status DisclosuresProjection::drop_tables(ReadModelTxn& txn) {
  return txn.exec(kDrop, "drop disclosures table");
}

bool DisclosuresProjection::wants(const events::EventHeader& h) const {
  return std::string_view(h.stream_id).starts_with(kRecordPrefix) && kind_of(h.type).has_value();
}

Status DisclosuresProjection::apply(ReadModelTxn& txn, const events::RecordedEvent& e) {
  auto d = disclosure_of(e);
  if (!d) return Status::ok();
  Status err;
  Stmt* s = txn.statement(kInsert, err);
  if (s == nullptr) return err;
  const std::string kind = kind_name(d->kind);
  s->bind(1, static_cast<int64_t>(d->position));
  s->bind(2, d->patient_id);
  s->bind(3, d->occurred_at_us);
  s->bind(4, d->user_id);
  s->bind(5, d->role);
  s->bind(6, d->session_id);
  s->bind(7, kind);
  s->bind(8, d->section);
  s->bind(9, d->purpose);
  return txn.run(*s, "insert disclosure");
}

Result<std::vector<Disclosure>> disclosures_for(ReadModelDb& db, const std::string& patient_id,
                                                int64_t since_us, int64_t until_us) {
  static const std::string sql = std::string(kColumns) +
                                 "WHERE patient_id = ?1 AND occurred_at BETWEEN ?2 AND ?3 "
                                 "ORDER BY position;";
  return read_rows(db, sql.c_str(), &patient_id, since_us, until_us);
}

Result<std::vector<Disclosure>> all_disclosures(ReadModelDb& db) {
  static const std::string sql = std::string(kColumns) + "ORDER BY position;";
  return read_rows(db, sql.c_str(), nullptr, 0, 0);
}

}  // namespace rxp::projections
