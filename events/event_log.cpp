#include "events/event_log.hpp"

#include <sodium.h>

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace rxp::events {
namespace {

constexpr size_t kReadCacheLimit = 200000;  // unwrapped DEKs kept for reads (32 B each)

// Nonces for one batch: a ChaCha20 keystream from a fresh 32-byte random seed. 192-bit
// nonces drawn this way are as unpredictable as independent random ones, at one getrandom
// call per batch instead of one per event.
class NonceSource {
 public:
  NonceSource() { secure_random(seed_, sizeof seed_); }
  ~NonceSource() { secure_wipe(seed_, sizeof seed_); }
  void next(Nonce& out) {
    if (used_ == pool_.size()) refill();
    std::copy_n(pool_.begin() + static_cast<long>(used_), out.size(), out.begin());
    used_ += out.size();
  }

 private:
  void refill() {
    // Each refill is a new stream: the seed is hashed with a counter.
    uint8_t block_seed[32];
    crypto_generichash(block_seed, sizeof block_seed, reinterpret_cast<const uint8_t*>(&counter_),
                       sizeof counter_, seed_, sizeof seed_);
    ++counter_;
    randombytes_buf_deterministic(pool_.data(), pool_.size(), block_seed);
    secure_wipe(block_seed, sizeof block_seed);
    used_ = 0;
  }
  uint8_t seed_[32];
  uint64_t counter_ = 0;
  std::array<uint8_t, 24 * 128> pool_{};
  size_t used_ = 24 * 128;
};

struct WriteDek {
  std::string dek_id;
  uint32_t version = 0;
  Key32 key;
};

void seal_into(const Key32& dek, const Nonce& nonce, BytesView ad, BytesView plaintext, Bytes& ct) {
  ct.resize(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(ct.data(), &clen, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, nonce.data(),
                                             dek.data());
  ct.resize(clen);
}

Status where(const Status& st, const RawEvent& raw) {
  return Status(st.code(), st.message() + " (position " + std::to_string(raw.position) +
                               ", stream " + raw.stream_id + " version " +
                               std::to_string(raw.version) + ")");
}

}  // namespace

PendingEvent make_pending(const DomainEvent& event, Principal principal,
                          std::string correlation_id, std::string causation_id) {
  PendingEvent p;
  p.payload = encode(event);
  p.principal = std::move(principal);
  p.correlation_id = std::move(correlation_id);
  p.causation_id = std::move(causation_id);
  return p;
}

struct EventLog::Impl {
  EventStore& store;
  KeyRing& keys;
  const Clock& clock;
  std::shared_mutex keys_mu;  // exclusive only while the KEK set changes
  std::mutex cache_mu;        // write_deks
  std::shared_mutex read_mu;  // read_deks: looked up for every event read, by many threads
  std::unordered_map<std::string, WriteDek> write_deks;  // stream -> current DEK
  std::unordered_map<std::string, Key32> read_deks;      // dek id -> key

  Impl(EventStore& s, KeyRing& k, const Clock& c) : store(s), keys(k), clock(c) {}

  // The stream's current DEK for writing, creating one inside `txn` when it has none. A DEK
  // created here exists only if the transaction commits, so it goes to `fresh` and into the
  // cache only after commit. The pointer stays valid for the transaction: write_deks is
  // changed only by writers, and writers are serialized by the store's write transaction
  // (node-based maps keep element addresses across inserts).
  Result<const WriteDek*> dek_for_write(WriteTxn& txn, const std::string& stream,
                                        std::unordered_map<std::string, WriteDek>& fresh) {
    if (auto it = fresh.find(stream); it != fresh.end()) return &it->second;
    {
      std::lock_guard lock(cache_mu);
      if (auto it = write_deks.find(stream); it != write_deks.end()) return &it->second;
    }
    auto current = txn.current_dek(stream);
    if (!current) return current.status();
    std::shared_lock klock(keys_mu);
    if (current.value()) {
      auto key = keys.unwrap(**current);
      if (!key) return key.status();
      std::lock_guard lock(cache_mu);
      WriteDek& d = write_deks[stream];
      d = WriteDek{(*current)->dek_id, (*current)->version, key.value()};
      return &d;
    }
    WriteDek d;
    d.version = 1;
    auto wrapped = keys.new_dek(stream, 1, clock.now_us(), d.key);
    if (!wrapped) return wrapped.status();
    RXP_RETURN_IF_ERROR(txn.insert_dek(*wrapped));
    d.dek_id = wrapped->dek_id;
    return &(fresh[stream] = d);
  }

  Result<Key32> dek_for_read(const EventHeader& h) {
    {
      std::shared_lock lock(read_mu);
      if (auto it = read_deks.find(h.key_id); it != read_deks.end()) return it->second;
    }
    auto w = store.find_dek(h.key_id);
    if (!w) return w.status();
    if (!w.value()) {
      auto shredded = store.is_shredded(h.stream_id);
      if (!shredded) return shredded.status();
      if (*shredded) return Status(ErrorCode::kShredded, "stream keys were destroyed");
      return Status(ErrorCode::kKeyError, "DEK " + h.key_id + " is missing");
    }
    if ((*w)->stream_id != h.stream_id)
      return Status(ErrorCode::kIntegrity, "DEK " + h.key_id + " belongs to another stream");
    std::shared_lock klock(keys_mu);
    auto key = keys.unwrap(**w);
    if (!key) return key.status();
    std::unique_lock lock(read_mu);
    if (read_deks.size() >= kReadCacheLimit) read_deks.clear();
    read_deks[h.key_id] = key.value();
    return key;
  }

  // Appends one request inside txn. A conflict or bad request is the request's own result
  // (nothing of it written); any other failure is returned as `fatal` and aborts the batch.
  Result<AppendResult> append_one(WriteTxn& txn, const AppendRequest& r, uint64_t& position,
                                  std::unordered_map<std::string, WriteDek>& fresh,
                                  NonceSource& nonces, Status& fatal) {
    auto head = txn.stream_head(r.stream_id);
    if (!head) return fatal = head.status();
    if (head->shredded)
      return Status(ErrorCode::kShredded, "stream " + r.stream_id + " was shredded");
    if (r.expected_version != kAnyVersion && head->version != r.expected_version)
      return Status(ErrorCode::kConflict, "stream " + r.stream_id + " expected version " +
                                              std::to_string(r.expected_version) +
                                              ", stream is at " + std::to_string(head->version));
    auto dek = dek_for_write(txn, r.stream_id, fresh);
    if (!dek) return fatal = dek.status();
    AppendResult res;
    res.first_position = position + 1;
    // One header and one row are reused for every event of the request: the store binds their
    // buffers only for the duration of insert_event.
    EventHeader h;
    h.stream_id = r.stream_id;
    h.key_id = (*dek)->dek_id;
    h.prev_hash = head->hash;
    RawEvent raw;
    raw.stream_id = r.stream_id;
    raw.hash.resize(kZeroHash.size());
    uint64_t version = head->version;
    int64_t now = clock.now_us();
    for (const auto& ev : r.events) {
      h.position = ++position;
      h.version = ++version;
      h.type = ev.payload.type;
      h.schema_version = ev.payload.schema_version;
      h.occurred_at_us = ev.occurred_at_us != 0 ? ev.occurred_at_us : now;
      h.causation_id = ev.causation_id;
      h.correlation_id = ev.correlation_id;
      h.principal = ev.principal;
      nonces.next(h.nonce);
      raw.position = h.position;
      raw.version = h.version;
      encode_header_into(h, raw.header_bytes);
      seal_into((*dek)->key, h.nonce, raw.header_bytes, ev.payload.bytes, raw.ciphertext);
      h.prev_hash = chain_hash(raw.header_bytes, raw.ciphertext);
      std::copy(h.prev_hash.begin(), h.prev_hash.end(), raw.hash.begin());
      if (Status st = txn.insert_event(raw); !st) return fatal = st;
    }
    res.last_position = position;
    res.last_version = version;
    return res;
  }
};

EventLog::EventLog(EventStore& store, KeyRing& keys, const Clock& clock)
    : impl_(std::make_unique<Impl>(store, keys, clock)), store_(store) {}
EventLog::~EventLog() = default;

const KeyRing& EventLog::keys() const { return impl_->keys; }

static Status validate_request(const AppendRequest& r) {
  if (!is_valid_stream_id(r.stream_id))
    return Status(ErrorCode::kInvalidArgument, "stream_id is not of the form <kind>/<opaque id>");
  if (r.events.empty()) return Status(ErrorCode::kInvalidArgument, "append of no events");
  for (const auto& ev : r.events)
    RXP_RETURN_IF_ERROR(validate_event_fields(ev.payload.type, ev.payload.schema_version,
                                              ev.causation_id, ev.correlation_id, ev.principal));
  return Status::ok();
}

std::vector<Result<AppendResult>> EventLog::append_batch(
    const std::vector<AppendRequest>& requests) {
  std::vector<Result<AppendResult>> results;
  results.reserve(requests.size());
  std::vector<bool> valid(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    Status st = validate_request(requests[i]);
    valid[i] = st.is_ok();
    results.emplace_back(st.is_ok() ? Status(ErrorCode::kInternal, "not run") : st);
  }
  auto fail_all = [&](const Status& st) {
    for (size_t i = 0; i < requests.size(); ++i)
      if (valid[i]) results[i] = st;
    return results;
  };
  auto txn = store_.begin_write();
  if (!txn) return fail_all(txn.status());
  std::vector<std::string> streams;
  for (size_t i = 0; i < requests.size(); ++i)
    if (valid[i]) streams.push_back(requests[i].stream_id);
  if (Status st = (*txn)->prefetch_heads(streams); !st) return fail_all(st);
  auto last = (*txn)->last_position();
  if (!last) return fail_all(last.status());
  uint64_t position = *last;
  std::unordered_map<std::string, WriteDek> fresh;
  NonceSource nonces;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!valid[i]) continue;
    Status fatal;
    results[i] = impl_->append_one(**txn, requests[i], position, fresh, nonces, fatal);
    if (!fatal) return fail_all(fatal);  // txn destructor rolls back; fresh DEKs forgotten
  }
  if (Status st = (*txn)->commit(); !st) return fail_all(st);
  std::lock_guard lock(impl_->cache_mu);
  for (auto& [stream, dek] : fresh) impl_->write_deks[stream] = dek;
  return results;
}

