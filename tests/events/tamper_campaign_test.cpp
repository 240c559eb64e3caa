// Tamper campaign against the whole store: seeded random single mutations of the SQLite file
// (a bit flipped in any column of any events or deks row, a row deleted, two rows swapped, a
// forged row inserted), each on a fresh copy of one signed, checkpointed log, must be found by
// verify_log; a truncated tail and a history rewritten with new consistent chains by someone
// holding the keys pass verify_log by construction and must be found through the checkpoint
// exported to a witness (check_witness). Inclusion proofs from the intact log hold for the
// intact leaves and fail for mutated ones.
//
// Not covered here (by design): snapshots (a replaceable cache, not part of the log), rows of
// shredded_streams (the campaign log shreds nothing), forged DEK rows no event uses, and
// deleting the newest events after the last witnessed checkpoint (nothing outside the store
// has seen them yet).
#define BOOST_TEST_MODULE tamper_campaign
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <map>
#include <random>

#include "events/checkpoint.hpp"
#include "events/verify.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::testkit::one;
using rxp::testkit::TempDir;
using rxp::testkit::TestLog;

namespace {

// The attacker's own connection to a copy of the store file.
class Sql {
 public:
  explicit Sql(const std::string& path) { BOOST_REQUIRE_EQUAL(sqlite3_open(path.c_str(), &db_), SQLITE_OK); }
  ~Sql() { sqlite3_close(db_); }
  bool exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }
  std::vector<int64_t> rowids(const std::string& table) {
    std::vector<int64_t> out;
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, ("SELECT rowid FROM " + table + " ORDER BY rowid").c_str(), -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) out.push_back(sqlite3_column_int64(s, 0));
    sqlite3_finalize(s);
    return out;
  }
  // A column's value as (type, bytes or integer).
  struct Value {
    int type = SQLITE_NULL;
    Bytes bytes;
    int64_t integer = 0;
  };
  Value get(const std::string& table, const std::string& column, int64_t rowid) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, ("SELECT " + column + " FROM " + table + " WHERE rowid=?1").c_str(), -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, rowid);
    Value v;
    if (sqlite3_step(s) == SQLITE_ROW) {
      v.type = sqlite3_column_type(s, 0);
      if (v.type == SQLITE_INTEGER) {
        v.integer = sqlite3_column_int64(s, 0);
      } else {
        auto p = static_cast<const uint8_t*>(sqlite3_column_blob(s, 0));
        v.bytes.assign(p, p + sqlite3_column_bytes(s, 0));
      }
    }
    sqlite3_finalize(s);
    return v;
  }
  bool set(const std::string& table, const std::string& column, int64_t rowid, const Value& v) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, ("UPDATE " + table + " SET " + column + "=?2 WHERE rowid=?1").c_str(), -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, rowid);
    if (v.type == SQLITE_INTEGER)
      sqlite3_bind_int64(s, 2, v.integer);
    else if (v.type == SQLITE_TEXT)
      sqlite3_bind_text(s, 2, reinterpret_cast<const char*>(v.bytes.data()), static_cast<int>(v.bytes.size()), SQLITE_TRANSIENT);
    else
      sqlite3_bind_blob(s, 2, v.bytes.data(), static_cast<int>(v.bytes.size()), SQLITE_TRANSIENT);
    bool ok = sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(db_) == 1;
    sqlite3_finalize(s);
    return ok;
  }
  bool insert_event(uint64_t position, const std::string& stream, uint64_t version, const Bytes& header,
                    const Bytes& payload, const Bytes& hash) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, "INSERT INTO events(position, stream_id, version, header, payload, hash) "
                            "VALUES(?1,?2,?3,?4,?5,?6)", -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, static_cast<int64_t>(position));
    sqlite3_bind_text(s, 2, stream.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, static_cast<int64_t>(version));
    sqlite3_bind_blob(s, 4, header.data(), static_cast<int>(header.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 5, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 6, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
    bool ok = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    return ok;
  }

 private:
  sqlite3* db_ = nullptr;
};

const std::map<std::string, std::vector<std::string>> kColumns = {
    {"events", {"position", "stream_id", "version", "header", "payload", "hash"}},
    {"deks", {"dek_id", "stream_id", "version", "kek_id", "wrapped", "created_at"}},
};

DomainEvent nth_event(int i, const std::string& flavour) {
  if (i % 3 == 0) return RecordViewed{"medications", "treatment"};
  return MedicationAdded{"med-" + std::to_string(i), flavour, "5 mg", "oral", "daily", "2026-01-01", "", false};
}

