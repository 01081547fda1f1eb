// Child processes for the install test: argv (no shell), stdout+stderr to a
// buffer, a time limit, its own process group killed on expiry.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace certify::swcompat {

struct ProcessResult {
  int exit_code = -1;  // exit status; 128+signal; -1 when it could not start
  bool timed_out = false;
  std::string output;  // stdout (and stderr when merged), at most ProcessOptions::max_output
  bool truncated = false;  // output went past max_output; the rest was read and dropped
  std::string errors;      // stderr when not merged, at most 64 KiB
};

struct ProcessOptions {
  int timeout_seconds = 60;
  std::size_t max_output = 1u << 20;  // bytes
  bool merge_stderr = true;           // false: stderr to ProcessResult::errors
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options);
// stdout and stderr interleaved, at most 1 MiB.
ProcessResult run_process(const std::vector<std::string>& argv, int timeout_seconds);

// Seam for tests and for callers that need another way to run commands.
using ProcessRunner = std::function<ProcessResult(const std::vector<std::string>&)>;

}  // namespace certify::swcompat
