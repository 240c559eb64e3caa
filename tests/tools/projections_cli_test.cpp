// The command line of issue 5: rxportal projections (rebuild, status) and rxportal audit, run as
// the real binary (RXPORTAL_BIN): usage errors exit 2 naming the argument, integrity 3, and the
// outputs parse.
#define BOOST_TEST_MODULE projections_cli_test
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>

#include "tests/testkit/testkit.hpp"
#include "tests/tools/cli_helpers.hpp"

namespace {

using namespace rxp::clitest;

using rxp::testkit::CommandResult;
using rxp::testkit::TempDir;

// A demo data directory and what its replay says: the events per stream, and every payload
// string that is PHI (names, doses, dates of birth, genotypes, usernames...).
struct DemoDir {
  DemoDir() : data(tmp.path() + "/data") {
    CommandResult r = Rx("init --data " + Quote(data) + " --demo");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
    CommandResult replay = Rx("replay " + arg());
    BOOST_REQUIRE_MESSAGE(replay.exit_code == 0, Describe(replay));
    std::istringstream in(replay.out);
    std::map<std::string, size_t> per_record;
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      ++events;
      std::string stream = j.at("stream");
      if (stream.rfind("record/", 0) == 0 || stream.rfind("denials/", 0) == 0) ++audited;
      if (stream.rfind("record/", 0) == 0) ++per_record[stream.substr(7)];
      const auto& payload = j.at("payload");
      if (!payload.is_object()) continue;
      for (const char* key : {"name", "dose", "birth_date", "diplotype", "phenotype", "recommendation",
                              "reaction", "guidance", "justification", "username", "gene"})
        if (payload.contains(key) && payload.at(key).is_string() && payload.at(key).get<std::string>().size() >= 3)
          phi.insert(payload.at(key).get<std::string>());
    }
    for (const auto& [pid, n] : per_record)
      if (n > record_events) {
        patient = pid;
        record_events = n;
      }
    BOOST_REQUIRE(!patient.empty());
  }
  std::string arg() const { return "--data " + Quote(data); }
  TempDir tmp;
  std::string data;
  std::string patient;      // the record with the most events
  size_t record_events = 0; // events of its stream
  size_t events = 0;        // events in the log
  size_t audited = 0;       // events of record/ and denials/ streams
  std::set<std::string> phi;
};

}  // namespace

BOOST_AUTO_TEST_CASE(bad_input_exits_2_naming_the_argument) {
  DemoDir d;
  CheckExit(Rx("projections status"), 2, "--data");
  CheckExit(Rx("projections rebuild disclosures"), 2, "--data");
  CheckExit(Rx("projections rebuild no_such_view " + d.arg()), 2, "no_such_view");
  CheckExit(Rx("projections rebuild " + d.arg()), 2, "NAME");
  CheckExit(Rx("projections frobnicate " + d.arg()), 2, "frobnicate");
  CheckExit(Rx("audit --patient " + d.patient), 2, "--data");
  CheckExit(Rx("audit " + d.arg() + " --patient " + d.patient + " --format xml"), 2, "--format");
  CheckExit(Rx("audit " + d.arg()), 2, "--patient");
  CheckExit(Rx("audit " + d.arg() + " --patient 'pt 1'"), 2, "--patient");
  CheckExit(Rx("audit " + d.arg() + " --since yesterday"), 2, "--since");
  CheckExit(Rx("audit " + d.arg() + " --since 2026-12-04T10:00:00Z --until 2026-12-03T10:00:00Z"), 2, "--since");
}

