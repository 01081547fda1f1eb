// system suite: kernel log scan, PCIe links, IOMMU groups, secure boot, kdump,
// watchdog, clocks and RTC, PMU counters, ACPI tables, USB, a KVM guest, IPMI.
#include "testsuites/system/system.hpp"

#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <linux/rtc.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "probe/sysroot.hpp"
#include "testsuites/common/fd.hpp"
#include "testsuites/common/live.hpp"
#include "testsuites/common/pcie_link.hpp"

namespace certify::suites::system {

namespace {

TestResult from_problems(const std::vector<std::string>& problems) {
  TestResult t = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) t.messages.push_back(problems[i]);
  return t;
}

}  // namespace

TestResult check_kernel_log(const std::vector<LogFinding>& findings, std::size_t records) {
  if (records == 0) return TestResult::fail("the kernel log is empty or unreadable");
  std::vector<std::string> p;
  for (const auto& f : findings) p.push_back(f.pattern + ": " + f.line);
  auto t = from_problems(p);
  t.metrics["records"] = records;
  t.metrics["findings"] = findings.size();
  return t;
}

TestResult check_iommu(const IommuFacts& f) {
  if (f.units.empty() && f.groups.empty()) {
    if (f.firmware_table.empty()) return TestResult::skip("the platform has no IOMMU (no DMAR, IVRS or IORT ACPI table)");
    return TestResult::fail("the firmware describes an IOMMU (" + f.firmware_table +
                            ") but the kernel did not enable it (intel_iommu=on / amd_iommu / iommu.passthrough settings)");
  }
  std::vector<std::string> p;
  if (f.units.empty()) p.push_back("IOMMU groups exist but no IOMMU unit is registered in /sys/class/iommu");
  if (f.groups.empty()) p.push_back("no IOMMU groups: devices are not isolated");
  for (const auto& [g, devs] : f.groups)
    if (devs.empty()) p.push_back("IOMMU group " + g + " has no devices");
  for (const auto& d : f.inconsistent) p.push_back(d + ": its iommu_group link names a group that does not list it");
  auto t = from_problems(p);
  t.metrics["groups"] = f.groups.size();
  t.metrics["units"] = f.units.size();
  return t;
}

std::optional<bool> parse_efivar_bool(std::span<const std::uint8_t> b) {
  if (b.size() < 5) return std::nullopt;
  return b[4] != 0;
}

TestResult check_secure_boot(bool efi, std::optional<bool> sb, std::optional<bool> setup, bool require) {
  if (!efi) return TestResult::skip("booted without UEFI (legacy BIOS): secure boot does not apply");
  if (!sb) return TestResult::fail("UEFI boot but the SecureBoot variable is unreadable");
  TestResult t = (*sb || !require) ? TestResult::pass()
                                   : TestResult::fail("secure boot is disabled and the profile requires it (param require=1)");
  t.metrics["secure_boot"] = *sb;
  if (setup) t.metrics["setup_mode"] = *setup;
  t.messages.push_back(std::string("secure boot ") + (*sb ? "enabled" : "disabled") + (setup && *setup ? " (setup mode)" : ""));
  return t;
}

TestResult check_kdump(std::optional<std::int64_t> size, std::optional<std::int64_t> loaded) {
  if (!size) return TestResult::fail("the kernel has no kexec crash support (/sys/kernel/kexec_crash_size missing)");
  if (*size <= 0) return TestResult::fail("no memory reserved for a crash kernel (boot with crashkernel=)");
  if (!loaded || *loaded != 1) return TestResult::fail("memory is reserved but no crash kernel is loaded (kdump service not running)");
  TestResult t = TestResult::pass();
  t.metrics["crash_reserved_mib"] = *size >> 20;
  return t;
}

