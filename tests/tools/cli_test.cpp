// End-to-end tests of the rxportal command line (DESIGN.md, "The command line"): each case runs
// the real binary (RXPORTAL_BIN) in a temporary data directory and checks the exit-code contract
// (0 ok, 1 failure, 2 usage, 3 integrity), the one-line stderr messages and the output formats.
#define BOOST_TEST_MODULE cli_test
#include <sqlite3.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testkit/testkit.hpp"
#include "tests/tools/cli_helpers.hpp"

namespace {

using namespace rxp::clitest;

using rxp::testkit::CommandResult;
using rxp::testkit::TempDir;
namespace fs = std::filesystem;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// True when `s` holds a run of at least `n` hex digits (key material would look like that).
bool HasHexRun(const std::string& s, size_t n) {
  size_t run = 0;
  for (unsigned char c : s) {
    run = std::isxdigit(c) ? run + 1 : 0;
    if (run >= n) return true;
  }
  return false;
}

// A failure message per DESIGN.md: exactly one line, prefixed, and no crash or stack trace.
void CheckOneLineError(const CommandResult& r) {
  BOOST_TEST_CONTEXT(Describe(r)) {
    BOOST_TEST(!r.err.empty());
    BOOST_TEST(Lines(r.err).size() == 1u);
    BOOST_TEST(r.err.back() == '\n');
    BOOST_TEST(r.err.rfind("rxportal: ", 0) == 0u);
    BOOST_TEST(!Contains(r.err, "terminate called"));
    BOOST_TEST(!Contains(r.err, "what()"));
    BOOST_TEST(!Contains(r.err, "Aborted"));
  }
}

// Checks exit code 2 and that stderr names the offending argument.
void CheckUsage(const CommandResult& r, const std::string& names) {
  BOOST_TEST_CONTEXT(Describe(r)) {
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(Contains(r.err, names), "stderr should name " << names);
    CheckOneLineError(r);
  }
}

std::vector<nlohmann::json> ParseJsonLines(const std::string& out) {
  std::vector<nlohmann::json> v;
  for (const auto& line : Lines(out)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    BOOST_TEST_CONTEXT("line: " << line) {
      BOOST_TEST(j.is_object(), "each line must be one JSON object");
    }
    v.push_back(std::move(j));
  }
  return v;
}

struct KekLine {
  std::string id;
  std::string hex;
};

std::vector<KekLine> ReadKekLines(const std::string& key_file) {
  std::ifstream f(key_file);
  std::vector<KekLine> keks;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("kek ", 0) != 0) continue;
    std::istringstream in(line);
    std::string word;
    KekLine k;
    in >> word >> k.id >> k.hex;
    keks.push_back(k);
  }
  return keks;
}

// A data directory initialised with `rxportal init --demo`.
struct DemoDir {
  DemoDir() : data(tmp.path() + "/data") {
    CommandResult r = Rx("init --data " + Quote(data) + " --demo");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "init --demo: " << Describe(r));
  }
  std::string key() const { return data + "/rxportal.key"; }
  std::string db() const { return data + "/events.db"; }
  std::string arg() const { return "--data " + Quote(data); }

  // Replays everything and requires success.
  std::vector<nlohmann::json> Replay(const std::string& extra = "") const {
    CommandResult r = Rx("replay " + arg() + extra);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "replay: " << Describe(r));
    return ParseJsonLines(r.out);
  }

  TempDir tmp;
  std::string data;
};

// Flips one byte of the `payload` column of the row at `position`.
void FlipPayloadByte(const std::string& db_path, int64_t position) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* sel = nullptr;
  BOOST_REQUIRE(sqlite3_prepare_v2(db, "SELECT payload FROM events WHERE position = ?1", -1, &sel,
                                   nullptr) == SQLITE_OK);
  sqlite3_bind_int64(sel, 1, position);
  BOOST_REQUIRE(sqlite3_step(sel) == SQLITE_ROW);
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(sel, 0));
  std::vector<unsigned char> payload(p, p + sqlite3_column_bytes(sel, 0));
  sqlite3_finalize(sel);
  BOOST_REQUIRE(payload.size() > 8u);
  payload[payload.size() / 2] ^= 0x01;

  sqlite3_stmt* upd = nullptr;
  BOOST_REQUIRE(sqlite3_prepare_v2(db, "UPDATE events SET payload = ?1 WHERE position = ?2", -1,
                                   &upd, nullptr) == SQLITE_OK);
  sqlite3_bind_blob(upd, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(upd, 2, position);
  BOOST_REQUIRE(sqlite3_step(upd) == SQLITE_DONE);
  sqlite3_finalize(upd);
  BOOST_REQUIRE(sqlite3_changes(db) == 1);
  BOOST_REQUIRE(sqlite3_close(db) == SQLITE_OK);
}

}  // namespace

