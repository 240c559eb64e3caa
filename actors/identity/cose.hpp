// COSE_Key (RFC 9052/9053) public keys for WebAuthn and the signature checks made with them.
// Pure functions: no I/O, no global state.
//
// CONTRACT
// - Exactly two key shapes are accepted:
//     ES256: kty 2 (EC2), alg -7, crv 1 (P-256), x and y byte strings of 32 bytes each; the
//            point must be on the curve (checked with OpenSSL, including x, y < p).
//     EdDSA: kty 1 (OKP), alg -8, crv 6 (Ed25519), x a byte string of 32 bytes that is a
//            canonical point of the prime-order subgroup (libsodium).
//   Labels 1, 3, -1, -2 (and -3 for EC2) are required. A private-key label (-4) is refused.
//   Other integer or text labels (kid, key_ops, ...) are ignored.
// - parse_cose_key errors: kUnknownType for a well-formed COSE_Key whose kty/alg/crv is not one
//   of the two shapes ("unsupported"), kInvalidArgument for everything else (bad CBOR, missing
//   or mistyped labels, wrong sizes, point not on the curve). Messages never contain key bytes.
// - verify_signature: ES256 signatures must be strict DER ECDSA-Sig-Value (r and s positive,
//   at most 33 content bytes each, re-encoding identical), verified over SHA-256(message) with
//   OpenSSL EVP; EdDSA signatures must be 64 bytes, verified with
//   crypto_sign_verify_detached. Anything else is kMalformed, never kValid.
//
// Thread-safety: reentrant. secure_init() must have succeeded before EdDSA functions are used.
#pragma once

#include <array>
#include <cstdint>

#include "actors/identity/cbor.hpp"
#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::identity {

enum class CoseAlg : int64_t { kES256 = -7, kEdDSA = -8 };
// "ES256", "EdDSA".
const char* cose_alg_name(CoseAlg alg);

struct CoseKey {
  CoseAlg alg = CoseAlg::kES256;
  std::array<uint8_t, 32> x{};
  std::array<uint8_t, 32> y{};  // ES256 only; zero for EdDSA
};

Result<CoseKey> parse_cose_key(const cbor::Value& map);
// The whole input must be one COSE_Key map.
Result<CoseKey> parse_cose_key(BytesView encoded);

enum class SignatureCheck { kValid, kInvalid, kMalformed };

SignatureCheck verify_signature(const CoseKey& key, BytesView message, BytesView signature);

}  // namespace rxp::identity
