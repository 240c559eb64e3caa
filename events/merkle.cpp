#include "events/merkle.hpp"

#include <sodium.h>

#include <cstring>

namespace rxp::events {
namespace {

constexpr char kLeafTag[] = "rxportal.leaf.v1";

// The largest power of two strictly below n (n >= 2).
uint64_t split_point(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

void path(std::span<const MerkleHash> d, uint64_t m, std::vector<MerkleHash>& out) {
  if (d.size() <= 1) return;
  uint64_t k = split_point(d.size());
  if (m < k) {
    path(d.subspan(0, k), m, out);
    out.push_back(merkle_root(d.subspan(k)));
  } else {
    path(d.subspan(k), m - k, out);
    out.push_back(merkle_root(d.subspan(0, k)));
  }
}

void subproof(uint64_t m, std::span<const MerkleHash> d, bool complete,
              std::vector<MerkleHash>& out) {
  uint64_t n = d.size();
  if (m == n) {
    if (!complete) out.push_back(merkle_root(d));
    return;
  }
  uint64_t k = split_point(n);
  if (m <= k) {
    subproof(m, d.subspan(0, k), complete, out);
    out.push_back(merkle_root(d.subspan(k)));
  } else {
    subproof(m - k, d.subspan(k), false, out);
    out.push_back(merkle_root(d.subspan(0, k)));
  }
}

bool lsb(uint64_t x) { return (x & 1) != 0; }

}  // namespace

MerkleHash sha256(BytesView data) {
  MerkleHash h;
  crypto_hash_sha256(h.data(), data.data(), data.size());
  return h;
}

MerkleHash merkle_leaf_hash(BytesView leaf_data) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  const uint8_t prefix = 0x00;
  crypto_hash_sha256_update(&st, &prefix, 1);
  crypto_hash_sha256_update(&st, leaf_data.data(), leaf_data.size());
  MerkleHash h;
  crypto_hash_sha256_final(&st, h.data());
  return h;
}

MerkleHash merkle_node_hash(const MerkleHash& left, const MerkleHash& right) {
  uint8_t buf[1 + 32 + 32];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  MerkleHash h;
  crypto_hash_sha256(h.data(), buf, sizeof buf);
  return h;
}

MerkleHash merkle_empty_root() { return sha256(BytesView{}); }

Bytes event_leaf_data(uint64_t position, const Hash& event_hash) {
  Bytes out(kLeafTag, kLeafTag + sizeof kLeafTag - 1);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(position >> (8 * i)));
  out.insert(out.end(), event_hash.begin(), event_hash.end());
  return out;
}

MerkleHash event_leaf_hash(uint64_t position, const Hash& event_hash) {
  return merkle_leaf_hash(event_leaf_data(position, event_hash));
}

void MerkleBuilder::add(const MerkleHash& leaf_hash) {
  frontier_.push_back(leaf_hash);
  ++size_;
  // Each trailing one bit of the old size was a perfect subtree the new leaf now completes.
  for (uint64_t s = size_; (s & 1) == 0; s >>= 1) {
    MerkleHash right = frontier_.back();
    frontier_.pop_back();
    frontier_.back() = merkle_node_hash(frontier_.back(), right);
  }
}

MerkleHash MerkleBuilder::root() const {
  if (frontier_.empty()) return merkle_empty_root();
  // The RFC's split puts the largest perfect subtree on the left at every level, so the
  // root folds the frontier from the right.
  MerkleHash r = frontier_.back();
  for (size_t i = frontier_.size() - 1; i-- > 0;) r = merkle_node_hash(frontier_[i], r);
  return r;
}

MerkleHash merkle_root(std::span<const MerkleHash> leaves) {
  if (leaves.empty()) return merkle_empty_root();
  if (leaves.size() == 1) return leaves[0];
  uint64_t k = split_point(leaves.size());
  return merkle_node_hash(merkle_root(leaves.subspan(0, k)), merkle_root(leaves.subspan(k)));
}

std::vector<MerkleHash> inclusion_proof(std::span<const MerkleHash> leaves, uint64_t index) {
  std::vector<MerkleHash> out;
  if (index < leaves.size()) path(leaves, index, out);
  return out;
}

std::vector<MerkleHash> consistency_proof(std::span<const MerkleHash> leaves, uint64_t old_size) {
  std::vector<MerkleHash> out;
  if (old_size > 0 && old_size < leaves.size()) subproof(old_size, leaves, true, out);
  return out;
}

bool verify_inclusion(uint64_t index, uint64_t tree_size, const MerkleHash& leaf_hash,
                      std::span<const MerkleHash> proof, const MerkleHash& root) {
  if (index >= tree_size) return false;
  uint64_t fn = index, sn = tree_size - 1;
  MerkleHash r = leaf_hash;
  for (const MerkleHash& p : proof) {
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      r = merkle_node_hash(p, r);
      if (!lsb(fn))
        while (!lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && sodium_memcmp(r.data(), root.data(), r.size()) == 0;
}

bool verify_consistency(uint64_t old_size, uint64_t new_size, const MerkleHash& old_root,
                        const MerkleHash& new_root, std::span<const MerkleHash> proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size)
    return proof.empty() && sodium_memcmp(old_root.data(), new_root.data(), 32) == 0;
  if (old_size == 0) return proof.empty();
  if (proof.empty()) return false;
  std::vector<MerkleHash> path;
  path.reserve(proof.size() + 1);
  if ((old_size & (old_size - 1)) == 0) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while (lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  MerkleHash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const MerkleHash& c = path[i];
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      fr = merkle_node_hash(c, fr);
      sr = merkle_node_hash(c, sr);
      if (!lsb(fn))
        while (!lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      sr = merkle_node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && sodium_memcmp(fr.data(), old_root.data(), 32) == 0 &&
         sodium_memcmp(sr.data(), new_root.data(), 32) == 0;
}

}  // namespace rxp::events
