// system suite: the watchdog-triggered reset and the kdump crash, each as a
// trigger before the reboot and a check after it (reboot.hpp).
#include "testsuites/system/reboot.hpp"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/files.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/common/fd.hpp"
#include "testsuites/common/live.hpp"

namespace certify::suites::system {

namespace {

constexpr const char* k_state_file = "before-reboot.json";

// Little- or big-endian unsigned read at off; false when out of bounds.
bool read_uint(std::span<const std::uint8_t> b, std::uint64_t off, int bytes, bool big, std::uint64_t& out) {
  if (off > b.size() || static_cast<std::uint64_t>(bytes) > b.size() - off) return false;
  out = 0;
  for (int i = 0; i < bytes; ++i) {
    std::uint64_t byte = b[off + static_cast<std::uint64_t>(big ? i : bytes - 1 - i)];
    out = (out << 8) | byte;
  }
  return true;
}

std::string c_string(std::span<const std::uint8_t> b, std::size_t off, std::size_t max) {
  std::string s;
  for (std::size_t i = off; i < b.size() && i < off + max && b[i] != 0; ++i) s.push_back(static_cast<char>(b[i]));
  return s;
}

std::string now_boot_id(const probe::Sysroot& root) { return root.attr("/proc/sys/kernel/random/boot_id").value_or(""); }

double realtime_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string kernel_release() {
  utsname u{};
  return ::uname(&u) == 0 ? u.release : "";
}

std::optional<std::int64_t> boot_time(const probe::Sysroot& root) {
  std::istringstream is(root.read("/proc/stat").value_or(""));
  for (std::string line; std::getline(is, line);)
    if (line.rfind("btime ", 0) == 0) {
      char* end = nullptr;
      long long v = std::strtoll(line.c_str() + 6, &end, 10);
      if (end != line.c_str() + 6) return v;
    }
  return std::nullopt;
}

// Writes the state and makes it durable before the machine goes down.
std::string save_state(const TestContext& ctx, const BeforeReboot& b) {
  auto st = write_file_atomic(ctx.workdir / k_state_file, before_reboot_json(b));
  if (!st) return "cannot record the state before the reboot: " + st.message();
  ::sync();
  return "";
}

std::optional<BeforeReboot> load_state(const TestContext& ctx, std::string& error) {
  auto text = read_file(ctx.workdir / k_state_file, 1 << 20);
  if (!text) {
    error = "no record of the trigger before the reboot (" + (ctx.workdir / k_state_file).string() + ": " + text.message() + ")";
    return std::nullopt;
  }
  return read_before_reboot(*text, error);
}

}  // namespace

std::string before_reboot_json(const BeforeReboot& b) {
  nlohmann::json j = {{"boot_id", b.boot_id},     {"kernel_release", b.kernel_release}, {"device", b.device},
                      {"identity", b.identity},   {"armed_at", b.armed_at},             {"timeout_s", b.timeout_s},
                      {"options", b.options},     {"dump_dir", b.dump_dir},             {"dumps_before", b.dumps_before}};
  return j.dump(2) + "\n";
}

std::optional<BeforeReboot> read_before_reboot(const std::string& text, std::string& error) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) {
    error = "the record written before the reboot is not a JSON object";
    return std::nullopt;
  }
  BeforeReboot b;
  try {
    b.boot_id = j.at("boot_id").get<std::string>();
    b.kernel_release = j.value("kernel_release", "");
    b.device = j.value("device", "");
    b.identity = j.value("identity", "");
    b.armed_at = j.at("armed_at").get<double>();
    b.timeout_s = j.value("timeout_s", 0);
    b.options = j.value("options", 0u);
    b.dump_dir = j.value("dump_dir", "");
    b.dumps_before = j.value("dumps_before", std::vector<std::string>{});
  } catch (const nlohmann::json::exception& e) {
    error = std::string("the record written before the reboot is malformed: ") + e.what();
    return std::nullopt;
  }
  if (b.boot_id.empty()) {
    error = "the record written before the reboot has no boot id";
    return std::nullopt;
  }
  return b;
}

