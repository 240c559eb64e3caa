#include "actors/identity/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <climits>

#include "infra/secure.hpp"

namespace rxp::identity {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr size_t kRecoveryRandomBytes = 10;  // 80 bits = 16 base32 characters exactly
constexpr size_t kRecoveryChars = 16;
constexpr int64_t kMicrosPerSecond = 1'000'000;

// Value of a base32 character in either case, or -1.
int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

Status bad_base32(std::string reason) {
  return Status(ErrorCode::kInvalidArgument, "base32: " + std::move(reason));
}

// Floor division: steps of times before the epoch must not round towards zero.
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Writes `digits` ASCII digits of HOTP(secret, counter) to out. The secret must be non-empty
// and at most INT_MAX bytes; digits in 6..8. Returns false when OpenSSL fails.
bool hotp_into(BytesView secret, uint64_t counter, int digits, char* out) {
  uint8_t msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<uint8_t>(counter & 0xff);
    counter >>= 8;
  }
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  const bool ok = HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), msg, sizeof msg,
                       mac, &mac_len) != nullptr &&
                  mac_len == 20;
  if (ok) {
    // RFC 4226 section 5.3: dynamic truncation.
    const unsigned offset = mac[19] & 0x0f;
    uint32_t value = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                     (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                     (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                     static_cast<uint32_t>(mac[offset + 3]);
    for (int i = digits - 1; i >= 0; --i) {
      out[i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
    secure_wipe(&value, sizeof value);
  }
  // The MAC (and the code derived from it) is as good as a valid code for this step.
  secure_wipe(mac, sizeof mac);
  return ok;
}

Status check_secret(BytesView secret) {
  if (secret.empty()) return Status(ErrorCode::kInvalidArgument, "totp: empty secret");
  if (secret.size() > static_cast<size_t>(INT_MAX)) {
    return Status(ErrorCode::kInvalidArgument, "totp: secret too long");
  }
  return Status::ok();
}

void wipe_string(std::string& s) {
  secure_wipe(s.data(), s.size());
  s.clear();
}

}  // namespace

// ---- base32 ----

std::string base32_encode(BytesView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  secure_wipe(&buffer, sizeof buffer);
  return out;
}

Result<Bytes> base32_decode(std::string_view text) {
  Bytes out;
  // Reserved up front so that no reallocation leaves a partial copy of the secret behind.
  out.reserve(text.size() * 5 / 8 + 1);
  uint32_t buffer = 0;
  int bits = 0;
  size_t chars = 0;
  size_t pads = 0;
  Status error;
  for (size_t i = 0; i < text.size() && error.is_ok(); ++i) {
    const char c = text[i];
    if (c == ' ') continue;
    if (c == '=') {
      ++pads;
      continue;
    }
    const int v = base32_value(c);
    if (v < 0) {
      error = bad_base32("invalid character at offset " + std::to_string(i));
    } else if (pads > 0) {
      error = bad_base32("padding before the end at offset " + std::to_string(i));
    } else {
      ++chars;
      buffer = (buffer << 5) | static_cast<uint32_t>(v);
      bits += 5;
      if (bits >= 8) {
        out.push_back(static_cast<uint8_t>(buffer >> (bits - 8)));
        bits -= 8;
      }
    }
  }
  if (error.is_ok()) {
    const size_t rem = chars % 8;
    if (chars == 0) {
      error = bad_base32("empty input");
    } else if (rem == 1 || rem == 3 || rem == 6) {
      error = bad_base32("impossible length " + std::to_string(chars));
    } else if (pads > 0 && (chars + pads) % 8 != 0) {
      error = bad_base32("wrong padding length");
    } else if ((buffer & ((1u << bits) - 1)) != 0) {
      // Only one text may spell a given secret; non-zero leftovers hint at a typo.
      error = bad_base32("non-zero trailing bits");
    }
  }
  secure_wipe(&buffer, sizeof buffer);
  if (!error.is_ok()) {
    secure_wipe(out.data(), out.size());
    return error;
  }
  return out;
}

// ---- HOTP / TOTP ----

Bytes generate_totp_secret() {
  Bytes secret(kTotpSecretBytes);
  secure_random(secret.data(), secret.size());
  return secret;
}

Result<int64_t> totp_step(int64_t time_us, int64_t step_seconds) {
  if (time_us < 0) return Status(ErrorCode::kInvalidArgument, "totp: time before the epoch");
  if (step_seconds <= 0 || step_seconds > INT64_MAX / kMicrosPerSecond) {
    return Status(ErrorCode::kInvalidArgument, "totp: step must be positive");
  }
  return time_us / (step_seconds * kMicrosPerSecond);
}

Result<std::string> hotp_code(BytesView secret, uint64_t counter, int digits) {
  RXP_RETURN_IF_ERROR(check_secret(secret));
  if (digits < 6 || digits > 8) {
    return Status(ErrorCode::kInvalidArgument, "totp: digits must be 6, 7 or 8");
  }
  std::string code(static_cast<size_t>(digits), '0');
  if (!hotp_into(secret, counter, digits, code.data())) {
    wipe_string(code);
    return Status(ErrorCode::kInternal, "totp: HMAC-SHA1 failed");
  }
  return code;
}

Result<std::string> totp_code(BytesView secret, int64_t time_us, int digits, int64_t step_seconds) {
  Result<int64_t> step = totp_step(time_us, step_seconds);
  if (!step) return step.status();
  return hotp_code(secret, static_cast<uint64_t>(*step), digits);
}

const char* totp_outcome_name(TotpOutcome outcome) {
  switch (outcome) {
    case TotpOutcome::kAccepted:
      return "accepted";
    case TotpOutcome::kMismatch:
      return "mismatch";
    case TotpOutcome::kReplayed:
      return "replayed";
    case TotpOutcome::kEmptyCode:
      return "empty_code";
    case TotpOutcome::kWrongLength:
      return "wrong_length";
    case TotpOutcome::kNotDigits:
      return "not_digits";
    case TotpOutcome::kBadSecret:
      return "bad_secret";
  }
  return "unknown";
}

TotpCheck verify_totp(BytesView secret, std::string_view code_text, int64_t now_us,
                      std::optional<int64_t> last_used_step) {
  if (code_text.empty()) return {TotpOutcome::kEmptyCode, std::nullopt};
  if (code_text.size() != static_cast<size_t>(kTotpDigits)) {
    return {TotpOutcome::kWrongLength, std::nullopt};
  }
  bool digits_only = true;
  for (char c : code_text) digits_only &= (c >= '0' && c <= '9');
  if (!digits_only) return {TotpOutcome::kNotDigits, std::nullopt};
  if (!check_secret(secret).is_ok()) return {TotpOutcome::kBadSecret, std::nullopt};

  // Compute and compare every window step before deciding, so the time taken does not say
  // which step (if any) matched.
  const int64_t center = floor_div(now_us, kTotpStepSeconds * kMicrosPerSecond);
  constexpr int kWindow = 3;  // steps center-1, center, center+1
  bool matched[kWindow] = {false, false, false};
  bool hmac_failed = false;
  for (int i = 0; i < kWindow; ++i) {
    const int64_t step = center - 1 + i;
    if (step < 0) continue;  // no code exists before T0
    char expected[kTotpDigits];
    hmac_failed |= !hotp_into(secret, static_cast<uint64_t>(step), kTotpDigits, expected);
    matched[i] =
        secure_equal(as_bytes(std::string_view(expected, kTotpDigits)), as_bytes(code_text));
    secure_wipe(expected, sizeof expected);
  }
  // Fail closed: an OpenSSL failure must never let a code through.
  if (hmac_failed) return {TotpOutcome::kMismatch, std::nullopt};

  // The earliest fresh step wins: storing the lowest leaves later codes usable.
  std::optional<int64_t> accepted;
  bool replayed = false;
  for (int i = kWindow - 1; i >= 0; --i) {
    if (!matched[i]) continue;
    const int64_t step = center - 1 + i;
    if (last_used_step && step <= *last_used_step) {
      replayed = true;
    } else {
      accepted = step;
    }
  }
  if (accepted) return {TotpOutcome::kAccepted, accepted};
  return {replayed ? TotpOutcome::kReplayed : TotpOutcome::kMismatch, std::nullopt};
}

Result<std::string> otpauth_uri(std::string_view issuer, std::string_view account,
                                BytesView secret) {
  if (issuer.empty() || account.empty() || secret.empty()) {
    return Status(ErrorCode::kInvalidArgument, "otpauth: empty issuer, account or secret");
  }
  auto encode = [](std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                              c == '~';
      if (unreserved) {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0x0f]);
      }
    }
    return out;
  };
  const std::string enc_issuer = encode(issuer);
  std::string b32 = base32_encode(secret);
  std::string uri = "otpauth://totp/" + enc_issuer + ":" + encode(account) + "?secret=" + b32 +
                    "&issuer=" + enc_issuer + "&algorithm=SHA1&digits=6&period=30";
  wipe_string(b32);
  return uri;
}

