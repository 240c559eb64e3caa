#include "api/json_input.hpp"

#include <algorithm>
#include <set>

namespace rxp::api {
namespace {

JsonInput failure(InputProblem p, std::string field, std::string message) {
  JsonInput in;
  in.problem = p;
  in.field = std::move(field);
  in.message = std::move(message);
  return in;
}

const char* type_name(JsonType t) {
  switch (t) {
    case JsonType::kString: return "a string";
    case JsonType::kBool: return "a boolean";
    case JsonType::kInteger: return "an integer";
    case JsonType::kStringArray: return "an array of strings";
    case JsonType::kObject: return "an object";
  }
  return "a value";
}

// Empty when the value fits the spec; otherwise the rule it breaks.
std::string check_field(const nlohmann::json& v, const FieldSpec& f) {
  std::string must = std::string("must be ") + type_name(f.type);
  switch (f.type) {
    case JsonType::kString:
      if (!v.is_string()) return must;
      if (v.get_ref<const std::string&>().size() > f.max_length)
        return "must be at most " + std::to_string(f.max_length) + " bytes";
      return {};
    case JsonType::kBool: return v.is_boolean() ? std::string() : must;
    case JsonType::kInteger: return v.is_number_integer() ? std::string() : must;
    case JsonType::kObject: return v.is_object() ? std::string() : must;
    case JsonType::kStringArray:
      if (!v.is_array()) return must;
      if (v.size() > f.max_length) return "must have at most " + std::to_string(f.max_length) + " items";
      for (const auto& item : v)
        if (!item.is_string()) return must;
      return {};
  }
  return must;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte first, C0/C1 overlong leads, F5..FF
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

size_t json_depth(std::string_view s) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') deepest = std::max(deepest, ++depth);
    else if ((c == '}' || c == ']') && depth > 0) --depth;
  }
  return deepest;
}

JsonInput parse_json_object(std::string_view body, const JsonSchema& schema, const JsonLimits& limits) {
  if (body.size() > limits.max_bytes)
    return failure(InputProblem::kTooLarge, "body", "body must be at most " + std::to_string(limits.max_bytes) + " bytes");
  bool blank = std::all_of(body.begin(), body.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
  if (blank && limits.empty_is_object) body = "{}";
  if (!valid_utf8(body)) return failure(InputProblem::kMalformed, "body", "body is not valid UTF-8");
  if (json_depth(body) > limits.max_depth)
    return failure(InputProblem::kMalformed, "body", "body nests deeper than " + std::to_string(limits.max_depth) + " levels");

  // Duplicate keys: nlohmann keeps the last one silently; a strict reader refuses them.
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  auto cb = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) keys.emplace_back();
    else if (ev == E::object_end && !keys.empty()) keys.pop_back();
    else if (ev == E::key && !keys.empty() && parsed.is_string()) {
      const auto& k = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(k).second && duplicate.empty()) duplicate = k.size() <= 64 ? k : k.substr(0, 64);
    }
    return true;
  };
  auto value = nlohmann::json::parse(body.begin(), body.end(), cb, /*allow_exceptions=*/false);
  if (value.is_discarded()) return failure(InputProblem::kMalformed, "body", "body is not well-formed JSON");
  if (!value.is_object()) return failure(InputProblem::kInvalidField, "body", "body must be a JSON object");
  if (!duplicate.empty()) {
    bool known = std::any_of(schema.begin(), schema.end(), [&](const FieldSpec& f) { return f.name == duplicate; });
    return failure(InputProblem::kInvalidField, known ? duplicate : "body",
                   known ? duplicate + ": appears more than once" : "body: a key appears more than once");
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    bool known = std::any_of(schema.begin(), schema.end(), [&](const FieldSpec& f) { return f.name == it.key(); });
    // An unknown key is named only when it is short and plain (it may be anything).
    if (!known) {
      const std::string& k = it.key();
      bool plain = k.size() <= 64 && std::all_of(k.begin(), k.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
                   });
      return failure(InputProblem::kInvalidField, plain ? k : "body",
                     plain ? k + ": unknown field" : "body: unknown field");
    }
  }
  for (const auto& f : schema) {
    auto it = value.find(f.name);
    if (it == value.end()) {
      if (f.required) return failure(InputProblem::kInvalidField, f.name, f.name + ": required");
      continue;
    }
    if (auto rule = check_field(*it, f); !rule.empty())
      return failure(InputProblem::kInvalidField, f.name, f.name + ": " + rule);
  }
  JsonInput ok;
  ok.value = std::move(value);
  return ok;
}

}  // namespace rxp::api
