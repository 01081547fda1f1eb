// certify builtin NAME: run one built-in test in this process (the runner
// starts it as a child); `certify builtin --list` lists them.
#include <iostream>

#include "cli/commands.hpp"
#include "testsuites/builtin.hpp"

namespace certify::cli {

void add_builtin_command(CLI::App& app, int& exit_code) {
  auto name = std::make_shared<std::string>();
  auto list = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "builtin", "Run one built-in test with its context from CERTIFY_* variables (used by 'run')");
  cmd->add_option("name", *name, "Built-in test name, as in suite.xml run=\"builtin:NAME\"");
  cmd->add_flag("--list", *list, "List the built-in tests");
  cmd->callback([name, list, &exit_code] {
    if (*list) {
      for (const auto& b : suites::builtins()) std::cout << b.name << "  " << b.summary << '\n';
      return;
    }
    if (name->empty()) throw CommandError("builtin: a test name is required (see --list)");
    if (!suites::find_builtin(*name)) throw CommandError("unknown built-in test '" + *name + "'");
    exit_code = suites::run_builtin(*name, std::cout);
  });
}

}  // namespace certify::cli
