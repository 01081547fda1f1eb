// The certify subcommands: each file cmd_<name>.cpp adds one to the app.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/errors.hpp"

namespace certify::cli {

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
