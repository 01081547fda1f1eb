// Kernel log records from /dev/kmsg and the scan for hardware/kernel errors.
#include "testsuites/common/kernel_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace certify::suites {

namespace {

// The documented pattern list: a line is an error when it contains every
// '|'-separated part of one entry. Kept to messages that mean a hardware or
// kernel fault, not warnings every healthy machine prints.
constexpr LogPattern k_patterns[] = {
    {"mce", "Machine check events logged", "arch/x86/kernel/cpu/mce/core.c (mce_notify_irq)"},
    {"mce", "mce: [Hardware Error]", "arch/x86/kernel/cpu/mce/core.c (print_mce)"},
    {"hardware-error", "[Hardware Error]", "drivers/acpi/apei/ghes.c, drivers/firmware/efi/cper.c (GHES/CPER records)"},
    {"edac-ce", "EDAC |CE ", "drivers/edac/edac_mc.c (edac_mc_handle_error, corrected)"},
    {"edac-ue", "EDAC |UE ", "drivers/edac/edac_mc.c (edac_mc_handle_error, uncorrected)"},
    {"aer", "AER: |error", "drivers/pci/pcie/aer.c (aer_print_error)"},
    {"thermal-throttle", "temperature above threshold", "arch/x86/kernel/cpu/mce/therm_throt.c"},
    {"oops", "Oops:", "arch/*/kernel/traps.c (die)"},
    {"bug", "BUG: ", "lib/bug.c, mm/ (kernel BUG, bad page state, scheduling while atomic)"},
    {"bug", "kernel BUG at", "lib/bug.c (report_bug)"},
    {"gpf", "general protection fault", "arch/x86/kernel/traps.c"},
    {"call-trace", "Call Trace:", "lib/dump_stack.c (any WARN/BUG backtrace)"},
    {"lockup", "soft lockup", "kernel/watchdog.c"},
    {"lockup", "hard LOCKUP", "kernel/watchdog.c"},
    {"hung-task", "blocked for more than", "kernel/hung_task.c"},
    {"io-error", "I/O error, dev", "block/blk-core.c (blk_print_req_error)"},
    {"nvme-timeout", "nvme|timeout, aborting", "drivers/nvme/host/pci.c (nvme_timeout)"},
    {"nvme-reset-failed", "nvme|Removing after probe failure", "drivers/nvme/host/pci.c (nvme_remove_dead_ctrl)"},
    {"scsi-error", "FAILED Result: hostbyte=", "drivers/scsi/scsi_logging.c (scsi_print_result)"},
    {"scsi-sense", "Sense Key : Hardware Error", "drivers/scsi/scsi_logging.c (scsi_print_sense: device-reported hardware error)"},
    {"scsi-sense", "Sense Key : Medium Error", "drivers/scsi/scsi_logging.c (scsi_print_sense: unrecoverable read/write)"},
    {"iommu-fault", "DMAR: DRHD: handling fault", "drivers/iommu/intel/dmar.c"},
    {"iommu-fault", "IO_PAGE_FAULT", "drivers/iommu/amd/iommu.c"},
    {"iommu-fault", "Unhandled context fault", "drivers/iommu/arm/arm-smmu/arm-smmu.c"},
    {"netdev-watchdog", "NETDEV WATCHDOG", "net/sched/sch_generic.c (dev_watchdog: transmit queue timed out)"},
    {"oom", "Out of memory: Killed process", "mm/oom_kill.c"},
    {"firmware-error", "firmware: failed to load", "drivers/base/firmware_loader/main.c"},
};

bool line_matches(std::string_view line, std::string_view all_of) {
  while (!all_of.empty()) {
    auto bar = all_of.find('|');
    auto part = all_of.substr(0, bar);
    if (!part.empty() && line.find(part) == std::string_view::npos) return false;
    if (bar == std::string_view::npos) break;
    all_of.remove_prefix(bar + 1);
  }
  return true;
}

template <class T>
bool to_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::span<const LogPattern> kernel_error_patterns() { return k_patterns; }

Result<KmsgRecord> parse_kmsg_record(std::string_view rec) {
  auto semi = rec.find(';');
  if (semi == std::string_view::npos) return make_error("kmsg record without ';'");
  auto head = rec.substr(0, semi);
  std::string_view fields[4];
  int n = 0;
  while (n < 4) {
    auto comma = head.find(',');
    fields[n++] = head.substr(0, comma);
    if (comma == std::string_view::npos) break;
    head.remove_prefix(comma + 1);
  }
  if (n < 3) return make_error("kmsg record header has fewer than 3 fields");
  KmsgRecord r;
  unsigned pri = 0;
  if (!to_number(fields[0], pri) || !to_number(fields[1], r.seq) || !to_number(fields[2], r.usec))
    return make_error("kmsg record header is not numeric");
  r.level = static_cast<int>(pri & 7u);
  auto text = rec.substr(semi + 1);
  // Continuation lines (" KEY=value" device properties) are not message text.
  auto nl = text.find('\n');
  r.text = std::string(text.substr(0, nl));
  return r;
}

std::vector<LogFinding> scan_kernel_log(std::span<const KmsgRecord> records, std::span<const LogPattern> patterns) {
  std::vector<LogFinding> out;
  for (const auto& r : records) {
    for (const auto& p : patterns) {
      if (line_matches(r.text, p.all_of)) {
        out.push_back({std::string(p.name), r.text, r.seq});
        break;
      }
    }
  }
  return out;
}

Result<std::vector<KmsgRecord>> read_kernel_log(std::uint64_t from_seq) {
  int fd = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return make_error(std::string("cannot open /dev/kmsg: ") + std::strerror(errno));
  std::vector<KmsgRecord> out;
  std::string buf(8192, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EAGAIN) break;
      if (errno == EPIPE) continue;  // records overwritten while reading: go on from the next
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return make_error(std::string("reading /dev/kmsg: ") + std::strerror(e));
    }
    if (n == 0) break;
    auto rec = parse_kmsg_record(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    if (rec && rec->seq >= from_seq) out.push_back(std::move(*rec));
  }
  ::close(fd);
  return out;
}

}  // namespace certify::suites
