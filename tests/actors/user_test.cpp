// The user and session aggregates' rules, without actors or I/O: each rule of issue 4 that
// the deciders own, driven by explicit times (the simulated clock of the actor tests is the
// same idea one level up).
#define BOOST_TEST_MODULE user
#include <boost/test/unit_test.hpp>

#include "actors/identity/session.hpp"
#include "actors/identity/totp.hpp"
#include "actors/identity/user.hpp"
#include "actors/identity/user_snapshot.hpp"
#include "infra/secure.hpp"
#include "tests/actors/identity_rules.hpp"

using namespace rxp;
using namespace rxp::identity;

namespace {

using namespace rxp::identity::test;

NewSession ns(const std::string& id) { return {id, "tokenhash-" + id, "csrfhash-" + id}; }

UserState registered(std::vector<std::string> roles = {"clinician"}, int64_t at = kT0) {
  UserState st;
  auto d = run(st, Register{"dr.a", roles, roles[0] == "patient" ? "pt-1" : "", "$argon2id$fake"}, at);
  BOOST_REQUIRE(d.outcome == UserOutcome::kOk);
  return st;
}

const std::string kSecret = "12345678901234567890";  // RFC 6238 SHA-1 test secret

std::string code_at(int64_t t) { return totp_code(as_bytes(std::string_view(kSecret)), t).value(); }

// A user with a confirmed TOTP factor and one live session (from the enrollment grace).
UserState with_totp(int64_t& now) {
  auto st = registered();
  auto d = run(st, BeginLogin{true, "lgn-0", "192.0.2.1", "dev-a", ns("ses-0")}, now);
  BOOST_REQUIRE(d.effects.start_session);
  SessionFacts s0{"ses-0", 0};
  BOOST_REQUIRE(run(st, StartTotpEnrollment{s0, "fac-t", kSecret}, now).outcome == UserOutcome::kOk);
  BOOST_REQUIRE(run(st, ConfirmTotp{s0, "fac-t", code_at(now)}, now).outcome == UserOutcome::kOk);
  now += 31 * kSec;  // the confirming code's step is spent
  return st;
}

}  // namespace

BOOST_AUTO_TEST_CASE(registration_validates_and_records_the_password_hash) {
  UserState st;
  BOOST_CHECK(run(st, Register{"x", {"wizard"}, "", "h"}, kT0).reason == "roles");
  BOOST_CHECK(run(st, Register{"x", {"patient"}, "", "h"}, kT0).reason == "patient_id");
  BOOST_CHECK(run(st, Register{"x", {"clinician"}, "", ""}, kT0).reason == "password");
  auto d = run(st, Register{"dr.a", {"clinician"}, "", "$argon2id$h"}, kT0);
  BOOST_CHECK(d.outcome == UserOutcome::kOk);
  BOOST_CHECK(has<events::UserRegistered>(d.events) && has<events::PasswordSet>(d.events));
  BOOST_CHECK(st.password_hash == "$argon2id$h");
  BOOST_CHECK(run(st, Register{"dr.a", {"clinician"}, "", "h"}, kT0).outcome == UserOutcome::kConflict);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_an_event_and_counts_towards_the_throttle) {
  auto st = registered();
  auto d = run(st, BeginLogin{false, "lgn-1", "192.0.2.1", "dev-x", ns("s")}, kT0);
  BOOST_CHECK(d.outcome == UserOutcome::kBadCredentials);
  BOOST_CHECK_EQUAL(first<events::LoginFailed>(d.events).reason, "bad_password");
  BOOST_CHECK_EQUAL(st.throttle.consecutive_failures, 1u);
}

