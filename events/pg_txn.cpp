#include "events/pg_txn.hpp"

#include <algorithm>

namespace rxp::events::pgstore {

using pg::Params;
using pg::Res;

namespace {

// One statement for the whole buffer. rxp_check raises unless every DEK and event went in,
// each stream's first new version follows a stored one (no gap; a stale writer's duplicate
// version already fails the unique key) and the head advanced from exactly the position this
// transaction saw. Rows inserted by this very statement are not visible to its reads, so
// the predecessor check sees only earlier statements and transactions, as it should.
constexpr const char* kFlushSql = R"sql(
WITH d AS (
  INSERT INTO rxp_deks (dek_id, stream_id, version, kek_id, wrapped, created_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::bytea[], $6::int8[])
  RETURNING 1),
e AS (
  INSERT INTO rxp_events (position, stream_id, version, header, payload, hash)
  SELECT * FROM unnest($7::int8[], $8::text[], $9::int8[], $10::bytea[], $11::bytea[], $12::bytea[])
  RETURNING 1),
u AS (SELECT * FROM unnest($13::text[], $14::int8[]) AS u (s, f)),
h AS (UPDATE rxp_head SET position = $16 WHERE id = 1 AND position = $15 RETURNING 1)
SELECT rxp_check((SELECT count(*) FROM d) = cardinality($1::text[]) AND
                 (SELECT count(*) FROM e) = cardinality($7::int8[]), 'fewer rows stored than sent'),
       rxp_check((SELECT count(*) FROM u JOIN rxp_events p ON p.stream_id = u.s AND p.version = u.f - 1) =
                 (SELECT count(*) FROM u WHERE u.f > 1), 'a stream would have a gap'),
       rxp_check((SELECT count(*) FROM h) = 1, 'the head moved under a stale writer')
)sql";

constexpr const char* kDekColumns = "dek_id, stream_id, version, kek_id, wrapped, created_at";

Status not_written(const Status& st) {
  return Status(st.code(), "append failed, nothing was written: " + st.message());
}

}  // namespace

// Heads of several streams under the head lock, each with its current DEK (the append that
// asks for a head asks for the DEK next).
constexpr const char* kHeadsSql =
    "SELECT s.id, e.version, e.hash, EXISTS (SELECT 1 FROM rxp_shredded WHERE stream_id = s.id), "
    "k.dek_id, k.stream_id, k.version, k.kek_id, k.wrapped, k.created_at FROM unnest($1::text[]) AS s (id) "
    "LEFT JOIN LATERAL (SELECT version, hash FROM rxp_events WHERE stream_id = s.id "
    "ORDER BY version DESC LIMIT 1) e ON true "
    "LEFT JOIN LATERAL (SELECT * FROM rxp_deks WHERE stream_id = s.id ORDER BY version DESC LIMIT 1) k ON true";

PgTxn::PgTxn(PgStore& store, std::unique_lock<std::mutex> lock) : store_(store), lock_(std::move(lock)) {}

PgTxn::~PgTxn() {
  if (started_ && !done_ && store_.wconn_.healthy()) (void)store_.wconn_.exec("ROLLBACK", "rollback");
  if (!done_) store_.known_generation_ = std::numeric_limits<uint64_t>::max();
}

bool PgTxn::hook(const char* point) {
  return store_.options_.test_hook && store_.options_.test_hook(point, store_.wconn_.backend_pid());
}

Status PgTxn::start(const std::vector<std::string>& streams) {
  if (started_) return Status::ok();
  std::vector<std::string> want;
  for (const auto& s : streams)
    if (!store_.heads_.count(s) && std::find(want.begin(), want.end(), s) == want.end()) want.push_back(s);
  Status st = try_start(want);
  if (!st && !started_ && !store_.wconn_.healthy()) {  // the server restarted since the last write
    RXP_RETURN_IF_ERROR(store_.reconnect(store_.wconn_));
    st = try_start(want);
  }
  return st;
}

