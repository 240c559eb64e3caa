#include "actors/identity/webauthn.hpp"

#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>
#include <vector>

#include "actors/identity/cbor.hpp"
#include "infra/secure.hpp"

namespace rxp::identity {
namespace {

using Outcome = WebAuthnOutcome;

constexpr size_t kAuthDataFixedBytes = 37;  // rpIdHash 32 | flags 1 | signCount 4
constexpr size_t kMaxJsonDepth = 16;
constexpr char kTypeCreate[] = "webauthn.create";
constexpr char kTypeGet[] = "webauthn.get";

Status malformed(std::string reason) {
  return Status(ErrorCode::kInvalidArgument, std::move(reason));
}

// "what: N bytes" style size gate shared by every input.
std::optional<std::string> size_problem(BytesView in, size_t max, const char* what) {
  if (in.empty()) return std::string(what) + ": empty";
  if (in.size() > max) return std::string(what) + ": larger than " + std::to_string(max) + " bytes";
  return std::nullopt;
}

std::array<uint8_t, 32> sha256(BytesView data) {
  std::array<uint8_t, 32> out{};
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

uint32_t read_be32(BytesView b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}

std::string prefixed(const char* what, const Status& st) {
  return std::string(what) + ": " + st.message();
}

// Everything both ceremonies check on clientDataJSON. Returns kAccepted when all passed.
template <class Check>
bool check_client_data(BytesView json, const char* expected_type, const WebAuthnExpectation& expect,
                       Check& check) {
  Result<ClientData> cd = parse_client_data(json);
  if (!cd) {
    check.outcome = Outcome::kMalformed;
    check.detail = cd.status().message();
    return false;
  }
  if (cd->type != expected_type) {
    check.outcome = Outcome::kBadType;
  } else if (!secure_equal(cd->challenge, expect.challenge)) {
    check.outcome = Outcome::kChallengeMismatch;
  } else if (cd->origin != expect.origin) {
    check.outcome = Outcome::kOriginMismatch;
  } else if (cd->cross_origin) {
    check.outcome = Outcome::kCrossOrigin;
  } else {
    return true;
  }
  return false;
}

// rpIdHash, UP, UV and BE/BS on parsed authenticator data.
template <class Check>
bool check_auth_flags(const AuthenticatorData& ad, const WebAuthnExpectation& expect,
                      Check& check) {
  const std::array<uint8_t, 32> want = sha256(as_bytes(expect.rp_id));
  if (!std::equal(want.begin(), want.end(), ad.rp_id_hash.begin())) {
    check.outcome = Outcome::kRpIdMismatch;
  } else if ((ad.flags & kFlagUserPresent) == 0) {
    check.outcome = Outcome::kUserNotPresent;
  } else if (expect.require_user_verification && (ad.flags & kFlagUserVerified) == 0) {
    check.outcome = Outcome::kUserNotVerified;
  } else {
    return true;
  }
  return false;
}

template <class Check>
bool check_expectation(const WebAuthnExpectation& expect, Check& check) {
  const char* problem = expect.challenge.empty() ? "expected challenge is empty"
                        : expect.origin.empty()  ? "expected origin is empty"
                        : expect.rp_id.empty()   ? "rp id is empty"
                                                 : nullptr;
  if (problem == nullptr) return true;
  check.outcome = Outcome::kBadExpectation;
  check.detail = problem;
  return false;
}

}  // namespace

// ---- challenges ----

Bytes generate_challenge() {
  Bytes c(kChallengeBytes);
  secure_random(c.data(), c.size());
  return c;
}

bool challenge_valid(int64_t issued_at_us, int64_t now_us) {
  if (issued_at_us < 0 || now_us < issued_at_us) return false;
  return now_us - issued_at_us < kChallengeTtlUs;  // both >= 0: no overflow
}

// ---- parsing ----

Result<ClientData> parse_client_data(BytesView json) {
  if (auto p = size_problem(json, kMaxClientDataBytes, "clientDataJSON")) return malformed(*p);
  if (!cbor::valid_utf8(json)) return malformed("clientDataJSON: invalid UTF-8");

  // Duplicate keys and depth are tracked by the parser callback (nlohmann keeps the last of
  // duplicate keys silently, which would let two readers disagree).
  bool duplicate = false;
  bool too_deep = false;
  std::vector<std::set<std::string>> seen;
  auto cb = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (static_cast<size_t>(depth) >= kMaxJsonDepth) too_deep = true;
    switch (event) {
      case nlohmann::json::parse_event_t::object_start:
        seen.emplace_back();
        break;
      case nlohmann::json::parse_event_t::object_end:
        if (!seen.empty()) seen.pop_back();
        break;
      case nlohmann::json::parse_event_t::key:
        if (!seen.empty() && parsed.is_string() &&
            !seen.back().insert(parsed.get_ref<const std::string&>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  nlohmann::json doc;
  try {
    const char* text = reinterpret_cast<const char*>(json.data());
    doc = nlohmann::json::parse(text, text + json.size(), cb, /*allow_exceptions=*/false);
  } catch (...) {  // allocation failure: nothing else throws with allow_exceptions = false
    return malformed("clientDataJSON: not parseable");
  }
  if (doc.is_discarded()) return malformed("clientDataJSON: not valid JSON");
  if (too_deep) return malformed("clientDataJSON: nesting too deep");
  if (duplicate) return malformed("clientDataJSON: duplicate key");
  if (!doc.is_object()) return malformed("clientDataJSON: not an object");

  auto text_member = [&](const char* name, std::string& out) -> Status {
    auto it = doc.find(name);
    if (it == doc.end()) return malformed(std::string("clientDataJSON: missing ") + name);
    if (!it->is_string())
      return malformed(std::string("clientDataJSON: ") + name + " is not a string");
    out = it->get<std::string>();
    return Status::ok();
  };
  ClientData cd;
  std::string challenge_text;
  RXP_RETURN_IF_ERROR(text_member("type", cd.type));
  RXP_RETURN_IF_ERROR(text_member("challenge", challenge_text));
  RXP_RETURN_IF_ERROR(text_member("origin", cd.origin));
  if (challenge_text.empty() || challenge_text.find('=') != std::string::npos ||
      !base64url_decode(challenge_text, cd.challenge)) {
    return malformed("clientDataJSON: challenge is not unpadded base64url");
  }
  if (auto it = doc.find("crossOrigin"); it != doc.end()) {
    if (!it->is_boolean()) return malformed("clientDataJSON: crossOrigin is not a boolean");
    cd.cross_origin = it->get<bool>();
  }
  return cd;
}

Result<AuthenticatorData> parse_authenticator_data(BytesView data) {
  if (auto p = size_problem(data, kMaxAuthenticatorDataBytes, "authenticatorData")) {
    return malformed(*p);
  }
  if (data.size() < kAuthDataFixedBytes)
    return malformed("authenticatorData: shorter than 37 bytes");
  AuthenticatorData ad;
  std::copy_n(data.begin(), kRpIdHashBytes, ad.rp_id_hash.begin());
  ad.flags = data[32];
  ad.sign_count = read_be32(data, 33);
  if ((ad.flags & kFlagBackedUp) != 0 && (ad.flags & kFlagBackupEligible) == 0) {
    return malformed("authenticatorData: BS flag without BE");
  }
  size_t pos = kAuthDataFixedBytes;

  if ((ad.flags & kFlagAttestedData) != 0) {
    if (data.size() - pos < 18)
      return malformed("authenticatorData: truncated attested credential data at offset 37");
    AttestedCredential ac;
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(pos), 16, ac.aaguid.begin());
    pos += 16;
    const size_t id_len = (size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    if (id_len == 0 || id_len > kMaxCredentialIdBytes) {
      return malformed("authenticatorData: credential id length out of range at offset 53");
    }
    if (data.size() - pos < id_len)
      return malformed("authenticatorData: credential id beyond the input at offset 55");
    ac.credential_id.assign(data.begin() + static_cast<std::ptrdiff_t>(pos),
                            data.begin() + static_cast<std::ptrdiff_t>(pos + id_len));
    pos += id_len;
    if (pos >= data.size()) {
      return malformed("authenticatorData: missing credential public key at offset " +
                       std::to_string(pos));
    }
    Result<cbor::Prefix> key = cbor::decode_prefix(data.subspan(pos));
    if (!key) {
      return malformed("authenticatorData: credential public key at offset " + std::to_string(pos) +
                       ": " + key.status().message());
    }
    if (key->value.type != cbor::Type::kMap) {
      return malformed("authenticatorData: credential public key is not a map at offset " +
                       std::to_string(pos));
    }
    ac.public_key_cose.assign(data.begin() + static_cast<std::ptrdiff_t>(pos),
                              data.begin() + static_cast<std::ptrdiff_t>(pos + key->consumed));
    pos += key->consumed;
    ad.attested = std::move(ac);
  }

  if ((ad.flags & kFlagExtensions) != 0) {
    if (pos >= data.size()) {
      return malformed("authenticatorData: missing extensions at offset " + std::to_string(pos));
    }
    Result<cbor::Value> ext = cbor::decode(data.subspan(pos));
    if (!ext) {
      return malformed("authenticatorData: extensions at offset " + std::to_string(pos) + ": " +
                       ext.status().message());
    }
    if (ext->type != cbor::Type::kMap) {
      return malformed("authenticatorData: extensions are not a map at offset " +
                       std::to_string(pos));
    }
    ad.extensions.assign(data.begin() + static_cast<std::ptrdiff_t>(pos), data.end());
    pos = data.size();
  }

  if (pos != data.size()) {
    return malformed("authenticatorData: trailing bytes at offset " + std::to_string(pos));
  }
  return ad;
}

// ---- ceremonies ----

const char* webauthn_outcome_name(WebAuthnOutcome outcome) {
  switch (outcome) {
    case Outcome::kAccepted:
      return "accepted";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kBadType:
      return "bad_type";
    case Outcome::kChallengeMismatch:
      return "challenge_mismatch";
    case Outcome::kOriginMismatch:
      return "origin_mismatch";
    case Outcome::kCrossOrigin:
      return "cross_origin";
    case Outcome::kRpIdMismatch:
      return "rp_id_mismatch";
    case Outcome::kUserNotPresent:
      return "user_not_present";
    case Outcome::kUserNotVerified:
      return "user_not_verified";
    case Outcome::kNoAttestedCredential:
      return "no_attested_credential";
    case Outcome::kUnsupportedAttestation:
      return "unsupported_attestation";
    case Outcome::kUnsupportedAlgorithm:
      return "unsupported_algorithm";
    case Outcome::kBadSignature:
      return "bad_signature";
    case Outcome::kCloneSuspected:
      return "clone_suspected";
    case Outcome::kBadCredential:
      return "bad_credential";
    case Outcome::kBadExpectation:
      return "bad_expectation";
  }
  return "unknown";
}

RegistrationCheck verify_registration(BytesView client_data_json, BytesView attestation_object,
                                      const WebAuthnExpectation& expect) {
  RegistrationCheck check;
  if (!check_expectation(expect, check)) return check;
  if (auto p = size_problem(attestation_object, kMaxAttestationObjectBytes, "attestationObject")) {
    check.detail = *p;
    return check;
  }
  if (!check_client_data(client_data_json, kTypeCreate, expect, check)) return check;

  Result<cbor::Value> att = cbor::decode(attestation_object);
  if (!att) {
    check.detail = prefixed("attestationObject", att.status());
    return check;
  }
  const cbor::Value* fmt = att->find("fmt");
  const cbor::Value* stmt = att->find("attStmt");
  const cbor::Value* auth = att->find("authData");
  if (att->type != cbor::Type::kMap || att->entries.size() != 3 || fmt == nullptr ||
      stmt == nullptr || auth == nullptr || fmt->type != cbor::Type::kText ||
      stmt->type != cbor::Type::kMap || auth->type != cbor::Type::kBytes) {
    check.detail = "attestationObject: not a map of fmt, attStmt and authData";
    return check;
  }
  if (fmt->text != "none" || !stmt->entries.empty()) {
    check.outcome = Outcome::kUnsupportedAttestation;
    return check;
  }

  Result<AuthenticatorData> ad = parse_authenticator_data(auth->bytes);
  if (!ad) {
    check.detail = ad.status().message();
    return check;
  }
  if (!check_auth_flags(*ad, expect, check)) return check;
  if (!ad->attested) {
    check.outcome = Outcome::kNoAttestedCredential;
    return check;
  }
  Result<CoseKey> key = parse_cose_key(ad->attested->public_key_cose);
  if (!key) {
    if (key.status().code() == ErrorCode::kUnknownType) {
      check.outcome = Outcome::kUnsupportedAlgorithm;
    } else {
      check.outcome = Outcome::kMalformed;
      check.detail = "authenticatorData: credential public key: " + key.status().message();
    }
    return check;
  }

  check.outcome = Outcome::kAccepted;
  check.credential_id = std::move(ad->attested->credential_id);
  check.public_key_cose = std::move(ad->attested->public_key_cose);
  check.alg = key->alg;
  check.sign_count = ad->sign_count;
  check.flags = ad->flags;
  check.aaguid = ad->attested->aaguid;
  return check;
}

AssertionCheck verify_assertion(BytesView client_data_json, BytesView authenticator_data,
                                BytesView signature, const StoredCredential& credential,
                                const WebAuthnExpectation& expect) {
  AssertionCheck check;
  if (!check_expectation(expect, check)) return check;
  Result<CoseKey> key = parse_cose_key(credential.public_key_cose);
  if (!key || key->alg != credential.alg) {
    check.outcome = Outcome::kBadCredential;
    check.detail = key ? "stored alg does not match the key" : key.status().message();
    return check;
  }
  if (auto p = size_problem(authenticator_data, kMaxAuthenticatorDataBytes, "authenticatorData")) {
    check.detail = *p;
    return check;
  }
  if (auto p = size_problem(signature, kMaxSignatureBytes, "signature")) {
    check.detail = *p;
    return check;
  }
  if (!check_client_data(client_data_json, kTypeGet, expect, check)) return check;

  Result<AuthenticatorData> ad = parse_authenticator_data(authenticator_data);
  if (!ad) {
    check.detail = ad.status().message();
    return check;
  }
  if (!check_auth_flags(*ad, expect, check)) return check;

  // The signed message: authenticatorData || SHA-256(clientDataJSON).
  Bytes message(authenticator_data.begin(), authenticator_data.end());
  const std::array<uint8_t, 32> client_hash = sha256(client_data_json);
  message.insert(message.end(), client_hash.begin(), client_hash.end());
  switch (verify_signature(*key, message, signature)) {
    case SignatureCheck::kValid:
      break;
    case SignatureCheck::kInvalid:
      check.outcome = Outcome::kBadSignature;
      return check;
    case SignatureCheck::kMalformed:
      check.outcome = Outcome::kMalformed;
      check.detail =
          std::string("signature: not a well-formed ") + cose_alg_name(key->alg) + " signature";
      return check;
  }

  check.sign_count = ad->sign_count;
  check.flags = ad->flags;
  const bool no_counter = credential.sign_count == 0 && ad->sign_count == 0;
  check.outcome = (no_counter || ad->sign_count > credential.sign_count) ? Outcome::kAccepted
                                                                         : Outcome::kCloneSuspected;
  return check;
}

}  // namespace rxp::identity
