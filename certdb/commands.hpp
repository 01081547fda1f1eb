// The certdb subcommands: each cmd_<name>.cpp adds its commands to the app.
#pragma once

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace certify::certdb::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failed = 1;  // verification failed
inline constexpr int k_exit_usage = 2;   // bad usage or setup error

// An error the user can fix; main() prints "certdb: <message>".
struct CommandError : std::runtime_error {
  CommandError(const std::string& msg, int c = k_exit_usage) : std::runtime_error(msg), code(c) {}
  int code;
};

using Registrar = void (*)(CLI::App& app, int& exit_code);

// server (issue 9): serve; migrate, user ..., audit ...; man, completion
void add_serve_command(CLI::App& app, int& exit_code);
void add_admin_commands(CLI::App& app, int& exit_code);
void add_docs_commands(CLI::App& app, int& exit_code);
// publication (issue 10): publish, verify-published, gen-certificates
void add_publish_commands(CLI::App& app, int& exit_code);

}  // namespace certify::certdb::cli
