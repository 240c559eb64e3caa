// A small strict CBOR decoder (RFC 8949), the subset WebAuthn needs. Pure functions: no I/O,
// no global state.
//
// CONTRACT
// - Accepted: unsigned and negative integers (major types 0 and 1, any argument width, the
//   shortest form is not required), byte strings, text strings (must be valid UTF-8, see
//   valid_utf8), arrays, maps, and the simple values false, true and null. All lengths are
//   definite.
// - Refused with kInvalidArgument: indefinite lengths, tags (major type 6), floats, other
//   simple values (undefined, 0..19, 24..31), reserved additional information (28..30), a
//   "break" byte, a declared length or element count beyond the remaining input, nesting
//   deeper than Limits::max_depth (the top-level item is depth 1), more than
//   Limits::max_items items in total (map keys and values each count), map keys that are not
//   integers or text strings, duplicate map keys, and (for decode) trailing bytes.
// - Error messages are "cbor: <reason> at offset N" (offsets into the given input); they
//   never contain input bytes.
// - decode_prefix decodes exactly one item at the start of the input and reports how many
//   bytes it used (authenticatorData carries a COSE key followed by an extensions map).
// - Allocation is bounded by the input: nothing is reserved before the bytes it describes
//   have been checked to exist.
//
// Thread-safety: every function is reentrant. Ownership: a Value owns copies of its strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infra/bytes.hpp"
#include "infra/result.hpp"

namespace rxp::identity::cbor {

enum class Type { kUnsigned, kNegative, kBytes, kText, kArray, kMap, kBool, kNull };

struct MapEntry;

struct Value {
  Type type = Type::kNull;
  uint64_t uint = 0;              // kUnsigned: the value; kNegative: n, where the value is -1 - n
  bool boolean = false;           // kBool
  Bytes bytes;                    // kBytes
  std::string text;               // kText (valid UTF-8)
  std::vector<Value> items;       // kArray
  std::vector<MapEntry> entries;  // kMap, in encoded order, keys unique
  size_t offset = 0;              // where the item's head starts in the decoded input
  size_t size = 0;                // encoded length of the whole item (head and content)

  bool is_int() const { return type == Type::kUnsigned || type == Type::kNegative; }
  // The integer value when it fits in int64_t.
  std::optional<int64_t> as_int() const;
  // Map lookups (nullptr when this is not a map or the key is absent).
  const Value* find(int64_t key) const;
  const Value* find(std::string_view key) const;
};

struct MapEntry {
  Value key;
  Value value;
};

struct Limits {
  size_t max_depth = 16;
  size_t max_items = 1024;
};

// Exactly one item spanning the whole input. Empty input is refused.
Result<Value> decode(BytesView input, const Limits& limits = {});

struct Prefix {
  Value value;
  size_t consumed = 0;  // bytes of input used by value
};
// One item at the start of input; the bytes after it are left to the caller.
Result<Prefix> decode_prefix(BytesView input, const Limits& limits = {});

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(BytesView data);

}  // namespace rxp::identity::cbor
