// WebAuthn (actors/identity/webauthn.hpp, cose.hpp, cbor.hpp) with REAL credentials: a P-256
// key from OpenSSL and an Ed25519 key from libsodium, COSE keys, authenticatorData and
// attestationObjects encoded by a tiny CBOR encoder below, signatures by the private keys.
// Covers both ceremonies for both algorithms, every refusal outcome, the strict CBOR decoder,
// COSE key checks, base64url and the size limits.
#define BOOST_TEST_MODULE webauthn
#include <boost/test/unit_test.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/identity/cbor.hpp"
#include "actors/identity/cose.hpp"
#include "actors/identity/webauthn.hpp"
#include "infra/secure.hpp"

namespace {

using rxp::Bytes;
using rxp::BytesView;
using rxp::ErrorCode;
using rxp::Result;
using namespace rxp::identity;
using O = WebAuthnOutcome;

constexpr std::string_view kOrigin = "https://127.0.0.1:8443";
constexpr std::string_view kRpId = "127.0.0.1";

struct SodiumInit {
  SodiumInit() { BOOST_REQUIRE(rxp::secure_init()); }
};
BOOST_TEST_GLOBAL_FIXTURE(SodiumInit);

// ---- a tiny CBOR encoder (test side only) ----

Bytes head(uint8_t major, uint64_t n) {
  Bytes out;
  const uint8_t m = static_cast<uint8_t>(major << 5);
  if (n < 24) {
    out.push_back(static_cast<uint8_t>(m | n));
  } else if (n <= 0xff) {
    out = {static_cast<uint8_t>(m | 24), static_cast<uint8_t>(n)};
  } else if (n <= 0xffff) {
    out = {static_cast<uint8_t>(m | 25), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  } else if (n <= 0xffffffffu) {
    out.push_back(static_cast<uint8_t>(m | 26));
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(n >> s));
  } else {
    out.push_back(static_cast<uint8_t>(m | 27));
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(n >> s));
  }
  return out;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes cint(int64_t v) {
  return v >= 0 ? head(0, static_cast<uint64_t>(v)) : head(1, static_cast<uint64_t>(-1 - v));
}
Bytes cbytes(BytesView b) {
  return cat({head(2, b.size()), Bytes(b.begin(), b.end())});
}
Bytes ctext(std::string_view s) {
  BytesView b = rxp::as_bytes(s);
  return cat({head(3, b.size()), Bytes(b.begin(), b.end())});
}
Bytes cmap(const std::vector<std::pair<Bytes, Bytes>>& entries) {
  Bytes out = head(5, entries.size());
  for (const auto& [k, v] : entries) out = cat({out, k, v});
  return out;
}
Bytes carray(const std::vector<Bytes>& items) {
  Bytes out = head(4, items.size());
  for (const Bytes& i : items) out = cat({out, i});
  return out;
}
Bytes be16(size_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}
Bytes be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}
Bytes sha256(BytesView b) {
  Bytes out(32);
  crypto_hash_sha256(out.data(), b.data(), b.size());
  return out;
}

// ---- a software authenticator with a real key ----

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

struct Authenticator {
  CoseAlg alg;
  std::unique_ptr<EVP_PKEY, PkeyFree> ec;
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> ed_sk{};
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> ed_pk{};
  Bytes x, y;
  Bytes credential_id;
  std::array<uint8_t, 16> aaguid{};

  explicit Authenticator(CoseAlg a) : alg(a), credential_id(16) {
    rxp::secure_random(credential_id.data(), credential_id.size());
    for (size_t i = 0; i < aaguid.size(); ++i) aaguid[i] = static_cast<uint8_t>(0xa0 + i);
    if (alg == CoseAlg::kES256) {
      ec.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
      BOOST_REQUIRE(ec);
      x = coordinate(OSSL_PKEY_PARAM_EC_PUB_X);
      y = coordinate(OSSL_PKEY_PARAM_EC_PUB_Y);
    } else {
      BOOST_REQUIRE(crypto_sign_keypair(ed_pk.data(), ed_sk.data()) == 0);
      x.assign(ed_pk.begin(), ed_pk.end());
    }
  }
  ~Authenticator() { rxp::secure_wipe(ed_sk.data(), ed_sk.size()); }

  Bytes coordinate(const char* name) {
    BIGNUM* bn = nullptr;
    BOOST_REQUIRE(EVP_PKEY_get_bn_param(ec.get(), name, &bn) == 1);
    Bytes out(32);
    BOOST_REQUIRE(BN_bn2binpad(bn, out.data(), 32) == 32);
    BN_free(bn);
    return out;
  }

  Bytes cose_key() const {
    if (alg == CoseAlg::kES256) {
      return cmap({{cint(1), cint(2)},
                   {cint(3), cint(-7)},
                   {cint(-1), cint(1)},
                   {cint(-2), cbytes(x)},
                   {cint(-3), cbytes(y)}});
    }
    return cmap(
        {{cint(1), cint(1)}, {cint(3), cint(-8)}, {cint(-1), cint(6)}, {cint(-2), cbytes(x)}});
  }

  Bytes sign(BytesView msg) const {
    if (alg == CoseAlg::kEdDSA) {
      Bytes sig(crypto_sign_BYTES);
      crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), ed_sk.data());
      return sig;
    }
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    BOOST_REQUIRE(EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, ec.get()) == 1);
    size_t len = 0;
    BOOST_REQUIRE(EVP_DigestSign(md, nullptr, &len, msg.data(), msg.size()) == 1);
    Bytes sig(len);
    BOOST_REQUIRE(EVP_DigestSign(md, sig.data(), &len, msg.data(), msg.size()) == 1);
    sig.resize(len);
    EVP_MD_CTX_free(md);
    return sig;
  }

  // authenticatorData; with_attested adds the attested credential data.
  Bytes auth_data(uint8_t flags, uint32_t count, bool with_attested, std::string_view rp_id = kRpId,
                  const Bytes& extensions = {}) const {
    Bytes out = cat({sha256(rxp::as_bytes(rp_id)), Bytes{flags}, be32(count)});
    if (with_attested) {
      out = cat({out, Bytes(aaguid.begin(), aaguid.end()), be16(credential_id.size()),
                 credential_id, cose_key()});
    }
    return cat({out, extensions});
  }
};

