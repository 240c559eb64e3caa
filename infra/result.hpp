// Errors as values. Every module boundary returns Status or Result<T>; exceptions never
// cross one. A Status carries a code the caller branches on and a message for operators:
// the message must never contain a secret or PHI (ids and positions only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace rxp {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // caller error: bad id, bad field, unknown option
  kNotFound,
  kConflict,     // optimistic concurrency: expected version does not match the stream
  kCorruption,   // a file or row is not what rxportal wrote (unreadable DB, bad encoding)
  kIntegrity,    // tamper evidence failed: hash, chain or authentication tag
  kKeyError,     // key file missing, unsafe or unusable; DEK missing
  kShredded,     // the stream's keys were destroyed on purpose
  kUnknownType,  // event type or schema version this build cannot read
  kIo,           // the OS or the database failed a read or write
  kBusy,         // another process holds the data directory
  kInternal,
};

const char* to_string(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }

  bool is_ok() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "conflict: stream record/x expected version 3, stream is at 4"
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Either a value or a non-ok Status. Accessing value() of an error is a programming error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like expected<T>
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  Status status() const { return is_ok() ? Status{} : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

#define RXP_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::rxp::Status rxp_st_ = (expr);        \
    if (!rxp_st_.is_ok()) return rxp_st_;  \
  } while (0)

}  // namespace rxp
