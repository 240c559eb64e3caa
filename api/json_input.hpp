// Strict JSON input for the HTTP edge: a request body becomes a JSON object only when it is
// small enough, valid UTF-8, shallow enough, well formed, free of duplicate keys, and holds
// exactly the fields of its schema with the right types. Pure functions, no I/O.
//
// CONTRACT
// - parse_json_object(body, schema, limits) checks, in this order: size (kTooLarge); UTF-8
//   over the whole body, overlong forms, surrogates and code points above U+10FFFF refused
//   (kMalformed); nesting depth of arrays and objects outside strings (kMalformed); syntax
//   (kMalformed); the top level is an object (kInvalidField, field "body"); duplicate keys
//   (kInvalidField naming the key); unknown fields, missing required fields, wrong types and
//   strings longer than their limit (kInvalidField naming the field).
// - An empty body is read as {} when `empty_is_object` is set (for POSTs without a body).
// - Messages name the field and the rule, never the value: a password or a code sent in the
//   wrong place is not echoed.
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rxp::api {

enum class JsonType { kString, kBool, kInteger, kStringArray, kObject };

struct FieldSpec {
  std::string name;
  JsonType type = JsonType::kString;
  bool required = true;
  size_t max_length = 1024;  // strings: bytes; arrays: items
};

using JsonSchema = std::vector<FieldSpec>;

struct JsonLimits {
  size_t max_bytes = 64 * 1024;
  size_t max_depth = 8;
  bool empty_is_object = false;
};

enum class InputProblem { kNone, kTooLarge, kMalformed, kInvalidField };

struct JsonInput {
  InputProblem problem = InputProblem::kNone;
  std::string field;    // kInvalidField: the offending field ("body" for the top level)
  std::string message;  // for the client: names the field and the rule, never the value
  nlohmann::json value;
  bool ok() const { return problem == InputProblem::kNone; }
};

JsonInput parse_json_object(std::string_view body, const JsonSchema& schema,
                            const JsonLimits& limits = {});

// True when `s` is well-formed UTF-8 (RFC 3629).
bool valid_utf8(std::string_view s);
// The deepest nesting of arrays and objects outside string literals (0 for a scalar).
size_t json_depth(std::string_view s);

}  // namespace rxp::api
