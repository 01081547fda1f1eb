// The certify application: parses the command line and hands over to the
// libraries.
#include "cli/app.hpp"

#include <iostream>
#include <string>

#include "certify_config.h"

namespace certify::cli {

int run_app(std::span<const Registrar> commands, int argc, char** argv) {
  CLI::App app{"certify: hardware and software compatibility certification for Linux servers", "certify"};
  app.set_version_flag("--version", std::string("certify ") + CERTIFY_VERSION);
  app.require_subcommand(1);
  int exit_code = k_exit_ok;
  for (auto reg : commands) reg(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : k_exit_usage;
  } catch (const CommandError& e) {
    std::cerr << "certify: " << e.what() << '\n';
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "certify: " << e.what() << '\n';
    return k_exit_usage;
  }
  return exit_code;
}

}  // namespace certify::cli