Result<AppendResult> EventLog::append(const AppendRequest& request) {
  return std::move(append_batch({request})[0]);
}

Status EventLog::check_envelope(const RawEvent& raw, EventHeader& header) {
  auto h = decode_header(raw.header_bytes);
  if (!h) return where(h.status(), raw);
  header = std::move(h.value());
  if (header.position != raw.position || header.stream_id != raw.stream_id ||
      header.version != raw.version)
    return where(Status(ErrorCode::kIntegrity, "stored columns disagree with the header"), raw);
  Hash computed = chain_hash(raw.header_bytes, raw.ciphertext);
  if (!secure_equal(computed, raw.hash))
    return where(Status(ErrorCode::kIntegrity, "event hash does not match"), raw);
  return Status::ok();
}

Result<Bytes> EventLog::decrypt_checked(const RawEvent& raw, const EventHeader& header) {
  auto dek = impl_->dek_for_read(header);
  if (!dek) return dek.status().code() == ErrorCode::kShredded ? dek.status() : where(dek.status(), raw);
  if (raw.ciphertext.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return where(Status(ErrorCode::kIntegrity, "ciphertext too short"), raw);
  Bytes plain(raw.ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &mlen, nullptr, raw.ciphertext.data(), raw.ciphertext.size(),
          raw.header_bytes.data(), raw.header_bytes.size(), header.nonce.data(),
          dek->data()) != 0)
    return where(Status(ErrorCode::kIntegrity, "payload does not authenticate"), raw);
  return plain;
}

