// The certify application: one CLI11 app over a list of subcommands, shared
// by the full executable and the small probe front (front.cpp).
#pragma once

#include <span>

#include "cli/commands.hpp"

namespace certify::cli {

// Builds the app from `commands`, parses argv, runs the chosen subcommand and
// maps errors to exit codes (CommandError's code, k_exit_usage otherwise).
int run_app(std::span<const Registrar> commands, int argc, char** argv);

}  // namespace certify::cli
