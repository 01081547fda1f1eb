// Result<T>: a value or an error message, for code where failure is normal
// (parsers, probes, file reads). Marked [[nodiscard]] so an unchecked error
// does not compile away silently.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace certify {

struct Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  const std::string& message() const { return error().message; }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation that has no value.
using Status = Result<std::monostate>;
inline Status ok_status() { return Status(std::monostate{}); }

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace certify
