// The run loop: plan + journal + scheduler + supervisor -> results. Child
// processes and the clock come in through interfaces (process.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "runner/journal.hpp"
#include "runner/plan.hpp"
#include "runner/process.hpp"

namespace certify::runner {

inline constexpr int k_results_schema_version = 1;

struct RunOptions {
  int jobs = 1;
  std::filesystem::path run_dir;   // results/<run-id>
  std::filesystem::path self_exe;  // certify, to start built-ins
  std::filesystem::path sysroot = "/";
  bool destructive = false;
  // Whether certify runs as root: a needs-root test is recorded as a skip
  // with that reason instead of starting and failing on EPERM half-way.
  bool is_root = false;
  std::chrono::milliseconds grace{5000};  // SIGTERM -> SIGKILL
  std::string boot_id;                    // this boot (/proc/sys/kernel/random/boot_id)
  std::vector<std::string> base_env;      // environment handed to every test
  std::vector<std::string> param_env;     // CERTIFY_PARAM_* from the command line; override suite params
};

// What the run reports as it goes (progress.hpp renders it).
struct RunEvent {
  enum class Kind { start, finish, tick } kind = Kind::tick;
  std::string job_id, status, reason;
  double duration_s = 0;
  std::size_t done = 0, total = 0, running = 0;
  std::vector<std::string> running_ids;
  double elapsed_s = 0, eta_s = -1;  // eta < 0: unknown
};
using EventSink = std::function<void(const RunEvent&)>;

struct RunSummary {
  std::size_t total = 0, pass = 0, fail = 0, skip = 0, error = 0, timeout = 0, interrupted = 0;
  bool was_interrupted = false;
  bool all_passed() const { return fail + error + timeout + interrupted == 0 && !was_interrupted; }
};

// Journal rows for a plan (definition hashes, plan order).
std::vector<JobRecord> journal_records(const Plan& plan);

// Compares a resumed journal with the plan: the jobs whose definition
// changed ("id: was <hash>, now <hash>"), empty when none.
std::vector<std::string> changed_definitions(const Plan& plan, const Journal& journal);

// Runs every job of `plan` not already done in `journal`.
Result<RunSummary> execute(const Plan& plan, Journal& journal, ProcessRunner& procs, const Clock& clock,
                           const RunOptions& options, const EventSink& events);

// results.json from the journal (schemas/results.schema.json).
nlohmann::json results_json(const Plan& plan, const Journal& journal, const nlohmann::json& inventory,
                            const std::string& run_id);

// Maps a child's end to a status: 0 pass, 1 fail, 77 skip, 2 error, else error.
std::string status_for_exit(int exit_code, int signal);

}  // namespace certify::runner
