// SIEM export mapping (projections/siem.hpp): every exported event carries the OCSF fields its
// class requires, with the right types; type_uid = class_uid * 100 + activity_id; the chosen
// activities, statuses and severities; CEF escaping and the shape of a CEF line; header-only
// records of shredded streams; and no PHI: names, usernames, drugs, doses, genes, diplotypes,
// birth dates, justifications, notes and secrets written into the payloads never appear in
// any OCSF object or CEF line.
#define BOOST_TEST_MODULE projections_siem
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <map>
#include <set>

#include "projections/audit_csv.hpp"
#include "projections/siem.hpp"
#include "projections/siem_export.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::projections;
using nlohmann::json;
using rxp::testkit::TestLog;

namespace {

const std::string kPid = "pt-siem-1";
const std::string kJustification = "Unconscious in ER, spouse Jane Roe says allergic";
const std::string kUsername = "jroe.portal";
const std::string kTokenHash = "TOKENHASH-secret-bytes";

// Every string below is PHI or a secret; none may leave in a SIEM record.
const std::vector<std::string> kForbidden = {
    "warfarin", "5 mg", "7.5 mg", "CYP2C9", "*1/*3", "intermediate metabolizer",
    "reduce starting dose", kJustification, "Jane Roe", kUsername, "1961-04-12",
    "bleeding on warfarin", "gastrointestinal bleeding", kTokenHash, "CSRFHASH-secret",
    "viewed at 3am", "auditor thinks", "argon2id$secret", "Roe", "allergic", "PUBKEY-secret",
    "CREDID-secret", "SALT-secret", "RCHASH-secret"};

void add(TestLog& t, const std::string& stream, events::DomainEvent e, events::Principal p) {
  t.clock.advance_us(1000000);
  auto r = t.log->append({stream, events::kAnyVersion, {events::make_pending(e, p, "corr-s")}});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
}

// Events of every kind the export maps, several it does not, and PHI in every free field.
void seed(TestLog& t) {
  using namespace events;
  Principal doc{"usr-doc", "clinician", "ses-d"}, er{"usr-er", "clinician", "ses-e"},
      adm{"usr-adm", "admin", "ses-a"}, anon{"anonymous", "", ""}, sys{"", "system", ""};
  const std::string user = "user/usr-doc", rec = "record/" + kPid;
  add(t, user, UserRegistered{kUsername, {"clinician"}, ""}, adm);
  add(t, user, PasswordSet{"argon2id$secret", "registration"}, adm);
  add(t, user, LoginFailed{"bad_password", "10.1.2.3"}, anon);
  add(t, user, LoginFailed{"throttled", "10.1.2.3"}, anon);
  add(t, "auth/unknown-users", LoginFailed{"unknown_user", "2001:db8::1"}, anon);
  add(t, user, LoginPasswordAccepted{"lgn-1", "10.1.2.3", "abcd", 5, true}, anon);
  add(t, user, MfaFailed{"lgn-1", "totp", "mismatch"}, anon);
  add(t, user, MfaFailed{"", "totp", "replayed"}, doc);
  add(t, user, TotpCodeAccepted{"fac-1", 5}, anon);
  add(t, user, WebAuthnAssertionAccepted{"fac-2", 3}, anon);
  add(t, user, RecoveryCodeUsed{2}, anon);
  add(t, user, MfaPromptDenied{"prm-1", "wrong_number"}, anon);
  add(t, user, MfaBombingSuspected{5, 60000000}, sys);
  add(t, user, AuthenticatorCloneSuspected{"fac-2", 10, 3}, anon);
  add(t, user, LoginSucceeded{"lgn-1", "ses-d", "totp", "abcd", "10.1.2.3"}, anon);
  SessionStarted started;
  started.user_id = "usr-doc";
  started.roles = {"clinician"};
  started.token_hash = kTokenHash;
  started.csrf_hash = "CSRFHASH-secret";
  started.device_hash = "abcd";
  started.source_ip = "10.1.2.3";
  started.method = "totp";
  add(t, "session/ses-d", started, doc);
  add(t, "session/ses-d", SessionSteppedUp{"webauthn", 9}, doc);
  add(t, "session/ses-d", SessionRotated{kTokenHash, "CSRFHASH-secret", "step_up"}, doc);
  add(t, "session/ses-d", SessionEnded{"logout"}, doc);
  add(t, user, SessionClosed{"ses-d", "logout"}, doc);
  add(t, user, SessionsRevoked{{"ses-x", "ses-y"}, "logout_all"}, doc);
  add(t, user, RoleGranted{"pharmacist"}, adm);
  add(t, user, RoleRevoked{"pharmacist", "dormant"}, adm);
  add(t, rec, RecordCreated{kPid, "1961-04-12", "MA", true}, sys);
  add(t, rec, MedicationAdded{"med-1", "warfarin", "5 mg", "oral", "daily", "2026-11-02", "", false}, doc);
  add(t, rec, MedicationChanged{"med-1", "7.5 mg", "daily", false}, doc);
  add(t, rec, MedicationDiscontinued{"med-1", "2026-12-01", "bleeding on warfarin"}, doc);
  add(t, rec, PgxResultRecorded{"pgx-1", "CYP2C9", "*1/*3", "intermediate metabolizer", "reduce starting dose"}, doc);
  add(t, rec, AdverseEventReported{"ae-1", "med-1", "gastrointestinal bleeding", "severe", "2026-11-30"}, doc);
  add(t, rec, DosingGuidanceRecorded{"dg-1", "med-1", "reduce starting dose by 25-50% (CPIC, CYP2C9 IM)", "cpic"}, doc);
  add(t, rec, CareRelationshipAdded{"usr-doc", 0}, adm);
  add(t, rec, ProxyGranted{"grt-1", "usr-prx", {"medications"}, 0, true}, adm);
  add(t, rec, RecordViewed{"pgx", "treatment"}, doc);
  add(t, rec, RecordExported{{"medications", "pgx"}, "fhir"}, doc);
  add(t, rec, AccessDenied{"record.pgx.read", "pgx", "no_care_relationship"}, er);
  add(t, rec, BreakGlassInvoked{"er_admission", kJustification, 7000000000000000}, er);
  add(t, rec, RecordViewed{"pgx", "emergency"}, er);
  add(t, "denials/usr-er", AccessDenied{"record.medications.read", "medications", "no_such_record"}, er);
  add(t, "alert/alr-1", AlertRaised{"after_hours_vip", "high", "Jane Roe viewed at 3am", "usr-er", kPid, {40, 41}, 0.93}, sys);
  add(t, "alert/alr-1", AlertReviewed{"benign", "auditor thinks Jane Roe is fine"}, adm);
  // Account changes (positions 41..46).
  add(t, user, PasswordSet{"argon2id$secret", "change"}, doc);
  add(t, user, PasswordSet{"argon2id$secret", "reset"}, adm);
  add(t, user, TotpFactorConfirmed{"fac-1", 4}, doc);
  add(t, user, WebAuthnCredentialRegistered{"fac-2", "CREDID-secret", "PUBKEY-secret", -7, 0}, doc);
  add(t, user, FactorRemoved{"fac-1", "admin_reset"}, adm);
  add(t, user, RecoveryCodesIssued{"SALT-secret", {"RCHASH-secret"}}, doc);
}

const std::set<std::string> kNotExported = {"SessionEnded", "AlertReviewed"};

std::vector<events::RecordedEvent> all_events(TestLog& t) {
  auto all = t.log->read_all(1, 10000);
  BOOST_REQUIRE_MESSAGE(all.is_ok(), all.status().to_string());
  return std::move(all.value());
}

// The fields OCSF 1.1 requires of every event and of each class, with their types.
void check_required(const json& j, const events::RecordedEvent& ev) {
  BOOST_TEST_CONTEXT(ev.header.type << ": " << j.dump()) {
    for (const char* k : {"time", "class_uid", "category_uid", "activity_id", "type_uid",
                          "severity_id", "status_id"})
      BOOST_CHECK_MESSAGE(j.at(k).is_number_integer(), k);
    for (const char* k : {"class_name", "category_name", "activity_name", "type_name", "severity", "status"})
      BOOST_CHECK_MESSAGE(j.at(k).is_string(), k);
    BOOST_CHECK_EQUAL(j.at("time").get<int64_t>(), ev.header.occurred_at_us / 1000);
    int cls = j.at("class_uid"), act = j.at("activity_id");
    BOOST_CHECK_EQUAL(j.at("type_uid").get<int>(), cls * 100 + act);
    BOOST_CHECK_EQUAL(j.at("category_uid").get<int>(), cls / 1000);
    const json& m = j.at("metadata");
    BOOST_CHECK_EQUAL(m.at("version"), "1.1.0");
    BOOST_CHECK_EQUAL(m.at("product").at("name"), "rxportal");
    BOOST_CHECK(m.at("product").at("vendor_name").is_string());
    BOOST_CHECK(m.at("product").at("version").is_string());
    BOOST_CHECK_EQUAL(m.at("uid"), "rxp-" + std::to_string(ev.header.position));
    BOOST_CHECK_EQUAL(m.at("correlation_uid"), "corr-s");
    const json& x = j.at("unmapped").at("rxportal");
    BOOST_CHECK_EQUAL(x.at("position").get<uint64_t>(), ev.header.position);
    BOOST_CHECK_EQUAL(x.at("stream_id"), ev.header.stream_id);
    BOOST_CHECK_EQUAL(x.at("event_type"), ev.header.type);
    BOOST_CHECK(j.at("actor").at("user").is_object());
    if (!ev.header.principal.user_id.empty())
      BOOST_CHECK_EQUAL(j.at("actor").at("user").at("uid"), ev.header.principal.user_id);
    if (cls == 3001 || cls == 3002 || cls == 3003) {
      BOOST_CHECK_EQUAL(j.at("category_uid").get<int>(), 3);
      BOOST_CHECK(j.at("user").is_object());  // required in both classes
      BOOST_CHECK(j.at("user").at("type_id").is_number_integer());
      if (cls == 3003) BOOST_CHECK(j.at("privileges").is_array());
    } else {
      BOOST_REQUIRE_EQUAL(cls, 6003);
      BOOST_CHECK_EQUAL(j.at("category_uid").get<int>(), 6);
      BOOST_CHECK(j.at("api").at("operation").is_string());  // api: required
      BOOST_CHECK(!j.at("api").at("operation").get<std::string>().empty());
      BOOST_CHECK(j.at("src_endpoint").is_object());         // src_endpoint: required
      BOOST_CHECK(j.at("actor").is_object());                // actor: required
    }
  }
}

std::map<std::string, std::vector<json>> by_type(const std::vector<events::RecordedEvent>& all) {
  std::map<std::string, std::vector<json>> out;
  for (const auto& ev : all)
    if (auto r = siem_record(ev)) out[ev.header.type].push_back(to_ocsf(*r));
  return out;
}

// Splits a CEF line into its 7 header fields and the extension, honouring "\|" and "\\".
std::vector<std::string> cef_header(const std::string& line, std::string& extension) {
  std::vector<std::string> fields;
  std::string cur;
  size_t i = 0;
  for (; i < line.size() && fields.size() < 7; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      cur += line[++i];
    } else if (line[i] == '|') {
      fields.push_back(cur);
      cur.clear();
    } else {
      cur += line[i];
    }
  }
  extension = line.substr(i);
  return fields;
}

