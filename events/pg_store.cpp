#include "events/pg_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "events/pg_conn.hpp"
#include "events/pg_txn.hpp"

namespace rxp::events {

using pg::Params;
using pg::PgConn;
using pg::Res;

namespace {

// Migrations: entry i brings the schema from version i to i+1.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE rxp_head (            -- one row: the last committed position
      id         int    PRIMARY KEY CHECK (id = 1),
      position   bigint NOT NULL,
      generation bigint NOT NULL);     -- +1 per write commit: invalidates other writers' caches
    INSERT INTO rxp_head VALUES (1, 0, 0);
    CREATE TABLE rxp_events (
      position  bigint PRIMARY KEY,    -- assigned under the rxp_head row lock, in commit order
      stream_id text   NOT NULL,
      version   bigint NOT NULL,
      header    bytea  NOT NULL,       -- canonical header: AEAD associated data, hash input
      payload   bytea  NOT NULL,       -- XChaCha20-Poly1305 ciphertext
      hash      bytea  NOT NULL,       -- BLAKE2b-256 chain hash
      UNIQUE (stream_id, version));
    -- Ciphertext does not compress: store it out of line without trying.
    ALTER TABLE rxp_events ALTER COLUMN payload SET STORAGE EXTERNAL;
    -- Raises (check_violation) when an append's invariant fails, so that the statement, and
    -- the COMMIT pipelined after it, do not take effect.
    CREATE FUNCTION rxp_check(ok boolean, what text) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT ok THEN RAISE EXCEPTION 'append refused: %', what USING ERRCODE = '23514'; END IF;
      RETURN true;
    END $$;
    CREATE TABLE rxp_deks (
      dek_id     text   PRIMARY KEY,
      stream_id  text   NOT NULL,
      version    bigint NOT NULL,
      kek_id     text   NOT NULL,
      wrapped    bytea  NOT NULL,
      created_at bigint NOT NULL,
      UNIQUE (stream_id, version));
    CREATE TABLE rxp_shredded (
      stream_id   text   PRIMARY KEY,
      shredded_at bigint NOT NULL);
    CREATE TABLE rxp_snapshots (
      stream_id text   PRIMARY KEY,
      version   bigint NOT NULL,
      schema    bigint NOT NULL,
      key_id    text   NOT NULL,
      nonce     bytea  NOT NULL,
      payload   bytea  NOT NULL);
    )sql",
};
constexpr int kSchemaVersion = sizeof kMigrations / sizeof kMigrations[0];
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7466120301)";

int64_t clamp(uint64_t v) {
  return static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max()));
}

std::vector<RawEvent> events_of(const Res& r) {
  std::vector<RawEvent> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    RawEvent e;
    e.position = static_cast<uint64_t>(r.i64(i, 0));
    e.stream_id = r.text(i, 1);
    e.version = static_cast<uint64_t>(r.i64(i, 2));
    e.header_bytes = r.bytes(i, 3);
    e.ciphertext = r.bytes(i, 4);
    e.hash = r.bytes(i, 5);
    out.push_back(std::move(e));
  }
  return out;
}

SnapshotRow snapshot_of(const Res& r) {
  SnapshotRow row;
  row.stream_id = r.text(0, 0);
  row.version = static_cast<uint64_t>(r.i64(0, 1));
  row.schema = static_cast<uint32_t>(r.i64(0, 2));
  row.key_id = r.text(0, 3);
  row.nonce = r.bytes(0, 4);
  row.ciphertext = r.bytes(0, 5);
  return row;
}

}  // namespace

