// Second factor: TOTP (RFC 6238, HMAC-SHA1) and single-use recovery codes. Pure functions: no
// I/O, no clock, no global state except the CSPRNG behind the generate_* functions.
//
// CONTRACT
// - Base32 is RFC 4648. Output: uppercase, no padding. Input: upper or lower case, spaces
//   ignored anywhere, optional '=' padding only at the end (and then the padded length must be
//   a multiple of 8); empty input, any other character, an impossible length or non-zero
//   trailing bits are refused with kInvalidArgument. Messages name offsets, never content.
// - Codes: HOTP (RFC 4226) with 6..8 digits; TOTP with T0 = 0 and a step in seconds (30 by
//   default), time as microseconds since the Unix epoch (>= 0).
// - verify_totp accepts exactly six ASCII digits equal to the code of step now-1, now or now+1
//   (30 s steps), and only if that step is later than last_used_step (a code is accepted once;
//   the caller persists the returned step as the new last_used_step). Every window step is
//   computed and compared in constant time; the outcome is decided after all comparisons.
// - Recovery codes: ten codes of 80 random bits, shown as "XXXX-XXXX-XXXX-XXXX" (base32).
//   Only BLAKE2b-256(key = per-user 32-byte salt, message = normalized code) is stored, where
//   normalized means uppercase with dashes and spaces removed. verify_recovery_code compares
//   against every stored hash in constant time; the caller marks the returned index used.
// - No function logs, and no error or outcome carries a code, a secret or a hash.
// - secure_init() (infra/secure.hpp) must have succeeded before the generate_* functions.
//
// Thread-safety: every function is reentrant and touches only its arguments; concurrent calls
// are safe. Replay protection is the caller's job: it must serialise verify + store of
// last_used_step / used flags per user (a record actor does).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::identity {

inline constexpr int kTotpDigits = 6;
inline constexpr int64_t kTotpStepSeconds = 30;
inline constexpr size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226 section 4 R6
inline constexpr size_t kRecoveryCodeCount = 10;
inline constexpr size_t kRecoverySaltBytes = 32;
inline constexpr size_t kRecoveryHashBytes = 32;

// ---- base32 ----

std::string base32_encode(BytesView data);
Result<Bytes> base32_decode(std::string_view text);

// ---- HOTP / TOTP ----

// A fresh random secret of kTotpSecretBytes. The caller wipes it when done (secure_wipe).
Bytes generate_totp_secret();

// The time step containing time_us: floor(time_us / step). kInvalidArgument when time_us < 0
// or step_seconds <= 0.
Result<int64_t> totp_step(int64_t time_us, int64_t step_seconds = kTotpStepSeconds);

// The HOTP value for `counter`, zero-padded to `digits` (6..8). kInvalidArgument for an empty
// secret or a digit count out of range; kInternal when OpenSSL fails.
Result<std::string> hotp_code(BytesView secret, uint64_t counter, int digits = kTotpDigits);

// The TOTP value at time_us (hotp_code of totp_step(time_us, step_seconds)).
Result<std::string> totp_code(BytesView secret, int64_t time_us, int digits = kTotpDigits,
                              int64_t step_seconds = kTotpStepSeconds);

enum class TotpOutcome {
  kAccepted,
  kMismatch,     // well-formed, but no step in the window matches
  kReplayed,     // matches only steps <= last_used_step
  kEmptyCode,    // code_text is empty
  kWrongLength,  // not exactly six characters
  kNotDigits,    // six characters, not all ASCII '0'..'9'
  kBadSecret,    // empty secret: an enrolment bug, never the user's fault
};
// "accepted", "mismatch", "replayed", "empty_code", "wrong_length", "not_digits", "bad_secret".
const char* totp_outcome_name(TotpOutcome outcome);

struct TotpCheck {
  TotpOutcome outcome = TotpOutcome::kMismatch;
  std::optional<int64_t> step;  // set only when accepted: store it as last_used_step
  bool accepted() const { return outcome == TotpOutcome::kAccepted; }
};

// The pure decision for a user-submitted code at now_us (window +-1 step of 30 s).
TotpCheck verify_totp(BytesView secret, std::string_view code_text, int64_t now_us,
                      std::optional<int64_t> last_used_step);

// otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>&algorithm=SHA1&digits=6
// &period=30, issuer and account percent-encoded byte-wise (RFC 3986 unreserved kept).
// kInvalidArgument when issuer, account or secret is empty.
Result<std::string> otpauth_uri(std::string_view issuer, std::string_view account,
                                BytesView secret);

// ---- recovery codes ----

using RecoveryHash = std::array<uint8_t, kRecoveryHashBytes>;

struct RecoveryCodes {
  std::vector<std::string> codes;  // shown to the user once, then wiped and dropped
  std::array<uint8_t, kRecoverySaltBytes> salt{};
  std::vector<RecoveryHash> hashes;  // hashes[i] is the hash of codes[i]; store with salt
};

// Ten distinct codes, a fresh salt and the hashes to store.
RecoveryCodes generate_recovery_codes();

// Uppercase with dashes and spaces removed; nullopt unless 16 base32 characters remain.
std::optional<std::string> normalize_recovery_code(std::string_view input);

// BLAKE2b-256 keyed with salt over the normalized code. kInvalidArgument when the code is
// malformed or the salt is not kRecoverySaltBytes long.
Result<RecoveryHash> hash_recovery_code(std::string_view code, BytesView salt);

enum class RecoveryOutcome {
  kAccepted,
  kMalformed,    // not 16 base32 characters after normalization
  kNoMatch,      // matches no stored hash
  kAlreadyUsed,  // matches a hash whose used flag is set
  kBadState,     // salt size wrong or used_flags.size() != stored_hashes.size()
};
// "accepted", "malformed", "no_match", "already_used", "bad_state".
const char* recovery_outcome_name(RecoveryOutcome outcome);

struct RecoveryCheck {
  RecoveryOutcome outcome = RecoveryOutcome::kNoMatch;
  std::optional<size_t> index;  // set only when accepted: the caller sets used_flags[index]
  bool accepted() const { return outcome == RecoveryOutcome::kAccepted; }
};

RecoveryCheck verify_recovery_code(std::string_view input, BytesView salt,
                                   const std::vector<RecoveryHash>& stored_hashes,
                                   const std::vector<bool>& used_flags);

}  // namespace rxp::identity