Result<std::optional<DomainEvent>> EventLog::open_payload(const RawEvent& raw,
                                                          const EventHeader& header) {
  auto plain = decrypt_checked(raw, header);
  if (!plain) {
    if (plain.status().code() == ErrorCode::kShredded) return std::optional<DomainEvent>();
    return plain.status();
  }
  auto ev = decode(header.type, header.schema_version, *plain);
  secure_wipe(plain->data(), plain->size());
  if (!ev) return where(ev.status(), raw);
  return std::optional<DomainEvent>(std::move(ev.value()));
}

Result<RecordedEvent> EventLog::open(const RawEvent& raw) {
  RecordedEvent out;
  RXP_RETURN_IF_ERROR(check_envelope(raw, out.header));
  std::copy_n(raw.hash.begin(), out.hash.size(), out.hash.begin());
  auto payload = open_payload(raw, out.header);
  if (!payload) return payload.status();
  out.payload = std::move(payload.value());
  return out;
}

Result<std::vector<RecordedEvent>> EventLog::read_stream(const std::string& stream_id,
                                                         uint64_t from_version, size_t max) {
  auto raws = store_.read_stream(stream_id, from_version, max);
  if (!raws) return raws.status();
  std::vector<RecordedEvent> out;
  out.reserve(raws->size());
  for (const auto& raw : *raws) {
    auto ev = open(raw);
    if (!ev) return ev.status();
    bool linked = out.empty() ? (from_version > 1 || ev->header.prev_hash == kZeroHash)
                              : ev->header.prev_hash == out.back().hash;
    if (!linked || ev->header.version != from_version + out.size())
      return where(Status(ErrorCode::kIntegrity, "stream chain is broken"), raw);
    out.push_back(std::move(ev.value()));
  }
  return out;
}

