// libFuzzer target for the WebAuthn parsers (actors/identity/cbor, cose, webauthn). Built and
// run by tests/fuzz/run_fuzz.sh with clang++ -fsanitize=fuzzer,address,undefined.
//
// The first input byte picks the target (modulo 8); the rest is its input:
//   0 cbor::decode               1 cbor::decode_prefix (and re-decoding the consumed prefix)
//   2 COSE key prefix + signature (verify_signature over a fixed message)
//   3 parse_authenticator_data (and its COSE key)
//   4 parse_client_data          5 base64url decode/encode round trip
//   6 verify_registration with a fixed valid clientDataJSON and the input as attestationObject
//   7 verify_assertion against a fixed Ed25519 credential: input = len16le | authData | signature
// Invariant violations abort (a crash for libFuzzer); refusals are the expected outcome.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "actors/identity/cbor.hpp"
#include "actors/identity/cose.hpp"
#include "actors/identity/webauthn.hpp"
#include "infra/bytes.hpp"
#include "infra/secure.hpp"

namespace {

using rxp::Bytes;
using rxp::BytesView;
using namespace rxp::identity;

// Shared with tests/fuzz/corpus (see run_fuzz.sh): the fixed ceremony the seeds were made for.
constexpr char kOrigin[] = "https://127.0.0.1:8443";
constexpr char kRpId[] = "127.0.0.1";
constexpr char kSignedMessage[] = "rxportal-webauthn-fuzz";

struct Fixture {
  Bytes challenge = Bytes(32, 0x02);
  Bytes ed_cose;  // COSE key of the Ed25519 key with seed 32 x 0x01
  std::string create_json;
  std::string get_json;
};

Fixture* fixture = nullptr;

void require(bool ok) {
  if (!ok) std::abort();
}

void check_value(const cbor::Value& v, size_t limit) {
  require(v.offset + v.size <= limit && v.size > 0);
  for (const cbor::Value& i : v.items) check_value(i, limit);
  for (const auto& [k, val] : v.entries) {
    require(k.type == cbor::Type::kText || k.is_int());
    check_value(k, limit);
    check_value(val, limit);
  }
  if (v.type == cbor::Type::kText) require(cbor::valid_utf8(rxp::as_bytes(v.text)));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!rxp::secure_init()) std::abort();
  fixture = new Fixture();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  const Bytes seed(crypto_sign_SEEDBYTES, 0x01);
  crypto_sign_seed_keypair(pk, sk, seed.data());
  // {1: 1, 3: -8, -1: 6, -2: h'<pk>'}
  fixture->ed_cose = {0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20};
  fixture->ed_cose.insert(fixture->ed_cose.end(), pk, pk + sizeof pk);
  const std::string b64 = rxp::base64url_encode(fixture->challenge);
  fixture->create_json = std::string(R"({"type":"webauthn.create","challenge":")") + b64 +
                         R"(","origin":")" + kOrigin + R"("})";
  fixture->get_json = std::string(R"({"type":"webauthn.get","challenge":")") + b64 +
                      R"(","origin":")" + kOrigin + R"("})";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const BytesView in(data + 1, size - 1);
  const WebAuthnExpectation expect{fixture->challenge, kOrigin, kRpId, false};
  switch (data[0] % 8) {
    case 0: {
      auto v = cbor::decode(in);
      if (v) {
        require(v->offset == 0 && v->size == in.size());
        check_value(*v, in.size());
      }
      break;
    }
    case 1: {
      auto p = cbor::decode_prefix(in);
      if (p) {
        require(p->consumed > 0 && p->consumed <= in.size() && p->value.size == p->consumed);
        require(cbor::decode(in.first(p->consumed)).is_ok());
      }
      break;
    }
    case 2: {
      auto p = cbor::decode_prefix(in);
      if (!p) break;
      auto key = parse_cose_key(p->value);
      if (!key) break;
      require(parse_cose_key(in.first(p->consumed)).is_ok());
      (void)verify_signature(*key, rxp::as_bytes(kSignedMessage), in.subspan(p->consumed));
      break;
    }
    case 3: {
      auto ad = parse_authenticator_data(in);
      if (ad && ad->attested) {
        require(!ad->attested->credential_id.empty() &&
                ad->attested->credential_id.size() <= kMaxCredentialIdBytes);
        (void)parse_cose_key(ad->attested->public_key_cose);
      }
      break;
    }
    case 4: {
      auto cd = parse_client_data(in);
      if (cd) require(!cd->challenge.empty());
      break;
    }
    case 5: {
      Bytes out;
      const std::string_view text = rxp::as_chars(in);
      if (rxp::base64url_decode(text, out)) {
        const std::string again = rxp::base64url_encode(out);
        require(text.substr(0, again.size()) == again);  // canonical, up to trailing padding
        Bytes round;
        require(rxp::base64url_decode(again, round) && round == out);
      } else {
        require(out.empty());
      }
      break;
    }
    case 6: {
      RegistrationCheck r = verify_registration(rxp::as_bytes(fixture->create_json), in, expect);
      if (r.accepted()) {
        require(!r.credential_id.empty() && parse_cose_key(r.public_key_cose).is_ok());
      }
      break;
    }
    case 7: {
      if (in.size() < 2) break;
      const size_t len = static_cast<size_t>(in[0]) | (static_cast<size_t>(in[1]) << 8);
      const BytesView rest = in.subspan(2);
      const BytesView auth = rest.first(len < rest.size() ? len : rest.size());
      const BytesView sig = rest.subspan(auth.size());
      const StoredCredential cred{fixture->ed_cose, CoseAlg::kEdDSA, 5};
      AssertionCheck a =
          verify_assertion(rxp::as_bytes(fixture->get_json), auth, sig, cred, expect);
      if (a.accepted()) require(a.sign_count > 5);
      break;
    }
  }
  return 0;
}
