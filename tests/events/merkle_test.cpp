// RFC 9162 Merkle hashing, the incremental builder and both kinds of proof, checked against a
// naive recursive MTH written here independently (plain SHA-256 over concatenated bytes) and
// against the published Certificate Transparency test vector.
#define BOOST_TEST_MODULE merkle
#include <sodium.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "events/merkle.hpp"

using namespace rxp;
using namespace rxp::events;

namespace {

MerkleHash plain_sha256(const Bytes& b) {
  MerkleHash h;
  crypto_hash_sha256(h.data(), b.data(), b.size());
  return h;
}

// MTH straight from the RFC text: k is the largest power of two smaller than n.
MerkleHash naive_mth(const std::vector<Bytes>& d, size_t begin, size_t end) {
  size_t n = end - begin;
  if (n == 0) return plain_sha256({});
  if (n == 1) {
    Bytes b{0x00};
    b.insert(b.end(), d[begin].begin(), d[begin].end());
    return plain_sha256(b);
  }
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  MerkleHash l = naive_mth(d, begin, begin + k), r = naive_mth(d, begin + k, end);
  Bytes b{0x01};
  b.insert(b.end(), l.begin(), l.end());
  b.insert(b.end(), r.begin(), r.end());
  return plain_sha256(b);
}

std::vector<Bytes> leaves_data(size_t n) {
  std::vector<Bytes> d;
  for (size_t i = 0; i < n; ++i) {
    Hash h{};
    for (size_t j = 0; j < h.size(); ++j) h[j] = static_cast<uint8_t>(i * 31 + j);
    d.push_back(event_leaf_data(i + 1, h));
  }
  return d;
}

std::vector<MerkleHash> leaf_hashes(const std::vector<Bytes>& d) {
  std::vector<MerkleHash> out;
  for (const auto& b : d) out.push_back(merkle_leaf_hash(b));
  return out;
}

std::string hex(const MerkleHash& h) { return to_hex(BytesView(h.data(), h.size())); }

}  // namespace

