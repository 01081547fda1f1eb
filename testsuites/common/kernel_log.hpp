// The kernel log: records read from /dev/kmsg and the documented list of
// patterns that mark a hardware or kernel error (see k_kernel_error_patterns
// in kernel_log.cpp, each entry with the kernel source that prints it).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace certify::suites {

struct KmsgRecord {
  std::uint64_t seq = 0;
  std::uint64_t usec = 0;  // CLOCK_MONOTONIC microseconds since boot
  int level = 6;           // syslog priority 0 (emerg) .. 7 (debug)
  std::string text;
};

struct LogPattern {
  std::string_view name;     // short category ("mce", "aer-uncorrected")
  std::string_view all_of;   // every '|'-separated part must occur in the line
  std::string_view source;   // where the kernel prints it
};

struct LogFinding {
  std::string pattern;  // LogPattern::name
  std::string line;
  std::uint64_t seq = 0;
};

// The documented list (kernel_log.cpp).
std::span<const LogPattern> kernel_error_patterns();

// One /dev/kmsg record ("6,1234,5678901,-;text"); error on a malformed record.
Result<KmsgRecord> parse_kmsg_record(std::string_view rec);

// Lines that match a pattern, in order. Continuation lines are part of the text.
std::vector<LogFinding> scan_kernel_log(std::span<const KmsgRecord> records,
                                        std::span<const LogPattern> patterns = kernel_error_patterns());

// All records currently in the kernel ring buffer with seq >= from_seq
// (non-blocking read of /dev/kmsg; needs CAP_SYSLOG when dmesg_restrict=1).
Result<std::vector<KmsgRecord>> read_kernel_log(std::uint64_t from_seq = 0);

}  // namespace certify::suites