BOOST_AUTO_TEST_CASE(throttling_delays_grow_but_never_lock_the_user_out_for_good) {
  auto st = registered();
  int64_t now = kT0;
  for (int i = 0; i < 5; ++i) run(st, BeginLogin{false, "l", "198.51.100.7", "dev-evil", ns("s")}, now += kSec);
  auto blocked = run(st, BeginLogin{true, "l", "198.51.100.7", "dev-evil", ns("s")}, now);
  BOOST_CHECK(blocked.outcome == UserOutcome::kThrottled);
  BOOST_CHECK(blocked.retry_after_us > 0);
  // Recorded but not counted: a throttled attempt does not extend the delay.
  BOOST_CHECK_EQUAL(first<events::LoginFailed>(blocked.events).reason, "throttled");
  BOOST_CHECK_EQUAL(st.throttle.consecutive_failures, 5u);
  // The real user's own device (a completed login before) is not delayed...
  st.known_devices.insert("dev-home");
  auto home = run(st, BeginLogin{true, "l2", "192.0.2.1", "dev-home", ns("s2")}, now);
  BOOST_CHECK(home.outcome != UserOutcome::kThrottled);
  // ...and after the delay everyone may try again.
  auto later = run(st, BeginLogin{false, "l3", "198.51.100.7", "dev-evil", ns("s")}, now + blocked.retry_after_us);
  BOOST_CHECK(later.outcome == UserOutcome::kBadCredentials);
  // 100 failures an hour at most, then a finite wait.
  for (int i = 0; i < 200; ++i) run(st, BeginLogin{false, "l", "198.51.100.7", "", ns("s")}, now += 16 * kMin);
  BOOST_CHECK(run(st, BeginLogin{true, "l", "", "", ns("s")}, now + 2 * 3600 * kSec).outcome != UserOutcome::kThrottled);
}

BOOST_AUTO_TEST_CASE(password_only_login_exists_only_in_the_enrollment_grace) {
  auto st = registered();
  auto d = run(st, BeginLogin{true, "lgn-1", "192.0.2.1", "dev-a", ns("ses-1")}, kT0 + kMin);
  BOOST_CHECK(d.outcome == UserOutcome::kOk);
  BOOST_REQUIRE(d.effects.start_session);
  BOOST_CHECK_EQUAL(d.effects.start_session->method, "password_only");
  auto late = run(st, BeginLogin{true, "lgn-2", "192.0.2.1", "dev-a", ns("ses-2")}, kT0 + kEnrollmentGraceUs);
  BOOST_CHECK(late.outcome == UserOutcome::kMfaEnrollmentRequired);
  BOOST_CHECK(!late.effects.start_session);
}

BOOST_AUTO_TEST_CASE(totp_login_accepts_a_code_once_and_types_bad_codes) {
  int64_t now = kT0;
  auto st = with_totp(now);
  auto begin = run(st, BeginLogin{true, "lgn-1", "192.0.2.1", "dev-a", ns("x")}, now);
  BOOST_CHECK(begin.outcome == UserOutcome::kOk);
  BOOST_CHECK(std::find(begin.methods.begin(), begin.methods.end(), "totp") != begin.methods.end());
  BOOST_CHECK(run(st, CompleteTotp{"lgn-1", "12345", ns("s")}, now).reason == "wrong_length");
  BOOST_CHECK(run(st, CompleteTotp{"lgn-1", "12a456", ns("s")}, now).reason == "not_digits");
  auto ok = run(st, CompleteTotp{"lgn-1", code_at(now), ns("ses-1")}, now);
  BOOST_CHECK(ok.outcome == UserOutcome::kOk);
  BOOST_REQUIRE(ok.effects.start_session);
  BOOST_CHECK_EQUAL(ok.effects.start_session->idle_timeout_us, 15 * kMin);  // clinician
  BOOST_CHECK_EQUAL(ok.effects.start_session->absolute_expires_at_us, now + 12 * 3600 * kSec);
  // The login is spent, and the code too, even for a fresh login.
  BOOST_CHECK(run(st, CompleteTotp{"lgn-1", code_at(now), ns("s")}, now).outcome == UserOutcome::kNotFound);
  run(st, BeginLogin{true, "lgn-2", "192.0.2.1", "dev-a", ns("x")}, now);
  auto replay = run(st, CompleteTotp{"lgn-2", code_at(now), ns("s")}, now);
  BOOST_CHECK(replay.outcome == UserOutcome::kMfaFailed);
  BOOST_CHECK_EQUAL(replay.reason, "replayed");
  BOOST_CHECK(has<events::MfaFailed>(replay.events));
}

