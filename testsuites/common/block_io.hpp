// Block device IO for disk and NVMe tests: the safety rule for writes (never
// a device that is mounted, holds /, is swap or is held by dm/md/LVM) and
// O_DIRECT read/verify and write/read/verify over regions spread across it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/builtin.hpp"

namespace certify::suites {

// What makes a whole block device unsafe to write.
struct BlockUse {
  std::string name;                        // "sda", "nvme0n1"
  std::set<std::string> devnums;           // "maj:min" of the disk and each partition
  std::set<std::string> part_names;        // "sda1", ...
  std::vector<std::string> holders;        // /sys/block/X[/part]/holders entries
};

// Empty when writing is allowed, else why not. mountinfo: /proc/self/mountinfo,
// swaps: /proc/swaps text.
std::string write_refusal(const BlockUse& use, std::string_view mountinfo, std::string_view swaps);

// Reads the use facts of /sys/block/<name> through the sysroot.
std::optional<BlockUse> read_block_use(const probe::Sysroot& root, const std::string& name);

struct IoPlan {
  std::uint64_t device_bytes = 0;
  std::uint32_t block_bytes = 512;         // logical block size
  std::uint64_t total_bytes = 64 << 20;    // bytes to cover, split over regions
  int regions = 4;                         // start, evenly spaced, end
  std::uint64_t seed = 1;
};

struct IoRegion {
  std::uint64_t offset = 0, bytes = 0;
};

// Aligned regions: the first at 0, the last ending at the device end.
std::vector<IoRegion> plan_regions(const IoPlan& p);

struct IoReport {
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::string error;        // first IO error (kernel errno text), empty when none
  std::uint64_t mismatches = 0;  // blocks whose read-back differs
  std::string first_mismatch;    // "offset N: wrote sha256 A, read B"
};

// The criterion for an IO report: fail on an IO error or any mismatch.
TestResult check_io_report(const IoReport& r, const std::string& what);

// Reads every region twice with O_DIRECT and compares (stable reads).
IoReport read_verify(const std::string& dev_path, const IoPlan& p);
// Writes a seeded pattern to every region with O_DIRECT, reads it back and
// compares. Destroys the data in those regions.
IoReport write_verify(const std::string& dev_path, const IoPlan& p);

}  // namespace certify::suites
