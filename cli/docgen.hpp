// Manual pages and bash/zsh completion generated from CLI11 definitions.
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "core/files.hpp"

namespace certify::docgen {

// roff manual page: `tmpl` with @COMMANDS@ replaced by one section per
// visible subcommand (synopsis, every option with its default) and
// @VERSION@ by `version`.
std::string render_man_page(const CLI::App& app, std::string_view tmpl, std::string_view version);

// Completion scripts: subcommands, options, and the values of options whose
// validator lists them ({json,xml,table}).
std::string render_bash_completion(const CLI::App& app);
std::string render_zsh_completion(const CLI::App& app);

// The `man` and `completion` subcommands of a program: `page` names its
// manual page ("certify(1)"), `default_template` is the built-in roff
// template; an unreadable --template file throws Error (the program's
// command error, which its main turns into an exit status).
template <class Error>
void add_docs_commands(CLI::App& app, const std::string& page, std::string default_template, std::string_view version) {
  auto tmpl = std::make_shared<std::string>();
  auto* man = app.add_subcommand("man", "Print the " + page + " manual page (roff), generated from the command definitions");
  man->add_option("--template", *tmpl, "roff template with @COMMANDS@ and @VERSION@ (default: built-in)");
  man->callback([&app, tmpl, t = std::move(default_template), version] {
    std::string text = t;
    if (!tmpl->empty()) {
      auto file = read_file(*tmpl);
      if (!file) throw Error(file.message());
      text = *file;
    }
    std::cout << render_man_page(app, text, version);
  });
  auto shell = std::make_shared<std::string>();
  auto* comp = app.add_subcommand("completion", "Print the shell completion script for bash or zsh");
  comp->add_option("shell", *shell, "Shell")->required()->check(CLI::IsMember({"bash", "zsh"}));
  comp->callback([&app, shell] {
    std::cout << (*shell == "bash" ? render_bash_completion(app) : render_zsh_completion(app));
  });
}

}  // namespace certify::docgen
