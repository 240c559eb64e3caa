// The JetStream feed's frame (pure): a stored event round-trips byte for byte; every kind of
// malformed or inconsistent frame is refused with kCorruption (never a crash, never accepted).
#define BOOST_TEST_MODULE feed_frame_test
#include <boost/test/unit_test.hpp>

#include "projections/feed_frame.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;

namespace {

events::RawEvent stored_event(testkit::TestLog& t) {
  auto r = t.log->append(testkit::one("record/pt-frame", events::RecordViewed{"medications", "treatment"}));
  BOOST_REQUIRE(r);
  auto rows = t.store->read_all(1, 1);
  BOOST_REQUIRE(rows && rows->size() == 1);
  return (*rows)[0];
}

void check_refused(const Bytes& frame) {
  auto e = projections::decode_feed_frame(frame);
  BOOST_REQUIRE(!e);
  BOOST_CHECK(e.status().code() == ErrorCode::kCorruption);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_stored_event_round_trips) {
  testkit::TestLog t;
  events::RawEvent s = stored_event(t);
  auto e = projections::decode_feed_frame(projections::encode_feed_frame(s));
  BOOST_REQUIRE(e);
  BOOST_CHECK_EQUAL(e->position, s.position);
  BOOST_CHECK_EQUAL(e->stream_id, s.stream_id);
  BOOST_CHECK_EQUAL(e->version, s.version);
  BOOST_CHECK(e->header_bytes == s.header_bytes);
  BOOST_CHECK(e->ciphertext == s.ciphertext);
  BOOST_CHECK(e->hash == s.hash);
}

BOOST_AUTO_TEST_CASE(malformed_frames_are_refused) {
  testkit::TestLog t;
  events::RawEvent s = stored_event(t);
  const Bytes good = projections::encode_feed_frame(s);
  check_refused({});
  check_refused(Bytes{'R', 'X', 'F'});
  Bytes magic = good;
  magic[3] = '2';
  check_refused(magic);
  for (size_t cut = 1; cut < good.size(); cut += 7) check_refused(Bytes(good.begin(), good.end() - static_cast<long>(cut)));
  Bytes trailing = good;
  trailing.push_back(0);
  check_refused(trailing);
  Bytes huge_length = good;  // the stream id length claims more bytes than there are
  huge_length[20] = 0xff;
  huge_length[21] = 0xff;
  check_refused(huge_length);
  check_refused(Bytes(projections::kMaxFeedFrame + 1, 'R'));
}

BOOST_AUTO_TEST_CASE(inconsistent_frames_are_refused) {
  testkit::TestLog t;
  events::RawEvent s = stored_event(t);
  events::RawEvent e = s;
  e.position += 1;  // the header still says the original position
  check_refused(projections::encode_feed_frame(e));
  e = s;
  e.version += 1;
  check_refused(projections::encode_feed_frame(e));
  e = s;
  e.stream_id = "record/pt-other";
  check_refused(projections::encode_feed_frame(e));
  e = s;
  e.ciphertext[0] ^= 1;  // hash no longer matches
  check_refused(projections::encode_feed_frame(e));
  e = s;
  e.header_bytes[e.header_bytes.size() / 2] ^= 0x55;
  check_refused(projections::encode_feed_frame(e));
  e = s;
  e.hash.resize(31);  // a short hash shifts the framing
  check_refused(projections::encode_feed_frame(e));
}
