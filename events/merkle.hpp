// Merkle tree over the global log, RFC 9162 (Certificate Transparency v2) section 2.1.
//
// Hashing: SHA-256; a leaf hash is H(0x00 || leaf data), an interior node H(0x01 || left ||
// right); the root of n leaves (MTH) splits at the largest power of two below n. The empty
// tree's root is H() (SHA-256 of nothing).
//
// Leaf data of the event at global position p (1-based) is
//   "rxportal.leaf.v1" || p as 8 bytes big-endian || chain_hash(header_bytes, ciphertext)
// The chain hash covers the header (which holds position, stream, version, type, key id,
// nonce, previous hash ...) and the ciphertext; verify checks that the stored position,
// stream and version columns equal the header's and that the stored hash column is the
// recomputed one, so a leaf binds every stored column of the event row. Leaf i of the tree
// (0-based) is the event at position i + 1.
//
// Proofs are the RFC's PATH (inclusion) and PROOF (consistency); verification follows the
// RFC's algorithms in sections 2.1.3.2 and 2.1.4.2. Everything here is pure and thread-safe;
// MerkleBuilder is a value type (not synchronized).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "events/envelope.hpp"
#include "infra/bytes.hpp"

namespace rxp::events {

using MerkleHash = std::array<uint8_t, 32>;  // SHA-256

MerkleHash sha256(BytesView data);
MerkleHash merkle_leaf_hash(BytesView leaf_data);
MerkleHash merkle_node_hash(const MerkleHash& left, const MerkleHash& right);
MerkleHash merkle_empty_root();

// The leaf data and leaf hash of the event at `position` whose chain hash is `event_hash`.
Bytes event_leaf_data(uint64_t position, const Hash& event_hash);
MerkleHash event_leaf_hash(uint64_t position, const Hash& event_hash);

// Incremental root: keeps only the roots of the perfect subtrees that make up the tree so far
// (one per set bit of the size), so memory is O(log n) and each append O(1) amortized.
class MerkleBuilder {
 public:
  void add(const MerkleHash& leaf_hash);
  uint64_t size() const { return size_; }
  MerkleHash root() const;  // MTH of the leaves added so far

 private:
  std::vector<MerkleHash> frontier_;  // left to right, subtree sizes strictly decreasing
  uint64_t size_ = 0;
};

// MTH over leaf hashes (the whole span), by the RFC's recursive definition.
MerkleHash merkle_root(std::span<const MerkleHash> leaves);

// PATH(index, D[n]) over the leaf hashes; empty when index >= leaves.size().
std::vector<MerkleHash> inclusion_proof(std::span<const MerkleHash> leaves, uint64_t index);
// PROOF(old_size, D[n]); empty when old_size is 0, equals n or exceeds it.
std::vector<MerkleHash> consistency_proof(std::span<const MerkleHash> leaves, uint64_t old_size);

// True when `proof` proves that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves
// whose root is `root`.
bool verify_inclusion(uint64_t index, uint64_t tree_size, const MerkleHash& leaf_hash,
                      std::span<const MerkleHash> proof, const MerkleHash& root);
// True when `proof` proves that the tree of `new_size` leaves with root `new_root` extends the
// tree of `old_size` leaves with root `old_root` (same first old_size leaves). Sizes equal:
// the proof must be empty and the roots equal. old_size 0: any tree extends the empty one
// (the proof must be empty).
bool verify_consistency(uint64_t old_size, uint64_t new_size, const MerkleHash& old_root,
                        const MerkleHash& new_root, std::span<const MerkleHash> proof);

}  // namespace rxp::events
