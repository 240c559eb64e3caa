// The event index: the auditor's query over clear headers, by patient, actor, type and time,
// paged by position; rebuilt equals incremental.
#define BOOST_TEST_MODULE event_index
#include <boost/test/unit_test.hpp>

#include "projections/event_index.hpp"
#include "tests/projections/fixtures.hpp"

using namespace rxp;
using namespace rxp::projections;
using rxp::testkit::TestLog;

namespace {
std::vector<IndexedEvent> query(TestLog& t, const EventQuery& q) {
  auto db = ReadModelDb::open(testkit::read_model_path(t), true);
  BOOST_REQUIRE(db);
  auto rows = query_events(**db, q);
  BOOST_REQUIRE_MESSAGE(rows, rows.status().to_string());
  return *rows;
}
}  // namespace

BOOST_AUTO_TEST_CASE(queries_by_patient_actor_type_and_time_page_by_position) {
  TestLog t;
  testkit::Traffic traffic(7);
  std::vector<events::AppendRequest> all;
  for (int i = 0; i < 300; ++i) {
    all.push_back(traffic.next("a"));
    BOOST_REQUIRE(t.log->append(all.back()));
    t.clock.advance_us(1'000'000);
  }
  auto runner = testkit::open_runner(t, 64);
  BOOST_REQUIRE(runner->catch_up().is_ok());
  // Expected from what was appended: patient pt-a-1's events by usr-3 of type RecordViewed.
  size_t expected = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].stream_id == "record/pt-a-1" && all[i].events[0].principal.user_id == "usr-3" &&
        all[i].events[0].payload.type == "RecordViewed")
      ++expected;
  EventQuery q;
  q.patient_id = "pt-a-1";
  q.user_id = "usr-3";
  q.type = "RecordViewed";
  q.limit = 3;
  std::vector<IndexedEvent> got;
  for (;;) {
    auto page = query(t, q);
    BOOST_REQUIRE(page.size() <= 3u);
    for (const auto& e : page) {
      BOOST_TEST(e.patient_id == "pt-a-1");
      BOOST_TEST(e.user_id == "usr-3");
      BOOST_TEST(e.type == "RecordViewed");
      BOOST_TEST(e.position > q.after_position);
    }
    got.insert(got.end(), page.begin(), page.end());
    if (page.size() < 3) break;
    q.after_position = page.back().position;
  }
  BOOST_TEST(got.size() == expected);
  BOOST_TEST(expected > 0u);
  // A time window: the first 10 seconds hold the first 10 events.
  EventQuery w;
  w.from_us = t.clock.now_us() - 300'000'000;
  w.to_us = w.from_us + 9'000'000;
  w.limit = 1000;
  BOOST_TEST(query(t, w).size() == 10u);
  EventQuery every;
  every.limit = 1000;
  auto before = query(t, every);
  BOOST_TEST(before.size() == 300u);
  BOOST_REQUIRE(runner->rebuild(EventIndexProjection::kName).is_ok());
  BOOST_TEST((query(t, every) == before));
}