// ---- recovery codes ----

RecoveryCodes generate_recovery_codes() {
  RecoveryCodes rc;
  secure_random(rc.salt.data(), rc.salt.size());
  rc.codes.reserve(kRecoveryCodeCount);
  rc.hashes.reserve(kRecoveryCodeCount);
  while (rc.codes.size() < kRecoveryCodeCount) {
    uint8_t raw[kRecoveryRandomBytes];
    secure_random(raw, sizeof raw);
    std::string plain = base32_encode(BytesView(raw, sizeof raw));
    secure_wipe(raw, sizeof raw);
    std::string shown;
    shown.reserve(kRecoveryChars + 3);
    for (size_t i = 0; i < plain.size(); ++i) {
      if (i > 0 && i % 4 == 0) shown.push_back('-');
      shown.push_back(plain[i]);
    }
    Result<RecoveryHash> hash = hash_recovery_code(plain, BytesView(rc.salt));
    wipe_string(plain);
    // A repeat of 80 random bits will not happen, but distinctness is part of the contract.
    bool repeat = false;
    for (const std::string& c : rc.codes) repeat |= (c == shown);
    if (hash && !repeat) {
      rc.codes.push_back(std::move(shown));
      rc.hashes.push_back(*hash);
    } else {
      wipe_string(shown);
    }
  }
  return rc;
}

