// WebAuthn end to end through the real actor runtime (directory, users, sessions) over a real
// SQLite store with the simulated clock, with REAL credentials from the software
// authenticator (tests/testkit/soft_authenticator.hpp): registration during the enrollment
// grace, login, step-up, and every refusal, each checked by its typed outcome and reason and
// by the events written to the user stream.
#define BOOST_TEST_MODULE webauthn_runtime
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actors/runtime.hpp"
#include "tests/testkit/soft_authenticator.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::actors;
using namespace rxp::identity;
using rxp::testkit::SoftAuthenticator;
using rxp::testkit::TestLog;

namespace {

constexpr int64_t kSec = 1'000'000;
constexpr int64_t kMin = 60 * kSec;
const char* kPassword = "correct horse battery staple";
const char* kDevice = "dev-home";
const std::array<CoseAlg, 2> kAlgs = {CoseAlg::kES256, CoseAlg::kEdDSA};

RuntimeOptions fast_options() {
  RuntimeOptions o;
  o.identity.password = minimum_password_params();
  o.identity.session_check_every = std::chrono::milliseconds(20);
  return o;
}

// Lower case: usernames and patient ids are built from it.
std::string tag(CoseAlg alg) { return alg == CoseAlg::kES256 ? "es256" : "eddsa"; }

BytesView bv(const std::string& s) { return as_bytes(std::string_view(s)); }

WebAuthnAssertion wire(const SoftAuthenticator::Assertion& a) {
  return {a.credential_id, a.client_data_json, a.authenticator_data, a.signature};
}

// Outcome and reason of a reply (reason is empty on kOk), with both in the failure message.
#define CHECK_REPLY(reply, want_outcome, want_reason)                                           \
  do {                                                                                          \
    const auto& r_ = (reply);                                                                   \
    BOOST_CHECK_MESSAGE(r_.outcome == (want_outcome) && r_.reason == (want_reason) &&           \
                            r_.error.is_ok(),                                                   \
                        "got " << user_outcome_name(r_.outcome) << "/" << r_.reason << " "      \
                               << r_.error.to_string() << ", want "                             \
                               << user_outcome_name(want_outcome) << "/" << (want_reason));    \
  } while (0)

#define REQUIRE_OK(reply)                                                                        \
  do {                                                                                           \
    const auto& r_ = (reply);                                                                    \
    BOOST_REQUIRE_MESSAGE(r_.outcome == UserOutcome::kOk && r_.error.is_ok(),                    \
                          user_outcome_name(r_.outcome) << "/" << r_.reason << " "               \
                                                        << r_.error.to_string());                \
  } while (0)

struct Person {
  std::string user_id, username;
  SessionGrant grace;  // the password-only session of the enrollment grace
};

struct Fixture {
  TestLog t;
  RuntimeOptions options = fast_options();
  std::unique_ptr<Runtime> rt = std::make_unique<Runtime>(*t.log, t.clock, options);
  // The relying party the portal is configured for.
  const std::string origin = options.identity.origin;
  const std::string rp_id = options.identity.rp_id;

  // Claim, register, and log in with the password alone (no factor yet: the grace).
  Person enrol(const std::string& username) {
    Person p{fresh_id("usr-"), username, {}};
    auto claim = rt->call(DirectoryRequest{ClaimUsername{username, p.user_id}, "c"});
    BOOST_REQUIRE_MESSAGE(claim.outcome == UserOutcome::kOk, claim.reason);
    UserRequest reg{p.user_id, Register{claim.username, {"patient"}, "pt-" + username, ""}};
    reg.password = make_secret(kPassword);
    REQUIRE_OK(rt->call(reg));
    auto first = login(p);
    REQUIRE_OK(first);
    BOOST_REQUIRE(first.session);
    p.grace = *first.session;
    return p;
  }

  UserReply login(const Person& p, const std::string& device = kDevice) {
    return rt->call(DirectoryRequest{LoginAttempt{p.username, make_secret(kPassword), "192.0.2.10", device}, "c"})
        .login;
  }
  UserReply call(const Person& p, UserCommand command) { return rt->call(UserRequest{p.user_id, std::move(command)}); }