// key=value pairs: a value runs to the next " key=" (unescaped '='); escapes are undone.
std::map<std::string, std::string> cef_extension(const std::string& ext) {
  std::map<std::string, std::string> out;
  std::vector<std::pair<size_t, size_t>> keys;  // key start, '=' position
  for (size_t i = 0; i < ext.size(); ++i) {
    if (ext[i] == '\\') {
      ++i;
      continue;
    }
    if (ext[i] != '=') continue;
    size_t start = ext.rfind(' ', i);
    start = start == std::string::npos ? 0 : start + 1;
    keys.emplace_back(start, i);
  }
  for (size_t k = 0; k < keys.size(); ++k) {
    size_t vstart = keys[k].second + 1;
    size_t vend = k + 1 < keys.size() ? keys[k + 1].first - 1 : ext.size();
    std::string raw = ext.substr(vstart, vend - vstart), v;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) {
        char c = raw[++i];
        v += c == 'n' ? '\n' : c == 'r' ? '\r' : c;
      } else {
        v += raw[i];
      }
    }
    out[ext.substr(keys[k].first, keys[k].second - keys[k].first)] = v;
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_exported_event_has_the_required_ocsf_fields) {
  TestLog t;
  seed(t);
  auto all = all_events(t);
  size_t exported = 0;
  for (const auto& ev : all) {
    auto r = siem_record(ev);
    BOOST_CHECK_EQUAL(r.has_value(), siem_wants(ev.header.type));
    BOOST_CHECK_MESSAGE(r.has_value() != kNotExported.contains(ev.header.type), ev.header.type);
    if (!r) continue;
    ++exported;
    BOOST_CHECK_EQUAL(r->type_uid(), r->class_uid * 100 + r->activity_id);
    check_required(to_ocsf(*r), ev);
  }
  BOOST_CHECK_EQUAL(exported, all.size() - kNotExported.size());
}