TestResult check_watchdog(const WatchdogFacts& w) {
  if (w.device.empty()) return TestResult::skip("no watchdog device (/dev/watchdog0): no hardware watchdog or its driver is not loaded");
  if (w.nowayout) return TestResult::skip(w.device + " has nowayout set: opening it would commit the machine to a reset");
  if (!w.error.empty()) return TestResult::fail(w.device + ": " + w.error);
  if (!w.magic_close) return TestResult::fail(w.device + " does not support the magic close: it cannot be stopped safely");
  if (w.pets < 3) return TestResult::fail(w.device + ": only " + std::to_string(w.pets) + " of 3 keepalives accepted");
  TestResult t = TestResult::pass();
  t.metrics["timeout_s"] = w.timeout_s;
  t.messages.push_back(w.device + ": " + w.identity);
  return t;
}

TestResult check_clock(const ClockFacts& c, double max_rtc) {
  std::vector<std::string> p;
  if (c.samples == 0) p.push_back("no clock samples were taken");
  if (c.backwards > 0)
    p.push_back("CLOCK_MONOTONIC went backwards " + std::to_string(c.backwards) + " time(s), by up to " + std::to_string(-c.worst_step_ns) + " ns");
  if (c.clocksource.empty()) p.push_back("no current clocksource");
  else if (std::find(c.available.begin(), c.available.end(), c.clocksource) == c.available.end())
    p.push_back("current clocksource " + c.clocksource + " is not among the available ones");
  for (const auto& l : c.unstable_log) p.push_back("kernel log: " + l);
  if (c.rtc_offset_s && std::abs(*c.rtc_offset_s) > max_rtc)
    p.push_back("the RTC differs from system time by " + std::to_string(static_cast<long>(*c.rtc_offset_s)) + " s (more than " +
                std::to_string(static_cast<long>(max_rtc)) + " s)");
  if (!c.rtc_error.empty()) p.push_back("RTC: " + c.rtc_error);
  auto t = from_problems(p);
  t.metrics["samples"] = c.samples;
  if (c.rtc_offset_s) t.metrics["rtc_offset_s"] = *c.rtc_offset_s;
  if (c.rtc_error.empty() && !c.rtc_offset_s) t.messages.push_back("no RTC device: RTC drift not checked");
  return t;
}

TestResult check_perf(const PerfFacts& p) {
  if (!p.software_error.empty()) return TestResult::fail("software counter task-clock: " + p.software_error);
  if (!p.task_clock_ns || *p.task_clock_ns == 0) return TestResult::fail("task-clock counted nothing over a busy loop");
  if (p.hardware_absent) return TestResult::skip("no hardware PMU is exposed to this OS (virtual machine or PMU disabled); task-clock works");
  if (!p.hardware_error.empty()) return TestResult::fail("hardware counters: " + p.hardware_error);
  if (!p.instructions || *p.instructions == 0 || !p.cycles || *p.cycles == 0)
    return TestResult::fail("instructions or cycles counted nothing over a busy loop");
  TestResult t = TestResult::pass();
  t.metrics["instructions"] = *p.instructions;
  t.metrics["cycles"] = *p.cycles;
  t.metrics["ipc"] = static_cast<double>(*p.instructions) / static_cast<double>(*p.cycles);
  return t;
}

std::string acpi_table_problem(std::string_view name, std::span<const std::uint8_t> b) {
  if (b.size() < 36) return std::string(name) + ": " + std::to_string(b.size()) + " bytes, shorter than a table header";
  std::string sig(reinterpret_cast<const char*>(b.data()), 4);
  // Files are named by signature, with a number for repeats (SSDT1, SSDT2).
  std::string base(name.substr(0, 4));
  if (sig != base) return std::string(name) + ": signature " + sig + " does not match the name";
  std::uint32_t len = b[4] | b[5] << 8 | b[6] << 16 | static_cast<std::uint32_t>(b[7]) << 24;
  if (len != b.size()) return std::string(name) + ": header length " + std::to_string(len) + " but " + std::to_string(b.size()) + " bytes";
  if (sig == "FACS") return "";  // no checksum field
  unsigned sum = 0;
  for (auto x : b) sum += x;
  if (sum % 256 != 0) return std::string(name) + ": checksum does not sum to zero";
  return "";
}

