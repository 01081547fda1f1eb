// certdb man / certdb completion: certdb(8) and completions from the command
// definitions (cli/docgen, shared with certify).
#include "certdb/commands.hpp"
#include "certify_config.h"
#include "cli/docgen.hpp"

namespace certify::certdb::cli {

void add_docs_commands(CLI::App& app, int& /*exit_code*/) {
  docgen::add_docs_commands<CommandError>(
      app, "certdb(8)",
      ".TH CERTDB 8 \"\" \"certdb @VERSION@\" \"System Administration\"\n.SH NAME\ncertdb \\- certification "
      "database server\n.SH COMMANDS\n@COMMANDS@",
      CERTIFY_VERSION);
}

}  // namespace certify::certdb::cli
