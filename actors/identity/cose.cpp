#include "actors/identity/cose.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include <algorithm>
#include <memory>
#include <string>

namespace rxp::identity {
namespace {

// COSE labels and values (RFC 9052 section 7, RFC 9053, IANA COSE registries).
constexpr int64_t kLabelKty = 1;
constexpr int64_t kLabelAlg = 3;
constexpr int64_t kLabelCrv = -1;
constexpr int64_t kLabelX = -2;
constexpr int64_t kLabelY = -3;
constexpr int64_t kLabelD = -4;  // the private key: never acceptable here
constexpr int64_t kKtyOkp = 1;
constexpr int64_t kKtyEc2 = 2;
constexpr int64_t kCrvP256 = 1;
constexpr int64_t kCrvEd25519 = 6;
constexpr size_t kMaxDerSignature = 72;  // 30 len 02 33 r 02 33 s

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

Status bad_key(const std::string& reason) {
  return Status(ErrorCode::kInvalidArgument, "cose: " + reason);
}
Status unsupported(const std::string& reason) {
  return Status(ErrorCode::kUnknownType, "cose: unsupported " + reason);
}

// The P-256 public key (x, y) as an EVP_PKEY; nullptr unless it is a valid point on the curve.
PkeyPtr p256_public_key(const CoseKey& key) {
  uint8_t point[65];
  point[0] = 0x04;  // uncompressed
  std::copy(key.x.begin(), key.x.end(), point + 1);
  std::copy(key.y.begin(), key.y.end(), point + 33);
  char group[] = "prime256v1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
      OSSL_PARAM_construct_end(),
  };
  PkeyPtr result;
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) ==
          1) {
    PkeyPtr pkey(raw);
    // fromdata already refuses points off the curve; the explicit check also covers the
    // point at infinity and the subgroup order.
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(
        EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (check && EVP_PKEY_public_check(check.get()) == 1) result = std::move(pkey);
  }
  if (!result) ERR_clear_error();
  return result;
}

// Strict DER ECDSA-Sig-Value with r and s of at most 32 significant bytes.
bool strict_der_ecdsa(BytesView sig) {
  if (sig.size() < 8 || sig.size() > kMaxDerSignature) return false;
  const unsigned char* p = sig.data();
  std::unique_ptr<ECDSA_SIG, SigFree> parsed(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  bool ok = parsed != nullptr && p == sig.data() + sig.size();
  if (ok) {
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(parsed.get(), &r, &s);
    ok = r != nullptr && s != nullptr && !BN_is_negative(r) && !BN_is_negative(s) &&
         !BN_is_zero(r) && !BN_is_zero(s) && BN_num_bytes(r) <= 32 && BN_num_bytes(s) <= 32;
  }
  if (ok) {
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(parsed.get(), &der);
    ok = len > 0 && static_cast<size_t>(len) == sig.size() &&
         std::equal(sig.begin(), sig.end(), der);
    OPENSSL_free(der);
  }
  if (!ok) ERR_clear_error();
  return ok;
}

// The value under an integer label, or nullptr.
const cbor::Value* field(const cbor::Value& map, int64_t label) {
  return map.find(label);
}

Status copy32(const cbor::Value* v, const char* name, std::array<uint8_t, 32>& out) {
  if (v == nullptr) return bad_key(std::string("missing ") + name);
  if (v->type != cbor::Type::kBytes) return bad_key(std::string(name) + " is not a byte string");
  if (v->bytes.size() != 32) return bad_key(std::string(name) + " is not 32 bytes");
  std::copy(v->bytes.begin(), v->bytes.end(), out.begin());
  return Status::ok();
}

Result<int64_t> int_field(const cbor::Value& map, int64_t label, const char* name) {
  const cbor::Value* v = field(map, label);
  if (v == nullptr) return bad_key(std::string("missing ") + name);
  const std::optional<int64_t> i = v->as_int();
  if (!i) return bad_key(std::string(name) + " is not an integer");
  return *i;
}

}  // namespace

const char* cose_alg_name(CoseAlg alg) {
  switch (alg) {
    case CoseAlg::kES256:
      return "ES256";
    case CoseAlg::kEdDSA:
      return "EdDSA";
  }
  return "unknown";
}

Result<CoseKey> parse_cose_key(const cbor::Value& map) {
  if (map.type != cbor::Type::kMap) return bad_key("key is not a map");
  if (field(map, kLabelD) != nullptr) return bad_key("key contains a private part");
  Result<int64_t> kty = int_field(map, kLabelKty, "kty");
  if (!kty) return kty.status();
  Result<int64_t> alg = int_field(map, kLabelAlg, "alg");
  if (!alg) return alg.status();
  Result<int64_t> crv = int_field(map, kLabelCrv, "crv");
  if (!crv) return crv.status();

  CoseKey key;
  if (*kty == kKtyEc2 && *alg == static_cast<int64_t>(CoseAlg::kES256) && *crv == kCrvP256) {
    key.alg = CoseAlg::kES256;
    RXP_RETURN_IF_ERROR(copy32(field(map, kLabelX), "x", key.x));
    RXP_RETURN_IF_ERROR(copy32(field(map, kLabelY), "y", key.y));
    if (!p256_public_key(key)) return bad_key("EC point is not on P-256");
    return key;
  }
  if (*kty == kKtyOkp && *alg == static_cast<int64_t>(CoseAlg::kEdDSA) && *crv == kCrvEd25519) {
    key.alg = CoseAlg::kEdDSA;
    RXP_RETURN_IF_ERROR(copy32(field(map, kLabelX), "x", key.x));
    if (field(map, kLabelY) != nullptr) return bad_key("OKP key has a y coordinate");
    if (crypto_core_ed25519_is_valid_point(key.x.data()) != 1) {
      return bad_key("Ed25519 public key is not a valid point");
    }
    return key;
  }
  return unsupported("kty " + std::to_string(*kty) + " alg " + std::to_string(*alg) + " crv " +
                     std::to_string(*crv));
}

Result<CoseKey> parse_cose_key(BytesView encoded) {
  Result<cbor::Value> v = cbor::decode(encoded);
  if (!v) return v.status();
  return parse_cose_key(*v);
}

SignatureCheck verify_signature(const CoseKey& key, BytesView message, BytesView signature) {
  if (key.alg == CoseAlg::kEdDSA) {
    if (signature.size() != crypto_sign_BYTES) return SignatureCheck::kMalformed;
    return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                       key.x.data()) == 0
               ? SignatureCheck::kValid
               : SignatureCheck::kInvalid;
  }
  if (key.alg != CoseAlg::kES256) return SignatureCheck::kMalformed;
  if (!strict_der_ecdsa(signature)) return SignatureCheck::kMalformed;
  PkeyPtr pkey = p256_public_key(key);
  if (!pkey) return SignatureCheck::kMalformed;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  const bool ok = md &&
                  EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) == 1 &&
                  EVP_DigestVerify(md.get(), signature.data(), signature.size(), message.data(),
                                   message.size()) == 1;
  ERR_clear_error();
  return ok ? SignatureCheck::kValid : SignatureCheck::kInvalid;
}

}  // namespace rxp::identity
