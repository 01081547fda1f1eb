// certify: parses the command line and hands over to the libraries.
#include <cstdio>
#include <iostream>

#include "certify_config.h"
#include "cli/commands.hpp"

namespace {

// The subcommands, in the order a user meets them.
constexpr certify::cli::Registrar k_commands[] = {
    certify::cli::add_probe_command,
    certify::cli::add_plan_command,
    certify::cli::add_run_command,
    certify::cli::add_report_command,
    certify::cli::add_builtin_command,
    certify::cli::add_peer_command,
    certify::cli::add_bundle_commands,  // bundle, keygen, sign, verify
    certify::cli::add_submit_command,
    certify::cli::add_swcheck_command,
    certify::cli::add_kabicheck_command,
    certify::cli::add_ossnapshot_command,
    certify::cli::add_osdiff_command,
    certify::cli::add_doctor_command,
    certify::cli::add_docs_commands,  // last: documents every command above
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"certify: hardware and software compatibility certification for Linux servers", "certify"};
  app.set_version_flag("--version", std::string("certify ") + CERTIFY_VERSION);
  app.require_subcommand(1);
  int exit_code = certify::cli::k_exit_ok;
  for (auto reg : k_commands) reg(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : certify::cli::k_exit_usage;
  } catch (const certify::cli::CommandError& e) {
    std::cerr << "certify: " << e.what() << '\n';
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "certify: " << e.what() << '\n';
    return certify::cli::k_exit_usage;
  }
  return exit_code;
}