TestResult check_watchdog_reset(const WatchdogResetFacts& f) {
  if (!f.before) return TestResult::fail(f.state_error.empty() ? "no record of arming the watchdog before the reboot" : f.state_error);
  const auto& b = *f.before;
  if (f.boot_id.empty()) return TestResult::fail("the boot id of this boot is unreadable");
  if (f.boot_id == b.boot_id) return TestResult::fail("the machine did not reboot: the boot id is the one recorded when the watchdog was armed");
  if (!f.btime) return TestResult::fail("this boot's start time is unreadable (/proc/stat btime)");
  const double earliest = b.armed_at + b.timeout_s * 0.5 - 2;  // btime has 1 s resolution; hardware counts down in ~1 s steps
  const double latest = b.armed_at + b.timeout_s + f.max_reset_delay_s;
  const double boot = static_cast<double>(*f.btime);
  std::vector<std::string> p;
  if (boot < earliest)
    p.push_back("the machine restarted " + std::to_string(static_cast<long>(boot - b.armed_at)) + " s after the watchdog was armed, before its " +
                std::to_string(b.timeout_s) + " s timeout: something else reset it");
  if (boot > latest)
    p.push_back("the machine restarted " + std::to_string(static_cast<long>(boot - b.armed_at)) + " s after the watchdog was armed, later than its " +
                std::to_string(b.timeout_s) + " s timeout plus " + std::to_string(f.max_reset_delay_s) + " s");
  bool reports = (b.options & WDIOF_CARDRESET) != 0;
  bool card_reset = f.bootstatus && (*f.bootstatus & WDIOF_CARDRESET);
  if (reports && !f.bootstatus) p.push_back(b.device + " reports its boot status, but no watchdog bootstatus is readable after the boot");
  else if (reports && !card_reset)
    p.push_back(b.device + " (" + b.identity + ") does not report the reset it caused: bootstatus " + std::to_string(f.bootstatus.value_or(0)));
  if (f.clean_shutdown && *f.clean_shutdown)
    p.push_back("the previous boot's journal ends in an orderly shutdown or reboot, not a watchdog reset");
  TestResult t = p.empty() ? TestResult::pass() : TestResult::fail(p.front());
  for (std::size_t i = 1; i < p.size(); ++i) t.messages.push_back(p[i]);
  t.metrics["reset_after_s"] = boot - b.armed_at;
  t.metrics["timeout_s"] = b.timeout_s;
  if (f.bootstatus) t.metrics["bootstatus"] = *f.bootstatus;
  if (card_reset) t.messages.push_back(b.device + " reports a card reset (WDIOF_CARDRESET) as the boot reason");
  else if (!reports) t.messages.push_back(b.device + " (" + b.identity + ") does not report boot status; the reset is shown by the boot time");
  if (!f.clean_shutdown) t.messages.push_back("no journal of the previous boot to read");
  return t;
}

