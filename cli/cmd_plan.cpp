// certify plan: match the test suites to the inventory and show (and save)
// the jobs a run would execute, with why each suite was chosen or left out.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/run_setup.hpp"
#include "core/files.hpp"

namespace certify::cli {

void add_plan_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<PlanArgs>();
  auto fmt = std::make_shared<std::string>("text");
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("plan", "Show which tests would run on which devices, and why");
  add_plan_options(cmd, *a);
  cmd->add_option("--format,-f", *fmt, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->add_option("-o,--output", *out, "Also save the plan as JSON (plan.json) to FILE");
  cmd->callback([a, fmt, out, &exit_code] {
    auto setup = make_run_setup(*a);
    auto j = runner::to_json(setup.plan);
    std::cout << (*fmt == "json" ? j.dump(2) + "\n" : runner::to_text(setup.plan));
    if (!out->empty())
      if (auto st = write_file_atomic(*out, j.dump(2) + "\n"); !st) throw CommandError(st.message());
    exit_code = k_exit_ok;
  });
}

}  // namespace certify::cli