std::string client_data(std::string_view type, BytesView challenge,
                        std::string_view origin = kOrigin, std::string_view extra = "") {
  return std::string(R"({"type":")") + std::string(type) + R"(","challenge":")" +
         rxp::base64url_encode(challenge) + R"(","origin":")" + std::string(origin) +
         R"(","crossOrigin":false)" + std::string(extra) + "}";
}

Bytes attestation_object(const Bytes& auth_data, std::string_view fmt = "none",
                         Bytes att_stmt = {}) {
  if (att_stmt.empty()) att_stmt = cmap({});
  return cmap({{ctext("fmt"), ctext(fmt)},
               {ctext("attStmt"), att_stmt},
               {ctext("authData"), cbytes(auth_data)}});
}

constexpr uint8_t kUpUv = kFlagUserPresent | kFlagUserVerified;
constexpr uint8_t kRegFlags = kUpUv | kFlagAttestedData;

struct Ceremony {
  Bytes challenge = generate_challenge();
  WebAuthnExpectation expect(bool require_uv = false) const {
    return {challenge, kOrigin, kRpId, require_uv};
  }
};

RegistrationCheck do_register(const Authenticator& a, const Ceremony& c, uint8_t flags = kRegFlags,
                              uint32_t count = 0) {
  const std::string cd = client_data("webauthn.create", c.challenge);
  return verify_registration(rxp::as_bytes(cd), attestation_object(a.auth_data(flags, count, true)),
                             c.expect());
}

// An assertion as a browser would send it: clientDataJSON, authenticatorData, signature.
struct Assertion {
  std::string client_data_json;
  Bytes auth_data;
  Bytes signature;
};
Assertion make_assertion(const Authenticator& a, const Ceremony& c, uint32_t count,
                         uint8_t flags = kUpUv, std::string_view type = "webauthn.get",
                         std::string_view origin = kOrigin, std::string_view rp_id = kRpId) {
  Assertion as;
  as.client_data_json = client_data(type, c.challenge, origin);
  as.auth_data = a.auth_data(flags, count, false, rp_id);
  as.signature = a.sign(cat({as.auth_data, sha256(rxp::as_bytes(as.client_data_json))}));
  return as;
}

AssertionCheck check(const Assertion& as, const StoredCredential& cred,
                     const WebAuthnExpectation& e) {
  return verify_assertion(rxp::as_bytes(as.client_data_json), as.auth_data, as.signature, cred, e);
}

// A registered credential: the authenticator and what the server stored.
struct Enrolled {
  Authenticator a;
  RegistrationCheck reg;
  explicit Enrolled(CoseAlg alg, uint32_t count = 0) : a(alg) {
    Ceremony c;
    reg = do_register(a, c, kRegFlags, count);
    BOOST_REQUIRE_MESSAGE(reg.accepted(), webauthn_outcome_name(reg.outcome) << " " << reg.detail);
  }
  StoredCredential stored(uint32_t count) const { return {reg.public_key_cose, reg.alg, count}; }
};

const std::array<CoseAlg, 2> kAlgs = {CoseAlg::kES256, CoseAlg::kEdDSA};

#define OUTCOME_IS(check_expr, expected)                                                          \
  do {                                                                                            \
    const auto& c_ = (check_expr);                                                                \
    BOOST_TEST(std::string(webauthn_outcome_name(c_.outcome)) == webauthn_outcome_name(expected), \
               "detail: " << c_.detail);                                                          \
  } while (0)

}  // namespace

// ---- ceremonies: the happy paths ----

BOOST_AUTO_TEST_CASE(registration_and_assertion_for_both_algorithms) {
  for (CoseAlg alg : kAlgs) {
    BOOST_TEST_CONTEXT(cose_alg_name(alg)) {
      Authenticator a(alg);
      Ceremony reg_c;
      RegistrationCheck reg = do_register(a, reg_c, kRegFlags, 7);
      BOOST_REQUIRE_MESSAGE(reg.accepted(), webauthn_outcome_name(reg.outcome)
                                                << " " << reg.detail);
      BOOST_TEST((reg.alg == alg));
      BOOST_TEST((reg.credential_id == a.credential_id));
      BOOST_TEST((reg.public_key_cose == a.cose_key()));
      BOOST_TEST(reg.sign_count == 7u);
      BOOST_TEST(reg.flags == kRegFlags);
      BOOST_TEST((reg.aaguid == a.aaguid));

      Ceremony get_c;
      const Assertion as = make_assertion(a, get_c, 8);
      AssertionCheck ok =
          check(as, {reg.public_key_cose, reg.alg, reg.sign_count}, get_c.expect(true));
      BOOST_TEST_REQUIRE(ok.accepted(), webauthn_outcome_name(ok.outcome) << " " << ok.detail);
      BOOST_TEST(ok.sign_count == 8u);
      BOOST_TEST(ok.flags == kUpUv);
    }
  }
}

