#include <boost/test/unit_test.hpp>

#include <vector>

#include "events/envelope.hpp"

using namespace rxp;
using namespace rxp::events;

namespace {
EventHeader sample_header() {
  EventHeader h;
  h.position = 42;
  h.stream_id = "record/pt-0a1b2c";
  h.version = 7;
  h.type = "RecordViewed";
  h.schema_version = 2;
  h.occurred_at_us = 1764806400123456;
  h.causation_id = "cmd-1";
  h.correlation_id = "corr-9";
  h.principal = {"usr-3", "clinician", "ses-5"};
  h.key_id = "dk-00ff";
  h.nonce.fill(0x11);
  h.prev_hash.fill(0x22);
  return h;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(envelope)

BOOST_AUTO_TEST_CASE(header_round_trips_exactly) {
  EventHeader h = sample_header();
  Bytes b = encode_header(h);
  auto back = decode_header(b);
  BOOST_REQUIRE(back.is_ok());
  BOOST_CHECK(back.value() == h);
  BOOST_CHECK(encode_header(back.value()) == b);
}

BOOST_AUTO_TEST_CASE(every_truncation_and_any_trailing_byte_is_refused) {
  Bytes b = encode_header(sample_header());
  for (size_t n = 0; n < b.size(); ++n) {
    auto r = decode_header(BytesView(b.data(), n));
    BOOST_CHECK_MESSAGE(!r.is_ok(), "truncated to " << n);
    BOOST_CHECK(r.status().code() == ErrorCode::kCorruption);
  }
  b.push_back(0);
  BOOST_CHECK(!decode_header(b).is_ok());
}

BOOST_AUTO_TEST_CASE(clear_header_refuses_anything_but_opaque_ids) {
  // Names, e-mail addresses, dates with spaces, clinical text: none may appear in the clear.
  for (std::string bad : std::vector<std::string>{"Jane Doe", "jane@example.org", "warfarin 5 mg", "1961-04-12 ", "a/b",
                          std::string(65, 'x'), "é"}) {
    EventHeader h = sample_header();
    h.principal.user_id = bad;
    BOOST_CHECK_MESSAGE(!validate_header(h).is_ok(), "accepted user_id '" << bad << "'");
    h = sample_header();
    h.correlation_id = bad;
    BOOST_CHECK(!validate_header(h).is_ok());
  }
  EventHeader h = sample_header();
  h.principal.role = "surgeon";
  BOOST_CHECK(!validate_header(h).is_ok());
  h = sample_header();
  h.stream_id = "record/Jane Doe";
  BOOST_CHECK(!validate_header(h).is_ok());
  h = sample_header();
  h.stream_id = "Record/abc";
  BOOST_CHECK(!validate_header(h).is_ok());
  h = sample_header();
  h.type = "record viewed";
  BOOST_CHECK(!validate_header(h).is_ok());
  BOOST_CHECK(validate_header(sample_header()).is_ok());
}

BOOST_AUTO_TEST_CASE(chain_hash_depends_on_every_input_byte) {
  Bytes header = encode_header(sample_header());
  Bytes ct(64, 0x5a);
  Hash h0 = chain_hash(header, ct);
  for (size_t i = 0; i < header.size(); ++i) {
    header[i] ^= 1;
    BOOST_CHECK(chain_hash(header, ct) != h0);
    header[i] ^= 1;
  }
  for (size_t i = 0; i < ct.size(); ++i) {
    ct[i] ^= 1;
    BOOST_CHECK(chain_hash(header, ct) != h0);
    ct[i] ^= 1;
  }
  // Moving a byte across the header/ciphertext boundary changes the hash too.
  Bytes header2(header.begin(), header.end() - 1);
  Bytes ct2 = ct;
  ct2.insert(ct2.begin(), header.back());
  BOOST_CHECK(chain_hash(header2, ct2) != h0);
}

BOOST_AUTO_TEST_SUITE_END()