  SessionReply use(const SessionGrant& g) {
    return rt->call(SessionRequest{g.session_id, Authenticate{g.token, kDevice, false, ""}});
  }
  SessionFacts facts_of(const SessionGrant& g) {
    auto r = use(g);
    BOOST_REQUIRE_MESSAGE(r.outcome == SessionOutcome::kOk && r.info, r.reason);
    return {g.session_id, r.info->step_up_until_us};
  }

  UserReply challenge(const Person& p, const std::string& purpose, const std::string& login_id,
                      std::optional<SessionFacts> session) {
    return call(p, IssueWebAuthnChallenge{purpose, login_id, "", std::move(session)});
  }
  UserReply register_with(const Person& p, const SessionGrant& g, const SoftAuthenticator::Registration& reg) {
    return call(p, RegisterWebAuthn{facts_of(g), "", reg.client_data_json, reg.attestation_object, origin, rp_id});
  }
  // A register challenge on session g, then the authenticator's registration: the factor id.
  std::string register_key(const Person& p, const SessionGrant& g, const SoftAuthenticator& a) {
    auto ch = challenge(p, "register", "", facts_of(g));
    REQUIRE_OK(ch);
    auto r = register_with(p, g, a.make_registration(bv(ch.challenge), origin, rp_id));
    REQUIRE_OK(r);
    BOOST_REQUIRE(!r.factor_id.empty());
    return r.factor_id;
  }

  // Password accepted, WebAuthn offered: the pending login and a login challenge for it.
  struct Pending {
    std::string login_id, challenge;
  };
  Pending begin_webauthn(const Person& p) {
    auto first = login(p);
    REQUIRE_OK(first);
    BOOST_REQUIRE(!first.login_id.empty() && !first.session);
    BOOST_REQUIRE(std::count(first.methods.begin(), first.methods.end(), "webauthn") == 1);
    auto ch = challenge(p, "login", first.login_id, std::nullopt);
    REQUIRE_OK(ch);
    return {first.login_id, ch.challenge};
  }
  UserReply complete(const Person& p, const std::string& login_id, const SoftAuthenticator::Assertion& a) {
    return call(p, CompleteWebAuthn{login_id, wire(a), origin, rp_id, {}});
  }
  SessionGrant sign_in(const Person& p, SoftAuthenticator& a) {
    auto pending = begin_webauthn(p);
    auto done = complete(p, pending.login_id, a.make_assertion(bv(pending.challenge), origin, rp_id));
    REQUIRE_OK(done);
    BOOST_REQUIRE(done.session);
    return *done.session;
  }
  UserReply step_up(const Person& p, const SessionGrant& g, const SoftAuthenticator::Assertion& a) {
    return call(p, StepUp{facts_of(g), "webauthn", "", wire(a), origin, rp_id});
  }
  // A step_up challenge and an assertion over it: the rotated grant.
  SessionGrant stepped_up(const Person& p, const SessionGrant& g, SoftAuthenticator& a) {
    auto ch = challenge(p, "step_up", "", facts_of(g));
    REQUIRE_OK(ch);
    auto up = step_up(p, g, a.make_assertion(bv(ch.challenge), origin, rp_id));
    REQUIRE_OK(up);
    BOOST_REQUIRE(up.session);
    return *up.session;
  }

