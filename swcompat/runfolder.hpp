// sw-check results as a certification run folder (profile "software"), so
// that `certify report`, `certify bundle`, `certify submit` and certdb take
// software results exactly like hardware ones: results.json
// (schemas/results.schema.json, one job per check and package),
// inventory.json (the target OS and the packages as class "software"
// devices), plan.json, and per job logs/<job>/{stdout.log,stderr.log,
// result.json}; the full reports and SBOMs next to them.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "swcompat/report.hpp"

namespace certify::swcompat {

struct SoftwareRun {
  std::string run_id;                 // "" = sw-<UTC time>
  std::string started, finished;      // ISO 8601 UTC of the checks
  nlohmann::json target;              // the snapshot checked against (its "os")
  std::vector<Report> reports;        // one sw-check report per package
};

// Writes the run into `results_dir`/<run_id>/ (created; an existing run
// folder of that id is refused). Returns the run folder.
Result<std::filesystem::path> write_software_run(const SoftwareRun& run, const std::filesystem::path& results_dir);

// The job id of one check of one package ("sw.elf-abi@libfoo1"); characters
// results.schema.json does not allow in ids become '_'.
std::string software_job_id(const std::string& check, const std::string& package);

}  // namespace certify::swcompat
