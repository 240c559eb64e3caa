#include <boost/test/unit_test.hpp>
#include <set>

#include "events/codec.hpp"
#include "events/event_json.hpp"

using namespace rxp;
using namespace rxp::events;

namespace {
// One filled-in sample of every event type. The test below fails when a type is added to
// DomainEvent without a sample here.
std::vector<DomainEvent> samples() {
  return {
      RecordCreated{"pt-1", "2010-05-01", "MA", true},
      MedicationAdded{"med-1", "warfarin", "5 mg", "oral", "daily", "2026-01-01", "", true},
      MedicationChanged{"med-1", "2.5 mg", "daily", false},
      MedicationDiscontinued{"med-1", "2026-02-01", "bleeding"},
      PgxResultRecorded{"pgx-1", "CYP2C19", "*2/*2", "poor metabolizer", "avoid clopidogrel"},
      AdverseEventReported{"ae-1", "med-1", "rash", "moderate", "2026-01-10"},
      RecordViewed{"pgx", "treatment"},
      RecordExported{{"medications", "pgx"}, "fhir"},
      AccessDenied{"record.pgx.read", "pgx", "no_care_relationship"},
      BreakGlassInvoked{"emergency", "unconscious patient in ED, anticoagulation status", 123},
      DosingGuidanceRecorded{"dg-1", "med-1", "reduce dose 25%", "CPIC"},
      CareRelationshipAdded{"usr-9", 99},
      CareRelationshipEnded{"usr-9"},
      ProxyGranted{"gr-1", "usr-7", {"medications", "dosing"}, 1000, true},
      ProxyRevoked{"gr-1"},
      UserRegistered{"nurse.a", {"clinician", "pharmacist"}, ""},
      LoginFailed{"bad_password", "192.0.2.1"},
      PasswordSet{"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", "registration"},
      LoginPasswordAccepted{"lgn-1", "192.0.2.1", "ab12", 77, true},
      MfaFailed{"lgn-1", "totp", "replayed"},
      LoginSucceeded{"lgn-1", "ses-1", "totp", "ab12", "192.0.2.1"},
      TotpEnrollmentStarted{"fac-1", std::string("\x01\x02totpkey", 9)},
      TotpFactorConfirmed{"fac-1", 59},
      TotpCodeAccepted{"fac-1", 60},
      WebAuthnChallengeIssued{std::string(32, '\x07'), "login", "lgn-1"},
      WebAuthnCredentialRegistered{"fac-2", "cred\x00id", "cose-key", -7, 3},
      WebAuthnAssertionAccepted{"fac-2", 4},
      AuthenticatorCloneSuspected{"fac-2", 9, 4},
      RecoveryCodesIssued{std::string(32, 's'), {std::string(32, 'h'), std::string(32, 'i')}},
      RecoveryCodeUsed{1},
      FactorRemoved{"fac-1", "user"},
      SessionsRevoked{{"ses-1", "ses-2"}, "password_changed"},
      SessionClosed{"ses-1", "idle_timeout"},
      MfaPromptCreated{"mfp-1", "lgn-1", "42", 88},
      MfaPromptApproved{"mfp-1", "ses-2"},
      MfaPromptDenied{"mfp-1", "wrong_number"},
      MfaBombingSuspected{3, 600000000},
      SessionStarted{"usr-1", {"patient"}, "pt-1", "tokhash", "csrfhash", "ab12", "192.0.2.1", "totp", 1, 2},
      SessionRotated{"tokhash2", "csrfhash2", "step_up"},
      SessionSteppedUp{"totp", 99},
      SessionEnded{"logout"},
      UsernameClaimed{"nurse.a", "usr-1"},
      RoleGranted{"pharmacist"},
      RoleRevoked{"admin", "dormant"},
      AlertRaised{"break_glass", "high", "user usr-1 used emergency access", "usr-1", "pt-1", {7, 9}, 1.0},
      AlertReviewed{"benign", "confirmed with the ED"},
      BreachScopeComputed{"actor", "usr-1", 1, 2, 3, 4, {"pt-1", "pt-2"}, 5, true, {"TX"}},
      LogCheckpointed{51, std::string(32, '\x11'), 1764806400000000, "sk-0011223344556677", std::string(64, '\x22')},
  };
}
}  // namespace

BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(every_event_type_round_trips) {
  auto all = samples();
  BOOST_REQUIRE_EQUAL(all.size(), std::variant_size_v<DomainEvent>);
  std::set<size_t> seen;
  for (const auto& e : all) {
    seen.insert(e.index());
    EncodedPayload p = encode(e);
    BOOST_CHECK_EQUAL(p.type, type_name(e));
    auto back = decode(p.type, p.schema_version, p.bytes);
    BOOST_REQUIRE_MESSAGE(back.is_ok(), p.type << ": " << back.status().to_string());
    BOOST_CHECK_MESSAGE(back.value() == e, p.type);
    BOOST_CHECK(payload_to_json(e).is_object());
  }
  BOOST_CHECK_EQUAL(seen.size(), all.size());
  BOOST_CHECK_EQUAL(registered_types().size(), all.size());
}

// Analysts replay events as JSON: secrets must show as present, never as values.
BOOST_AUTO_TEST_CASE(secrets_are_redacted_from_the_json_view) {
  for (const auto& e : samples()) {
    std::string json = payload_to_json(e).dump();
    for (const char* secret : {"argon2id", "totpkey", "tokhash", "csrfhash", "ssssssss", "hhhhhhhh"})
      BOOST_CHECK_MESSAGE(json.find(secret) == std::string::npos, type_name(e) << " shows " << secret);
  }
  BOOST_CHECK(payload_to_json(MfaPromptCreated{"mfp-1", "lgn-1", "42", 88}).dump().find("42") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(old_schema_is_upcast_on_read) {
  Bytes v1 = encode_record_viewed_v1(RecordViewedV1{"medications"});
  auto e = decode("RecordViewed", 1, v1);
  BOOST_REQUIRE(e.is_ok());
  const auto& viewed = std::get<RecordViewed>(e.value());
  BOOST_CHECK_EQUAL(viewed.section, "medications");
  BOOST_CHECK_EQUAL(viewed.purpose, "unspecified");
  // The current schema is not read through the upcaster.
  auto cur = encode(RecordViewed{"pgx", "treatment"});
  BOOST_CHECK_EQUAL(cur.schema_version, 2u);
  BOOST_CHECK(std::get<RecordViewed>(decode("RecordViewed", 2, cur.bytes).value()).purpose == "treatment");
}

BOOST_AUTO_TEST_CASE(unknown_type_and_schema_are_typed_errors) {
  auto p = encode(RecordViewed{"pgx", "treatment"});
  auto r = decode("RecordDeleted", 1, p.bytes);
  BOOST_CHECK(r.status().code() == ErrorCode::kUnknownType);
  r = decode("RecordViewed", 3, p.bytes);
  BOOST_CHECK(r.status().code() == ErrorCode::kUnknownType);
  r = decode("RecordViewed", 0, p.bytes);
  BOOST_CHECK(r.status().code() == ErrorCode::kUnknownType);
  // A schema with no upcaster path.
  auto m = encode(MedicationAdded{});
  BOOST_CHECK(decode("MedicationAdded", 2, m.bytes).status().code() == ErrorCode::kUnknownType);
}

BOOST_AUTO_TEST_CASE(truncated_or_padded_payload_is_corruption_not_a_crash) {
  for (const auto& e : samples()) {
    auto p = encode(e);
    for (size_t n = 0; n < p.bytes.size(); ++n) {
      auto r = decode(p.type, p.schema_version, BytesView(p.bytes.data(), n));
      BOOST_CHECK_MESSAGE(!r.is_ok(), p.type << " truncated to " << n);
    }
    p.bytes.push_back(0);
    BOOST_CHECK(decode(p.type, p.schema_version, p.bytes).status().code() == ErrorCode::kCorruption);
  }
  // An absurd length prefix must not allocate the world or crash.
  Bytes huge(9, 0xff);
  BOOST_CHECK(!decode("RecordViewed", 2, huge).is_ok());
}

BOOST_AUTO_TEST_SUITE_END()
