// Byte containers shared by every module.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rxp {

using Bytes = std::vector<uint8_t>;
using BytesView = std::span<const uint8_t>;

inline BytesView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(BytesView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string to_hex(BytesView b);
// Strict: even length, [0-9a-fA-F] only. Returns false on anything else.
bool from_hex(std::string_view hex, Bytes& out);

// RFC 4648 section 5 (base64url). Output has no padding. Decoding is strict: only
// [A-Za-z0-9_-], then optional '=' padding only at the very end and only if it completes the
// length to a multiple of 4; a length of 1 mod 4 and non-zero trailing bits are refused, so each
// byte string has exactly one unpadded spelling. Empty text decodes to empty bytes. Returns
// false on anything else (out is then cleared).
std::string base64url_encode(BytesView b);
bool base64url_decode(std::string_view text, Bytes& out);

}  // namespace rxp
