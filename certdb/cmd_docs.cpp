// certdb man / certdb completion: certdb(8) and completions from the command
// definitions (cli/docgen, shared with certify).
#include <iostream>

#include "certdb/commands.hpp"
#include "certify_config.h"
#include "cli/docgen.hpp"
#include "core/files.hpp"

namespace certify::certdb::cli {

void add_docs_commands(CLI::App& app, int& /*exit_code*/) {
  auto tmpl = std::make_shared<std::string>();
  auto* man = app.add_subcommand("man", "Print the certdb(8) manual page (roff), generated from the command definitions");
  man->add_option("--template", *tmpl, "roff template with @COMMANDS@ and @VERSION@ (default: built-in)");
  man->callback([&app, tmpl] {
    std::string t =
        ".TH CERTDB 8 \"\" \"certdb @VERSION@\" \"System Administration\"\n.SH NAME\ncertdb \\- certification "
        "database server\n.SH COMMANDS\n@COMMANDS@";
    if (!tmpl->empty()) {
      auto text = read_file(*tmpl);
      if (!text) throw CommandError(text.message());
      t = *text;
    }
    std::cout << docgen::render_man_page(app, t, CERTIFY_VERSION);
  });
  auto shell = std::make_shared<std::string>();
  auto* comp = app.add_subcommand("completion", "Print the shell completion script for bash or zsh");
  comp->add_option("shell", *shell, "Shell")->required()->check(CLI::IsMember({"bash", "zsh"}));
  comp->callback([&app, shell] {
    std::cout << (*shell == "bash" ? docgen::render_bash_completion(app) : docgen::render_zsh_completion(app));
  });
}

}  // namespace certify::certdb::cli
