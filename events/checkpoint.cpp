#include "events/checkpoint.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

namespace rxp::events {
namespace {

constexpr char kMessageTag[] = "rxportal.checkpoint.v1";
constexpr char kWitnessFormat[] = "rxportal-checkpoint-v1";
constexpr size_t kPage = 4096;

void put_be64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

template <size_t N>
std::string hex_of(const std::array<uint8_t, N>& a) {
  return to_hex(BytesView(a.data(), a.size()));
}

template <size_t N>
bool array_from_hex(const nlohmann::json& j, const char* field, std::array<uint8_t, N>& out) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return false;
  Bytes b;
  if (!from_hex(it->get<std::string>(), b) || b.size() != N) return false;
  std::copy(b.begin(), b.end(), out.begin());
  return true;
}

Principal system_principal() { return Principal{"system", "system", ""}; }

}  // namespace

Bytes checkpoint_signed_message(const Checkpoint& c) {
  Bytes m(kMessageTag, kMessageTag + sizeof kMessageTag - 1);
  put_be64(m, c.tree_size);
  m.insert(m.end(), c.root.begin(), c.root.end());
  put_be64(m, static_cast<uint64_t>(c.signed_at_us));
  m.insert(m.end(), c.key_id.begin(), c.key_id.end());
  return m;
}

bool checkpoint_signature_valid(const Checkpoint& c, const std::array<uint8_t, 32>& public_key) {
  Bytes m = checkpoint_signed_message(c);
  return crypto_sign_verify_detached(c.signature.data(), m.data(), m.size(), public_key.data()) == 0;
}

LogCheckpointed to_event(const Checkpoint& c) {
  LogCheckpointed e;
  e.tree_size = c.tree_size;
  e.root.assign(c.root.begin(), c.root.end());
  e.signed_at_us = c.signed_at_us;
  e.key_id = c.key_id;
  e.signature.assign(c.signature.begin(), c.signature.end());
  return e;
}

Result<Checkpoint> from_event(const LogCheckpointed& e) {
  Checkpoint c;
  if (e.root.size() != c.root.size() || e.signature.size() != c.signature.size())
    return Status(ErrorCode::kIntegrity, "checkpoint root or signature has a bad length");
  c.tree_size = e.tree_size;
  std::copy(e.root.begin(), e.root.end(), c.root.begin());
  c.signed_at_us = e.signed_at_us;
  c.key_id = e.key_id;
  std::copy(e.signature.begin(), e.signature.end(), c.signature.begin());
  return c;
}

Result<std::vector<MerkleHash>> read_leaf_hashes(EventStore& store) {
  std::vector<MerkleHash> leaves;
  for (;;) {
    auto page = store.read_all(leaves.size() + 1, kPage);
    if (!page) return page.status();
    for (const RawEvent& raw : *page) {
      if (raw.position != leaves.size() + 1)
        return Status(ErrorCode::kIntegrity,
                      "position " + std::to_string(leaves.size() + 1) + " is missing");
      leaves.push_back(event_leaf_hash(raw.position, chain_hash(raw.header_bytes, raw.ciphertext)));
    }
    if (page->size() < kPage) return leaves;
  }
}

Checkpointer::Checkpointer(EventLog& log, const KeyRing& keys, const Clock& clock)
    : log_(log), keys_(keys), clock_(clock) {}

Status Checkpointer::catch_up() {
  for (;;) {
    auto page = log_.store().read_all(tree_.size() + 1, kPage);
    if (!page) return page.status();
    for (const RawEvent& raw : *page) {
      if (raw.position != tree_.size() + 1)
        return Status(ErrorCode::kIntegrity,
                      "position " + std::to_string(tree_.size() + 1) + " is missing");
      tree_.add(event_leaf_hash(raw.position, chain_hash(raw.header_bytes, raw.ciphertext)));
    }
    if (page->size() < kPage) return Status::ok();
  }
}

