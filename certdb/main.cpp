// certdb: the certification database server and its administration commands.
#include <iostream>

#include "certdb/commands.hpp"
#include "certdb/db.hpp"
#include "certify_config.h"

namespace {

// The subcommands, in the order an operator meets them.
constexpr certify::certdb::cli::Registrar k_commands[] = {
    certify::certdb::cli::add_serve_command,
    certify::certdb::cli::add_admin_commands,
    certify::certdb::cli::add_publish_commands,  // issue 10
    certify::certdb::cli::add_docs_commands,  // last: documents every command above
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"certdb: certification database server (ingest, review queue, roles, audit log) and public compatibility list", "certdb"};
  app.set_version_flag("--version", std::string("certdb ") + CERTIFY_VERSION);
  app.require_subcommand(1);
  int exit_code = certify::certdb::cli::k_exit_ok;
  for (auto reg : k_commands) reg(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : certify::certdb::cli::k_exit_usage;
  } catch (const certify::certdb::cli::CommandError& e) {
    std::cerr << "certdb: " << e.what() << '\n';
    return e.code;
  } catch (const certify::certdb::DbError& e) {
    std::cerr << "certdb: " << e.what() << '\n';
    return certify::certdb::cli::k_exit_failed;
  } catch (const std::exception& e) {
    std::cerr << "certdb: " << e.what() << '\n';
    return certify::certdb::cli::k_exit_usage;
  }
  return exit_code;
}
