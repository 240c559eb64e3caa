// What the tests of the pure identity rules share (user_test, user_sessions_test): the
// simulated times, libsodium's initialisation, and run(): decide, then apply the events as
// the actor does after a durable append. Include once per test module, after
// BOOST_TEST_MODULE.
#pragma once

#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <variant>
#include <vector>

#include "actors/identity/session.hpp"
#include "actors/identity/user.hpp"
#include "infra/secure.hpp"

namespace rxp::identity::test {

inline constexpr int64_t kT0 = 1781524800000000;  // 2026-06-15T12:00:00Z
inline constexpr int64_t kSec = 1'000'000;
inline constexpr int64_t kMin = 60 * kSec;

struct Init {
  Init() { BOOST_REQUIRE(secure_init()); }
};
BOOST_TEST_GLOBAL_FIXTURE(Init);

// Decides and applies the events at `now`, as the actor does after a durable append.
template <class State, class Decided, class Command, class... Extra>
Decided run_at(State& st, const Command& c, int64_t now, const char* stream, Extra... extra) {
  Decided d = decide(st, c, now, extra...);
  for (const auto& e : d.events) {
    events::EventHeader h;
    h.stream_id = stream;
    h.version = st.version + 1;
    h.occurred_at_us = now;
    apply(st, h, e);
  }
  return d;
}

inline UserDecided run(UserState& st, const UserCommand& c, int64_t now, UserLimits limits = {}) {
  return run_at<UserState, UserDecided>(st, c, now, "user/u-1", limits);
}
inline SessionDecided run(SessionState& st, const SessionCommand& c, int64_t now) {
  return run_at<SessionState, SessionDecided>(st, c, now, "session/ses-1");
}

template <class E>
bool has(const std::vector<events::DomainEvent>& evs) {
  for (const auto& e : evs)
    if (std::holds_alternative<E>(e)) return true;
  return false;
}

template <class E>
const E& first(const std::vector<events::DomainEvent>& evs) {
  for (const auto& e : evs)
    if (auto* x = std::get_if<E>(&e)) return *x;
  throw std::runtime_error("event missing");
}

}  // namespace rxp::identity::test