Result<std::optional<Checkpoint>> Checkpointer::checkpoint_now() {
  RXP_RETURN_IF_ERROR(catch_up());
  if (tree_.size() == 0) return std::optional<Checkpoint>{};
  // Nothing but our own last checkpoint since then: it still describes the log.
  if (last_ && tree_.size() <= last_checkpoint_position_) return last_;
  Checkpoint c;
  c.tree_size = tree_.size();
  c.root = tree_.root();
  c.signed_at_us = clock_.now_us();
  c.key_id = keys_.signing_key_id();
  auto sig = keys_.sign(checkpoint_signed_message(c));
  if (!sig) return sig.status();
  c.signature = *sig;
  AppendRequest req;
  req.stream_id = kCheckpointStream;
  req.events.push_back(make_pending(DomainEvent(to_event(c)), system_principal(), "checkpoint"));
  auto r = log_.append(req);
  if (!r) return r.status();
  last_ = c;
  last_checkpoint_position_ = r->last_position;
  return last_;
}

Result<uint64_t> Checkpointer::events_since_checkpoint() {
  auto head = log_.store().head_position();
  if (!head) return head.status();
  uint64_t covered = last_ ? last_checkpoint_position_ : 0;
  return *head > covered ? *head - covered : 0;
}

Result<Checkpoint> create_checkpoint(EventLog& log, const KeyRing& keys, const Clock& clock) {
  Checkpointer cp(log, keys, clock);
  auto c = cp.checkpoint_now();
  if (!c) return c.status();
  if (!c->has_value()) return Status(ErrorCode::kInvalidArgument, "the log is empty: nothing to checkpoint");
  return **c;
}

Result<std::optional<Checkpoint>> latest_checkpoint(EventLog& log) {
  auto events = log.read_stream(kCheckpointStream, 1, std::numeric_limits<size_t>::max());
  if (!events) return events.status();
  for (auto it = events->rbegin(); it != events->rend(); ++it) {
    if (!it->payload) continue;
    if (const auto* e = std::get_if<LogCheckpointed>(&*it->payload)) {
      auto c = from_event(*e);
      if (!c) return c.status();
      return std::optional<Checkpoint>(*c);
    }
  }
  return std::optional<Checkpoint>{};
}

std::string witness_to_json(const WitnessCheckpoint& w) {
  nlohmann::json j = {{"format", kWitnessFormat},
                      {"tree_size", w.checkpoint.tree_size},
                      {"root", hex_of(w.checkpoint.root)},
                      {"signed_at_us", w.checkpoint.signed_at_us},
                      {"key_id", w.checkpoint.key_id},
                      {"signature", hex_of(w.checkpoint.signature)},
                      {"public_key", hex_of(w.public_key)}};
  return j.dump(2) + "\n";
}

Result<WitnessCheckpoint> witness_from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& what) {
    return Status(ErrorCode::kInvalidArgument, "witness file: " + what);
  };
  if (!j.is_object()) return bad("is not a JSON object");
  if (j.value("format", std::string()) != kWitnessFormat) return bad("format is not rxportal-checkpoint-v1");
  WitnessCheckpoint w;
  auto size = j.find("tree_size");
  if (size == j.end() || !size->is_number_unsigned()) return bad("tree_size is missing or not a count");
  w.checkpoint.tree_size = size->get<uint64_t>();
  auto at = j.find("signed_at_us");
  if (at == j.end() || !at->is_number_integer()) return bad("signed_at_us is missing or not an integer");
  w.checkpoint.signed_at_us = at->get<int64_t>();
  auto key = j.find("key_id");
  if (key == j.end() || !key->is_string() || !is_opaque_id(key->get<std::string>(), false))
    return bad("key_id is missing or malformed");
  w.checkpoint.key_id = key->get<std::string>();
  if (!array_from_hex(j, "root", w.checkpoint.root)) return bad("root is not 32 bytes of hex");
  if (!array_from_hex(j, "signature", w.checkpoint.signature)) return bad("signature is not 64 bytes of hex");
  if (!array_from_hex(j, "public_key", w.public_key)) return bad("public_key is not 32 bytes of hex");
  return w;
}

