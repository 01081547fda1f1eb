// Child processes and the clock behind small interfaces (as ninja's
// CommandRunner), so the run loop is tested with fakes and the real
// supervisor on its own.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace certify::runner {

struct Launch {
  std::vector<std::string> argv;  // argv[0] is the program path
  std::vector<std::string> env;   // "KEY=value", the whole environment
  std::filesystem::path cwd, stdout_path, stderr_path;
  // RLIMIT_NOFILE and RLIMIT_CORE for the child; 0 leaves it.
  unsigned long max_open_files = 4096;
  bool core_dumps = false;
};

struct Exit {
  int pid = 0;
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Starts the child in its own process group (pgid == pid); returns the pid.
  virtual Result<int> start(const Launch& l) = 0;
  // Returns the children that ended; waits at most `max` for one (less when
  // interrupted). Empty when none ended.
  virtual std::vector<Exit> wait(std::chrono::milliseconds max) = 0;
  // Signals the whole process group of a child.
  virtual void signal_group(int pid, int sig) = 0;
  // Set when SIGINT/SIGTERM reached the runner.
  virtual bool interrupted() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() const = 0;
  virtual std::chrono::system_clock::time_point wall() const = 0;
};

class RealClock : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall() const override { return std::chrono::system_clock::now(); }
};

// fork/exec with a self-pipe for SIGCHLD, SIGINT and SIGTERM. One per process.
class PosixProcessRunner : public ProcessRunner {
 public:
  PosixProcessRunner();
  ~PosixProcessRunner() override;
  PosixProcessRunner(const PosixProcessRunner&) = delete;
  PosixProcessRunner& operator=(const PosixProcessRunner&) = delete;
  Result<int> start(const Launch& l) override;
  std::vector<Exit> wait(std::chrono::milliseconds max) override;
  void signal_group(int pid, int sig) override;
  bool interrupted() const override;

 private:
  std::vector<char> stack_;  // the child's stack between clone and execve
  std::vector<int> reset_;   // signals a child sets to SIG_DFL (the constructor says which)
  int null_in_ = -1;         // /dev/null, every child's standard input
};

// ISO 8601 UTC with milliseconds.
std::string iso_time(std::chrono::system_clock::time_point t);

}  // namespace certify::runner
