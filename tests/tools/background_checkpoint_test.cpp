// The serve checkpointer (tools/background_jobs): with N = 5 it signs checkpoints on its own
// thread as events commit, and every one of them holds under verify.
#define BOOST_TEST_MODULE background_checkpoint
#include <boost/test/unit_test.hpp>
#include <thread>

#include "events/verify.hpp"
#include "tests/testkit/testkit.hpp"
#include "tools/background_jobs.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::testkit::one;
using rxp::testkit::TestLog;

BOOST_AUTO_TEST_CASE(serve_checkpoints_every_n_events) {
  TestLog t;
  actors::Runtime runtime(*t.log, t.clock);
  cli::BackgroundOptions o;
  o.data_dir = t.dir.path();
  o.checkpoint_every_events = 5;
  o.checkpoint_every = std::chrono::hours(24);  // only the count triggers (the clock is simulated)
  o.checkpoint_poll = std::chrono::milliseconds(5);
  cli::BackgroundJobs jobs(*t.log, runtime, t.clock, o);
  BOOST_REQUIRE(jobs.start().is_ok());
  for (int i = 0; i < 12; ++i)
    BOOST_REQUIRE(t.log->append(one("record/p" + std::to_string(i % 3), RecordViewed{"pgx", "treatment"})).is_ok());
  // Waits for the thread's progress, not for a duration: the assertion is on what it wrote.
  for (int spins = 0; jobs.checkpoints_written() == 0 && spins < 20000; ++spins)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  jobs.stop();
  BOOST_REQUIRE_GE(jobs.checkpoints_written(), 1u);
  auto rep = verify_log(*t.log);
  BOOST_REQUIRE(rep.is_ok());
  BOOST_CHECK_MESSAGE(rep->ok(), (rep->failure ? rep->failure->reason : std::string()));
  BOOST_CHECK_EQUAL(rep->checkpoints, jobs.checkpoints_written());
  BOOST_CHECK_GE(rep->checkpointed_size, 5u);
}
