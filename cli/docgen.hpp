// Manual pages and bash/zsh completion generated from CLI11 definitions.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

namespace certify::docgen {

// roff manual page: `tmpl` with @COMMANDS@ replaced by one section per
// visible subcommand (synopsis, every option with its default) and
// @VERSION@ by `version`.
std::string render_man_page(const CLI::App& app, std::string_view tmpl, std::string_view version);

// Completion scripts: subcommands, options, and the values of options whose
// validator lists them ({json,xml,table}).
std::string render_bash_completion(const CLI::App& app);
std::string render_zsh_completion(const CLI::App& app);

}  // namespace certify::docgen