namespace pgstore {

WrappedDek dek_of(const Res& r, int row, int first) {
  WrappedDek w;
  w.dek_id = r.text(row, first);
  w.stream_id = r.text(row, first + 1);
  w.version = static_cast<uint32_t>(r.i64(row, first + 2));
  w.kek_id = r.text(row, first + 3);
  w.wrapped = r.bytes(row, first + 4);
  w.created_at_us = r.i64(row, first + 5);
  return w;
}

// A read connection borrowed from the pool for one call.
class PgStore::Lease {
 public:
  explicit Lease(PgStore& s) : s_(s) {
    std::unique_lock lock(s_.pool_mu_);
    s_.pool_cv_.wait(lock, [&] { return !s_.pool_.empty(); });
    c_ = std::move(s_.pool_.back());
    s_.pool_.pop_back();
  }
  ~Lease() {
    std::lock_guard lock(s_.pool_mu_);
    s_.pool_.push_back(std::move(c_));
    s_.pool_cv_.notify_one();
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  // Runs one read; after a lost connection, reconnects once and runs it again (reads are
  // idempotent).
  Result<Res> query(const char* sql, Params& p, const char* what) {
    if (!c_->healthy()) RXP_RETURN_IF_ERROR(s_.reconnect(*c_));
    auto r = c_->query(sql, p, what);
    if (r || c_->healthy()) return r;
    RXP_RETURN_IF_ERROR(s_.reconnect(*c_));
    return c_->query(sql, p, what);
  }
  PgConn& conn() { return *c_; }

 private:
  PgStore& s_;
  std::unique_ptr<PgConn> c_;
};

Status PgStore::reconnect(PgConn& c) {
  return pg::connect_with_retry(c, options_.url, options_.connect_attempts, options_.first_backoff);
}

Status PgStore::open(const PgOptions& o) {
  options_ = o;
  RXP_RETURN_IF_ERROR(reconnect(wconn_));
  if (!o.read_only) RXP_RETURN_IF_ERROR(migrate());
  RXP_RETURN_IF_ERROR(check_schema());
  for (int i = 0; i < std::max(1, o.read_connections); ++i) {
    auto c = std::make_unique<PgConn>();
    RXP_RETURN_IF_ERROR(reconnect(*c));
    pool_.push_back(std::move(c));
  }
  auto head = head_position();
  if (!head) return head.status();
  committed_ = *head;
  return Status::ok();
}

Result<int> PgStore::read_schema_version() {
  auto exists = wconn_.exec_rows("SELECT to_regclass('rxp_schema_version') IS NOT NULL",
                                 "cannot read the schema version");
  if (!exists) return exists.status();
  if (exists->text(0, 0) != "t") return 0;
  auto r = wconn_.exec_rows("SELECT max(version) FROM rxp_schema_version", "cannot read the schema version");
  if (!r) return r.status();
  if (r->rows() == 0 || r->null(0, 0)) return 0;
  return std::atoi(r->text(0, 0).c_str());
}

Status PgStore::migrate() {
  // Several nodes may start at once: the advisory lock makes one of them migrate.
  RXP_RETURN_IF_ERROR(wconn_.exec("BEGIN", "migration"));
  Status st = wconn_.exec(kMigrationLock, "migration");
  if (st) st = wconn_.exec("CREATE TABLE IF NOT EXISTS rxp_schema_version (version int NOT NULL)", "migration");
  int version = 0;
  if (st) {
    auto v = read_schema_version();
    if (v) version = *v;
    else st = v.status();
  }
  for (int v = version; st && v < kSchemaVersion; ++v) st = wconn_.exec(kMigrations[v], "migration");
  if (st && version < kSchemaVersion) {
    std::string set = "DELETE FROM rxp_schema_version; INSERT INTO rxp_schema_version VALUES (";
    set += std::to_string(kSchemaVersion);
    set += ")";
    st = wconn_.exec(set.c_str(), "migration");
  }
  if (st) return wconn_.exec("COMMIT", "migration");
  (void)wconn_.exec("ROLLBACK", "migration");
  return st;
}

Status PgStore::check_schema() {
  auto v = read_schema_version();
  if (!v) return v.status();
  if (*v > kSchemaVersion)
    return Status(ErrorCode::kCorruption, "the event store was written by a newer rxportal (schema " +
                                              std::to_string(*v) + ")");
  if (*v < kSchemaVersion)
    return Status(ErrorCode::kCorruption, "the PostgreSQL event store has schema " + std::to_string(*v) +
                                              " and was opened read-only; open it for writing to migrate");
  return Status::ok();
}

Result<std::unique_ptr<WriteTxn>> PgStore::begin_write() {
  if (options_.read_only) return Status(ErrorCode::kInvalidArgument, "store opened read-only");
  std::unique_lock lock(wmu_);
  if (!wconn_.healthy()) RXP_RETURN_IF_ERROR(reconnect(wconn_));
  return std::unique_ptr<WriteTxn>(new PgTxn(*this, std::move(lock)));
}

Result<std::vector<RawEvent>> PgStore::read_stream(const std::string& stream_id, uint64_t from_version, size_t max) {
  Params p;
  p.text(stream_id);
  p.i64(clamp(from_version));
  p.i64(clamp(max));
  Lease l(*this);
  auto r = l.query("SELECT position, stream_id, version, header, payload, hash FROM rxp_events "
                   "WHERE stream_id = $1 AND version >= $2 ORDER BY version LIMIT $3",
                   p, "cannot read a stream");
  if (!r) return r.status();
  return events_of(*r);
}

Result<std::vector<RawEvent>> PgStore::read_all(uint64_t from_position, size_t max) {
  Params p;
  p.i64(clamp(from_position));
  p.i64(clamp(max));
  Lease l(*this);
  auto r = l.query("SELECT position, stream_id, version, header, payload, hash FROM rxp_events "
                   "WHERE position >= $1 ORDER BY position LIMIT $2",
                   p, "cannot read the log");
  if (!r) return r.status();
  return events_of(*r);
}

Result<uint64_t> PgStore::head_position() {
  Params p;
  Lease l(*this);
  auto r = l.query("SELECT position FROM rxp_head WHERE id = 1", p, "cannot read the head");
  if (!r) return r.status();
  if (r->rows() != 1) return Status(ErrorCode::kCorruption, "the PostgreSQL event store has no head row");
  return static_cast<uint64_t>(r->i64(0, 0));
}

Result<std::optional<WrappedDek>> PgStore::find_dek(const std::string& dek_id) {
  Params p;
  p.text(dek_id);
  Lease l(*this);
  auto r = l.query("SELECT dek_id, stream_id, version, kek_id, wrapped, created_at FROM rxp_deks WHERE dek_id = $1",
                   p, "cannot read a DEK");
  if (!r) return r.status();
  if (r->rows() == 0) return std::optional<WrappedDek>();
  return std::optional<WrappedDek>(dek_of(*r, 0));
}

Result<bool> PgStore::is_shredded(const std::string& stream_id) {
  Params p;
  p.text(stream_id);
  Lease l(*this);
  auto r = l.query("SELECT EXISTS (SELECT 1 FROM rxp_shredded WHERE stream_id = $1)", p, "cannot read shreds");
  if (!r) return r.status();
  return r->boolean(0, 0);
}

Result<uint64_t> PgStore::wait_beyond(uint64_t position, std::chrono::milliseconds timeout) {
  // Commits of this process wake us at once; other writers' commits are seen by polling.
  constexpr std::chrono::milliseconds kPoll{20};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto head = head_position();
    if (!head || *head > position) return head;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return head;
    std::unique_lock lock(notify_mu_);
    notify_cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(deadline - now, kPoll),
                        [&] { return committed_ > position; });
  }
}

