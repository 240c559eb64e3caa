// score_event: the detector's suspicion of every event without raising anything, for the
// drills' ROC/AUC; and the session_token_replay rule.
#define BOOST_TEST_MODULE anomaly_score
#include <boost/test/unit_test.hpp>

#include "projections/anomaly.hpp"

using namespace rxp;
using namespace rxp::projections;

namespace {

constexpr int64_t kT0 = 1781514000000000;  // 2026-06-15T09:00:00Z
constexpr int64_t kSec = 1000000;

events::RecordedEvent ev(uint64_t pos, const std::string& stream, const std::string& user, int64_t t,
                         events::DomainEvent e) {
  events::RecordedEvent r;
  r.header.position = pos;
  r.header.stream_id = stream;
  r.header.occurred_at_us = t;
  r.header.principal.user_id = user;
  r.payload = std::move(e);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_storm_scores_its_progress_and_the_alert_event_scores_the_alert) {
  DetectorState scored, alerted;
  std::vector<double> scores;
  std::vector<Alert> alerts;
  for (uint64_t i = 1; i <= 12; ++i) {
    auto e = ev(i, "user/u1", "anonymous", kT0 + static_cast<int64_t>(i) * 10 * kSec, events::LoginFailed{"bad_password", ""});
    scores.push_back(score_event(scored, e));
    auto a = detect(alerted, e);
    alerts.insert(alerts.end(), a.begin(), a.end());
  }
  BOOST_REQUIRE_EQUAL(alerts.size(), 1u);  // the 10th failure
  BOOST_TEST(scores[0] > 0.0);
  for (size_t i = 1; i < 10; ++i) BOOST_TEST(scores[i] > scores[i - 1]);  // rising toward the threshold
  BOOST_TEST(scores[9] == alerts[0].score);
  BOOST_TEST(scores[4] < alerts[0].score);
}

BOOST_AUTO_TEST_CASE(score_event_leaves_the_state_as_detect_does) {
  DetectorState a, b;
  for (uint64_t i = 1; i <= 5; ++i) {
    auto e = ev(i, "record/p" + std::to_string(i), "doc", kT0 + static_cast<int64_t>(i) * kSec,
                events::AccessDenied{"record.medications.read", "medications", "no_care_relationship"});
    (void)score_event(a, e);
    (void)detect(b, e);
  }
  BOOST_TEST(a.users["doc"].denials.size() == b.users["doc"].denials.size());
  auto next = ev(6, "record/p6", "doc", kT0 + 6 * kSec, events::RecordExported{{"medications"}, "json"});
  BOOST_TEST(score_event(a, next) > 0.0);
  BOOST_TEST(detect(b, next).empty());
}

BOOST_AUTO_TEST_CASE(events_no_rule_looks_at_score_zero) {
  DetectorState st;
  BOOST_TEST(score_event(st, ev(1, "record/p1", "doc", kT0, events::MedicationAdded{})) == 0.0);
  BOOST_TEST(score_event(st, ev(2, "session/s1", "doc", kT0, events::SessionEnded{"logout"})) == 0.0);
  events::RecordedEvent shredded = ev(3, "record/p1", "doc", kT0, events::RecordViewed{});
  shredded.payload.reset();
  BOOST_TEST(score_event(st, shredded) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_token_presented_from_another_device_raises_session_token_replay) {
  DetectorState st;
  auto alerts = detect(st, ev(7, "session/s1", "u1", kT0, events::SessionEnded{"device_changed"}));
  BOOST_REQUIRE_EQUAL(alerts.size(), 1u);
  BOOST_TEST(alerts[0].rule == "session_token_replay");
  BOOST_TEST(alerts[0].user_id == "u1");
  BOOST_TEST(alerts[0].evidence == std::vector<uint64_t>{7});
  BOOST_TEST(detect(st, ev(8, "session/s2", "u1", kT0, events::SessionEnded{"idle_timeout"})).empty());
  BOOST_TEST(score_event(st, ev(9, "session/s3", "u2", kT0, events::SessionEnded{"device_changed"})) == 0.9);
}
