// Scheduler: which job may start now, given N workers, locks and ordering.
// Pure bookkeeping (no processes, no clock) so it is tested on its own.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certify::runner {

struct SchedJob {
  std::vector<std::string> locks;  // "system" excludes every other job
  std::vector<std::size_t> after;  // indices of jobs that must finish first
};

class Scheduler {
 public:
  Scheduler(std::vector<SchedJob> jobs, int workers);

  // Marks a job finished without running it (resumed runs).
  void skip(std::size_t i);
  // The next job that may start now, in plan order; it becomes running and
  // holds its locks. A ready job waiting for the system lock blocks jobs
  // after it from starting, so it is not starved.
  std::optional<std::size_t> next();
  void finish(std::size_t i);
  // Up to n pending jobs whose ordering allows them now, in plan order: the
  // ones next() will most likely give next (a lock may still hold one back).
  // The run loop prepares their log folders while the workers are busy.
  std::vector<std::size_t> upcoming(std::size_t n) const;

  std::size_t running() const { return running_; }
  std::size_t pending() const { return pending_; }
  bool done() const { return pending() == 0 && running_ == 0; }
  // Nothing runs and nothing can start although jobs are pending: an
  // ordering cycle. Returns those jobs.
  std::vector<std::size_t> stuck() const;

 private:
  enum class State { pending, running, finished };
  bool ready(std::size_t i) const;
  bool locks_free(std::size_t i) const;
  void release(std::size_t i);  // a running job's worker and locks

  std::vector<SchedJob> jobs_;
  std::vector<State> state_;
  int workers_;
  std::size_t running_ = 0;
  std::size_t pending_;            // jobs in State::pending
  std::size_t first_pending_ = 0;  // no pending job before it
  bool system_held_ = false;
  std::map<std::string, int> held_;
};

}  // namespace certify::runner
