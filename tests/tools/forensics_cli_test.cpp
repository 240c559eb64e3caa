// Forensics commands (issue 8) run as the real binary (RXPORTAL_BIN) on the breach fixture's
// data directory (tests/projections/breach_fixture.hpp): rxportal breach-scope (usage errors
// exit 2 naming the argument; JSON and text answers; the computation recorded as an event),
// rxportal audit --actor in every combination with --patient and --from/--to and each format,
// and rxportal replay --state (record streams from the fixture; user and session streams from
// a demo directory).
#define BOOST_TEST_MODULE forensics_cli_test
#include <boost/test/unit_test.hpp>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/projections/breach_fixture.hpp"
#include "tests/tools/cli_helpers.hpp"

namespace {

using namespace rxp::clitest;
using namespace rxp::breachtest;

// The fixture's log in a data directory the binary can open (key file and store closed).
struct FixtureDir {
  FixtureDir() {
    p1_old_dek = build_breach_log(*t.log);
    t.close();
  }
  std::string arg() const { return "--data " + Quote(t.dir.path()); }
  rxp::testkit::TestLog t;
  std::string p1_old_dek;
};

const std::string kWindow = " --from 2025-12-04T00:01:40Z --to 2025-12-04T00:03:20Z";  // 100 s .. 200 s

BOOST_FIXTURE_TEST_CASE(breach_scope_usage_errors_name_the_argument, FixtureDir) {
  CheckExit(Rx("breach-scope " + arg() + kWindow), 2, "--actor");
  CheckExit(Rx("breach-scope " + arg() + kWindow + " --actor usr-a --session ses-a1"), 2, "exactly one");
  CheckExit(Rx("breach-scope " + arg() + kWindow + " --actor 'bad id'"), 2, "--actor");
  CheckExit(Rx("breach-scope " + arg() + kWindow + " --session 'x/y'"), 2, "--session");
  CheckExit(Rx("breach-scope " + arg() + " --actor usr-a --from yesterday --to 2025-12-04T00:03:20Z"), 2, "--from");
  CheckExit(Rx("breach-scope " + arg() + " --actor usr-a --from 2025-12-04T00:03:20Z --to noon"), 2, "--to");
  CheckExit(Rx("breach-scope " + arg() + " --actor usr-a --from 2025-12-04T00:03:20Z --to 2025-12-04T00:01:40Z"), 2,
            "--from");
  CheckExit(Rx("breach-scope " + arg() + " --actor usr-a --to 2025-12-04T00:03:20Z"), 2, "--from");
  CheckExit(Rx("breach-scope " + arg() + kWindow + " --actor usr-a --discovered soon"), 2, "--discovered");
  CheckExit(Rx("breach-scope " + arg() + kWindow + " --actor usr-a --format xml"), 2, "--format");
  CheckExit(Rx("breach-scope " + arg() + kWindow + " --actor usr-a --investigator 'J. Doe'"), 2, "--investigator");
  CheckExit(Rx("breach-scope " + arg() + kWindow + " --key dk-unknown"), 1, "--key");
  CheckExit(Rx("breach-scope --data /nonexistent/dir" + kWindow + " --actor usr-a"), 1, "rxportal.key");
  // A running server holds the writer's lock: the command says why it cannot record.
  int fd = ::open((t.db_path() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE_EQUAL(::flock(fd, LOCK_EX | LOCK_NB), 0);
  CheckExit(Rx("breach-scope " + arg() + kWindow + " --actor usr-a"), 1, "stop the server");
  ::close(fd);
}

BOOST_FIXTURE_TEST_CASE(breach_scope_json_answer_is_recorded, FixtureDir) {
  auto r = Rx("breach-scope " + arg() + kWindow +
              " --actor usr-a --discovered 2025-12-05T00:00:00Z --investigator usr-auditor");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  auto j = nlohmann::json::parse(r.out);
  BOOST_CHECK_EQUAL(j.at("patients").size(), 604u);
  BOOST_CHECK_EQUAL(j.at("notification_deadline").get<std::string>(), "2026-02-03T00:00:00.000000Z");
  BOOST_CHECK(j.at("states_needing_media_notice") == nlohmann::json::array({"TX"}));
  BOOST_CHECK_EQUAL(j.at("hhs_notice_within_60_days").get<bool>(), true);
  const auto& p1 = j.at("patients").at(0);
  BOOST_CHECK_EQUAL(p1.at("patient_id").get<std::string>(), "p1");
  BOOST_CHECK(p1.at("sections") == nlohmann::json::array({"medications", "pgx"}));
  BOOST_CHECK_EQUAL(p1.at("first_access").get<std::string>(), "2025-12-04T00:01:50.000000Z");
  // The computation is an event of its investigation stream.
  std::string stream = j.at("investigation").get<std::string>();
  auto replay = Rx("replay " + arg() + " --stream " + Quote(stream));
  BOOST_REQUIRE_MESSAGE(replay.exit_code == 0, Describe(replay));
  BOOST_REQUIRE_EQUAL(LineCount(replay.out), 1u);
  auto e = nlohmann::json::parse(replay.out);
  BOOST_CHECK_EQUAL(e.at("type").get<std::string>(), "BreachScopeComputed");
  BOOST_CHECK_EQUAL(e.at("principal").at("user_id").get<std::string>(), "usr-auditor");
  BOOST_CHECK_EQUAL(e.at("payload").at("unsecured_patient_ids").size(), 604u);
  BOOST_CHECK_EQUAL(rxp::testkit::run_command(Quote(rxp::testkit::rxportal_bin()) + " verify " + arg()).exit_code, 0);
}

BOOST_FIXTURE_TEST_CASE(breach_scope_text_report_for_a_key, FixtureDir) {
  auto r = Rx("breach-scope " + arg() + kWindow + " --key " + Quote(p1_old_dek) + " --format text");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  BOOST_CHECK(r.out.find("Patients: 605 (1 unsecured, 604 secured)") != std::string::npos);
  BOOST_CHECK(r.out.find("p1  state MA  UNSECURED") != std::string::npos);
  BOOST_CHECK(r.out.find("p2  state MA  secured") != std::string::npos);
  BOOST_CHECK(r.out.find("Media notice: none") != std::string::npos);
  BOOST_CHECK(r.out.find("Recorded as investigation/inv-") != std::string::npos);
}

// The audit lines' (position, user) pairs.
std::vector<std::pair<uint64_t, std::string>> Who(const std::string& out) {
  std::vector<std::pair<uint64_t, std::string>> v;
  for (const auto& line : Lines(out)) {
    auto j = nlohmann::json::parse(line);
    v.emplace_back(j.at("position").get<uint64_t>(), j.at("principal").at("user_id").get<std::string>());
  }
  return v;
}

size_t CountBy(const std::string& out, const std::string& user) {
  size_t n = 0;
  for (const auto& [pos, u] : Who(out)) n += u == user ? 1 : 0;
  return n;
}

BOOST_FIXTURE_TEST_CASE(audit_actor_in_every_combination, FixtureDir) {
  // --actor alone: usr-b viewed p1 at 150 and broke the glass on p5 at 155.
  auto b = Rx("audit " + arg() + " --actor usr-b");
  BOOST_REQUIRE_MESSAGE(b.exit_code == 0, Describe(b));
  BOOST_CHECK_EQUAL(LineCount(b.out), 2u);
  BOOST_CHECK_EQUAL(CountBy(b.out, "usr-b"), 2u);
  // --actor --patient: usr-a on p3 was denied at 130 and added a medication at 140.
  auto a3 = Rx("audit " + arg() + " --actor usr-a --patient p3");
  BOOST_REQUIRE_MESSAGE(a3.exit_code == 0, Describe(a3));
  BOOST_CHECK_EQUAL(LineCount(a3.out), 2u);
  BOOST_CHECK_EQUAL(CountBy(a3.out, "usr-a"), 2u);
  // --actor --patient --from --to: usr-a on p1 in the window: 110 and 160 (not 50).
  auto a1 = Rx("audit " + arg() + " --actor usr-a --patient p1" + kWindow);
  BOOST_REQUIRE_MESSAGE(a1.exit_code == 0, Describe(a1));
  BOOST_CHECK_EQUAL(LineCount(a1.out), 2u);
  auto a1_all = Rx("audit " + arg() + " --actor usr-a --patient p1");
  BOOST_CHECK_EQUAL(LineCount(a1_all.out), 3u);
  // --actor --from --to: usr-a in the window: p1 x2, p2, p3 x2, p4 and the 600 Texans.
  auto aw = Rx("audit " + arg() + " --actor usr-a" + kWindow);
  BOOST_REQUIRE_MESSAGE(aw.exit_code == 0, Describe(aw));
  BOOST_CHECK_EQUAL(LineCount(aw.out), 606u);
  BOOST_CHECK_EQUAL(CountBy(aw.out, "usr-a"), 606u);
  // Without --actor the same window holds usr-b's two events as well.
  auto all = Rx("audit " + arg() + kWindow);
  BOOST_CHECK_EQUAL(LineCount(all.out), 608u);
  // --patient --from --to without --actor: p1 in the window: 110, 150, 160.
  BOOST_CHECK_EQUAL(LineCount(Rx("audit " + arg() + " --patient p1" + kWindow).out), 3u);
  // The other formats hold the same events.
  auto csv = Rx("audit " + arg() + " --actor usr-a --patient p3 --format csv");
  BOOST_REQUIRE_MESSAGE(csv.exit_code == 0, Describe(csv));
  BOOST_CHECK_EQUAL(LineCount(csv.out), 3u);  // header + 2 rows
  auto fhir = Rx("audit " + arg() + " --actor usr-b --format fhir");
  BOOST_REQUIRE_MESSAGE(fhir.exit_code == 0, Describe(fhir));
  BOOST_CHECK_EQUAL(nlohmann::json::parse(fhir.out).at("entry").size(), 2u);
  // Nobody: nothing, successfully.
  auto none = Rx("audit " + arg() + " --actor usr-nobody");
  BOOST_CHECK_EQUAL(none.exit_code, 0);
  BOOST_CHECK(none.out.empty());
  CheckExit(Rx("audit " + arg() + " --actor 'usr a'"), 2, "--actor");
  CheckExit(Rx("audit " + arg()), 2, "--actor");
}

nlohmann::json State(const std::string& data_arg, const std::string& stream, const std::string& until) {
  auto r = Rx("replay " + data_arg + " --stream " + Quote(stream) + " --state" +
              (until.empty() ? std::string() : " --until " + until));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  BOOST_REQUIRE_EQUAL(LineCount(r.out), 1u);
  return nlohmann::json::parse(r.out);
}

BOOST_FIXTURE_TEST_CASE(replay_state_differs_by_exactly_the_events_between, FixtureDir) {
  // p3: created at 0, usr-a denied at 130 (no change), medication med-1 added at 140.
  auto t1 = State(arg(), "record/p3", "2025-12-04T00:01:40Z");  // 100 s
  auto t2 = State(arg(), "record/p3", "2025-12-04T00:03:20Z");  // 200 s
  BOOST_CHECK_EQUAL(t1.at("events").get<int>(), 1);
  BOOST_CHECK_EQUAL(t2.at("events").get<int>(), 3);
  BOOST_CHECK_EQUAL(t1.at("state").at("residence_state").get<std::string>(), "NY");
  BOOST_CHECK(t1.at("state").at("exists").get<bool>());
  BOOST_CHECK_EQUAL(t1.at("state").at("medications").size(), 0u);
  BOOST_REQUIRE_EQUAL(t2.at("state").at("medications").size(), 1u);
  const auto& med = t2.at("state").at("medications").at(0);
  BOOST_CHECK_EQUAL(med.at("medication_id").get<std::string>(), "med-1");
  BOOST_CHECK_EQUAL(med.at("dose").get<std::string>(), "5 mg");
  BOOST_CHECK_EQUAL(med.at("status").get<std::string>(), "active");
  // Everything but the medication and the version is the same.
  auto a = t1.at("state"), b = t2.at("state");
  a.erase("medications");
  b.erase("medications");
  a.erase("version");
  b.erase("version");
  BOOST_CHECK_EQUAL(a.dump(), b.dump());
  // Without --until: the latest state, the same as at 200 s (nothing happened to p3 after).
  BOOST_CHECK_EQUAL(State(arg(), "record/p3", "").at("state").dump(), t2.at("state").dump());
  // Before the record existed: an empty state.
  auto before = State(arg(), "record/p3", "2025-12-03T00:00:00Z");
  BOOST_CHECK_EQUAL(before.at("events").get<int>(), 0);
  BOOST_CHECK(!before.at("state").at("exists").get<bool>());
}

BOOST_FIXTURE_TEST_CASE(replay_state_usage_errors, FixtureDir) {
  CheckExit(Rx("replay " + arg() + " --state"), 2, "--state");
  CheckExit(Rx("replay " + arg() + " --state --stream denials/usr-a"), 2, "--state");
  CheckExit(Rx("replay " + arg() + " --state --stream record/p3 --until later"), 2, "--until");
}

BOOST_AUTO_TEST_CASE(replay_state_of_user_and_session_streams_hides_secrets) {
  rxp::testkit::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  auto init = Rx("init --data " + Quote(data) + " --demo");
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, Describe(init));
  const std::string data_arg = "--data " + Quote(data);
  std::ifstream creds(data + "/demo-credentials.json");
  auto people = nlohmann::json::parse(creds);
  std::string user_id, password, totp;
  for (const auto& p : people)
    if (p.at("username") == "dr.care") {
      user_id = p.at("user_id");
      password = p.at("password");
      totp = p.at("totp_secret");
    }
  BOOST_REQUIRE(!user_id.empty());
  auto u = State(data_arg, "user/" + user_id, "");
  BOOST_CHECK_EQUAL(u.at("state").at("username").get<std::string>(), "dr.care");
  BOOST_CHECK(u.at("state").at("password_set").get<bool>());
  BOOST_REQUIRE_EQUAL(u.at("state").at("totp").size(), 1u);
  BOOST_CHECK(u.at("state").at("totp").at(0).at("confirmed").get<bool>());
  BOOST_CHECK(u.dump().find("hash") == std::string::npos);
  BOOST_CHECK(u.dump().find(password) == std::string::npos);
  BOOST_CHECK(u.dump().find(totp) == std::string::npos);
  // The enrolment session init opened and closed.
  auto replay = Rx("replay " + data_arg);
  std::string session;
  for (const auto& line : Lines(replay.out)) {
    auto j = nlohmann::json::parse(line);
    std::string stream = j.at("stream");
    if (stream.rfind("session/", 0) == 0 && j.at("principal").at("user_id") == user_id) session = stream;
  }
  BOOST_REQUIRE(!session.empty());
  auto s = State(data_arg, session, "");
  BOOST_CHECK_EQUAL(s.at("state").at("user_id").get<std::string>(), user_id);
  BOOST_CHECK(s.at("state").at("ended").get<bool>());
  BOOST_CHECK(s.dump().find("token_hash") == std::string::npos);
}

}  // namespace