Status PgStore::check_physical() {
  // PostgreSQL checks its own pages (and data checksums when the cluster has them on); here
  // only the head row must agree with the events.
  Params p;
  Lease l(*this);
  auto r = l.query("SELECT (SELECT position FROM rxp_head WHERE id = 1), "
                   "(SELECT COALESCE(max(position), 0) FROM rxp_events), (SELECT count(*) FROM rxp_events)",
                   p, "physical check");
  if (!r) return r.status();
  int64_t head = r->i64(0, 0), max = r->i64(0, 1), count = r->i64(0, 2);
  if (head != max || max != count)
    return Status(ErrorCode::kCorruption, "PostgreSQL store: head " + std::to_string(head) + ", last position " +
                                              std::to_string(max) + ", " + std::to_string(count) + " events");
  return Status::ok();
}

Status PgStore::purge_deleted() {
  // Rewrites the key and snapshot tables so that deleted rows leave the heap files.
  Lease l(*this);
  return l.conn().exec("VACUUM FULL rxp_deks, rxp_snapshots", "purge");
}

Status PgStore::save_snapshot(const SnapshotRow& row) {
  if (options_.read_only) return Status(ErrorCode::kInvalidArgument, "store opened read-only");
  Params p;
  p.text(row.stream_id);
  p.i64(clamp(row.version));
  p.i64(row.schema);
  p.text(row.key_id);
  p.bytes(row.nonce);
  p.bytes(row.ciphertext);
  Lease l(*this);
  // A snapshot never comes back after the stream was shredded.
  auto r = l.query("INSERT INTO rxp_snapshots (stream_id, version, schema, key_id, nonce, payload) "
                   "SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM rxp_shredded WHERE stream_id = $1) "
                   "ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, schema = EXCLUDED.schema, "
                   "key_id = EXCLUDED.key_id, nonce = EXCLUDED.nonce, payload = EXCLUDED.payload",
                   p, "cannot save a snapshot");
  return r ? Status::ok() : r.status();
}

Result<std::optional<SnapshotRow>> PgStore::load_snapshot(const std::string& stream_id) {
  Params p;
  p.text(stream_id);
  Lease l(*this);
  auto r = l.query("SELECT stream_id, version, schema, key_id, nonce, payload FROM rxp_snapshots WHERE stream_id = $1",
                   p, "cannot read a snapshot");
  if (!r) return r.status();
  if (r->rows() == 0) return std::optional<SnapshotRow>();
  return std::optional<SnapshotRow>(snapshot_of(*r));
}

void PgStore::notify_committed(uint64_t position) {
  {
    std::lock_guard lock(notify_mu_);
    committed_ = std::max(committed_, position);
  }
  notify_cv_.notify_all();
}

}  // namespace pgstore

Result<std::unique_ptr<EventStore>> open_pg_store(const PgOptions& options) {
  auto store = std::make_unique<pgstore::PgStore>();
  if (Status st = store->open(options); !st) return st;
  return std::unique_ptr<EventStore>(std::move(store));
}

int pg_schema_version() { return kSchemaVersion; }

}  // namespace rxp::events
