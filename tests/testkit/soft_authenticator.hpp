// A software WebAuthn authenticator for tests: a real key pair (ES256: P-256 via OpenSSL EVP;
// EdDSA: Ed25519 via libsodium), a random 16-byte credential id, a sign counter, and what a
// browser would send for navigator.credentials.create() (attestation "none") and .get().
//
// Byte fields are raw bytes in std::string, as the identity commands carry them (user.hpp).
// Tests tamper with the results directly (change a byte, insert a JSON member, ...).
// Thread-safety: none; one authenticator per test thread. secure_init() must have succeeded
// (TestLog does it). Failures to generate keys or sign throw std::runtime_error.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "actors/identity/cose.hpp"
#include "actors/identity/webauthn.hpp"
#include "infra/bytes.hpp"

namespace rxp::testkit {

class SoftAuthenticator {
 public:
  static constexpr uint8_t UP = identity::kFlagUserPresent;
  static constexpr uint8_t UV = identity::kFlagUserVerified;
  static constexpr uint8_t AT = identity::kFlagAttestedData;

  struct Registration {
    std::string client_data_json;    // {"type":"webauthn.create",...}
    std::string attestation_object;  // CBOR {fmt: "none", attStmt: {}, authData}
    std::string credential_id;
  };
  struct Assertion {
    std::string client_data_json;  // {"type":"webauthn.get",...}
    std::string authenticator_data;
    std::string signature;  // over authenticatorData || SHA-256(clientDataJSON)
    std::string credential_id;
  };

  explicit SoftAuthenticator(identity::CoseAlg alg);
  ~SoftAuthenticator();
  SoftAuthenticator(const SoftAuthenticator&) = delete;
  SoftAuthenticator& operator=(const SoftAuthenticator&) = delete;

  identity::CoseAlg alg() const { return alg_; }
  const std::string& credential_id() const { return credential_id_; }
  uint32_t sign_count() const { return count_; }
  std::string cose_key() const;  // the COSE_Key of the public key

  // Registration carries the current sign count (0 for a new authenticator).
  Registration make_registration(BytesView challenge, std::string origin, std::string rp_id,
                                 uint8_t flags = UP | AT) const;
  // Increments the sign counter first, unless force_count is given (used as is; the counter
  // is left alone).
  Assertion make_assertion(BytesView challenge, std::string origin, std::string rp_id,
                           uint8_t flags = UP, std::optional<uint32_t> force_count = {});

 private:
  struct Keys;
  std::string auth_data(const std::string& rp_id, uint8_t flags, uint32_t count,
                        bool attested) const;
  std::string sign(const std::string& message) const;

  identity::CoseAlg alg_;
  std::unique_ptr<Keys> keys_;
  std::string credential_id_;
  uint32_t count_ = 0;
};

}  // namespace rxp::testkit