Status PgTxn::try_start(const std::vector<std::string>& want) {
  // BEGIN, the head lock and the heads this batch needs: one round trip.
  Params p;
  p.text_array(want);
  std::vector<pg::PgConn::Step> steps = {{"BEGIN", nullptr},
                                         {"SELECT position, generation FROM rxp_head WHERE id = 1 FOR UPDATE", nullptr}};
  if (!want.empty()) steps.push_back({kHeadsSql, &p});
  std::vector<Res> res;
  Status st = store_.wconn_.pipeline(steps, "cannot begin a write", nullptr, &res);
  if (st && res[1].rows() != 1) st = Status(ErrorCode::kCorruption, "the PostgreSQL event store has no head row");
  if (!st) {
    if (store_.wconn_.healthy()) (void)store_.wconn_.exec("ROLLBACK", "rollback");  // BEGIN may have run
    return st;
  }
  started_ = true;
  head_at_begin_ = static_cast<uint64_t>(res[1].i64(0, 0));
  generation_ = static_cast<uint64_t>(res[1].i64(0, 1));
  flushed_head_ = head_at_begin_;
  next_position_ = head_at_begin_ + 1;
  // Another writer (process or node) committed since our last commit: cached heads may be
  // stale. (The heads read just now were read under the lock: they are current.)
  if (generation_ != store_.known_generation_) store_.heads_.clear();
  return want.empty() ? Status::ok() : take_heads(res[2]);
}

Status PgTxn::take_heads(const Res& r) {
  if (store_.heads_.size() + static_cast<size_t>(r.rows()) >= PgStore::kHeadCacheLimit) store_.heads_.clear();
  for (int i = 0; i < r.rows(); ++i) {
    std::string id = r.text(i, 0);
    known_deks_[id] = r.null(i, 4) ? std::optional<WrappedDek>() : std::optional<WrappedDek>(dek_of(r, i, 4));
    StreamHead head;
    head.shredded = r.boolean(i, 3);
    if (!r.null(i, 1)) {
      head.version = static_cast<uint64_t>(r.i64(i, 1));
      Bytes h = r.bytes(i, 2);
      if (h.size() != head.hash.size())
        return Status(ErrorCode::kIntegrity, "stream " + id + " head has a malformed hash");
      std::copy(h.begin(), h.end(), head.hash.begin());
    }
    store_.heads_[id] = head;  // read under the head lock: committed state
  }
  return Status::ok();
}

Status PgTxn::prefetch_heads(const std::vector<std::string>& stream_ids) { return start(stream_ids); }

Result<uint64_t> PgTxn::last_position() {
  RXP_RETURN_IF_ERROR(start({}));
  return head_at_begin_;
}

Result<StreamHead> PgTxn::stream_head(const std::string& stream_id) {
  RXP_RETURN_IF_ERROR(start({stream_id}));
  if (auto it = pending_heads_.find(stream_id); it != pending_heads_.end()) return it->second;
  if (auto it = store_.heads_.find(stream_id); it != store_.heads_.end()) return it->second;
  Params p;
  p.text_array({stream_id});
  auto r = store_.wconn_.query(kHeadsSql, p, "cannot read a stream head");
  if (!r) return r.status();
  RXP_RETURN_IF_ERROR(take_heads(*r));
  return store_.heads_[stream_id];
}

Status PgTxn::insert_event(const RawEvent& e) {
  RXP_RETURN_IF_ERROR(start({}));
  if (e.position != next_position_)
    return Status(ErrorCode::kConflict, "position " + std::to_string(e.position) + " would leave a gap");
  auto [it, fresh] = ranges_.try_emplace(e.stream_id, e.version, e.version);
  if (fresh) {
    range_order_.push_back(e.stream_id);
  } else {
    if (e.version != it->second.second + 1)
      return Status(ErrorCode::kConflict, "stream " + e.stream_id + " version " + std::to_string(e.version) +
                                              " would leave a gap");
    it->second.second = e.version;
  }
  e_pos_.push_back(static_cast<int64_t>(e.position));
  e_ver_.push_back(static_cast<int64_t>(e.version));
  e_stream_.push_back(e.stream_id);
  e_header_.push_back(e.header_bytes);
  e_payload_.push_back(e.ciphertext);
  e_hash_.push_back(e.hash);
  if (!first_event_) first_event_ = e;
  ++next_position_;
  StreamHead& head = pending_heads_[e.stream_id];
  head.version = e.version;
  std::copy_n(e.hash.begin(), std::min(e.hash.size(), head.hash.size()), head.hash.begin());
  return Status::ok();
}

