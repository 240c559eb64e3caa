// WebAuthn (Level 2/3) relying-party checks: registration ("webauthn.create") with attestation
// format "none", and assertion ("webauthn.get"), for ES256 and EdDSA credentials. Pure
// functions: no I/O, no clock, no actors, no global state except the CSPRNG behind
// generate_challenge.
//
// CONTRACT
// - Sizes: clientDataJSON 1..4 KiB, authenticatorData 37..4 KiB, attestationObject 1..16 KiB,
//   signature 1..256 bytes. Anything else is kMalformed.
// - clientDataJSON must be valid UTF-8 and one JSON object with no duplicate keys and nesting
//   depth <= 16, holding string members "type", "challenge" (base64url, no padding, non-empty)
//   and "origin"; "crossOrigin", when present, must be a boolean, and true is refused
//   (kCrossOrigin: the portal is never embedded). Other members are ignored.
// - authenticatorData: rpIdHash(32) | flags(1) | signCount(4, big-endian) | attested credential
//   data iff flag AT (aaguid 16 | credIdLen 2 BE | credId 1..1023 | one COSE_Key CBOR map) |
//   one CBOR map of extensions iff flag ED. Nothing may follow. BS set without BE is refused.
// - verify_registration checks, in order: the expectation (kBadExpectation), sizes,
//   clientData, type "webauthn.create", challenge (constant time), origin (exact string
//   match), crossOrigin, the attestationObject (a CBOR map of exactly "fmt" text, "attStmt"
//   map, "authData" bytes), fmt "none" with an empty attStmt (else kUnsupportedAttestation),
//   authenticatorData, rpIdHash == SHA-256(rp_id), UP, UV when required, AT, and a COSE key
//   that is ES256 or EdDSA (else kUnsupportedAlgorithm; see cose.hpp for the key checks).
// - verify_assertion checks, in order: the expectation, the stored credential (kBadCredential
//   when its COSE bytes do not parse or do not match its alg), sizes, clientData, type
//   "webauthn.get", challenge, origin, crossOrigin, authenticatorData, rpIdHash, UP, UV when
//   required, the signature over authenticatorData || SHA-256(clientDataJSON) (cose.hpp), and
//   last the sign count: stored == new == 0 is accepted (authenticator without a counter);
//   otherwise new <= stored is kCloneSuspected. kCloneSuspected means the signature WAS
//   valid: the login must be refused and AuthenticatorCloneSuspected raised.
// - Not checked here (the caller's state): that the challenge was issued by us, is unused and
//   younger than kChallengeTtlUs (challenge_valid helps), that a new credential id is not
//   registered yet, that the credential id belongs to the user, userHandle, and token binding
//   (deprecated). The caller stores the new sign count only on kAccepted.
// - No function logs. `detail` (set for kMalformed and kBadExpectation/kBadCredential) names
//   the field or offset, never input content, challenges or keys.
//
// Thread-safety: every function is reentrant and touches only its arguments. secure_init()
// (infra/secure.hpp) must have succeeded before any function here is called. Ownership:
// WebAuthnExpectation and StoredCredential are views the caller keeps alive during the call;
// results own their bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/identity/cose.hpp"
#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::identity {

inline constexpr size_t kChallengeBytes = 32;
inline constexpr int64_t kChallengeTtlUs = 5 * 60 * int64_t{1'000'000};
inline constexpr size_t kMaxClientDataBytes = 4096;
inline constexpr size_t kMaxAuthenticatorDataBytes = 4096;
inline constexpr size_t kMaxAttestationObjectBytes = 16384;
inline constexpr size_t kMaxSignatureBytes = 256;
inline constexpr size_t kMaxCredentialIdBytes = 1023;
inline constexpr size_t kRpIdHashBytes = 32;

// authenticatorData flags.
inline constexpr uint8_t kFlagUserPresent = 0x01;
inline constexpr uint8_t kFlagUserVerified = 0x04;
inline constexpr uint8_t kFlagBackupEligible = 0x08;
inline constexpr uint8_t kFlagBackedUp = 0x10;
inline constexpr uint8_t kFlagAttestedData = 0x40;
inline constexpr uint8_t kFlagExtensions = 0x80;

// ---- challenges ----

