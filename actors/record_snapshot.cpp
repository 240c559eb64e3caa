#include "actors/record_snapshot.hpp"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>

#include "events/codec.hpp"

namespace rxp {
namespace record {
template <class A>
void serialize(A& a, Medication& m) {
  a(m.id, m.name, m.dose, m.route, m.frequency, m.start, m.end, m.status, m.confidential);
}
}  // namespace record
namespace policy {
template <class A>
void serialize(A& a, CareRelationship& c) {
  a(c.clinician_id, c.until_us);
}
template <class A>
void serialize(A& a, ProxyGrant& g) {
  a(g.grant_id, g.grantee_user_id, g.scope, g.expires_at_us, g.revoked, g.parent);
}
template <class A>
void serialize(A& a, BreakGlassGrant& b) {
  a(b.user_id, b.until_us);
}
}  // namespace policy

namespace record {
namespace {

// Event-shaped values go through the event codec: type, schema and bytes.
struct Encoded {
  std::string type;
  uint32_t schema = 0;
  std::string bytes;
  template <class A>
  void serialize(A& a) {
    a(type, schema, bytes);
  }
};

template <class E>
std::vector<Encoded> encode_all(const std::vector<E>& in) {
  std::vector<Encoded> out;
  for (const auto& e : in) {
    auto p = events::encode(events::DomainEvent(e));
    out.push_back({p.type, p.schema_version, std::string(p.bytes.begin(), p.bytes.end())});
  }
  return out;
}

template <class E>
bool decode_all(const std::vector<Encoded>& in, std::vector<E>& out) {
  for (const auto& e : in) {
    auto d = events::decode(e.type, e.schema, as_bytes(e.bytes));
    if (!d || !std::holds_alternative<E>(d.value())) return false;
    out.push_back(std::get<E>(std::move(d.value())));
  }
  return true;
}

}  // namespace

Bytes encode_snapshot(const RecordState& s) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(s.version, s.exists, s.birth_date, s.residence_state, s.vip, s.medications,
       encode_all(s.pgx), encode_all(s.adverse_events), encode_all(s.dosing), s.access.patient_id,
       s.access.birth_date, s.access.care, s.access.proxies, s.access.break_glass);
  }
  std::string str = os.str();
  return Bytes(str.begin(), str.end());
}

Result<RecordState> decode_snapshot(uint32_t schema, BytesView bytes) {
  if (schema != kSnapshotSchema)
    return Status(ErrorCode::kUnknownType, "record snapshot schema " + std::to_string(schema));
  RecordState s;
  std::vector<Encoded> pgx, aes, dosing;
  try {
    std::istringstream is(std::string(as_chars(bytes)));
    cereal::PortableBinaryInputArchive ar(is);
    ar(s.version, s.exists, s.birth_date, s.residence_state, s.vip, s.medications, pgx, aes,
       dosing, s.access.patient_id, s.access.birth_date, s.access.care, s.access.proxies,
       s.access.break_glass);
    if (is.peek() != std::char_traits<char>::eof())
      return Status(ErrorCode::kCorruption, "record snapshot has trailing bytes");
  } catch (const std::exception&) {
    return Status(ErrorCode::kCorruption, "record snapshot does not parse");
  }
  if (!decode_all(pgx, s.pgx) || !decode_all(aes, s.adverse_events) || !decode_all(dosing, s.dosing))
    return Status(ErrorCode::kCorruption, "record snapshot holds an unreadable entry");
  return s;
}

}  // namespace record
}  // namespace rxp
