// The anomaly rules, without I/O: each fires on its own scenario, all stay quiet on a week of
// seeded normal traffic, and the same sequence always yields the same alerts.
#define BOOST_TEST_MODULE anomaly
#include <boost/test/unit_test.hpp>
#include <random>

#include "projections/anomaly.hpp"

using namespace rxp;
using namespace rxp::projections;

namespace {

constexpr int64_t kMonday9 = 1781514000000000;  // 2026-06-15T09:00:00Z
constexpr int64_t kMin = 60LL * 1000000;
constexpr int64_t kHour = 60 * kMin;

struct Feed {
  DetectorState st;
  uint64_t position = 0;
  std::vector<Alert> alerts;

  void push(const std::string& stream, const std::string& user, int64_t t, events::DomainEvent e) {
    events::RecordedEvent r;
    r.header.position = ++position;
    r.header.stream_id = stream;
    r.header.occurred_at_us = t;
    r.header.principal.user_id = user;
    r.payload = std::move(e);
    auto out = detect(st, r);
    alerts.insert(alerts.end(), out.begin(), out.end());
  }
  void view(const std::string& user, const std::string& pid, int64_t t) {
    push("record/" + pid, user, t, events::RecordViewed{"medications", "treatment"});
  }
  size_t count(const std::string& rule) const {
    return static_cast<size_t>(std::count_if(alerts.begin(), alerts.end(), [&](const Alert& a) { return a.rule == rule; }));
  }
};

// A week of ordinary work: clinicians view 2-8 sections an hour in the day, log in from their
// usual device, the odd mistyped password.
void normal_week(Feed& f, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int day = 0; day < 7; ++day)
    for (int c = 0; c < 5; ++c) {
      std::string doc = "doc-" + std::to_string(c);
      int64_t start = kMonday9 + day * 24 * kHour;
      f.push("user/" + doc, doc, start, events::LoginSucceeded{"l", "s", "totp", "dev-" + doc, "10.0.0.1"});
      if (rng() % 5 == 0) f.push("user/" + doc, doc, start - kMin, events::LoginFailed{"bad_password", "10.0.0.1"});
      for (int h = 0; h < 8; ++h) {
        int n = 2 + static_cast<int>(rng() % 7);
        for (int i = 0; i < n; ++i)
          f.view(doc, "pt-" + std::to_string(rng() % 40), start + h * kHour + static_cast<int64_t>(rng() % 3600) * 1000000);
      }
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(normal_traffic_raises_nothing_and_is_deterministic) {
  Feed a, b;
  normal_week(a, 7);
  normal_week(b, 7);
  BOOST_CHECK(a.alerts.empty());
  BOOST_CHECK(a.alerts == b.alerts);
}

BOOST_AUTO_TEST_CASE(volume_far_above_the_users_own_baseline) {
  Feed f;
  normal_week(f, 1);
  int64_t t = kMonday9 + 7 * 24 * kHour + 2 * kHour;
  for (int i = 0; i < 60; ++i) f.view("doc-1", "pt-" + std::to_string(100 + i), t + i * kMin / 2);
  BOOST_REQUIRE_EQUAL(f.count("volume_above_baseline"), 1u);  // once per burst
  const auto& a = f.alerts.back();
  BOOST_CHECK_EQUAL(a.user_id, "doc-1");
  BOOST_CHECK(a.evidence.size() >= 30u);
  BOOST_CHECK(a.score > 0 && a.score <= 1);
  BOOST_CHECK(a.explanation.find("pt-") == std::string::npos);  // no patient ids in the text
  // A newcomer has no baseline yet: no alert in their first day.
  Feed g;
  for (int i = 0; i < 60; ++i) g.view("new-doc", "pt-1", kMonday9 + i * kMin / 2);
  BOOST_CHECK_EQUAL(g.count("volume_above_baseline"), 0u);
}

BOOST_AUTO_TEST_CASE(no_care_relationship_vip_off_hours_and_exports) {
  Feed f;
  for (int i = 0; i < 3; ++i)
    f.push("record/pt-" + std::to_string(i), "snoop", kMonday9 + i * kMin,
           events::AccessDenied{"record.medications.read", "medications", "no_care_relationship"});
  BOOST_CHECK_EQUAL(f.count("no_care_relationship"), 1u);

  f.push("record/pt-vip", "adm", kMonday9, events::RecordCreated{"pt-vip", "1970-01-01", "MA", true});
  f.view("doc-9", "pt-vip", kMonday9 + kHour);
  BOOST_CHECK_EQUAL(f.count("vip_record_access"), 1u);
  BOOST_CHECK_EQUAL(f.alerts.back().patient_id, "pt-vip");

  int64_t night = kMonday9 + 14 * kHour;  // 23:00 UTC
  f.view("night-owl", "pt-0", kMonday9 - 4 * 24 * kHour);  // watched for four days: past learning
  for (int i = 0; i < 20; ++i) f.view("night-owl", "pt-" + std::to_string(i), night + i * kMin);
  BOOST_CHECK_EQUAL(f.count("off_hours_bulk"), 1u);

  for (int i = 0; i < 3; ++i)
    f.push("record/pt-" + std::to_string(i), "exporter", kMonday9 + i * kMin, events::RecordExported{{"medications"}, "json"});
  BOOST_CHECK_EQUAL(f.count("export_burst"), 1u);
  BOOST_CHECK_EQUAL(f.alerts.back().severity, "high");
}

BOOST_AUTO_TEST_CASE(identity_storms_clones_new_devices_and_break_glass) {
  Feed f;
  for (int i = 0; i < 10; ++i) f.push("user/victim", "victim", kMonday9 + i * kMin / 2, events::LoginFailed{"bad_password", "198.51.100.1"});
  BOOST_CHECK_EQUAL(f.count("failed_login_storm"), 2u);  // the account, and the source address
  for (int i = 0; i < 10; ++i)
    f.push("auth/unknown-users", "anonymous", kMonday9 + i * kMin / 2, events::LoginFailed{"unknown_user", "203.0.113.5"});
  BOOST_CHECK_EQUAL(f.count("failed_login_storm"), 3u);
  f.push("user/victim", "victim", kMonday9, events::MfaBombingSuspected{3, 600000000});
  BOOST_CHECK_EQUAL(f.count("mfa_bombing"), 1u);
  f.push("user/victim", "victim", kMonday9, events::AuthenticatorCloneSuspected{"fac-1", 9, 4});
  BOOST_CHECK_EQUAL(f.count("authenticator_clone"), 1u);
  f.push("user/u", "u", kMonday9, events::LoginSucceeded{"l1", "s1", "totp", "dev-a", "10.0.0.1"});
  f.push("user/u", "u", kMonday9 + kHour, events::LoginSucceeded{"l2", "s2", "totp", "dev-a", "10.0.0.1"});
  BOOST_CHECK_EQUAL(f.count("new_device_login"), 0u);  // the first device, then the same one
  f.push("user/u", "u", kMonday9 + 2 * kHour, events::LoginSucceeded{"l3", "s3", "totp", "dev-b", "10.0.0.9"});
  BOOST_CHECK_EQUAL(f.count("new_device_login"), 1u);
  f.push("record/pt-1", "doc-x", kMonday9, events::BreakGlassInvoked{"emergency", "unconscious patient in the ED", 1});
  BOOST_REQUIRE_EQUAL(f.count("break_glass"), 1u);
  const auto& bg = f.alerts.back();
  BOOST_CHECK_EQUAL(bg.severity, "high");
  BOOST_CHECK(bg.explanation.find("unconscious") == std::string::npos);  // no free text
  BOOST_CHECK_EQUAL(bg.alert_id, "alr-break-glass-" + std::to_string(f.position));
}

BOOST_AUTO_TEST_CASE(shredded_events_are_skipped) {
  DetectorState st;
  events::RecordedEvent r;
  r.header.position = 1;
  BOOST_CHECK(detect(st, r).empty());
}

// A VIP's own care team and the patient are care, not snooping; staff outside the team are
// flagged, and so is a clinician whose relationship has ended.
BOOST_AUTO_TEST_CASE(vip_rule_spares_the_care_team_and_flags_everyone_else) {
  Feed f;
  f.push("record/pt-vip", "adm", kMonday9, events::RecordCreated{"pt-vip", "1970-01-01", "MA", true});
  f.push("record/pt-vip", "adm", kMonday9, events::CareRelationshipAdded{"doc-care", 0});
  for (int i = 0; i < 5; ++i) f.view("doc-care", "pt-vip", kMonday9 + i * kMin);
  BOOST_CHECK_EQUAL(f.count("vip_record_access"), 0u);
  {
    events::RecordedEvent r;
    r.header.position = ++f.position;
    r.header.stream_id = "record/pt-vip";
    r.header.occurred_at_us = kMonday9 + 2 * kHour;
    r.header.principal = {"pt-vip-user", "patient", "s-1"};
    r.payload = events::RecordViewed{"medications", "self"};
    BOOST_CHECK(detect(f.st, r).empty());
  }
  f.view("doc-other", "pt-vip", kMonday9 + 3 * kHour);
  BOOST_CHECK_EQUAL(f.count("vip_record_access"), 1u);
  f.push("record/pt-vip", "adm", kMonday9 + 4 * kHour, events::CareRelationshipEnded{"doc-care"});
  f.view("doc-care", "pt-vip", kMonday9 + 5 * kHour);
  BOOST_CHECK_EQUAL(f.count("vip_record_access"), 2u);
}

// Bulk night access is the alert only for someone who does not work nights: a clinician on
// their third night shift in a row is not flagged, a day worker on their first night is.
BOOST_AUTO_TEST_CASE(off_hours_rule_spares_night_shift_workers) {
  Feed f;
  int64_t night0 = kMonday9 + 14 * kHour;  // 23:00 UTC
  // Nobody is flagged in their first three days: the detector is learning their shifts.
  for (int n = 0; n < 3; ++n)
    for (int i = 0; i < 25; ++i)
      f.view("night-nurse", "pt-" + std::to_string(i), night0 + n * 24 * kHour + i * kMin);
  BOOST_CHECK_EQUAL(f.count("off_hours_bulk"), 0u);
  // A day worker watched for four days, on their first night: flagged. The nurse on their
  // fourth night shift, past learning: not.
  f.view("day-doc", "pt-1", kMonday9);
  for (int i = 0; i < 25; ++i) {
    f.view("day-doc", "pt-" + std::to_string(i), night0 + 3 * 24 * kHour + i * kMin);
    f.view("night-nurse", "pt-" + std::to_string(i), night0 + 3 * 24 * kHour + i * kMin);
  }
  BOOST_CHECK_EQUAL(f.count("off_hours_bulk"), 1u);
  BOOST_CHECK_EQUAL(f.alerts.back().user_id, "day-doc");
}