std::optional<std::string> normalize_recovery_code(std::string_view input) {
  std::string out;
  out.reserve(input.size());
  bool ok = true;
  for (char c : input) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    ok &= base32_value(c) >= 0;
    out.push_back(c);
  }
  if (!ok || out.size() != kRecoveryChars) {
    wipe_string(out);
    return std::nullopt;
  }
  return out;
}

Result<RecoveryHash> hash_recovery_code(std::string_view code, BytesView salt) {
  if (salt.size() != kRecoverySaltBytes) {
    return Status(ErrorCode::kInvalidArgument, "recovery code: salt must be 32 bytes");
  }
  std::optional<std::string> norm = normalize_recovery_code(code);
  if (!norm) return Status(ErrorCode::kInvalidArgument, "recovery code: malformed");
  RecoveryHash hash{};
  const int rc = crypto_generichash(hash.data(), hash.size(),
                                    reinterpret_cast<const unsigned char*>(norm->data()),
                                    norm->size(), salt.data(), salt.size());
  wipe_string(*norm);
  if (rc != 0) return Status(ErrorCode::kInternal, "recovery code: BLAKE2b failed");
  return hash;
}

const char* recovery_outcome_name(RecoveryOutcome outcome) {
  switch (outcome) {
    case RecoveryOutcome::kAccepted:
      return "accepted";
    case RecoveryOutcome::kMalformed:
      return "malformed";
    case RecoveryOutcome::kNoMatch:
      return "no_match";
    case RecoveryOutcome::kAlreadyUsed:
      return "already_used";
    case RecoveryOutcome::kBadState:
      return "bad_state";
  }
  return "unknown";
}

RecoveryCheck verify_recovery_code(std::string_view input, BytesView salt,
                                   const std::vector<RecoveryHash>& stored_hashes,
                                   const std::vector<bool>& used_flags) {
  if (salt.size() != kRecoverySaltBytes || used_flags.size() != stored_hashes.size()) {
    return {RecoveryOutcome::kBadState, std::nullopt};
  }
  Result<RecoveryHash> hash = hash_recovery_code(input, salt);
  if (!hash) return {RecoveryOutcome::kMalformed, std::nullopt};

  // Every stored hash is compared; the index is selected with masks rather than an early
  // return, so timing does not reveal the position of a match.
  size_t found = 0;
  size_t have_fresh = 0;  // 0 or 1
  size_t have_used = 0;   // 0 or 1
  for (size_t i = 0; i < stored_hashes.size(); ++i) {
    const size_t eq = secure_equal(BytesView(*hash), BytesView(stored_hashes[i])) ? 1 : 0;
    const size_t fresh = used_flags[i] ? 0 : 1;
    const size_t take = eq & fresh & (have_fresh ^ 1);
    const size_t mask = static_cast<size_t>(0) - take;
    found = (found & ~mask) | (i & mask);
    have_fresh |= eq & fresh;
    have_used |= eq & (fresh ^ 1);
  }
  secure_wipe(hash->data(), hash->size());
  if (have_fresh) return {RecoveryOutcome::kAccepted, found};
  return {have_used ? RecoveryOutcome::kAlreadyUsed : RecoveryOutcome::kNoMatch, std::nullopt};
}

}  // namespace rxp::identity
