#include "tests/testkit/soft_authenticator.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "infra/secure.hpp"

namespace rxp::testkit {
namespace {

using identity::CoseAlg;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("soft authenticator: ") + what);
}

// ---- just enough CBOR (RFC 8949) to write COSE keys and attestation objects ----
std::string head(uint8_t major, uint64_t n) {
  const char m = static_cast<char>(major << 5);
  if (n < 24) return std::string(1, static_cast<char>(m | static_cast<char>(n)));
  int bytes = n <= 0xff ? 1 : n <= 0xffff ? 2 : n <= 0xffffffffu ? 4 : 8;
  std::string out(1, static_cast<char>(m | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27)));
  for (int s = 8 * (bytes - 1); s >= 0; s -= 8) out.push_back(static_cast<char>(n >> s));
  return out;
}
std::string cint(int64_t v) {
  return v >= 0 ? head(0, static_cast<uint64_t>(v)) : head(1, static_cast<uint64_t>(-1 - v));
}
std::string cbytes(std::string_view b) { return head(2, b.size()) + std::string(b); }
std::string ctext(std::string_view s) { return head(3, s.size()) + std::string(s); }
std::string cmap(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out = head(5, entries.size());
  for (const auto& [k, v] : entries) out += k + v;
  return out;
}

std::string be(uint32_t v, int bytes) {
  std::string out;
  for (int s = 8 * (bytes - 1); s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
  return out;
}
std::string sha256(std::string_view b) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(b.data()), b.size());
  return out;
}

std::string client_data(std::string_view type, BytesView challenge, const std::string& origin) {
  return std::string(R"({"type":")") + std::string(type) + R"(","challenge":")" +
         base64url_encode(challenge) + R"(","origin":")" + origin + R"(","crossOrigin":false})";
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

}  // namespace

struct SoftAuthenticator::Keys {
  std::unique_ptr<EVP_PKEY, PkeyFree> ec;                   // ES256
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> ed_sk{};  // EdDSA
  std::string x, y;                                         // public key coordinates
  ~Keys() { secure_wipe(ed_sk.data(), ed_sk.size()); }

  std::string coordinate(const char* name) const {
    BIGNUM* bn = nullptr;
    require(EVP_PKEY_get_bn_param(ec.get(), name, &bn) == 1, "EC coordinate");
    std::string out(32, '\0');
    int n = BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32);
    BN_free(bn);
    require(n == 32, "EC coordinate size");
    return out;
  }
};

SoftAuthenticator::SoftAuthenticator(CoseAlg alg)
    : alg_(alg), keys_(std::make_unique<Keys>()), credential_id_(16, '\0') {
  secure_random(credential_id_.data(), credential_id_.size());
  if (alg == CoseAlg::kES256) {
    keys_->ec.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    require(keys_->ec != nullptr, "P-256 keygen");
    keys_->x = keys_->coordinate(OSSL_PKEY_PARAM_EC_PUB_X);
    keys_->y = keys_->coordinate(OSSL_PKEY_PARAM_EC_PUB_Y);
  } else {
    std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
    require(crypto_sign_keypair(pk.data(), keys_->ed_sk.data()) == 0, "Ed25519 keygen");
    keys_->x.assign(pk.begin(), pk.end());
  }
}

SoftAuthenticator::~SoftAuthenticator() = default;

std::string SoftAuthenticator::cose_key() const {
  if (alg_ == CoseAlg::kES256)
    return cmap({{cint(1), cint(2)},      // kty EC2
                 {cint(3), cint(-7)},     // alg ES256
                 {cint(-1), cint(1)},     // crv P-256
                 {cint(-2), cbytes(keys_->x)},
                 {cint(-3), cbytes(keys_->y)}});
  return cmap({{cint(1), cint(1)},        // kty OKP
               {cint(3), cint(-8)},       // alg EdDSA
               {cint(-1), cint(6)},       // crv Ed25519
               {cint(-2), cbytes(keys_->x)}});
}

// rpIdHash | flags | signCount | [aaguid | credIdLen | credId | COSE_Key]
std::string SoftAuthenticator::auth_data(const std::string& rp_id, uint8_t flags, uint32_t count,
                                         bool attested) const {
  std::string out = sha256(rp_id) + std::string(1, static_cast<char>(flags)) + be(count, 4);
  if (attested) out += std::string(16, '\x5a') + be(static_cast<uint32_t>(credential_id_.size()), 2) +
                       credential_id_ + cose_key();
  return out;
}

std::string SoftAuthenticator::sign(const std::string& msg) const {
  const auto* m = reinterpret_cast<const unsigned char*>(msg.data());
  if (alg_ == CoseAlg::kEdDSA) {
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, m, msg.size(),
                         keys_->ed_sk.data());
    return sig;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  require(md && EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, keys_->ec.get()) == 1,
          "ECDSA init");
  size_t len = 0;
  require(EVP_DigestSign(md.get(), nullptr, &len, m, msg.size()) == 1, "ECDSA size");
  std::string sig(len, '\0');
  require(EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, m,
                         msg.size()) == 1,
          "ECDSA sign");
  sig.resize(len);
  return sig;
}

SoftAuthenticator::Registration SoftAuthenticator::make_registration(BytesView challenge,
                                                                     std::string origin,
                                                                     std::string rp_id,
                                                                     uint8_t flags) const {
  Registration r;
  r.client_data_json = client_data("webauthn.create", challenge, origin);
  r.attestation_object = cmap({{ctext("fmt"), ctext("none")},
                               {ctext("attStmt"), cmap({})},
                               {ctext("authData"), cbytes(auth_data(rp_id, flags, count_, true))}});
  r.credential_id = credential_id_;
  return r;
}

SoftAuthenticator::Assertion SoftAuthenticator::make_assertion(BytesView challenge,
                                                               std::string origin,
                                                               std::string rp_id, uint8_t flags,
                                                               std::optional<uint32_t> force_count) {
  uint32_t count = force_count ? *force_count : ++count_;
  Assertion a;
  a.client_data_json = client_data("webauthn.get", challenge, origin);
  a.authenticator_data = auth_data(rp_id, flags, count, false);
  a.signature = sign(a.authenticator_data + sha256(a.client_data_json));
  a.credential_id = credential_id_;
  return a;
}

}  // namespace rxp::testkit
