#include "infra/bytes.hpp"

namespace rxp {

std::string to_hex(BytesView b) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.resize(b.size() * 2);
  for (size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kDigits[b[i] >> 4];
    out[2 * i + 1] = kDigits[b[i] & 0xf];
  }
  return out;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool from_hex(std::string_view hex, Bytes& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return true;
}

static constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(BytesView b) {
  std::string out;
  out.reserve((b.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    const uint32_t v = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8) | b[i + 2];
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(v >> 6) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[v & 0x3f]);
  }
  const size_t rest = b.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{b[i]} << 16;
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 0x3f]);
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8);
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(v >> 6) & 0x3f]);
  }
  return out;
}

static int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool base64url_decode(std::string_view text, Bytes& out) {
  out.clear();
  // Trailing padding: at most two '=', and only when it completes a multiple of 4.
  size_t chars = text.size();
  while (chars > 0 && text[chars - 1] == '=') --chars;
  const size_t pads = text.size() - chars;
  if (pads > 2 || (pads > 0 && text.size() % 4 != 0)) return false;
  if (chars % 4 == 1) return false;
  out.reserve(chars / 4 * 3 + 2);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < chars; ++i) {
    const int v = base64url_value(text[i]);  // '=' before the end is refused here
    if (v < 0) {
      out.clear();
      return false;
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  if (buffer != 0) {  // non-zero trailing bits: not the canonical spelling
    out.clear();
    return false;
  }
  return true;
}

}  // namespace rxp
