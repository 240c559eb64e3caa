#include "actors/identity/cbor.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

namespace rxp::identity::cbor {
namespace {

class Decoder {
 public:
  Decoder(BytesView in, const Limits& limits) : in_(in), limits_(limits) {}

  // Decodes one item at pos_; false with error_ set on failure.
  bool item(Value& out, size_t depth) {
    const size_t start = pos_;
    if (depth > limits_.max_depth) return fail("nesting too deep", start);
    if (++items_ > limits_.max_items) return fail("too many items", start);
    if (pos_ >= in_.size()) return fail("truncated item", start);
    const uint8_t initial = in_[pos_++];
    const uint8_t major = initial >> 5;
    const uint8_t info = initial & 0x1f;
    out.offset = start;

    if (major == 7) {
      switch (info) {
        case 20:
        case 21:
          out.type = Type::kBool;
          out.boolean = info == 21;
          break;
        case 22:
          out.type = Type::kNull;
          break;
        case 25:
        case 26:
        case 27:
          return fail("floats are not supported", start);
        case 31:
          return fail("unexpected break", start);
        default:
          return fail("unsupported simple value", start);
      }
      out.size = pos_ - start;
      return true;
    }
    if (major == 6) return fail("tags are not supported", start);
    if (info == 31) return fail("indefinite length", start);
    if (info >= 28) return fail("reserved additional information", start);

    uint64_t arg = info;
    if (info >= 24) {
      const size_t width = size_t{1} << (info - 24);  // 1, 2, 4 or 8 bytes
      if (in_.size() - pos_ < width) return fail("truncated head", start);
      arg = 0;
      for (size_t i = 0; i < width; ++i) arg = (arg << 8) | in_[pos_ + i];
      pos_ += width;
    }

    const size_t remaining = in_.size() - pos_;
    switch (major) {
      case 0:
        out.type = Type::kUnsigned;
        out.uint = arg;
        break;
      case 1:
        out.type = Type::kNegative;
        out.uint = arg;
        break;
      case 2:
      case 3: {
        if (arg > remaining) return fail("length beyond the input", start);
        const BytesView content = in_.subspan(pos_, static_cast<size_t>(arg));
        if (major == 2) {
          out.type = Type::kBytes;
          out.bytes.assign(content.begin(), content.end());
        } else {
          if (!valid_utf8(content)) return fail("invalid UTF-8 in text string", start);
          out.type = Type::kText;
          out.text.assign(as_chars(content));
        }
        pos_ += static_cast<size_t>(arg);
        break;
      }
      case 4: {
        // Every element takes at least one byte and counts as one item.
        if (arg > remaining) return fail("element count beyond the input", start);
        if (arg > limits_.max_items - items_) return fail("too many items", start);
        out.type = Type::kArray;
        out.items.resize(static_cast<size_t>(arg));
        for (Value& v : out.items) {
          if (!item(v, depth + 1)) return false;
        }
        break;
      }
      case 5: {
        if (arg > remaining / 2) return fail("entry count beyond the input", start);
        if (arg > (limits_.max_items - items_) / 2) return fail("too many items", start);
        out.type = Type::kMap;
        out.entries.resize(static_cast<size_t>(arg));
        // (kind, integer, text) per key, to find duplicates after the map is read.
        std::vector<std::tuple<int, uint64_t, std::string_view>> keys;
        keys.reserve(out.entries.size());
        for (auto& [key, value] : out.entries) {
          const size_t key_offset = pos_;
          if (!item(key, depth + 1)) return false;
          if (key.type == Type::kUnsigned || key.type == Type::kNegative) {
            keys.emplace_back(key.type == Type::kUnsigned ? 0 : 1, key.uint, std::string_view{});
          } else if (key.type == Type::kText) {
            keys.emplace_back(2, 0, key.text);
          } else {
            return fail("map key is not an integer or a text string", key_offset);
          }
          if (!item(value, depth + 1)) return false;
        }
        std::sort(keys.begin(), keys.end());
        if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) {
          return fail("duplicate map key", start);
        }
        break;
      }
      default:
        return fail("unknown major type", start);  // unreachable: 3 bits, all handled
    }
    out.size = pos_ - start;
    return true;
  }

  size_t pos() const { return pos_; }
  const Status& error() const { return error_; }
  Status fail_at(std::string reason, size_t offset) {
    fail(std::move(reason), offset);
    return error_;
  }

 private:
  bool fail(std::string reason, size_t offset) {
    error_ = Status(ErrorCode::kInvalidArgument,
                    "cbor: " + std::move(reason) + " at offset " + std::to_string(offset));
    return false;
  }

  BytesView in_;
  Limits limits_;
  size_t pos_ = 0;
  size_t items_ = 0;
  Status error_;
};

}  // namespace

std::optional<int64_t> Value::as_int() const {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (type == Type::kUnsigned && uint <= kMax) return static_cast<int64_t>(uint);
  // -1 - n fits when n <= INT64_MAX.
  if (type == Type::kNegative && uint <= kMax) return -1 - static_cast<int64_t>(uint);
  return std::nullopt;
}

const Value* Value::find(int64_t key) const {
  if (type != Type::kMap) return nullptr;
  for (const auto& [k, v] : entries) {
    if (k.is_int() && k.as_int() == key) return &v;
  }
  return nullptr;
}

const Value* Value::find(std::string_view key) const {
  if (type != Type::kMap) return nullptr;
  for (const auto& [k, v] : entries) {
    if (k.type == Type::kText && k.text == key) return &v;
  }
  return nullptr;
}

Result<Prefix> decode_prefix(BytesView input, const Limits& limits) {
  Decoder d(input, limits);
  if (input.empty()) return d.fail_at("empty input", 0);
  Prefix p;
  if (!d.item(p.value, 1)) return d.error();
  p.consumed = d.pos();
  return p;
}

Result<Value> decode(BytesView input, const Limits& limits) {
  Result<Prefix> p = decode_prefix(input, limits);
  if (!p) return p.status();
  if (p->consumed != input.size()) {
    return Status(ErrorCode::kInvalidArgument,
                  "cbor: trailing bytes at offset " + std::to_string(p->consumed));
  }
  return std::move(p->value);
}

bool valid_utf8(BytesView s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    uint32_t min;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // continuation byte or 0xf8..0xff as a lead byte
    }
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const uint8_t cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace rxp::identity::cbor
