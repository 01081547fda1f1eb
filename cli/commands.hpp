// The certify subcommands: each file cmd_<name>.cpp adds one to the app.
#pragma once

#include <CLI/CLI.hpp>

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

// A subcommand sets `exit_code` when it finishes with something other than 0.
using Registrar = void (*)(CLI::App& app, int& exit_code);

void add_probe_command(CLI::App& app, int& exit_code);
void add_builtin_command(CLI::App& app, int& exit_code);
void add_peer_command(CLI::App& app, int& exit_code);  // suites: nic peer (issue 6)
void add_submit_command(CLI::App& app, int& exit_code);
// bundle, keygen, sign, verify (issue 8)
void add_bundle_commands(CLI::App& app, int& exit_code);
void add_plan_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_doctor_command(CLI::App& app, int& exit_code);
void add_docs_commands(CLI::App& app, int& exit_code);
// software (issue 11)
void add_swcheck_command(CLI::App& app, int& exit_code);
void add_kabicheck_command(CLI::App& app, int& exit_code);
void add_ossnapshot_command(CLI::App& app, int& exit_code);
void add_osdiff_command(CLI::App& app, int& exit_code);

}  // namespace certify::cli
