// Launches made ahead on a thread of their own. Making one (a job's log
// folder and both log files, its argv and environment) costs 0.3-1 ms of
// system time where the file system checks every free inode it passes for
// a recent delete (ext4 without a journal does), and the run loop made one
// per turn between its other work: an end that came meanwhile waited, and
// it took CPU from the tests' exits and execs when 8 of them came together.
// The thread runs below the run's other work and is woken for a batch of
// launches at a time, not for each (a wake-up costs on a 2-CPU VM too): in
// a 400 x 50 ms run with 8 workers (A/B, 8 rounds each) the mean gap
// between a job's end and the next start fell 4.20 -> 4.00 ms, the wall
// 0.8% and the CPU of the run and its tests 8.5%.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "runner/process.hpp"

namespace certify::runner {

class LaunchMaker {
 public:
  // `make` makes the launch of a job (by its index) or says why it cannot;
  // it is called on the thread or, by take(), on the caller's, never twice
  // for one index, and what it reads must not change while the maker runs.
  using Make = std::function<Result<Launch>(std::size_t)>;
  explicit LaunchMaker(Make make);
  ~LaunchMaker();  // stop()
  LaunchMaker(const LaunchMaker&) = delete;
  LaunchMaker& operator=(const LaunchMaker&) = delete;

  // Queues the jobs not queued, being made or made already, in this order.
  void want(const std::vector<std::size_t>& jobs);
  // Launches wanted and not taken yet (queued, being made or made).
  std::size_t outstanding();
  // Job i's launch, or why it cannot be made: the one made ahead; the one
  // the thread is making, waited for; or, when the thread has not begun it,
  // made now on the caller's thread.
  Result<Launch> take(std::size_t i);
  // Ends the thread (a launch it is making is finished first) and returns
  // the launches made and never taken, so their empty folders can go.
  std::vector<Launch> stop();

 private:
  void work();

  Make make_;
  std::mutex mutex_;
  std::condition_variable queued_, made_one_;
  std::deque<std::size_t> queue_;
  std::optional<std::size_t> making_;
  std::map<std::size_t, Result<Launch>> made_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts when everything above is ready
};

}  // namespace certify::runner
