// FHIR R4 AuditEvent export: every required element on each kind of event, the DICOM and
// HL7 codes (break-glass: 110113 + 110127 + ETREAT), tamper-evidence details, and no PHI.
#define BOOST_TEST_MODULE projections_fhir_audit
#include <boost/test/unit_test.hpp>
#include <map>
#include <cctype>
#include <set>

#include "projections/audit_trail.hpp"
#include "projections/fhir_audit.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::projections;
using nlohmann::json;
using rxp::testkit::TestLog;

namespace {

const std::string kPid = "pt-fhir-1";
const std::string kJustification = "Unconscious in ER, spouse Jane Roe says allergic";

// One record with an event of every kind that touches it, plus noise in other streams.
void seed(TestLog& t) {
  using namespace events;
  auto add = [&](const std::string& stream, DomainEvent e, Principal p) {
    t.clock.advance_us(1000000);
    auto r = t.log->append({stream, kAnyVersion, {make_pending(e, p, "corr-f")}});
    BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  };
  Principal admin{"usr-adm", "admin", "ses-a"}, doc{"usr-doc", "clinician", "ses-d"},
      er{"usr-er", "clinician", "ses-e"}, pat{"usr-pat", "patient", "ses-p"}, sys{"", "system", ""};
  const std::string rec = "record/" + kPid;
  add(rec, RecordCreated{kPid, "1961-04-12", "MA", true}, sys);
  add(rec, MedicationAdded{"med-1", "warfarin", "5 mg", "oral", "daily", "2026-11-02", "", false}, doc);
  add(rec, MedicationChanged{"med-1", "7.5 mg", "daily", false}, doc);
  add(rec, RecordViewed{"medications", "treatment"}, doc);
  add(rec, RecordExported{{"medications", "pgx"}, "fhir"}, pat);
  add(rec, AccessDenied{"record.pgx.read", "pgx", "no_care_relationship"}, er);
  add(rec, BreakGlassInvoked{"er_admission", kJustification, 1}, er);
  add(rec, RecordViewed{"pgx", "emergency"}, er);
  add("record/pt-other", RecordViewed{"pgx", "treatment"}, doc);
  add("denials/usr-er", AccessDenied{"record.medications.read", "medications", "no_such_record"}, er);
  add("user/usr-doc", LoginFailed{"bad_password", "10.1.2.3"}, doc);
}

// FHIR instant: YYYY-MM-DDThh:mm:ss[.f+](Z|+hh:mm|-hh:mm). (No std::regex: g++ 12 warns inside
// it under -O2 with the sanitizers.)
bool is_instant(const std::string& s) {
  auto digits = [&](size_t from, size_t n) {
    if (from + n > s.size()) return false;
    for (size_t i = from; i < from + n; ++i)
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
  };
  if (!(digits(0, 4) && s[4] == '-' && digits(5, 2) && s[7] == '-' && digits(8, 2) && s[10] == 'T' &&
        digits(11, 2) && s[13] == ':' && digits(14, 2) && s[16] == ':' && digits(17, 2)))
    return false;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return false;
  }
  if (i + 1 == s.size() && s[i] == 'Z') return true;
  return i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && digits(i + 1, 2) && s[i + 3] == ':' &&
         digits(i + 4, 2);
}

std::string detail(const json& entity, const std::string& type) {
  for (const auto& d : entity.at("detail"))
    if (d.at("type") == type) return d.at("valueString").get<std::string>();
  return "";
}