BOOST_AUTO_TEST_CASE(registration_with_extensions_and_localhost) {
  Authenticator a(CoseAlg::kEdDSA);
  Ceremony c;
  const Bytes ext = cmap({{ctext("credProtect"), cint(2)}});
  const Bytes ad = a.auth_data(kRegFlags | kFlagExtensions, 0, true, "localhost", ext);
  const std::string cd = client_data("webauthn.create", c.challenge, "https://localhost:8443");
  RegistrationCheck r =
      verify_registration(rxp::as_bytes(cd), attestation_object(ad),
                          {c.challenge, "https://localhost:8443", "localhost", true});
  BOOST_TEST_REQUIRE(r.accepted(), webauthn_outcome_name(r.outcome) << " " << r.detail);
  Result<AuthenticatorData> parsed = parse_authenticator_data(ad);
  BOOST_REQUIRE(parsed.is_ok());
  BOOST_TEST((parsed->extensions == ext));
  // ED flag set but no extensions, or extensions without the flag: refused.
  OUTCOME_IS(verify_registration(
                 rxp::as_bytes(cd),
                 attestation_object(a.auth_data(kRegFlags | kFlagExtensions, 0, true, "localhost")),
                 {c.challenge, "https://localhost:8443", "localhost"}),
             O::kMalformed);
  OUTCOME_IS(
      verify_registration(rxp::as_bytes(cd),
                          attestation_object(a.auth_data(kRegFlags, 0, true, "localhost", ext)),
                          {c.challenge, "https://localhost:8443", "localhost"}),
      O::kMalformed);
}

// ---- clientData checks ----

BOOST_AUTO_TEST_CASE(tampered_client_data_fails_the_signature) {
  for (CoseAlg alg : kAlgs) {
    Enrolled e(alg);
    Ceremony c;
    Assertion as = make_assertion(e.a, c, 1);
    // Still well-formed and matching every expectation, but not what was signed.
    as.client_data_json.insert(as.client_data_json.size() - 1, R"(,"other":"x")");
    OUTCOME_IS(check(as, e.stored(0), c.expect()), O::kBadSignature);
    // Tampered authenticatorData (UV bit added) fails too.
    Assertion as2 = make_assertion(e.a, c, 1, kFlagUserPresent);
    as2.auth_data[32] |= kFlagUserVerified;
    OUTCOME_IS(check(as2, e.stored(0), c.expect(true)), O::kBadSignature);
  }
}

BOOST_AUTO_TEST_CASE(wrong_type_origin_rp_id_and_challenge) {
  for (CoseAlg alg : kAlgs) {
    BOOST_TEST_CONTEXT(cose_alg_name(alg)) {
      Enrolled e(alg);
      Ceremony c;
      // Assertion side.
      OUTCOME_IS(
          check(make_assertion(e.a, c, 1, kUpUv, "webauthn.create"), e.stored(0), c.expect()),
          O::kBadType);
      for (std::string_view origin :
           {"https://127.0.0.1:8444", "http://127.0.0.1:8443", "https://127.0.0.1:8443/",
            "https://evil.example", "HTTPS://127.0.0.1:8443"}) {
        OUTCOME_IS(check(make_assertion(e.a, c, 1, kUpUv, "webauthn.get", origin), e.stored(0),
                         c.expect()),
                   O::kOriginMismatch);
      }
      OUTCOME_IS(check(make_assertion(e.a, c, 1, kUpUv, "webauthn.get", kOrigin, "evil.example"),
                       e.stored(0), c.expect()),
                 O::kRpIdMismatch);
      // A replayed assertion: signed for an older challenge, checked against the current one.
      Ceremony old;
      const Assertion replay = make_assertion(e.a, old, 1);
      OUTCOME_IS(check(replay, e.stored(0), c.expect()), O::kChallengeMismatch);
      // A challenge prefix is not the challenge.
      WebAuthnExpectation prefix = old.expect();
      prefix.challenge = BytesView(old.challenge).first(31);
      OUTCOME_IS(check(replay, e.stored(0), prefix), O::kChallengeMismatch);
      // Cross-origin embedding is refused.
      Assertion xo = make_assertion(e.a, c, 1);
      xo.client_data_json = R"({"type":"webauthn.get","challenge":")" +
                            rxp::base64url_encode(c.challenge) +
                            R"(","origin":"https://127.0.0.1:8443","crossOrigin":true})";
      xo.signature = e.a.sign(cat({xo.auth_data, sha256(rxp::as_bytes(xo.client_data_json))}));
      OUTCOME_IS(check(xo, e.stored(0), c.expect()), O::kCrossOrigin);
    }
  }
  // Registration side.
  Authenticator a(CoseAlg::kES256);
  Ceremony c;
  const Bytes att = attestation_object(a.auth_data(kRegFlags, 0, true));
  auto reg = [&](const std::string& cd, const WebAuthnExpectation& e) {
    return verify_registration(rxp::as_bytes(cd), att, e);
  };
  OUTCOME_IS(reg(client_data("webauthn.get", c.challenge), c.expect()), O::kBadType);
  OUTCOME_IS(reg(client_data("webauthn.create", c.challenge, "https://evil.example"), c.expect()),
             O::kOriginMismatch);
  Ceremony other;
  OUTCOME_IS(reg(client_data("webauthn.create", c.challenge), other.expect()),
             O::kChallengeMismatch);
  OUTCOME_IS(verify_registration(rxp::as_bytes(client_data("webauthn.create", c.challenge)),
                                 attestation_object(a.auth_data(kRegFlags, 0, true, "localhost")),
                                 c.expect()),
             O::kRpIdMismatch);
}