BOOST_AUTO_TEST_CASE(classes_activities_statuses_and_severities) {
  TestLog t;
  seed(t);
  auto m = by_type(all_events(t));
  auto one = [&](const std::string& type, size_t i = 0) -> const json& { return m.at(type).at(i); };
  auto check = [&](const json& j, int cls, int act, int status, int sev) {
    BOOST_TEST_CONTEXT(j.dump()) {
      BOOST_CHECK_EQUAL(j.at("class_uid").get<int>(), cls);
      BOOST_CHECK_EQUAL(j.at("activity_id").get<int>(), act);
      BOOST_CHECK_EQUAL(j.at("status_id").get<int>(), status);
      BOOST_CHECK_EQUAL(j.at("severity_id").get<int>(), sev);
    }
  };
  check(one("UserRegistered"), 3001, 1, 1, 2);
  BOOST_CHECK_EQUAL(one("UserRegistered").at("type_uid").get<int>(), 300101);
  BOOST_CHECK_EQUAL(one("UserRegistered").at("user").at("uid"), "usr-doc");
  BOOST_CHECK_EQUAL(one("UserRegistered").at("unmapped").at("rxportal").at("roles"), "clinician");
  check(one("PasswordSet", 0), 3001, 99, 1, 1);  // registration
  check(one("PasswordSet", 1), 3001, 3, 1, 2);   // change
  check(one("PasswordSet", 2), 3001, 4, 1, 3);   // reset
  BOOST_CHECK_EQUAL(one("PasswordSet", 2).at("type_name"), "Account Change: Password Reset");
  check(one("TotpFactorConfirmed"), 3001, 10, 1, 2);
  check(one("WebAuthnCredentialRegistered"), 3001, 10, 1, 2);
  BOOST_CHECK_EQUAL(one("WebAuthnCredentialRegistered").at("type_uid").get<int>(), 300110);
  check(one("FactorRemoved"), 3001, 11, 1, 3);
  BOOST_CHECK_EQUAL(one("FactorRemoved").at("status_detail"), "admin_reset");
  check(one("RecoveryCodesIssued"), 3001, 99, 1, 2);
  check(one("LoginSucceeded"), 3002, 1, 1, 1);
  BOOST_CHECK_EQUAL(one("LoginSucceeded").at("type_uid").get<int>(), 300201);
  BOOST_CHECK_EQUAL(one("LoginSucceeded").at("is_mfa"), true);
  BOOST_CHECK_EQUAL(one("LoginSucceeded").at("session").at("uid"), "ses-d");
  BOOST_CHECK_EQUAL(one("LoginSucceeded").at("user").at("uid"), "usr-doc");
  BOOST_CHECK_EQUAL(one("LoginSucceeded").at("src_endpoint").at("ip"), "10.1.2.3");
  check(one("LoginFailed", 0), 3002, 1, 2, 2);
  BOOST_CHECK_EQUAL(one("LoginFailed", 0).at("status_detail"), "bad_password");
  check(one("LoginFailed", 1), 3002, 1, 2, 3);  // throttled
  check(one("LoginFailed", 2), 3002, 1, 2, 2);  // unknown user: no account to name
  BOOST_CHECK_EQUAL(one("LoginFailed", 2).at("user").at("type_id").get<int>(), 0);
  BOOST_CHECK(!one("LoginFailed", 2).at("user").contains("uid"));
  BOOST_CHECK_EQUAL(one("LoginFailed", 2).at("src_endpoint").at("ip"), "2001:db8::1");
  check(one("LoginPasswordAccepted"), 3002, 99, 1, 2);  // new device
  BOOST_CHECK_EQUAL(one("LoginPasswordAccepted").at("is_mfa"), false);
  check(one("MfaFailed", 0), 3002, 1, 2, 2);
  check(one("MfaFailed", 1), 3002, 99, 2, 3);  // step-up, replayed code
  check(one("TotpCodeAccepted"), 3002, 99, 1, 1);
  check(one("WebAuthnAssertionAccepted"), 3002, 99, 1, 1);
  check(one("RecoveryCodeUsed"), 3002, 99, 1, 2);
  check(one("MfaPromptDenied"), 3002, 1, 2, 3);
  check(one("MfaBombingSuspected"), 3002, 99, 2, 4);
  check(one("AuthenticatorCloneSuspected"), 3002, 1, 2, 4);
  check(one("SessionStarted"), 3003, 1, 1, 1);
  BOOST_CHECK_EQUAL(one("SessionStarted").at("type_uid").get<int>(), 300301);
  BOOST_CHECK(one("SessionStarted").at("privileges") == json::array({"clinician"}));
  BOOST_CHECK_EQUAL(one("SessionStarted").at("user").at("uid"), "usr-doc");
  BOOST_CHECK_EQUAL(one("SessionStarted").at("session").at("uid"), "ses-d");
  check(one("SessionSteppedUp"), 3003, 1, 1, 1);
  check(one("SessionRotated"), 3003, 99, 1, 1);
  check(one("SessionClosed"), 3003, 99, 1, 1);
  BOOST_CHECK_EQUAL(one("SessionClosed").at("status_detail"), "logout");
  check(one("SessionsRevoked"), 3003, 99, 1, 2);
  BOOST_CHECK_EQUAL(one("SessionsRevoked").at("unmapped").at("rxportal").at("session_ids"), "ses-x,ses-y");
  check(one("RoleGranted"), 3003, 1, 1, 2);
  BOOST_CHECK(one("RoleGranted").at("privileges") == json::array({"pharmacist"}));
  BOOST_CHECK_EQUAL(one("RoleGranted").at("actor").at("user").at("type_id").get<int>(), 2);
  check(one("RoleRevoked"), 3003, 99, 1, 2);
  check(one("RecordViewed", 0), 6003, 2, 1, 1);
  BOOST_CHECK_EQUAL(one("RecordViewed", 0).at("type_uid").get<int>(), 600302);
  BOOST_CHECK_EQUAL(one("RecordViewed", 0).at("resources").at(0).at("uid"), kPid);
  check(one("RecordViewed", 1), 6003, 2, 1, 2);  // emergency purpose
  check(one("RecordExported"), 6003, 2, 1, 2);
  check(one("AccessDenied", 0), 6003, 2, 2, 3);
  BOOST_CHECK_EQUAL(one("AccessDenied", 0).at("api").at("operation"), "record.pgx.read");
  BOOST_CHECK_EQUAL(one("AccessDenied", 0).at("status_detail"), "no_care_relationship");
  BOOST_CHECK(!one("AccessDenied", 1).contains("resources"));  // denials/<user>: no patient
  check(one("BreakGlassInvoked"), 6003, 99, 1, 4);
  BOOST_CHECK_EQUAL(one("BreakGlassInvoked").at("status_detail"), "er_admission");
  check(one("RecordCreated"), 6003, 1, 1, 1);
  BOOST_CHECK_EQUAL(one("RecordCreated").at("actor").at("user").at("type_id").get<int>(), 3);
  check(one("MedicationAdded"), 6003, 1, 1, 1);
  check(one("MedicationChanged"), 6003, 3, 1, 1);
  check(one("MedicationDiscontinued"), 6003, 3, 1, 1);
  check(one("PgxResultRecorded"), 6003, 1, 1, 1);
  check(one("AdverseEventReported"), 6003, 1, 1, 1);
  check(one("DosingGuidanceRecorded"), 6003, 1, 1, 1);
  check(one("AlertRaised"), 6003, 99, 1, 4);
  BOOST_CHECK_EQUAL(one("AlertRaised").at("user").at("uid"), "usr-er");
  BOOST_CHECK_EQUAL(one("AlertRaised").at("resources").at(0).at("uid"), kPid);
  BOOST_CHECK_EQUAL(one("AlertRaised").at("unmapped").at("rxportal").at("evidence_positions"), "40,41");
}