// Appends `count` events over four streams, a checkpoint every 12.
void append_events(EventLog& log, Checkpointer& cp, int first, int count, const std::string& flavour) {
  for (int i = first; i < first + count; ++i) {
    BOOST_REQUIRE(log.append(one("record/p" + std::to_string(i % 4), nth_event(i, flavour))).is_ok());
    if ((i + 1) % 12 == 0) BOOST_REQUIRE(cp.checkpoint_now().is_ok());
  }
}

// The campaign's log: 48 events with checkpoints, a witness exported, 10 more events and a
// last checkpoint after it (so the witness covers a proper prefix).
struct Golden {
  TestLog t;
  WitnessCheckpoint witness;
  std::vector<MerkleHash> leaves;
  uint64_t head = 0;
  Golden() {
    BOOST_REQUIRE(t.keys->ensure_signing_key().is_ok());
    Checkpointer cp(*t.log, *t.keys, t.clock);
    append_events(*t.log, cp, 0, 48, "warfarin");
    auto w = export_checkpoint(*t.log, *t.keys);
    BOOST_REQUIRE(w.is_ok());
    witness = *w;
    append_events(*t.log, cp, 48, 10, "warfarin");
    BOOST_REQUIRE(cp.checkpoint_now().is_ok());
    auto l = read_leaf_hashes(t.log->store());
    BOOST_REQUIRE(l.is_ok());
    leaves = *l;
    head = leaves.size();
    t.close();  // the store file is complete on disk (WAL folded in on the last close)
  }
};

struct Outcome {
  bool verify_failed = false;
  std::string verify_reason;
  bool witness_failed = false;
  std::string witness_reason;
};

Outcome check_store(const std::string& db, const std::string& key_path, const WitnessCheckpoint& w) {
  Outcome o;
  auto keys = KeyRing::open(key_path);
  BOOST_REQUIRE(keys.is_ok());
  SqliteOptions so;
  so.path = db;
  auto store = open_sqlite_store(so);
  if (!store) {
    o.verify_failed = o.witness_failed = true;
    o.verify_reason = o.witness_reason = store.status().to_string();
    return o;
  }
  SimulatedClock clock{1764806400000000};
  EventLog log(**store, *keys, clock);
  auto rep = verify_log(log, {.physical_check = true, .threads = 1});
  o.verify_failed = !rep || !rep->ok();
  o.verify_reason = !rep ? rep.status().to_string() : rep->ok() ? "" : rep->failure->reason;
  auto wr = check_witness(log, w);
  o.witness_failed = !wr || !wr->ok();
  o.witness_reason = !wr ? wr.status().to_string() : wr->ok() ? "" : *wr->failure;
  return o;
}

std::string fresh_copy(const Golden& g, const TempDir& work, int n) {
  std::string path = work.path() + "/m" + std::to_string(n) + ".db";
  std::filesystem::copy_file(g.t.db_path(), path, std::filesystem::copy_options::overwrite_existing);
  return path;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_intact_log_verifies_with_its_checkpoints_and_witness) {
  Golden g;
  Outcome o = check_store(g.t.db_path(), g.t.key_path(), g.witness);
  BOOST_CHECK_MESSAGE(!o.verify_failed, o.verify_reason);
  BOOST_CHECK_MESSAGE(!o.witness_failed, o.witness_reason);
  BOOST_CHECK_EQUAL(g.witness.checkpoint.tree_size, 48u + 3u);  // 48 events + 3 checkpoints before it
  // Inclusion proofs from the intact log: every event of the witnessed tree, against its root.
  auto tree = std::span<const MerkleHash>(g.leaves).first(g.witness.checkpoint.tree_size);
  for (uint64_t i = 0; i < tree.size(); ++i)
    BOOST_CHECK(verify_inclusion(i, tree.size(), tree[i], inclusion_proof(tree, i), g.witness.checkpoint.root));
}