BOOST_AUTO_TEST_CASE(client_data_parsing_is_strict) {
  Ceremony c;
  const std::string b64 = rxp::base64url_encode(c.challenge);
  auto parse = [](std::string_view s) { return parse_client_data(rxp::as_bytes(s)); };
  auto good = parse(R"({"type":"webauthn.get","challenge":")" + b64 + R"(","origin":"o"})");
  BOOST_REQUIRE(good.is_ok());
  BOOST_TEST((good->challenge == c.challenge));
  BOOST_TEST(!good->cross_origin);
  const std::vector<std::string> bad = {
      "", "[]", "\"webauthn.get\"",
      R"({"type":"webauthn.get","challenge":")" + b64 + R"("})",  // no origin
      R"({"challenge":")" + b64 + R"(","origin":"o"})",           // no type
      R"({"type":1,"challenge":")" + b64 + R"(","origin":"o"})",  // type not a string
      R"({"type":"webauthn.get","challenge":")" + b64 + R"(","origin":"o","crossOrigin":"no"})",
      R"({"type":"webauthn.get","type":"webauthn.create","challenge":")" + b64 +
          R"(","origin":"o"})",
      R"({"type":"webauthn.get","challenge":")" + b64 + R"(","origin":"o"} )" +
          "x",  // trailing junk
      R"({"type":"webauthn.get","challenge":")" + b64 +
          R"(","origin":"o","x":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]})",
      R"({"type":"webauthn.get","challenge":")" + b64 + R"(","origin":"o","x":{"a":1,"a":2}})",
      // malformed base64url challenges
      R"({"type":"webauthn.get","challenge":"","origin":"o"})",
      R"({"type":"webauthn.get","challenge":"Zg==","origin":"o"})",   // padding
      R"({"type":"webauthn.get","challenge":"Zg=a","origin":"o"})",   // padding in the middle
      R"({"type":"webauthn.get","challenge":"Z+8v","origin":"o"})",   // base64, not base64url
      R"({"type":"webauthn.get","challenge":"Zh","origin":"o"})",     // non-zero trailing bits
      R"({"type":"webauthn.get","challenge":"Zm9vY","origin":"o"})",  // impossible length
      R"({"type":"webauthn.get","challenge":"Zm 9v","origin":"o"})",  // space
  };
  for (const std::string& s : bad) {
    BOOST_TEST_CONTEXT("input " << s) {
      auto r = parse(s);
      BOOST_TEST(!r.is_ok());
      if (!r.is_ok()) BOOST_TEST(r.status().message().find(b64) == std::string::npos);
    }
  }
  // Invalid UTF-8 (overlong '/', lone continuation, surrogate, truncated) inside a string.
  for (std::string_view junk :
       {"\xc0\xaf", "\x80", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"}) {
    const std::string s = R"({"type":"webauthn.get","challenge":")" + b64 + R"(","origin":")" +
                          std::string(junk) + R"("})";
    auto r = parse(s);
    BOOST_TEST(!r.is_ok());
    BOOST_TEST(r.status().message().find("UTF-8") != std::string::npos);
  }
  // Through a ceremony: malformed.
  Enrolled e(CoseAlg::kEdDSA);
  Assertion as = make_assertion(e.a, c, 1);
  as.client_data_json.insert(as.client_data_json.size() - 1, ",\"x\":\"\xff\"");
  OUTCOME_IS(check(as, e.stored(0), c.expect()), O::kMalformed);
}

// ---- authenticator flags and counters ----

BOOST_AUTO_TEST_CASE(user_presence_and_verification_flags) {
  for (CoseAlg alg : kAlgs) {
    Enrolled e(alg);
    Ceremony c;
    OUTCOME_IS(check(make_assertion(e.a, c, 1, kFlagUserVerified), e.stored(0), c.expect()),
               O::kUserNotPresent);
    OUTCOME_IS(check(make_assertion(e.a, c, 1, kFlagUserPresent), e.stored(0), c.expect(true)),
               O::kUserNotVerified);
    OUTCOME_IS(check(make_assertion(e.a, c, 1, kFlagUserPresent), e.stored(0), c.expect(false)),
               O::kAccepted);
    // Backup state without backup eligibility is malformed; with it, fine.
    OUTCOME_IS(check(make_assertion(e.a, c, 1, kUpUv | kFlagBackedUp), e.stored(0), c.expect()),
               O::kMalformed);
    OUTCOME_IS(check(make_assertion(e.a, c, 1, kUpUv | kFlagBackedUp | kFlagBackupEligible),
                     e.stored(0), c.expect()),
               O::kAccepted);
  }
  // Registration: UP, UV and AT.
  Authenticator a(CoseAlg::kES256);
  Ceremony c;
  OUTCOME_IS(do_register(a, c, kFlagUserVerified | kFlagAttestedData), O::kUserNotPresent);
  const std::string cd = client_data("webauthn.create", c.challenge);
  OUTCOME_IS(verify_registration(
                 rxp::as_bytes(cd),
                 attestation_object(a.auth_data(kFlagUserPresent | kFlagAttestedData, 0, true)),
                 c.expect(true)),
             O::kUserNotVerified);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd),
                                 attestation_object(a.auth_data(kUpUv, 0, false)), c.expect()),
             O::kNoAttestedCredential);
}

BOOST_AUTO_TEST_CASE(sign_count_regression_is_clone_suspected) {
  for (CoseAlg alg : kAlgs) {
    BOOST_TEST_CONTEXT(cose_alg_name(alg)) {
      Enrolled e(alg);
      Ceremony c;
      const std::vector<std::tuple<uint32_t, uint32_t, O>> cases = {
          {0, 0, O::kAccepted},  // authenticator without a counter
          {0, 1, O::kAccepted},
          {10, 11, O::kAccepted},
          {10, 0xffffffffu, O::kAccepted},
          {10, 10, O::kCloneSuspected},
          {10, 9, O::kCloneSuspected},
          {5, 0, O::kCloneSuspected},
          {0xffffffffu, 0, O::kCloneSuspected},
      };
      for (const auto& [stored, presented, expected] : cases) {
        BOOST_TEST_CONTEXT("stored " << stored << " presented " << presented) {
          AssertionCheck r = check(make_assertion(e.a, c, presented), e.stored(stored), c.expect());
          OUTCOME_IS(r, expected);
          BOOST_TEST(r.sign_count == presented);
        }
      }
      // A clone with a regressed counter but a bad signature is a bad signature, not a clone.
      Assertion as = make_assertion(e.a, c, 3);
      as.signature.back() ^= 0x01;
      OUTCOME_IS(check(as, e.stored(10), c.expect()), O::kBadSignature);
    }
  }
}

// ---- signatures ----