BOOST_AUTO_TEST_CASE(no_phi_or_secret_reaches_ocsf_or_cef) {
  TestLog t;
  seed(t);
  auto all = all_events(t);
  size_t lines = 0;
  for (const auto& ev : all) {
    auto r = siem_record(ev);
    if (!r) continue;
    std::string ocsf = to_ocsf(*r).dump(), cef = to_cef(*r);
    ++lines;
    for (const auto& bad : kForbidden) {
      BOOST_CHECK_MESSAGE(ocsf.find(bad) == std::string::npos, "OCSF of " << ev.header.type << " holds '" << bad << "'");
      BOOST_CHECK_MESSAGE(cef.find(bad) == std::string::npos, "CEF of " << ev.header.type << " holds '" << bad << "'");
    }
  }
  BOOST_CHECK_GT(lines, 30u);
}

BOOST_AUTO_TEST_CASE(cef_escaping_of_header_and_extension) {
  BOOST_CHECK_EQUAL(cef_escape_header("a|b\\c"), "a\\|b\\\\c");
  BOOST_CHECK_EQUAL(cef_escape_header("x=y"), "x=y");  // '=' is literal in the header
  BOOST_CHECK_EQUAL(cef_escape_header("line\nbreak"), "line break");
  BOOST_CHECK_EQUAL(cef_escape_value("a=b\\c\nd\re"), "a\\=b\\\\c\\nd\\re");
  BOOST_CHECK_EQUAL(cef_escape_value("p|q"), "p|q");  // '|' is literal in extensions
  BOOST_CHECK_EQUAL(cef_escape_value(std::string("t\x01u", 3)), "t u");

  SiemRecord r;
  r.class_uid = ocsf::kApiActivity;
  r.category_uid = 6;
  r.activity_id = ocsf::kRead;
  r.activity_name = "Read";
  r.event_type = "Odd|Type\\";
  r.stream_id = "record/p=1";
  r.position = 42;
  r.time_us = 1764806400123456;
  r.severity_id = ocsf::kHigh;
  r.details = {{"k", "a=b\nc"}};
  std::string line = to_cef(r);
  BOOST_CHECK_EQUAL(line.find('\n'), std::string::npos);
  BOOST_CHECK(line.rfind("CEF:0|rxportal|rxportal|", 0) == 0);
  std::string ext;
  auto h = cef_header(line, ext);
  BOOST_REQUIRE_EQUAL(h.size(), 7u);
  BOOST_CHECK_EQUAL(h[0], "CEF:0");
  BOOST_CHECK_EQUAL(h[3], product_version());
  BOOST_CHECK_EQUAL(h[4], "Odd|Type\\");
  BOOST_CHECK_EQUAL(h[5], "API Activity: Read");
  BOOST_CHECK_EQUAL(h[6], "8");
  auto x = cef_extension(ext);
  BOOST_CHECK_EQUAL(x.at("cs1"), "record/p=1");
  BOOST_CHECK_EQUAL(x.at("cs5"), "k:a=b\nc");
  BOOST_CHECK_EQUAL(x.at("rt"), "1764806400123");
  BOOST_CHECK_EQUAL(x.at("cn1"), "42");
}

