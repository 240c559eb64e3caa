// Passwords (actors/identity/password.hpp): Argon2id round trip, wrong passwords, malformed
// hashes, rehash detection, the dummy hash for unknown usernames, the password and username
// policies, and PasswordHasher (results, backpressure, shutdown, concurrent submits).
#define BOOST_TEST_MODULE password
#include <boost/test/unit_test.hpp>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "actors/identity/password.hpp"
#include "infra/secure.hpp"

namespace {

using rxp::ErrorCode;
using rxp::Result;
using rxp::SecretBytes;
using namespace rxp::identity;

struct SodiumInit {
  SodiumInit() { BOOST_REQUIRE(rxp::secure_init()); }
};
BOOST_TEST_GLOBAL_FIXTURE(SodiumInit);

const PasswordParams kFast = minimum_password_params();

SecretBytes secret(std::string_view text) {
  SecretBytes s(text.size());
  if (!text.empty()) std::memcpy(s.data(), text.data(), text.size());
  return s;
}

rxp::BytesView bytes(std::string_view text) {
  return rxp::as_bytes(text);
}

std::string hash_of(std::string_view password, const PasswordParams& params = kFast) {
  auto r = hash_password(bytes(password), params);
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return *r;
}

std::unique_ptr<PasswordHasher> start_hasher(size_t threads, size_t capacity) {
  auto r = PasswordHasher::start({threads, capacity, kFast});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}

PasswordPolicyOutcome policy(std::string_view password, std::string_view username = "") {
  return check_password_policy(bytes(password), username);
}

}  // namespace

BOOST_AUTO_TEST_CASE(hash_then_verify_round_trip) {
  const std::string hash = hash_of("correct horse battery");
  BOOST_TEST(hash.rfind("$argon2id$", 0) == 0u);
  BOOST_TEST(hash.size() <= kPasswordHashMaxChars);
  BOOST_TEST(hash_of("correct horse battery") != hash);  // random salt
  const PasswordCheck check = verify_password(bytes("correct horse battery"), hash, kFast);
  BOOST_TEST(check.matched());
  BOOST_TEST(!check.needs_rehash);
  BOOST_TEST(password_outcome_name(check.outcome) == std::string("match"));
}

BOOST_AUTO_TEST_CASE(wrong_password_is_a_mismatch) {
  const std::string hash = hash_of("correct horse battery");
  for (const char* wrong : {"correct horse batterY", "correct horse battery ", "", "c"}) {
    const PasswordCheck check = verify_password(bytes(wrong), hash, kFast);
    BOOST_TEST((check.outcome == PasswordOutcome::kMismatch));
    BOOST_TEST(!check.needs_rehash);
  }
}

BOOST_AUTO_TEST_CASE(other_parameters_ask_for_a_rehash_after_a_match) {
  const std::string hash = hash_of("correct horse battery");
  const PasswordParams stronger{kPasswordOpsLimitMin + 1, kPasswordMemLimitMin * 2};
  const PasswordCheck check = verify_password(bytes("correct horse battery"), hash, stronger);
  BOOST_TEST(check.matched());
  BOOST_TEST(check.needs_rehash);
  BOOST_TEST(!verify_password(bytes("wrong password!!"), hash, stronger).needs_rehash);
}

BOOST_AUTO_TEST_CASE(malformed_hashes_are_reported_not_matched) {
  const std::string good = hash_of("correct horse battery");
  const std::string without_tag = good.substr(0, good.rfind('$'));
  std::string with_nul = good;
  with_nul[12] = '\0';
  std::string argon2i = good;
  argon2i.replace(0, 10, "$argon2i$");
  for (const std::string& bad : {std::string(), std::string("$argon2id$"), without_tag, with_nul,
                                 argon2i, std::string("plaintext"), good + std::string(200, 'A')}) {
    const PasswordCheck check = verify_password(bytes("correct horse battery"), bad, kFast);
    BOOST_TEST((check.outcome == PasswordOutcome::kMalformedHash));
  }
  // A shortened tag may still parse (Argon2 tags have a variable length); it never matches.
  for (size_t cut = 1; cut < 24; ++cut) {
    const std::string shortened = good.substr(0, good.size() - cut);
    BOOST_TEST(!verify_password(bytes("correct horse battery"), shortened, kFast).matched());
  }
}

