#include "projections/feed_frame.hpp"

#include "infra/secure.hpp"

namespace rxp::projections {
namespace {

constexpr uint8_t kMagic[4] = {'R', 'X', 'F', '1'};

// A bounds-checked reader: every getter fails (returns false) instead of reading past the end.
struct Reader {
  BytesView in;
  size_t at = 0;
  bool uint(int bytes, uint64_t& v) {
    if (in.size() - at < static_cast<size_t>(bytes)) return false;
    v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | in[at++];
    return true;
  }
  bool raw(size_t n, Bytes& out) {
    if (in.size() - at < n) return false;
    out.assign(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
    return true;
  }
  bool counted(int len_bytes, Bytes& out) {
    uint64_t n = 0;
    return uint(len_bytes, n) && raw(static_cast<size_t>(n), out);
  }
};

Status malformed(const char* why) {
  return Status(ErrorCode::kCorruption, std::string("malformed feed message: ") + why);
}

}  // namespace

Bytes encode_feed_frame(const events::RawEvent& e) {
  // Sized once and filled by index (GCC 12 misreads vector::insert after reserve as an overflow).
  Bytes out(4 + 8 + 8 + 2 + e.stream_id.size() + 4 + e.header_bytes.size() + 4 +
            e.ciphertext.size() + e.hash.size());
  size_t at = 0;
  auto put = [&](uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out[at++] = static_cast<uint8_t>(v >> (8 * i));
  };
  auto copy = [&](const auto& src) {
    for (auto c : src) out[at++] = static_cast<uint8_t>(c);
  };
  copy(kMagic);
  put(e.position, 8);
  put(e.version, 8);
  put(e.stream_id.size(), 2);
  copy(e.stream_id);
  put(e.header_bytes.size(), 4);
  copy(e.header_bytes);
  put(e.ciphertext.size(), 4);
  copy(e.ciphertext);
  copy(e.hash);
  return out;
}

Result<events::RawEvent> decode_feed_frame(BytesView frame) {
  if (frame.size() > kMaxFeedFrame) return malformed("too large");
  if (frame.size() < 4 || !std::equal(kMagic, kMagic + 4, frame.begin())) return malformed("bad magic");
  Reader r{frame, 4};
  events::RawEvent e;
  Bytes stream;
  if (!r.uint(8, e.position) || !r.uint(8, e.version) || !r.counted(2, stream) ||
      !r.counted(4, e.header_bytes) || !r.counted(4, e.ciphertext) || !r.raw(32, e.hash))
    return malformed("truncated");
  if (r.at != frame.size()) return malformed("trailing bytes");
  e.stream_id.assign(stream.begin(), stream.end());
  if (e.position == 0 || e.version == 0 || !events::is_valid_stream_id(e.stream_id))
    return malformed("bad position, version or stream id");
  auto h = events::decode_header(e.header_bytes);
  if (!h) return malformed("header does not decode");
  if (h->position != e.position || h->stream_id != e.stream_id || h->version != e.version)
    return malformed("fields disagree with the header");
  events::Hash computed = events::chain_hash(e.header_bytes, e.ciphertext);
  if (!secure_equal(computed, e.hash)) return malformed("hash does not match");
  return e;
}

}  // namespace rxp::projections