BOOST_AUTO_TEST_CASE(a_pending_login_expires_after_five_minutes) {
  int64_t now = kT0;
  auto st = with_totp(now);
  run(st, BeginLogin{true, "lgn-1", "", "dev-a", ns("x")}, now);
  int64_t later = now + kLoginTtlUs;
  BOOST_CHECK(run(st, CompleteTotp{"lgn-1", code_at(later), ns("s")}, later).outcome == UserOutcome::kNotFound);
}

BOOST_AUTO_TEST_CASE(the_session_cap_evicts_the_oldest) {
  int64_t now = kT0;
  auto st = with_totp(now);  // ses-0 is live
  UserLimits two{2};
  for (int i = 1; i <= 3; ++i) {
    std::string l = "lgn-" + std::to_string(i);
    run(st, BeginLogin{true, l, "", "dev-a", ns("x")}, now);
    auto d = run(st, CompleteTotp{l, code_at(now), ns("ses-" + std::to_string(i))}, now, two);
    BOOST_REQUIRE(d.outcome == UserOutcome::kOk);
    if (i == 1) {
      BOOST_CHECK(d.effects.end_sessions.empty());  // two live: within the cap
    } else {
      BOOST_REQUIRE_EQUAL(d.effects.end_sessions.size(), 1u);
      BOOST_CHECK_EQUAL(d.effects.end_sessions[0], "ses-" + std::to_string(i - 2));
      BOOST_CHECK_EQUAL(d.effects.end_reason, "evicted");
    }
    now += 31 * kSec;
  }
  BOOST_CHECK_EQUAL(st.sessions.size(), 2u);
}

BOOST_AUTO_TEST_CASE(recovery_codes_need_a_step_up_are_single_use_and_end_every_session) {
  int64_t now = kT0;
  auto st = with_totp(now);
  auto codes = generate_recovery_codes();
  std::vector<std::string> hashes;
  for (const auto& h : codes.hashes) hashes.emplace_back(h.begin(), h.end());
  std::string salt(codes.salt.begin(), codes.salt.end());
  BOOST_CHECK(run(st, IssueRecoveryCodes{{"ses-0", 0}, salt, hashes}, now).outcome == UserOutcome::kStepUpRequired);
  BOOST_CHECK(run(st, IssueRecoveryCodes{{"ses-0", now + kMin}, salt, hashes}, now).outcome == UserOutcome::kOk);
  run(st, BeginLogin{true, "lgn-r", "", "dev-new", ns("x")}, now);
  auto d = run(st, CompleteRecovery{"lgn-r", codes.codes[3], ns("ses-r")}, now);
  BOOST_CHECK(d.outcome == UserOutcome::kOk);
  BOOST_CHECK(has<events::RecoveryCodeUsed>(d.events));
  BOOST_CHECK(d.effects.end_sessions == std::vector<std::string>{"ses-0"});
  BOOST_CHECK(d.effects.step_up_until_us.has_value());
  run(st, BeginLogin{true, "lgn-r2", "", "dev-new", ns("x")}, now);
  BOOST_CHECK_EQUAL(run(st, CompleteRecovery{"lgn-r2", codes.codes[3], ns("s")}, now).reason, "already_used");
  BOOST_CHECK_EQUAL(run(st, CompleteRecovery{"lgn-r2", "not-a-code", ns("s")}, now).reason, "malformed");
}

