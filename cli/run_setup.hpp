// Options shared by plan and run: where the inventory and the suites come
// from, and which tests to keep.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "runner/plan.hpp"

namespace certify::cli {

struct PlanArgs {
  std::string inventory;  // FILE, else probe
  std::string sysroot = "/";
  std::string suites;     // DIR, else <datadir>/testsuites
  std::vector<std::string> only, skip;
  bool destructive = false;
};

struct RunSetup {
  nlohmann::json inventory;
  runner::Plan plan;
};

void add_plan_options(CLI::App* cmd, PlanArgs& a);
// Loads or probes the inventory, loads the suites, makes the plan; throws
// CommandError naming the file and line of a bad suite.
RunSetup make_run_setup(const PlanArgs& a);

}  // namespace certify::cli
