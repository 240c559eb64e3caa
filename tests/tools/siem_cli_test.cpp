// rxportal siem (issue 5, SIEM export) and rxportal audit --format csv / --from --to, run as the
// real binary (RXPORTAL_BIN) on a demo data directory: usage errors exit 2 naming the
// argument; OCSF and CEF lines cover exactly the exported events in global order; --out
// writes a 0600 file; --after-position and --from/--to select; no payload PHI in any output.
#define BOOST_TEST_MODULE siem_cli_test
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "projections/siem.hpp"
#include "tests/testkit/testkit.hpp"
#include "tests/tools/cli_helpers.hpp"

namespace {

using namespace rxp::clitest;

using rxp::testkit::CommandResult;
using rxp::testkit::TempDir;

// A demo data directory, the positions and times of the events a SIEM receives, and every
// payload string that is PHI.
struct DemoDir {
  DemoDir() : data(tmp.path() + "/data") {
    CommandResult r = Rx("init --data " + Quote(data) + " --demo");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
    CommandResult replay = Rx("replay " + arg());
    BOOST_REQUIRE_MESSAGE(replay.exit_code == 0, Describe(replay));
    for (const auto& line : Lines(replay.out)) {
      auto j = nlohmann::json::parse(line);
      if (rxp::projections::siem_wants(j.at("type").get<std::string>())) {
        positions.push_back(j.at("position"));
        times.push_back(j.at("occurred_at"));
        types.insert(j.at("type").get<std::string>());
      }
      const auto& payload = j.at("payload");
      if (!payload.is_object()) continue;
      for (const char* key : {"name", "dose", "birth_date", "diplotype", "phenotype", "recommendation",
                              "reaction", "guidance", "justification", "username", "gene", "note",
                              "explanation"})
        if (payload.contains(key) && payload.at(key).is_string() &&
            payload.at(key).get<std::string>().size() >= 3)
          phi.insert(payload.at(key).get<std::string>());
    }
    BOOST_REQUIRE_GT(positions.size(), 5u);
  }
  std::string arg() const { return "--data " + Quote(data); }
  TempDir tmp;
  std::string data;
  std::vector<uint64_t> positions;  // of the exported events, in order
  std::vector<std::string> times;
  std::set<std::string> types;
  std::set<std::string> phi;
};

void CheckNoPhi(const DemoDir& d, const std::string& out) {
  BOOST_REQUIRE(!d.phi.empty());
  for (const auto& value : d.phi)
    BOOST_CHECK_MESSAGE(out.find(value) == std::string::npos, "output holds a payload value");
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_arguments_exit_2_naming_them) {
  DemoDir d;
  CheckExit(Rx("siem --format ocsf"), 2, "--data");
  CheckExit(Rx("siem " + d.arg()), 2, "--format");
  CheckExit(Rx("siem " + d.arg() + " --format leef"), 2, "--format");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --from yesterday"), 2, "--from");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --to 2026-13-01T00:00:00Z"), 2, "--to");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --from 2026-12-04T10:00:00Z --to 2026-12-03T10:00:00Z"), 2, "--from");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --after-position -1"), 2, "--after-position");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --after-position many"), 2, "--after-position");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --nats http://127.0.0.1:1"), 2, "--nats");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --nats nats://127.0.0.1:1 --subject 'a b'"), 2, "--subject");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --nats nats://127.0.0.1:1 --subject 'siem.>'"), 2, "--subject");
  CheckExit(Rx("siem " + d.arg() + " --format ocsf --subject other.subject"), 2, "--subject");
  CheckExit(Rx("audit " + d.arg() + " --from yesterday"), 2, "--from");
  CheckExit(Rx("audit " + d.arg() + " --to 2026-12-04T10:00:00Z --from 2026-12-05T10:00:00Z"), 2, "--from");
}

BOOST_AUTO_TEST_CASE(ocsf_lines_cover_the_exported_events_in_global_order) {
  DemoDir d;
  CommandResult r = Rx("siem " + d.arg() + " --format ocsf");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  auto lines = Lines(r.out);
  BOOST_REQUIRE_EQUAL(lines.size(), d.positions.size());
  std::set<int> classes;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto j = nlohmann::json::parse(lines[i]);
    BOOST_CHECK_EQUAL(j.at("unmapped").at("rxportal").at("position").get<uint64_t>(), d.positions[i]);
    int cls = j.at("class_uid");
    classes.insert(cls);
    BOOST_CHECK_EQUAL(j.at("type_uid").get<int>(), cls * 100 + j.at("activity_id").get<int>());
    BOOST_CHECK_EQUAL(j.at("metadata").at("product").at("name"), "rxportal");
  }
  // The demo registers users, signs one in and touches records: every class appears.
  BOOST_CHECK(classes == (std::set<int>{3001, 3002, 3003, 6003}));
  CheckNoPhi(d, r.out);
  BOOST_CHECK(r.err.empty());
}