DumpHeader parse_dump_header(std::span<const std::uint8_t> b) {
  DumpHeader h;
  auto starts = [&](std::string_view sig) { return b.size() >= sig.size() && std::memcmp(b.data(), sig.data(), sig.size()) == 0; };
  if (starts("KDUMP   ")) {
    h.format = "kdump-compressed";
    // struct disk_dump_header: signature[8], header_version (4), new_utsname
    // (sysname, nodename, release, version, machine, domainname: 65 bytes each).
    if (b.size() < 12 + 65 * 3) {
      h.error = "kdump-compressed header is truncated";
      return h;
    }
    h.release = c_string(b, 12 + 65 * 2, 65);
    if (h.release.empty()) h.error = "kdump-compressed header has no kernel release";
    return h;
  }
  if (starts("makedumpfile")) {
    h.format = "flattened";
    h.error = "flattened dump (makedumpfile -F): rearrange it with makedumpfile -R first";
    return h;
  }
  if (!starts("\x7f" "ELF")) {
    h.error = "neither an ELF core nor a kdump-compressed dump";
    return h;
  }
  h.format = "elf";
  if (b.size() < 52) {
    h.error = "ELF header is truncated";
    return h;
  }
  const bool is64 = b[4] == 2, big = b[5] == 2;
  if ((b[4] != 1 && b[4] != 2) || (b[5] != 1 && b[5] != 2)) {
    h.error = "ELF class or byte order is invalid";
    return h;
  }
  std::uint64_t type = 0, phoff = 0, phentsize = 0, phnum = 0;
  bool ok = read_uint(b, 16, 2, big, type) && read_uint(b, is64 ? 32 : 28, is64 ? 8 : 4, big, phoff) &&
            read_uint(b, is64 ? 54 : 42, 2, big, phentsize) && read_uint(b, is64 ? 56 : 44, 2, big, phnum);
  if (!ok) {
    h.error = "ELF header is truncated";
    return h;
  }
  if (type != 4) {
    h.error = "ELF file is not a core dump (e_type " + std::to_string(type) + ")";
    return h;
  }
  if (phentsize < (is64 ? 56u : 32u)) {
    h.error = "ELF program header entries are too small";
    return h;
  }
  for (std::uint64_t i = 0; i < phnum; ++i) {
    std::uint64_t ph = phoff + i * phentsize, ptype = 0, off = 0, size = 0;
    if (phoff > b.size() || i * phentsize > b.size() - phoff) break;
    if (!read_uint(b, ph, 4, big, ptype) || !read_uint(b, ph + (is64 ? 8 : 4), is64 ? 8 : 4, big, off) ||
        !read_uint(b, ph + (is64 ? 32 : 16), is64 ? 8 : 4, big, size)) {
      h.error = "ELF program headers lie beyond the bytes read";
      return h;
    }
    if (ptype != 4) continue;  // PT_NOTE
    if (off > b.size() || size > b.size() - off) {
      h.error = "the ELF notes lie beyond the bytes read";
      return h;
    }
    // Notes: namesz, descsz, type, name and desc each padded to 4 bytes.
    std::uint64_t pos = off, end = off + size;
    while (pos + 12 <= end) {
      std::uint64_t namesz = 0, descsz = 0;
      read_uint(b, pos, 4, big, namesz);
      read_uint(b, pos + 4, 4, big, descsz);
      std::uint64_t name_at = pos + 12, desc_at = name_at + ((namesz + 3) & ~3ull);
      if (namesz > end - name_at || desc_at > end || descsz > end - desc_at) break;
      if (c_string(b, name_at, namesz) == "VMCOREINFO") {
        std::string info(reinterpret_cast<const char*>(b.data() + desc_at), descsz);
        std::istringstream is(info);
        for (std::string line; std::getline(is, line);)
          if (line.rfind("OSRELEASE=", 0) == 0) h.release = line.substr(10);
        if (h.release.empty()) h.error = "the VMCOREINFO note has no OSRELEASE";
        return h;
      }
      pos = desc_at + ((descsz + 3) & ~3ull);
    }
  }
  h.error = "no VMCOREINFO note in the ELF core";
  return h;
}

TestResult check_crash_dump(const CrashDumpFacts& f) {
  if (!f.before) return TestResult::fail(f.state_error.empty() ? "no record of the crash being triggered" : f.state_error);
  const auto& b = *f.before;
  if (f.boot_id.empty()) return TestResult::fail("the boot id of this boot is unreadable");
  if (f.boot_id == b.boot_id) return TestResult::fail("the machine did not reboot: the boot id is the one recorded before the crash");
  if (f.new_dumps.empty())
    return TestResult::fail("no new crash dump in " + b.dump_dir + " after the crash (kdump did not capture it, or writes elsewhere: param dump_dir)");
  std::vector<std::string> bad;
  for (const auto& d : f.new_dumps) {
    if (!d.header.error.empty()) {
      bad.push_back(d.path + ": " + d.header.error);
      continue;
    }
    if (!b.kernel_release.empty() && d.header.release != b.kernel_release) {
      bad.push_back(d.path + ": the dump is of kernel " + d.header.release + ", the crashed kernel was " + b.kernel_release);
      continue;
    }
    TestResult t = TestResult::pass();
    t.messages.push_back(d.path + ": " + d.header.format + " dump of kernel " + d.header.release + ", " + std::to_string(d.size) + " bytes");
    for (const auto& x : bad) t.messages.push_back("also: " + x);
    t.metrics["dump_bytes"] = d.size;
    return t;
  }
  TestResult t = TestResult::fail(bad.front());
  for (std::size_t i = 1; i < bad.size(); ++i) t.messages.push_back(bad[i]);
  return t;
}

}  // namespace certify::suites::system

