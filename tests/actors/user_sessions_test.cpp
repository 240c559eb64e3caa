// The session list and the ending of one session, as pure rules of the user and session
// aggregates (ListSessions, EndSession, live_sessions(), Describe): no actors, no I/O.
#define BOOST_TEST_MODULE user_sessions
#include <boost/test/unit_test.hpp>

#include "actors/identity/session.hpp"
#include "actors/identity/user.hpp"
#include "infra/secure.hpp"
#include "tests/actors/identity_rules.hpp"

using namespace rxp;
using namespace rxp::identity;

namespace {

using namespace rxp::identity::test;

NewSession ns(const std::string& id) { return {id, "tokenhash-" + id, "csrfhash-" + id}; }

// A patient in the enrollment grace with sessions "ses-a" (at kT0) and "ses-b" (a minute later).
UserState with_two_sessions() {
  UserState st;
  BOOST_REQUIRE(run(st, Register{"pat", {"patient"}, "pt-1", "$argon2id$fake"}, kT0).outcome == UserOutcome::kOk);
  BOOST_REQUIRE(run(st, BeginLogin{true, "lgn-a", "192.0.2.1", "dev-a", ns("ses-a")}, kT0).effects.start_session);
  BOOST_REQUIRE(run(st, BeginLogin{true, "lgn-b", "192.0.2.2", "dev-b", ns("ses-b")}, kT0 + kMin).effects.start_session);
  return st;
}

}  // namespace

BOOST_AUTO_TEST_CASE(listing_is_a_pure_read_for_a_live_session_only) {
  auto st = with_two_sessions();
  auto before = st;
  auto d = run(st, ListSessions{{"ses-b", 0}}, kT0 + 2 * kMin);
  BOOST_CHECK(d.outcome == UserOutcome::kOk);
  BOOST_CHECK(d.events.empty());
  BOOST_CHECK(st == before);
  auto gone = run(st, ListSessions{{"ses-nope", 0}}, kT0 + 2 * kMin);
  BOOST_CHECK(gone.outcome == UserOutcome::kNotFound);
  BOOST_CHECK_EQUAL(gone.reason, "session");
}

BOOST_AUTO_TEST_CASE(live_sessions_are_oldest_first_and_drop_outlived_ones) {
  auto st = with_two_sessions();
  auto live = live_sessions(st, kT0 + 2 * kMin);
  BOOST_REQUIRE_EQUAL(live.size(), 2u);
  BOOST_CHECK_EQUAL(live[0].session_id, "ses-a");
  BOOST_CHECK_EQUAL(live[0].started_at_us, kT0);
  BOOST_CHECK_EQUAL(live[1].session_id, "ses-b");
  BOOST_CHECK_EQUAL(live[1].absolute_expires_at_us, kT0 + kMin + kSessionAbsoluteUs);
  // Past ses-a's absolute lifetime (12 h), only ses-b is left.
  auto later = live_sessions(st, kT0 + kSessionAbsoluteUs);
  BOOST_REQUIRE_EQUAL(later.size(), 1u);
  BOOST_CHECK_EQUAL(later[0].session_id, "ses-b");
}

BOOST_AUTO_TEST_CASE(ending_one_session_is_an_event_and_revokes_only_it) {
  auto st = with_two_sessions();
  auto d = run(st, EndSession{{"ses-b", 0}, "ses-a"}, kT0 + 2 * kMin);
  BOOST_REQUIRE(d.outcome == UserOutcome::kOk);
  BOOST_REQUIRE_EQUAL(d.events.size(), 1u);
  auto* revoked = std::get_if<events::SessionsRevoked>(&d.events[0]);
  BOOST_REQUIRE(revoked);
  BOOST_CHECK(revoked->session_ids == std::vector<std::string>{"ses-a"});
  BOOST_CHECK_EQUAL(revoked->reason, "user_ended");
  BOOST_CHECK(d.effects.end_sessions == std::vector<std::string>{"ses-a"});
  BOOST_CHECK_EQUAL(d.effects.end_reason, "user_ended");
  auto live = live_sessions(st, kT0 + 2 * kMin);
  BOOST_REQUIRE_EQUAL(live.size(), 1u);
  BOOST_CHECK_EQUAL(live[0].session_id, "ses-b");
  // Ending it again, or a session of someone else, is the same "not found".
  auto again = run(st, EndSession{{"ses-b", 0}, "ses-a"}, kT0 + 3 * kMin);
  auto foreign = run(st, EndSession{{"ses-b", 0}, "ses-of-another-user"}, kT0 + 3 * kMin);
  BOOST_CHECK(again.outcome == UserOutcome::kNotFound && foreign.outcome == UserOutcome::kNotFound);
  BOOST_CHECK(again.reason == "target" && foreign.reason == "target");
  BOOST_CHECK(again.events.empty() && foreign.events.empty());
  // The requester may end its own session; a dead requester may end nothing.
  BOOST_CHECK(run(st, EndSession{{"ses-b", 0}, "ses-b"}, kT0 + 3 * kMin).outcome == UserOutcome::kOk);
  BOOST_CHECK(run(st, EndSession{{"ses-b", 0}, "ses-b"}, kT0 + 3 * kMin).reason == "session");
}

BOOST_AUTO_TEST_CASE(describe_reports_times_without_touching_and_ends_an_expired_session) {
  SessionState st;
  events::SessionStarted started;
  started.user_id = "u-1";
  started.roles = {"patient"};
  started.token_hash = "th";
  started.csrf_hash = "ch";
  started.idle_timeout_us = 30 * kMin;
  started.absolute_expires_at_us = kT0 + kSessionAbsoluteUs;
  BOOST_REQUIRE(run(st, StartSession{started, std::nullopt}, kT0).outcome == SessionOutcome::kOk);
  auto d = run(st, Describe{}, kT0 + 10 * kMin);
  BOOST_REQUIRE(d.outcome == SessionOutcome::kOk && d.info);
  BOOST_CHECK(!d.touch);  // a look at the list is not a use of the session
  BOOST_CHECK(d.events.empty());
  BOOST_CHECK_EQUAL(d.info->started_at_us, kT0);
  BOOST_CHECK_EQUAL(d.info->last_used_at_us, kT0);
  BOOST_CHECK_EQUAL(d.info->idle_expires_at_us, kT0 + 30 * kMin);
  BOOST_CHECK_EQUAL(d.info->absolute_expires_at_us, kT0 + kSessionAbsoluteUs);
  auto late = run(st, Describe{}, kT0 + 31 * kMin);
  BOOST_CHECK(late.outcome == SessionOutcome::kUnauthenticated);
  BOOST_CHECK(!late.info);
  BOOST_CHECK_EQUAL(late.closed_reason, "idle_timeout");
  BOOST_CHECK(st.ended);
  BOOST_CHECK(run(st, Describe{}, kT0 + 32 * kMin).outcome == SessionOutcome::kUnauthenticated);
}
