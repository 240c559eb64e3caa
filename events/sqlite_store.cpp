#include "events/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace rxp::events {
namespace {

// Migrations: entry i brings the schema from version i to i+1.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE events (
      position  INTEGER PRIMARY KEY,  -- global, assigned in commit order by the single writer
      stream_id TEXT    NOT NULL,
      version   INTEGER NOT NULL,
      header    BLOB    NOT NULL,     -- canonical header: AEAD associated data, hash input
      payload   BLOB    NOT NULL,     -- XChaCha20-Poly1305 ciphertext
      hash      BLOB    NOT NULL,     -- BLAKE2b-256 chain hash
      UNIQUE (stream_id, version));
    CREATE TABLE deks (
      dek_id     TEXT    PRIMARY KEY,
      stream_id  TEXT    NOT NULL,
      version    INTEGER NOT NULL,
      kek_id     TEXT    NOT NULL,
      wrapped    BLOB    NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (stream_id, version));
    CREATE TABLE shredded_streams (
      stream_id   TEXT PRIMARY KEY,
      shredded_at INTEGER NOT NULL);
    )sql",
    R"sql(
    CREATE TABLE snapshots (
      stream_id TEXT PRIMARY KEY,
      version   INTEGER NOT NULL,
      schema    INTEGER NOT NULL,
      key_id    TEXT    NOT NULL,
      nonce     BLOB    NOT NULL,
      payload   BLOB    NOT NULL);
    )sql",
};
constexpr int kSchemaVersion = sizeof kMigrations / sizeof kMigrations[0];

ErrorCode code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT: return ErrorCode::kCorruption;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::kBusy;
    case SQLITE_CONSTRAINT: return ErrorCode::kConflict;
    default: return ErrorCode::kIo;
  }
}

Status sql_error(sqlite3* db, int rc, const char* what) {
  std::string msg = std::string(what) + ": " + sqlite3_errstr(rc);
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : nullptr;
  if (detail != nullptr && msg.find(detail) == std::string::npos) msg += " (" + std::string(detail) + ")";
  return Status(code_of(rc), msg);
}

// A prepared statement, reset on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  int prepare_rc() const { return rc_; }
  sqlite3_stmt* get() { return s_; }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC); }
  void bind(int i, BytesView v) { sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC); }
  int step() { return sqlite3_step(s_); }
  int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  std::string text(int c) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string(p, sqlite3_column_bytes(s_, c)) : std::string();
  }
  Bytes blob(int c) {
    auto p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, c));
    return p ? Bytes(p, p + sqlite3_column_bytes(s_, c)) : Bytes();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

struct StmtGuard {
  Stmt& s;
  ~StmtGuard() { s.reset(); }
};

Status exec(sqlite3* db, const char* sql, const char* what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::ok() : sql_error(db, rc, what);
}

WrappedDek dek_from(Stmt& s) {
  WrappedDek w;
  w.dek_id = s.text(0);
  w.stream_id = s.text(1);
  // A stored version outside uint32 was altered: read it as 0 (never used), which the
  // wrapping's associated data then refuses, instead of truncating it to a valid-looking one.
  int64_t version = s.i64(2);
  w.version = version > 0 && version <= int64_t{UINT32_MAX} ? static_cast<uint32_t>(version) : 0;
  w.kek_id = s.text(3);
  w.wrapped = s.blob(4);
  w.created_at_us = s.i64(5);
  return w;
}

RawEvent event_from(Stmt& s) {
  RawEvent e;
  e.position = static_cast<uint64_t>(s.i64(0));
  e.stream_id = s.text(1);
  e.version = static_cast<uint64_t>(s.i64(2));
  e.header_bytes = s.blob(3);
  e.ciphertext = s.blob(4);
  e.hash = s.blob(5);
  return e;
}

// Runs a statement that yields at most one row: the row (read by `from`), nothing, or the
// error.
template <class Row, class From>
Result<std::optional<Row>> query_optional(Stmt& s, sqlite3* db, From from, const char* what) {
  int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<Row>(from(s));
  if (rc == SQLITE_DONE) return std::optional<Row>();
  return sql_error(db, rc, what);
}

SnapshotRow snapshot_from(Stmt& s) {
  SnapshotRow row;
  row.stream_id = s.text(0);
  row.version = static_cast<uint64_t>(s.i64(1));
  row.schema = static_cast<uint32_t>(s.i64(2));
  row.key_id = s.text(3);
  row.nonce = s.blob(4);
  row.ciphertext = s.blob(5);
  return row;
}