  // ---- the user stream ----
  std::vector<events::RecordedEvent> stream(const Person& p) {
    auto evs = t.log->read_stream("user/" + p.user_id);
    BOOST_REQUIRE(evs.is_ok());
    return std::move(*evs);
  }
  size_t mark(const Person& p) { return stream(p).size(); }
  // The types of the events written since `from`, comma-separated.
  std::string written_since(const Person& p, size_t from) {
    auto evs = stream(p);
    std::string out;
    for (size_t i = from; i < evs.size(); ++i) out += (out.empty() ? "" : ",") + evs[i].header.type;
    return out;
  }
  size_t count(const Person& p, const std::string& type) {
    size_t n = 0;
    for (const auto& e : stream(p)) n += e.header.type == type;
    return n;
  }
  template <class E>
  E last(const Person& p) {
    auto evs = stream(p);
    for (auto it = evs.rbegin(); it != evs.rend(); ++it)
      if (it->payload)
        if (const auto* e = std::get_if<E>(&*it->payload)) return *e;
    BOOST_FAIL("no " << E::kType << " in the user stream");
    return {};
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(register_then_log_in_with_es256_and_eddsa, Fixture) {
  for (CoseAlg alg : kAlgs) {
    BOOST_TEST_CONTEXT(cose_alg_name(alg)) {
      auto p = enrol("pat." + tag(alg));
      SoftAuthenticator key(alg);

      // Registration, during the grace: no step-up needed yet.
      size_t m = mark(p);
      auto ch = challenge(p, "register", "", facts_of(p.grace));
      CHECK_REPLY(ch, UserOutcome::kOk, "");
      BOOST_CHECK_EQUAL(ch.challenge.size(), kChallengeBytes);
      BOOST_CHECK(ch.credential_ids.empty());
      BOOST_CHECK_EQUAL(written_since(p, m), "WebAuthnChallengeIssued");
      BOOST_CHECK(last<events::WebAuthnChallengeIssued>(p) ==
                  (events::WebAuthnChallengeIssued{ch.challenge, "register", ""}));
      m = mark(p);
      auto reg = register_with(p, p.grace, key.make_registration(bv(ch.challenge), origin, rp_id));
      CHECK_REPLY(reg, UserOutcome::kOk, "");
      BOOST_CHECK(reg.factor_id.rfind("fac-", 0) == 0);
      BOOST_CHECK_EQUAL(written_since(p, m), "WebAuthnCredentialRegistered");
      BOOST_CHECK(last<events::WebAuthnCredentialRegistered>(p) ==
                  (events::WebAuthnCredentialRegistered{reg.factor_id, key.credential_id(), key.cose_key(),
                                                        static_cast<int32_t>(alg), 0}));

      // Login: password, then the assertion.
      m = mark(p);
      auto first = login(p);
      CHECK_REPLY(first, UserOutcome::kOk, "");
      BOOST_CHECK(!first.session);
      BOOST_CHECK(std::count(first.methods.begin(), first.methods.end(), "webauthn") == 1);
      BOOST_CHECK(std::count(first.methods.begin(), first.methods.end(), "totp") == 0);
      auto lch = challenge(p, "login", first.login_id, std::nullopt);
      CHECK_REPLY(lch, UserOutcome::kOk, "");
      BOOST_CHECK_EQUAL(lch.challenge.size(), kChallengeBytes);
      BOOST_CHECK(lch.challenge != ch.challenge);
      BOOST_CHECK(lch.credential_ids == std::vector<std::string>{key.credential_id()});
      BOOST_CHECK(last<events::WebAuthnChallengeIssued>(p) ==
                  (events::WebAuthnChallengeIssued{lch.challenge, "login", first.login_id}));
      auto done = complete(p, first.login_id, key.make_assertion(bv(lch.challenge), origin, rp_id));
      CHECK_REPLY(done, UserOutcome::kOk, "");
      BOOST_REQUIRE(done.session);
      BOOST_CHECK_EQUAL(written_since(p, m),
                        "LoginPasswordAccepted,WebAuthnChallengeIssued,WebAuthnAssertionAccepted,LoginSucceeded");
      BOOST_CHECK(last<events::WebAuthnAssertionAccepted>(p) == (events::WebAuthnAssertionAccepted{reg.factor_id, 1}));
      auto ok = last<events::LoginSucceeded>(p);
      BOOST_CHECK_EQUAL(ok.method, "webauthn");
      BOOST_CHECK_EQUAL(ok.session_id, done.session->session_id);
      BOOST_CHECK(use(*done.session).outcome == SessionOutcome::kOk);
      auto started = t.log->read_stream("session/" + done.session->session_id);
      BOOST_REQUIRE(started.is_ok() && !started->empty());
      BOOST_CHECK_EQUAL(std::get<events::SessionStarted>(*started->front().payload).method, "webauthn");

      // The counter moves on: the next login stores 2.
      auto again = sign_in(p, key);
      BOOST_CHECK(use(again).outcome == SessionOutcome::kOk);
      BOOST_CHECK(last<events::WebAuthnAssertionAccepted>(p) == (events::WebAuthnAssertionAccepted{reg.factor_id, 2}));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_challenge_is_single_use, Fixture) {
  auto p = enrol("pat.replay");
  SoftAuthenticator key(CoseAlg::kES256);
  register_key(p, p.grace, key);

  // The same login completed twice: the login is spent, nothing is written.
  auto l1 = begin_webauthn(p);
  auto a1 = key.make_assertion(bv(l1.challenge), origin, rp_id);
  CHECK_REPLY(complete(p, l1.login_id, a1), UserOutcome::kOk, "");
  size_t m = mark(p);
  auto replay = complete(p, l1.login_id, a1);
  CHECK_REPLY(replay, UserOutcome::kNotFound, "login");
  BOOST_CHECK(!replay.session);
  BOOST_CHECK_EQUAL(written_since(p, m), "");

  // The spent challenge, freshly signed (higher counter), for another login: refused, and
  // the failure spends that login's own challenge too.
  auto l2 = begin_webauthn(p);
  m = mark(p);
  auto old = complete(p, l2.login_id, key.make_assertion(bv(l1.challenge), origin, rp_id));
  CHECK_REPLY(old, UserOutcome::kMfaFailed, "challenge_mismatch");
  BOOST_CHECK(!old.session);
  BOOST_CHECK_EQUAL(written_since(p, m), "MfaFailed");
  BOOST_CHECK(last<events::MfaFailed>(p) == (events::MfaFailed{l2.login_id, "webauthn", "challenge_mismatch"}));
  CHECK_REPLY(complete(p, l2.login_id, key.make_assertion(bv(l2.challenge), origin, rp_id)), UserOutcome::kMfaFailed,
              "challenge_expired");
  // A new challenge for the same login works.
  auto fresh = challenge(p, "login", l2.login_id, std::nullopt);
  REQUIRE_OK(fresh);
  auto in = complete(p, l2.login_id, key.make_assertion(bv(fresh.challenge), origin, rp_id));
  CHECK_REPLY(in, UserOutcome::kOk, "");
  BOOST_REQUIRE(in.session);

  // Step-up: the second assertion over one challenge is refused although it is valid.
  auto g = *in.session;
  auto ch = challenge(p, "step_up", "", facts_of(g));
  REQUIRE_OK(ch);
  auto up = step_up(p, g, key.make_assertion(bv(ch.challenge), origin, rp_id));
  CHECK_REPLY(up, UserOutcome::kOk, "");
  BOOST_REQUIRE(up.session);
  m = mark(p);
  auto twice = step_up(p, *up.session, key.make_assertion(bv(ch.challenge), origin, rp_id));
  CHECK_REPLY(twice, UserOutcome::kMfaFailed, "challenge_expired");
  BOOST_CHECK(!twice.session);
  BOOST_CHECK_EQUAL(written_since(p, m), "MfaFailed");
  BOOST_CHECK(last<events::MfaFailed>(p) == (events::MfaFailed{"", "webauthn", "challenge_expired"}));
  BOOST_CHECK_EQUAL(count(p, "WebAuthnAssertionAccepted"), 3u);  // two logins, one step-up
}

BOOST_FIXTURE_TEST_CASE(an_expired_challenge_is_refused, Fixture) {
  auto p = enrol("pat.late");
  SoftAuthenticator key(CoseAlg::kEdDSA);

  // Registration: the challenge dies after 5 minutes.
  auto rch = challenge(p, "register", "", facts_of(p.grace));
  REQUIRE_OK(rch);
  t.clock.advance_us(5 * kMin + kSec);
  size_t m = mark(p);
  auto reg = register_with(p, p.grace, key.make_registration(bv(rch.challenge), origin, rp_id));
  CHECK_REPLY(reg, UserOutcome::kInvalid, "challenge_expired");
  BOOST_CHECK_EQUAL(written_since(p, m), "");
  BOOST_CHECK_EQUAL(count(p, "WebAuthnCredentialRegistered"), 0u);
  register_key(p, p.grace, key);

  // Login: the pending login lives exactly as long as its challenge, so it is the login that
  // is found gone.
  auto l = begin_webauthn(p);
  t.clock.advance_us(5 * kMin + kSec);
  m = mark(p);
  auto late = complete(p, l.login_id, key.make_assertion(bv(l.challenge), origin, rp_id));
  CHECK_REPLY(late, UserOutcome::kNotFound, "login");
  BOOST_CHECK(!late.session);
  BOOST_CHECK_EQUAL(written_since(p, m), "");

  // Step-up: one second before the end it works; one second after, refused as expired.
  auto g = sign_in(p, key);
  auto ch = challenge(p, "step_up", "", facts_of(g));
  REQUIRE_OK(ch);
  t.clock.advance_us(5 * kMin - kSec);
  auto in_time = step_up(p, g, key.make_assertion(bv(ch.challenge), origin, rp_id));
  CHECK_REPLY(in_time, UserOutcome::kOk, "");
  BOOST_REQUIRE(in_time.session);
  g = *in_time.session;
  ch = challenge(p, "step_up", "", facts_of(g));
  REQUIRE_OK(ch);
  t.clock.advance_us(5 * kMin + kSec);
  m = mark(p);
  auto expired = step_up(p, g, key.make_assertion(bv(ch.challenge), origin, rp_id));
  CHECK_REPLY(expired, UserOutcome::kMfaFailed, "challenge_expired");
  BOOST_CHECK(!expired.session);
  BOOST_CHECK_EQUAL(written_since(p, m), "MfaFailed");
  BOOST_CHECK(last<events::MfaFailed>(p) == (events::MfaFailed{"", "webauthn", "challenge_expired"}));
  BOOST_CHECK(use(g).outcome == SessionOutcome::kOk);  // refused, not stepped up, not rotated
  BOOST_CHECK(facts_of(g).step_up_until_us < t.clock.now_us());
}

BOOST_FIXTURE_TEST_CASE(wrong_origin_rp_id_tampered_client_data_and_bad_signature_are_refused, Fixture) {
  for (CoseAlg alg : kAlgs) {
    BOOST_TEST_CONTEXT(cose_alg_name(alg)) {
      auto p = enrol("pat.bad." + tag(alg));
      SoftAuthenticator key(alg);

      // Registration for another origin or relying party: refused and recorded, nothing
      // stored, and the challenge is spent.
      auto ch = challenge(p, "register", "", facts_of(p.grace));
      REQUIRE_OK(ch);
      size_t m = mark(p);
      CHECK_REPLY(register_with(p, p.grace, key.make_registration(bv(ch.challenge), "https://evil.example", rp_id)),
                  UserOutcome::kInvalid, "origin_mismatch");
      CHECK_REPLY(register_with(p, p.grace, key.make_registration(bv(ch.challenge), origin, rp_id)),
                  UserOutcome::kInvalid, "challenge_expired");
      ch = challenge(p, "register", "", facts_of(p.grace));
      REQUIRE_OK(ch);
      CHECK_REPLY(register_with(p, p.grace, key.make_registration(bv(ch.challenge), origin, "evil.example")),
                  UserOutcome::kInvalid, "rp_id_mismatch");
      BOOST_CHECK_EQUAL(written_since(p, m), "MfaFailed,WebAuthnChallengeIssued,MfaFailed");
      std::string factor = register_key(p, p.grace, key);

      struct Bad {
        const char* what;
        const char* reason;
        std::function<SoftAuthenticator::Assertion(const std::string& challenge)> make;
      };
      const std::vector<Bad> cases = {
          {"wrong origin", "origin_mismatch",
           [&](const std::string& c) { return key.make_assertion(bv(c), "https://127.0.0.1:8444", rp_id); }},
          {"wrong rp id", "rp_id_mismatch",
           [&](const std::string& c) { return key.make_assertion(bv(c), origin, "localhost"); }},
          {"tampered clientData", "bad_signature",
           [&](const std::string& c) {
             auto a = key.make_assertion(bv(c), origin, rp_id);  // still valid JSON, all checks pass
             a.client_data_json.insert(a.client_data_json.size() - 1, R"(,"other":"x")");
             return a;
           }},
          {"bad signature", "bad_signature",
           [&](const std::string& c) {
             auto a = key.make_assertion(bv(c), origin, rp_id);
             a.signature.back() ^= 0x01;  // still a well-formed signature (strict DER / 64 bytes)
             return a;
           }},
      };
      for (const auto& bad : cases) {
        BOOST_TEST_CONTEXT(bad.what) {
          auto l = begin_webauthn(p);
          m = mark(p);
          auto r = complete(p, l.login_id, bad.make(l.challenge));
          CHECK_REPLY(r, UserOutcome::kMfaFailed, bad.reason);
          BOOST_CHECK(!r.session);
          BOOST_CHECK_EQUAL(written_since(p, m), "MfaFailed");
          BOOST_CHECK(last<events::MfaFailed>(p) == (events::MfaFailed{l.login_id, "webauthn", bad.reason}));
        }
      }
      BOOST_CHECK_EQUAL(count(p, "WebAuthnAssertionAccepted"), 0u);
      BOOST_CHECK_EQUAL(count(p, "LoginSucceeded"), 1u);  // the grace login only
      // The stored counter did not move: the real authenticator still signs in.
      auto g = sign_in(p, key);
      BOOST_CHECK(use(g).outcome == SessionOutcome::kOk);
      BOOST_CHECK(last<events::WebAuthnAssertionAccepted>(p) ==
                  (events::WebAuthnAssertionAccepted{factor, key.sign_count()}));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_sign_count_that_goes_backwards_is_refused_as_clone_suspected, Fixture) {
  for (CoseAlg alg : kAlgs) {
    BOOST_TEST_CONTEXT(cose_alg_name(alg)) {
      auto p = enrol("pat.clone." + tag(alg));
      SoftAuthenticator key(alg);
      std::string factor = register_key(p, p.grace, key);
      auto l = begin_webauthn(p);
      CHECK_REPLY(complete(p, l.login_id, key.make_assertion(bv(l.challenge), origin, rp_id, SoftAuthenticator::UP, 10)),
                  UserOutcome::kOk, "");

      for (uint32_t presented : {9u, 10u}) {  // lower, then equal: both say "a copy signed"
        BOOST_TEST_CONTEXT("count " << presented) {
          auto c = begin_webauthn(p);
          size_t m = mark(p);
          auto r = complete(p, c.login_id,
                            key.make_assertion(bv(c.challenge), origin, rp_id, SoftAuthenticator::UP, presented));
          CHECK_REPLY(r, UserOutcome::kMfaFailed, "clone_suspected");
          BOOST_CHECK(!r.session);
          BOOST_CHECK_EQUAL(written_since(p, m), "AuthenticatorCloneSuspected,MfaFailed");
          BOOST_CHECK(last<events::AuthenticatorCloneSuspected>(p) ==
                      (events::AuthenticatorCloneSuspected{factor, 10, presented}));
          BOOST_CHECK(last<events::MfaFailed>(p) == (events::MfaFailed{c.login_id, "webauthn", "clone_suspected"}));
        }
      }
      BOOST_CHECK_EQUAL(count(p, "AuthenticatorCloneSuspected"), 2u);
      BOOST_CHECK_EQUAL(count(p, "LoginSucceeded"), 2u);  // grace + the count-10 login
    }
  }
}

BOOST_FIXTURE_TEST_CASE(step_up_with_webauthn_rotates_the_token_and_sets_step_up_until, Fixture) {
  auto p = enrol("pat.stepup");
  SoftAuthenticator key(CoseAlg::kEdDSA);
  std::string factor = register_key(p, p.grace, key);
  auto g = sign_in(p, key);
  BOOST_CHECK_EQUAL(facts_of(g).step_up_until_us, 0);

  // A step-up challenge needs a live session of this user.
  CHECK_REPLY(challenge(p, "step_up", "", std::nullopt), UserOutcome::kNotFound, "session");
  CHECK_REPLY(challenge(p, "step_up", "", SessionFacts{"ses-unknown", 0}), UserOutcome::kNotFound, "session");

  size_t m = mark(p);
  auto ch = challenge(p, "step_up", "", facts_of(g));
  CHECK_REPLY(ch, UserOutcome::kOk, "");
  BOOST_CHECK(ch.credential_ids == std::vector<std::string>{key.credential_id()});
  BOOST_CHECK(last<events::WebAuthnChallengeIssued>(p) == (events::WebAuthnChallengeIssued{ch.challenge, "step_up", ""}));
  int64_t now = t.clock.now_us();
  auto up = step_up(p, g, key.make_assertion(bv(ch.challenge), origin, rp_id));
  CHECK_REPLY(up, UserOutcome::kOk, "");
  BOOST_REQUIRE(up.session);
  BOOST_CHECK_EQUAL(written_since(p, m), "WebAuthnChallengeIssued,WebAuthnAssertionAccepted");
  BOOST_CHECK(last<events::WebAuthnAssertionAccepted>(p) == (events::WebAuthnAssertionAccepted{factor, key.sign_count()}));

  const SessionGrant& g2 = *up.session;
  BOOST_CHECK_EQUAL(g2.session_id, g.session_id);
  BOOST_CHECK(g2.token != g.token);
  BOOST_CHECK(g2.csrf_token != g.csrf_token);
  BOOST_CHECK_EQUAL(g2.step_up_until_us, now + kStepUpValidUs);
  BOOST_CHECK(use(g).outcome == SessionOutcome::kUnauthenticated);  // the old token is dead
  auto info = use(g2);
  BOOST_REQUIRE(info.outcome == SessionOutcome::kOk && info.info);
  BOOST_CHECK_EQUAL(info.info->step_up_until_us, now + kStepUpValidUs);
  auto ses = t.log->read_stream("session/" + g.session_id);
  BOOST_REQUIRE(ses.is_ok() && ses->size() >= 3);
  const auto& evs = *ses;
  BOOST_CHECK_EQUAL(evs[evs.size() - 2].header.type, "SessionSteppedUp");
  BOOST_CHECK_EQUAL(std::get<events::SessionSteppedUp>(*evs[evs.size() - 2].payload).until_us, now + kStepUpValidUs);
  BOOST_CHECK_EQUAL(evs.back().header.type, "SessionRotated");
  BOOST_CHECK_EQUAL(std::get<events::SessionRotated>(*evs.back().payload).reason, "step_up");
}

BOOST_FIXTURE_TEST_CASE(a_second_authenticator_needs_a_fresh_step_up, Fixture) {
  auto p = enrol("pat.second");
  SoftAuthenticator first(CoseAlg::kES256), second(CoseAlg::kEdDSA);
  register_key(p, p.grace, first);

  // A factor exists now: neither a register challenge nor a registration without a step-up.
  size_t m = mark(p);
  CHECK_REPLY(challenge(p, "register", "", facts_of(p.grace)), UserOutcome::kStepUpRequired, "step_up_required");
  auto stale = second.make_registration(bv(std::string(kChallengeBytes, 'c')), origin, rp_id);
  CHECK_REPLY(register_with(p, p.grace, stale), UserOutcome::kStepUpRequired, "step_up_required");
  BOOST_CHECK_EQUAL(written_since(p, m), "");

  // A step-up older than 5 minutes does not count.
  auto g = stepped_up(p, p.grace, first);
  auto ch = challenge(p, "register", "", facts_of(g));
  CHECK_REPLY(ch, UserOutcome::kOk, "");
  BOOST_CHECK(ch.credential_ids == std::vector<std::string>{first.credential_id()});  // excludeCredentials
  t.clock.advance_us(kStepUpValidUs + kSec);
  m = mark(p);
  CHECK_REPLY(register_with(p, g, second.make_registration(bv(ch.challenge), origin, rp_id)),
              UserOutcome::kStepUpRequired, "step_up_required");
  CHECK_REPLY(challenge(p, "register", "", facts_of(g)), UserOutcome::kStepUpRequired, "step_up_required");
  BOOST_CHECK_EQUAL(written_since(p, m), "");

  // Freshly stepped up: the second authenticator is registered, and either one signs in.
  g = stepped_up(p, g, first);
  ch = challenge(p, "register", "", facts_of(g));
  REQUIRE_OK(ch);
  m = mark(p);
  auto reg = register_with(p, g, second.make_registration(bv(ch.challenge), origin, rp_id));
  CHECK_REPLY(reg, UserOutcome::kOk, "");
  BOOST_CHECK_EQUAL(written_since(p, m), "WebAuthnCredentialRegistered");
  BOOST_CHECK_EQUAL(last<events::WebAuthnCredentialRegistered>(p).credential_id, second.credential_id());
  auto l = begin_webauthn(p);
  auto lch = challenge(p, "login", l.login_id, std::nullopt);
  BOOST_CHECK((lch.credential_ids == std::vector<std::string>{first.credential_id(), second.credential_id()}));
  auto in = complete(p, l.login_id, second.make_assertion(bv(lch.challenge), origin, rp_id));
  CHECK_REPLY(in, UserOutcome::kOk, "");
  BOOST_CHECK(in.session && use(*in.session).outcome == SessionOutcome::kOk);
  BOOST_CHECK(use(sign_in(p, first)).outcome == SessionOutcome::kOk);
}

BOOST_FIXTURE_TEST_CASE(re_registering_the_same_credential_is_a_conflict, Fixture) {
  auto p = enrol("pat.twice");
  SoftAuthenticator key(CoseAlg::kES256);
  register_key(p, p.grace, key);
  auto g = stepped_up(p, p.grace, key);
  auto ch = challenge(p, "register", "", facts_of(g));
  REQUIRE_OK(ch);
  size_t m = mark(p);
  auto again = register_with(p, g, key.make_registration(bv(ch.challenge), origin, rp_id));
  CHECK_REPLY(again, UserOutcome::kConflict, "credential_registered");
  BOOST_CHECK(again.factor_id.empty());
  BOOST_CHECK_EQUAL(written_since(p, m), "");
  BOOST_CHECK_EQUAL(count(p, "WebAuthnCredentialRegistered"), 1u);
}

// The relying party is the configured one: a ceremony made for another site is refused even
// when the request names that site (the user actor overwrites origin and rp id).
BOOST_FIXTURE_TEST_CASE(the_relying_party_is_the_configured_one_not_the_requests, Fixture) {
  const std::string evil_origin = "https://evil.example", evil_rp = "evil.example";
  auto p = enrol("pat.phished");
  SoftAuthenticator key(CoseAlg::kES256);

  auto ch = challenge(p, "register", "", facts_of(p.grace));
  REQUIRE_OK(ch);
  auto reg = key.make_registration(bv(ch.challenge), evil_origin, evil_rp);
  auto r = call(p, RegisterWebAuthn{facts_of(p.grace), "", reg.client_data_json, reg.attestation_object,
                                    evil_origin, evil_rp});
  BOOST_CHECK_MESSAGE(r.outcome != UserOutcome::kOk,
                      "a registration for " << evil_origin << " was accepted by a portal configured for " << origin);
  BOOST_CHECK_EQUAL(count(p, "WebAuthnCredentialRegistered"), 0u);

  if (count(p, "WebAuthnCredentialRegistered") == 0) register_key(p, p.grace, key);
  auto l = begin_webauthn(p);
  auto a = key.make_assertion(bv(l.challenge), evil_origin, evil_rp);
  auto in = call(p, CompleteWebAuthn{l.login_id, wire(a), evil_origin, evil_rp, {}});
  BOOST_CHECK_MESSAGE(in.outcome != UserOutcome::kOk && !in.session,
                      "an assertion for " << evil_origin << " opened a session on a portal configured for " << origin);
  BOOST_CHECK_EQUAL(count(p, "LoginSucceeded"), 1u);  // the grace login only
}
