// Passwords: Argon2id hashing and verification (libsodium crypto_pwhash_str*), the password
// and username policies, and PasswordHasher, the pool of dedicated threads that keeps the
// deliberately slow hashing off the actor threads.
//
// CONTRACT
// - Hashes are libsodium's encoded Argon2id strings ("$argon2id$v=19$m=...,t=...,p=1$salt$tag",
//   at most kPasswordHashMaxChars characters, random 16-byte salt). hash_password refuses
//   passwords longer than kPasswordMaxBytes (kInvalidArgument); run check_password_policy first.
// - verify_password answers kMatch, kMismatch or kMalformedHash (not "$argon2id$...", too long,
//   embedded NUL, unparsable). On kMatch, needs_rehash says the hash was made with parameters
//   other than `params`: the caller then rehashes the password it still holds and stores it.
// - Unknown usernames: dummy_password_hash(params) is a hash of 32 random bytes, computed once
//   per parameter set on first use (thread-safe) and kept for the life of the process. A login
//   for an unknown username verifies the submitted password against it (PasswordHasher::
//   submit_verify_unknown_user) and reports a mismatch, so it costs one Argon2id verification
//   like a wrong password. Residual difference: an account whose hash still has older parameters
//   verifies at that cost until it is rehashed at the next successful login.
// - Password policy (check_password_policy): bytes, no normalisation. In order: 12..128 bytes,
//   valid UTF-8 (no overlongs, surrogates or code points above U+10FFFF), not one code point
//   repeated, not containing the normalized username (ASCII case-insensitive). The outcome is an
//   enum; nothing echoes the password.
// - Usernames (check_username / normalize_username): 3..64 bytes, valid UTF-8, no control
//   characters (U+0000..U+001F, U+007F..U+009F). Normalized = ASCII A-Z lowered, every other
//   byte kept; lookups use the normalized form. Errors name the problem, never the input.
// - Secrets: passwords arrive as SecretBytes (sodium_malloc memory), are never copied into
//   ordinary memory by this module, and are wiped when the job ends (or when submit refuses).
// - secure_init() (infra/secure.hpp) must have succeeded before any function here is called;
//   PasswordHasher::start calls it.
//
// PasswordHasher
// - N dedicated std::threads (default 2) take jobs from one bounded FIFO queue. A submit never
//   blocks on hashing: when the queue holds `queue_capacity` jobs it returns kBusy at once, does
//   not call the callback and wipes the password (backpressure: the caller answers "try later").
// - When submit returns ok, the callback is called exactly once: on a hasher thread with the
//   result, or, for a job still queued when the hasher is destroyed, on the destroying thread
//   with kBusy ("cancelled"). Jobs already running when the destructor starts finish normally
//   before the destructor returns.
// - Callbacks must be quick (forward to an actor), must not destroy the hasher and should not
//   throw: an exception is caught, counted in stats().callback_exceptions and dropped.
// - Memory: each running job holds params.memlimit bytes (64 MiB with the defaults).
//
// Thread-safety: the free functions are reentrant. PasswordHasher::submit_* and stats() may be
// called from any thread concurrently; destroy the hasher from one thread, after every caller
// has stopped submitting.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "infra/bytes.hpp"
#include "infra/result.hpp"
#include "infra/secure.hpp"

