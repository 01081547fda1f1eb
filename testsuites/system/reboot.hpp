// system suite, tests that take the machine down on purpose (destructive,
// expects-reboot): a watchdog-triggered reset and a forced crash captured by
// kdump. Each runs twice: before the reboot it records what it is about to do
// in the job's work directory and triggers the reset; the runner, resumed
// after boot, runs it again with CERTIFY_AFTER_REBOOT=1 and it checks the
// evidence. Criteria are pure functions over recorded facts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "testsuites/builtin.hpp"

namespace certify::suites::system {

// What the first run wrote before triggering (<workdir>/before-reboot.json).
struct BeforeReboot {
  std::string boot_id, kernel_release, device, identity;
  double armed_at = 0;      // CLOCK_REALTIME seconds when the trigger was armed
  int timeout_s = 0;        // watchdog: the timeout set
  std::uint32_t options = 0;  // watchdog: WDIOC_GETSUPPORT options
  std::string dump_dir;     // kdump: where dumps are written
  std::vector<std::string> dumps_before;  // kdump: files already there
};

// Facts after the boot that followed the watchdog test's first run.
struct WatchdogResetFacts {
  std::optional<BeforeReboot> before;
  std::string state_error;          // why before-reboot.json could not be read
  std::string boot_id;              // now
  std::optional<std::int64_t> btime;  // /proc/stat btime: this boot's start, seconds
  std::optional<std::int64_t> bootstatus;  // /sys/class/watchdog/watchdog0/bootstatus
  std::optional<bool> clean_shutdown;  // the previous boot's journal ends in an orderly shutdown
  int max_reset_delay_s = 120;      // armed + timeout .. + this: when the reset must have come
};
TestResult check_watchdog_reset(const WatchdogResetFacts& f);

// A crash dump's header: kdump-compressed (makedumpfile -c/-l/-p: "KDUMP   "
// then the utsname) or ELF core (/proc/vmcore copied, makedumpfile -E) with a
// VMCOREINFO note carrying OSRELEASE.
struct DumpHeader {
  std::string format;   // "kdump-compressed", "elf"
  std::string release;  // the crashed kernel's release
  std::string error;    // empty when the header parsed
};
// head: the file's first bytes (the ELF notes must lie within them).
DumpHeader parse_dump_header(std::span<const std::uint8_t> head);

struct CrashDumpFacts {
  std::optional<BeforeReboot> before;
  std::string state_error;
  std::string boot_id;
  struct Dump {
    std::string path;
    std::uint64_t size = 0;
    DumpHeader header;
  };
  std::vector<Dump> new_dumps;  // files in dump_dir not there before the crash
};
TestResult check_crash_dump(const CrashDumpFacts& f);

// The state file: read and write (write fsyncs and then syncs everything).
std::optional<BeforeReboot> read_before_reboot(const std::string& text, std::string& error);
std::string before_reboot_json(const BeforeReboot& b);

}  // namespace certify::suites::system