TestResult check_usb(const std::vector<UsbFacts>& devs, std::size_t controllers, std::size_t bound) {
  if (controllers == 0 && devs.empty()) return TestResult::skip("no USB controller");
  std::vector<std::string> p;
  if (bound < controllers) p.push_back(std::to_string(controllers - bound) + " USB controller(s) without a driver");
  for (const auto& d : devs) {
    if (d.descriptors.size() < 18 || d.descriptors[0] != 18 || d.descriptors[1] != 1) {
      p.push_back(d.id + ": device descriptor unreadable or malformed");
      continue;
    }
    char vid[8];
    std::snprintf(vid, sizeof vid, "%02x%02x", d.descriptors[9], d.descriptors[8]);
    if (!d.id_vendor.empty() && d.id_vendor != vid) p.push_back(d.id + ": idVendor " + d.id_vendor + " differs from the descriptor's " + vid);
    if (d.interfaces > 0 && d.bound == 0) p.push_back(d.id + ": no interface has a driver");
  }
  auto t = from_problems(p);
  t.metrics["devices"] = devs.size();
  t.metrics["controllers"] = controllers;
  return t;
}

TestResult check_kvm(const KvmFacts& k, std::uint32_t port, std::uint32_t value) {
  if (!k.error.empty()) return TestResult::fail(k.error);
  if (k.exit_reason != KVM_EXIT_IO) return TestResult::fail("the guest stopped with KVM exit reason " + std::to_string(k.exit_reason) + ", not its port write");
  if (k.io_port != port || k.io_value != value)
    return TestResult::fail("the guest wrote " + std::to_string(k.io_value) + " to port " + std::to_string(k.io_port));
  return TestResult::pass();
}

}  // namespace certify::suites::system

namespace certify::suites {

using namespace system;

TestResult system_dmesg(TestContext& ctx) {
  auto log = read_kernel_log();
  if (!log) return TestResult::fail(log.message());
  auto f = scan_kernel_log(*log);
  for (const auto& x : f) ctx.out() << x.pattern << ": " << x.line << '\n';
  return check_kernel_log(f, log->size());
}

TestResult system_pcie_links(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  std::vector<std::string> p;
  int checked = 0;
  for (const auto& addr : root.list("/sys/bus/pci/devices")) {
    // Root and downstream ports report the link below them, which their child
    // reports too (checked there, capped by the port): skip PCI bridges.
    if (root.attr("/sys/bus/pci/devices/" + addr + "/class").value_or("").rfind("0x0604", 0) == 0) continue;
    auto l = read_pcie_link(root, addr);
    if (!l) continue;
    auto r = check_pcie_link(*l);
    if (r.outcome == Outcome::skip) continue;
    ++checked;
    ctx.out() << addr << ": " << outcome_name(r.outcome) << (r.reason.empty() ? "" : " " + r.reason) << '\n';
    if (r.outcome != Outcome::pass) p.push_back(r.reason);
  }
  if (checked == 0) return TestResult::skip("no PCIe links (no PCI Express functions)");
  TestResult t = p.empty() ? TestResult::pass() : TestResult::fail(p.front());
  for (std::size_t i = 1; i < p.size(); ++i) t.messages.push_back(p[i]);
  t.metrics["links"] = checked;
  t.metrics["degraded"] = p.size();
  return t;
}

TestResult system_iommu(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  IommuFacts f;
  for (const char* t : {"DMAR", "IVRS", "IORT"})
    if (root.exists(std::string("/sys/firmware/acpi/tables/") + t)) f.firmware_table = t;
  f.units = root.list("/sys/class/iommu");
  for (const auto& g : root.list("/sys/kernel/iommu_groups")) f.groups[g] = root.list("/sys/kernel/iommu_groups/" + g + "/devices");
  for (const auto& [g, devs] : f.groups)
    for (const auto& d : devs) {
      auto link = root.link_name("/sys/bus/pci/devices/" + d + "/iommu_group");
      if (root.exists("/sys/bus/pci/devices/" + d) && link && *link != g) f.inconsistent.push_back(d);
    }
  ctx.out() << "firmware table " << (f.firmware_table.empty() ? "none" : f.firmware_table) << ", " << f.units.size() << " unit(s), "
            << f.groups.size() << " group(s)\n";
  return check_iommu(f);
}

TestResult system_secure_boot(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  bool efi = root.exists("/sys/firmware/efi");
  auto var = [&](const std::string& name) -> std::optional<bool> {
    auto t = root.read("/sys/firmware/efi/efivars/" + name + "-8be4df61-93ca-11d2-aa0d-00e098032b8c", 64);
    if (!t) return std::nullopt;
    return parse_efivar_bool(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(t->data()), t->size()));
  };
  return check_secure_boot(efi, efi ? var("SecureBoot") : std::nullopt, efi ? var("SetupMode") : std::nullopt, ctx.param("require") == "1");
}