constexpr const char* kDekColumns = "dek_id, stream_id, version, kek_id, wrapped, created_at";
constexpr const char* kEventColumns = "position, stream_id, version, header, payload, hash";

// One connection with its statements.
struct Conn {
  sqlite3* db = nullptr;
  ~Conn() {
    if (db) sqlite3_close_v2(db);
  }
};

class SqliteStore;

class SqliteTxn final : public WriteTxn {
 public:
  SqliteTxn(SqliteStore& store, std::unique_lock<std::mutex> lock);
  ~SqliteTxn() override;
  Result<uint64_t> last_position() override;
  Result<StreamHead> stream_head(const std::string& stream_id) override;
  Result<StreamHead> read_head(const std::string& stream_id);
  Status insert_event(const RawEvent& e) override;
  Result<std::optional<WrappedDek>> current_dek(const std::string& stream_id) override;
  Status insert_dek(const WrappedDek& dek) override;
  Result<std::vector<WrappedDek>> all_deks() override;
  Status update_wrapped_dek(const WrappedDek& dek) override;
  Status shred_stream(const std::string& stream_id, int64_t at_us) override;
  Status commit() override;

 private:
  SqliteStore& store_;
  std::unique_lock<std::mutex> lock_;
  bool done_ = false;
  uint64_t last_inserted_ = 0;
  // Heads and shreds written by this transaction; merged into the store's cache on commit.
  std::unordered_map<std::string, StreamHead> pending_heads_;
  StreamHead* last_head_ = nullptr;  // entry of pending_heads_ for last_head_stream_
  std::string last_head_stream_;
};