BOOST_AUTO_TEST_CASE(bad_and_malformed_signatures) {
  for (CoseAlg alg : kAlgs) {
    BOOST_TEST_CONTEXT(cose_alg_name(alg)) {
      Enrolled e(alg);
      Authenticator other(alg);
      Ceremony c;
      Assertion as = make_assertion(e.a, c, 1);
      Assertion flipped = as;
      flipped.signature.back() ^= 0x01;
      OUTCOME_IS(check(flipped, e.stored(0), c.expect()), O::kBadSignature);
      Assertion foreign = make_assertion(other, c, 1);
      OUTCOME_IS(check(foreign, e.stored(0), c.expect()), O::kBadSignature);
      Assertion truncated = as;
      truncated.signature.pop_back();
      OUTCOME_IS(check(truncated, e.stored(0), c.expect()), O::kMalformed);
      Assertion longer = as;
      longer.signature.push_back(0);
      OUTCOME_IS(check(longer, e.stored(0), c.expect()), O::kMalformed);
      Assertion empty = as;
      empty.signature.clear();
      OUTCOME_IS(check(empty, e.stored(0), c.expect()), O::kMalformed);
      Assertion huge = as;
      huge.signature.assign(kMaxSignatureBytes + 1, 0x30);
      OUTCOME_IS(check(huge, e.stored(0), c.expect()), O::kMalformed);
    }
  }
  // ES256: raw r||s (64 bytes) and non-minimal DER are not accepted.
  Enrolled e(CoseAlg::kES256);
  Ceremony c;
  Assertion as = make_assertion(e.a, c, 1);
  const Bytes& der = as.signature;
  BOOST_REQUIRE(der[0] == 0x30 && der[2] == 0x02);
  Assertion raw = as;
  raw.signature.assign(64, 0x11);
  OUTCOME_IS(check(raw, e.stored(0), c.expect()), O::kMalformed);
  // Long-form length for the SEQUENCE (0x81 len) encodes the same value non-minimally.
  Assertion long_form = as;
  long_form.signature = cat({Bytes{0x30, 0x81, der[1]}, Bytes(der.begin() + 2, der.end())});
  OUTCOME_IS(check(long_form, e.stored(0), c.expect()), O::kMalformed);
  // Wrong algorithm recorded with the stored key.
  OUTCOME_IS(check(as, {e.reg.public_key_cose, CoseAlg::kEdDSA, 0}, c.expect()), O::kBadCredential);
  OUTCOME_IS(check(as, {Bytes{0xa0}, CoseAlg::kES256, 0}, c.expect()), O::kBadCredential);
}

// ---- attestation ----

BOOST_AUTO_TEST_CASE(only_fmt_none_is_accepted) {
  Authenticator a(CoseAlg::kES256);
  Ceremony c;
  const std::string cd = client_data("webauthn.create", c.challenge);
  const Bytes ad = a.auth_data(kRegFlags, 0, true);
  const Bytes packed_stmt = cmap({{ctext("alg"), cint(-7)}, {ctext("sig"), cbytes(Bytes(70, 1))}});
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), attestation_object(ad, "packed", packed_stmt),
                                 c.expect()),
             O::kUnsupportedAttestation);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), attestation_object(ad, "fido-u2f", packed_stmt),
                                 c.expect()),
             O::kUnsupportedAttestation);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), attestation_object(ad, "none", packed_stmt),
                                 c.expect()),
             O::kUnsupportedAttestation);
  // Shape errors.
  OUTCOME_IS(
      verify_registration(rxp::as_bytes(cd),
                          cmap({{ctext("fmt"), ctext("none")}, {ctext("authData"), cbytes(ad)}}),
                          c.expect()),
      O::kMalformed);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd),
                                 cmap({{ctext("fmt"), ctext("none")},
                                       {ctext("attStmt"), cmap({})},
                                       {ctext("authData"), cbytes(ad)},
                                       {ctext("x"), cint(1)}}),
                                 c.expect()),
             O::kMalformed);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd),
                                 cmap({{ctext("fmt"), ctext("none")},
                                       {ctext("attStmt"), cmap({})},
                                       {ctext("authData"), ctext("x")}}),
                                 c.expect()),
             O::kMalformed);
}