namespace certify::suites {

using namespace system;

namespace {

std::optional<TestResult> refuse_trigger(const TestContext& ctx, const std::string& what) {
  if (auto e = require_live(ctx, what)) return e;
  if (!ctx.destructive) return TestResult::skip(what + " resets the machine: destructive, run with --destructive");
  if (::geteuid() != 0) return TestResult::error(what + " needs root");
  return std::nullopt;
}

// Files below dir (two levels: kdump-tools writes <dir>/<stamp>/dump.<stamp>).
std::vector<std::string> files_below(const probe::Sysroot& root, const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : root.list(dir)) {
    auto p = dir + "/" + e;
    if (root.is_dir(p)) {
      for (const auto& e2 : root.list(p))
        if (!root.is_dir(p + "/" + e2)) out.push_back(p + "/" + e2);
    } else {
      out.push_back(p);
    }
  }
  return out;
}

bool looks_like_dump(const std::string& path) {
  auto name = path.substr(path.rfind('/') + 1);
  if (name.find("dmesg") != std::string::npos) return false;
  return name.rfind("dump", 0) == 0 || name.rfind("vmcore", 0) == 0;
}

// The previous boot's journal, when journald keeps one: true when it ends in
// an orderly shutdown. nullopt when there is no such journal.
std::optional<bool> previous_boot_clean(TestContext& ctx, const probe::Sysroot& root) {
  if (!root.is_live()) return std::nullopt;  // journalctl reads the live journal only
  auto jc = find_program("journalctl");
  if (jc.empty()) return std::nullopt;
  auto r = run_program({jc, "-b", "-1", "-n", "200", "-o", "cat", "--no-pager", "-q"}, 60);
  if (r.exit_code != 0 || r.output.empty()) return std::nullopt;
  for (const char* s : {"Reached target System Reboot", "Reached target System Power Off", "Reached target System Halt",
                        "Reached target reboot.target", "Reached target poweroff.target"})
    if (r.output.find(s) != std::string::npos) {
      ctx.out() << "previous boot's journal: " << s << '\n';
      return true;
    }
  return false;
}

}  // namespace