void PgTxn::flush_params(Params& p) {
  std::vector<std::string> d_id, d_stream, d_kek;
  std::vector<int64_t> d_ver, d_at;
  std::vector<Bytes> d_wrapped;
  for (const auto& d : deks_) {
    d_id.push_back(d.dek_id);
    d_stream.push_back(d.stream_id);
    d_ver.push_back(d.version);
    d_kek.push_back(d.kek_id);
    d_wrapped.push_back(d.wrapped);
    d_at.push_back(d.created_at_us);
  }
  p.text_array(d_id);
  p.text_array(d_stream);
  p.i64_array(d_ver);
  p.text_array(d_kek);
  p.bytes_array(d_wrapped);
  p.i64_array(d_at);
  p.i64_array(e_pos_);
  p.text_array(e_stream_);
  p.i64_array(e_ver_);
  p.bytes_array(e_header_);
  p.bytes_array(e_payload_);
  p.bytes_array(e_hash_);
  std::vector<int64_t> first;
  for (const auto& s : range_order_) first.push_back(static_cast<int64_t>(ranges_[s].first));
  p.text_array(range_order_);
  p.i64_array(first);
  p.i64(static_cast<int64_t>(flushed_head_));
  p.i64(static_cast<int64_t>(next_position_ - 1));
}

void PgTxn::clear_buffer() {
  flushed_head_ = next_position_ - 1;
  e_pos_.clear();
  e_ver_.clear();
  e_stream_.clear();
  e_header_.clear();
  e_payload_.clear();
  e_hash_.clear();
  deks_.clear();
  range_order_.clear();
  ranges_.clear();
}

Status PgTxn::flush() {
  if (buffer_empty()) return Status::ok();
  Params p;
  flush_params(p);
  auto r = store_.wconn_.query(kFlushSql, p, "cannot append");
  if (!r) return not_written(r.status());
  clear_buffer();
  return Status::ok();
}

Result<std::optional<WrappedDek>> PgTxn::current_dek(const std::string& stream_id) {
  RXP_RETURN_IF_ERROR(start({}));
  const WrappedDek* best = nullptr;
  for (const auto& d : deks_)
    if (d.stream_id == stream_id && (best == nullptr || d.version > best->version)) best = &d;
  if (best != nullptr) return std::optional<WrappedDek>(*best);
  if (auto it = known_deks_.find(stream_id); it != known_deks_.end()) return it->second;
  Params p;
  p.text(stream_id);
  std::string sql = "SELECT ";
  sql += kDekColumns;
  sql += " FROM rxp_deks WHERE stream_id = $1 ORDER BY version DESC LIMIT 1";
  auto r = store_.wconn_.query(sql.c_str(), p, "cannot read a DEK");
  if (!r) return r.status();
  if (r->rows() == 0) return std::optional<WrappedDek>();
  return std::optional<WrappedDek>(dek_of(*r, 0));
}

Status PgTxn::insert_dek(const WrappedDek& dek) {
  RXP_RETURN_IF_ERROR(start({}));
  deks_.push_back(dek);
  if (!first_dek_) first_dek_ = dek;
  return Status::ok();
}

Result<std::vector<WrappedDek>> PgTxn::all_deks() {
  RXP_RETURN_IF_ERROR(start({}));
  RXP_RETURN_IF_ERROR(flush());
  std::string sql = "SELECT ";
  sql += kDekColumns;
  sql += " FROM rxp_deks ORDER BY dek_id";
  auto r = store_.wconn_.query(sql.c_str(), "cannot read DEKs");
  if (!r) return r.status();
  std::vector<WrappedDek> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(dek_of(*r, i));
  return out;
}

Status PgTxn::update_wrapped_dek(const WrappedDek& dek) {
  RXP_RETURN_IF_ERROR(start({}));
  RXP_RETURN_IF_ERROR(flush());
  known_deks_.clear();
  Params p;
  p.text(dek.dek_id);
  p.text(dek.kek_id);
  p.bytes(dek.wrapped);
  auto r = store_.wconn_.query("UPDATE rxp_deks SET kek_id = $2, wrapped = $3 WHERE dek_id = $1", p,
                               "cannot rewrap a DEK");
  return r ? Status::ok() : r.status();
}

