// Fixture recorder: copies the subset of a machine's /sys, /proc and /etc
// that the probes read into a new directory, which then replays as a Sysroot.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "probe/sysroot.hpp"

namespace certify::probe {

struct RecordOptions {
  // Replaces /proc/sys/kernel/hostname in the copy; empty keeps the original.
  std::string hostname;
  // Largest sysfs file copied (bytes). Bigger ones are BAR-like blobs.
  std::size_t max_sysfs_bytes = 64 * 1024;
  // Largest procfs//etc file copied (bytes): /proc/cpuinfo of a big machine.
  std::size_t max_proc_bytes = 16 << 20;
  // Stops a runaway walk (a sysfs loop, an enormous GID table).
  std::size_t max_entries = 400000;
  std::size_t max_entries_per_dir = 8192;
};

struct RecordStats {
  std::size_t files = 0, links = 0, dirs = 0;
  std::size_t unreadable = 0;  // files the kernel refused (permissions, EINVAL on a down link, ...)
  std::size_t too_large = 0;   // files over the size limit, not copied
  // Human notes: limits hit, first unreadable paths (for the summary line).
  std::vector<std::string> notes;
};

// Copies from `src` into `dest`, which must not exist or be an empty
// directory. Symlinks are kept as the same relative links; directories that
// class links point to are copied with their ancestors' attributes; driver
// links get the driver directory with its `module` link and
// /sys/module/<m>/{version,srcversion,initstate}. Write-only and
// side-effect files (remove, rescan, reset, bind, unbind, new_id, rom, BAR
// resourceN) and power/ subtrees are skipped. Error only when dest cannot be
// created or nothing at all could be read.
Result<RecordStats> record_sysroot(const Sysroot& src, const std::filesystem::path& dest,
                                   const RecordOptions& options = {});

}  // namespace certify::probe