Result<std::vector<RecordedEvent>> EventLog::read_all(uint64_t from_position, size_t max) {
  auto raws = store_.read_all(from_position, max);
  if (!raws) return raws.status();
  std::vector<RecordedEvent> out;
  out.reserve(raws->size());
  for (const auto& raw : *raws) {
    auto ev = open(raw);
    if (!ev) return ev.status();
    out.push_back(std::move(ev.value()));
  }
  return out;
}

static std::string snapshot_ad(const std::string& stream, uint64_t version, uint32_t schema,
                               const std::string& key_id) {
  return "rxportal.snapshot.v1|" + stream + "|" + std::to_string(version) + "|" +
         std::to_string(schema) + "|" + key_id;
}

Status EventLog::save_snapshot(const std::string& stream_id, uint64_t version, uint32_t schema,
                               BytesView plaintext) {
  auto current = [&]() -> Result<std::optional<WrappedDek>> {
    auto txn = store_.begin_write();  // reads the current DEK consistently with writers
    if (!txn) return txn.status();
    return (*txn)->current_dek(stream_id);
  }();
  if (!current) return current.status();
  if (!current.value()) return Status(ErrorCode::kNotFound, "stream " + stream_id + " has no key");
  EventHeader probe;
  probe.stream_id = stream_id;
  probe.key_id = (*current)->dek_id;
  auto dek = impl_->dek_for_read(probe);
  if (!dek) return dek.status();
  SnapshotRow row;
  row.stream_id = stream_id;
  row.version = version;
  row.schema = schema;
  row.key_id = probe.key_id;
  row.nonce.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  secure_random(row.nonce.data(), row.nonce.size());
  std::string ad = snapshot_ad(stream_id, version, schema, row.key_id);
  Nonce nonce;
  std::copy(row.nonce.begin(), row.nonce.end(), nonce.begin());
  seal_into(*dek, nonce, as_bytes(ad), plaintext, row.ciphertext);
  return store_.save_snapshot(row);
}

