// Identity through the real actor runtime over a real SQLite store, with the simulated clock:
// directory, users, sessions, the hasher; every rule that needs more than one actor.
#define BOOST_TEST_MODULE identity_runtime
#include <boost/test/unit_test.hpp>
#include <future>
#include <thread>

#include "actors/identity/totp.hpp"
#include "actors/runtime.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::actors;
using namespace rxp::identity;
using rxp::testkit::TestLog;

namespace {

constexpr int64_t kSec = 1'000'000;
constexpr int64_t kMin = 60 * kSec;
const char* kPassword = "correct horse battery staple";

RuntimeOptions fast_options(size_t max_sessions = 5) {
  RuntimeOptions o;
  o.identity.password = minimum_password_params();
  o.identity.session_check_every = std::chrono::milliseconds(20);
  o.identity.max_sessions = max_sessions;
  return o;
}

struct Person {
  std::string user_id, username;
  Bytes totp_secret;
};

struct Fixture {
  TestLog t;
  std::unique_ptr<Runtime> rt = std::make_unique<Runtime>(*t.log, t.clock, fast_options());

  void restart(RuntimeOptions o = fast_options()) {
    rt.reset();
    rt = std::make_unique<Runtime>(*t.log, t.clock, o);
  }

  Person enrol(const std::string& username, std::vector<std::string> roles = {"clinician"}) {
    Person p{fresh_id("usr-"), username, {}};
    auto claim = rt->call(DirectoryRequest{ClaimUsername{username, p.user_id}, "c"});
    BOOST_REQUIRE_MESSAGE(claim.outcome == UserOutcome::kOk, claim.reason);
    UserRequest reg;
    reg.user_id = p.user_id;
    reg.command = Register{claim.username, roles, roles[0] == "patient" ? "pt-" + username : "", ""};
    reg.password = make_secret(kPassword);
    auto r = rt->call(reg);
    BOOST_REQUIRE_MESSAGE(r.outcome == UserOutcome::kOk && r.error.is_ok(), r.reason << r.error.to_string());
    // Enrollment grace: a password-only session, used to enrol TOTP.
    auto first = login(username, kPassword, "dev-home");
    BOOST_REQUIRE(first.session);
    auto facts = facts_of(*first.session);
    UserRequest start{p.user_id, StartTotpEnrollment{facts, "", ""}};
    auto enrol = rt->call(start);
    BOOST_REQUIRE_MESSAGE(enrol.outcome == UserOutcome::kOk, enrol.reason);
    BOOST_REQUIRE(enrol.otpauth_uri.find("otpauth://totp/") == 0);
    p.totp_secret = base32_decode(enrol.totp_secret_base32).value();
    auto ok = rt->call(UserRequest{p.user_id, ConfirmTotp{facts, enrol.factor_id, code(p)}});
    BOOST_REQUIRE_MESSAGE(ok.outcome == UserOutcome::kOk, ok.reason);
    t.clock.advance_us(31 * kSec);  // the confirming code's step is spent
    return p;
  }

  UserReply login(const std::string& username, const std::string& password, const std::string& device,
                  const std::string& source = "192.0.2.10") {
    return rt->call(DirectoryRequest{LoginAttempt{username, make_secret(password), source, device}, "c"}).login;
  }

  std::string code(const Person& p) { return totp_code(p.totp_secret, t.clock.now_us()).value(); }

  // Password then TOTP: a session.
  SessionGrant sign_in(const Person& p, const std::string& device = "dev-home") {
    auto first = login(p.username, kPassword, device);
    BOOST_REQUIRE_MESSAGE(first.outcome == UserOutcome::kOk && !first.login_id.empty(), first.reason);
    auto done = rt->call(UserRequest{p.user_id, CompleteTotp{first.login_id, code(p), {}}});
    BOOST_REQUIRE_MESSAGE(done.outcome == UserOutcome::kOk && done.session, done.reason << done.error.to_string());
    t.clock.advance_us(31 * kSec);  // a new step for the next code
    return *done.session;
  }