TestResult system_watchdog_reset(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  if (ctx.after_reboot) {
    WatchdogResetFacts f;
    f.before = load_state(ctx, f.state_error);
    f.boot_id = now_boot_id(root);
    f.btime = boot_time(root);
    f.bootstatus = root.attr_int("/sys/class/watchdog/watchdog0/bootstatus", 10);
    f.max_reset_delay_s = static_cast<int>(param_long(ctx, "max_reset_delay_s", 120, 1, 3600));
    f.clean_shutdown = previous_boot_clean(ctx, root);
    ctx.out() << "after the reboot: btime " << f.btime.value_or(-1) << ", bootstatus " << f.bootstatus.value_or(-1) << '\n';
    return check_watchdog_reset(f);
  }
  if (auto e = refuse_trigger(ctx, "system.watchdog-reset")) return *e;
  if (!root.exists("/dev/watchdog0"))
    return TestResult::skip("no watchdog device (/dev/watchdog0): no hardware watchdog or its driver is not loaded");
  const int want = static_cast<int>(param_long(ctx, "timeout_s", 10, 1, 60));
  BeforeReboot b;
  b.device = "/dev/watchdog0";
  b.boot_id = now_boot_id(root);
  b.kernel_release = kernel_release();
  Fd fd(::open(b.device.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.ok()) return TestResult::fail(b.device + ": open: " + std::strerror(errno));
  auto disarm = [&] {
    // Magic close: the timer stops (when nowayout is not set).
    if (::write(fd.get(), "V", 1) != 1) ctx.out() << "magic close failed: " << std::strerror(errno) << '\n';
  };
  watchdog_info info{};
  if (::ioctl(fd.get(), WDIOC_GETSUPPORT, &info) == 0) {
    b.identity = std::string(reinterpret_cast<const char*>(info.identity), strnlen(reinterpret_cast<const char*>(info.identity), sizeof info.identity));
    b.options = info.options;
  }
  int timeout = want;
  if (::ioctl(fd.get(), WDIOC_SETTIMEOUT, &timeout) != 0 && ::ioctl(fd.get(), WDIOC_GETTIMEOUT, &timeout) != 0) {
    disarm();
    return TestResult::fail(b.device + ": neither WDIOC_SETTIMEOUT nor WDIOC_GETTIMEOUT works: " + std::strerror(errno));
  }
  b.timeout_s = timeout;
  int dummy = 0;
  ::ioctl(fd.get(), WDIOC_KEEPALIVE, &dummy);
  b.armed_at = realtime_now();
  if (auto err = save_state(ctx, b); !err.empty()) {
    disarm();
    return TestResult::error(err);
  }
  ctx.out() << b.device << " (" << b.identity << ") armed with a " << timeout << " s timeout; no more keepalives" << std::endl;
  // No keepalive from here on: the watchdog must reset the machine.
  const int wait_s = 3 * timeout + 30;
  std::this_thread::sleep_for(std::chrono::seconds(wait_s));
  disarm();
  return TestResult::fail(b.device + " did not reset the machine " + std::to_string(wait_s) + " s after the last keepalive (timeout " +
                          std::to_string(timeout) + " s)");
}

TestResult system_crash_dump(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  const std::string dump_dir = ctx.param("dump_dir", "/var/crash");
  if (ctx.after_reboot) {
    CrashDumpFacts f;
    f.before = load_state(ctx, f.state_error);
    f.boot_id = now_boot_id(root);
    if (f.before) {
      std::set<std::string> had(f.before->dumps_before.begin(), f.before->dumps_before.end());
      for (const auto& p : files_below(root, f.before->dump_dir)) {
        if (had.count(p) || !looks_like_dump(p)) continue;
        CrashDumpFacts::Dump d;
        d.path = p;
        std::error_code ec;
        auto host = root.host_path(p);
        d.size = std::filesystem::file_size(host, ec);
        std::ifstream in(host, std::ios::binary);
        std::vector<std::uint8_t> head(4 << 20);
        in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<std::size_t>(in.gcount()));
        d.header = in.bad() || (head.empty() && d.size > 0) ? DumpHeader{"", "", "unreadable"} : parse_dump_header(head);
        ctx.out() << p << ": " << d.size << " bytes, " << (d.header.error.empty() ? d.header.format + " " + d.header.release : d.header.error) << '\n';
        f.new_dumps.push_back(std::move(d));
      }
    }
    return check_crash_dump(f);
  }
  auto size = root.attr_int("/sys/kernel/kexec_crash_size", 10);
  auto loaded = root.attr_int("/sys/kernel/kexec_crash_loaded", 10);
  if (!size) return TestResult::skip("the kernel has no kexec crash support (/sys/kernel/kexec_crash_size missing)");
  if (*size <= 0) return TestResult::skip("no memory reserved for a crash kernel (boot with crashkernel=): a crash could not be captured");
  if (!loaded || *loaded != 1) return TestResult::skip("no crash kernel is loaded (kdump-tools/kdump service not running, or kexec -p not done)");
  if (auto e = refuse_trigger(ctx, "system.crash-dump")) return *e;
  if (!root.is_dir(dump_dir)) return TestResult::fail("the dump directory " + dump_dir + " does not exist (param dump_dir)");
  BeforeReboot b;
  b.boot_id = now_boot_id(root);
  b.kernel_release = kernel_release();
  b.dump_dir = dump_dir;
  b.dumps_before = files_below(root, dump_dir);
  b.armed_at = realtime_now();
  if (auto err = save_state(ctx, b); !err.empty()) return TestResult::error(err);
  ctx.out() << "crashing kernel " << b.kernel_release << " through /proc/sysrq-trigger; dumps expected in " << dump_dir << std::endl;
  auto err = write_sysfs("/proc/sysrq-trigger", "c");
  if (!err.empty()) return TestResult::fail("sysrq 'c': " + err);
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return TestResult::fail("the kernel did not crash within 60 s of sysrq 'c'");
}

}  // namespace certify::suites
