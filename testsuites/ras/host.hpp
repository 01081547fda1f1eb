// Live-system helpers shared by the RAS and poison tests: requirement checks
// that turn into skip reasons, module loading, sysfs/debugfs writes, PFN
// lookup and a /dev/kmsg cursor. Reads go through the Sysroot; writes and
// injections only happen when the sysroot is the live system.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/ras/rasdata.hpp"

namespace certify::suites::ras {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

// "strerror(errno) (ENAME)" for messages.
std::string errno_text(int err);

// Writes text to a sysfs/debugfs/procfs attribute in one write().
Status write_attr(const std::filesystem::path& path, std::string_view text);

// Requirement checks: an empty string when met, else the reason to skip.
std::string need_live(const probe::Sysroot& root);
std::string need_root(std::string_view why);
// CONFIG_MEMORY_FAILURE from the kernel config, else from the memory-failure
// sysctls; also refuses vm.memory_failure_recovery=0 (poison would panic).
// `evidence` says what was found.
std::string need_memory_failure(const probe::Sysroot& root, std::string& evidence);
// debugfs mounted at /sys/kernel/debug (from /proc/mounts).
std::string need_debugfs(const probe::Sysroot& root);

// Loads a kernel module with modprobe (its modprobe.d policy applies).
// Succeeds at once when `present` (a path in the sysroot) already exists.
Status load_module(const probe::Sysroot& root, std::string_view module, std::string_view present);

// Physical frame of a virtual address of this process (/proc/self/pagemap;
// needs CAP_SYS_ADMIN, else the kernel reports 0, which is an error here).
Result<std::uint64_t> pfn_of(const void* addr);

// HardwareCorrupted of /proc/meminfo, in kB.
std::optional<std::int64_t> hardware_corrupted_kb(const probe::Sysroot& root);

// Polls `done` every 50 ms until it holds or `limit` passes.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

// New /dev/kmsg records since construction (non-blocking reads).
class KmsgCursor {
 public:
  KmsgCursor();  // opens /dev/kmsg and seeks to its end
  bool ok() const { return static_cast<bool>(fd_); }
  const std::string& error() const { return error_; }
  // Records that arrived since the last call.
  std::vector<KmsgRecord> read_new();

 private:
  Fd fd_;
  std::string error_;
};

// Is a process named `comm` running (/proc/<pid>/comm)?
bool process_running(const probe::Sysroot& root, std::string_view comm);

// PCIe AER injection through the aer_inject module's /dev/aer_inject
// (struct aer_error_inj of drivers/pci/pcie/aer_inject.c). `bdf` is
// "dddd:bb:dd.f"; cor/uncor are AER status register bits.
Status aer_inject(const probe::Sysroot& root, std::string_view bdf, std::uint32_t cor_status, std::uint32_t uncor_status);
inline constexpr std::uint32_t k_aer_cor_receiver_error = 0x00000001;  // RxErr
inline constexpr std::uint32_t k_aer_unc_completion_timeout = 0x00004000;

// ACPI APEI EINJ through debugfs apei/einj: error_type, param1 (physical
// address), param2 (address mask), notrigger, then error_inject.
struct EinjRequest {
  std::uint32_t type = 0;
  std::uint64_t address = 0, mask = 0;
  bool notrigger = false;
};
Status einj_inject(const probe::Sysroot& root, const EinjRequest& req);
inline constexpr std::string_view k_einj_dir = "/sys/kernel/debug/apei/einj";

// Splits "dddd:bb:dd.f"; nullopt when malformed.
struct Bdf {
  std::uint32_t domain = 0;
  std::uint8_t bus = 0, dev = 0, fn = 0;
};
std::optional<Bdf> parse_bdf(std::string_view s);

// "0x1f" style hex.
std::string hex(std::uint64_t v);

}  // namespace certify::suites::ras