BOOST_AUTO_TEST_CASE(random_single_mutations_are_all_detected_by_verify) {
  Golden g;
  TempDir work;
  const uint64_t witnessed = g.witness.checkpoint.tree_size;
  auto tree = std::span<const MerkleHash>(g.leaves).first(witnessed);
  std::mt19937_64 rng(20261205);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  std::map<std::string, int> done;
  for (int n = 0; n < 600; ++n) {
    std::string db = fresh_copy(g, work, n % 4);
    std::string what;
    uint64_t flipped_position = 0;
    bool applied = false;
    {
      Sql sql(db);
      uint64_t kind = pick(4);
      std::string table = pick(3) == 0 ? "deks" : "events";
      auto rows = sql.rowids(table);
      BOOST_REQUIRE_GE(rows.size(), 2u);
      if (kind == 0) {  // one bit of one column of one row
        const auto& cols = kColumns.at(table);
        std::string column = cols[pick(cols.size())];
        int64_t row = rows[pick(rows.size())];
        Sql::Value v = sql.get(table, column, row);
        if (v.type == SQLITE_INTEGER) {
          v.integer ^= int64_t{1} << pick(40);
        } else if (!v.bytes.empty()) {
          size_t at = pick(v.bytes.size());
          int bit = static_cast<int>(pick(v.type == SQLITE_TEXT ? 6 : 8));
          v.bytes[at] ^= static_cast<uint8_t>(1u << bit);
        }
        applied = sql.set(table, column, row, v);
        what = "flip " + table + "." + column + " row " + std::to_string(row);
        if (table == "events" && (column == "header" || column == "payload")) flipped_position = static_cast<uint64_t>(row);
      } else if (kind == 1) {  // delete a row (not the newest event: nothing could notice that)
        int64_t row = rows[pick(rows.size() - (table == "events" ? 1 : 0))];
        applied = sql.exec("DELETE FROM " + table + " WHERE rowid=" + std::to_string(row));
        what = "delete " + table + " row " + std::to_string(row);
      } else if (kind == 2) {  // swap two rows
        int64_t a = rows[pick(rows.size())], b = rows[pick(rows.size())];
        if (a == b) continue;
        if (table == "events" && pick(2) == 0) {  // exchange their places in the log
          applied = sql.exec("UPDATE events SET position=-1 WHERE position=" + std::to_string(a)) &&
                    sql.exec("UPDATE events SET position=" + std::to_string(a) + " WHERE position=" + std::to_string(b)) &&
                    sql.exec("UPDATE events SET position=" + std::to_string(b) + " WHERE position=-1");
          what = "swap events rows " + std::to_string(a) + "," + std::to_string(b);
        } else {  // exchange their sealed contents
          std::vector<std::string> cols = table == "events" ? std::vector<std::string>{"header", "payload", "hash"}
                                                            : std::vector<std::string>{"wrapped"};
          applied = true;
          for (const auto& c : cols) {
            Sql::Value va = sql.get(table, c, a), vb = sql.get(table, c, b);
            applied = applied && sql.set(table, c, a, vb) && sql.set(table, c, b, va);
          }
          what = "swap " + table + " contents " + std::to_string(a) + "," + std::to_string(b);
        }
      } else {  // forge an event after the head from a stored one
        auto events = sql.rowids("events");
        int64_t src = events[pick(events.size())];
        Bytes header = sql.get("events", "header", src).bytes, payload = sql.get("events", "payload", src).bytes;
        auto h = decode_header(header);
        BOOST_REQUIRE(h.is_ok());
        uint64_t position = static_cast<uint64_t>(events.back()) + 1;
        if (pick(2) == 0) {
          // A plain copy under the next position.
          applied = sql.insert_event(position, h->stream_id, h->version + 1000, header, payload,
                                     sql.get("events", "hash", src).bytes);
          what = "forged copy of row " + std::to_string(src);
        } else {
          // A well-formed header that links to nothing real, re-hashed: only the AEAD can tell.
          EventHeader f = *h;
          f.position = position;
          f.version = h->version + 1000;
          Bytes fh = encode_header(f);
          Hash fhash = chain_hash(fh, payload);
          applied = sql.insert_event(position, f.stream_id, f.version, fh, payload, Bytes(fhash.begin(), fhash.end()));
          what = "forged re-hashed event from row " + std::to_string(src);
        }
      }
    }
    if (!applied) continue;  // a constraint refused it (e.g. a flipped key collided): not a mutation
    Outcome o = check_store(db, g.t.key_path(), g.witness);
    BOOST_CHECK_MESSAGE(o.verify_failed, what << " was not detected by verify");
    ++done[what.substr(0, what.find(' '))];
    if (flipped_position != 0 && flipped_position <= witnessed) {
      // The intact proof holds for the intact leaf only.
      Sql sql(db);
      Bytes header = sql.get("events", "header", static_cast<int64_t>(flipped_position)).bytes;
      Bytes payload = sql.get("events", "payload", static_cast<int64_t>(flipped_position)).bytes;
      MerkleHash bad_leaf = event_leaf_hash(flipped_position, chain_hash(header, payload));
      auto proof = inclusion_proof(tree, flipped_position - 1);
      BOOST_CHECK(verify_inclusion(flipped_position - 1, witnessed, tree[flipped_position - 1], proof, g.witness.checkpoint.root));
      BOOST_CHECK(!verify_inclusion(flipped_position - 1, witnessed, bad_leaf, proof, g.witness.checkpoint.root));
    }
  }
  for (const auto& [kind, count] : done) BOOST_TEST_MESSAGE(kind << ": " << count);
  BOOST_CHECK_GE(done["flip"], 100);
  BOOST_CHECK_GE(done["delete"], 50);
  BOOST_CHECK_GE(done["swap"], 50);
  BOOST_CHECK_GE(done["forged"], 50);
}

