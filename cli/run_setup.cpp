// Shared plan/run setup: inventory (file or probe), suites, plan.
#include "cli/run_setup.hpp"

#include "cli/commands.hpp"
#include "core/files.hpp"
#include "probe/probe.hpp"

namespace certify::cli {

void add_plan_options(CLI::App* cmd, PlanArgs& a) {
  cmd->add_option("--inventory,-i", a.inventory, "Inventory JSON from 'certify probe' (default: probe now)");
  cmd->add_option("--sysroot", a.sysroot, "Root directory to probe and to give tests")->capture_default_str();
  cmd->add_option("--suites", a.suites, "Directory of <class>/suite.xml (default: the installed test suites)");
  cmd->add_option("--only", a.only, "Keep only tests or jobs matching these glob patterns")->delimiter(',');
  cmd->add_option("--skip", a.skip, "Leave out tests or jobs matching these glob patterns")->delimiter(',');
  cmd->add_flag("--destructive", a.destructive, "Include destructive tests (they may erase data on the devices)");
}

RunSetup make_run_setup(const PlanArgs& a) {
  RunSetup s;
  if (!a.inventory.empty()) {
    auto text = read_file(a.inventory, 256 << 20);
    if (!text) throw CommandError(text.message());
    s.inventory = nlohmann::json::parse(*text, nullptr, false);
    if (s.inventory.is_discarded() || !s.inventory.is_object())
      throw CommandError(a.inventory + ": not a JSON inventory object");
  } else {
    probe::Sysroot root(a.sysroot);
    probe::ProbeOptions po;
    auto inv = probe::probe_all(root, po);
    if (!inv) throw CommandError(inv.message());
    s.inventory = probe::to_json(*inv);
  }
  // Absolute: external tests run with their job's log folder as working directory.
  std::filesystem::path dir = std::filesystem::absolute(a.suites.empty() ? data_dir() / "testsuites" : std::filesystem::path(a.suites));
  auto suites = runner::load_suites(dir);
  if (!suites) throw CommandError(suites.message());
  runner::PlanOptions po;
  po.only = a.only;
  po.skip = a.skip;
  po.destructive = a.destructive;
  s.plan = runner::make_plan(s.inventory, *suites, po, a.sysroot);
  return s;
}

}  // namespace certify::cli