TestResult system_kdump(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  return check_kdump(root.attr_int("/sys/kernel/kexec_crash_size", 10), root.attr_int("/sys/kernel/kexec_crash_loaded", 10));
}

TestResult system_watchdog(TestContext& ctx) {
  if (auto e = require_live(ctx, "system.watchdog")) return *e;
  probe::Sysroot root(ctx.sysroot);
  WatchdogFacts w;
  if (!root.exists("/dev/watchdog0")) return check_watchdog(w);
  w.device = "/dev/watchdog0";
  w.nowayout = root.attr("/sys/class/watchdog/watchdog0/nowayout").value_or("0") == "1";
  if (w.nowayout) return check_watchdog(w);
  Fd fd(::open(w.device.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.ok()) {
    w.error = std::string("open: ") + std::strerror(errno);
    return check_watchdog(w);
  }
  watchdog_info info{};
  if (::ioctl(fd.get(), WDIOC_GETSUPPORT, &info) == 0) {
    w.identity = std::string(reinterpret_cast<const char*>(info.identity), strnlen(reinterpret_cast<const char*>(info.identity), sizeof info.identity));
    w.magic_close = info.options & WDIOF_MAGICCLOSE;
  }
  ::ioctl(fd.get(), WDIOC_GETTIMEOUT, &w.timeout_s);
  for (int i = 0; i < 3; ++i) {
    int dummy = 0;
    if (::ioctl(fd.get(), WDIOC_KEEPALIVE, &dummy) == 0) ++w.pets;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Magic close: 'V' then close stops the timer (when the driver supports it).
  if (::write(fd.get(), "V", 1) != 1 && w.error.empty()) w.error = std::string("magic close: ") + std::strerror(errno);
  return check_watchdog(w);
}

TestResult system_clock(TestContext& ctx) {
  if (auto e = require_live(ctx, "system.clock")) return *e;
  probe::Sysroot root(ctx.sysroot);
  ClockFacts c;
  // Threads on every CPU read CLOCK_MONOTONIC and publish it; no reader may
  // see a value below one already published by anyone (cross-CPU ordering).
  std::atomic<std::int64_t> last{0};
  std::atomic<std::uint64_t> back{0}, samples{0};
  std::atomic<std::int64_t> worst{0};
  unsigned n = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::thread> th;
  const long per = param_long(ctx, "samples", 200000, 1000, 100000000);
  for (unsigned i = 0; i < n; ++i)
    th.emplace_back([&] {
      for (long k = 0; k < per; ++k) {
        std::int64_t seen = last.load(std::memory_order_acquire);
        timespec ts;
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        std::int64_t now = ts.tv_sec * 1000000000LL + ts.tv_nsec;
        if (now < seen) {
          ++back;
          std::int64_t step = now - seen, w = worst.load();
          while (step < w && !worst.compare_exchange_weak(w, step)) {
          }
        }
        std::int64_t cur = last.load();
        while (now > cur && !last.compare_exchange_weak(cur, now)) {
        }
        ++samples;
      }
    });
  for (auto& t : th) t.join();
  c.samples = samples;
  c.backwards = back;
  c.worst_step_ns = worst;
  const std::string cs = "/sys/devices/system/clocksource/clocksource0";
  c.clocksource = root.attr(cs + "/current_clocksource").value_or("");
  std::istringstream av(root.attr(cs + "/available_clocksource").value_or(""));
  for (std::string w; av >> w;) c.available.push_back(w);
  if (auto log = read_kernel_log()) {
    for (const auto& r : *log)
      // kernel/time/clocksource.c: "Marking clocksource '%s' as unstable because the skew is too large"
      if (r.text.find("Marking clocksource") != std::string::npos && r.text.find("unstable") != std::string::npos) c.unstable_log.push_back(r.text);
  }
  if (root.exists("/dev/rtc0")) {
    Fd rtc(::open("/dev/rtc0", O_RDONLY | O_CLOEXEC));
    rtc_time tm{};
    if (!rtc.ok()) c.rtc_error = std::string("open /dev/rtc0: ") + std::strerror(errno);
    else if (::ioctl(rtc.get(), RTC_RD_TIME, &tm) != 0) c.rtc_error = std::string("RTC_RD_TIME: ") + std::strerror(errno);
    else {
      std::tm t{};
      t.tm_sec = tm.tm_sec, t.tm_min = tm.tm_min, t.tm_hour = tm.tm_hour, t.tm_mday = tm.tm_mday, t.tm_mon = tm.tm_mon, t.tm_year = tm.tm_year;
      // The RTC keeps UTC unless /etc/adjtime says LOCAL.
      bool local = root.read("/etc/adjtime").value_or("").find("LOCAL") != std::string::npos;
      std::time_t rtc_s = local ? std::mktime(&t) : ::timegm(&t);
      c.rtc_offset_s = static_cast<double>(rtc_s) - static_cast<double>(std::time(nullptr));
    }
  }
  ctx.out() << c.samples << " samples, " << c.backwards << " backwards, clocksource " << c.clocksource << '\n';
  return check_clock(c, static_cast<double>(param_long(ctx, "max_rtc_offset_s", 300, 0, 1L << 30)));
}

TestResult system_perf(TestContext& ctx) {
  if (auto e = require_live(ctx, "system.perf")) return *e;
  PerfFacts p;
  auto open_counter = [](std::uint32_t type, std::uint64_t config) {
    perf_event_attr a{};
    a.size = sizeof a;
    a.type = type;
    a.config = config;
    a.disabled = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    return static_cast<int>(::syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  };
  Fd sw(open_counter(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK));
  if (!sw.ok()) p.software_error = std::strerror(errno);
  Fd ins(open_counter(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS));
  int ins_err = ins.ok() ? 0 : errno;
  Fd cyc(open_counter(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES));
  int cyc_err = cyc.ok() ? 0 : errno;
  if (ins_err || cyc_err) {
    int e = ins_err ? ins_err : cyc_err;
    if (e == ENOENT || e == EOPNOTSUPP || e == ENODEV) p.hardware_absent = true;
    else p.hardware_error = std::strerror(e);
  }
  for (auto* f : {&sw, &ins, &cyc})
    if (f->ok()) ::ioctl(f->get(), PERF_EVENT_IOC_ENABLE, 0);
  volatile std::uint64_t x = 1;
  for (int i = 0; i < 20000000; ++i) x = x * 3 + 1;
  auto read_count = [](const Fd& f) -> std::optional<std::uint64_t> {
    if (!f.ok()) return std::nullopt;
    ::ioctl(f.get(), PERF_EVENT_IOC_DISABLE, 0);
    std::uint64_t v = 0;
    if (::read(f.get(), &v, sizeof v) != sizeof v) return std::nullopt;
    return v;
  };
  p.task_clock_ns = read_count(sw);
  p.instructions = read_count(ins);
  p.cycles = read_count(cyc);
  ctx.out() << "task-clock " << p.task_clock_ns.value_or(0) << " ns, instructions " << p.instructions.value_or(0) << ", cycles "
            << p.cycles.value_or(0) << '\n';
  return check_perf(p);
}

TestResult system_acpi(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  const std::string dir = "/sys/firmware/acpi/tables";
  if (!root.exists(dir)) return TestResult::skip("no ACPI tables (a device-tree platform or ACPI disabled)");
  std::vector<std::string> p;
  int checked = 0;
  bool have_dsdt = false, have_fadt = false;
  for (const auto& name : root.list(dir)) {
    if (root.is_dir(dir + "/" + name)) continue;  // data/, dynamic/
    auto t = root.read(dir + "/" + name, 64 << 20);
    if (!t) {
      p.push_back(name + ": unreadable (needs root)");
      continue;
    }
    ++checked;
    have_dsdt |= name == "DSDT";
    have_fadt |= name == "FACP";
    if (auto why = acpi_table_problem(name, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(t->data()), t->size()));
        !why.empty())
      p.push_back(why);
  }
  if (!have_fadt) p.push_back("no FADT (FACP) table");
  if (!have_dsdt) p.push_back("no DSDT table");
  TestResult t = p.empty() ? TestResult::pass() : TestResult::fail(p.front());
  for (std::size_t i = 1; i < p.size(); ++i) t.messages.push_back(p[i]);
  t.metrics["tables"] = checked;
  return t;
}

TestResult system_usb(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  std::vector<UsbFacts> devs;
  std::size_t controllers = 0, bound = 0;
  for (const auto& addr : root.list("/sys/bus/pci/devices")) {
    auto cls = root.attr("/sys/bus/pci/devices/" + addr + "/class").value_or("");
    if (cls.rfind("0x0c03", 0) != 0) continue;
    ++controllers;
    bound += root.exists("/sys/bus/pci/devices/" + addr + "/driver");
  }
  for (const auto& id : root.list("/sys/bus/usb/devices")) {
    if (id.find(':') != std::string::npos || id.rfind("usb", 0) == 0) continue;  // interfaces and root hubs
    auto dir = "/sys/bus/usb/devices/" + id;
    UsbFacts f;
    f.id = id;
    if (auto d = root.read(dir + "/descriptors", 65536)) f.descriptors.assign(d->begin(), d->end());
    f.id_vendor = root.attr(dir + "/idVendor").value_or("");
    for (const auto& e : root.list(dir)) {
      if (e.rfind(id + ":", 0) != 0) continue;
      ++f.interfaces;
      f.bound += root.exists(dir + "/" + e + "/driver");
    }
    ctx.out() << id << ": " << root.attr(dir + "/product").value_or("?") << ", " << f.bound << "/" << f.interfaces << " interfaces bound\n";
    devs.push_back(std::move(f));
  }
  return check_usb(devs, controllers, bound);
}

TestResult system_kvm(TestContext& ctx) {
  if (auto e = require_live(ctx, "system.kvm")) return *e;
  probe::Sysroot root(ctx.sysroot);
#if !defined(__x86_64__)
  return TestResult::skip("the KVM guest check carries x86 guest code only");
#else
  if (!root.exists("/dev/kvm")) return TestResult::skip("no /dev/kvm: virtualization extensions off in firmware or the kvm module is not loaded");
  KvmFacts k;
  Fd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm.ok()) return TestResult::fail(std::string("open /dev/kvm: ") + std::strerror(errno));
  if (::ioctl(kvm.get(), KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return TestResult::fail("unexpected KVM API version");
  Fd vm(::ioctl(kvm.get(), KVM_CREATE_VM, 0));
  if (!vm.ok()) return TestResult::fail(std::string("KVM_CREATE_VM: ") + std::strerror(errno));
  // Real-mode guest at 0x1000: mov al,0x42; mov dx,0x3f8; out dx,al; hlt
  const std::uint8_t code[] = {0xb0, 0x42, 0xba, 0xf8, 0x03, 0xee, 0xf4};
  void* mem = ::mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return TestResult::error("mmap guest memory failed");
  std::memcpy(mem, code, sizeof code);
  kvm_userspace_memory_region region{0, 0, 0x1000, 0x1000, reinterpret_cast<std::uintptr_t>(mem)};
  auto done = [&](TestResult r) {
    ::munmap(mem, 0x1000);
    return r;
  };
  if (::ioctl(vm.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0) return done(TestResult::fail(std::string("KVM_SET_USER_MEMORY_REGION: ") + std::strerror(errno)));
  Fd vcpu(::ioctl(vm.get(), KVM_CREATE_VCPU, 0));
  if (!vcpu.ok()) return done(TestResult::fail(std::string("KVM_CREATE_VCPU: ") + std::strerror(errno)));
  int run_size = ::ioctl(kvm.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
  auto* run = static_cast<kvm_run*>(::mmap(nullptr, static_cast<std::size_t>(run_size), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.get(), 0));
  if (run == MAP_FAILED) return done(TestResult::fail("mmap of the vCPU run area failed"));
  kvm_sregs sregs{};
  ::ioctl(vcpu.get(), KVM_GET_SREGS, &sregs);
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  ::ioctl(vcpu.get(), KVM_SET_SREGS, &sregs);
  kvm_regs regs{};
  regs.rip = 0x1000;
  regs.rflags = 0x2;
  ::ioctl(vcpu.get(), KVM_SET_REGS, &regs);
  if (::ioctl(vcpu.get(), KVM_RUN, 0) != 0) k.error = std::string("KVM_RUN: ") + std::strerror(errno);
  else {
    k.exit_reason = static_cast<int>(run->exit_reason);
    if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT) {
      k.io_port = run->io.port;
      k.io_value = *(reinterpret_cast<std::uint8_t*>(run) + run->io.data_offset);
    }
  }
  ::munmap(run, static_cast<std::size_t>(run_size));
  ctx.out() << "KVM exit " << k.exit_reason << ", port 0x" << std::hex << k.io_port << " value 0x" << k.io_value << std::dec << '\n';
  return done(check_kvm(k, 0x3f8, 0x42));
#endif
}

TestResult system_ipmi(TestContext& ctx) {
  if (auto e = require_live(ctx, "system.ipmi")) return *e;
  probe::Sysroot root(ctx.sysroot);
  std::string dev;
  for (const char* d : {"/dev/ipmi0", "/dev/ipmi/0", "/dev/ipmidev/0"})
    if (root.exists(d)) dev = d;
  if (dev.empty()) return TestResult::skip("no BMC: no /dev/ipmi0 (no IPMI system interface, or ipmi_si/ipmi_devintf not loaded)");
  auto tool = find_program("ipmitool");
  if (tool.empty()) return TestResult::skip("a BMC is present (" + dev + ") but ipmitool is not installed (apt-get install ipmitool)");
  std::vector<std::string> p;
  auto fru = run_program({tool, "fru", "print", "0"}, 60);
  if (!fru.error.empty() || fru.exit_code != 0) p.push_back("FRU 0 is not readable" + (fru.error.empty() ? "" : ": " + fru.error));
  auto sdr = run_program({tool, "sdr", "list"}, 120);
  int sensors = 0;
  for (char ch : sdr.output) sensors += ch == '\n';
  if (!sdr.error.empty() || sdr.exit_code != 0) p.push_back("sensor records are not readable" + (sdr.error.empty() ? "" : ": " + sdr.error));
  else if (sensors == 0) p.push_back("the BMC lists no sensors");
  TestResult t = p.empty() ? TestResult::pass() : TestResult::fail(p.front());
  for (std::size_t i = 1; i < p.size(); ++i) t.messages.push_back(p[i]);
  t.metrics["sensors"] = sensors;
  return t;
}

}  // namespace certify::suites
