// Internal to the PostgreSQL store (pg_store.cpp, pg_txn.cpp): the store and its write
// transaction. Include pg_store.hpp instead.
//
// PgTxn buffers insert_event / insert_dek and sends the buffer as one statement (flush) at
// commit, or before a read inside the transaction that must see it. It owns the store's
// writer mutex for its lifetime; destroyed without commit it rolls back.
#pragma once

#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "events/pg_conn.hpp"
#include "events/pg_store.hpp"

namespace rxp::events::pgstore {

// A DEK from columns first..first+5 (dek_id, stream_id, version, kek_id, wrapped, created_at).
WrappedDek dek_of(const pg::Res& r, int row, int first = 0);

class PgStore final : public EventStore {
 public:
  Status open(const PgOptions& o);

  Result<std::unique_ptr<WriteTxn>> begin_write() override;
  Result<std::vector<RawEvent>> read_stream(const std::string& stream_id, uint64_t from_version,
                                            size_t max) override;
  Result<std::vector<RawEvent>> read_all(uint64_t from_position, size_t max) override;
  Result<uint64_t> head_position() override;
  Result<std::optional<WrappedDek>> find_dek(const std::string& dek_id) override;
  Result<bool> is_shredded(const std::string& stream_id) override;
  Result<uint64_t> wait_beyond(uint64_t position, std::chrono::milliseconds timeout) override;
  Status check_physical() override;
  Status purge_deleted() override;
  Status save_snapshot(const SnapshotRow& row) override;
  Result<std::optional<SnapshotRow>> load_snapshot(const std::string& stream_id) override;

  // ---- used by PgTxn (under wmu_) ----
  Status reconnect(pg::PgConn& c);
  void notify_committed(uint64_t position);
  PgOptions options_;
  pg::PgConn wconn_;
  std::mutex wmu_;
  // Committed stream heads, valid while rxp_head.generation == known_generation_ (no other
  // writer committed since our own last commit). Guarded by wmu_.
  std::unordered_map<std::string, StreamHead> heads_;
  uint64_t known_generation_ = std::numeric_limits<uint64_t>::max();
  static constexpr size_t kHeadCacheLimit = 1 << 20;

 private:
  class Lease;
  Status migrate();
  Status check_schema();
  Result<int> read_schema_version();

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<pg::PgConn>> pool_;
  std::mutex notify_mu_;
  std::condition_variable notify_cv_;
  uint64_t committed_ = 0;
};

class PgTxn final : public WriteTxn {
 public:
  // The transaction starts lazily: prefetch_heads (or the first other call) sends BEGIN, the
  // head lock and the wanted heads in one round trip.
  PgTxn(PgStore& store, std::unique_lock<std::mutex> lock);
  ~PgTxn() override;
  Status prefetch_heads(const std::vector<std::string>& stream_ids) override;
  Result<uint64_t> last_position() override;
  Result<StreamHead> stream_head(const std::string& stream_id) override;
  Status insert_event(const RawEvent& e) override;
  Result<std::optional<WrappedDek>> current_dek(const std::string& stream_id) override;
  Status insert_dek(const WrappedDek& dek) override;
  Result<std::vector<WrappedDek>> all_deks() override;
  Status update_wrapped_dek(const WrappedDek& dek) override;
  Status shred_stream(const std::string& stream_id, int64_t at_us) override;
  Status commit() override;

 private:
  Status flush();
  void flush_params(pg::Params& p);
  void clear_buffer();  // after the buffer reached the server (or is lost with the connection)
  bool buffer_empty() const { return e_pos_.empty() && deks_.empty(); }
  bool hook(const char* point);
  // After the connection dropped during COMMIT: did the transaction land?
  Status resolve_lost_commit();
  Status start(const std::vector<std::string>& streams);
  Status try_start(const std::vector<std::string>& want);
  Status take_heads(const pg::Res& r);  // into the store's head cache and known_deks_

  PgStore& store_;
  std::unique_lock<std::mutex> lock_;
  bool started_ = false;
  bool done_ = false;
  uint64_t head_at_begin_ = 0;
  uint64_t generation_ = 0;
  uint64_t flushed_head_ = 0;   // rxp_head.position inside this transaction after the last flush
  uint64_t next_position_ = 0;  // the position the next insert_event must carry

  // The buffer: columns of the events and DEKs not yet sent.
  std::vector<int64_t> e_pos_, e_ver_;
  std::vector<std::string> e_stream_;
  std::vector<Bytes> e_header_, e_payload_, e_hash_;
  std::vector<WrappedDek> deks_;
  // Per stream in the buffer: first and last buffered version, in first-seen order.
  std::vector<std::string> range_order_;
  std::unordered_map<std::string, std::pair<uint64_t, uint64_t>> ranges_;

  // Heads and shreds written by this transaction; merged into the store's cache on commit.
  std::unordered_map<std::string, StreamHead> pending_heads_;
  // Current DEKs read along with stream heads in this transaction (none: the stream has none).
  std::unordered_map<std::string, std::optional<WrappedDek>> known_deks_;
  // Evidence to look up when the outcome of COMMIT is unknown.
  std::optional<RawEvent> first_event_;
  std::optional<WrappedDek> first_dek_;
};

}  // namespace rxp::events::pgstore
