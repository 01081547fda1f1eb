// Planner: inventory x suites -> jobs (which test on which device), with the
// reason each suite was chosen or left out for each device.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "runner/suite.hpp"

namespace certify::runner {

inline constexpr int k_plan_schema_version = 1;

struct Job {
  std::string id;         // "<test>@<device, filesystem-safe>" or "<test>" for once-jobs
  std::string test_id, suite_id, cls;
  std::string device_id;  // inventory id, "system"/"cpu"/"memory", or "" for per="once"
  nlohmann::json device = nlohmann::json::object();  // CERTIFY_DEVICE_JSON
  std::vector<std::string> locks;  // resolved: "system", "device:<id>", named locks
  std::vector<std::string> after;  // job ids
  TestDef test;
  std::filesystem::path suite_dir;
  // test.definition_hash(), made once per test when planning (a test runs on
  // many devices); empty in a hand-made Job: definition_hash() computes it.
  std::string def_hash;
  std::string definition_hash() const { return def_hash.empty() ? test.definition_hash() : def_hash; }
};

// Why a suite applies, or not, to a device (or to the machine).
struct Decision {
  std::string suite_id, device_id;
  bool chosen = false;
  std::string reason;
};

struct PlanOptions {
  std::vector<std::string> only, skip;  // glob patterns on test id or job id
  bool destructive = false;             // destructive tests are left out without it
};

struct Plan {
  std::vector<Job> jobs;
  std::vector<Decision> decisions;
  std::vector<std::string> left_out;  // "<test>: reason" for filtered tests
  std::filesystem::path sysroot = "/";
};

// Filesystem-safe form of a device id: "pci:0000:01:00.0" -> "pci-0000-01-00.0".
std::string safe_id(std::string_view s);
bool glob_match(std::string_view pattern, std::string_view text);

Plan make_plan(const nlohmann::json& inventory, const std::vector<Suite>& suites, const PlanOptions& options,
               const std::filesystem::path& sysroot);

nlohmann::json to_json(const Plan& plan);
std::string to_text(const Plan& plan);

}  // namespace certify::runner