  SessionReply use(const SessionGrant& g, const std::string& device = "dev-home") {
    return rt->call(SessionRequest{g.session_id, Authenticate{g.token, device, false, ""}});
  }
  SessionFacts facts_of(const SessionGrant& g, const std::string& device = "dev-home") {
    auto r = use(g, device);
    BOOST_REQUIRE(r.info);
    return {g.session_id, r.info->step_up_until_us};
  }

  size_t count(const std::string& stream, const std::string& type) {
    auto evs = t.log->read_stream(stream);
    BOOST_REQUIRE(evs.is_ok());
    size_t n = 0;
    for (const auto& e : *evs) n += e.header.type == type;
    return n;
  }
  // Waits (bounded) for the timer-driven actors to write an event.
  bool eventually(const std::string& stream, const std::string& type) {
    for (int i = 0; i < 500; ++i) {
      if (count(stream, type) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(totp_login_opens_a_session_and_unknown_users_look_like_wrong_passwords, Fixture) {
  auto p = enrol("dr.house");
  auto g = sign_in(p);
  BOOST_CHECK(use(g).outcome == SessionOutcome::kOk);
  BOOST_CHECK(use(g).info->roles == std::vector<std::string>{"clinician"});

  auto wrong = login("dr.house", "not the password at all", "dev-x");
  auto unknown = login("dr.nobody", "not the password at all", "dev-x");
  BOOST_CHECK(wrong.outcome == UserOutcome::kBadCredentials);
  BOOST_CHECK(unknown.outcome == wrong.outcome);
  BOOST_CHECK_EQUAL(unknown.reason, wrong.reason);
  BOOST_CHECK(unknown.login_id.empty() && wrong.login_id.empty() && unknown.methods == wrong.methods);
  BOOST_CHECK_EQUAL(count("auth/unknown-users", "LoginFailed"), 1u);
  BOOST_CHECK_EQUAL(count("user/" + p.user_id, "LoginFailed"), 1u);
  BOOST_CHECK_EQUAL(count("user/" + p.user_id, "LoginSucceeded"), 2u);  // grace + TOTP
  BOOST_CHECK_EQUAL(count("session/" + g.session_id, "SessionStarted"), 1u);
  // Case does not matter for usernames; whitespace-free bytes do.
  BOOST_CHECK(login("DR.HOUSE", kPassword, "dev-home").outcome == UserOutcome::kOk);
}

BOOST_FIXTURE_TEST_CASE(bad_input_gets_typed_answers, Fixture) {
  auto p = enrol("nurse.joy", {"pharmacist"});
  // Non-UTF-8 and empty usernames: the same answer as any unknown user.
  BOOST_CHECK(login(std::string("bad\xff\xfe", 5), kPassword, "d").outcome == UserOutcome::kBadCredentials);
  BOOST_CHECK(login("", kPassword, "d").outcome == UserOutcome::kBadCredentials);
  BOOST_CHECK(login("nurse.joy", "", "d").outcome == UserOutcome::kBadCredentials);
  auto claim = rt->call(DirectoryRequest{ClaimUsername{std::string("x\xc3", 2), "usr-1"}, ""});
  BOOST_CHECK(claim.outcome == UserOutcome::kInvalid);
  BOOST_CHECK(claim.reason.find("username") == 0);
  BOOST_CHECK(rt->call(DirectoryRequest{ClaimUsername{"NURSE.joy", "usr-other"}, ""}).outcome == UserOutcome::kConflict);
  UserRequest weak{fresh_id("usr-"), Register{"weakling", {"patient"}, "pt-9", ""}};
  weak.password = make_secret("short");
  BOOST_CHECK_EQUAL(rt->call(weak).reason, "password: too_short");
  weak.password = make_secret(std::string(200, 'a') + "b");
  BOOST_CHECK_EQUAL(rt->call(weak).reason, "password: too_long");
  auto first = login("nurse.joy", kPassword, "dev-home");
  BOOST_CHECK_EQUAL(rt->call(UserRequest{p.user_id, CompleteTotp{first.login_id, "1234567", {}}}).reason, "wrong_length");
  BOOST_CHECK(rt->call(UserRequest{p.user_id, CompleteTotp{"lgn-unknown", code(p), {}}}).outcome == UserOutcome::kNotFound);
  BOOST_CHECK(rt->call(UserRequest{"bad id!", CompleteTotp{"x", "1", {}}}).outcome == UserOutcome::kNotFound);
  BOOST_CHECK(rt->call(SessionRequest{"ses-nope", Authenticate{"ses-nope.x", "d", false, ""}}).outcome ==
              SessionOutcome::kUnauthenticated);
}

BOOST_FIXTURE_TEST_CASE(sessions_end_by_timer_when_idle_and_the_user_learns_it, Fixture) {
  auto p = enrol("dr.idle");
  auto g = sign_in(p);
  t.clock.advance_us(16 * kMin);  // clinician: 15 minutes
  BOOST_CHECK(eventually("session/" + g.session_id, "SessionEnded"));
  BOOST_CHECK(eventually("user/" + p.user_id, "SessionClosed"));
  BOOST_CHECK(use(g).outcome == SessionOutcome::kUnauthenticated);
}

BOOST_FIXTURE_TEST_CASE(logout_and_logout_all_take_effect_on_the_next_request, Fixture) {
  auto p = enrol("pat.ient", {"patient"});
  auto a = sign_in(p), b = sign_in(p), c = sign_in(p);
  BOOST_CHECK(rt->call(SessionRequest{a.session_id, Logout{a.token}}).outcome == SessionOutcome::kOk);
  BOOST_CHECK(use(a).outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(use(b).outcome == SessionOutcome::kOk);
  auto all = rt->call(UserRequest{p.user_id, LogoutAll{facts_of(b)}});
  BOOST_CHECK(all.outcome == UserOutcome::kOk);
  BOOST_CHECK(use(b).outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(use(c).outcome == SessionOutcome::kUnauthenticated);
}

BOOST_FIXTURE_TEST_CASE(a_password_change_ends_the_other_sessions, Fixture) {
  auto p = enrol("dr.change");
  auto a = sign_in(p), b = sign_in(p, "dev-laptop");
  UserRequest change{p.user_id, ChangePassword{facts_of(a), false, ""}};
  change.password = make_secret("wrong current password");
  change.new_password = make_secret("a whole new passphrase");
  BOOST_CHECK(rt->call(change).outcome == UserOutcome::kBadCredentials);
  change.password = make_secret(kPassword);
  BOOST_CHECK(rt->call(change).outcome == UserOutcome::kOk);
  BOOST_CHECK(use(a).outcome == SessionOutcome::kOk);
  BOOST_CHECK(use(b, "dev-laptop").outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(login(p.username, kPassword, "dev-home").outcome == UserOutcome::kBadCredentials);
  BOOST_CHECK(login(p.username, "a whole new passphrase", "dev-home").outcome == UserOutcome::kOk);
}

BOOST_FIXTURE_TEST_CASE(step_up_rotates_the_token_and_unlocks_factor_changes, Fixture) {
  auto p = enrol("dr.step");
  auto g = sign_in(p);
  auto codes = rt->call(UserRequest{p.user_id, IssueRecoveryCodes{facts_of(g), "", {}}});
  BOOST_CHECK(codes.outcome == UserOutcome::kStepUpRequired);
  auto up = rt->call(UserRequest{p.user_id, StepUp{facts_of(g), "totp", code(p), {}, "", ""}});
  BOOST_REQUIRE_MESSAGE(up.outcome == UserOutcome::kOk && up.session, up.reason << up.error.to_string());
  BOOST_CHECK(use(g).outcome == SessionOutcome::kUnauthenticated);  // the old token is dead
  auto g2 = *up.session;
  BOOST_CHECK_EQUAL(g2.session_id, g.session_id);
  auto facts = facts_of(g2);
  BOOST_CHECK(facts.step_up_until_us > t.clock.now_us());
  codes = rt->call(UserRequest{p.user_id, IssueRecoveryCodes{facts, "", {}}});
  BOOST_REQUIRE(codes.outcome == UserOutcome::kOk);
  BOOST_CHECK_EQUAL(codes.recovery_codes.size(), 10u);
  t.clock.advance_us(6 * kMin);  // the step-up lapses
  BOOST_CHECK(rt->call(UserRequest{p.user_id, IssueRecoveryCodes{facts_of(g2), "", {}}}).outcome ==
              UserOutcome::kStepUpRequired);

  // A recovery code logs in once and ends every other session.
  auto other = sign_in(p, "dev-laptop");
  auto first = login(p.username, kPassword, "dev-new");
  auto rec = rt->call(UserRequest{p.user_id, CompleteRecovery{first.login_id, codes.recovery_codes[0], {}}});
  BOOST_REQUIRE_MESSAGE(rec.outcome == UserOutcome::kOk && rec.session, rec.reason);
  BOOST_CHECK(use(g2).outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(use(other, "dev-laptop").outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(use(*rec.session, "dev-new").outcome == SessionOutcome::kOk);
  auto again = login(p.username, kPassword, "dev-new");
  BOOST_CHECK_EQUAL(rt->call(UserRequest{p.user_id, CompleteRecovery{again.login_id, codes.recovery_codes[0], {}}}).reason,
                    "already_used");
}

BOOST_FIXTURE_TEST_CASE(number_matching_and_mfa_bombing, Fixture) {
  auto p = enrol("pat.phone", {"patient"});
  auto phone = sign_in(p, "dev-phone");
  auto pending = login(p.username, kPassword, "dev-new");
  auto prompt = rt->call(UserRequest{p.user_id, RequestApproval{pending.login_id, "", ""}});
  BOOST_REQUIRE(prompt.outcome == UserOutcome::kOk);
  BOOST_CHECK_EQUAL(prompt.number.size(), 2u);
  std::string wrong = prompt.number == "10" ? "11" : "10";
  auto denied = rt->call(UserRequest{p.user_id, AnswerPrompt{facts_of(phone, "dev-phone"), prompt.prompt_id, wrong, true}});
  BOOST_CHECK(denied.outcome == UserOutcome::kMfaFailed);
  BOOST_CHECK_EQUAL(count("user/" + p.user_id, "MfaPromptDenied"), 1u);
  rt->call(UserRequest{p.user_id, RequestApproval{pending.login_id, "", ""}});
  auto third = rt->call(UserRequest{p.user_id, RequestApproval{pending.login_id, "", ""}});
  BOOST_CHECK_EQUAL(count("user/" + p.user_id, "MfaBombingSuspected"), 1u);
  BOOST_CHECK(rt->call(UserRequest{p.user_id, PollApproval{pending.login_id, {}}}).outcome == UserOutcome::kPending);
  auto ok = rt->call(UserRequest{p.user_id, AnswerPrompt{facts_of(phone, "dev-phone"), third.prompt_id, third.number, true}});
  BOOST_CHECK(ok.outcome == UserOutcome::kOk);
  auto in = rt->call(UserRequest{p.user_id, PollApproval{pending.login_id, {}}});
  BOOST_REQUIRE(in.session);
  BOOST_CHECK(use(*in.session, "dev-new").outcome == SessionOutcome::kOk);
}

BOOST_FIXTURE_TEST_CASE(the_session_cap_and_device_binding, Fixture) {
  restart(fast_options(2));
  auto p = enrol("dr.cap");  // its grace session is the first of the cap
  auto a = sign_in(p), b = sign_in(p);
  BOOST_CHECK(use(a).outcome == SessionOutcome::kOk);
  auto c = sign_in(p);  // evicts a
  BOOST_CHECK(use(a).outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(use(b).outcome == SessionOutcome::kOk);
  // A token used from another device ends the session, and says why.
  BOOST_CHECK(use(c, "dev-thief").outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(use(c).outcome == SessionOutcome::kUnauthenticated);
  auto evs = t.log->read_stream("session/" + c.session_id);
  BOOST_REQUIRE(evs.is_ok());
  BOOST_CHECK_EQUAL(std::get<events::SessionEnded>(*evs->back().payload).reason, "device_changed");
}

BOOST_FIXTURE_TEST_CASE(state_survives_a_restart_and_codes_stay_spent, Fixture) {
  auto p = enrol("dr.restart");
  auto g = sign_in(p);
  auto first = login(p.username, kPassword, "dev-home");
  auto c = code(p);
  BOOST_REQUIRE(rt->call(UserRequest{p.user_id, CompleteTotp{first.login_id, c, {}}}).outcome == UserOutcome::kOk);
  restart();
  BOOST_CHECK(use(g).outcome == SessionOutcome::kOk);  // sessions recover from their stream
  auto again = login(p.username, kPassword, "dev-home");
  BOOST_REQUIRE(again.outcome == UserOutcome::kOk);
  BOOST_CHECK_EQUAL(rt->call(UserRequest{p.user_id, CompleteTotp{again.login_id, c, {}}}).reason, "replayed");
}

BOOST_FIXTURE_TEST_CASE(throttling_slows_guessing_without_locking_out_the_owner, Fixture) {
  auto p = enrol("dr.guessed");
  for (int i = 0; i < 5; ++i) BOOST_CHECK(login(p.username, "guess number " + std::to_string(i), "dev-evil", "198.51.100.9").outcome == UserOutcome::kBadCredentials);
  auto blocked = login(p.username, kPassword, "dev-evil", "198.51.100.9");
  BOOST_CHECK(blocked.outcome == UserOutcome::kThrottled);
  BOOST_CHECK(blocked.retry_after_us > 0);
  // The owner, on the device that logged in before, from another address: not delayed.
  BOOST_CHECK(login(p.username, kPassword, "dev-home", "192.0.2.10").outcome == UserOutcome::kOk);
  t.clock.advance_us(blocked.retry_after_us);
  BOOST_CHECK(login(p.username, kPassword, "dev-evil", "198.51.100.9").outcome == UserOutcome::kOk);
}

BOOST_FIXTURE_TEST_CASE(the_asynchronous_forms_answer_once_each, Fixture) {
  auto p = enrol("dr.async");
  std::promise<DirectoryReply> login_p;
  rt->send(DirectoryRequest{LoginAttempt{p.username, make_secret(kPassword), "192.0.2.10", "dev-home"}, "c"},
           [&](DirectoryReply r) { login_p.set_value(std::move(r)); });
  auto first = login_p.get_future().get().login;
  BOOST_REQUIRE(first.outcome == UserOutcome::kOk);
  std::promise<UserReply> done_p;
  rt->send(UserRequest{p.user_id, CompleteTotp{first.login_id, code(p), {}}},
           [&](UserReply r) { done_p.set_value(std::move(r)); });
  auto done = done_p.get_future().get();
  BOOST_REQUIRE(done.session);
  std::promise<SessionReply> use_p;
  rt->send(SessionRequest{done.session->session_id, Authenticate{done.session->token, "dev-home", false, ""}},
           [&](SessionReply r) { use_p.set_value(std::move(r)); });
  BOOST_CHECK(use_p.get_future().get().outcome == SessionOutcome::kOk);
}