BOOST_AUTO_TEST_CASE(cef_lines_of_the_fixture_parse_back) {
  TestLog t;
  seed(t);
  for (const auto& ev : all_events(t)) {
    auto r = siem_record(ev);
    if (!r) continue;
    std::string ext;
    auto h = cef_header(to_cef(*r), ext);
    BOOST_TEST_CONTEXT(to_cef(*r)) {
      BOOST_REQUIRE_EQUAL(h.size(), 7u);
      BOOST_CHECK_EQUAL(h[4], ev.header.type);
      int sev = std::stoi(h[6]);
      BOOST_CHECK(sev >= 0 && sev <= 10);
      auto x = cef_extension(ext);
      BOOST_CHECK_EQUAL(x.at("cn1"), std::to_string(ev.header.position));
      BOOST_CHECK_EQUAL(x.at("cs1"), ev.header.stream_id);
      BOOST_CHECK_EQUAL(x.at("rt"), std::to_string(ev.header.occurred_at_us / 1000));
      BOOST_CHECK_EQUAL(x.at("externalId"), "rxp-" + std::to_string(ev.header.position));
      BOOST_CHECK(x.at("outcome") == "Success" || x.at("outcome") == "Failure");
    }
  }
}

BOOST_AUTO_TEST_CASE(shredded_streams_export_header_facts_only) {
  TestLog t;
  seed(t);
  BOOST_REQUIRE(t.log->shred("record/" + kPid).is_ok());
  size_t seen = 0;
  for (const auto& ev : all_events(t)) {
    if (ev.header.stream_id != "record/" + kPid) continue;
    BOOST_REQUIRE(!ev.payload);
    auto r = siem_record(ev);
    BOOST_REQUIRE(r);
    ++seen;
    json j = to_ocsf(*r);
    check_required(j, ev);
    BOOST_CHECK_EQUAL(j.at("unmapped").at("rxportal").at("shredded"), true);
    BOOST_CHECK_EQUAL(j.at("resources").at(0).at("uid"), kPid);
    BOOST_CHECK(!j.contains("status_detail"));
    if (ev.header.type == "AccessDenied") BOOST_CHECK_EQUAL(j.at("status_id").get<int>(), 2);
  }
  BOOST_CHECK_EQUAL(seen, 14u);
}

