// certify man / certify completion: the manual page and completion scripts,
// generated from the command definitions (cli/docgen.hpp).
#include "certify_config.h"
#include "cli/commands.hpp"
#include "cli/docgen.hpp"

namespace certify::cli {

void add_docs_commands(CLI::App& app, int& /*exit_code*/) {
  docgen::add_docs_commands<CommandError>(
      app, "certify(1)",
      ".TH CERTIFY 1 \"\" \"certify @VERSION@\" \"User Commands\"\n.SH NAME\ncertify \\- hardware and "
      "software compatibility certification\n.SH COMMANDS\n@COMMANDS@",
      CERTIFY_VERSION);
}

}  // namespace certify::cli
