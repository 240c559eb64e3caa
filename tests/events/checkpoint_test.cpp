// Signed checkpoints: the key ring's signing key (and its migration into older key files),
// the Checkpointer, verify's checks of every checkpoint, export and the witness, inclusion
// proofs of stored events.
#define BOOST_TEST_MODULE checkpoint
#include <sodium.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "events/checkpoint.hpp"
#include "events/verify.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::testkit::one;
using rxp::testkit::TestLog;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  { std::ofstream(path, std::ios::trunc) << text; }
  ::chmod(path.c_str(), 0600);
}

void fill(TestLog& t, int n, int first = 0) {
  for (int i = first; i < first + n; ++i)
    BOOST_REQUIRE(t.log->append(one("record/p" + std::to_string(i % 3), RecordViewed{"pgx", "treatment"})).is_ok());
}

// Appends a LogCheckpointed made by hand (as someone holding the keys could).
uint64_t append_checkpoint(TestLog& t, const Checkpoint& c) {
  AppendRequest r;
  r.stream_id = kCheckpointStream;
  r.events.push_back(make_pending(DomainEvent(to_event(c)), Principal{"system", "system", ""}));
  auto res = t.log->append(r);
  BOOST_REQUIRE(res.is_ok());
  return res->last_position;
}

Checkpoint signed_checkpoint(TestLog& t, uint64_t size, MerkleHash root) {
  Checkpoint c;
  c.tree_size = size;
  c.root = root;
  c.signed_at_us = t.clock.now_us();
  c.key_id = t.keys->signing_key_id();
  c.signature = *t.keys->sign(checkpoint_signed_message(c));
  return c;
}

MerkleHash root_of_first(TestLog& t, uint64_t n) {
  auto leaves = read_leaf_hashes(t.log->store());
  BOOST_REQUIRE(leaves.is_ok());
  return merkle_root(std::span<const MerkleHash>(*leaves).first(n));
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_key_file_without_a_signing_key_gets_one_on_first_need) {
  TestLog t;
  fill(t, 4);
  std::string text = read_text(t.key_path());
  BOOST_REQUIRE(text.find("\nsig sk-") != std::string::npos);  // new key files have one
  // An older key file: the same KEKs, no signing key.
  std::string old;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("sig ", 0) != 0) old += line + "\n";
  write_text(t.key_path(), old);
  t.reopen();
  BOOST_CHECK(t.keys->signing_key_id().empty());
  BOOST_CHECK(!t.keys->sign(as_bytes("x")).is_ok());
  BOOST_CHECK(verify_log(*t.log)->ok());  // old data verifies as before
  BOOST_REQUIRE(t.keys->ensure_signing_key().is_ok());
  std::string id = t.keys->signing_key_id();
  BOOST_CHECK(!id.empty());
  BOOST_REQUIRE(t.keys->ensure_signing_key().is_ok());
  BOOST_CHECK_EQUAL(t.keys->signing_key_id(), id);  // once only
  std::string migrated = read_text(t.key_path());
  BOOST_CHECK_EQUAL(migrated.substr(0, old.size()), old);  // the KEK lines are untouched
  t.reopen();
  BOOST_CHECK_EQUAL(t.keys->signing_key_id(), id);
  auto sig = t.keys->sign(as_bytes("message"));
  auto pk = t.keys->signing_public_key(id);
  BOOST_REQUIRE(sig.is_ok() && pk.is_ok());
  BOOST_CHECK_EQUAL(crypto_sign_verify_detached(sig->data(), as_bytes("message").data(), 7, pk->data()), 0);
  BOOST_CHECK(create_checkpoint(*t.log, *t.keys, t.clock).is_ok());
  BOOST_CHECK_EQUAL(verify_log(*t.log)->checkpoints, 1u);
}

BOOST_AUTO_TEST_CASE(malformed_signing_key_lines_are_refused) {
  TestLog t;
  std::string text = read_text(t.key_path());
  t.close();
  auto at = text.find("\nsig ");
  BOOST_REQUIRE(at != std::string::npos);
  std::string broken = text;
  broken[broken.size() - 2] = broken[broken.size() - 2] == 'a' ? 'b' : 'a';  // public half no longer derives
  write_text(t.key_path(), broken);
  BOOST_CHECK(!KeyRing::open(t.key_path()).is_ok());
  write_text(t.key_path(), text.substr(0, at + 1) + "sig sk-1 abcd\n");
  BOOST_CHECK(!KeyRing::open(t.key_path()).is_ok());
  write_text(t.key_path(), text);
  BOOST_CHECK(KeyRing::open(t.key_path()).is_ok());
}

