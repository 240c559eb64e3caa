#include "actors/identity/password.hpp"

#include <sodium.h>

#include <map>
#include <system_error>
#include <utility>

namespace rxp::identity {

static_assert(kPasswordOpsLimitInteractive == crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
static_assert(kPasswordMemLimitInteractive == crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
static_assert(kPasswordOpsLimitMin == crypto_pwhash_argon2id_OPSLIMIT_MIN);
static_assert(kPasswordMemLimitMin == crypto_pwhash_argon2id_MEMLIMIT_MIN);
static_assert(kPasswordHashMaxChars + 1 == crypto_pwhash_argon2id_STRBYTES);
static_assert(crypto_pwhash_ALG_DEFAULT == crypto_pwhash_ALG_ARGON2ID13);

namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr size_t kDummyPasswordBytes = 32;
constexpr size_t kMaxThreads = 64;

// libsodium takes const char*; an empty view may have a null data pointer.
const char* password_chars(BytesView password) {
  return password.empty() ? "" : reinterpret_cast<const char*>(password.data());
}

// Decodes the code point starting at text[i] and advances i. False on any ill-formed sequence
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF, no truncation).
bool next_code_point(BytesView text, size_t& i, uint32_t& cp) {
  const uint8_t b0 = text[i];
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return true;
  }
  size_t extra = 0;
  uint32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    extra = 1, min = 0x80, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    extra = 2, min = 0x800, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    extra = 3, min = 0x10000, cp = b0 & 0x07;
  } else {
    return false;  // continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (text.size() - i - 1 < extra) return false;
  for (size_t k = 1; k <= extra; ++k) {
    const uint8_t b = text[i + k];
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += extra + 1;
  return true;
}

uint8_t ascii_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

bool contains_ascii_case_insensitive(BytesView haystack, std::string_view needle) {
  if (needle.empty() || needle.size() > haystack.size()) return false;
  for (size_t start = 0; start + needle.size() <= haystack.size(); ++start) {
    size_t k = 0;
    while (k < needle.size() &&
           ascii_lower(haystack[start + k]) == ascii_lower(static_cast<uint8_t>(needle[k]))) {
      ++k;
    }
    if (k == needle.size()) return true;
  }
  return false;
}

bool well_formed_argon2id(std::string_view stored_hash) {
  return stored_hash.size() <= kPasswordHashMaxChars &&
         stored_hash.substr(0, kArgon2idPrefix.size()) == kArgon2idPrefix &&
         stored_hash.find('\0') == std::string_view::npos;
}

}  // namespace

Status validate_password_params(const PasswordParams& params) {
  if (params.opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      params.opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    return Status(ErrorCode::kInvalidArgument, "password params: opslimit out of range");
  }
  if (params.memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      params.memlimit > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return Status(ErrorCode::kInvalidArgument, "password params: memlimit out of range");
  }
  return Status::ok();
}

Result<std::string> hash_password(BytesView password, const PasswordParams& params) {
  RXP_RETURN_IF_ERROR(validate_password_params(params));
  if (password.size() > kPasswordMaxBytes) {
    return Status(ErrorCode::kInvalidArgument, "password: longer than 128 bytes");
  }
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_str_alg(out, password_chars(password), password.size(), params.opslimit,
                            params.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status(ErrorCode::kInternal, "argon2id: hashing failed (out of memory?)");
  }
  return std::string(out);
}

const char* password_outcome_name(PasswordOutcome outcome) {
  switch (outcome) {
    case PasswordOutcome::kMatch:
      return "match";
    case PasswordOutcome::kMismatch:
      return "mismatch";
    case PasswordOutcome::kMalformedHash:
      return "malformed_hash";
  }
  return "unknown";
}

PasswordCheck verify_password(BytesView password, std::string_view stored_hash,
                              const PasswordParams& params) {
  PasswordCheck check;
  if (!well_formed_argon2id(stored_hash)) {
    check.outcome = PasswordOutcome::kMalformedHash;
    return check;
  }
  const std::string hash(stored_hash);  // NUL-terminated for libsodium; not a secret
  // needs_rehash parses the string: -1 means libsodium cannot read it.
  const int rehash = crypto_pwhash_str_needs_rehash(hash.c_str(), params.opslimit, params.memlimit);
  if (rehash < 0) {
    check.outcome = PasswordOutcome::kMalformedHash;
    return check;
  }
  if (crypto_pwhash_str_verify(hash.c_str(), password_chars(password), password.size()) == 0) {
    check.outcome = PasswordOutcome::kMatch;
    check.needs_rehash = rehash != 0;
  }
  return check;
}

Result<std::string> dummy_password_hash(const PasswordParams& params) {
  RXP_RETURN_IF_ERROR(validate_password_params(params));
  static std::mutex mutex;
  static std::map<std::pair<uint64_t, size_t>, std::string> cache;  // one per parameter set
  const std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_pair(params.opslimit, params.memlimit);
  if (const auto it = cache.find(key); it != cache.end()) return it->second;
  SecretBytes random_password(kDummyPasswordBytes);
  secure_random(random_password.data(), random_password.size());
  auto hash = hash_password(random_password.view(), params);
  if (!hash.is_ok()) return hash.status();
  cache.emplace(key, *hash);
  return hash;
}

// ---- policies ----

bool is_valid_utf8(BytesView text) {
  size_t i = 0;
  uint32_t cp = 0;
  while (i < text.size()) {
    if (!next_code_point(text, i, cp)) return false;
  }
  return true;
}

const char* password_policy_outcome_name(PasswordPolicyOutcome outcome) {
  switch (outcome) {
    case PasswordPolicyOutcome::kAccepted:
      return "accepted";
    case PasswordPolicyOutcome::kTooShort:
      return "too_short";
    case PasswordPolicyOutcome::kTooLong:
      return "too_long";
    case PasswordPolicyOutcome::kInvalidUtf8:
      return "invalid_utf8";
    case PasswordPolicyOutcome::kTrivial:
      return "trivial";
    case PasswordPolicyOutcome::kContainsUsername:
      return "contains_username";
  }
  return "unknown";
}

PasswordPolicyOutcome check_password_policy(BytesView password, std::string_view username) {
  if (password.size() < kPasswordMinBytes) return PasswordPolicyOutcome::kTooShort;
  if (password.size() > kPasswordMaxBytes) return PasswordPolicyOutcome::kTooLong;
  size_t i = 0;
  uint32_t first = 0;
  uint32_t cp = 0;
  bool all_same = true;
  while (i < password.size()) {
    const bool is_first = i == 0;
    if (!next_code_point(password, i, cp)) return PasswordPolicyOutcome::kInvalidUtf8;
    if (is_first) first = cp;
    all_same = all_same && cp == first;
  }
  if (all_same) return PasswordPolicyOutcome::kTrivial;
  if (contains_ascii_case_insensitive(password, username)) {
    return PasswordPolicyOutcome::kContainsUsername;
  }
  return PasswordPolicyOutcome::kAccepted;
}

const char* username_outcome_name(UsernameOutcome outcome) {
  switch (outcome) {
    case UsernameOutcome::kAccepted:
      return "accepted";
    case UsernameOutcome::kTooShort:
      return "too_short";
    case UsernameOutcome::kTooLong:
      return "too_long";
    case UsernameOutcome::kInvalidUtf8:
      return "invalid_utf8";
    case UsernameOutcome::kControlCharacter:
      return "control_character";
  }
  return "unknown";
}

UsernameOutcome check_username(std::string_view username) {
  if (username.size() < kUsernameMinBytes) return UsernameOutcome::kTooShort;
  if (username.size() > kUsernameMaxBytes) return UsernameOutcome::kTooLong;
  const BytesView bytes = as_bytes(username);
  size_t i = 0;
  uint32_t cp = 0;
  bool control = false;
  while (i < bytes.size()) {
    if (!next_code_point(bytes, i, cp)) return UsernameOutcome::kInvalidUtf8;
    control = control || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
  }
  return control ? UsernameOutcome::kControlCharacter : UsernameOutcome::kAccepted;
}

Result<std::string> normalize_username(std::string_view username) {
  const UsernameOutcome outcome = check_username(username);
  if (outcome != UsernameOutcome::kAccepted) {
    return Status(ErrorCode::kInvalidArgument,
                  std::string("username: ") + username_outcome_name(outcome));
  }
  std::string normalized(username);
  for (char& c : normalized) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
  return normalized;
}

// ---- PasswordHasher ----

PasswordHasher::PasswordHasher(const PasswordHasherOptions& options)
    : params_(options.params), queue_capacity_(options.queue_capacity) {}

Result<std::unique_ptr<PasswordHasher>> PasswordHasher::start(
    const PasswordHasherOptions& options) {
  RXP_RETURN_IF_ERROR(validate_password_params(options.params));
  if (options.threads == 0 || options.threads > kMaxThreads) {
    return Status(ErrorCode::kInvalidArgument, "password hasher: threads must be 1..64");
  }
  if (options.queue_capacity == 0) {
    return Status(ErrorCode::kInvalidArgument, "password hasher: queue_capacity must be >= 1");
  }
  if (!secure_init()) return Status(ErrorCode::kInternal, "libsodium: initialisation failed");
  std::unique_ptr<PasswordHasher> hasher(new PasswordHasher(options));
  try {
    for (size_t i = 0; i < options.threads; ++i) {
      hasher->workers_.emplace_back(&PasswordHasher::worker_loop, hasher.get());
    }
  } catch (const std::system_error&) {
    return Status(ErrorCode::kInternal, "password hasher: cannot start a thread");
  }  // the destructor of `hasher` joins the threads already started
  return hasher;
}

PasswordHasher::~PasswordHasher() {
  std::deque<Job> cancelled;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cancelled.swap(queue_);
    stats_.cancelled += cancelled.size();
  }
  work_ready_.notify_all();
  const Status stopped(ErrorCode::kBusy, "password hasher: cancelled, shutting down");
  for (Job& job : cancelled) deliver(job, stopped, stopped);
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

Status PasswordHasher::submit_hash(SecretBytes password, HashCallback callback) {
  if (!callback) return Status(ErrorCode::kInvalidArgument, "password hasher: no callback");
  Job job;
  job.kind = JobKind::kHash;
  job.password = std::move(password);
  job.on_hash = std::move(callback);
  return enqueue(std::move(job));
}

Status PasswordHasher::submit_verify(SecretBytes password, std::string stored_hash,
                                     VerifyCallback callback) {
  if (!callback) return Status(ErrorCode::kInvalidArgument, "password hasher: no callback");
  Job job;
  job.kind = JobKind::kVerify;
  job.password = std::move(password);
  job.stored_hash = std::move(stored_hash);
  job.on_verify = std::move(callback);
  return enqueue(std::move(job));
}

Status PasswordHasher::submit_verify_unknown_user(SecretBytes password, VerifyCallback callback) {
  if (!callback) return Status(ErrorCode::kInvalidArgument, "password hasher: no callback");
  Job job;
  job.kind = JobKind::kVerifyUnknownUser;
  job.password = std::move(password);
  job.on_verify = std::move(callback);
  return enqueue(std::move(job));
}

PasswordHasherStats PasswordHasher::stats() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

Status PasswordHasher::enqueue(Job job) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= queue_capacity_) {
      ++stats_.rejected_busy;
      return Status(ErrorCode::kBusy, stopping_ ? "password hasher: shutting down"
                                                : "password hasher: queue full, retry later");
    }  // `job` and its password are freed (and zeroed) on return
    queue_.push_back(std::move(job));
  }
  work_ready_.notify_one();
  return Status::ok();
}