BOOST_AUTO_TEST_CASE(number_matching_denies_a_wrong_number_and_flags_prompt_storms) {
  int64_t now = kT0;
  auto st = with_totp(now);  // ses-0 is the signed-in device
  run(st, BeginLogin{true, "lgn-n", "", "dev-new", ns("x")}, now);
  auto p1 = run(st, RequestApproval{"lgn-n", "mfp-1", "42"}, now);
  BOOST_CHECK_EQUAL(p1.number, "42");
  BOOST_CHECK(!has<events::MfaBombingSuspected>(p1.events));
  auto wrong = run(st, AnswerPrompt{{"ses-0", 0}, "mfp-1", "24", true}, now);
  BOOST_CHECK(wrong.outcome == UserOutcome::kMfaFailed);
  BOOST_CHECK_EQUAL(first<events::MfaPromptDenied>(wrong.events).reason, "wrong_number");
  BOOST_CHECK(run(st, PollApproval{"lgn-n", ns("s")}, now).outcome == UserOutcome::kMfaFailed);
  run(st, RequestApproval{"lgn-n", "mfp-2", "17"}, now + kMin);
  auto p3 = run(st, RequestApproval{"lgn-n", "mfp-3", "88"}, now + 2 * kMin);
  BOOST_CHECK(has<events::MfaBombingSuspected>(p3.events));  // three in ten minutes
  BOOST_CHECK(run(st, PollApproval{"lgn-n", ns("s")}, now + 2 * kMin).outcome == UserOutcome::kPending);
  BOOST_CHECK(run(st, AnswerPrompt{{"ses-0", 0}, "mfp-3", "88", true}, now + 2 * kMin).outcome == UserOutcome::kOk);
  auto in = run(st, PollApproval{"lgn-n", ns("ses-n")}, now + 2 * kMin);
  BOOST_CHECK(in.outcome == UserOutcome::kOk);
  BOOST_CHECK_EQUAL(first<events::LoginSucceeded>(in.events).method, "number_match");
  // A prompt cannot be answered from a session the user does not have.
  run(st, BeginLogin{true, "lgn-m", "", "dev-new", ns("x")}, now + 3 * kMin);
  run(st, RequestApproval{"lgn-m", "mfp-4", "55"}, now + 3 * kMin);
  BOOST_CHECK(run(st, AnswerPrompt{{"ses-stolen", 0}, "mfp-4", "55", true}, now + 3 * kMin).outcome ==
              UserOutcome::kNotFound);
}

BOOST_AUTO_TEST_CASE(factor_changes_need_a_fresh_step_up_and_a_reset_ends_every_session) {
  int64_t now = kT0;
  auto st = with_totp(now);
  BOOST_CHECK(run(st, RemoveFactor{{"ses-0", 0}, "fac-t"}, now).outcome == UserOutcome::kStepUpRequired);
  BOOST_CHECK(run(st, RemoveFactor{{"ses-0", now - 1}, "fac-t"}, now).outcome == UserOutcome::kStepUpRequired);
  BOOST_CHECK(run(st, StartTotpEnrollment{{"ses-0", 0}, "fac-2", kSecret}, now).outcome ==
              UserOutcome::kStepUpRequired);
  auto d = run(st, RemoveFactor{{"ses-0", now + kMin}, "fac-t"}, now);
  BOOST_CHECK(d.outcome == UserOutcome::kOk);
  BOOST_CHECK(d.effects.end_sessions == std::vector<std::string>{"ses-0"});
  BOOST_CHECK_EQUAL(d.effects.end_reason, "factor_reset");
  BOOST_CHECK(st.totp.empty());
}