BOOST_AUTO_TEST_CASE(a_truncated_tail_is_detected_through_the_witness) {
  Golden g;
  TempDir work;
  const uint64_t witnessed = g.witness.checkpoint.tree_size;
  for (uint64_t keep = 0; keep < witnessed; ++keep) {
    std::string db = fresh_copy(g, work, 0);
    {
      Sql sql(db);
      BOOST_REQUIRE(sql.exec("DELETE FROM events WHERE position > " + std::to_string(keep)));
    }
    Outcome o = check_store(db, g.t.key_path(), g.witness);
    BOOST_CHECK_MESSAGE(o.witness_failed, "truncation to " << keep << " events passed the witness");
    BOOST_CHECK_MESSAGE(o.witness_reason.find("truncated") != std::string::npos, o.witness_reason);
  }
  // Truncating only what came after the witnessed checkpoint is not a lie the witness can see.
  std::string db = fresh_copy(g, work, 1);
  {
    Sql sql(db);
    BOOST_REQUIRE(sql.exec("DELETE FROM events WHERE position > " + std::to_string(witnessed)));
  }
  BOOST_CHECK(!check_store(db, g.t.key_path(), g.witness).witness_failed);
}

BOOST_AUTO_TEST_CASE(a_history_rewritten_with_consistent_chains_is_detected_through_the_witness) {
  Golden g;
  std::mt19937_64 rng(8);
  for (int round = 0; round < 6; ++round) {
    // The attacker holds the key file: a new store, the same keys, every chain and checkpoint
    // consistent. One event in the witnessed range says something else (or nothing does,
    // and only the re-sealing differs).
    TempDir dir;
    std::filesystem::copy_file(g.t.key_path(), dir.path() + "/rxportal.key");
    std::filesystem::permissions(dir.path() + "/rxportal.key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    {
      auto keys = KeyRing::open(dir.path() + "/rxportal.key");
      BOOST_REQUIRE(keys.is_ok());
      SqliteOptions so;
      so.path = dir.path() + "/events.db";
      so.create_if_missing = true;
      auto store = open_sqlite_store(so);
      BOOST_REQUIRE(store.is_ok());
      SimulatedClock clock{1764806400000000};
      EventLog log(**store, *keys, clock);
      Checkpointer cp(log, *keys, clock);
      int changed = round == 0 ? -1 : static_cast<int>(rng() % 48);
      for (int i = 0; i < 58 + round; ++i) {
        std::string flavour = i == changed ? "acenocoumarol" : "warfarin";
        BOOST_REQUIRE(log.append(one("record/p" + std::to_string(i % 4), nth_event(i, flavour))).is_ok());
        if ((i + 1) % 12 == 0) BOOST_REQUIRE(cp.checkpoint_now().is_ok());
      }
      BOOST_REQUIRE(cp.checkpoint_now().is_ok());
    }
    Outcome o = check_store(dir.path() + "/events.db", dir.path() + "/rxportal.key", g.witness);
    BOOST_CHECK_MESSAGE(!o.verify_failed, "the rewrite should be internally consistent: " << o.verify_reason);
    BOOST_CHECK_MESSAGE(o.witness_failed, "rewrite round " << round << " passed the witness");
    BOOST_CHECK_MESSAGE(o.witness_reason.find("rewritten") != std::string::npos, o.witness_reason);
  }
}

BOOST_AUTO_TEST_CASE(a_forged_or_altered_witness_file_is_refused) {
  Golden g;
  WitnessCheckpoint w = g.witness;
  w.checkpoint.tree_size -= 1;  // the signature no longer covers it
  BOOST_CHECK(check_store(g.t.db_path(), g.t.key_path(), w).witness_failed);
  w = g.witness;
  w.checkpoint.root[3] ^= 1;
  BOOST_CHECK(check_store(g.t.db_path(), g.t.key_path(), w).witness_failed);
  auto parsed = witness_from_json(witness_to_json(g.witness));
  BOOST_REQUIRE(parsed.is_ok());
  BOOST_CHECK(parsed->checkpoint == g.witness.checkpoint);
  BOOST_CHECK(!witness_from_json("{\"format\":\"rxportal-checkpoint-v1\",\"tree_size\":-1}").is_ok());
  BOOST_CHECK(!witness_from_json("not json").is_ok());
}