BOOST_AUTO_TEST_CASE(deks_wrapped_before_v2_still_unwrap_and_a_changed_creation_time_does_not) {
  TestLog t;
  // Wrap a DEK the way earlier builds did (v1 associated data), with the current KEK.
  std::string text = read_text(t.key_path());
  auto kek_at = text.find("\nkek ");
  std::istringstream line(text.substr(kek_at + 1));
  std::string word, kek_id, kek_hex;
  line >> word >> kek_id >> kek_hex;
  Bytes kek;
  BOOST_REQUIRE(from_hex(kek_hex, kek));
  WrappedDek w;
  w.dek_id = "dk-00112233aabbccdd";
  w.stream_id = "record/p1";
  w.version = 1;
  w.kek_id = kek_id;
  w.created_at_us = 42;
  Key32 dek;
  randombytes_buf(dek.data(), dek.size());
  std::string ad = "rxportal.dek.v1|" + w.dek_id + "|" + w.stream_id + "|1";
  w.wrapped.resize(24 + 32 + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  randombytes_buf(w.wrapped.data(), 24);
  crypto_aead_xchacha20poly1305_ietf_encrypt(w.wrapped.data() + 24, nullptr, dek.data(), 32,
                                             reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
                                             nullptr, w.wrapped.data(), kek.data());
  auto back = t.keys->unwrap(w);
  BOOST_REQUIRE(back.is_ok());
  BOOST_CHECK_EQUAL(sodium_memcmp(back->data(), dek.data(), 32), 0);
  // New wrappings bind the creation time.
  Key32 fresh;
  auto nw = t.keys->new_dek("record/p2", 1, 1000, fresh);
  BOOST_REQUIRE(nw.is_ok());
  BOOST_CHECK(t.keys->unwrap(*nw).is_ok());
  WrappedDek moved = *nw;
  moved.created_at_us = 1001;
  BOOST_CHECK(!t.keys->unwrap(moved).is_ok());
}

BOOST_AUTO_TEST_CASE(the_checkpointer_signs_the_root_and_skips_when_nothing_is_new) {
  TestLog t;
  Checkpointer cp(*t.log, *t.keys, t.clock);
  auto none = cp.checkpoint_now();
  BOOST_REQUIRE(none.is_ok());
  BOOST_CHECK(!none->has_value());  // empty log
  fill(t, 7);
  BOOST_CHECK_EQUAL(*cp.events_since_checkpoint(), 7u);
  auto c = cp.checkpoint_now();
  BOOST_REQUIRE(c.is_ok() && c->has_value());
  BOOST_CHECK_EQUAL((*c)->tree_size, 7u);
  BOOST_CHECK((*c)->root == root_of_first(t, 7));
  BOOST_CHECK(checkpoint_signature_valid(**c, *t.keys->signing_public_key((*c)->key_id)));
  BOOST_CHECK_EQUAL(*cp.events_since_checkpoint(), 0u);
  auto again = cp.checkpoint_now();
  BOOST_CHECK(again.is_ok() && **again == **c);  // only its own event since: no new one
  BOOST_CHECK_EQUAL(*t.log->store().head_position(), 8u);
  fill(t, 3, 7);
  auto next = cp.checkpoint_now();
  BOOST_REQUIRE(next.is_ok());
  BOOST_CHECK_EQUAL((*next)->tree_size, 11u);
  auto latest = latest_checkpoint(*t.log);
  BOOST_REQUIRE(latest.is_ok() && latest->has_value());
  BOOST_CHECK(**latest == **next);
  auto rep = verify_log(*t.log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK(rep->ok());
  BOOST_CHECK_EQUAL(rep->checkpoints, 2u);
  BOOST_CHECK_EQUAL(rep->checkpointed_size, 11u);
}

BOOST_AUTO_TEST_CASE(verify_names_a_checkpoint_with_a_wrong_root_signature_key_or_size) {
  {
    TestLog t;
    fill(t, 5);
    MerkleHash wrong = root_of_first(t, 5);
    wrong[0] ^= 1;
    uint64_t at = append_checkpoint(t, signed_checkpoint(t, 5, wrong));
    auto rep = verify_log(*t.log);
    BOOST_REQUIRE(rep.is_ok() && !rep->ok());
    BOOST_CHECK_EQUAL(rep->failure->position, at);
    BOOST_CHECK_MESSAGE(rep->failure->reason.find("Merkle root") != std::string::npos, rep->failure->reason);
  }
  {
    TestLog t;
    fill(t, 5);
    Checkpoint c = signed_checkpoint(t, 5, root_of_first(t, 5));
    c.signature[10] ^= 4;
    uint64_t at = append_checkpoint(t, c);
    fill(t, 2, 5);
    auto rep = verify_log(*t.log);
    BOOST_REQUIRE(rep.is_ok() && !rep->ok());
    BOOST_CHECK_EQUAL(rep->failure->position, at);
    BOOST_CHECK_MESSAGE(rep->failure->reason.find("signature") != std::string::npos, rep->failure->reason);
  }
  {
    TestLog t;
    fill(t, 5);
    Checkpoint c = signed_checkpoint(t, 5, root_of_first(t, 5));
    c.key_id = "sk-ffffffffffffffff";
    uint64_t at = append_checkpoint(t, c);
    auto rep = verify_log(*t.log);
    BOOST_REQUIRE(rep.is_ok() && !rep->ok());
    BOOST_CHECK_EQUAL(rep->failure->position, at);
  }
  {
    TestLog t;
    fill(t, 5);
    // Claims to cover itself (position 6) and one more.
    uint64_t at = append_checkpoint(t, signed_checkpoint(t, 7, root_of_first(t, 5)));
    auto rep = verify_log(*t.log);
    BOOST_REQUIRE(rep.is_ok() && !rep->ok());
    BOOST_CHECK_EQUAL(rep->failure->position, at);
  }
}

BOOST_AUTO_TEST_CASE(export_witness_and_inclusion_proofs) {
  TestLog t;
  BOOST_CHECK(export_checkpoint(*t.log, *t.keys).status().code() == ErrorCode::kNotFound);
  fill(t, 9);
  BOOST_REQUIRE(create_checkpoint(*t.log, *t.keys, t.clock).is_ok());
  auto w = export_checkpoint(*t.log, *t.keys);
  BOOST_REQUIRE(w.is_ok());
  BOOST_CHECK_EQUAL(w->checkpoint.tree_size, 9u);
  auto same = check_witness(*t.log, *w);
  BOOST_REQUIRE(same.is_ok());
  BOOST_CHECK(same->ok());
  fill(t, 6, 9);
  auto grown = check_witness(*t.log, *w);
  BOOST_REQUIRE(grown.is_ok());
  BOOST_CHECK_MESSAGE(grown->ok(), grown->failure.value_or(""));
  BOOST_CHECK_EQUAL(grown->current_size, 16u);
  BOOST_CHECK(verify_consistency(9, 16, w->checkpoint.root, grown->current_root, grown->proof));
  // A witness whose public key is not the key ring's for that key id.
  WitnessCheckpoint other = *w;
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(other.public_key.data(), sk);
  Bytes m = checkpoint_signed_message(other.checkpoint);
  crypto_sign_detached(other.checkpoint.signature.data(), nullptr, m.data(), m.size(), sk);
  auto refused = check_witness(*t.log, other);
  BOOST_REQUIRE(refused.is_ok());
  BOOST_CHECK(!refused->ok());
  for (uint64_t p = 1; p <= 16; ++p) {
    auto proof = prove_inclusion(*t.log, p, 0);
    BOOST_REQUIRE(proof.is_ok());
    BOOST_CHECK(verify_inclusion(p - 1, 16, proof->leaf_hash, proof->proof, grown->current_root));
  }
  auto in_witnessed = prove_inclusion(*t.log, 4, 9);
  BOOST_REQUIRE(in_witnessed.is_ok());
  BOOST_CHECK(verify_inclusion(3, 9, in_witnessed->leaf_hash, in_witnessed->proof, w->checkpoint.root));
  BOOST_CHECK(prove_inclusion(*t.log, 0, 0).status().code() == ErrorCode::kInvalidArgument);
  BOOST_CHECK(prove_inclusion(*t.log, 10, 9).status().code() == ErrorCode::kInvalidArgument);
  BOOST_CHECK(prove_inclusion(*t.log, 1, 99).status().code() == ErrorCode::kInvalidArgument);
}
