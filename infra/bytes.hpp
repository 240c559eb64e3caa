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

}  // namespace rxp
