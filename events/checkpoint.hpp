// Signed Merkle checkpoints of the global log, and the outside witness.
//
// A checkpoint says "the log's positions 1..tree_size have Merkle root `root`" (events/
// merkle.hpp), signed with the key ring's Ed25519 signing key. It is stored as a
// LogCheckpointed event in the system stream checkpoint/log (clear header: ids only, no PHI),
// so it is itself chained, encrypted and covered by later checkpoints. verify_log checks every
// one (root and signature). Per-stream chains cannot see a truncated tail or a history
// rewritten with fresh consistent chains by someone holding the keys; a checkpoint exported
// to an outside witness (export file) can: check_witness proves, with an RFC 9162 consistency
// proof, that the current log extends what the witness saw.
//
// Signed message: "rxportal.checkpoint.v1" || tree_size (8 bytes big-endian) || root (32) ||
// signed_at_us (8 bytes big-endian, two's complement) || key_id.
//
// Thread-safety: free functions may run concurrently with appends (they read committed data).
// A Checkpointer is used by one thread at a time. The log and key ring must outlive it;
// KeyRing::ensure_signing_key must have run (before any concurrent use of the key ring).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "events/event_log.hpp"
#include "events/merkle.hpp"

namespace rxp::events {

inline constexpr const char* kCheckpointStream = "checkpoint/log";

struct Checkpoint {
  uint64_t tree_size = 0;
  MerkleHash root{};
  int64_t signed_at_us = 0;
  std::string key_id;
  std::array<uint8_t, 64> signature{};
  bool operator==(const Checkpoint&) const = default;
};

Bytes checkpoint_signed_message(const Checkpoint& c);
bool checkpoint_signature_valid(const Checkpoint& c, const std::array<uint8_t, 32>& public_key);
LogCheckpointed to_event(const Checkpoint& c);
// Fails (kIntegrity) when the root or signature has the wrong length.
Result<Checkpoint> from_event(const LogCheckpointed& e);

// Leaf hashes of positions 1..head (0-based index = position - 1), recomputing every chain
// hash from the stored header and ciphertext. 32 bytes per event in memory. kIntegrity when
// a position is missing.
Result<std::vector<MerkleHash>> read_leaf_hashes(EventStore& store);

// Keeps a Merkle builder of the log so far (O(log n) memory) and appends checkpoints.
class Checkpointer {
 public:
  Checkpointer(EventLog& log, const KeyRing& keys, const Clock& clock);
  // Catches the tree up to the current head, signs its root and appends the checkpoint to
  // checkpoint/log. A log with nothing new since this object's last checkpoint gets no new
  // one: the last is returned (nullopt when there is none yet and the log is empty).
  Result<std::optional<Checkpoint>> checkpoint_now();
  // Events committed since the last checkpoint this object wrote (or since it started).
  Result<uint64_t> events_since_checkpoint();

 private:
  Status catch_up();
  EventLog& log_;
  const KeyRing& keys_;
  const Clock& clock_;
  MerkleBuilder tree_;
  std::optional<Checkpoint> last_;
  uint64_t last_checkpoint_position_ = 0;  // where the last checkpoint event itself went
};

// One-shot: a Checkpointer over the whole log, then checkpoint_now. The signing key must
// exist (KeyRing::ensure_signing_key). For `rxportal checkpoint create` and drills.
Result<Checkpoint> create_checkpoint(EventLog& log, const KeyRing& keys, const Clock& clock);
// The last LogCheckpointed in checkpoint/log (opened and checked like any event).
Result<std::optional<Checkpoint>> latest_checkpoint(EventLog& log);

// What an outside witness keeps: a checkpoint and the public key that signed it.
struct WitnessCheckpoint {
  Checkpoint checkpoint;
  std::array<uint8_t, 32> public_key{};
};
// {"format":"rxportal-checkpoint-v1","tree_size":N,"root":"hex","signed_at_us":T,
//  "key_id":"sk-..","signature":"hex","public_key":"hex"}
std::string witness_to_json(const WitnessCheckpoint& w);
// kInvalidArgument naming the bad field; the signature is not checked here.
Result<WitnessCheckpoint> witness_from_json(std::string_view text);
// The latest checkpoint with its public key, ready to hand to a witness. kNotFound: none yet.
Result<WitnessCheckpoint> export_checkpoint(EventLog& log, const KeyRing& keys);

struct WitnessReport {
  uint64_t witness_size = 0;
  uint64_t current_size = 0;
  MerkleHash current_root{};
  std::vector<MerkleHash> proof;        // consistency proof witness_size -> current_size
  std::optional<std::string> failure;   // why the log does not extend the witnessed one
  bool ok() const { return !failure.has_value(); }
};
// Checks the witness signature (with its public key, which must be the key ring's key of the
// same id when the ring has it), then computes the consistency proof from the witnessed size
// to the current log and verifies it. An error Status: the check could not run (I/O).
Result<WitnessReport> check_witness(EventLog& log, const WitnessCheckpoint& witness);

struct InclusionProof {
  uint64_t position = 0;
  uint64_t tree_size = 0;
  MerkleHash leaf_hash{};
  MerkleHash root{};
  std::vector<MerkleHash> proof;
};
// Inclusion of the event at `position` in the tree of the first `tree_size` events
// (0: the whole current log). kInvalidArgument when position is outside 1..tree_size.
Result<InclusionProof> prove_inclusion(EventLog& log, uint64_t position, uint64_t tree_size);
std::string inclusion_proof_to_json(const InclusionProof& p);

}  // namespace rxp::events
