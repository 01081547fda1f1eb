// Exit codes and the error a subcommand throws for its user, without the
// command-line library (the probe front, front.cpp, runs without CLI11).
#pragma once

#include <stdexcept>
#include <string>

namespace certify::cli {

// Exit codes shared by every subcommand (documented in certify(1)).
inline constexpr int k_exit_ok = 0;       // success; for run: all passed (skips allowed)
inline constexpr int k_exit_failed = 1;   // some test failed / verification failed
inline constexpr int k_exit_usage = 2;    // bad usage or setup error

// Thrown for an error the user can fix (bad input, missing file); main()
// prints "certify: <message>" and exits with `code`.
struct CommandError : std::runtime_error {
  CommandError(const std::string& msg, int c = k_exit_usage) : std::runtime_error(msg), code(c) {}
  int code;
};

}  // namespace certify::cli