class SqliteStore final : public EventStore {
 public:
  SqliteStore() = default;
  ~SqliteStore() override {
    w_.reset();
    r_.reset();
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  Status open(const SqliteOptions& o) {
    options_ = o;
    struct stat st {};
    bool exists = ::stat(o.path.c_str(), &st) == 0;
    if (!exists && !o.create_if_missing)
      return Status(ErrorCode::kNotFound, "no event store at " + o.path + " (run `rxportal init`)");
    if (!o.read_only) {
      lock_fd_ = ::open((o.path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (lock_fd_ < 0) return Status(ErrorCode::kIo, "cannot create lock file for " + o.path);
      if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
        return Status(ErrorCode::kBusy, "event store " + o.path + " is in use by another rxportal process");
    }
    const char* vfs = o.vfs.empty() ? nullptr : o.vfs.c_str();
    int flags = SQLITE_OPEN_NOMUTEX | (o.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    wconn_ = std::make_unique<Conn>();
    int rc = sqlite3_open_v2(o.path.c_str(), &wconn_->db, flags, vfs);
    if (rc != SQLITE_OK) return sql_error(wconn_->db, rc, ("cannot open " + o.path).c_str());
    sqlite3_extended_result_codes(wconn_->db, 1);
    if (!o.read_only) {
      ::chmod(o.path.c_str(), 0600);
      RXP_RETURN_IF_ERROR(exec(wconn_->db,
                               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                               "PRAGMA secure_delete=ON; PRAGMA busy_timeout=5000;",
                               ("cannot open " + o.path).c_str()));
      RXP_RETURN_IF_ERROR(migrate());
    }
    RXP_RETURN_IF_ERROR(check_schema());
    rconn_ = std::make_unique<Conn>();
    rc = sqlite3_open_v2(o.path.c_str(), &rconn_->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, vfs);
    if (rc != SQLITE_OK) return sql_error(rconn_->db, rc, ("cannot open " + o.path).c_str());
    sqlite3_busy_timeout(rconn_->db, 5000);
    // Readers scan the log (verify, replay, projections): map the file instead of copying
    // every page through pread. The WAL is still read through the usual path.
    RXP_RETURN_IF_ERROR(exec(rconn_->db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-16384",
                             ("cannot open " + o.path).c_str()));
    return prepare();
  }

  // ---- EventStore ----
  Result<std::unique_ptr<WriteTxn>> begin_write() override {
    if (options_.read_only) return Status(ErrorCode::kInvalidArgument, "store opened read-only");
    std::unique_lock lock(wmu_);
    int rc = sqlite3_exec(wconn_->db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sql_error(wconn_->db, rc, "cannot begin a write");
    return std::unique_ptr<WriteTxn>(new SqliteTxn(*this, std::move(lock)));
  }

  Result<std::vector<RawEvent>> read_stream(const std::string& stream_id, uint64_t from_version, size_t max) override {
    std::lock_guard lock(rmu_);
    Stmt& s = r_->read_stream;
    StmtGuard g{s};
    s.bind(1, stream_id);
    s.bind(2, static_cast<int64_t>(from_version));
    s.bind(3, static_cast<int64_t>(max));
    return collect(s, rconn_->db);
  }

  Result<std::vector<RawEvent>> read_all(uint64_t from_position, size_t max) override {
    std::lock_guard lock(rmu_);
    Stmt& s = r_->read_all;
    StmtGuard g{s};
    s.bind(1, static_cast<int64_t>(from_position));
    s.bind(2, static_cast<int64_t>(max));
    return collect(s, rconn_->db);
  }

  Result<uint64_t> head_position() override {
    std::lock_guard lock(rmu_);
    return head_on(r_->head, rconn_->db);
  }

  Result<std::optional<WrappedDek>> find_dek(const std::string& dek_id) override {
    std::lock_guard lock(rmu_);
    Stmt& s = r_->find_dek;
    StmtGuard g{s};
    s.bind(1, dek_id);
    return query_optional<WrappedDek>(s, rconn_->db, dek_from, "cannot read a DEK");
  }

  Result<bool> is_shredded(const std::string& stream_id) override {
    std::lock_guard lock(rmu_);
    return shredded_on(r_->is_shredded, rconn_->db, stream_id);
  }

  Result<uint64_t> wait_beyond(uint64_t position, std::chrono::milliseconds timeout) override {
    {
      std::unique_lock lock(notify_mu_);
      notify_cv_.wait_for(lock, timeout, [&] { return committed_ > position; });
    }
    return head_position();
  }

  Status check_physical() override {
    std::lock_guard lock(rmu_);
    Stmt s(rconn_->db, "PRAGMA integrity_check");
    if (!s.ok()) return sql_error(rconn_->db, s.prepare_rc(), "integrity_check");
    int rc = s.step();
    if (rc != SQLITE_ROW) return sql_error(rconn_->db, rc, "integrity_check");
    std::string first = s.text(0);
    if (first != "ok") return Status(ErrorCode::kCorruption, "SQLite integrity_check: " + first);
    return Status::ok();
  }

  Status purge_deleted() override {
    std::lock_guard lock(wmu_);
    // secure_delete zeroed the freed pages; a truncating checkpoint removes old copies from
    // the WAL, and VACUUM rebuilds the file without free pages.
    RXP_RETURN_IF_ERROR(exec(wconn_->db, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint"));
    RXP_RETURN_IF_ERROR(exec(wconn_->db, "VACUUM", "vacuum"));
    return exec(wconn_->db, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
  }

  Status save_snapshot(const SnapshotRow& row) override {
    if (options_.read_only) return Status(ErrorCode::kInvalidArgument, "store opened read-only");
    std::lock_guard lock(wmu_);
    Stmt& s = w_->save_snapshot;
    StmtGuard g{s};
    s.bind(1, row.stream_id);
    s.bind(2, static_cast<int64_t>(row.version));
    s.bind(3, static_cast<int64_t>(row.schema));
    s.bind(4, row.key_id);
    s.bind(5, BytesView(row.nonce));
    s.bind(6, BytesView(row.ciphertext));
    int rc = s.step();
    return rc == SQLITE_DONE ? Status::ok() : sql_error(wconn_->db, rc, "cannot save a snapshot");
  }

  Result<std::optional<SnapshotRow>> load_snapshot(const std::string& stream_id) override {
    std::lock_guard lock(rmu_);
    Stmt& s = r_->load_snapshot;
    StmtGuard g{s};
    s.bind(1, stream_id);
    return query_optional<SnapshotRow>(s, rconn_->db, snapshot_from, "cannot read a snapshot");
  }

  // ---- used by SqliteTxn ----
  struct Statements {
    Stmt read_stream, read_all, head, find_dek, is_shredded, stream_head, insert_event,
        current_dek, insert_dek, all_deks, update_dek, delete_deks, insert_shredded, save_snapshot,
        load_snapshot, delete_snapshots;
    explicit Statements(sqlite3* db)
        : read_stream(db, (std::string("SELECT ") + kEventColumns + " FROM events WHERE stream_id=?1 AND version>=?2 ORDER BY version LIMIT ?3").c_str()),
          read_all(db, (std::string("SELECT ") + kEventColumns + " FROM events WHERE position>=?1 ORDER BY position LIMIT ?2").c_str()),
          head(db, "SELECT COALESCE(MAX(position),0) FROM events"),
          find_dek(db, (std::string("SELECT ") + kDekColumns + " FROM deks WHERE dek_id=?1").c_str()),
          is_shredded(db, "SELECT 1 FROM shredded_streams WHERE stream_id=?1"),
          stream_head(db, "SELECT version, hash FROM events WHERE stream_id=?1 ORDER BY version DESC LIMIT 1"),
          insert_event(db, "INSERT INTO events(position, stream_id, version, header, payload, hash) VALUES(?1,?2,?3,?4,?5,?6)"),
          current_dek(db, (std::string("SELECT ") + kDekColumns + " FROM deks WHERE stream_id=?1 ORDER BY version DESC LIMIT 1").c_str()),
          insert_dek(db, "INSERT INTO deks(dek_id, stream_id, version, kek_id, wrapped, created_at) VALUES(?1,?2,?3,?4,?5,?6)"),
          all_deks(db, (std::string("SELECT ") + kDekColumns + " FROM deks ORDER BY dek_id").c_str()),
          update_dek(db, "UPDATE deks SET kek_id=?2, wrapped=?3 WHERE dek_id=?1"),
          delete_deks(db, "DELETE FROM deks WHERE stream_id=?1"),
          insert_shredded(db, "INSERT OR IGNORE INTO shredded_streams(stream_id, shredded_at) VALUES(?1,?2)"),
          save_snapshot(db, "INSERT OR REPLACE INTO snapshots(stream_id, version, schema, key_id, nonce, payload) VALUES(?1,?2,?3,?4,?5,?6)"),
          load_snapshot(db, "SELECT stream_id, version, schema, key_id, nonce, payload FROM snapshots WHERE stream_id=?1"),
          delete_snapshots(db, "DELETE FROM snapshots WHERE stream_id=?1") {}
    Status check(sqlite3* db) {
      for (Stmt* s : {&read_stream, &read_all, &head, &find_dek, &is_shredded, &stream_head, &insert_event,
                      &current_dek, &insert_dek, &all_deks, &update_dek, &delete_deks, &insert_shredded,
                      &save_snapshot, &load_snapshot, &delete_snapshots})
        if (!s->ok()) return sql_error(db, s->prepare_rc(), "cannot prepare statements");
      return Status::ok();
    }
  };

  static Result<uint64_t> head_on(Stmt& s, sqlite3* db) {
    StmtGuard g{s};
    int rc = s.step();
    if (rc != SQLITE_ROW) return sql_error(db, rc, "cannot read the head position");
    return static_cast<uint64_t>(s.i64(0));
  }

  static Result<bool> shredded_on(Stmt& s, sqlite3* db, const std::string& stream_id) {
    StmtGuard g{s};
    s.bind(1, stream_id);
    int rc = s.step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sql_error(db, rc, "cannot read shredded streams");
  }

  static Result<std::vector<RawEvent>> collect(Stmt& s, sqlite3* db) {
    std::vector<RawEvent> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(event_from(s));
    if (rc != SQLITE_DONE) return sql_error(db, rc, "cannot read events");
    return out;
  }

  void notify_committed(uint64_t position) {
    {
      std::lock_guard lock(notify_mu_);
      if (position > committed_) committed_ = position;
    }
    notify_cv_.notify_all();
  }

  std::unique_ptr<Conn> wconn_, rconn_;
  std::unique_ptr<Statements> w_, r_;
  std::mutex wmu_, rmu_;
  // Committed stream heads, guarded by wmu_. Valid because this process is the only writer
  // (the lock file); bounded by clearing, since a miss only costs one indexed lookup.
  std::unordered_map<std::string, StreamHead> heads_;
  static constexpr size_t kHeadCacheLimit = 1 << 20;

 private:
  Status migrate() {
    int version = 0;
    RXP_RETURN_IF_ERROR(read_schema_version(wconn_->db, version));
    if (version >= kSchemaVersion) return Status::ok();
    RXP_RETURN_IF_ERROR(exec(wconn_->db, "BEGIN IMMEDIATE", "migration"));
    Status st = exec(wconn_->db, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)", "migration");
    for (int v = version; st && v < kSchemaVersion; ++v) st = exec(wconn_->db, kMigrations[v], "migration");
    if (st) {
      std::string set = "DELETE FROM schema_version; INSERT INTO schema_version VALUES(" + std::to_string(kSchemaVersion) + ")";
      st = exec(wconn_->db, set.c_str(), "migration");
    }
    if (st) st = exec(wconn_->db, "COMMIT", "migration");
    if (!st) sqlite3_exec(wconn_->db, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }

  // 0 for an empty database; kCorruption for a file that is not an event store.
  static Status read_schema_version(sqlite3* db, int& version) {
    Stmt tables(db, "SELECT count(*) FROM sqlite_master");
    if (!tables.ok()) return sql_error(db, tables.prepare_rc(), "cannot read the database");
    int rc = tables.step();
    if (rc != SQLITE_ROW) return sql_error(db, rc, "cannot read the database");
    if (tables.i64(0) == 0) {
      version = 0;
      return Status::ok();
    }
    Stmt s(db, "SELECT version FROM schema_version");
    if (!s.ok()) return Status(ErrorCode::kCorruption, "the database is not an rxportal event store");
    rc = s.step();
    if (rc != SQLITE_ROW) return Status(ErrorCode::kCorruption, "the event store has no schema version");
    version = static_cast<int>(s.i64(0));
    return Status::ok();
  }

  Status check_schema() {
    int version = 0;
    RXP_RETURN_IF_ERROR(read_schema_version(wconn_->db, version));
    if (version > kSchemaVersion)
      return Status(ErrorCode::kCorruption, "the event store was written by a newer rxportal (schema " +
                                                std::to_string(version) + ")");
    if (version < kSchemaVersion)
      return Status(ErrorCode::kCorruption, "the event store has schema " + std::to_string(version) +
                                                " and was opened read-only; open it for writing to migrate");
    return Status::ok();
  }

  Status prepare() {
    w_ = std::make_unique<Statements>(wconn_->db);
    RXP_RETURN_IF_ERROR(w_->check(wconn_->db));
    r_ = std::make_unique<Statements>(rconn_->db);
    RXP_RETURN_IF_ERROR(r_->check(rconn_->db));
    auto head = head_on(r_->head, rconn_->db);
    if (!head) return head.status();
    committed_ = *head;
    return Status::ok();
  }

  SqliteOptions options_;
  int lock_fd_ = -1;
  std::mutex notify_mu_;
  std::condition_variable notify_cv_;
  uint64_t committed_ = 0;
};

SqliteTxn::SqliteTxn(SqliteStore& store, std::unique_lock<std::mutex> lock)
    : store_(store), lock_(std::move(lock)) {}

SqliteTxn::~SqliteTxn() {
  if (!done_) sqlite3_exec(store_.wconn_->db, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<uint64_t> SqliteTxn::last_position() { return SqliteStore::head_on(store_.w_->head, store_.wconn_->db); }

Result<StreamHead> SqliteTxn::stream_head(const std::string& stream_id) {
  if (auto it = pending_heads_.find(stream_id); it != pending_heads_.end()) return it->second;
  if (auto it = store_.heads_.find(stream_id); it != store_.heads_.end()) return it->second;
  auto head = read_head(stream_id);
  if (head) {
    if (store_.heads_.size() >= SqliteStore::kHeadCacheLimit) store_.heads_.clear();
    store_.heads_[stream_id] = *head;  // not written by this txn, so this is committed state
  }
  return head;
}

Result<StreamHead> SqliteTxn::read_head(const std::string& stream_id) {
  sqlite3* db = store_.wconn_->db;
  StreamHead head;
  auto shredded = SqliteStore::shredded_on(store_.w_->is_shredded, db, stream_id);
  if (!shredded) return shredded.status();
  head.shredded = *shredded;
  Stmt& s = store_.w_->stream_head;
  StmtGuard g{s};
  s.bind(1, stream_id);
  int rc = s.step();
  if (rc == SQLITE_DONE) return head;
  if (rc != SQLITE_ROW) return sql_error(db, rc, "cannot read a stream head");
  head.version = static_cast<uint64_t>(s.i64(0));
  Bytes h = s.blob(1);
  if (h.size() != head.hash.size())
    return Status(ErrorCode::kIntegrity, "stream " + stream_id + " head has a malformed hash");
  std::copy(h.begin(), h.end(), head.hash.begin());
  return head;
}

Status SqliteTxn::insert_event(const RawEvent& e) {
  Stmt& s = store_.w_->insert_event;
  StmtGuard g{s};
  s.bind(1, static_cast<int64_t>(e.position));
  s.bind(2, e.stream_id);
  s.bind(3, static_cast<int64_t>(e.version));
  s.bind(4, BytesView(e.header_bytes));
  s.bind(5, BytesView(e.ciphertext));
  s.bind(6, BytesView(e.hash));
  int rc = s.step();
  if (rc != SQLITE_DONE) return sql_error(store_.wconn_->db, rc, "cannot append an event");
  last_inserted_ = e.position;
  // Consecutive events of one request hit the same entry: skip the hash lookup for them.
  if (last_head_ == nullptr || last_head_stream_ != e.stream_id) {
    last_head_ = &pending_heads_[e.stream_id];
    last_head_stream_ = e.stream_id;
  }
  StreamHead& head = *last_head_;
  head.version = e.version;
  std::copy_n(e.hash.begin(), std::min(e.hash.size(), head.hash.size()), head.hash.begin());
  return Status::ok();
}

Result<std::optional<WrappedDek>> SqliteTxn::current_dek(const std::string& stream_id) {
  Stmt& s = store_.w_->current_dek;
  StmtGuard g{s};
  s.bind(1, stream_id);
  return query_optional<WrappedDek>(s, store_.wconn_->db, dek_from, "cannot read a DEK");
}

Status SqliteTxn::insert_dek(const WrappedDek& d) {
  Stmt& s = store_.w_->insert_dek;
  StmtGuard g{s};
  s.bind(1, d.dek_id);
  s.bind(2, d.stream_id);
  s.bind(3, static_cast<int64_t>(d.version));
  s.bind(4, d.kek_id);
  s.bind(5, BytesView(d.wrapped));
  s.bind(6, d.created_at_us);
  int rc = s.step();
  return rc == SQLITE_DONE ? Status::ok() : sql_error(store_.wconn_->db, rc, "cannot store a DEK");
}

Result<std::vector<WrappedDek>> SqliteTxn::all_deks() {
  Stmt& s = store_.w_->all_deks;
  StmtGuard g{s};
  std::vector<WrappedDek> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(dek_from(s));
  if (rc != SQLITE_DONE) return sql_error(store_.wconn_->db, rc, "cannot read DEKs");
  return out;
}

Status SqliteTxn::update_wrapped_dek(const WrappedDek& d) {
  Stmt& s = store_.w_->update_dek;
  StmtGuard g{s};
  s.bind(1, d.dek_id);
  s.bind(2, d.kek_id);
  s.bind(3, BytesView(d.wrapped));
  int rc = s.step();
  return rc == SQLITE_DONE ? Status::ok() : sql_error(store_.wconn_->db, rc, "cannot rewrap a DEK");
}

Status SqliteTxn::shred_stream(const std::string& stream_id, int64_t at_us) {
  sqlite3* db = store_.wconn_->db;
  {
    Stmt& s = store_.w_->delete_deks;
    StmtGuard g{s};
    s.bind(1, stream_id);
    int rc = s.step();
    if (rc != SQLITE_DONE) return sql_error(db, rc, "cannot destroy DEKs");
  }
  {
    Stmt& s = store_.w_->delete_snapshots;
    StmtGuard g{s};
    s.bind(1, stream_id);
    int rc = s.step();
    if (rc != SQLITE_DONE) return sql_error(db, rc, "cannot delete snapshots");
  }
  Stmt& s = store_.w_->insert_shredded;
  StmtGuard g{s};
  s.bind(1, stream_id);
  s.bind(2, at_us);
  int rc = s.step();
  if (rc != SQLITE_DONE) return sql_error(db, rc, "cannot mark a stream shredded");
  auto head = stream_head(stream_id);
  if (!head) return head.status();
  StreamHead& pending = pending_heads_[stream_id];
  pending = *head;
  pending.shredded = true;
  return Status::ok();
}

Status SqliteTxn::commit() {
  int rc = sqlite3_exec(store_.wconn_->db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Status st = sql_error(store_.wconn_->db, rc, "commit failed");
    return st;  // the destructor rolls back whatever is left
  }
  done_ = true;
  for (auto& [stream, head] : pending_heads_) store_.heads_[stream] = head;
  if (last_inserted_ != 0) store_.notify_committed(last_inserted_);
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<EventStore>> open_sqlite_store(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>();
  if (Status st = store->open(options); !st) return st;
  return std::unique_ptr<EventStore>(std::move(store));
}

int sqlite_schema_version() { return kSchemaVersion; }

}  // namespace rxp::events
