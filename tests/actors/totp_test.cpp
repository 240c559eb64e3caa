// TOTP, base32, otpauth URIs and recovery codes (actors/identity/totp.hpp): RFC 4226 and
// RFC 6238 vectors, interop with the oathtool binary (required: CI installs it), the
// verification window, replay, malformed input and single-use recovery codes.
#define BOOST_TEST_MODULE totp
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "actors/identity/totp.hpp"
#include "infra/secure.hpp"

namespace {

using rxp::Bytes;
using rxp::BytesView;
using rxp::ErrorCode;
using namespace rxp::identity;

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kStepUs = 30 * kSecondUs;
const std::string kRfcSecret = "12345678901234567890";

BytesView rfc_secret() {
  return rxp::as_bytes(kRfcSecret);
}

struct SodiumInit {
  SodiumInit() { BOOST_REQUIRE(rxp::secure_init()); }
};
BOOST_TEST_GLOBAL_FIXTURE(SodiumInit);

std::string code_at(BytesView secret, int64_t time_us) {
  auto r = totp_code(secret, time_us);
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return *r;
}

// A well-formed six-digit code that differs from `code`.
std::string other_code(const std::string& code) {
  std::string s = code;
  s[0] = s[0] == '9' ? '0' : static_cast<char>(s[0] + 1);
  return s;
}

bool on_path(const std::string& exe) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "";
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    if (!dir.empty() && ::access((dir + "/" + exe).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

// Runs a command through popen; returns its stdout with the trailing newline removed.
std::string run(const std::string& cmd, int& exit_code) {
  FILE* p = ::popen(cmd.c_str(), "r");
  BOOST_REQUIRE_MESSAGE(p != nullptr, "popen failed for oathtool");
  std::string out;
  std::array<char, 256> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string utc_text(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

// ---- base32 ----

BOOST_AUTO_TEST_CASE(base32_rfc4648_vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"f", "MY"},         {"fo", "MZXQ"},        {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [plain, b32] : vectors) {
    BOOST_TEST(base32_encode(rxp::as_bytes(plain)) == b32);
    auto d = base32_decode(b32);
    BOOST_REQUIRE(d.is_ok());
    BOOST_TEST(std::string(rxp::as_chars(*d)) == plain);
  }
  BOOST_TEST(base32_encode(rfc_secret()) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

BOOST_AUTO_TEST_CASE(base32_decode_accepts_case_spaces_and_trailing_padding) {
  for (std::string_view text :
       {"mzxw6ytboi", "MzXw 6YtB oI", "MZXW6YTBOI======", "MZXW 6YTB OI== ====", " MZXW6YTBOI "}) {
    auto d = base32_decode(text);
    BOOST_REQUIRE_MESSAGE(d.is_ok(), std::string(text) + ": " + d.status().to_string());
    BOOST_TEST(std::string(rxp::as_chars(*d)) == "foobar");
  }
  auto one = base32_decode("MY======");
  BOOST_REQUIRE(one.is_ok());
  BOOST_TEST(std::string(rxp::as_chars(*one)) == "f");
  // Random round trips.
  for (size_t len = 1; len < 41; ++len) {
    Bytes b(len);
    rxp::secure_random(b.data(), b.size());
    auto d = base32_decode(base32_encode(b));
    BOOST_REQUIRE(d.is_ok());
    BOOST_TEST((*d == b));
  }
}

BOOST_AUTO_TEST_CASE(base32_decode_refuses_malformed_input) {
  for (std::string_view text : {
           "",             // empty
           "   ",          // only spaces
           "====",         // only padding
           "MZXW6YTB1",    // '1' is not in the alphabet
           "MZXW6YTB0I",   // '0' neither
           "MZXW6YTBO!",   // punctuation
           "MZXW\t6YTB",   // tabs are not spaces
           "MZ=XW6YTB",    // padding in the middle
           "MY==MY",       // data after padding
           "MZXW6YTBOI=",  // padding that does not reach a multiple of 8
           "M",            // impossible length (1 mod 8)
           "MZX",          // impossible length (3 mod 8)
           "MZXW6Y",       // impossible length (6 mod 8)
           "MZ",           // non-zero trailing bits ("MY" is the canonical "f")
       }) {
    auto d = base32_decode(text);
    BOOST_TEST_CONTEXT("input '" << text << "'") {
      BOOST_TEST(!d.is_ok());
      BOOST_TEST((d.status().code() == ErrorCode::kInvalidArgument));
    }
  }
  // The message names the offset, not the text.
  auto d = base32_decode("SECRETSECRET1");
  BOOST_REQUIRE(!d.is_ok());
  BOOST_TEST(d.status().message().find("offset 12") != std::string::npos);
  BOOST_TEST(d.status().message().find("SECRET") == std::string::npos);
}

// ---- HOTP / TOTP vectors ----

BOOST_AUTO_TEST_CASE(hotp_rfc4226_appendix_d) {
  const std::array<const char*, 10> expected = {"755224", "287082", "359152", "969429", "338314",
                                                "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t counter = 0; counter < expected.size(); ++counter) {
    auto code = hotp_code(rfc_secret(), counter);
    BOOST_REQUIRE(code.is_ok());
    BOOST_TEST(*code == expected[counter], "counter " << counter);
  }
}

BOOST_AUTO_TEST_CASE(totp_rfc6238_appendix_b_sha1) {
  const std::vector<std::pair<int64_t, const char*>> vectors = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& [seconds, expected] : vectors) {
    auto code = totp_code(rfc_secret(), seconds * kSecondUs, 8);
    BOOST_REQUIRE(code.is_ok());
    BOOST_TEST(*code == expected, "time " << seconds);
  }
}

BOOST_AUTO_TEST_CASE(totp_parameters_are_checked) {
  BOOST_TEST(!hotp_code(BytesView{}, 0).is_ok());
  BOOST_TEST(!hotp_code(rfc_secret(), 0, 5).is_ok());
  BOOST_TEST(!hotp_code(rfc_secret(), 0, 9).is_ok());
  BOOST_TEST(!totp_code(rfc_secret(), -1).is_ok());
  BOOST_TEST(!totp_code(rfc_secret(), 0, 6, 0).is_ok());
  auto step = totp_step(59 * kSecondUs);
  BOOST_REQUIRE(step.is_ok());
  BOOST_TEST(*step == 1);
  BOOST_TEST(*totp_step(60 * kSecondUs - 1) == 1);
  BOOST_TEST(*totp_step(60 * kSecondUs) == 2);
  BOOST_TEST(generate_totp_secret().size() == kTotpSecretBytes);
}

BOOST_AUTO_TEST_CASE(totp_matches_oathtool) {
  BOOST_REQUIRE_MESSAGE(on_path("oathtool"),
                        "oathtool not found on PATH: install the Debian package 'oathtool' "
                        "(scripts/install-deps.sh does); this interop test never skips");
  Bytes secret = generate_totp_secret();
  const std::string b32 = base32_encode(secret);
  for (int64_t seconds : {int64_t{59}, int64_t{1111111109}, int64_t{1234567890},
                          int64_t{1700000000}, int64_t{1767225599}, int64_t{2000000000}}) {
    // The time is mid-step for some and on a step's last second for others.
    const std::string cmd = "oathtool --totp -b " + b32 + " --now '" + utc_text(seconds) + "' 2>&1";
    int exit_code = 0;
    const std::string out = run(cmd, exit_code);
    BOOST_REQUIRE_MESSAGE(exit_code != 127, "oathtool could not be run (exit 127): " << out);
    BOOST_REQUIRE_MESSAGE(exit_code == 0, "oathtool failed with exit " << exit_code << ": " << out);
    BOOST_TEST(out == code_at(secret, seconds * kSecondUs), "time " << utc_text(seconds));
  }
  // And the RFC secret, as a check that the command line above says what we think.
  int exit_code = 0;
  const std::string out = run("oathtool --totp -b " + base32_encode(rfc_secret()) + " --now '" +
                                  utc_text(1234567890) + "' 2>&1",
                              exit_code);
  BOOST_TEST(exit_code == 0);
  BOOST_TEST(out == "005924");
  rxp::secure_wipe(secret.data(), secret.size());
}

// ---- verification ----

BOOST_AUTO_TEST_CASE(verify_window_is_plus_minus_one_step) {
  const Bytes secret = generate_totp_secret();
  const int64_t now = 1'700'000'015 * kSecondUs;  // mid-step
  const int64_t center = *totp_step(now);
  for (int delta = -2; delta <= 2; ++delta) {
    const std::string code = code_at(secret, now + delta * kStepUs);
    const TotpCheck check = verify_totp(secret, code, now, std::nullopt);
    BOOST_TEST_CONTEXT("delta " << delta) {
      if (delta >= -1 && delta <= 1) {
        BOOST_TEST(check.accepted());
        BOOST_REQUIRE(check.step.has_value());
        BOOST_TEST(*check.step == center + delta);
      } else {
        BOOST_TEST((check.outcome == TotpOutcome::kMismatch));
        BOOST_TEST(!check.step.has_value());
      }
    }
  }
  // A wrong code is refused.
  const TotpCheck wrong = verify_totp(secret, other_code(code_at(secret, now)), now, 0);
  BOOST_TEST(!wrong.accepted());
  // Near T0 the window has no step -1 and still works.
  const TotpCheck early = verify_totp(secret, code_at(secret, 0), 5 * kSecondUs, std::nullopt);
  BOOST_TEST(early.accepted());
  BOOST_TEST(*early.step == 0);
}

BOOST_AUTO_TEST_CASE(verify_refuses_replay_and_accepts_a_later_step) {
  const Bytes secret = generate_totp_secret();
  const int64_t now = 1'700'000'015 * kSecondUs;
  const std::string code = code_at(secret, now);
  const TotpCheck first = verify_totp(secret, code, now, std::nullopt);
  BOOST_REQUIRE(first.accepted());
  const int64_t used = *first.step;

  // The same code again, now or a few seconds later within the same step.
  BOOST_TEST((verify_totp(secret, code, now, used).outcome == TotpOutcome::kReplayed));
  BOOST_TEST(
      (verify_totp(secret, code, now + 10 * kSecondUs, used).outcome == TotpOutcome::kReplayed));
  BOOST_TEST(!verify_totp(secret, code, now, used).step.has_value());
  // An older code in the window is also refused once a later step was used.
  BOOST_TEST((verify_totp(secret, code_at(secret, now - kStepUs), now, used).outcome ==
              TotpOutcome::kReplayed));
  // The next step's code is accepted.
  const int64_t later = now + kStepUs;
  const TotpCheck next = verify_totp(secret, code_at(secret, later), later, used);
  BOOST_TEST(next.accepted());
  BOOST_TEST(*next.step == used + 1);
  // A wrong code is a mismatch, not a replay.
  BOOST_TEST((verify_totp(secret, other_code(code), now, used).outcome == TotpOutcome::kMismatch));
}

BOOST_AUTO_TEST_CASE(verify_refuses_malformed_codes_with_typed_outcomes) {
  const Bytes secret = generate_totp_secret();
  const int64_t now = 1'700'000'015 * kSecondUs;
  const std::string good = code_at(secret, now);
  struct Case {
    std::string code;
    TotpOutcome outcome;
  };
  const std::vector<Case> cases = {
      {"", TotpOutcome::kEmptyCode},
      {good.substr(0, 5), TotpOutcome::kWrongLength},
      {good + "0", TotpOutcome::kWrongLength},
      {" " + good, TotpOutcome::kWrongLength},
      {code_at(secret, now).substr(0, 5) + "a", TotpOutcome::kNotDigits},
      {"12 456", TotpOutcome::kNotDigits},
      {"１２３４", TotpOutcome::kWrongLength},  // full-width digits are not ASCII
      {std::string("12\0"
                   "456",
                   6),
       TotpOutcome::kNotDigits},
  };
  for (const Case& c : cases) {
    const TotpCheck check = verify_totp(secret, c.code, now, std::nullopt);
    BOOST_TEST_CONTEXT("case " << totp_outcome_name(c.outcome) << " size " << c.code.size()) {
      BOOST_TEST((check.outcome == c.outcome));
      BOOST_TEST(!check.step.has_value());
    }
  }
  BOOST_TEST(
      (verify_totp(BytesView{}, good, now, std::nullopt).outcome == TotpOutcome::kBadSecret));
  BOOST_TEST(std::string(totp_outcome_name(TotpOutcome::kNotDigits)) == "not_digits");
}

// ---- otpauth URI ----

BOOST_AUTO_TEST_CASE(otpauth_uri_format_and_percent_encoding) {
  auto uri = otpauth_uri("RxPortal", "alice@example.org", rfc_secret());
  BOOST_REQUIRE(uri.is_ok());
  BOOST_TEST(*uri ==
             "otpauth://totp/RxPortal:alice%40example.org?secret="
             "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=RxPortal&algorithm=SHA1&digits=6&period=30");
  auto odd = otpauth_uri("Rx Portal: Test&Co", "a.b-c_d~e/é", rfc_secret());
  BOOST_REQUIRE(odd.is_ok());
  BOOST_TEST(*odd ==
             "otpauth://totp/Rx%20Portal%3A%20Test%26Co:a.b-c_d~e%2F%C3%A9?secret="
             "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Rx%20Portal%3A%20Test%26Co"
             "&algorithm=SHA1&digits=6&period=30");
  BOOST_TEST(!otpauth_uri("", "a", rfc_secret()).is_ok());
  BOOST_TEST(!otpauth_uri("i", "", rfc_secret()).is_ok());
  BOOST_TEST(!otpauth_uri("i", "a", BytesView{}).is_ok());
}

// ---- recovery codes ----

BOOST_AUTO_TEST_CASE(recovery_codes_are_ten_distinct_well_formed_codes) {
  const RecoveryCodes rc = generate_recovery_codes();
  BOOST_REQUIRE(rc.codes.size() == kRecoveryCodeCount);
  BOOST_REQUIRE(rc.hashes.size() == kRecoveryCodeCount);
  std::set<std::string> distinct(rc.codes.begin(), rc.codes.end());
  BOOST_TEST(distinct.size() == kRecoveryCodeCount);
  for (const std::string& code : rc.codes) {
    BOOST_REQUIRE(code.size() == 19u);
    for (size_t i = 0; i < code.size(); ++i) {
      if (i % 5 == 4) {
        BOOST_TEST(code[i] == '-');
      } else {
        BOOST_TEST(std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").find(code[i]) !=
                   std::string_view::npos);
      }
    }
  }
  // A second batch has a different salt and different codes.
  const RecoveryCodes other = generate_recovery_codes();
  BOOST_TEST((other.salt != rc.salt));
  BOOST_TEST((other.codes != rc.codes));
}

BOOST_AUTO_TEST_CASE(recovery_codes_verify_once_each) {
  const RecoveryCodes rc = generate_recovery_codes();
  std::vector<bool> used(rc.hashes.size(), false);
  const BytesView salt(rc.salt);
  for (size_t i = 0; i < rc.codes.size(); ++i) {
    const RecoveryCheck first = verify_recovery_code(rc.codes[i], salt, rc.hashes, used);
    BOOST_REQUIRE(first.accepted());
    BOOST_TEST(*first.index == i);
    used[*first.index] = true;
    const RecoveryCheck again = verify_recovery_code(rc.codes[i], salt, rc.hashes, used);
    BOOST_TEST((again.outcome == RecoveryOutcome::kAlreadyUsed));
    BOOST_TEST(!again.index.has_value());
  }
}

BOOST_AUTO_TEST_CASE(recovery_code_normalization_and_refusals) {
  const RecoveryCodes rc = generate_recovery_codes();
  const std::vector<bool> unused(rc.hashes.size(), false);
  const BytesView salt(rc.salt);
  const std::string code = rc.codes[3];
  std::string plain = code;
  plain.erase(std::remove(plain.begin(), plain.end(), '-'), plain.end());
  std::string lower = code;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string spaced;
  for (char c : plain) (spaced += c) += ' ';

  for (const std::string& variant : {plain, lower, spaced, " " + code + " ", "-" + lower}) {
    const RecoveryCheck check = verify_recovery_code(variant, salt, rc.hashes, unused);
    BOOST_TEST_CONTEXT("variant size " << variant.size()) {
      BOOST_TEST(check.accepted());
      BOOST_TEST(check.index.value_or(99) == 3u);
    }
  }

  // A well-formed code that was never issued.
  std::string wrong = plain;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  BOOST_TEST(
      (verify_recovery_code(wrong, salt, rc.hashes, unused).outcome == RecoveryOutcome::kNoMatch));
  // The right code under another user's salt does not match.
  const RecoveryCodes other = generate_recovery_codes();
  BOOST_TEST((verify_recovery_code(code, BytesView(other.salt), rc.hashes, unused).outcome ==
              RecoveryOutcome::kNoMatch));
  // Malformed: wrong length, characters outside the alphabet, empty.
  for (const std::string& bad : {std::string(), plain.substr(0, 15), plain + "A",
                                 plain.substr(0, 15) + "1", plain.substr(0, 15) + "_"}) {
    BOOST_TEST((verify_recovery_code(bad, salt, rc.hashes, unused).outcome ==
                RecoveryOutcome::kMalformed));
  }
  // Inconsistent state is refused rather than guessed at.
  BOOST_TEST((verify_recovery_code(code, salt, rc.hashes, std::vector<bool>(3)).outcome ==
              RecoveryOutcome::kBadState));
  BOOST_TEST((verify_recovery_code(code, BytesView(rc.salt).first(16), rc.hashes, unused).outcome ==
              RecoveryOutcome::kBadState));
}

BOOST_AUTO_TEST_CASE(recovery_hashes_do_not_contain_the_codes) {
  const RecoveryCodes rc = generate_recovery_codes();
  for (size_t i = 0; i < rc.codes.size(); ++i) {
    std::string plain = rc.codes[i];
    plain.erase(std::remove(plain.begin(), plain.end(), '-'), plain.end());
    const std::string_view stored = rxp::as_chars(BytesView(rc.hashes[i]));
    const std::string hex = rxp::to_hex(BytesView(rc.hashes[i]));
    BOOST_TEST(stored.find(plain) == std::string_view::npos);
    BOOST_TEST(stored.find(plain.substr(0, 4)) == std::string_view::npos);
    BOOST_TEST(hex.find(plain) == std::string::npos);
    // The stored hash is the keyed hash of the normalized code, not the code.
    auto h = hash_recovery_code(rc.codes[i], BytesView(rc.salt));
    BOOST_REQUIRE(h.is_ok());
    BOOST_TEST((*h == rc.hashes[i]));
    BOOST_TEST(rc.hashes[i].size() == 32u);
  }
}
