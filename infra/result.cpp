#include "infra/result.hpp"

namespace rxp {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kIntegrity: return "integrity";
    case ErrorCode::kKeyError: return "key_error";
    case ErrorCode::kShredded: return "shredded";
    case ErrorCode::kUnknownType: return "unknown_type";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(rxp::to_string(code_)) + ": " + message_;
}

}  // namespace rxp
