#include "projections/runner.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <set>

#include "infra/secure.hpp"

namespace rxp::projections {
namespace {

constexpr const char* kCreateCheckpoints =
    "CREATE TABLE IF NOT EXISTS checkpoints ("
    "  name     TEXT PRIMARY KEY,"
    "  position INTEGER NOT NULL"  // last applied global position; 0: none
    ") WITHOUT ROWID;";
constexpr const char* kSelectCheckpoint = "SELECT position FROM checkpoints WHERE name = ?1;";
constexpr const char* kUpsertCheckpoint =
    "INSERT INTO checkpoints (name, position) VALUES (?1, ?2) "
    "ON CONFLICT(name) DO UPDATE SET position = excluded.position;";
constexpr const char* kDeleteCheckpoint = "DELETE FROM checkpoints WHERE name = ?1;";

Status in_projection(const Status& st, const std::string& name, uint64_t position) {
  return Status(st.code(), "projection " + name + " at position " + std::to_string(position) +
                               ": " + st.message());
}

Result<uint64_t> read_checkpoint(ReadModelTxn& txn, const std::string& name) {
  Status err;
  Stmt* s = txn.statement(kSelectCheckpoint, err);
  if (s == nullptr) return err;
  StmtUse use{*s};
  s->bind(1, name);
  int rc = s->step();
  if (rc == SQLITE_DONE) return uint64_t{0};
  if (rc != SQLITE_ROW) return txn.db().error(rc, "read checkpoint");
  int64_t v = s->i64(0);
  if (v < 0) return Status(ErrorCode::kCorruption, "checkpoint of " + name + " is negative");
  return static_cast<uint64_t>(v);
}

Status write_checkpoint(ReadModelTxn& txn, const std::string& name, uint64_t position) {
  Status err;
  Stmt* s = txn.statement(kUpsertCheckpoint, err);
  if (s == nullptr) return err;
  s->bind(1, name);
  s->bind(2, static_cast<int64_t>(position));
  return txn.run(*s, "write checkpoint");
}

// The envelope checks of EventLog::open without the decryption: the header parses, the
// indexed columns agree with it, and the stored hash is the recomputed one.
Result<events::EventHeader> checked_header(const events::RawEvent& raw) {
  auto where = [&](ErrorCode code, const std::string& why) {
    return Status(code, why + " (position " + std::to_string(raw.position) + ")");
  };
  auto h = events::decode_header(raw.header_bytes);
  if (!h) return where(h.status().code(), h.status().message());
  if (h->position != raw.position || h->stream_id != raw.stream_id || h->version != raw.version)
    return where(ErrorCode::kIntegrity, "stored columns disagree with the header");
  events::Hash computed = events::chain_hash(raw.header_bytes, raw.ciphertext);
  if (!secure_equal(computed, raw.hash))
    return where(ErrorCode::kIntegrity, "event hash does not match");
  return h;
}

}  // namespace

ProjectionRunner::ProjectionRunner(events::EventLog& log, RunnerOptions options)
    : log_(log), options_(std::move(options)), store_source_(log.store()) {
  if (options_.page_size == 0) options_.page_size = 1;
}

ProjectionRunner::~ProjectionRunner() { stop(); }

Result<std::unique_ptr<ProjectionRunner>> ProjectionRunner::open(
    events::EventLog& log, std::vector<std::unique_ptr<Projection>> projections,
    RunnerOptions options) {
  std::unique_ptr<ProjectionRunner> r(new ProjectionRunner(log, std::move(options)));
  std::set<std::string> names;
  for (auto& p : projections) {
    if (!names.insert(p->name()).second)
      return Status(ErrorCode::kInvalidArgument, "two projections named " + p->name());
    auto e = std::make_unique<Entry>();
    e->projection = std::move(p);
    r->entries_.push_back(std::move(e));
  }
  auto db = ReadModelDb::open(r->options_.db_path, false);
  if (!db) return db.status();
  r->db_ = std::move(db.value());
  auto txn = ReadModelTxn::begin(*r->db_);
  if (!txn) return txn.status();
  RXP_RETURN_IF_ERROR((*txn)->exec(kCreateCheckpoints, "create checkpoints table"));
  for (auto& e : r->entries_) {
    RXP_RETURN_IF_ERROR(e->projection->create_tables(**txn));
    auto cp = read_checkpoint(**txn, e->projection->name());
    if (!cp) return cp.status();
    e->checkpoint = *cp;
  }
  RXP_RETURN_IF_ERROR((*txn)->commit());
  return r;
}

ProjectionRunner::Entry* ProjectionRunner::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e->projection->name() == name) return e.get();
  return nullptr;
}

Result<size_t> ProjectionRunner::step() {
  std::lock_guard lock(step_mu_);
  return step_locked(store_source_);
}