BOOST_AUTO_TEST_CASE(init_creates_private_key_and_store_then_verifies) {
  DemoDir d;
  BOOST_TEST(fs::is_regular_file(d.key()));
  BOOST_TEST(fs::is_regular_file(d.db()));
  struct stat st {};
  BOOST_REQUIRE(::stat(d.key().c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u, "key file mode is " << std::oct << (st.st_mode & 0777));

  size_t events_before = d.Replay().size();
  // A second init must refuse the directory and name --data; the store stays intact.
  CheckUsage(Rx("init " + d.arg()), "--data");
  CheckUsage(Rx("init " + d.arg() + " --demo"), "--data");

  CommandResult v = Rx("verify " + d.arg());
  BOOST_TEST_CONTEXT(Describe(v)) {
    BOOST_TEST(v.exit_code == 0);
    BOOST_TEST(v.out.rfind("ok:", 0) == 0u);
    BOOST_TEST(v.err.empty());
  }
  BOOST_TEST(d.Replay().size() == events_before, "a second init adds no events");

  // The demo population: one person per role, credentials in a private file, secrets never
  // in the replay.
  std::string creds_path = d.data + "/demo-credentials.json";
  BOOST_REQUIRE(::stat(creds_path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  std::ifstream f(creds_path);
  auto creds = nlohmann::json::parse(f);
  BOOST_REQUIRE(creds.is_array());
  std::multiset<std::string> roles;
  for (const auto& p : creds) {
    for (const char* k : {"role", "username", "password", "totp_secret", "user_id"})
      BOOST_TEST(p.contains(k), "missing " << k);
    roles.insert(p.at("role").get<std::string>());
    BOOST_TEST(p.contains("patient_id") == (p.at("role") == "patient"));
  }
  BOOST_TEST(roles == (std::multiset<std::string>{"admin", "auditor", "clinician", "clinician", "patient",
                                                   "patient", "pharmacist", "proxy"}));
  std::string replay = Rx("replay " + d.arg()).out;
  for (const auto& p : creds) {
    BOOST_TEST(replay.find(p.at("password").get<std::string>()) == std::string::npos);
    BOOST_TEST(replay.find(p.at("totp_secret").get<std::string>()) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(replay_prints_json_lines_and_filters) {
  DemoDir d;
  std::vector<nlohmann::json> all = d.Replay();
  BOOST_REQUIRE(all.size() >= 2u);
  std::set<std::string> streams;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& j = all[i];
    BOOST_TEST_CONTEXT("line " << i + 1 << ": " << j.dump()) {
      for (const char* k : {"position", "stream", "version", "type", "payload", "hash"})
        BOOST_TEST(j.contains(k), "missing key " << k);
      BOOST_REQUIRE(j.value("position", nlohmann::json()).is_number_unsigned());
      BOOST_TEST(j["position"].get<uint64_t>() == i + 1, "positions ascend from 1, no gaps");
      BOOST_REQUIRE(j.value("stream", nlohmann::json()).is_string());
      BOOST_TEST(j["payload"].is_object());
      BOOST_TEST(j.value("hash", std::string()).size() == 64u);
      streams.insert(j["stream"].get<std::string>());
    }
  }
  BOOST_REQUIRE(streams.size() >= 2u);  // so that the filter below can exclude something

  // --stream: only that stream, in version order.
  const std::string target = all.front()["stream"].get<std::string>();
  size_t expected = 0;
  for (const auto& j : all) expected += j["stream"] == target;
  std::vector<nlohmann::json> one = d.Replay(" --stream " + Quote(target));
  BOOST_TEST(one.size() == expected);
  for (size_t i = 0; i < one.size(); ++i) {
    BOOST_TEST(one[i].value("stream", std::string()) == target);
    BOOST_TEST(one[i].value("version", uint64_t{0}) == i + 1);
  }

  // --until before every event: nothing, and success.
  CommandResult early = Rx("replay " + d.arg() + " --until 2000-01-01T00:00:00Z");
  BOOST_TEST_CONTEXT(Describe(early)) {
    BOOST_TEST(early.exit_code == 0);
    BOOST_TEST(early.out.empty());
  }
  // --until far after every event: everything.
  BOOST_TEST(d.Replay(" --until 2999-01-01T00:00:00Z").size() == all.size());

  CheckUsage(Rx("replay " + d.arg() + " --until yesterday"), "--until");
  CommandResult bad_stream = Rx("replay " + d.arg() + " --stream 'bad id'");
  CheckUsage(bad_stream, "--stream");
  BOOST_TEST(bad_stream.out.empty());
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_naming_the_argument) {
  TempDir tmp;
  CheckUsage(Rx("verify"), "--data");
  CheckUsage(Rx("frobnicate --data " + Quote(tmp.path())), "frobnicate");
  CheckUsage(Rx(""), "subcommand");

  const std::string scratch = tmp.path() + "/bench";
  CheckUsage(Rx("bench append --data " + Quote(scratch) + " --events 0"), "--events");
  CheckUsage(Rx("bench append --data " + Quote(scratch) + " --events abc"), "--events");
  BOOST_TEST(!fs::exists(scratch), "a usage error must not create the data directory");
}

BOOST_AUTO_TEST_CASE(key_file_problems_exit_1_without_leaking_key_material) {
  DemoDir d;
  std::vector<KekLine> keks = ReadKekLines(d.key());
  BOOST_REQUIRE(keks.size() == 1u);
  const std::string hex = keks[0].hex;
  BOOST_REQUIRE(hex.size() == 64u);
  auto check_no_leak = [&](const CommandResult& r) {
    BOOST_TEST_CONTEXT(Describe(r)) {
      BOOST_TEST(!Contains(r.err, hex));
      BOOST_TEST(!Contains(r.out, hex));
      BOOST_TEST(!HasHexRun(r.err, 64));
    }
  };

  BOOST_REQUIRE(::chmod(d.key().c_str(), 0644) == 0);
  for (const char* cmd : {"verify ", "replay ", "keys rotate-kek "}) {
    CommandResult r = Rx(cmd + d.arg());
    BOOST_TEST_CONTEXT(cmd << Describe(r)) {
      BOOST_TEST(r.exit_code == 1);
      BOOST_TEST(Contains(r.err, "chmod 600"));
      BOOST_TEST(r.out.empty());
      CheckOneLineError(r);
      check_no_leak(r);
    }
  }
  // Refusing must not have "fixed" or rewritten the file behind the user's back.
  BOOST_TEST(ReadKekLines(d.key()).size() == 1u);
  BOOST_TEST(ReadKekLines(d.key())[0].hex == hex);

  BOOST_REQUIRE(::chmod(d.key().c_str(), 0600) == 0);
  BOOST_TEST(Rx("verify " + d.arg()).exit_code == 0);

  // A missing key file.
  const std::string moved = d.tmp.path() + "/moved.key";
  fs::rename(d.key(), moved);
  for (const char* cmd : {"verify ", "replay "}) {
    CommandResult r = Rx(cmd + d.arg());
    BOOST_TEST_CONTEXT(cmd << Describe(r)) {
      BOOST_TEST(r.exit_code == 1);
      BOOST_TEST(Contains(r.err, "rxportal.key"));
      CheckOneLineError(r);
      check_no_leak(r);
    }
  }
  BOOST_TEST(!fs::exists(d.key()), "verify must not create a key file");
}

BOOST_AUTO_TEST_CASE(tampered_payload_is_an_integrity_failure_at_its_position) {
  DemoDir d;
  FlipPayloadByte(d.db(), 3);

  CommandResult v = Rx("verify " + d.arg());
  BOOST_TEST_CONTEXT(Describe(v)) {
    BOOST_TEST(v.exit_code == 3);
    BOOST_TEST(Contains(v.err, "position 3"));
    BOOST_TEST(!Contains(v.out, "ok:"));
    CheckOneLineError(v);
  }

  CommandResult r = Rx("replay " + d.arg());
  BOOST_TEST_CONTEXT(Describe(r)) {
    BOOST_TEST(r.exit_code == 3);
    CheckOneLineError(r);
    // Nothing at or after the bad event is printed.
    for (const auto& j : ParseJsonLines(r.out)) BOOST_TEST(j.value("position", 0) < 3);
  }
}

BOOST_AUTO_TEST_CASE(corrupt_database_fails_with_one_line_and_no_crash) {
  DemoDir d;
  std::mt19937 rng(20261204);
  std::string junk(4096, '\0');
  for (char& c : junk) c = static_cast<char>(rng() & 0xff);
  {
    std::ofstream f(d.db(), std::ios::binary | std::ios::trunc);
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    BOOST_REQUIRE(f.good());
  }
  fs::remove(d.db() + "-wal");
  fs::remove(d.db() + "-shm");

  for (const char* cmd : {"verify ", "replay ", "keys rotate-kek "}) {
    CommandResult r = Rx(cmd + d.arg());
    BOOST_TEST_CONTEXT(cmd << Describe(r)) {
      BOOST_TEST((r.exit_code == 3 || r.exit_code == 1));
      CheckOneLineError(r);
      BOOST_TEST(r.out.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(key_rotation_and_shredding) {
  DemoDir d;
  std::vector<KekLine> before = ReadKekLines(d.key());
  BOOST_REQUIRE(before.size() == 1u);

  CommandResult kek = Rx("keys rotate-kek " + d.arg());
  BOOST_TEST_CONTEXT(Describe(kek)) {
    BOOST_TEST(kek.exit_code == 0);
    BOOST_TEST(!HasHexRun(kek.out + kek.err, 64));
  }
  std::vector<KekLine> after = ReadKekLines(d.key());
  BOOST_REQUIRE(after.size() == 1u);
  BOOST_TEST(after[0].id != before[0].id);
  BOOST_TEST(after[0].hex != before[0].hex);
  BOOST_TEST(Contains(kek.out, after[0].id));
  struct stat st {};
  BOOST_REQUIRE(::stat(d.key().c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u, "rewritten key file must stay 0600");
  BOOST_TEST(Rx("verify " + d.arg()).exit_code == 0);

  std::vector<nlohmann::json> all = d.Replay();
  BOOST_REQUIRE(!all.empty());
  const std::string target = all.front()["stream"].get<std::string>();
  size_t target_events = 0;
  for (const auto& j : all) target_events += j["stream"] == target;

  CommandResult dek = Rx("keys rotate-dek " + Quote(target) + " " + d.arg());
  BOOST_TEST(dek.exit_code == 0, Describe(dek));
  BOOST_TEST(Rx("verify " + d.arg()).exit_code == 0);

  CommandResult shred = Rx("keys shred " + Quote(target) + " " + d.arg());
  BOOST_TEST(shred.exit_code == 0, Describe(shred));
  CommandResult v = Rx("verify " + d.arg());
  BOOST_TEST_CONTEXT(Describe(v)) {
    BOOST_TEST(v.exit_code == 0);
    BOOST_TEST(Contains(v.out, std::to_string(target_events) + " in shredded streams"));
  }

  std::vector<nlohmann::json> shredded = d.Replay();
  BOOST_TEST(shredded.size() == all.size(), "shredding keeps the chain");
  size_t seen = 0;
  for (const auto& j : shredded) {
    BOOST_TEST_CONTEXT(j.dump()) {
      const bool in_target = j.value("stream", std::string()) == target;
      seen += in_target;
      BOOST_TEST(j.value("shredded", !in_target) == in_target);
      BOOST_TEST(j.contains("payload"));
      BOOST_TEST(j.value("payload", nlohmann::json()).is_null() == in_target);
    }
  }
  BOOST_TEST(seen == target_events);

  CommandResult unknown = Rx("keys rotate-dek record/nope " + d.arg());
  BOOST_TEST_CONTEXT(Describe(unknown)) {
    BOOST_TEST(unknown.exit_code == 1);
    BOOST_TEST(Contains(unknown.err, "record/nope"));
    CheckOneLineError(unknown);
  }
  CheckUsage(Rx("keys shred 'bad id' " + d.arg()), "STREAM 'bad id'");
  BOOST_TEST(Rx("verify " + d.arg()).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(every_subcommand_has_help) {
  for (const char* sub :
       {"", "init", "verify", "replay", "keys", "keys rotate-kek", "keys rotate-dek", "keys shred",
        "bench", "bench append", "bench replay"}) {
    CommandResult r = Rx(std::string(sub) + " --help");
    BOOST_TEST_CONTEXT("rxportal " << sub << " --help: " << Describe(r)) {
      BOOST_TEST(r.exit_code == 0);
      BOOST_TEST(!r.out.empty());
      BOOST_TEST(r.err.empty());
    }
  }
}

// The benchmarks are not timed here; this checks that they run the real path end to end and
// print the JSON keys BENCHMARKS.md and scripts rely on.
BOOST_AUTO_TEST_CASE(benchmarks_print_one_json_object_with_their_figures) {
  TempDir tmp;
  std::string dir = tmp.path() + "/bench";
  CommandResult append = Rx("bench append --data " + dir + " --events 600 --batch 64 --json");
  BOOST_TEST_CONTEXT(Describe(append)) {
    BOOST_REQUIRE(append.exit_code == 0);
    auto j = nlohmann::json::parse(append.out);
    for (const char* key : {"events_per_s", "baseline_per_s", "ratio"}) BOOST_TEST(j.contains(key));
    BOOST_TEST(j["events"].get<int>() == 600);
    BOOST_TEST(j["ratio"].get<double>() > 0.0);
  }
  CommandResult again = Rx("bench append --data " + dir + " --events 10");
  BOOST_TEST(again.exit_code == 2);  // never appends into an existing store
  CommandResult replay = Rx("bench replay --data " + dir + " --json");
  BOOST_TEST_CONTEXT(Describe(replay)) {
    BOOST_REQUIRE(replay.exit_code == 0);
    auto j = nlohmann::json::parse(replay.out);
    BOOST_TEST(j["events"].get<int>() == 600);
    for (const char* key : {"events_per_s", "baseline_per_s", "ratio"}) BOOST_TEST(j.contains(key));
  }
  BOOST_TEST(Rx("verify --data " + dir).exit_code == 0);
}