// kChallengeBytes fresh random bytes. The caller keeps them (single use) with the issue time.
Bytes generate_challenge();
// True when 0 <= issued_at_us <= now_us < issued_at_us + kChallengeTtlUs.
bool challenge_valid(int64_t issued_at_us, int64_t now_us);

// ---- parsing ----

struct ClientData {
  std::string type;
  Bytes challenge;  // decoded from base64url
  std::string origin;
  bool cross_origin = false;
};
Result<ClientData> parse_client_data(BytesView json);

struct AttestedCredential {
  std::array<uint8_t, 16> aaguid{};
  Bytes credential_id;
  Bytes public_key_cose;  // the exact COSE_Key bytes (a well-formed CBOR map, not yet checked)
};

struct AuthenticatorData {
  std::array<uint8_t, kRpIdHashBytes> rp_id_hash{};
  uint8_t flags = 0;
  uint32_t sign_count = 0;
  std::optional<AttestedCredential> attested;  // iff kFlagAttestedData
  Bytes extensions;                            // the raw CBOR map iff kFlagExtensions
};
Result<AuthenticatorData> parse_authenticator_data(BytesView data);

// ---- ceremonies ----

enum class WebAuthnOutcome {
  kAccepted,
  kMalformed,          // sizes, UTF-8, JSON, base64url, CBOR, authenticatorData layout
  kBadType,            // clientData.type is not the ceremony's
  kChallengeMismatch,  // not the challenge we expect (replayed or foreign)
  kOriginMismatch,
  kCrossOrigin,             // clientData.crossOrigin is true
  kRpIdMismatch,            // rpIdHash != SHA-256(rp_id)
  kUserNotPresent,          // UP flag clear
  kUserNotVerified,         // UV required, flag clear
  kNoAttestedCredential,    // registration without the AT flag
  kUnsupportedAttestation,  // fmt other than "none", or "none" with a non-empty attStmt
  kUnsupportedAlgorithm,    // COSE key other than ES256 / EdDSA
  kBadSignature,            // well-formed signature that does not verify
  kCloneSuspected,          // valid signature, sign count did not increase
  kBadCredential,           // stored credential unusable: a storage bug, not the user's fault
  kBadExpectation,          // empty challenge, origin or rp id: a caller bug
};
// "accepted", "malformed", "bad_type", "challenge_mismatch", "origin_mismatch",
// "cross_origin", "rp_id_mismatch", "user_not_present", "user_not_verified",
// "no_attested_credential", "unsupported_attestation", "unsupported_algorithm",
// "bad_signature", "clone_suspected", "bad_credential", "bad_expectation".
const char* webauthn_outcome_name(WebAuthnOutcome outcome);

struct WebAuthnExpectation {
  BytesView challenge;      // the challenge issued for this ceremony
  std::string_view origin;  // e.g. "https://127.0.0.1:8443"
  std::string_view rp_id;   // e.g. "127.0.0.1" or "localhost"
  bool require_user_verification = false;
};

struct RegistrationCheck {
  WebAuthnOutcome outcome = WebAuthnOutcome::kMalformed;
  std::string detail;
  // Set only when accepted: what to store for the credential.
  Bytes credential_id;
  Bytes public_key_cose;
  CoseAlg alg = CoseAlg::kES256;
  uint32_t sign_count = 0;
  uint8_t flags = 0;
  std::array<uint8_t, 16> aaguid{};
  bool accepted() const { return outcome == WebAuthnOutcome::kAccepted; }
};

RegistrationCheck verify_registration(BytesView client_data_json, BytesView attestation_object,
                                      const WebAuthnExpectation& expect);

struct StoredCredential {
  BytesView public_key_cose;
  CoseAlg alg = CoseAlg::kES256;
  uint32_t sign_count = 0;
};

struct AssertionCheck {
  WebAuthnOutcome outcome = WebAuthnOutcome::kMalformed;
  std::string detail;
  uint32_t sign_count = 0;  // the authenticator's count; set when accepted or clone suspected
  uint8_t flags = 0;        // set when accepted or clone suspected
  bool accepted() const { return outcome == WebAuthnOutcome::kAccepted; }
};

AssertionCheck verify_assertion(BytesView client_data_json, BytesView authenticator_data,
                                BytesView signature, const StoredCredential& credential,
                                const WebAuthnExpectation& expect);

}  // namespace rxp::identity
