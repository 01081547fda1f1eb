// system suite: machine-wide checks (kernel log, PCIe links, IOMMU, secure
// boot, kdump, watchdog, clocks, PMU, ACPI tables, USB, KVM, IPMI). Criteria
// are pure functions over observed facts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "testsuites/builtin.hpp"
#include "testsuites/common/kernel_log.hpp"

namespace certify::suites::system {

TestResult check_kernel_log(const std::vector<LogFinding>& findings, std::size_t records);

struct IommuFacts {
  std::string firmware_table;                       // "DMAR", "IVRS", "IORT" or ""
  std::vector<std::string> units;                   // /sys/class/iommu entries
  std::map<std::string, std::vector<std::string>> groups;  // group -> devices
  std::vector<std::string> inconsistent;            // devices whose iommu_group link disagrees
};
TestResult check_iommu(const IommuFacts& f);

// An EFI variable file from efivarfs: 4 attribute bytes, then the data.
std::optional<bool> parse_efivar_bool(std::span<const std::uint8_t> bytes);
TestResult check_secure_boot(bool efi, std::optional<bool> secure_boot, std::optional<bool> setup_mode, bool require);

TestResult check_kdump(std::optional<std::int64_t> crash_size, std::optional<std::int64_t> loaded);

struct WatchdogFacts {
  std::string device, identity, error;
  bool nowayout = false, magic_close = false;
  int timeout_s = 0, pets = 0;
};
TestResult check_watchdog(const WatchdogFacts& w);

struct ClockFacts {
  std::uint64_t samples = 0, backwards = 0;
  std::int64_t worst_step_ns = 0;                   // most negative step seen (<= 0)
  std::string clocksource;
  std::vector<std::string> available;
  std::vector<std::string> unstable_log;            // "Marking clocksource ... as unstable" lines
  std::optional<double> rtc_offset_s;               // RTC - CLOCK_REALTIME
  std::string rtc_error;
};
TestResult check_clock(const ClockFacts& c, double max_rtc_offset_s);

struct PerfFacts {
  std::optional<std::uint64_t> task_clock_ns, instructions, cycles;
  std::string software_error, hardware_error;
  bool hardware_absent = false;                     // ENOENT/EOPNOTSUPP: no PMU exposed
};
TestResult check_perf(const PerfFacts& p);

// One ACPI table: signature equal to the name, length equal to the file size,
// bytes summing to 0 mod 256. Empty when sane, else the problem.
std::string acpi_table_problem(std::string_view name, std::span<const std::uint8_t> bytes);

struct UsbFacts {
  std::string id;                                  // "1-1"
  std::vector<std::uint8_t> descriptors;           // sysfs "descriptors"
  std::string id_vendor;                           // sysfs idVendor ("0627")
  int interfaces = 0, bound = 0;
};
TestResult check_usb(const std::vector<UsbFacts>& devs, std::size_t controllers, std::size_t bound_controllers);

struct KvmFacts {
  std::string error;
  int exit_reason = -1;                            // KVM_EXIT_*
  std::uint32_t io_port = 0, io_value = 0;
};
TestResult check_kvm(const KvmFacts& k, std::uint32_t want_port, std::uint32_t want_value);

}  // namespace certify::suites::system