BOOST_AUTO_TEST_CASE(export_reads_in_global_order_after_a_position_and_in_a_window) {
  TestLog t;
  seed(t);
  auto all = all_events(t);
  std::vector<uint64_t> got;
  auto emit = [&](const events::RecordedEvent& e) {
    got.push_back(e.header.position);
    return Status::ok();
  };
  auto n = export_siem_events(*t.log, {}, emit);
  BOOST_REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
  BOOST_CHECK_EQUAL(*n, all.size() - kNotExported.size());
  BOOST_CHECK(std::is_sorted(got.begin(), got.end()));
  got.clear();
  SiemQuery q;
  q.after_position = 20;
  q.to_us = all.at(29).header.occurred_at_us;  // positions 21..30
  n = export_siem_events(*t.log, q, emit);
  BOOST_REQUIRE(n.is_ok());
  BOOST_REQUIRE(!got.empty());
  BOOST_CHECK_EQUAL(got.front(), 21u);
  BOOST_CHECK_EQUAL(got.back(), 30u);
  // An emit failure stops the export and is returned.
  n = export_siem_events(*t.log, {}, [](const events::RecordedEvent&) {
    return Status(ErrorCode::kIo, "sink failed");
  });
  BOOST_CHECK(n.status().code() == ErrorCode::kIo);
}

