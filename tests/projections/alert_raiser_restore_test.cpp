// AlertRaiser after a failed append: the detector state is restored to what it was before the
// failing event (by replay), so judging that event again raises its alerts exactly once.
#define BOOST_TEST_MODULE alert_raiser_restore
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>

#include "projections/alert_raiser.hpp"
#include "projections/alerts.hpp"
#include "tests/testkit/fault_vfs.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::projections;

BOOST_AUTO_TEST_CASE(a_failed_alert_append_is_retried_with_the_state_before_the_event) {
  testkit::register_fault_vfs();
  testkit::TestLog t("rxp-fault");
  for (int i = 0; i < 10; ++i) {
    BOOST_REQUIRE(t.log->append(testkit::one("user/u1", events::LoginFailed{"bad_password", "192.0.2.9"})));
    t.clock.advance_us(5'000'000);
  }
  AlertRaiser raiser(*t.log);
  testkit::fault_vfs_fail_after(0, SQLITE_IOERR_WRITE);
  BOOST_TEST(!raiser.catch_up().is_ok());  // the tenth failure's alerts cannot be appended
  BOOST_TEST(raiser.position() == 9u);
  testkit::fault_vfs_clear();
  BOOST_REQUIRE(raiser.catch_up().is_ok());
  // Had the state kept the failing event, the storm would count 11 and raise nothing.
  BOOST_TEST(raiser.raised() == 2u);  // the account storm and the source storm
  BOOST_TEST(raiser.position() == 10u);
}
