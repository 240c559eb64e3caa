// Alerts end to end over a real log: the raiser appends each alert once (also when run again,
// as after a restart), the alerts view shows them with their review state, and the read model
// built incrementally equals the one rebuilt from position 0.
#define BOOST_TEST_MODULE alerts
#include <boost/test/unit_test.hpp>

#include "projections/alert_raiser.hpp"
#include "projections/alerts.hpp"
#include "tests/projections/fixtures.hpp"

using namespace rxp;
using namespace rxp::projections;
using rxp::testkit::TestLog;

namespace {

constexpr int64_t kSec = 1'000'000;

void append(TestLog& t, const std::string& stream, const events::DomainEvent& e, events::Principal who) {
  auto r = t.log->append(events::AppendRequest{stream, events::kAnyVersion, {events::make_pending(e, who, "corr-1")}});
  BOOST_REQUIRE_MESSAGE(r, r.status().to_string());
  t.clock.advance_us(kSec);
}

// Ten wrong passwords for one account from one address, then a break-glass: three alerts
// (the account storm and the source storm on the tenth failure, then the break-glass).
void incident(TestLog& t) {
  for (int i = 0; i < 10; ++i)
    append(t, "user/usr-victim", events::LoginFailed{"bad_password", "198.51.100.7"}, {"system", "system", ""});
  append(t, "record/pt-1",
         events::BreakGlassInvoked{"er_admission", "unconscious on arrival, no care relationship", 1},
         {"usr-doc", "clinician", "ses-9"});
}

std::vector<AlertRow> alerts_of(TestLog& t, bool open_only) {
  auto db = ReadModelDb::open(testkit::read_model_path(t), true);
  BOOST_REQUIRE(db);
  auto rows = list_alerts(**db, open_only);
  BOOST_REQUIRE_MESSAGE(rows, rows.status().to_string());
  return *rows;
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_alert_is_raised_once_even_when_the_log_is_judged_again) {
  TestLog t;
  incident(t);
  AlertRaiser first(*t.log);
  BOOST_REQUIRE(first.catch_up().is_ok());
  BOOST_TEST(first.raised() == 3u);
  // A restarted process judges the whole log again: same alert ids, nothing appended twice.
  AlertRaiser again(*t.log);
  BOOST_REQUIRE(again.catch_up().is_ok());
  BOOST_TEST(again.raised() == 0u);
  BOOST_TEST(again.already_raised() == 3u);
  auto runner = testkit::open_runner(t);
  BOOST_REQUIRE(runner->catch_up().is_ok());
  auto rows = alerts_of(t, true);
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  BOOST_TEST(rows[0].rule == "break_glass");  // newest first
  BOOST_TEST(rows[0].severity == "high");
  BOOST_TEST(rows[0].user_id == "usr-doc");
  BOOST_TEST(rows[0].patient_id == "pt-1");
  BOOST_TEST(rows[0].evidence == std::vector<uint64_t>{11});
  BOOST_TEST(rows[1].rule == "failed_login_storm");  // the source storm: about no account
  BOOST_TEST(rows[1].user_id.empty());
  BOOST_TEST(rows[2].rule == "failed_login_storm");
  BOOST_TEST(rows[2].user_id == "usr-victim");
  BOOST_TEST(rows[2].evidence.size() == 10u);
  BOOST_TEST(rows[2].score > 0.0);
  BOOST_TEST(rows[1].alert_id != rows[2].alert_id);
  // The explanation names ids, never the justification's free text.
  BOOST_TEST(rows[0].explanation.find("unconscious") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_review_closes_the_alert_and_rebuild_equals_incremental) {
  TestLog t;
  incident(t);
  AlertRaiser raiser(*t.log);
  BOOST_REQUIRE(raiser.catch_up().is_ok());
  auto runner = testkit::open_runner(t);
  BOOST_REQUIRE(runner->catch_up().is_ok());
  auto open = alerts_of(t, true);
  BOOST_REQUIRE_EQUAL(open.size(), 3u);
  const std::string id = open[0].alert_id;
  auto r = t.log->append(events::AppendRequest{
      "alert/" + id, open[0].version,
      {events::make_pending(events::AlertReviewed{"benign", "patient arrived unconscious; confirmed"},
                            {"usr-aud", "auditor", "ses-a"})}});
  BOOST_REQUIRE_MESSAGE(r, r.status().to_string());
  BOOST_REQUIRE(runner->catch_up().is_ok());
  BOOST_TEST(alerts_of(t, true).size() == 2u);
  auto all = alerts_of(t, false);
  BOOST_REQUIRE_EQUAL(all.size(), 3u);
  BOOST_TEST(all[0].disposition == "benign");
  BOOST_TEST(all[0].reviewed_by == "usr-aud");
  BOOST_TEST(all[0].version == 2u);
  // A review against a stale version is refused by the store.
  auto stale = t.log->append(events::AppendRequest{
      "alert/" + id, 1, {events::make_pending(events::AlertReviewed{"escalated", ""}, {"usr-aud", "auditor", "ses-a"})}});
  BOOST_TEST(!stale);
  // More traffic (the storm goes on: no new storm alert; a second break-glass), then
  // rebuild: same rows as the incremental view.
  incident(t);
  BOOST_REQUIRE(raiser.catch_up().is_ok());
  BOOST_REQUIRE(runner->catch_up().is_ok());
  auto incremental = alerts_of(t, false);
  BOOST_TEST(incremental.size() == 4u);
  BOOST_REQUIRE(runner->rebuild(AlertsProjection::kName).is_ok());
  BOOST_TEST((alerts_of(t, false) == incremental));
}