// The elements FHIR R4 requires of an AuditEvent (cardinality 1..), and their shapes.
void check_required(const json& r, const events::RecordedEvent& ev) {
  BOOST_TEST_CONTEXT(ev.header.type << " at " << ev.header.position << ": " << r.dump()) {
    BOOST_CHECK_EQUAL(r.at("resourceType"), "AuditEvent");
    BOOST_CHECK(r.at("id").get<std::string>() == "rxp-" + std::to_string(ev.header.position));
    BOOST_CHECK(r.at("type").at("system").is_string());        // type: Coding, 1..1
    BOOST_CHECK(r.at("type").at("code").is_string());
    std::string action = r.at("action");
    BOOST_CHECK(action.size() == 1 && std::string("CRUDE").find(action) != std::string::npos);
    BOOST_CHECK(is_instant(r.at("recorded")));                 // recorded: instant, 1..1
    BOOST_CHECK(r.at("outcome") == "0" || r.at("outcome") == "4");
    BOOST_REQUIRE(r.at("agent").is_array());                   // agent: 1..*
    BOOST_REQUIRE(!r.at("agent").empty());
    for (const auto& a : r.at("agent")) {
      BOOST_CHECK(a.at("requestor").is_boolean());             // agent.requestor: 1..1
      const json& who = a.at("who");
      BOOST_CHECK(who.contains("reference") || who.at("identifier").at("value").is_string());
      BOOST_CHECK(a.at("type").at("coding").at(0).at("code").is_string());
    }
    BOOST_CHECK(r.at("source").at("observer").is_object());    // source.observer: 1..1
    BOOST_REQUIRE(r.at("entity").is_array());
    const json& ent = r.at("entity").at(0);
    BOOST_CHECK_EQUAL(detail(ent, "event_position"), std::to_string(ev.header.position));
    BOOST_CHECK_EQUAL(detail(ent, "event_hash"), to_hex(ev.hash));
    for (const auto& d : ent.at("detail")) {                   // detail.type and value[x]: 1..1
      BOOST_CHECK(d.at("type").is_string());
      BOOST_CHECK(d.at("valueString").is_string());
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_event_of_a_record_becomes_a_complete_audit_event) {
  TestLog t;
  seed(t);
  auto trail = read_audit_trail(*t.log, {kPid});
  BOOST_REQUIRE_MESSAGE(trail.is_ok(), trail.status().to_string());
  BOOST_REQUIRE_EQUAL(trail->size(), 8u);  // only this record's stream
  std::vector<AuditEntry> entries;
  for (const auto& e : *trail) entries.push_back(audit_entry(e));
  json bundle = fhir_bundle(entries);
  BOOST_CHECK_EQUAL(bundle.at("resourceType"), "Bundle");
  BOOST_CHECK_EQUAL(bundle.at("type"), "collection");
  BOOST_REQUIRE_EQUAL(bundle.at("entry").size(), 8u);

  struct Want {
    std::string code, action, outcome;
  };
  const std::map<std::string, Want> want = {
      {"RecordCreated", {"110110", "C", "0"}},     {"MedicationAdded", {"110110", "C", "0"}},
      {"MedicationChanged", {"110110", "U", "0"}}, {"RecordViewed", {"110110", "R", "0"}},
      {"RecordExported", {"110106", "R", "0"}},    {"AccessDenied", {"110110", "R", "4"}},
      {"BreakGlassInvoked", {"110113", "E", "0"}}};
  for (size_t i = 0; i < trail->size(); ++i) {
    const auto& ev = (*trail)[i];
    const json& r = bundle.at("entry").at(i).at("resource");
    check_required(r, ev);
    const Want& w = want.at(ev.header.type);
    BOOST_TEST_CONTEXT(ev.header.type) {
      BOOST_CHECK_EQUAL(r.at("type").at("system"), kDicomSystem);
      BOOST_CHECK_EQUAL(r.at("type").at("code"), w.code);
      BOOST_CHECK_EQUAL(r.at("action"), w.action);
      BOOST_CHECK_EQUAL(r.at("outcome"), w.outcome);
      const json& ent = r.at("entity").at(0);
      BOOST_CHECK_EQUAL(ent.at("what").at("reference"), "Patient/" + kPid);
      BOOST_CHECK_EQUAL(ent.at("role").at("code"), "1");
      if (ev.header.principal.user_id.empty()) {
        BOOST_CHECK_EQUAL(r.at("agent").at(0).at("who").at("type"), "Device");
      } else {
        BOOST_CHECK_EQUAL(r.at("agent").at(0).at("who").at("identifier").at("value"), ev.header.principal.user_id);
        BOOST_CHECK_EQUAL(r.at("agent").at(0).at("role").at(0).at("text"), ev.header.principal.role);
      }
    }
  }
  // Roles map onto FHIR resource types of the agent.
  BOOST_CHECK_EQUAL(bundle.at("entry").at(3).at("resource").at("agent").at(0).at("who").at("type"), "Practitioner");
  BOOST_CHECK_EQUAL(bundle.at("entry").at(4).at("resource").at("agent").at(0).at("who").at("type"), "Patient");
  // Views carry their purpose of use.
  const json& view = bundle.at("entry").at(3).at("resource");
  BOOST_CHECK_EQUAL(view.at("purposeOfEvent").at(0).at("coding").at(0).at("code"), "TREAT");
  BOOST_CHECK_EQUAL(detail(view.at("entity").at(0), "section"), "medications");
  // Denials: minor failure with the policy reason.
  const json& denial = bundle.at("entry").at(5).at("resource");
  BOOST_CHECK(denial.at("outcomeDesc").get<std::string>().find("no_care_relationship") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(break_glass_carries_the_emergency_override_and_etreat_codes) {
  TestLog t;
  seed(t);
  auto trail = read_audit_trail(*t.log, {kPid});
  BOOST_REQUIRE(trail.is_ok());
  const auto& bg_event = trail->at(6);
  BOOST_REQUIRE_EQUAL(bg_event.header.type, "BreakGlassInvoked");
  json r = to_fhir(audit_entry(bg_event));
  BOOST_CHECK_EQUAL(r.at("type").at("code"), "110113");
  BOOST_CHECK_EQUAL(r.at("type").at("display"), "Security Alert");
  BOOST_REQUIRE_EQUAL(r.at("subtype").size(), 1u);
  BOOST_CHECK_EQUAL(r.at("subtype").at(0).at("system"), kDicomSystem);
  BOOST_CHECK_EQUAL(r.at("subtype").at(0).at("code"), "110127");
  BOOST_CHECK_EQUAL(r.at("subtype").at(0).at("display"), "Emergency Override Started");
  BOOST_CHECK_EQUAL(r.at("action"), "E");
  for (const json* c : {&r.at("purposeOfEvent").at(0), &r.at("agent").at(0).at("purposeOfUse").at(0)}) {
    BOOST_CHECK_EQUAL(c->at("coding").at(0).at("system"), kActReasonSystem);
    BOOST_CHECK_EQUAL(c->at("coding").at(0).at("code"), "ETREAT");
  }
  BOOST_CHECK_EQUAL(detail(r.at("entity").at(0), "reason"), "er_admission");
  // A view under break-glass is recorded with purpose "emergency": ETREAT too.
  json view = to_fhir(audit_entry(trail->at(7)));
  BOOST_CHECK_EQUAL(view.at("purposeOfEvent").at(0).at("coding").at(0).at("code"), "ETREAT");
}

BOOST_AUTO_TEST_CASE(no_names_or_clinical_values_leave_in_either_format) {
  TestLog t;
  seed(t);
  auto trail = read_audit_trail(*t.log, {});
  BOOST_REQUIRE(trail.is_ok());
  std::vector<AuditEntry> entries;
  std::string flat;
  for (const auto& e : *trail) {
    entries.push_back(audit_entry(e));
    flat += to_json(entries.back()).dump() + "\n";
  }
  std::string fhir = fhir_bundle(entries).dump();
  for (const std::string* out : {&fhir, &flat})
    for (const char* phi : {"warfarin", "1961-04-12", "5 mg", "7.5 mg", "Jane Roe", "Unconscious", "10.1.2.3"})
      BOOST_CHECK_MESSAGE(out->find(phi) == std::string::npos, "output contains " << phi);
}

BOOST_AUTO_TEST_CASE(a_window_covers_every_record_and_denial_stream_and_nothing_else) {
  TestLog t;
  int64_t start = t.clock.now_us();
  seed(t);  // events at start + 1 s ... start + 11 s
  auto all = read_audit_trail(*t.log, {"", start, start + 100000000});
  BOOST_REQUIRE(all.is_ok());
  BOOST_CHECK_EQUAL(all->size(), 10u);  // 8 + the other record + the denial stream; no user/
  std::set<std::string> streams;
  for (const auto& e : *all) streams.insert(e.header.stream_id);
  BOOST_CHECK(streams.count("denials/usr-er") == 1);
  BOOST_CHECK(streams.count("user/usr-doc") == 0);
  auto denial = to_fhir(audit_entry(all->back()));
  BOOST_CHECK_EQUAL(denial.at("outcome"), "4");
  BOOST_CHECK_EQUAL(denial.at("entity").at(0).at("what").at("identifier").at("value"), "denials/usr-er");
  auto window = read_audit_trail(*t.log, {"", start + 4000000, start + 6000000});
  BOOST_REQUIRE(window.is_ok());
  BOOST_CHECK_EQUAL(window->size(), 3u);  // the 4th, 5th and 6th events
  auto one_patient = read_audit_trail(*t.log, {kPid, start + 4000000, start + 6000000});
  BOOST_REQUIRE(one_patient.is_ok());
  BOOST_CHECK_EQUAL(one_patient->size(), 3u);
  BOOST_CHECK(read_audit_trail(*t.log, {"no/slashes"}).status().code() == ErrorCode::kInvalidArgument);
  BOOST_CHECK(read_audit_trail(*t.log, {"pt-unknown"})->empty());
}