BOOST_AUTO_TEST_CASE(audit_csv_quotes_per_rfc_4180) {
  BOOST_CHECK_EQUAL(csv_field("plain"), "plain");
  BOOST_CHECK_EQUAL(csv_field("a,b"), "\"a,b\"");
  BOOST_CHECK_EQUAL(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  BOOST_CHECK_EQUAL(csv_field("two\nlines"), "\"two\nlines\"");
  BOOST_CHECK_EQUAL(csv_field("=cmd()"), "'=cmd()");
  BOOST_CHECK_EQUAL(csv_field(""), "");
  std::string header = audit_csv_header();
  BOOST_CHECK(header.ends_with("\r\n"));
  BOOST_CHECK(header.rfind("position,stream,version,type,occurred_at,", 0) == 0);
  AuditEntry e;
  e.position = 7;
  e.stream_id = "record/pt-1";
  e.section = "medications,pgx";
  std::string row = to_csv_row(e);
  BOOST_CHECK(row.find("\"medications,pgx\"") != std::string::npos);
  BOOST_CHECK(row.rfind("7,record/pt-1,", 0) == 0);
  // Same number of fields as the header (the one quoted comma aside).
  auto commas = [](const std::string& s) { return std::count(s.begin(), s.end(), ','); };
  BOOST_CHECK_EQUAL(commas(row) - 1, commas(header));
}
