// certdb: the certification database server and its administration and
// publication commands.
#include <iostream>

#include "certdb/commands.hpp"
#include "certify_config.h"

namespace {

constexpr certify::certdb::cli::Registrar k_commands[] = {
    certify::certdb::cli::add_publish_commands,  // issue 10
};

}  // namespace

int main(int argc, char** argv) {
  using namespace certify::certdb::cli;
  CLI::App app{"certdb: certification database, review queue and public compatibility list", "certdb"};
  app.set_version_flag("--version", std::string("certdb ") + CERTIFY_VERSION);
  app.require_subcommand(1);
  int exit_code = k_exit_ok;
  for (auto reg : k_commands) reg(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : k_exit_usage;
  } catch (const CommandError& e) {
    std::cerr << "certdb: " << e.what() << '\n';
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "certdb: " << e.what() << '\n';
    return k_exit_usage;
  }
  return exit_code;
}
