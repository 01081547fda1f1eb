// The run loop: plan + journal + scheduler + supervisor -> results. Child
// processes and the clock come in through interfaces (process.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
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
  // Called before each job that may take the kernel down (it expects a
  // reboot or holds the system lock) starts, after the journal recorded
  // everything before it: what the run and its tests wrote until then must
  // be on disk (DeferredSync::wait, sync_file_system).
  std::function<Status()> before_durable;
  // Called with a job's record each time the journal committed a change of
  // it (ResultsDocument::update keeps results.json's text up to date).
  std::function<void(const JobRecord&)> recorded;
  // Called when the loop has started and recorded what it could and would
  // wait: a small piece of the caller's work (ResultsDocument::print_one);
  // true when there was some, and the loop then looks again without waiting.
  std::function<bool()> idle;
};

struct RunSummary {
  std::size_t total = 0, pass = 0, fail = 0, skip = 0, error = 0, timeout = 0, interrupted = 0;
  bool was_interrupted = false;
  bool all_passed() const { return fail + error + timeout + interrupted == 0 && !was_interrupted; }
};

// What the run reports as it goes (progress.hpp renders it; --json prints
// each as one line, schemas/run-events.schema.json). execute() sends
// run_start, job_start, job_end and progress (at most every 500 ms while
// jobs run); the caller sends run_end once results.json is written.
struct RunEvent {
  enum class Kind { run_start, job_start, job_end, progress, run_end } kind = Kind::progress;
  std::string time;  // ISO 8601 UTC
  std::string run_id;
  // job_start, job_end
  std::string job_id, test, device, status, reason;
  int attempt = 0;
  double duration_s = 0;
  std::optional<int> exit_code, signal;
  // every event: counters
  std::size_t done = 0, total = 0, running = 0;
  std::vector<std::string> running_ids;
  double elapsed_s = 0, eta_s = -1;  // eta < 0: unknown
  // run_start
  int workers = 0;
  bool resumed = false;
  // run_end: the outcome, the exit status, and what the runner process itself
  // used (CPU seconds, peak RSS in KiB; < 0 when not measured)
  RunSummary summary;
  int exit_status = 0;
  std::string results;  // path of results.json
  double cpu_user_s = -1, cpu_sys_s = -1;
  long max_rss_kib = -1;
};
using EventSink = std::function<void(const RunEvent&)>;

// Journal rows for a plan (definition hashes, plan order).
std::vector<JobRecord> journal_records(const Plan& plan);

// Compares a resumed journal with the plan: the jobs whose definition
// changed ("id: was <hash>, now <hash>"), empty when none.
std::vector<std::string> changed_definitions(const Plan& plan, const Journal& journal);

// Runs every job of `plan` not already done in `journal`.
Result<RunSummary> execute(const Plan& plan, Journal& journal, ProcessRunner& procs, const Clock& clock,
                           const RunOptions& options, const EventSink& events);
// The same with the journal's rows as they are now (Journal::jobs(), or
// journal_records(plan) for a journal just made from the plan), which the
// caller has already: reading 400 back took 2-5 ms of a run's start.
Result<RunSummary> execute(const Plan& plan, Journal& journal, std::vector<JobRecord> rows, ProcessRunner& procs,
                           const Clock& clock, const RunOptions& options, const EventSink& events);
// The same with a journal still to be made (a new run's): `journal` is
// called when the run first records, after it started the jobs it could,
// so they run while the journal is filled (~10 ms of a run's start here)
// instead of waiting for it. It is called again only after it failed; the
// journal it returns stays the caller's. A job started and not yet recorded
// is run again by a resume, as one not yet started is, so a kill before the
// journal exists loses nothing; a job that may take the kernel down (see
// RunOptions::before_durable) starts only once the journal holds it.
using JournalSource = std::function<Result<Journal*>()>;
Result<RunSummary> execute(const Plan& plan, const JournalSource& journal, std::vector<JobRecord> rows,
                           ProcessRunner& procs, const Clock& clock, const RunOptions& options,
                           const EventSink& events);

// results.json (schemas/results.schema.json), as nlohmann::json's dump(2)
// prints it, kept a job at a time: a job's final record comes through
// update (RunOptions::recorded) and is printed by print_one while the other
// jobs run (RunOptions::idle: not between a job's end and the next start),
// so the end of a run only joins the parts. Reading the journal back and
// printing every job there took ~9 ms after the last job of a 400-job run,
// and the whole document as one JSON value ~20 ms more.
class ResultsDocument {
 public:
  // `records`: the journal's rows (Journal::jobs()), in plan order.
  ResultsDocument(const Plan& plan, std::vector<JobRecord> records);
  // A record the journal committed; one it does not hold is ignored.
  void update(const JobRecord& record);
  // Prints one final record not yet printed; false when there was none.
  bool print_one();
  std::string text(const nlohmann::json& inventory, const std::string& run_id);

 private:
  void print(std::size_t i);  // record i's part into printed_[i]
  std::map<std::string, std::size_t> position_;  // record index by id
  std::vector<JobRecord> records_;
  std::vector<const Job*> jobs_;      // record i's plan job (blocker, description); null if none
  std::vector<std::string> printed_;  // a record's part; empty until printed
  std::vector<std::size_t> unprinted_;  // final records to print ahead
};

// results.json's text from the journal as it is now.
std::string results_json_text(const Plan& plan, const Journal& journal, const nlohmann::json& inventory,
                              const std::string& run_id);

// Maps a child's end to a status: 0 pass, 1 fail, 77 skip, 2 error, else error.
std::string status_for_exit(int exit_code, int signal);

}  // namespace certify::runner