BOOST_AUTO_TEST_CASE(audit_prints_a_fhir_bundle_or_json_lines_without_phi) {
  DemoDir d;
  CommandResult fhir = Rx("audit " + d.arg() + " --patient " + d.patient + " --format fhir");
  BOOST_REQUIRE_MESSAGE(fhir.exit_code == 0, Describe(fhir));
  auto bundle = nlohmann::json::parse(fhir.out);
  BOOST_CHECK_EQUAL(bundle.at("resourceType"), "Bundle");
  BOOST_CHECK_EQUAL(bundle.at("type"), "collection");
  BOOST_REQUIRE_EQUAL(bundle.at("entry").size(), d.record_events);  // every event of the record
  for (const auto& e : bundle.at("entry")) {
    const auto& r = e.at("resource");
    BOOST_CHECK_EQUAL(r.at("resourceType"), "AuditEvent");
    BOOST_CHECK_EQUAL(r.at("entity").at(0).at("what").at("reference"), "Patient/" + d.patient);
    BOOST_CHECK(!r.at("agent").empty());
    BOOST_CHECK(r.at("source").contains("observer"));
  }
  BOOST_CHECK(!d.phi.empty());
  for (const auto& value : d.phi)
    BOOST_CHECK_MESSAGE(fhir.out.find(value) == std::string::npos, "FHIR output leaks a payload value");

  CommandResult json = Rx("audit " + d.arg() + " --patient " + d.patient);
  BOOST_REQUIRE_MESSAGE(json.exit_code == 0, Describe(json));
  BOOST_CHECK_EQUAL(LineCount(json.out), d.record_events);
  for (const auto& value : d.phi)
    BOOST_CHECK_MESSAGE(json.out.find(value) == std::string::npos, "JSON output leaks a payload value");
  // A window covers every record and denial stream, and nothing else.
  CommandResult window = Rx("audit " + d.arg() + " --from 2000-01-01T00:00:00Z --format json");
  BOOST_REQUIRE_MESSAGE(window.exit_code == 0, Describe(window));
  BOOST_CHECK_EQUAL(LineCount(window.out), d.audited);
  CommandResult none = Rx("audit " + d.arg() + " --patient pt-nobody --format fhir");
  BOOST_REQUIRE_EQUAL(none.exit_code, 0);
  BOOST_CHECK(nlohmann::json::parse(none.out).at("entry").empty());
}

BOOST_AUTO_TEST_CASE(status_shows_lag_and_rebuild_catches_up) {
  DemoDir d;
  CommandResult before = Rx("projections status " + d.arg() + " --json");
  BOOST_REQUIRE_MESSAGE(before.exit_code == 0, Describe(before));
  auto j = nlohmann::json::parse(before.out);
  BOOST_REQUIRE_EQUAL(j.at("projections").size(), 4u);
  std::vector<std::string> names;
  for (const auto& p : j.at("projections")) {
    names.push_back(p.at("name"));
    BOOST_CHECK_EQUAL(p.at("lag"), d.events);
  }
  BOOST_CHECK((names == std::vector<std::string>{"disclosures", "alerts", "access_review", "event_index"}));
  CommandResult rebuild = Rx("projections rebuild disclosures " + d.arg());
  BOOST_REQUIRE_MESSAGE(rebuild.exit_code == 0, Describe(rebuild));
  CommandResult after = Rx("projections status " + d.arg());
  BOOST_REQUIRE_MESSAGE(after.exit_code == 0, Describe(after));
  const std::string n = std::to_string(d.events);
  BOOST_CHECK_MESSAGE(after.out.find("disclosures: checkpoint " + n + ", head " + n + ", lag 0 events") != std::string::npos,
                      Describe(after));
  for (const char* help : {"projections --help", "projections rebuild --help", "projections status --help",
                           "audit --help", "bench projections --help"})
    BOOST_CHECK_MESSAGE(Rx(help).exit_code == 0, help);
}

BOOST_AUTO_TEST_CASE(a_damaged_read_model_is_an_integrity_failure) {
  DemoDir d;
  {
    std::ofstream f(d.data + "/projections.db", std::ios::binary | std::ios::trunc);
    f << std::string(8192, 'x');
  }
  CheckExit(Rx("projections status " + d.arg()), 3, "projections database");
}

BOOST_AUTO_TEST_CASE(bench_projections_prints_its_figures) {
  TempDir tmp;
  std::string dir = tmp.path() + "/bench";
  CommandResult r = Rx("bench projections --data " + Quote(dir) + " --events 2000 --rate 500 --seconds 1 --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  auto j = nlohmann::json::parse(r.out);
  BOOST_CHECK_EQUAL(j.at("bench"), "projections");
  BOOST_CHECK(j.at("rebuild_events_per_s").get<double>() > 0);
  BOOST_CHECK(j.at("replay_events_per_s").get<double>() > 0);
  BOOST_CHECK(j.at("live_lag_ms_p99").get<double>() >= 0);
  BOOST_CHECK(j.at("disclosure_rows").get<size_t>() > 1000);
  CheckExit(Rx("bench projections --data " + Quote(dir)), 2, "--data");
}