Result<std::optional<EventLog::Snapshot>> EventLog::load_snapshot(const std::string& stream_id) {
  auto row = store_.load_snapshot(stream_id);
  if (!row) return row.status();
  if (!row.value()) return std::optional<Snapshot>();
  const SnapshotRow& r = **row;
  EventHeader probe;
  probe.stream_id = stream_id;
  probe.key_id = r.key_id;
  auto dek = impl_->dek_for_read(probe);
  if (!dek) return dek.status();
  if (r.nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      r.ciphertext.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return Status(ErrorCode::kIntegrity, "snapshot of " + stream_id + " is malformed");
  std::string ad = snapshot_ad(stream_id, r.version, r.schema, r.key_id);
  Snapshot out;
  out.version = r.version;
  out.schema = r.schema;
  out.plaintext.resize(r.ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.plaintext.data(), &mlen, nullptr, r.ciphertext.data(), r.ciphertext.size(),
          reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), r.nonce.data(), dek->data()) != 0)
    return Status(ErrorCode::kIntegrity, "snapshot of " + stream_id + " does not authenticate");
  return std::optional<Snapshot>(std::move(out));
}

Result<uint32_t> EventLog::rotate_dek(const std::string& stream_id) {
  if (!is_valid_stream_id(stream_id))
    return Status(ErrorCode::kInvalidArgument, "stream_id is not of the form <kind>/<opaque id>");
  auto txn = store_.begin_write();
  if (!txn) return txn.status();
  auto head = (*txn)->stream_head(stream_id);
  if (!head) return head.status();
  if (head->shredded) return Status(ErrorCode::kShredded, "stream " + stream_id + " was shredded");
  auto current = (*txn)->current_dek(stream_id);
  if (!current) return current.status();
  if (!current.value()) return Status(ErrorCode::kNotFound, "stream " + stream_id + " has no key");
  WriteDek d;
  d.version = (*current)->version + 1;
  std::shared_lock klock(impl_->keys_mu);
  auto wrapped = impl_->keys.new_dek(stream_id, d.version, impl_->clock.now_us(), d.key);
  if (!wrapped) return wrapped.status();
  RXP_RETURN_IF_ERROR((*txn)->insert_dek(*wrapped));
  RXP_RETURN_IF_ERROR((*txn)->commit());
  d.dek_id = wrapped->dek_id;
  std::lock_guard lock(impl_->cache_mu);
  impl_->write_deks[stream_id] = d;
  return d.version;
}

Status EventLog::shred(const std::string& stream_id) {
  if (!is_valid_stream_id(stream_id))
    return Status(ErrorCode::kInvalidArgument, "stream_id is not of the form <kind>/<opaque id>");
  auto txn = store_.begin_write();
  if (!txn) return txn.status();
  auto head = (*txn)->stream_head(stream_id);
  if (!head) return head.status();
  if (head->version == 0) return Status(ErrorCode::kNotFound, "no stream " + stream_id);
  RXP_RETURN_IF_ERROR((*txn)->shred_stream(stream_id, impl_->clock.now_us()));
  RXP_RETURN_IF_ERROR((*txn)->commit());
  txn.value().reset();  // releases the writer before purge_deleted takes it again
  {
    std::lock_guard lock(impl_->cache_mu);
    impl_->write_deks.erase(stream_id);
  }
  {
    std::unique_lock lock(impl_->read_mu);
    impl_->read_deks.clear();
  }
  return store_.purge_deleted();
}

Result<std::string> EventLog::rotate_kek() {
  // Order for crash safety: (1) the key file gains the new KEK, (2) every DEK is rewrapped in
  // one transaction, (3) the old KEKs leave the key file. A crash between steps leaves both
  // KEKs in the file, and every DEK names the KEK that wraps it.
  std::unique_lock klock(impl_->keys_mu);
  std::vector<std::string> old = impl_->keys.kek_ids();
  auto added = impl_->keys.add_kek();
  if (!added) return added.status();
  auto txn = store_.begin_write();
  if (!txn) return txn.status();
  auto deks = (*txn)->all_deks();
  if (!deks) return deks.status();
  for (const auto& w : *deks) {
    auto re = impl_->keys.rewrap(w);
    if (!re) return re.status();
    RXP_RETURN_IF_ERROR((*txn)->update_wrapped_dek(*re));
  }
  RXP_RETURN_IF_ERROR((*txn)->commit());
  for (const auto& id : old) RXP_RETURN_IF_ERROR(impl_->keys.remove_kek(id));
  return added.value();
}

}  // namespace rxp::events
