// Helpers for built-in tests that act on the live system (sysfs writes,
// CPU pinning): they refuse a recorded sysroot, where nothing can be done.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "testsuites/builtin.hpp"

namespace certify::suites {

// An error result when the context's sysroot is not "/", else nullopt.
std::optional<TestResult> require_live(const TestContext& ctx, const std::string& what);

// Writes text to a sysfs/procfs file; empty on success, else the errno text.
std::string write_sysfs(const std::string& path, const std::string& value);

// Runs fn on a thread pinned to cpu; returns the sched_setaffinity error
// text (empty on success) and sets ran_on to sched_getcpu() inside.
std::string run_on_cpu(int cpu, const std::function<void()>& fn, int& ran_on);

// Integer parameter with bounds; the fallback when absent. Throws
// std::invalid_argument on a malformed value (the test then ends in error).
long param_long(const TestContext& ctx, const std::string& name, long fallback, long min, long max);

}  // namespace certify::suites

namespace certify::suites {

// A program found on PATH, or empty.
std::string find_program(const std::string& name);

struct ProgramRun {
  int exit_code = -1;        // -1: could not start or killed
  std::string output;        // stdout, and stderr when asked (bounded)
  std::string error;         // why it could not start / was killed
};
// Runs argv (no shell) with stdout captured, stderr to the test log file
// descriptor 2 (with_stderr: into the output too, interleaved as written),
// killed after timeout_s.
ProgramRun run_program(const std::vector<std::string>& argv, int timeout_s, bool with_stderr = false);

}  // namespace certify::suites