namespace rxp::identity {

// libsodium's Argon2id limits (password.cpp checks them against <sodium.h> at compile time).
inline constexpr uint64_t kPasswordOpsLimitInteractive = 2;
inline constexpr size_t kPasswordMemLimitInteractive = size_t{64} << 20;  // 64 MiB
inline constexpr uint64_t kPasswordOpsLimitMin = 1;
inline constexpr size_t kPasswordMemLimitMin = 8192;  // for tests only
inline constexpr size_t kPasswordHashMaxChars = 127;  // crypto_pwhash_STRBYTES - 1

inline constexpr size_t kPasswordMinBytes = 12;
inline constexpr size_t kPasswordMaxBytes = 128;
inline constexpr size_t kUsernameMinBytes = 3;
inline constexpr size_t kUsernameMaxBytes = 64;

struct PasswordParams {
  uint64_t opslimit = kPasswordOpsLimitInteractive;
  size_t memlimit = kPasswordMemLimitInteractive;
  bool operator==(const PasswordParams&) const = default;
};

// The fastest parameters libsodium accepts: for tests, never for stored passwords.
inline PasswordParams minimum_password_params() {
  return {kPasswordOpsLimitMin, kPasswordMemLimitMin};
}

// kInvalidArgument when a limit is outside libsodium's Argon2id bounds.
Status validate_password_params(const PasswordParams& params);

// ---- hashing ----

// The encoded Argon2id hash of `password`. kInvalidArgument for bad params or a password over
// kPasswordMaxBytes; kInternal when libsodium fails (out of memory).
Result<std::string> hash_password(BytesView password, const PasswordParams& params);

enum class PasswordOutcome {
  kMatch,
  kMismatch,
  kMalformedHash,  // the stored string is not an Argon2id hash this build can read
};
// "match", "mismatch", "malformed_hash".
const char* password_outcome_name(PasswordOutcome outcome);

struct PasswordCheck {
  PasswordOutcome outcome = PasswordOutcome::kMismatch;
  bool needs_rehash = false;  // only ever true with kMatch
  bool matched() const { return outcome == PasswordOutcome::kMatch; }
};

PasswordCheck verify_password(BytesView password, std::string_view stored_hash,
                              const PasswordParams& params);

// The process-wide dummy hash for `params` (see CONTRACT). kInvalidArgument for bad params,
// kInternal when the first computation fails (it is retried on the next call).
Result<std::string> dummy_password_hash(const PasswordParams& params);

// ---- policies ----

enum class PasswordPolicyOutcome {
  kAccepted,
  kTooShort,
  kTooLong,
  kInvalidUtf8,
  kTrivial,  // one code point repeated
  kContainsUsername,
};
// "accepted", "too_short", "too_long", "invalid_utf8", "trivial", "contains_username".
const char* password_policy_outcome_name(PasswordPolicyOutcome outcome);

// `username` is compared ASCII case-insensitively; an empty username is not checked.
PasswordPolicyOutcome check_password_policy(BytesView password, std::string_view username);

enum class UsernameOutcome {
  kAccepted,
  kTooShort,
  kTooLong,
  kInvalidUtf8,
  kControlCharacter,
};
// "accepted", "too_short", "too_long", "invalid_utf8", "control_character".
const char* username_outcome_name(UsernameOutcome outcome);

UsernameOutcome check_username(std::string_view username);

// The lookup form of a valid username. kInvalidArgument "username: <problem>" otherwise.
Result<std::string> normalize_username(std::string_view username);

// True for well-formed UTF-8 (RFC 3629).
bool is_valid_utf8(BytesView text);

// ---- the hashing pool ----

struct PasswordHasherOptions {
  size_t threads = 2;          // 1..64
  size_t queue_capacity = 64;  // jobs waiting, not counting running ones; >= 1
  PasswordParams params;
};

struct PasswordHasherStats {
  uint64_t completed = 0;            // jobs whose callback got a result
  uint64_t rejected_busy = 0;        // submits refused because the queue was full or stopping
  uint64_t cancelled = 0;            // queued jobs answered kBusy by the destructor
  uint64_t callback_exceptions = 0;  // callbacks that threw
};

class PasswordHasher {
 public:
  using HashCallback = std::function<void(Result<std::string>)>;
  using VerifyCallback = std::function<void(Result<PasswordCheck>)>;

  // Starts the threads. kInvalidArgument for bad options, kInternal when libsodium cannot
  // initialise or a thread cannot be started.
  static Result<std::unique_ptr<PasswordHasher>> start(const PasswordHasherOptions& options);

  ~PasswordHasher();  // stops, answers queued jobs kBusy, joins
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // ok: the callback will be called once with hash_password(password, params).
  Status submit_hash(SecretBytes password, HashCallback callback);
  // ok: the callback will be called once with verify_password(password, stored_hash, params).
  Status submit_verify(SecretBytes password, std::string stored_hash, VerifyCallback callback);
  // ok: the callback will be called once with kMismatch after a verification against
  // dummy_password_hash(params), or kInternal if the dummy hash cannot be computed.
  Status submit_verify_unknown_user(SecretBytes password, VerifyCallback callback);

  const PasswordParams& params() const { return params_; }
  PasswordHasherStats stats() const;

 private:
  enum class JobKind { kHash, kVerify, kVerifyUnknownUser };
  struct Job {
    JobKind kind = JobKind::kHash;
    SecretBytes password;
    std::string stored_hash;
    HashCallback on_hash;
    VerifyCallback on_verify;
  };

  explicit PasswordHasher(const PasswordHasherOptions& options);
  Status enqueue(Job job);
  void worker_loop();
  void run_job(Job& job);
  // Wipes the password, then calls the job's callback with `hash` or `check`.
  void deliver(Job& job, Result<std::string> hash, Result<PasswordCheck> check);

  const PasswordParams params_;
  const size_t queue_capacity_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<Job> queue_;      // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  PasswordHasherStats stats_;  // guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace rxp::identity