Result<WitnessCheckpoint> export_checkpoint(EventLog& log, const KeyRing& keys) {
  auto latest = latest_checkpoint(log);
  if (!latest) return latest.status();
  if (!latest->has_value())
    return Status(ErrorCode::kNotFound, "the log holds no checkpoint yet (run `rxportal checkpoint create`)");
  WitnessCheckpoint w;
  w.checkpoint = **latest;
  auto pk = keys.signing_public_key(w.checkpoint.key_id);
  if (!pk) return pk.status();
  w.public_key = *pk;
  if (!checkpoint_signature_valid(w.checkpoint, w.public_key))
    return Status(ErrorCode::kIntegrity, "the latest checkpoint's signature does not verify");
  return w;
}

Result<WitnessReport> check_witness(EventLog& log, const WitnessCheckpoint& witness) {
  WitnessReport rep;
  rep.witness_size = witness.checkpoint.tree_size;
  if (!checkpoint_signature_valid(witness.checkpoint, witness.public_key)) {
    rep.failure = "the witness checkpoint's signature does not verify with its public key";
    return rep;
  }
  if (auto pk = log.keys().signing_public_key(witness.checkpoint.key_id);
      pk && sodium_memcmp(pk->data(), witness.public_key.data(), pk->size()) != 0) {
    rep.failure = "the witness checkpoint names signing key " + witness.checkpoint.key_id +
                  " but holds another public key than the key ring's";
    return rep;
  }
  auto leaves = read_leaf_hashes(log.store());
  if (!leaves) {
    if (leaves.status().code() != ErrorCode::kIntegrity) return leaves.status();
    rep.failure = leaves.status().message();
    return rep;
  }
  rep.current_size = leaves->size();
  rep.current_root = merkle_root(*leaves);
  if (rep.current_size < rep.witness_size) {
    rep.failure = "the log holds " + std::to_string(rep.current_size) +
                  " events, fewer than the " + std::to_string(rep.witness_size) +
                  " the witness checkpoint covers (truncated)";
    return rep;
  }
  rep.proof = consistency_proof(*leaves, rep.witness_size);
  if (!verify_consistency(rep.witness_size, rep.current_size, witness.checkpoint.root,
                          rep.current_root, rep.proof))
    rep.failure = "the log's first " + std::to_string(rep.witness_size) +
                  " events are not the ones the witness checkpoint covers (history rewritten)";
  return rep;
}

Result<InclusionProof> prove_inclusion(EventLog& log, uint64_t position, uint64_t tree_size) {
  auto leaves = read_leaf_hashes(log.store());
  if (!leaves) return leaves.status();
  InclusionProof p;
  p.position = position;
  p.tree_size = tree_size == 0 ? leaves->size() : tree_size;
  if (p.tree_size > leaves->size())
    return Status(ErrorCode::kInvalidArgument, "--tree-size exceeds the log's " +
                                                   std::to_string(leaves->size()) + " events");
  if (position == 0 || position > p.tree_size)
    return Status(ErrorCode::kInvalidArgument,
                  "--position must be within 1.." + std::to_string(p.tree_size));
  auto tree = std::span<const MerkleHash>(*leaves).first(p.tree_size);
  p.leaf_hash = tree[position - 1];
  p.root = merkle_root(tree);
  p.proof = inclusion_proof(tree, position - 1);
  if (!verify_inclusion(position - 1, p.tree_size, p.leaf_hash, p.proof, p.root))
    return Status(ErrorCode::kInternal, "the computed inclusion proof does not verify");
  return p;
}

std::string inclusion_proof_to_json(const InclusionProof& p) {
  nlohmann::json proof = nlohmann::json::array();
  for (const auto& h : p.proof) proof.push_back(hex_of(h));
  nlohmann::json j = {{"position", p.position},       {"leaf_index", p.position - 1},
                      {"tree_size", p.tree_size},     {"leaf_hash", hex_of(p.leaf_hash)},
                      {"root", hex_of(p.root)},       {"proof", proof}};
  return j.dump(2) + "\n";
}

}  // namespace rxp::events