void PasswordHasher::worker_loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // the destructor answers whatever is still queued
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    run_job(job);
  }
}

void PasswordHasher::run_job(Job& job) {
  Result<std::string> hash = Status(ErrorCode::kInternal, "password hasher: not run");
  Result<PasswordCheck> check = Status(ErrorCode::kInternal, "password hasher: not run");
  switch (job.kind) {
    case JobKind::kHash:
      hash = hash_password(job.password.view(), params_);
      break;
    case JobKind::kVerify:
      check = verify_password(job.password.view(), job.stored_hash, params_);
      break;
    case JobKind::kVerifyUnknownUser: {
      const auto dummy = dummy_password_hash(params_);
      if (dummy.is_ok()) {
        (void)verify_password(job.password.view(), *dummy, params_);  // for the time it takes
        check = PasswordCheck{PasswordOutcome::kMismatch, false};
      } else {
        check = dummy.status();
      }
      break;
    }
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.completed;
  }
  deliver(job, std::move(hash), std::move(check));
}

void PasswordHasher::deliver(Job& job, Result<std::string> hash, Result<PasswordCheck> check) {
  job.password = SecretBytes();  // sodium_free zeroes the password before anyone hears back
  try {
    if (job.kind == JobKind::kHash) {
      job.on_hash(std::move(hash));
    } else {
      job.on_verify(std::move(check));
    }
  } catch (...) {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.callback_exceptions;
  }
}

}  // namespace rxp::identity