BOOST_AUTO_TEST_CASE(cose_keys_are_checked) {
  Authenticator ec(CoseAlg::kES256);
  Authenticator ed(CoseAlg::kEdDSA);
  BOOST_TEST(parse_cose_key(ec.cose_key()).is_ok());
  BOOST_TEST(parse_cose_key(ed.cose_key()).is_ok());

  auto ec_key = [&](int64_t kty, int64_t alg, int64_t crv, const Bytes& x, const Bytes& y) {
    return cmap({{cint(1), cint(kty)},
                 {cint(3), cint(alg)},
                 {cint(-1), cint(crv)},
                 {cint(-2), cbytes(x)},
                 {cint(-3), cbytes(y)}});
  };
  Bytes off_curve_y = ec.y;
  off_curve_y[31] ^= 0x01;
  const Bytes p(32, 0xff);  // >= the field prime
  struct Case {
    const char* name;
    Bytes key;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {"point off the curve", ec_key(2, -7, 1, ec.x, off_curve_y), ErrorCode::kInvalidArgument},
      {"coordinates >= p", ec_key(2, -7, 1, p, p), ErrorCode::kInvalidArgument},
      {"zero point", ec_key(2, -7, 1, Bytes(32, 0), Bytes(32, 0)), ErrorCode::kInvalidArgument},
      {"x 31 bytes", ec_key(2, -7, 1, Bytes(ec.x.begin() + 1, ec.x.end()), ec.y),
       ErrorCode::kInvalidArgument},
      {"y 33 bytes", ec_key(2, -7, 1, ec.x, cat({Bytes{0}, ec.y})), ErrorCode::kInvalidArgument},
      {"P-384 curve", ec_key(2, -7, 2, ec.x, ec.y), ErrorCode::kUnknownType},
      {"ES384 alg", ec_key(2, -35, 1, ec.x, ec.y), ErrorCode::kUnknownType},
      {"RS256",
       cmap({{cint(1), cint(3)},
             {cint(3), cint(-257)},
             {cint(-1), cbytes(Bytes(256, 1))},
             {cint(-2), cbytes(Bytes{1, 0, 1})}}),
       ErrorCode::kInvalidArgument},  // RSA has no integer crv: malformed for us
      {"RS256 with crv", cmap({{cint(1), cint(3)}, {cint(3), cint(-257)}, {cint(-1), cint(0)}}),
       ErrorCode::kUnknownType},
      {"compressed y",
       cmap({{cint(1), cint(2)},
             {cint(3), cint(-7)},
             {cint(-1), cint(1)},
             {cint(-2), cbytes(ec.x)},
             {cint(-3), Bytes{0xf5}}}),
       ErrorCode::kInvalidArgument},
      {"private key",
       cmap({{cint(1), cint(1)},
             {cint(3), cint(-8)},
             {cint(-1), cint(6)},
             {cint(-2), cbytes(ed.x)},
             {cint(-4), cbytes(Bytes(32, 1))}}),
       ErrorCode::kInvalidArgument},
      {"Ed25519 small-order point",
       cmap({{cint(1), cint(1)},
             {cint(3), cint(-8)},
             {cint(-1), cint(6)},
             {cint(-2), cbytes(Bytes(32, 0))}}),
       ErrorCode::kInvalidArgument},
      {"X25519 curve",
       cmap({{cint(1), cint(1)},
             {cint(3), cint(-8)},
             {cint(-1), cint(4)},
             {cint(-2), cbytes(ed.x)}}),
       ErrorCode::kUnknownType},
      {"missing kty", cmap({{cint(3), cint(-8)}, {cint(-1), cint(6)}, {cint(-2), cbytes(ed.x)}}),
       ErrorCode::kInvalidArgument},
      {"text kty",
       cmap({{cint(1), ctext("OKP")},
             {cint(3), cint(-8)},
             {cint(-1), cint(6)},
             {cint(-2), cbytes(ed.x)}}),
       ErrorCode::kInvalidArgument},
      {"not a map", carray({cint(1)}), ErrorCode::kInvalidArgument},
  };
  for (const Case& k : cases) {
    BOOST_TEST_CONTEXT(k.name) {
      auto r = parse_cose_key(k.key);
      BOOST_TEST(!r.is_ok());
      BOOST_TEST(rxp::to_string(r.status().code()) == rxp::to_string(k.code));
    }
  }
  // Unsupported algorithm through registration.
  Ceremony c;
  Bytes ad = cat({sha256(rxp::as_bytes(kRpId)), Bytes{kRegFlags}, be32(0), Bytes(16, 0), be16(4),
                  Bytes{1, 2, 3, 4}, ec_key(2, -35, 1, ec.x, ec.y)});
  OUTCOME_IS(verify_registration(rxp::as_bytes(client_data("webauthn.create", c.challenge)),
                                 attestation_object(ad), c.expect()),
             O::kUnsupportedAlgorithm);
  ad = cat({sha256(rxp::as_bytes(kRpId)), Bytes{kRegFlags}, be32(0), Bytes(16, 0), be16(4),
            Bytes{1, 2, 3, 4}, ec_key(2, -7, 1, ec.x, off_curve_y)});
  OUTCOME_IS(verify_registration(rxp::as_bytes(client_data("webauthn.create", c.challenge)),
                                 attestation_object(ad), c.expect()),
             O::kMalformed);
}

// ---- authenticatorData layout ----

BOOST_AUTO_TEST_CASE(authenticator_data_is_strict_about_lengths) {
  Authenticator a(CoseAlg::kEdDSA);
  const Bytes good = a.auth_data(kRegFlags, 1, true);
  BOOST_REQUIRE(parse_authenticator_data(good).is_ok());
  const Bytes rp = sha256(rxp::as_bytes(kRpId));
  const Bytes key = a.cose_key();
  const std::vector<std::pair<const char*, Bytes>> bad = {
      {"empty", {}},
      {"36 bytes", Bytes(good.begin(), good.begin() + 36)},
      {"no AT, trailing byte", cat({rp, Bytes{kUpUv}, be32(0), Bytes{0}})},
      {"AT, truncated aaguid", cat({rp, Bytes{kRegFlags}, be32(0), Bytes(10, 0)})},
      {"AT, zero credential id", cat({rp, Bytes{kRegFlags}, be32(0), Bytes(16, 0), be16(0), key})},
      {"AT, 1024-byte credential id",
       cat({rp, Bytes{kRegFlags}, be32(0), Bytes(16, 0), be16(1024), Bytes(1024, 1), key})},
      {"AT, credential id beyond input",
       cat({rp, Bytes{kRegFlags}, be32(0), Bytes(16, 0), be16(200), Bytes(20, 1)})},
      {"AT, no key", cat({rp, Bytes{kRegFlags}, be32(0), Bytes(16, 0), be16(2), Bytes{1, 2}})},
      {"AT, truncated key", Bytes(good.begin(), good.end() - 1)},
      {"AT, trailing byte", cat({good, Bytes{0}})},
      {"AT, key not a map",
       cat({rp, Bytes{kRegFlags}, be32(0), Bytes(16, 0), be16(2), Bytes{1, 2}, cint(5)})},
      {"ED, extensions not a map", cat({rp, Bytes{kUpUv | kFlagExtensions}, be32(0), cint(1)})},
      {"ED, two maps", cat({rp, Bytes{kUpUv | kFlagExtensions}, be32(0), cmap({}), cmap({})})},
      {"too large", cat({rp, Bytes{kUpUv | kFlagExtensions}, be32(0),
                         cmap({{ctext("x"), cbytes(Bytes(kMaxAuthenticatorDataBytes, 0))}})})},
  };
  for (const auto& [name, data] : bad) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(!parse_authenticator_data(data).is_ok());
    }
  }
  // 1023-byte credential ids are fine.
  auto max_id = parse_authenticator_data(
      cat({rp, Bytes{kRegFlags}, be32(0), Bytes(16, 0), be16(1023), Bytes(1023, 1), key}));
  BOOST_REQUIRE(max_id.is_ok());
  BOOST_TEST(max_id->attested->credential_id.size() == 1023u);
}

