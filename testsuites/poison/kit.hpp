// Poison kit: runs page-poisoning experiments in a forked child with a
// SIGBUS handler (SA_SIGINFO) armed around single memory accesses, reports
// through a pipe, and checks that the parent and a sibling process are
// unaffected. Shared by the poison.* built-ins.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/builtin.hpp"
#include "testsuites/ras/host.hpp"

namespace certify::suites::poison {

// What the SIGBUS handler saw.
struct SigbusInfo {
  int signo = 0;
  int code = 0;              // BUS_MCEERR_AR, BUS_MCEERR_AO, BUS_ADRERR, ...
  std::uintptr_t addr = 0;   // si_addr
  int addr_lsb = 0;          // si_addr_lsb: log2 of the poisoned extent
};
std::string bus_code_name(int code);

// One access to *p with SIGBUS armed; the SIGBUS it raised, if any. Only in
// a kit child (run_child installs the handler).
std::optional<SigbusInfo> touch(volatile char* p, bool write);

// Exit code of a kit child that got a SIGBUS outside touch().
inline constexpr int k_exit_unexpected_sigbus = 42;

// Key=value lines from the child to the parent.
class Report {
 public:
  explicit Report(int fd) : fd_(fd) {}
  void put(std::string_view key, std::string_view value);
  void put(std::string_view key, std::uint64_t value) { put(key, std::to_string(value)); }
  void put_sigbus(std::string_view prefix, const SigbusInfo& s);

 private:
  int fd_;
};

struct ChildResult {
  int exit_code = -1;  // -1 when killed by a signal
  int term_signal = 0;
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k, const std::string& fallback = "") const;
  std::optional<std::uint64_t> num(const std::string& k) const;
  std::string describe() const;  // "exit 3" / "killed by SIGBUS"
};

// Forks; the child sets late memory-failure kill (signal on access only),
// installs the SIGBUS handler, runs `body` with an alarm of `timeout_s` and
// exits with its return value. The parent collects the report.
Result<ChildResult> run_child(const std::function<int(Report&)>& body, int timeout_s);

// A bystander process holding a pattern in its own memory; finish() asks it
// to verify the pattern and returns whether it was intact and it lived.
class Sibling {
 public:
  static Result<Sibling> start(std::size_t bytes);
  Sibling(Sibling&& o) noexcept;
  Sibling& operator=(Sibling&&) = delete;
  ~Sibling();
  Result<bool> finish();

 private:
  Sibling() = default;
  pid_t pid_ = -1;
  int go_ = -1;
};

// Deterministic fill and check of a buffer.
void fill(char* p, std::size_t n, unsigned seed);
bool intact(const char* p, std::size_t n, unsigned seed);

// Page size in bytes and its log2.
std::size_t page_size();
int log2_exact(std::uint64_t v);

// The gate every poison test passes first: live system, root,
// CONFIG_MEMORY_FAILURE, HardwareCorrupted. Empty when met, else the reason.
std::string requirements(const probe::Sysroot& root, TestResult& r);

// Returns a poisoned page to service through debugfs hwpoison/unpoison-pfn
// (loads hwpoison_inject), and records in `r` whether it worked and why not.
void unpoison(const probe::Sysroot& root, std::uint64_t pfn, std::int64_t baseline_kb, TestResult& r);

// Checks the HardwareCorrupted growth and records it; empty when as expected.
std::string check_corrupted_delta(std::int64_t before_kb, std::int64_t after_kb,
                                  const std::vector<std::int64_t>& allowed_kb, TestResult& r);

// Pass with `pass_reason` when `problems` is empty, else fail listing them;
// metrics and messages are kept either way.
TestResult verdict(TestResult r, const std::vector<std::string>& problems, std::string pass_reason);

// Logs a child's outcome and report to the job log.
void log_child(const TestContext& ctx, const ChildResult& c);

}  // namespace certify::suites::poison
