#include "events/envelope.hpp"

#include <sodium.h>

#include <cstring>

namespace rxp::events {
namespace {

constexpr uint8_t kHeaderFormat = 1;
constexpr size_t kMaxId = 64;
constexpr size_t kMaxStreamId = 100;

void put_u8(Bytes& b, uint8_t v) { b.push_back(v); }
void put_u32(Bytes& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u64(Bytes& b, uint64_t v) {
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_str(Bytes& b, const std::string& s) {
  b.push_back(static_cast<uint8_t>(s.size()));  // validate_header bounds every string < 256
  b.insert(b.end(), s.begin(), s.end());
}
template <size_t N>
void put_arr(Bytes& b, const std::array<uint8_t, N>& a) {
  b.insert(b.end(), a.begin(), a.end());
}

// Bounds-checked reader; any overrun makes ok false and every later read a no-op.
struct Reader {
  BytesView in;
  size_t at = 0;
  bool ok = true;
  bool need(size_t n) {
    if (!ok || in.size() - at < n) ok = false;
    return ok;
  }
  uint64_t uint(int bytes) {
    if (!need(bytes)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | in[at++];
    return v;
  }
  std::string str() {
    size_t n = uint(1);
    if (!need(n)) return {};
    std::string s(reinterpret_cast<const char*>(in.data() + at), n);
    at += n;
    return s;
  }
  template <size_t N>
  void arr(std::array<uint8_t, N>& a) {
    if (!need(N)) return;
    std::memcpy(a.data(), in.data() + at, N);
    at += N;
  }
};

bool is_type_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxId || s[0] < 'A' || s[0] > 'Z') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool is_role(std::string_view r) {
  for (const char* known : {"", "patient", "proxy", "clinician", "pharmacist", "admin", "auditor",
                            "system"})
    if (r == known) return true;
  return false;
}

}  // namespace

// [A-Za-z0-9._:-] as a table: this runs on every id of every header read.
constexpr std::array<bool, 256> kIdChars = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : std::string_view("-_.:")) t[static_cast<uint8_t>(c)] = true;
  return t;
}();

bool is_opaque_id(std::string_view s, bool allow_empty) {
  if (s.empty()) return allow_empty;
  if (s.size() > kMaxId) return false;
  for (char c : s)
    if (!kIdChars[static_cast<uint8_t>(c)]) return false;
  return true;
}

bool is_valid_stream_id(std::string_view s) {
  auto slash = s.find('/');
  if (s.size() > kMaxStreamId || slash == std::string_view::npos || slash == 0) return false;
  for (char c : s.substr(0, slash))
    if (c < 'a' || c > 'z') return false;
  return is_opaque_id(s.substr(slash + 1), false);
}

namespace {
Status bad_field(const char* field) {
  return Status(ErrorCode::kInvalidArgument,
                std::string("event header field '") + field + "' is not an opaque id");
}
}  // namespace

Status validate_event_fields(std::string_view type, uint32_t schema_version,
                             std::string_view causation_id, std::string_view correlation_id,
                             const Principal& principal) {
  if (!is_type_name(type)) return bad_field("type");
  if (schema_version == 0) return Status(ErrorCode::kInvalidArgument, "schema_version is 0");
  if (!is_opaque_id(causation_id)) return bad_field("causation_id");
  if (!is_opaque_id(correlation_id)) return bad_field("correlation_id");
  if (!is_opaque_id(principal.user_id)) return bad_field("principal.user_id");
  if (!is_role(principal.role)) return bad_field("principal.role");
  if (!is_opaque_id(principal.session_id)) return bad_field("principal.session_id");
  return Status::ok();
}

Status validate_header(const EventHeader& h) {
  if (!is_valid_stream_id(h.stream_id)) return bad_field("stream_id");
  if (h.version == 0) return Status(ErrorCode::kInvalidArgument, "event version must be >= 1");
  if (!is_opaque_id(h.key_id)) return bad_field("key_id");
  return validate_event_fields(h.type, h.schema_version, h.causation_id, h.correlation_id,
                               h.principal);
}

Bytes encode_header(const EventHeader& h) {
  Bytes b;
  encode_header_into(h, b);
  return b;
}

void encode_header_into(const EventHeader& h, Bytes& b) {
  b.clear();
  b.reserve(160 + h.stream_id.size() + h.type.size());
  put_u8(b, kHeaderFormat);
  put_u64(b, h.position);
  put_str(b, h.stream_id);
  put_u64(b, h.version);
  put_str(b, h.type);
  put_u32(b, h.schema_version);
  put_u64(b, static_cast<uint64_t>(h.occurred_at_us));
  put_str(b, h.causation_id);
  put_str(b, h.correlation_id);
  put_str(b, h.principal.user_id);
  put_str(b, h.principal.role);
  put_str(b, h.principal.session_id);
  put_str(b, h.key_id);
  put_arr(b, h.nonce);
  put_arr(b, h.prev_hash);
}

Result<EventHeader> decode_header(BytesView bytes) {
  Reader r{bytes};
  EventHeader h;
  if (r.uint(1) != kHeaderFormat)
    return Status(ErrorCode::kCorruption, "event header has an unknown format byte");
  h.position = r.uint(8);
  h.stream_id = r.str();
  h.version = r.uint(8);
  h.type = r.str();
  h.schema_version = static_cast<uint32_t>(r.uint(4));
  h.occurred_at_us = static_cast<int64_t>(r.uint(8));
  h.causation_id = r.str();
  h.correlation_id = r.str();
  h.principal.user_id = r.str();
  h.principal.role = r.str();
  h.principal.session_id = r.str();
  h.key_id = r.str();
  r.arr(h.nonce);
  r.arr(h.prev_hash);
  if (!r.ok || r.at != bytes.size())
    return Status(ErrorCode::kCorruption, "event header is truncated or has trailing bytes");
  if (Status st = validate_header(h); !st) return Status(ErrorCode::kCorruption, st.message());
  return h;
}

Hash chain_hash(BytesView header_bytes, BytesView ciphertext) {
  static constexpr char kTag[] = "rxportal.event.v1";
  uint8_t len[16];
  for (int i = 0; i < 8; ++i) {
    len[i] = static_cast<uint8_t>(header_bytes.size() >> (8 * (7 - i)));
    len[8 + i] = static_cast<uint8_t>(ciphertext.size() >> (8 * (7 - i)));
  }
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kTag), sizeof kTag - 1);
  crypto_generichash_update(&st, len, sizeof len);
  crypto_generichash_update(&st, header_bytes.data(), header_bytes.size());
  crypto_generichash_update(&st, ciphertext.data(), ciphertext.size());
  Hash out;
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

}  // namespace rxp::events
