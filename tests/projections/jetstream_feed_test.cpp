// The JetStream event feed against a real nats-server -js (started here on a free loopback
// port with a temporary store, stopped at the end): what is published equals the store, byte
// for byte; re-publishing creates no duplicates; the projections fed by the durable pull
// consumer equal a rebuild from the store; killing nats-server (kill -9) mid-stream, with its
// store kept or wiped, loses nothing; NATS down at start; a malformed or forged message on the
// feed subject is rejected and the consumer goes on.
#define BOOST_TEST_MODULE jetstream_feed_test
#include <boost/test/unit_test.hpp>
#include <thread>

#include "tests/projections/feed_fixtures.hpp"

using namespace rxp;
using namespace rxp::testkit;

namespace {

// Appends `n` events in small batches while `during` runs the faults, on this thread.
void append_in_batches(TestLog& t, Traffic& traffic, size_t batches, size_t per_batch) {
  for (size_t b = 0; b < batches; ++b) {
    BOOST_REQUIRE(append_traffic(t, traffic, per_batch).is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void require_caught_up(TestLog& t, Feed& feed) {
  uint64_t head = head_of(t);
  BOOST_REQUIRE_MESSAGE(eventually([&] { return feed.publisher.next_position() > head; }),
                        "publisher stopped at " << feed.publisher.next_position() << " of " << head);
  BOOST_REQUIRE_MESSAGE(eventually([&] { return lowest_checkpoint(*feed.runner) >= head; }),
                        "runner stopped at " << lowest_checkpoint(*feed.runner) << " of " << head);
  BOOST_REQUIRE(feed.runner->background_status().is_ok());
}

void require_stream_holds_everything(TestLog& t, const std::string& url) {
  StreamReader reader(url);
  uint64_t head = head_of(t);
  BOOST_CHECK_MESSAGE(eventually([&] { return holds_exactly(reader, head); }, std::chrono::seconds(60)),
                      "the stream lacks positions of 1.." << head);
}

void check_equal_to_rebuild(TestLog& t) {
  auto live = dump_read_model(read_model_path(t));
  BOOST_CHECK_GT(live.size(), 10u);  // the traffic produced rows (disclosures, alerts, ...)
  BOOST_CHECK(live == rebuilt_read_model(t));
}

// NATS.c's library threads are stopped before the process exits (not during exit handlers).
struct NatsLibrary {
  ~NatsLibrary() { nats_Close(); }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(NatsLibrary);

BOOST_AUTO_TEST_CASE(published_messages_equal_the_store_and_republishing_adds_no_duplicates) {
  NatsServer nats;
  TestLog t;
  Traffic traffic(7);
  BOOST_REQUIRE(append_traffic(t, traffic, 300).is_ok());
  {
    projections::FeedPublisher publisher(*t.store, feed_options(nats.url()));
    BOOST_REQUIRE(publisher.start().is_ok());
    BOOST_REQUIRE(append_traffic(t, traffic, 200).is_ok());
    BOOST_REQUIRE(eventually([&] { return publisher.next_position() > head_of(t); }));
  }
  StreamReader reader(nats.url());
  auto held = reader.all();
  auto stored = t.store->read_all(1, 1000);
  BOOST_REQUIRE(stored);
  BOOST_REQUIRE_EQUAL(held.size(), stored->size());
  size_t i = 0;
  for (auto& [seq, e] : held) {
    const auto& s = (*stored)[i++];
    BOOST_TEST_CONTEXT("stream sequence " << seq) {
      BOOST_CHECK_EQUAL(seq, s.position);  // one message per position, in position order
      BOOST_CHECK_EQUAL(e.position, s.position);
      BOOST_CHECK_EQUAL(e.stream_id, s.stream_id);
      BOOST_CHECK_EQUAL(e.version, s.version);
      BOOST_CHECK(e.header_bytes == s.header_bytes);
      BOOST_CHECK(e.ciphertext == s.ciphertext);
      BOOST_CHECK(e.hash == s.hash);
    }
  }

  // The same positions again, as a publisher that lost track would send them: all duplicates.
  for (const auto& s : *stored) {
    Bytes frame = projections::encode_feed_frame(s);
    std::string id = std::to_string(s.position);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    jsPubAck* pa = nullptr;
    BOOST_REQUIRE_EQUAL(js_Publish(&pa, reader.js, "rxportal.events", frame.data(), static_cast<int>(frame.size()), &po, nullptr), NATS_OK);
    BOOST_CHECK(pa->Duplicate);
    jsPubAck_Destroy(pa);
  }
  // A new publisher starts after the last position the stream holds: nothing is sent twice.
  {
    projections::FeedPublisher again(*t.store, feed_options(nats.url()));
    BOOST_REQUIRE(again.start().is_ok());
    BOOST_REQUIRE(eventually([&] { return again.next_position() > head_of(t); }));
    BOOST_CHECK_EQUAL(again.published(), 0u);
  }
  BOOST_CHECK_EQUAL(reader.all().size(), stored->size());
}

BOOST_AUTO_TEST_CASE(projections_fed_by_the_consumer_equal_a_rebuild) {
  NatsServer nats;
  TestLog t;
  Traffic traffic(11);
  BOOST_REQUIRE(append_traffic(t, traffic, 100).is_ok());
  Feed feed(t, nats.url());
  append_in_batches(t, traffic, 40, 10);
  require_caught_up(t, feed);
  BOOST_CHECK_GT(feed.consumer.delivered(), 0u);  // the feed, not only the store, fed it
  BOOST_CHECK_EQUAL(feed.consumer.rejected(), 0u);
  check_equal_to_rebuild(t);
  // Everything the runner checkpointed is acknowledged once the consumer sees the next read.
  BOOST_CHECK(eventually([&] { return feed.consumer.acked() == feed.consumer.accepted(); }));
}

BOOST_AUTO_TEST_CASE(killing_nats_server_mid_stream_loses_nothing) {
  NatsServer nats;
  TestLog t;
  Traffic traffic(13);
  Feed feed(t, nats.url());
  append_in_batches(t, traffic, 20, 10);
  nats.kill9();  // whatever the server acknowledged but had not synced is gone
  append_in_batches(t, traffic, 20, 10);  // appends go on: the store is the system of record
  nats.start();  // same port, same store directory
  append_in_batches(t, traffic, 20, 10);
  nats.kill9();
  nats.start();
  // A backlog being published when the server dies.
  BOOST_REQUIRE(append_traffic(t, traffic, 3000).is_ok());
  uint64_t before = feed.publisher.published();
  BOOST_REQUIRE(eventually([&] { return feed.publisher.published() > before + 200; }));
  nats.kill9();
  nats.start();
  require_caught_up(t, feed);
  require_stream_holds_everything(t, nats.url());
  check_equal_to_rebuild(t);
}

BOOST_AUTO_TEST_CASE(a_wiped_nats_store_is_republished_from_the_event_store) {
  NatsServer nats;
  TestLog t;
  Traffic traffic(17);
  Feed feed(t, nats.url());
  append_in_batches(t, traffic, 20, 10);
  require_caught_up(t, feed);
  nats.kill9();
  nats.wipe_store();  // the stream and the durable consumer are gone
  nats.start();
  append_in_batches(t, traffic, 20, 10);
  require_caught_up(t, feed);
  require_stream_holds_everything(t, nats.url());
  BOOST_CHECK_GE(feed.publisher.resyncs(), 1u);
  check_equal_to_rebuild(t);
}

BOOST_AUTO_TEST_CASE(nats_down_at_start_the_feed_catches_up_when_it_returns) {
  NatsServer nats;
  nats.stop();  // the port is known; nothing listens on it
  TestLog t;
  Traffic traffic(19);
  // The feed gets 5 s to bring an event the store holds before the runner reads the store.
  Feed feed(t, nats.url(), std::chrono::seconds(5));
  append_in_batches(t, traffic, 10, 10);
  // Projections do not wait for the feed: after stale_after they read the store.
  uint64_t head = head_of(t);
  BOOST_REQUIRE(eventually([&] { return lowest_checkpoint(*feed.runner) >= head; }));
  BOOST_CHECK(!feed.publisher.connected());
  BOOST_CHECK_EQUAL(feed.publisher.published(), 0u);
  BOOST_CHECK_EQUAL(feed.consumer.delivered(), 0u);
  nats.start();
  append_in_batches(t, traffic, 10, 10);
  require_caught_up(t, feed);
  require_stream_holds_everything(t, nats.url());
  // Once the feed is back, new events reach the runner through it.
  uint64_t before = feed.consumer.delivered();
  BOOST_REQUIRE(append_traffic(t, traffic, 5).is_ok());
  require_caught_up(t, feed);
  BOOST_CHECK_GT(feed.consumer.delivered(), before);
  check_equal_to_rebuild(t);
}

BOOST_AUTO_TEST_CASE(malformed_and_forged_messages_are_rejected_and_the_consumer_continues) {
  NatsServer nats;
  TestLog t;
  Traffic traffic(23);
  Feed feed(t, nats.url());
  append_in_batches(t, traffic, 5, 10);
  require_caught_up(t, feed);

  StreamReader raw(nats.url());
  auto stored = t.store->read_all(1, 10);
  BOOST_REQUIRE(stored && stored->size() == 10);
  auto publish = [&](const Bytes& b) {
    jsPubAck* pa = nullptr;
    BOOST_REQUIRE_EQUAL(js_Publish(&pa, raw.js, "rxportal.events", b.data(), static_cast<int>(b.size()), nullptr, nullptr), NATS_OK);
    jsPubAck_Destroy(pa);
  };
  publish(Bytes{'n', 'o', 't', ' ', 'a', ' ', 'f', 'r', 'a', 'm', 'e'});  // garbage
  Bytes truncated = projections::encode_feed_frame((*stored)[3]);
  truncated.resize(truncated.size() - 5);
  publish(truncated);
  events::RawEvent bad_hash = (*stored)[4];
  bad_hash.hash[0] ^= 1;
  publish(projections::encode_feed_frame(bad_hash));
  // Consistent on its own (the hash is recomputed) but not what the store holds.
  events::RawEvent forged = (*stored)[5];
  forged.ciphertext[0] ^= 1;
  events::Hash h = events::chain_hash(forged.header_bytes, forged.ciphertext);
  forged.hash.assign(h.begin(), h.end());
  publish(projections::encode_feed_frame(forged));
  // A consistent frame for a position the store does not have.
  events::RawEvent beyond = (*stored)[6];
  beyond.position = 1000000;
  publish(projections::encode_feed_frame(beyond));  // its header disagrees: malformed

  append_in_batches(t, traffic, 10, 10);
  require_caught_up(t, feed);
  BOOST_CHECK(eventually([&] { return feed.consumer.rejected() >= 5; }));
  BOOST_CHECK_EQUAL(feed.consumer.rejected(), 5u);
  BOOST_CHECK(feed.runner->background_status().is_ok());
  check_equal_to_rebuild(t);
}

BOOST_AUTO_TEST_CASE(a_restarted_consumer_resumes_from_its_checkpoint) {
  NatsServer nats;
  TestLog t;
  Traffic traffic(29);
  {
    Feed feed(t, nats.url());
    append_in_batches(t, traffic, 10, 10);
    require_caught_up(t, feed);
  }
  // Events committed while no consumer runs, then a new process's feed on the same read model
  // and the same durable consumer: unacknowledged messages come again, nothing applies twice.
  BOOST_REQUIRE(append_traffic(t, traffic, 150).is_ok());
  {
    Feed feed(t, nats.url());
    append_in_batches(t, traffic, 10, 10);
    require_caught_up(t, feed);
    BOOST_CHECK_GT(feed.consumer.accepted(), 0u);
    BOOST_CHECK(feed.runner->background_status().is_ok());
  }
  check_equal_to_rebuild(t);
}