// ---- sizes ----

BOOST_AUTO_TEST_CASE(oversized_and_empty_inputs_are_refused) {
  Enrolled e(CoseAlg::kES256);
  Ceremony c;
  const Assertion as = make_assertion(e.a, c, 1);
  const StoredCredential cred = e.stored(0);
  BOOST_TEST_REQUIRE(check(as, cred, c.expect()).accepted());
  const std::string big_cd =
      client_data("webauthn.get", c.challenge, kOrigin,
                  R"(,"pad":")" + std::string(kMaxClientDataBytes, 'a') + "\"");
  OUTCOME_IS(verify_assertion(BytesView{}, as.auth_data, as.signature, cred, c.expect()),
             O::kMalformed);
  OUTCOME_IS(verify_assertion(rxp::as_bytes(big_cd), as.auth_data, as.signature, cred, c.expect()),
             O::kMalformed);
  OUTCOME_IS(verify_assertion(rxp::as_bytes(as.client_data_json), BytesView{}, as.signature, cred,
                              c.expect()),
             O::kMalformed);
  OUTCOME_IS(
      verify_assertion(rxp::as_bytes(as.client_data_json), Bytes(kMaxAuthenticatorDataBytes + 1, 0),
                       as.signature, cred, c.expect()),
      O::kMalformed);
  OUTCOME_IS(verify_assertion(rxp::as_bytes(as.client_data_json), as.auth_data, BytesView{}, cred,
                              c.expect()),
             O::kMalformed);
  // Registration.
  Authenticator a(CoseAlg::kEdDSA);
  const std::string cd = client_data("webauthn.create", c.challenge);
  const Bytes att = attestation_object(a.auth_data(kRegFlags, 0, true));
  BOOST_TEST_REQUIRE(verify_registration(rxp::as_bytes(cd), att, c.expect()).accepted());
  OUTCOME_IS(verify_registration(BytesView{}, att, c.expect()), O::kMalformed);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), BytesView{}, c.expect()), O::kMalformed);
  Bytes big_att = cmap({{ctext("fmt"), ctext("none")},
                        {ctext("attStmt"), cmap({})},
                        {ctext("authData"), cbytes(Bytes(kMaxAttestationObjectBytes, 0))}});
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), big_att, c.expect()), O::kMalformed);
  // Caller bugs.
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), att, {BytesView{}, kOrigin, kRpId}),
             O::kBadExpectation);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), att, {c.challenge, "", kRpId}),
             O::kBadExpectation);
  OUTCOME_IS(check(as, cred, {c.challenge, kOrigin, ""}), O::kBadExpectation);
}

// ---- CBOR ----

BOOST_AUTO_TEST_CASE(cbor_decodes_the_webauthn_subset) {
  auto v = cbor::decode(
      cmap({{cint(1), cint(-7)},
            {ctext("k"), carray({cbytes(Bytes{1, 2}), Bytes{0xf5}, Bytes{0xf4}, Bytes{0xf6}})}}));
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  BOOST_TEST((v->find(1)->as_int() == std::optional<int64_t>(-7)));
  const cbor::Value* arr = v->find("k");
  BOOST_REQUIRE(arr != nullptr);
  BOOST_TEST(arr->items.size() == 4u);
  BOOST_TEST((arr->items[0].bytes == Bytes{1, 2}));
  BOOST_TEST(arr->items[1].boolean);
  BOOST_TEST((arr->items[3].type == cbor::Type::kNull));
  // Non-shortest integer encodings are accepted (interoperability); 64-bit extremes.
  BOOST_TEST((cbor::decode(Bytes{0x19, 0x00, 0x01})->as_int() == std::optional<int64_t>(1)));
  BOOST_TEST(!cbor::decode(Bytes{0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})->as_int());
  BOOST_TEST((cbor::decode(Bytes{0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})->as_int() ==
              std::optional<int64_t>(INT64_MIN)));
  // decode_prefix reports the bytes used.
  auto p = cbor::decode_prefix(cat({cmap({{cint(1), cint(2)}}), Bytes{0xff, 0xff}}));
  BOOST_REQUIRE(p.is_ok());
  BOOST_TEST(p->consumed == 3u);
  // 16 levels deep is fine.
  Bytes deep16 = cint(0);
  for (int i = 1; i < 16; ++i) deep16 = carray({deep16});
  BOOST_TEST(cbor::decode(deep16).is_ok());
}

