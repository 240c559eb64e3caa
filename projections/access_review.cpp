#include "projections/access_review.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string_view>

namespace rxp::projections {
namespace {

constexpr std::string_view kUser = "user/";
constexpr std::string_view kRecord = "record/";
constexpr std::string_view kSession = "session/";

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS access_grants ("
    "  kind       TEXT NOT NULL,"
    "  subject_id TEXT NOT NULL,"
    "  object_id  TEXT NOT NULL,"
    "  grant_id   TEXT NOT NULL,"
    "  granted_at INTEGER NOT NULL,"
    "  until      INTEGER NOT NULL,"
    "  ended_at   INTEGER NOT NULL,"
    "  last_used  INTEGER NOT NULL,"
    "  PRIMARY KEY (kind, subject_id, object_id, grant_id));";
constexpr const char* kDrop = "DROP TABLE IF EXISTS access_grants;";
// A grant given again after it ended starts afresh (its old last use is kept: still true).
constexpr const char* kGrant =
    "INSERT INTO access_grants VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0)"
    " ON CONFLICT (kind, subject_id, object_id, grant_id) DO UPDATE SET"
    " granted_at = excluded.granted_at, until = excluded.until, ended_at = 0;";
constexpr const char* kEnd =
    "UPDATE access_grants SET ended_at = ?5 WHERE kind = ?1 AND subject_id = ?2 AND object_id = ?3"
    " AND grant_id = ?4 AND ended_at = 0;";
constexpr const char* kEndProxy =
    "UPDATE access_grants SET ended_at = ?3 WHERE kind = 'proxy' AND object_id = ?1 AND grant_id = ?2"
    " AND ended_at = 0;";
constexpr const char* kUseRole =
    "UPDATE access_grants SET last_used = ?3 WHERE kind = 'role' AND subject_id = ?1 AND object_id = ?2"
    " AND ended_at = 0;";
constexpr const char* kUseRecord =
    "UPDATE access_grants SET last_used = ?3 WHERE kind IN ('care', 'proxy') AND subject_id = ?1"
    " AND object_id = ?2 AND ended_at = 0;";
constexpr const char* kSelect =
    "SELECT kind, subject_id, object_id, grant_id, granted_at, until, ended_at, last_used"
    " FROM access_grants ORDER BY kind, subject_id, object_id, grant_id;";

std::string after(const std::string& s, std::string_view prefix) {
  return std::string_view(s).starts_with(prefix) ? s.substr(prefix.size()) : std::string();
}

struct Writer {
  ReadModelTxn& txn;
  const events::RecordedEvent& e;
  Status st;

  int64_t now() const { return e.header.occurred_at_us; }

  void run(const char* sql, const std::vector<std::string>& text, const std::vector<std::pair<int, int64_t>>& ints) {
    if (!st) return;
    Stmt* s = txn.statement(sql, st);
    if (s == nullptr) return;
    for (size_t i = 0; i < text.size(); ++i) s->bind(static_cast<int>(i + 1), text[i]);
    for (const auto& [i, v] : ints) s->bind(i, v);
    st = txn.run(*s, "access review");
  }
  void grant(const std::string& kind, const std::string& subject, const std::string& object,
             const std::string& grant_id, int64_t until) {
    run(kGrant, {kind, subject, object, grant_id}, {{5, now()}, {6, until}});
  }
  void end(const std::string& kind, const std::string& subject, const std::string& object) {
    run(kEnd, {kind, subject, object, ""}, {{5, now()}});
  }
  void use_role(const std::string& user, const std::string& role) {
    if (!user.empty() && !role.empty()) run(kUseRole, {user, role}, {{3, now()}});
  }

  void operator()(const events::UserRegistered& r) {
    for (const auto& role : r.roles) grant("role", after(e.header.stream_id, kUser), role, "", 0);
  }
  void operator()(const events::RoleGranted& r) { grant("role", after(e.header.stream_id, kUser), r.role, "", 0); }
  void operator()(const events::RoleRevoked& r) { end("role", after(e.header.stream_id, kUser), r.role); }
  void operator()(const events::CareRelationshipAdded& c) {
    grant("care", c.clinician_id, after(e.header.stream_id, kRecord), "", c.until_us);
  }
  void operator()(const events::CareRelationshipEnded& c) {
    end("care", c.clinician_id, after(e.header.stream_id, kRecord));
  }
  void operator()(const events::ProxyGranted& p) {
    grant("proxy", p.grantee_user_id, after(e.header.stream_id, kRecord), p.grant_id, p.expires_at_us);
  }
  void operator()(const events::ProxyRevoked& p) {
    run(kEndProxy, {after(e.header.stream_id, kRecord), p.grant_id}, {{3, now()}});
  }
  void operator()(const events::SessionStarted& s) {
    for (const auto& role : s.roles) use_role(s.user_id, role);
  }
  template <class Other>
  void operator()(const Other&) {}
};

}  // namespace

bool is_elevated_role(const std::string& r) {
  return r == "clinician" || r == "pharmacist" || r == "admin" || r == "auditor";
}

Status AccessReviewProjection::create_tables(ReadModelTxn& txn) { return txn.exec(kCreate, "create access_grants"); }
Status AccessReviewProjection::drop_tables(ReadModelTxn& txn) { return txn.exec(kDrop, "drop access_grants"); }

bool AccessReviewProjection::wants(const events::EventHeader& h) const {
  const std::string& u = h.principal.user_id;
  bool acted = !u.empty() && u != "system";
  return acted || std::string_view(h.stream_id).starts_with(kUser) || std::string_view(h.stream_id).starts_with(kRecord) ||
         std::string_view(h.stream_id).starts_with(kSession);
}

Status AccessReviewProjection::apply(ReadModelTxn& txn, const events::RecordedEvent& e) {
  Writer w{txn, e, Status::ok()};
  if (e.payload) std::visit(w, *e.payload);
  const auto& p = e.header.principal;
  if (!p.user_id.empty() && p.user_id != "system") {
    w.use_role(p.user_id, p.role);
    std::string patient = after(e.header.stream_id, kRecord);
    if (!patient.empty() && w.st) w.run(kUseRecord, {p.user_id, patient}, {{3, e.header.occurred_at_us}});
  }
  return w.st;
}

Result<std::vector<AccessGrant>> access_review(ReadModelDb& db) {
  Status err;
  Stmt* s = db.statement(kSelect, err);
  if (s == nullptr) return err;
  StmtUse use{*s};
  std::vector<AccessGrant> out;
  for (;;) {
    int rc = s->step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return db.error(rc, "read access_grants");
    AccessGrant g;
    g.kind = s->text(0);
    g.subject_id = s->text(1);
    g.object_id = s->text(2);
    g.grant_id = s->text(3);
    g.granted_at_us = s->i64(4);
    g.until_us = s->i64(5);
    g.ended_at_us = s->i64(6);
    g.last_used_at_us = s->i64(7);
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<AccessGrant> dormant_roles(const std::vector<AccessGrant>& grants, int64_t now_us, int64_t after_us) {
  std::vector<AccessGrant> out;
  for (const auto& g : grants) {
    if (g.kind != "role" || g.ended_at_us != 0 || !is_elevated_role(g.object_id)) continue;
    if (std::max(g.granted_at_us, g.last_used_at_us) <= now_us - after_us) out.push_back(g);
  }
  return out;
}

Result<size_t> sweep_dormant_roles(ReadModelDb& db, int64_t now_us,
                                   const std::function<Status(const AccessGrant&)>& revoke) {
  auto grants = access_review(db);
  if (!grants) return grants.status();
  size_t n = 0;
  for (const auto& g : dormant_roles(*grants, now_us)) {
    if (Status st = revoke(g); !st) return st;
    ++n;
  }
  return n;
}

}  // namespace rxp::projections