BOOST_AUTO_TEST_CASE(cef_to_a_private_file) {
  DemoDir d;
  std::string out = d.tmp.path() + "/siem.cef";
  CommandResult r = Rx("siem " + d.arg() + " --format cef --out " + Quote(out));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  BOOST_CHECK(r.out.empty());  // --out given: nothing on stdout
  struct stat st{};
  BOOST_REQUIRE_EQUAL(::stat(out.c_str(), &st), 0);
  BOOST_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  std::ifstream f(out);
  std::stringstream ss;
  ss << f.rdbuf();
  auto lines = Lines(ss.str());
  BOOST_REQUIRE_EQUAL(lines.size(), d.positions.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    BOOST_CHECK(lines[i].rfind("CEF:0|rxportal|rxportal|", 0) == 0);
    BOOST_CHECK(lines[i].find("cn1=" + std::to_string(d.positions[i]) + " ") != std::string::npos);
  }
  CheckNoPhi(d, ss.str());
  // "-" is stdout.
  CommandResult dash = Rx("siem " + d.arg() + " --format cef --out -");
  BOOST_REQUIRE_EQUAL(dash.exit_code, 0);
  BOOST_CHECK_EQUAL(dash.out, ss.str());
}

BOOST_AUTO_TEST_CASE(after_position_and_window_select) {
  DemoDir d;
  size_t half = d.positions.size() / 2;
  uint64_t after = d.positions[half - 1];
  CommandResult r = Rx("siem " + d.arg() + " --format ocsf --after-position " + std::to_string(after));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  auto lines = Lines(r.out);
  BOOST_REQUIRE_EQUAL(lines.size(), d.positions.size() - half);
  BOOST_CHECK_EQUAL(nlohmann::json::parse(lines.front()).at("unmapped").at("rxportal").at("position").get<uint64_t>(),
                    d.positions[half]);
  CommandResult beyond = Rx("siem " + d.arg() + " --format ocsf --after-position 1000000");
  BOOST_REQUIRE_EQUAL(beyond.exit_code, 0);
  BOOST_CHECK(beyond.out.empty());
  // A window ending before the first event's time holds nothing; one from it holds all.
  CommandResult none = Rx("siem " + d.arg() + " --format ocsf --to 2000-01-01T00:00:00Z");
  BOOST_REQUIRE_EQUAL(none.exit_code, 0);
  BOOST_CHECK(none.out.empty());
  CommandResult all = Rx("siem " + d.arg() + " --format ocsf --from " + d.times.front() + " --to " + d.times.back());
  BOOST_REQUIRE_MESSAGE(all.exit_code == 0, Describe(all));
  BOOST_CHECK_EQUAL(Lines(all.out).size(), d.positions.size());
}

BOOST_AUTO_TEST_CASE(missing_data_directory_fails_without_creating_the_output) {
  TempDir tmp;
  std::string out = tmp.path() + "/never.json";
  CommandResult r = Rx("siem --data " + Quote(tmp.path() + "/nothing") + " --format ocsf --out " + Quote(out));
  BOOST_CHECK_EQUAL(r.exit_code, 1);
  BOOST_CHECK_EQUAL(Lines(r.err).size(), 1u);
  struct stat st{};
  BOOST_CHECK(::stat(out.c_str(), &st) != 0);
}

BOOST_AUTO_TEST_CASE(audit_csv_has_a_header_and_one_row_per_json_line) {
  DemoDir d;
  CommandResult json = Rx("audit " + d.arg() + " --from 2000-01-01T00:00:00Z --to 2100-01-01T00:00:00Z");
  BOOST_REQUIRE_MESSAGE(json.exit_code == 0, Describe(json));
  CommandResult csv = Rx("audit " + d.arg() + " --from 2000-01-01T00:00:00Z --to 2100-01-01T00:00:00Z --format csv");
  BOOST_REQUIRE_MESSAGE(csv.exit_code == 0, Describe(csv));
  auto rows = Lines(csv.out);
  auto objects = Lines(json.out);
  BOOST_REQUIRE_EQUAL(rows.size(), objects.size() + 1);
  BOOST_CHECK(rows[0].rfind("position,stream,version,type,occurred_at,action,outcome,", 0) == 0);
  for (const auto& row : rows) BOOST_CHECK(!row.empty() && row.back() == '\r');  // CRLF
  for (size_t i = 0; i < objects.size(); ++i) {
    auto j = nlohmann::json::parse(objects[i]);
    std::string prefix = std::to_string(j.at("position").get<uint64_t>()) + "," + j.at("stream").get<std::string>() + ",";
    BOOST_CHECK(rows[i + 1].rfind(prefix, 0) == 0);
    BOOST_CHECK(rows[i + 1].find(j.at("hash").get<std::string>()) != std::string::npos);
  }
  CheckNoPhi(d, csv.out);
  // --since/--until stay accepted as aliases.
  CommandResult alias = Rx("audit " + d.arg() + " --since 2000-01-01T00:00:00Z --until 2100-01-01T00:00:00Z --format csv");
  BOOST_REQUIRE_EQUAL(alias.exit_code, 0);
  BOOST_CHECK_EQUAL(alias.out, csv.out);
}