Result<size_t> ProjectionRunner::step_locked(EventSource& source) {
  if (entries_.empty()) return size_t{0};
  auto txn = ReadModelTxn::begin(*db_);
  if (!txn) return txn.status();
  // Checkpoints are read inside the write transaction: whoever else advanced them (another
  // runner, a rebuild from the command line) is seen here, so nothing is applied twice.
  std::vector<uint64_t> cps(entries_.size());
  uint64_t low = std::numeric_limits<uint64_t>::max();
  for (size_t p = 0; p < entries_.size(); ++p) {
    auto cp = read_checkpoint(**txn, entries_[p]->projection->name());
    if (!cp) return cp.status();
    cps[p] = *cp;
    entries_[p]->checkpoint = *cp;
    low = std::min(low, *cp);
  }
  auto raws = source.read(low + 1, options_.page_size);
  if (!raws) return raws.status();
  if (raws->empty()) return size_t{0};  // nothing new; the transaction rolls back

  const std::vector<uint64_t> before = cps;
  for (size_t i = 0; i < raws->size(); ++i) {
    const events::RawEvent& raw = (*raws)[i];
    // Positions are gapless in commit order; a gap means a damaged store, never a skip.
    if (raw.position != low + 1 + i)
      return Status(ErrorCode::kCorruption, "position " + std::to_string(low + 1 + i) +
                                                " is missing from the event log");
    auto header = checked_header(raw);
    if (!header) return header.status();
    std::optional<events::RecordedEvent> opened;
    for (size_t p = 0; p < entries_.size(); ++p) {
      if (cps[p] >= raw.position) continue;
      Projection& proj = *entries_[p]->projection;
      if (cps[p] + 1 != raw.position)
        return in_projection(Status(ErrorCode::kCorruption, "checkpoint is not contiguous"),
                             proj.name(), raw.position);
      if (proj.wants(*header)) {
        if (!opened) {
          auto payload = log_.open_payload(raw, *header);
          if (!payload) return payload.status();
          opened.emplace();
          opened->header = *header;
          std::copy_n(raw.hash.begin(), opened->hash.size(), opened->hash.begin());
          opened->payload = std::move(payload.value());
        }
        if (Status st = proj.apply(**txn, *opened); !st)
          return in_projection(st, proj.name(), raw.position);
      }
      cps[p] = raw.position;
    }
  }
  for (size_t p = 0; p < entries_.size(); ++p)
    if (cps[p] != before[p])
      RXP_RETURN_IF_ERROR(write_checkpoint(**txn, entries_[p]->projection->name(), cps[p]));
  RXP_RETURN_IF_ERROR((*txn)->commit());
  for (size_t p = 0; p < entries_.size(); ++p) entries_[p]->checkpoint = cps[p];
  return raws->size();
}

Status ProjectionRunner::catch_up() {
  auto head = log_.store().head_position();
  if (!head) return head.status();
  for (;;) {
    std::lock_guard lock(step_mu_);
    auto n = step_locked(store_source_);
    if (!n) return n.status();
    uint64_t low = std::numeric_limits<uint64_t>::max();
    for (const auto& e : entries_) low = std::min(low, e->checkpoint.load());
    if (*n == 0 || entries_.empty() || low >= *head) return Status::ok();
  }
}

void ProjectionRunner::start() {
  if (running_.load()) return;
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(status_mu_);
    background_status_ = Status::ok();
  }
  stop_requested_ = false;
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void ProjectionRunner::stop() {
  stop_requested_ = true;
  if (thread_.joinable()) thread_.join();
}

Status ProjectionRunner::background_status() const {
  std::lock_guard lock(status_mu_);
  return background_status_;
}

void ProjectionRunner::run() {
  EventSource& source = options_.source != nullptr ? *options_.source : store_source_;
  Status failure;
  while (!stop_requested_.load()) {
    Result<size_t> n = [&] {
      std::lock_guard lock(step_mu_);
      return step_locked(source);
    }();
    if (!n) {
      failure = n.status();
      break;
    }
    if (*n != 0) continue;
    uint64_t low = std::numeric_limits<uint64_t>::max();
    for (const auto& e : entries_) low = std::min(low, e->checkpoint.load());
    if (entries_.empty()) low = 0;
    // Wakes at once on this process's commits; the timeout bounds the delay for other
    // processes' commits and for stop().
    if (Status st = source.wait(low, options_.poll); !st) {
      failure = st;
      break;
    }
  }
  {
    std::lock_guard lock(status_mu_);
    background_status_ = failure;
  }
  running_ = false;
}

Status ProjectionRunner::rebuild(const std::string& name) {
  Entry* e = find(name);
  if (e == nullptr) return Status(ErrorCode::kNotFound, "no projection named " + name);
  {
    std::lock_guard lock(step_mu_);
    db_->clear_statements();  // DROP TABLE needs no statement of the connection to be active
    auto txn = ReadModelTxn::begin(*db_);
    if (!txn) return txn.status();
    RXP_RETURN_IF_ERROR(e->projection->drop_tables(**txn));
    Status err;
    Stmt* del = (*txn)->statement(kDeleteCheckpoint, err);
    if (del == nullptr) return err;
    del->bind(1, name);
    RXP_RETURN_IF_ERROR((*txn)->run(*del, "delete checkpoint"));
    RXP_RETURN_IF_ERROR(e->projection->create_tables(**txn));
    RXP_RETURN_IF_ERROR((*txn)->commit());
    e->checkpoint = 0;
  }
  return catch_up();
}

Result<uint64_t> ProjectionRunner::checkpoint(const std::string& name) const {
  Entry* e = find(name);
  if (e == nullptr) return Status(ErrorCode::kNotFound, "no projection named " + name);
  return e->checkpoint.load();
}

Result<uint64_t> ProjectionRunner::lag(const std::string& name) const {
  auto cp = checkpoint(name);
  if (!cp) return cp.status();
  auto head = log_.store().head_position();
  if (!head) return head.status();
  return *head > *cp ? *head - *cp : 0;
}

Result<std::vector<ProjectionState>> ProjectionRunner::states() const {
  auto head = log_.store().head_position();
  if (!head) return head.status();
  std::vector<ProjectionState> out;
  for (const auto& e : entries_) {
    uint64_t cp = e->checkpoint.load();
    out.push_back({e->projection->name(), cp, *head, *head > cp ? *head - cp : 0});
  }
  return out;
}

}  // namespace rxp::projections