BOOST_AUTO_TEST_CASE(step_up_verifies_a_factor_and_lasts_five_minutes) {
  int64_t now = kT0;
  auto st = with_totp(now);
  BOOST_CHECK(run(st, StepUp{{"ses-0", 0}, "totp", "000000", {}, "", ""}, now).outcome == UserOutcome::kMfaFailed);
  auto d = run(st, StepUp{{"ses-0", 0}, "totp", code_at(now), {}, "", ""}, now);
  BOOST_CHECK(d.outcome == UserOutcome::kOk);
  BOOST_CHECK_EQUAL(*d.effects.step_up_until_us, now + 5 * kMin);
  BOOST_CHECK(run(st, StepUp{{"ses-9", 0}, "totp", code_at(now), {}, "", ""}, now).outcome == UserOutcome::kNotFound);
}

BOOST_AUTO_TEST_CASE(a_password_change_ends_every_other_session) {
  int64_t now = kT0;
  auto st = with_totp(now);
  run(st, BeginLogin{true, "lgn-1", "", "dev-b", ns("x")}, now);
  run(st, CompleteTotp{"lgn-1", code_at(now), ns("ses-1")}, now);
  BOOST_CHECK(run(st, ChangePassword{{"ses-1", 0}, false, "new"}, now).outcome == UserOutcome::kBadCredentials);
  auto d = run(st, ChangePassword{{"ses-1", 0}, true, "$argon2id$new"}, now);
  BOOST_CHECK(d.outcome == UserOutcome::kOk);
  BOOST_CHECK(d.effects.end_sessions == std::vector<std::string>{"ses-0"});
  BOOST_CHECK_EQUAL(st.password_hash, "$argon2id$new");
}

BOOST_AUTO_TEST_CASE(logout_all_names_every_live_session) {
  int64_t now = kT0;
  auto st = with_totp(now);
  run(st, BeginLogin{true, "lgn-1", "", "dev-b", ns("x")}, now);
  run(st, CompleteTotp{"lgn-1", code_at(now), ns("ses-1")}, now);
  auto d = run(st, LogoutAll{{"ses-1", 0}}, now);
  BOOST_CHECK_EQUAL(d.effects.end_sessions.size(), 2u);
  BOOST_CHECK(st.sessions.empty());
  BOOST_CHECK(run(st, LogoutAll{{"ses-1", 0}}, now).outcome == UserOutcome::kNotFound);
}

BOOST_AUTO_TEST_CASE(role_changes_need_an_admin_step_up_and_end_every_session) {
  int64_t now = kT0;
  auto st = with_totp(now);
  BOOST_CHECK(run(st, GrantRole{"pharmacist", {"ses-admin", 0}}, now).outcome == UserOutcome::kStepUpRequired);
  BOOST_CHECK(run(st, GrantRole{"patient", {"ses-admin", now + kMin}}, now).outcome == UserOutcome::kInvalid);
  BOOST_CHECK(run(st, GrantRole{"wizard", {"ses-admin", now + kMin}}, now).outcome == UserOutcome::kInvalid);
  auto g = run(st, GrantRole{"pharmacist", {"ses-admin", now + kMin}}, now);
  BOOST_CHECK(g.outcome == UserOutcome::kOk);
  BOOST_CHECK(g.effects.end_sessions == std::vector<std::string>{"ses-0"});
  BOOST_CHECK_EQUAL(g.effects.end_reason, "privilege_change");
  BOOST_CHECK((st.roles == std::vector<std::string>{"clinician", "pharmacist"}));
  // The system removes a dormant elevated role without a step-up; an admin needs one.
  BOOST_CHECK(run(st, RevokeRole{"pharmacist", "admin", {"ses-admin", 0}}, now).outcome == UserOutcome::kStepUpRequired);
  auto r = run(st, RevokeRole{"pharmacist", "dormant", {}}, now);
  BOOST_CHECK(r.outcome == UserOutcome::kOk);
  BOOST_CHECK_EQUAL(first<events::RoleRevoked>(r.events).reason, "dormant");
  BOOST_CHECK(run(st, RevokeRole{"pharmacist", "dormant", {}}, now).outcome == UserOutcome::kNotFound);
}