BOOST_AUTO_TEST_CASE(parameters_and_lengths_are_checked) {
  BOOST_TEST(validate_password_params(PasswordParams{}).is_ok());
  BOOST_TEST(validate_password_params(kFast).is_ok());
  BOOST_TEST(
      (validate_password_params({0, kPasswordMemLimitMin}).code() == ErrorCode::kInvalidArgument));
  BOOST_TEST((validate_password_params({1, 1024}).code() == ErrorCode::kInvalidArgument));
  const std::string too_long(kPasswordMaxBytes + 1, 'x');
  BOOST_TEST(
      (hash_password(bytes(too_long), kFast).status().code() == ErrorCode::kInvalidArgument));
  BOOST_TEST(hash_password(bytes(std::string(kPasswordMaxBytes, 'x')), kFast).is_ok());
}

BOOST_AUTO_TEST_CASE(dummy_hash_is_computed_once_and_never_matches) {
  std::vector<std::string> seen(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&seen, i] {
      auto r = dummy_password_hash(kFast);
      if (r.is_ok()) seen[i] = *r;
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(!seen[0].empty());
  BOOST_TEST(std::set<std::string>(seen.begin(), seen.end()).size() == 1u);
  BOOST_TEST(*dummy_password_hash(kFast) == seen[0]);
  const PasswordParams other{kPasswordOpsLimitMin + 1, kPasswordMemLimitMin};
  BOOST_TEST(*dummy_password_hash(other) != seen[0]);
  BOOST_TEST(!verify_password(bytes("correct horse battery"), seen[0], kFast).matched());
  BOOST_TEST((dummy_password_hash({0, 0}).status().code() == ErrorCode::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(unknown_user_costs_about_a_wrong_password) {
  // The work, not the wall time (which other processes disturb): the hasher's only thread reads
  // its own CPU clock in each callback, so consecutive readings bracket exactly one job.
  const PasswordParams params{2, size_t{4} << 20};
  auto hasher = PasswordHasher::start({1, 4, params});
  BOOST_REQUIRE(hasher.is_ok());
  const std::string stored = hash_of("correct horse battery", params);
  const auto worker_cpu_at_end_of_job = [&](bool unknown) {
    std::promise<double> done;
    const auto cb = [&done](Result<PasswordCheck> r) {
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      const bool mismatch = r.is_ok() && r->outcome == PasswordOutcome::kMismatch;
      done.set_value(mismatch ? static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9 : -1.0);
    };
    const rxp::Status st =
        unknown ? (*hasher)->submit_verify_unknown_user(secret("wrong password!!"), cb)
                : (*hasher)->submit_verify(secret("wrong password!!"), stored, cb);
    BOOST_REQUIRE(st.is_ok());
    const double cpu = done.get_future().get();
    BOOST_REQUIRE(cpu >= 0.0);  // answered "mismatch"
    return cpu;
  };
  (void)worker_cpu_at_end_of_job(true);  // first use computes the dummy hash
  double known = 0, unknown = 0;
  double last = worker_cpu_at_end_of_job(false);
  for (int i = 0; i < 5; ++i) {
    double now = worker_cpu_at_end_of_job(true);
    unknown += now - last;
    last = now;
    now = worker_cpu_at_end_of_job(false);
    known += now - last;
    last = now;
  }
  const double ratio = unknown / known;
  BOOST_TEST_MESSAGE("unknown/known verify CPU time ratio " << ratio);
  BOOST_TEST(ratio > 0.5);
  BOOST_TEST(ratio < 2.0);
}

BOOST_AUTO_TEST_CASE(password_policy) {
  BOOST_TEST((policy("short") == PasswordPolicyOutcome::kTooShort));
  BOOST_TEST((policy("elevenchars") == PasswordPolicyOutcome::kTooShort));
  BOOST_TEST((policy("twelve chars") == PasswordPolicyOutcome::kAccepted));
  BOOST_TEST((policy(std::string(127, 'a') + "b") == PasswordPolicyOutcome::kAccepted));
  BOOST_TEST((policy(std::string(128, 'a') + "b") == PasswordPolicyOutcome::kTooLong));
  BOOST_TEST((policy("aaaaaaaaaaaa") == PasswordPolicyOutcome::kTrivial));
  BOOST_TEST((policy("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9") ==
              PasswordPolicyOutcome::kTrivial));  // "éééééé": one code point, 12 bytes
  BOOST_TEST((policy("aaaaaaaaaaab") == PasswordPolicyOutcome::kAccepted));
  BOOST_TEST((policy("my-Alice-password", "alice") == PasswordPolicyOutcome::kContainsUsername));
  BOOST_TEST((policy("my-ALICE-password", "Alice") == PasswordPolicyOutcome::kContainsUsername));
  BOOST_TEST((policy("my-alic-e-password", "alice") == PasswordPolicyOutcome::kAccepted));
  BOOST_TEST((policy("tr\xC3\xA8s bien dit!", "") == PasswordPolicyOutcome::kAccepted));
  // The order of checks: length before encoding before content.
  BOOST_TEST((policy("\xFF\xFF") == PasswordPolicyOutcome::kTooShort));
  BOOST_TEST((policy("alicealicealice", "alice") == PasswordPolicyOutcome::kContainsUsername));
  BOOST_TEST(password_policy_outcome_name(PasswordPolicyOutcome::kContainsUsername) ==
             std::string("contains_username"));
  BOOST_TEST(password_policy_outcome_name(PasswordPolicyOutcome::kInvalidUtf8) ==
             std::string("invalid_utf8"));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_refused) {
  const std::string pad = "abcdefghijkl";
  for (const std::string bad :
       {"\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
        "\xF5\x80\x80\x80", "\xFF", "\xC3", "\xE2\x82", "\xC3\x28"}) {
    BOOST_TEST(!is_valid_utf8(bytes(bad)));
    BOOST_TEST((policy(pad + bad) == PasswordPolicyOutcome::kInvalidUtf8));
    BOOST_TEST((policy(bad + pad) == PasswordPolicyOutcome::kInvalidUtf8));
    BOOST_TEST((check_username("abc" + bad) == UsernameOutcome::kInvalidUtf8));
  }
  for (const std::string good : {"", "a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x92\x8A",
                                 "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBF"}) {
    BOOST_TEST(is_valid_utf8(bytes(good)));
  }
}

BOOST_AUTO_TEST_CASE(usernames) {
  BOOST_TEST((check_username("ab") == UsernameOutcome::kTooShort));
  BOOST_TEST((check_username("abc") == UsernameOutcome::kAccepted));
  BOOST_TEST((check_username(std::string(64, 'a')) == UsernameOutcome::kAccepted));
  BOOST_TEST((check_username(std::string(65, 'a')) == UsernameOutcome::kTooLong));
  BOOST_TEST((check_username(std::string("ab\0c", 4)) == UsernameOutcome::kControlCharacter));
  BOOST_TEST((check_username("ab\nc") == UsernameOutcome::kControlCharacter));
  BOOST_TEST((check_username("ab\x7f"
                             "c") == UsernameOutcome::kControlCharacter));
  BOOST_TEST((check_username("ab\xC2\x85"
                             "c") == UsernameOutcome::kControlCharacter));
  BOOST_TEST((check_username("ab\xC2\xA0"
                             "c") == UsernameOutcome::kAccepted));

  BOOST_TEST(*normalize_username("Alice.Smith@Example.ORG") == "alice.smith@example.org");
  BOOST_TEST(*normalize_username("\xC3\x89MILE") == "\xC3\x89mile");  // non-ASCII kept
  const auto bad = normalize_username("Secret\x01Name");
  BOOST_TEST((bad.status().code() == ErrorCode::kInvalidArgument));
  BOOST_TEST(bad.status().message() == "username: control_character");
  BOOST_TEST(bad.status().message().find("Secret") == std::string::npos);
  BOOST_TEST(normalize_username("x").status().message() == "username: too_short");
}

BOOST_AUTO_TEST_CASE(hasher_rejects_bad_options) {
  BOOST_TEST((PasswordHasher::start({0, 1, kFast}).status().code() == ErrorCode::kInvalidArgument));
  BOOST_TEST((PasswordHasher::start({1, 0, kFast}).status().code() == ErrorCode::kInvalidArgument));
  BOOST_TEST(
      (PasswordHasher::start({1, 1, {0, 0}}).status().code() == ErrorCode::kInvalidArgument));
  auto hasher = start_hasher(1, 1);
  BOOST_TEST((hasher->submit_hash(secret("x"), nullptr).code() == ErrorCode::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(hasher_hashes_and_verifies) {
  auto hasher = start_hasher(2, 8);
  std::promise<Result<std::string>> hashed;
  BOOST_REQUIRE(hasher
                    ->submit_hash(secret("correct horse battery"),
                                  [&](Result<std::string> r) { hashed.set_value(std::move(r)); })
                    .is_ok());
  const Result<std::string> hash = hashed.get_future().get();
  BOOST_REQUIRE(hash.is_ok());

  const auto verify = [&](std::string_view password, std::string stored) {
    std::promise<Result<PasswordCheck>> done;
    const auto on_done = [&](Result<PasswordCheck> r) { done.set_value(std::move(r)); };
    BOOST_REQUIRE(hasher->submit_verify(secret(password), std::move(stored), on_done).is_ok());
    Result<PasswordCheck> r = done.get_future().get();
    BOOST_REQUIRE(r.is_ok());
    return r->outcome;
  };
  BOOST_TEST((verify("correct horse battery", *hash) == PasswordOutcome::kMatch));
  BOOST_TEST((verify("wrong horse battery", *hash) == PasswordOutcome::kMismatch));
  BOOST_TEST((verify("correct horse battery", "junk") == PasswordOutcome::kMalformedHash));

  std::promise<Result<PasswordCheck>> unknown;
  BOOST_REQUIRE(hasher
                    ->submit_verify_unknown_user(
                        secret("correct horse battery"),
                        [&](Result<PasswordCheck> r) { unknown.set_value(std::move(r)); })
                    .is_ok());
  const Result<PasswordCheck> u = unknown.get_future().get();
  BOOST_REQUIRE(u.is_ok());
  BOOST_TEST((u->outcome == PasswordOutcome::kMismatch));
  BOOST_TEST(hasher->stats().completed == 5u);
}

BOOST_AUTO_TEST_CASE(full_queue_answers_busy_at_once) {
  auto hasher = start_hasher(1, 1);
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<bool> first_ok, second_ok;
  // Job 1 occupies the only thread (its callback blocks); job 2 fills the queue.
  BOOST_REQUIRE(hasher
                    ->submit_hash(secret("password number one"),
                                  [&](Result<std::string> r) {
                                    first_ok.set_value(r.is_ok());
                                    entered.set_value();
                                    released.wait();
                                  })
                    .is_ok());
  entered.get_future().wait();
  BOOST_REQUIRE(hasher
                    ->submit_hash(secret("password number two"),
                                  [&](Result<std::string> r) { second_ok.set_value(r.is_ok()); })
                    .is_ok());
  std::atomic<int> wrongly_called{0};
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const rxp::Status st = hasher->submit_verify(secret("another password"), "junk",
                                                 [&](Result<PasswordCheck>) { ++wrongly_called; });
    BOOST_TEST((st.code() == ErrorCode::kBusy));
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1)));  // no wait
  }
  release.set_value();
  BOOST_TEST(first_ok.get_future().get());
  BOOST_TEST(second_ok.get_future().get());
  BOOST_TEST(wrongly_called.load() == 0);
  const PasswordHasherStats stats = hasher->stats();
  BOOST_TEST(stats.rejected_busy == 5u);
  BOOST_TEST(stats.completed == 2u);
}

BOOST_AUTO_TEST_CASE(destructor_answers_queued_jobs_and_finishes_running_ones) {
  auto hasher = start_hasher(1, 8);
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<bool> running_ok;
  BOOST_REQUIRE(hasher
                    ->submit_hash(secret("password number one"),
                                  [&](Result<std::string> r) {
                                    entered.set_value();
                                    released.wait();
                                    running_ok.set_value(r.is_ok());
                                  })
                    .is_ok());
  entered.get_future().wait();
  constexpr int kQueued = 3;
  std::atomic<int> cancelled{0}, other{0};
  std::promise<void> all_cancelled;
  for (int i = 0; i < kQueued; ++i) {
    BOOST_REQUIRE(hasher
                      ->submit_verify(secret("queued password"), "junk",
                                      [&](Result<PasswordCheck> r) {
                                        if (!r.is_ok() && r.status().code() == ErrorCode::kBusy) {
                                          if (++cancelled == kQueued) all_cancelled.set_value();
                                        } else {
                                          ++other;
                                        }
                                      })
                      .is_ok());
  }
  // The destructor answers the queued jobs at once, then waits for the running one.
  std::thread destroyer([&hasher] { hasher.reset(); });
  BOOST_TEST(
      (all_cancelled.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready));
  release.set_value();
  destroyer.join();
  BOOST_TEST(running_ok.get_future().get());
  BOOST_TEST(cancelled.load() == kQueued);
  BOOST_TEST(other.load() == 0);
}

BOOST_AUTO_TEST_CASE(concurrent_submits_get_exactly_one_answer_each) {
  auto hasher = start_hasher(2, 4);
  const std::string stored = hash_of("correct horse battery");
  constexpr int kThreads = 4, kPerThread = 25;
  std::atomic<int> answered{0}, refused{0}, unexpected{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        const rxp::Status st = hasher->submit_verify(
            secret("correct horse battery"), stored, [&](Result<PasswordCheck> r) {
              const bool as_expected =
                  r.is_ok() ? r->matched() : r.status().code() == ErrorCode::kBusy;
              if (!as_expected) ++unexpected;
              ++answered;
            });
        if (!st.is_ok()) ++refused;
      }
    });
  }
  for (auto& t : submitters) t.join();
  hasher.reset();  // answers or cancels whatever is left
  BOOST_TEST(answered.load() + refused.load() == kThreads * kPerThread);
  BOOST_TEST(unexpected.load() == 0);  // a match, or kBusy for a job cancelled by reset()
}

BOOST_AUTO_TEST_CASE(throwing_callback_is_counted_and_the_worker_survives) {
  auto hasher = start_hasher(1, 4);
  BOOST_REQUIRE(hasher
                    ->submit_hash(secret("password number one"),
                                  [](Result<std::string>) { throw std::runtime_error("boom"); })
                    .is_ok());
  std::promise<bool> next;
  BOOST_REQUIRE(hasher
                    ->submit_hash(secret("password number two"),
                                  [&](Result<std::string> r) { next.set_value(r.is_ok()); })
                    .is_ok());
  BOOST_TEST(next.get_future().get());
  BOOST_TEST(hasher->stats().callback_exceptions == 1u);
}
