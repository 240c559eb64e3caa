// Tamper campaign on the stored log: every single-byte mutation of an event's header
// (including its previous-hash field), ciphertext and hash must be found by verify, at that
// event's position. Mutations are made with a separate SQLite connection, as an attacker with
// write access to the file would.
#define BOOST_TEST_MODULE tamper
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>

#include "events/verify.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::testkit::one;
using rxp::testkit::TestLog;

namespace {

class Attacker {
 public:
  explicit Attacker(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~Attacker() { sqlite3_close(db_); }

  Bytes get(const char* column, uint64_t position) {
    std::string sql = std::string("SELECT ") + column + " FROM events WHERE position=?1";
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, static_cast<int64_t>(position));
    Bytes out;
    if (sqlite3_step(s) == SQLITE_ROW) {
      auto p = static_cast<const uint8_t*>(sqlite3_column_blob(s, 0));
      out.assign(p, p + sqlite3_column_bytes(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  }

  void set(const char* column, uint64_t position, const Bytes& value) {
    std::string sql = std::string("UPDATE events SET ") + column + "=?2 WHERE position=?1";
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, static_cast<int64_t>(position));
    sqlite3_bind_blob(s, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    BOOST_REQUIRE_EQUAL(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
  }

 private:
  sqlite3* db_ = nullptr;
};

// A small log: three streams interleaved, so a mutation in one stream has neighbours.
void fill(TestLog& t) {
  for (int i = 0; i < 9; ++i) {
    std::string s = "record/p" + std::to_string(i % 3);
    BOOST_REQUIRE(t.log->append(one(s, MedicationAdded{"med-" + std::to_string(i), "warfarin",
                                                       "5 mg", "oral", "daily", "2026-01-01", "",
                                                       false})).is_ok());
  }
}

// Verify must fail, and name `position`.
void expect_detected_at(TestLog& t, uint64_t position, const std::string& what) {
  auto rep = verify_log(*t.log, {.physical_check = false});
  BOOST_REQUIRE(rep.is_ok());
  BOOST_REQUIRE_MESSAGE(!rep->ok(), what << " was not detected");
  BOOST_CHECK_MESSAGE(rep->failure->position == position,
                      what << ": reported position " << rep->failure->position << " ("
                           << rep->failure->reason << ")");
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_single_byte_mutation_is_detected_at_its_position) {
  TestLog t;
  fill(t);
  BOOST_REQUIRE(verify_log(*t.log)->ok());
  Attacker a(t.db_path());
  size_t mutations = 0;
  // First event of a stream, a middle event, and the global tail.
  for (uint64_t pos : {1u, 5u, 9u}) {
    for (const char* column : {"header", "payload", "hash"}) {
      const Bytes original = a.get(column, pos);
      BOOST_REQUIRE(!original.empty());
      for (size_t i = 0; i < original.size(); ++i) {
        for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
          Bytes m = original;
          m[i] ^= flip;
          a.set(column, pos, m);
          expect_detected_at(t, pos, std::string(column) + " byte " + std::to_string(i) +
                                         " of position " + std::to_string(pos));
          ++mutations;
        }
      }
      a.set(column, pos, original);
    }
    BOOST_REQUIRE(verify_log(*t.log)->ok());
  }
  BOOST_TEST_MESSAGE(mutations << " mutations, all detected");
  BOOST_CHECK_GT(mutations, 1000u);
}

BOOST_AUTO_TEST_CASE(previous_hash_field_mutations_are_detected) {
  // The previous hash is the last 32 bytes of the header; mutated alone (and with the event's
  // own hash recomputed so that only the link is wrong) it still fails at that position.
  TestLog t;
  fill(t);
  Attacker a(t.db_path());
  for (uint64_t pos : {4u, 7u}) {
    const Bytes header = a.get("header", pos), payload = a.get("payload", pos),
                hash = a.get("hash", pos);
    for (size_t i = header.size() - 32; i < header.size(); ++i) {
      Bytes m = header;
      m[i] ^= 0x40;
      Hash rehash = chain_hash(m, payload);
      a.set("header", pos, m);
      a.set("hash", pos, Bytes(rehash.begin(), rehash.end()));
      expect_detected_at(t, pos, "prev_hash byte " + std::to_string(i));
    }
    a.set("header", pos, header);
    a.set("hash", pos, hash);
  }
  BOOST_CHECK(verify_log(*t.log)->ok());
}

BOOST_AUTO_TEST_CASE(ciphertext_moved_to_another_stream_or_position_does_not_authenticate) {
  // The attacker has no key but knows the (unkeyed) hash function: they transplant a
  // ciphertext into the last event of another stream, or of the same stream, and recompute
  // that event's hash so the chain looks intact. Decryption must fail there.
  TestLog t;
  fill(t);
  Attacker a(t.db_path());
  // Position 9 is the tail of record/p2; 7 is p0 (other stream), 6 is p2 (same stream).
  for (uint64_t source : {7u, 6u}) {
    const Bytes header9 = a.get("header", 9), payload9 = a.get("payload", 9),
                hash9 = a.get("hash", 9);
    Bytes moved = a.get("payload", source);
    Hash rehash = chain_hash(header9, moved);
    a.set("payload", 9, moved);
    a.set("hash", 9, Bytes(rehash.begin(), rehash.end()));
    expect_detected_at(t, 9, "ciphertext of position " + std::to_string(source));
    auto rep = verify_log(*t.log, {.physical_check = false});
    BOOST_CHECK(rep->failure->reason.find("authenticate") != std::string::npos);
    a.set("payload", 9, payload9);
    a.set("hash", 9, hash9);
  }
  BOOST_CHECK(verify_log(*t.log)->ok());
}

BOOST_AUTO_TEST_CASE(deleted_or_swapped_rows_are_detected) {
  TestLog t;
  fill(t);
  {
    sqlite3* db = nullptr;
    sqlite3_open(t.db_path().c_str(), &db);
    // Swap the payload+hash of two events of the same stream.
    sqlite3_exec(db,
                 "CREATE TEMP TABLE s AS SELECT position, payload, hash FROM events WHERE position IN (1,4);"
                 "UPDATE events SET payload=(SELECT payload FROM s WHERE position=4), hash=(SELECT hash FROM s WHERE position=4) WHERE position=1;"
                 "UPDATE events SET payload=(SELECT payload FROM s WHERE position=1), hash=(SELECT hash FROM s WHERE position=1) WHERE position=4;",
                 nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  expect_detected_at(t, 1, "swapped rows");
  TestLog u;
  fill(u);
  {
    sqlite3* db = nullptr;
    sqlite3_open(u.db_path().c_str(), &db);
    sqlite3_exec(db, "DELETE FROM events WHERE position=5", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  expect_detected_at(u, 5, "deleted row 5");
}