BOOST_AUTO_TEST_CASE(cbor_refuses_malformed_input) {
  Bytes deep17 = cint(0);
  for (int i = 1; i < 17; ++i) deep17 = carray({deep17});
  Bytes many;  // 2000 items in one array
  many = head(4, 2000);
  many.insert(many.end(), 2000, 0x00);
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"empty", {}},
      {"truncated head", {0x19, 0x01}},
      {"truncated bytes", {0x44, 1, 2, 3}},
      {"truncated map", cat({head(5, 2), cint(1), cint(2)})},
      {"indefinite bytes", {0x5f, 0x41, 0x00, 0xff}},
      {"indefinite array", {0x9f, 0x01, 0xff}},
      {"indefinite map", {0xbf, 0x01, 0x02, 0xff}},
      {"indefinite integer", {0x1f}},
      {"tag", {0xc0, 0x60}},
      {"tag 24 around bytes", {0xd8, 0x18, 0x41, 0x00}},
      {"half float", {0xf9, 0x3c, 0x00}},
      {"double", {0xfb, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"undefined", {0xf7}},
      {"simple 16", {0xf0}},
      {"simple 24", {0xf8, 0x20}},
      {"break", {0xff}},
      {"reserved info 28", {0x1c}},
      {"duplicate int key", cmap({{cint(1), cint(2)}, {cint(1), cint(3)}})},
      {"duplicate key, other width", cmap({{cint(1), cint(2)}, {Bytes{0x18, 0x01}, cint(3)}})},
      {"duplicate text key", cmap({{ctext("a"), cint(2)}, {ctext("a"), cint(3)}})},
      {"bytes map key", cmap({{cbytes(Bytes{1}), cint(2)}})},
      {"array map key", cmap({{carray({}), cint(2)}})},
      {"nesting 17", deep17},
      {"trailing byte", {0x01, 0x01}},
      {"huge byte string length", {0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {"huge text length", {0x7a, 0x7f, 0xff, 0xff, 0xff}},
      {"huge array count", {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {"huge map count", {0xba, 0xff, 0xff, 0xff, 0xff, 0x01}},
      {"too many items", many},
      {"invalid UTF-8 text", {0x62, 0xc3, 0x28}},
      {"surrogate in text", {0x63, 0xed, 0xa0, 0x80}},
  };
  for (const auto& [name, bytes] : cases) {
    BOOST_TEST_CONTEXT(name) {
      auto r = cbor::decode(bytes);
      BOOST_TEST(!r.is_ok());
      if (!r.is_ok()) {
        BOOST_TEST((r.status().code() == ErrorCode::kInvalidArgument));
        BOOST_TEST(r.status().message().find("offset") != std::string::npos);
      }
    }
  }
  // Same refusals through a ceremony: malformed attestation objects.
  Authenticator a(CoseAlg::kES256);
  Ceremony c;
  const std::string cd = client_data("webauthn.create", c.challenge);
  const Bytes att = attestation_object(a.auth_data(kRegFlags, 0, true));
  BOOST_TEST_REQUIRE(verify_registration(rxp::as_bytes(cd), att, c.expect()).accepted());
  for (const auto& [name, bytes] : cases) {
    if (bytes.empty()) continue;
    BOOST_TEST_CONTEXT(name) {
      OUTCOME_IS(verify_registration(rxp::as_bytes(cd), bytes, c.expect()), O::kMalformed);
    }
  }
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), Bytes(att.begin(), att.end() - 1), c.expect()),
             O::kMalformed);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), cat({att, Bytes{0x00}}), c.expect()),
             O::kMalformed);
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), cat({Bytes{0xc0}, att}), c.expect()),
             O::kMalformed);
  // A duplicate "fmt" key that would otherwise smuggle "packed" past a last-wins reader.
  const Bytes dup =
      cat({head(5, 4), ctext("fmt"), ctext("none"), ctext("attStmt"), cmap({}), ctext("authData"),
           cbytes(a.auth_data(kRegFlags, 0, true)), ctext("fmt"), ctext("packed")});
  OUTCOME_IS(verify_registration(rxp::as_bytes(cd), dup, c.expect()), O::kMalformed);
}

// ---- base64url and challenges ----

BOOST_AUTO_TEST_CASE(base64url_rfc4648_and_strictness) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, text] : vectors) {
    BOOST_TEST(rxp::base64url_encode(rxp::as_bytes(plain)) == text);
    Bytes out;
    BOOST_REQUIRE(rxp::base64url_decode(text, out));
    BOOST_TEST(std::string(rxp::as_chars(out)) == plain);
  }
  Bytes out;
  BOOST_TEST(rxp::base64url_encode(Bytes{0xfb, 0xff, 0xbf}) == "-_-_");
  BOOST_REQUIRE(rxp::base64url_decode("-_-_", out));
  BOOST_TEST((out == Bytes{0xfb, 0xff, 0xbf}));
  BOOST_TEST(rxp::base64url_decode("Zg==", out));  // correct trailing padding is tolerated
  BOOST_TEST(rxp::base64url_decode("Zm8=", out));
  for (std::string_view bad : {"Zg=", "Zg===", "Z===", "Zm8==", "Zg=a", "=Zg", "Z", "Zm9vY", "Zh",
                               "Zm9", "+/8", "Zm 9v", "Zm9v\n", "Zm9v====", "Zm9vYg==x"}) {
    BOOST_TEST(!rxp::base64url_decode(bad, out), "input " << bad);
    BOOST_TEST(out.empty());
  }
  for (size_t len = 0; len < 40; ++len) {
    Bytes b(len);
    if (len > 0) rxp::secure_random(b.data(), b.size());  // randombytes_buf: pointer nonnull
    Bytes d;
    BOOST_REQUIRE(rxp::base64url_decode(rxp::base64url_encode(b), d));
    BOOST_TEST((d == b));
  }
}

BOOST_AUTO_TEST_CASE(challenges_are_random_and_expire_after_five_minutes) {
  const Bytes a = generate_challenge();
  const Bytes b = generate_challenge();
  BOOST_TEST(a.size() == kChallengeBytes);
  BOOST_TEST((a != b));
  const int64_t t = 1'700'000'000'000'000;
  BOOST_TEST(challenge_valid(t, t));
  BOOST_TEST(challenge_valid(t, t + kChallengeTtlUs - 1));
  BOOST_TEST(!challenge_valid(t, t + kChallengeTtlUs));
  BOOST_TEST(!challenge_valid(t, t - 1));  // issued in the future
  BOOST_TEST(!challenge_valid(-1, t));
  BOOST_TEST(!challenge_valid(0, INT64_MAX));
  BOOST_TEST(kChallengeTtlUs == 300'000'000);
}

BOOST_AUTO_TEST_CASE(outcome_names) {
  BOOST_TEST(std::string(webauthn_outcome_name(O::kCloneSuspected)) == "clone_suspected");
  BOOST_TEST(std::string(webauthn_outcome_name(O::kUnsupportedAttestation)) ==
             "unsupported_attestation");
  BOOST_TEST(std::string(webauthn_outcome_name(O::kMalformed)) == "malformed");
  BOOST_TEST(std::string(cose_alg_name(CoseAlg::kEdDSA)) == "EdDSA");
}