Status PgTxn::shred_stream(const std::string& stream_id, int64_t at_us) {
  RXP_RETURN_IF_ERROR(start({}));
  RXP_RETURN_IF_ERROR(flush());
  known_deks_.erase(stream_id);
  Params p;
  p.text(stream_id);
  p.i64(at_us);
  auto r = store_.wconn_.query(
      "WITH d AS (DELETE FROM rxp_deks WHERE stream_id = $1), s AS (DELETE FROM rxp_snapshots WHERE stream_id = $1) "
      "INSERT INTO rxp_shredded (stream_id, shredded_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      p, "cannot shred a stream");
  if (!r) return r.status();
  auto head = stream_head(stream_id);
  if (!head) return head.status();
  StreamHead& pending = pending_heads_[stream_id];
  pending = *head;
  pending.shredded = true;
  return Status::ok();
}

Status PgTxn::commit() {
  RXP_RETURN_IF_ERROR(start({}));
  bool cut = hook("before_flush");
  cut = hook("before_commit") || cut;
  if (cut) store_.wconn_.cut();
  // The buffer, the generation bump and COMMIT travel in one round trip. A failed step makes
  // the server skip the rest, so a refused insert never commits.
  Params p;
  std::vector<pg::PgConn::Step> steps;
  if (!buffer_empty()) {
    flush_params(p);
    steps.push_back({kFlushSql, &p});
  }
  steps.push_back({"UPDATE rxp_head SET generation = generation + 1 WHERE id = 1", nullptr});
  steps.push_back({"COMMIT", nullptr});
  Status st = store_.wconn_.pipeline(steps, "commit", [&] {
    if (hook("after_commit_sent")) store_.wconn_.cut();
  });
  if (st) {
    clear_buffer();
    done_ = true;
    for (auto& [stream, head] : pending_heads_) store_.heads_[stream] = head;
    store_.known_generation_ = generation_ + 1;
    if (flushed_head_ > head_at_begin_) store_.notify_committed(flushed_head_);
    return st;
  }
  if (store_.wconn_.healthy()) return not_written(st);  // the server refused: rolled back by the destructor
  done_ = true;
  store_.known_generation_ = std::numeric_limits<uint64_t>::max();
  clear_buffer();
  Status resolved = resolve_lost_commit();
  if (resolved && flushed_head_ > head_at_begin_) store_.notify_committed(flushed_head_);
  return resolved;
}

Status PgTxn::resolve_lost_commit() {
  Status c = store_.reconnect(store_.wconn_);
  if (!c)
    return Status(ErrorCode::kIo,
                  "commit outcome unknown: the connection to PostgreSQL was lost during COMMIT and could "
                  "not be re-established (" + c.message() + ")");
  Params p;
  Result<Res> r = Status(ErrorCode::kInternal, "no evidence");
  Bytes expected;
  if (first_event_) {
    p.text(first_event_->stream_id);
    p.i64(static_cast<int64_t>(first_event_->version));
    expected = first_event_->hash;
    r = store_.wconn_.query("SELECT hash FROM rxp_events WHERE stream_id = $1 AND version = $2", p,
                            "commit check");
  } else if (first_dek_) {
    p.text(first_dek_->dek_id);
    expected = first_dek_->wrapped;
    r = store_.wconn_.query("SELECT wrapped FROM rxp_deks WHERE dek_id = $1", p, "commit check");
  } else {
    return Status(ErrorCode::kIo, "commit outcome unknown: the connection to PostgreSQL was lost during COMMIT");
  }
  if (!r)
    return Status(ErrorCode::kIo, "commit outcome unknown: the connection to PostgreSQL was lost during COMMIT (" +
                                      r.status().message() + ")");
  if (r->rows() == 1 && r->bytes(0, 0) == expected) return Status::ok();  // it landed
  return Status(ErrorCode::kIo,
                "commit failed, nothing was written: the connection to PostgreSQL was lost during COMMIT");
}

}  // namespace rxp::events::pgstore
