#include "events/codec.hpp"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <functional>
#include <map>
#include <streambuf>

namespace rxp::events {

// ---- cereal schemas: field order is the wire format of the type's current kSchema ----
template <class A> void serialize(A& a, RecordCreated& e) { a(e.patient_id, e.birth_date, e.state, e.vip); }
template <class A> void serialize(A& a, MedicationAdded& e) {
  a(e.medication_id, e.name, e.dose, e.route, e.frequency, e.start, e.end, e.confidential);
}
template <class A> void serialize(A& a, MedicationChanged& e) {
  a(e.medication_id, e.dose, e.frequency, e.confidential);
}
template <class A> void serialize(A& a, MedicationDiscontinued& e) { a(e.medication_id, e.end, e.reason); }
template <class A> void serialize(A& a, PgxResultRecorded& e) {
  a(e.result_id, e.gene, e.diplotype, e.phenotype, e.recommendation);
}
template <class A> void serialize(A& a, AdverseEventReported& e) {
  a(e.report_id, e.medication_id, e.reaction, e.severity, e.onset);
}
template <class A> void serialize(A& a, RecordViewedV1& e) { a(e.section); }
template <class A> void serialize(A& a, RecordViewed& e) { a(e.section, e.purpose); }
template <class A> void serialize(A& a, RecordExported& e) { a(e.sections, e.format); }
template <class A> void serialize(A& a, AccessDenied& e) { a(e.action, e.section, e.reason); }
template <class A> void serialize(A& a, BreakGlassInvoked& e) {
  a(e.reason_code, e.justification, e.access_until_us);
}
template <class A> void serialize(A& a, DosingGuidanceRecorded& e) {
  a(e.guidance_id, e.medication_id, e.guidance, e.source);
}
template <class A> void serialize(A& a, CareRelationshipAdded& e) { a(e.clinician_id, e.until_us); }
template <class A> void serialize(A& a, CareRelationshipEnded& e) { a(e.clinician_id); }
template <class A> void serialize(A& a, ProxyGranted& e) {
  a(e.grant_id, e.grantee_user_id, e.scope, e.expires_at_us, e.parent);
}
template <class A> void serialize(A& a, ProxyRevoked& e) { a(e.grant_id); }
template <class A> void serialize(A& a, UserRegistered& e) { a(e.username, e.roles, e.patient_id); }
template <class A> void serialize(A& a, LoginFailed& e) { a(e.reason, e.source_ip); }
template <class A> void serialize(A& a, PasswordSet& e) { a(e.password_hash, e.reason); }
template <class A> void serialize(A& a, LoginPasswordAccepted& e) {
  a(e.login_id, e.source_ip, e.device_hash, e.expires_at_us, e.new_device);
}
template <class A> void serialize(A& a, MfaFailed& e) { a(e.login_id, e.method, e.reason); }
template <class A> void serialize(A& a, LoginSucceeded& e) {
  a(e.login_id, e.session_id, e.method, e.device_hash, e.source_ip);
}
template <class A> void serialize(A& a, TotpEnrollmentStarted& e) { a(e.factor_id, e.secret); }
template <class A> void serialize(A& a, TotpFactorConfirmed& e) { a(e.factor_id, e.step); }
template <class A> void serialize(A& a, TotpCodeAccepted& e) { a(e.factor_id, e.step); }
template <class A> void serialize(A& a, WebAuthnChallengeIssued& e) { a(e.challenge, e.purpose, e.login_id); }
template <class A> void serialize(A& a, WebAuthnCredentialRegistered& e) {
  a(e.factor_id, e.credential_id, e.public_key, e.alg, e.sign_count);
}
template <class A> void serialize(A& a, WebAuthnAssertionAccepted& e) { a(e.factor_id, e.sign_count); }
template <class A> void serialize(A& a, AuthenticatorCloneSuspected& e) {
  a(e.factor_id, e.stored_count, e.presented_count);
}
template <class A> void serialize(A& a, RecoveryCodesIssued& e) { a(e.salt, e.hashes); }
template <class A> void serialize(A& a, RecoveryCodeUsed& e) { a(e.index); }
template <class A> void serialize(A& a, FactorRemoved& e) { a(e.factor_id, e.reason); }
template <class A> void serialize(A& a, SessionsRevoked& e) { a(e.session_ids, e.reason); }
template <class A> void serialize(A& a, SessionClosed& e) { a(e.session_id, e.reason); }
template <class A> void serialize(A& a, MfaPromptCreated& e) {
  a(e.prompt_id, e.login_id, e.number, e.expires_at_us);
}
template <class A> void serialize(A& a, MfaPromptApproved& e) { a(e.prompt_id, e.approver_session_id); }
template <class A> void serialize(A& a, MfaPromptDenied& e) { a(e.prompt_id, e.reason); }
template <class A> void serialize(A& a, MfaBombingSuspected& e) { a(e.prompts_in_window, e.window_us); }
template <class A> void serialize(A& a, SessionStarted& e) {
  a(e.user_id, e.roles, e.patient_id, e.token_hash, e.csrf_hash, e.device_hash, e.source_ip, e.method,
    e.idle_timeout_us, e.absolute_expires_at_us);
}
template <class A> void serialize(A& a, SessionRotated& e) { a(e.token_hash, e.csrf_hash, e.reason); }
template <class A> void serialize(A& a, SessionSteppedUp& e) { a(e.method, e.until_us); }
template <class A> void serialize(A& a, SessionEnded& e) { a(e.reason); }
template <class A> void serialize(A& a, UsernameClaimed& e) { a(e.username, e.user_id); }
template <class A> void serialize(A& a, RoleGranted& e) { a(e.role); }
template <class A> void serialize(A& a, RoleRevoked& e) { a(e.role, e.reason); }
template <class A> void serialize(A& a, AlertRaised& e) {
  a(e.rule, e.severity, e.explanation, e.user_id, e.patient_id, e.evidence, e.score);
}
template <class A> void serialize(A& a, AlertReviewed& e) { a(e.disposition, e.note); }
template <class A> void serialize(A& a, BreachScopeComputed& e) {
  a(e.by, e.subject_id, e.from_us, e.to_us, e.discovered_us, e.notification_deadline_us,
    e.unsecured_patient_ids, e.secured_patients, e.hhs_notice, e.media_notice_states);
}
template <class A> void serialize(A& a, LogCheckpointed& e) {
  a(e.tree_size, e.root, e.signed_at_us, e.key_id, e.signature);
}

namespace {

// Read-only streambuf over a byte span: decoding copies nothing.
struct SpanBuf : std::streambuf {
  void reset(BytesView b) {
    char* p = const_cast<char*>(reinterpret_cast<const char*>(b.data()));
    setg(p, p, p + b.size());
  }
  bool at_end() const { return gptr() == egptr(); }
};

// One istream per thread, re-pointed at each payload: constructing a stream (and its locale)
// per event costs more than decoding most payloads.
struct SpanStream {
  SpanBuf buf;
  std::istream is{&buf};
  std::istream& reset(BytesView b) {
    buf.reset(b);
    is.clear();
    return is;
  }
};

// Appends to a byte vector.
struct VecBuf : std::streambuf {
  explicit VecBuf(Bytes& out) : out_(out) {}
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_.push_back(static_cast<uint8_t>(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.insert(out_.end(), s, s + n);
    return n;
  }
  Bytes& out_;
};

template <class T>
Bytes encode_value(const T& value) {
  Bytes out;
  out.reserve(128);
  VecBuf buf(out);
  std::ostream os(&buf);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(const_cast<T&>(value));
  }
  return out;
}

// Exact decode: the payload must parse and be consumed completely.
template <class T>
Result<T> decode_value(BytesView bytes) {
  thread_local SpanStream stream;
  std::istream& is = stream.reset(bytes);
  SpanBuf& buf = stream.buf;
  T value{};
  try {
    cereal::PortableBinaryInputArchive ar(is);
    ar(value);
  } catch (const std::exception&) {  // cereal throws on truncation; bad_alloc on absurd sizes
    return Status(ErrorCode::kCorruption, "event payload does not parse");
  }
  if (!buf.at_end()) return Status(ErrorCode::kCorruption, "event payload has trailing bytes");
  return value;
}

// An upcaster turns the bytes of schema n of a type into the bytes of schema n+1.
using Upcaster = std::function<Result<Bytes>(BytesView)>;
using UpcasterKey = std::pair<std::string, uint32_t>;  // type, from-version

const std::map<UpcasterKey, Upcaster>& upcasters() {
  static const std::map<UpcasterKey, Upcaster> registry = {
      {{"RecordViewed", 1},
       [](BytesView in) -> Result<Bytes> {
         auto old = decode_value<RecordViewedV1>(in);
         if (!old) return old.status();
         return encode_value(RecordViewed{old->section, "unspecified"});
       }},
  };
  return registry;
}

template <class E>
Result<DomainEvent> decode_as(uint32_t schema_version, BytesView bytes) {
  if (schema_version > E::kSchema || schema_version == 0)
    return Status(ErrorCode::kUnknownType, std::string("no reader for ") + E::kType + " schema " +
                                               std::to_string(schema_version));
  Bytes upcast;
  for (uint32_t v = schema_version; v < E::kSchema; ++v) {
    auto it = upcasters().find({E::kType, v});
    if (it == upcasters().end())
      return Status(ErrorCode::kUnknownType, std::string("no upcaster for ") + E::kType +
                                                 " schema " + std::to_string(v));
    auto next = it->second(upcast.empty() ? bytes : BytesView(upcast));
    if (!next) return next.status();
    upcast = std::move(next.value());
  }
  auto value = decode_value<E>(upcast.empty() && schema_version == E::kSchema ? bytes : upcast);
  if (!value) return value.status();
  return DomainEvent(std::move(value.value()));
}

using Decoder = Result<DomainEvent> (*)(uint32_t, BytesView);

template <size_t... I>
std::map<std::string_view, Decoder> make_decoders(std::index_sequence<I...>) {
  return {{std::variant_alternative_t<I, DomainEvent>::kType,
           &decode_as<std::variant_alternative_t<I, DomainEvent>>}...};
}

}  // namespace

EncodedPayload encode(const DomainEvent& event) {
  return std::visit(
      [](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        return EncodedPayload{E::kType, E::kSchema, encode_value(e)};
      },
      event);
}

Result<DomainEvent> decode(std::string_view type, uint32_t schema_version, BytesView bytes) {
  static const auto decoders =
      make_decoders(std::make_index_sequence<std::variant_size_v<DomainEvent>>{});
  auto it = decoders.find(type);
  if (it == decoders.end())
    return Status(ErrorCode::kUnknownType, "unknown event type '" + std::string(type) + "'");
  return it->second(schema_version, bytes);
}

const char* type_name(const DomainEvent& event) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kType; }, event);
}

std::vector<std::pair<std::string, uint32_t>> registered_types() {
  std::vector<std::pair<std::string, uint32_t>> out;
  [&]<size_t... I>(std::index_sequence<I...>) {
    (out.emplace_back(std::variant_alternative_t<I, DomainEvent>::kType,
                      std::variant_alternative_t<I, DomainEvent>::kSchema),
     ...);
  }(std::make_index_sequence<std::variant_size_v<DomainEvent>>{});
  return out;
}

Bytes encode_record_viewed_v1(const RecordViewedV1& old) { return encode_value(old); }

}  // namespace rxp::events