BOOST_AUTO_TEST_CASE(certificate_transparency_vector) {
  BOOST_REQUIRE(sodium_init() >= 0);
  // The eight leaves of the RFC 6962 reference test data and their published roots.
  const std::vector<std::string> hex_leaves = {"",         "00",       "10",
                                               "2021",     "3031",     "40414243",
                                               "5051525354555657",
                                               "606162636465666768696a6b6c6d6e6f"};
  std::vector<MerkleHash> leaves;
  for (const auto& h : hex_leaves) {
    Bytes b;
    BOOST_REQUIRE(from_hex(h, b));
    leaves.push_back(merkle_leaf_hash(b));
  }
  BOOST_CHECK_EQUAL(hex(merkle_empty_root()),
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_CHECK_EQUAL(hex(leaves[0]),
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  BOOST_CHECK_EQUAL(hex(merkle_root(leaves)),
                    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
}

BOOST_AUTO_TEST_CASE(builder_and_recursive_root_equal_the_naive_mth_for_1_to_70_leaves) {
  BOOST_REQUIRE(sodium_init() >= 0);
  auto d = leaves_data(70);
  auto hashes = leaf_hashes(d);
  MerkleBuilder b;
  BOOST_CHECK(b.root() == naive_mth(d, 0, 0));
  for (size_t n = 1; n <= 70; ++n) {
    b.add(hashes[n - 1]);
    MerkleHash want = naive_mth(d, 0, n);
    BOOST_CHECK_MESSAGE(b.size() == n && b.root() == want, "builder at n=" << n);
    BOOST_CHECK_MESSAGE(merkle_root(std::span(hashes).first(n)) == want, "merkle_root at n=" << n);
  }
}

BOOST_AUTO_TEST_CASE(leaf_data_binds_position_and_event_hash) {
  Hash h{};
  h[5] = 7;
  Hash g = h;
  g[31] ^= 1;
  BOOST_CHECK(event_leaf_hash(1, h) != event_leaf_hash(2, h));
  BOOST_CHECK(event_leaf_hash(1, h) != event_leaf_hash(1, g));
  BOOST_CHECK(event_leaf_hash(9, g) == merkle_leaf_hash(event_leaf_data(9, g)));
}

BOOST_AUTO_TEST_CASE(every_inclusion_proof_verifies_and_fails_on_any_changed_byte) {
  BOOST_REQUIRE(sodium_init() >= 0);
  auto d = leaves_data(20);
  auto all = leaf_hashes(d);
  size_t checks = 0;
  for (size_t n = 1; n <= 20; ++n) {
    auto leaves = std::span<const MerkleHash>(all).first(n);
    MerkleHash root = naive_mth(d, 0, n);
    for (size_t i = 0; i < n; ++i) {
      auto proof = inclusion_proof(leaves, i);
      BOOST_REQUIRE_MESSAGE(verify_inclusion(i, n, leaves[i], proof, root),
                            "n=" << n << " i=" << i);
      BOOST_CHECK(!verify_inclusion(n, n, leaves[i], proof, root));
      if (n > 1) BOOST_CHECK(!verify_inclusion((i + 1) % n, n, leaves[i], proof, root));
      for (size_t byte = 0; byte < 32; ++byte) {
        MerkleHash bad_root = root, bad_leaf = leaves[i];
        bad_root[byte] ^= 0x01;
        bad_leaf[byte] ^= 0x80;
        BOOST_CHECK(!verify_inclusion(i, n, leaves[i], proof, bad_root));
        BOOST_CHECK(!verify_inclusion(i, n, bad_leaf, proof, root));
        for (size_t p = 0; p < proof.size(); ++p) {
          auto bad = proof;
          bad[p][byte] ^= 0x10;
          BOOST_CHECK(!verify_inclusion(i, n, leaves[i], bad, root));
          ++checks;
        }
      }
      if (!proof.empty()) {
        auto shorter = proof;
        shorter.pop_back();
        BOOST_CHECK(!verify_inclusion(i, n, leaves[i], shorter, root));
      }
      auto longer = proof;
      longer.push_back(root);
      BOOST_CHECK(!verify_inclusion(i, n, leaves[i], longer, root));
    }
  }
  BOOST_CHECK_GT(checks, 1000u);
}

BOOST_AUTO_TEST_CASE(every_consistency_proof_verifies_and_fails_on_any_changed_byte) {
  BOOST_REQUIRE(sodium_init() >= 0);
  auto d = leaves_data(20);
  auto all = leaf_hashes(d);
  for (size_t n = 1; n <= 20; ++n) {
    auto leaves = std::span<const MerkleHash>(all).first(n);
    MerkleHash new_root = naive_mth(d, 0, n);
    for (size_t m = 0; m <= n; ++m) {
      MerkleHash old_root = naive_mth(d, 0, m);
      auto proof = consistency_proof(leaves, m);
      BOOST_REQUIRE_MESSAGE(verify_consistency(m, n, old_root, new_root, proof),
                            "m=" << m << " n=" << n);
      if (m == 0 || m == n) {
        BOOST_CHECK(proof.empty());
        if (m == n) {
          MerkleHash other = new_root;
          other[0] ^= 1;
          BOOST_CHECK(!verify_consistency(m, n, old_root, other, proof));
        }
        continue;
      }
      BOOST_CHECK(!verify_consistency(n, m, new_root, old_root, proof));
      // A rewritten history: the same sizes, a different first leaf.
      std::vector<Bytes> forged(d.begin(), d.begin() + static_cast<long>(n));
      forged[0].back() ^= 1;
      MerkleHash forged_old = naive_mth(forged, 0, m), forged_new = naive_mth(forged, 0, n);
      BOOST_CHECK(!verify_consistency(m, n, old_root, forged_new, proof));
      BOOST_CHECK(!verify_consistency(m, n, old_root, forged_new,
                                      consistency_proof(leaf_hashes(forged), m)));
      BOOST_CHECK(!verify_consistency(m, n, forged_old, new_root, proof));
      for (size_t byte = 0; byte < 32; ++byte) {
        MerkleHash bo = old_root, bn = new_root;
        bo[byte] ^= 0x04;
        bn[byte] ^= 0x40;
        BOOST_CHECK(!verify_consistency(m, n, bo, new_root, proof));
        BOOST_CHECK(!verify_consistency(m, n, old_root, bn, proof));
        for (size_t p = 0; p < proof.size(); ++p) {
          auto bad = proof;
          bad[p][byte] ^= 0x02;
          BOOST_CHECK(!verify_consistency(m, n, old_root, new_root, bad));
        }
      }
      auto shorter = proof;
      shorter.pop_back();
      BOOST_CHECK(!verify_consistency(m, n, old_root, new_root, shorter));
      auto longer = proof;
      longer.push_back(new_root);
      BOOST_CHECK(!verify_consistency(m, n, old_root, new_root, longer));
      if (m + 1 < n) BOOST_CHECK(!verify_consistency(m + 1, n, old_root, new_root, proof));
    }
  }
}