BOOST_AUTO_TEST_CASE(a_user_snapshot_restores_the_exact_state) {
  int64_t now = kT0;
  auto st = with_totp(now);
  run(st, BeginLogin{false, "lgn-x", "198.51.100.1", "dev-x", ns("x")}, now);
  run(st, BeginLogin{true, "lgn-1", "", "dev-a", ns("x")}, now);
  run(st, RequestApproval{"lgn-1", "mfp-1", "42"}, now);
  auto bytes = encode_user_snapshot(st);
  auto back = decode_user_snapshot(kUserSnapshotSchema, bytes);
  BOOST_REQUIRE(back.is_ok());
  BOOST_CHECK(back.value() == st);
  BOOST_CHECK(!decode_user_snapshot(kUserSnapshotSchema + 1, bytes).is_ok());
  bytes.resize(bytes.size() / 2);
  BOOST_CHECK(!decode_user_snapshot(kUserSnapshotSchema, bytes).is_ok());
}

// ---- sessions ----

namespace {
struct Live {
  SessionState st;
  IssuedToken token = issue_token("ses-1");
  IssuedToken csrf = issue_csrf_token();
};
Live started(std::vector<std::string> roles, int64_t now = kT0) {
  Live l;
  events::SessionStarted s;
  s.user_id = "u-1";
  s.roles = roles;
  s.token_hash = l.token.hash;
  s.csrf_hash = l.csrf.hash;
  s.device_hash = "dev-a";
  s.idle_timeout_us = idle_timeout_for(roles);
  s.absolute_expires_at_us = now + kSessionAbsoluteUs;
  BOOST_REQUIRE(run(l.st, StartSession{s, std::nullopt}, now).outcome == SessionOutcome::kOk);
  return l;
}
SessionDecided use(Live& l, int64_t now, std::string token = "", std::string device = "dev-a") {
  auto d = run(l.st, Authenticate{token.empty() ? l.token.token : token, device, false, ""}, now);
  if (d.touch) l.st.last_activity_us = now;
  return d;
}
}  // namespace

BOOST_AUTO_TEST_CASE(tokens_are_random_hashed_and_carry_their_session_id) {
  auto a = issue_token("ses-1"), b = issue_token("ses-1");
  BOOST_CHECK(a.token != b.token);
  BOOST_CHECK_EQUAL(a.token.size(), 6u + 43u);
  BOOST_CHECK(a.hash != a.token && a.hash.size() == 32);
  BOOST_CHECK_EQUAL(*session_id_of_token(a.token), "ses-1");
  BOOST_CHECK(!session_id_of_token("ses-1.short"));
  BOOST_CHECK(!session_id_of_token("no-dot"));
  BOOST_CHECK(!session_id_of_token(".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}

BOOST_AUTO_TEST_CASE(idle_timeout_depends_on_the_role) {
  auto doc = started({"clinician"});
  BOOST_CHECK(use(doc, kT0 + 14 * kMin).outcome == SessionOutcome::kOk);
  auto idle = use(doc, kT0 + 14 * kMin + 15 * kMin);
  BOOST_CHECK(idle.outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK_EQUAL(first<events::SessionEnded>(idle.events).reason, "idle_timeout");
  BOOST_CHECK_EQUAL(idle.closed_reason, "idle_timeout");
  auto pat = started({"patient"});
  BOOST_CHECK(use(pat, kT0 + 29 * kMin).outcome == SessionOutcome::kOk);
  auto proxy = started({"proxy"});
  BOOST_CHECK(use(proxy, kT0 + 30 * kMin).outcome == SessionOutcome::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(the_absolute_lifetime_ends_even_an_active_session) {
  auto l = started({"patient"});
  int64_t t = kT0;
  for (; t < kT0 + kSessionAbsoluteUs - 20 * kMin; t += 20 * kMin) BOOST_REQUIRE(use(l, t).outcome == SessionOutcome::kOk);
  auto d = use(l, kT0 + kSessionAbsoluteUs);
  BOOST_CHECK_EQUAL(d.reason, "absolute_timeout");
  BOOST_CHECK(use(l, kT0 + kSessionAbsoluteUs + 1).outcome == SessionOutcome::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(timer_check_ends_an_idle_session_without_a_use) {
  auto l = started({"admin"});
  BOOST_CHECK(run(l.st, CheckExpiry{}, kT0 + 10 * kMin).events.empty());
  auto d = run(l.st, CheckExpiry{}, kT0 + 15 * kMin);
  BOOST_CHECK_EQUAL(first<events::SessionEnded>(d.events).reason, "idle_timeout");
  BOOST_CHECK(l.st.ended);
}

BOOST_AUTO_TEST_CASE(a_changed_device_ends_the_session_and_says_why) {
  auto l = started({"patient"});
  auto d = use(l, kT0 + kMin, "", "dev-other");
  BOOST_CHECK(d.outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK_EQUAL(first<events::SessionEnded>(d.events).reason, "device_changed");
  BOOST_CHECK(use(l, kT0 + 2 * kMin).outcome == SessionOutcome::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(wrong_tokens_and_missing_csrf_are_refused) {
  auto l = started({"patient"});
  auto other = issue_token("ses-1");
  BOOST_CHECK(use(l, kT0 + kMin, other.token).outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(!l.st.ended);  // a wrong token does not end the real user's session
  auto no_csrf = run(l.st, Authenticate{l.token.token, "dev-a", true, ""}, kT0 + kMin);
  BOOST_CHECK(no_csrf.outcome == SessionOutcome::kCsrfFailed);
  auto ok = run(l.st, Authenticate{l.token.token, "dev-a", true, l.csrf.token}, kT0 + kMin);
  BOOST_CHECK(ok.outcome == SessionOutcome::kOk);
}

BOOST_AUTO_TEST_CASE(step_up_rotates_the_token_and_lapses_after_five_minutes) {
  auto l = started({"clinician"});
  auto t2 = issue_token("ses-1");
  auto c2 = issue_csrf_token();
  auto d = run(l.st, StepUpSession{"totp", kT0 + kMin + kStepUpValidUs, t2.hash, c2.hash}, kT0 + kMin);
  BOOST_CHECK(d.outcome == SessionOutcome::kOk);
  BOOST_CHECK(use(l, kT0 + 2 * kMin).outcome == SessionOutcome::kUnauthenticated);  // old token
  auto now_ok = use(l, kT0 + 2 * kMin, t2.token);
  BOOST_REQUIRE(now_ok.info);
  BOOST_CHECK(now_ok.info->step_up_until_us > kT0 + 2 * kMin);
  auto later = use(l, kT0 + 7 * kMin, t2.token);
  BOOST_CHECK(later.info->step_up_until_us <= kT0 + 7 * kMin);  // lapsed: not stepped up
}

BOOST_AUTO_TEST_CASE(logout_and_revoke_end_the_session_at_once) {
  auto l = started({"patient"});
  BOOST_CHECK(run(l.st, Logout{"ses-1.wrong"}, kT0).outcome == SessionOutcome::kUnauthenticated);
  auto d = run(l.st, Logout{l.token.token}, kT0 + kMin);
  BOOST_CHECK_EQUAL(first<events::SessionEnded>(d.events).reason, "logout");
  BOOST_CHECK(use(l, kT0 + kMin).outcome == SessionOutcome::kUnauthenticated);
  auto r = started({"patient"});
  auto rv = run(r.st, Revoke{"password_changed"}, kT0);
  BOOST_CHECK_EQUAL(first<events::SessionEnded>(rv.events).reason, "password_changed");
  BOOST_CHECK(run(r.st, Revoke{"again"}, kT0).events.empty());
}
