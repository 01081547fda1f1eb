// Suites (issue 6): the tests that take the machine down (watchdog reset,
// kdump crash) checked on recorded facts and fixture sysroots after a
// "reboot", their refusal to trigger anything without --destructive on the
// live system, and cpufreq's "load raises frequency" over fixture sysroots
// whose scaling_cur_freq a fake load rewrites.
#include <doctest/doctest.h>

#include <linux/watchdog.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/files.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/cpu/cpu.hpp"
#include "testsuites/system/reboot.hpp"
#include "tests/testutil.hpp"

using namespace certify;
using namespace certify::suites;
using certify::test::fixture;

namespace certify::suites {
TestResult cpu_freq_load(TestContext& ctx);
TestResult system_watchdog_reset(TestContext& ctx);
TestResult system_crash_dump(TestContext& ctx);
}  // namespace certify::suites

namespace {

void put(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

void put_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& b) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

TestResult run(BuiltinFn fn, const std::filesystem::path& sysroot, const std::filesystem::path& workdir, bool after_reboot,
               std::map<std::string, std::string> params = {}, bool destructive = false) {
  TestContext ctx;
  ctx.sysroot = sysroot;
  ctx.workdir = workdir;
  ctx.after_reboot = after_reboot;
  ctx.destructive = destructive;
  ctx.params = std::move(params);
  std::ostringstream log;
  ctx.log = &log;
  return fn(ctx);
}

// A little-endian ELF64 core with one PT_NOTE holding notes (name, text).
std::vector<std::uint8_t> elf_core(const std::vector<std::pair<std::string, std::string>>& notes, std::uint16_t type = 4) {
  std::vector<std::uint8_t> n;
  auto u32 = [](std::vector<std::uint8_t>& v, std::uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
  };
  for (const auto& [name, desc] : notes) {
    u32(n, static_cast<std::uint32_t>(name.size() + 1));
    u32(n, static_cast<std::uint32_t>(desc.size()));
    u32(n, 0);
    n.insert(n.end(), name.begin(), name.end());
    n.push_back(0);
    while (n.size() % 4) n.push_back(0);
    n.insert(n.end(), desc.begin(), desc.end());
    while (n.size() % 4) n.push_back(0);
  }
  std::vector<std::uint8_t> b(64 + 56, 0);
  std::memcpy(b.data(), "\x7f" "ELF", 4);
  b[4] = 2;  // 64-bit
  b[5] = 1;  // little-endian
  b[6] = 1;
  b[16] = static_cast<std::uint8_t>(type);
  b[32] = 64;  // e_phoff
  b[54] = 56;  // e_phentsize
  b[56] = 1;   // e_phnum
  b[64] = 4;   // PT_NOTE
  std::uint64_t off = b.size(), size = n.size();
  for (int i = 0; i < 8; ++i) {
    b[64 + 8 + i] = static_cast<std::uint8_t>(off >> (8 * i));
    b[64 + 32 + i] = static_cast<std::uint8_t>(size >> (8 * i));
  }
  b.insert(b.end(), n.begin(), n.end());
  return b;
}

std::vector<std::uint8_t> kdump_compressed(const std::string& release) {
  std::vector<std::uint8_t> b(4096, 0);
  std::memcpy(b.data(), "KDUMP   ", 8);
  b[8] = 6;  // header_version
  std::memcpy(b.data() + 12, "Linux", 5);
  std::memcpy(b.data() + 12 + 65, "hwlab", 5);
  std::memcpy(b.data() + 12 + 130, release.data(), release.size());
  return b;
}

system::BeforeReboot armed(double at) {
  system::BeforeReboot b;
  b.boot_id = "11111111-2222-3333-4444-555555555555";
  b.kernel_release = "6.1.0-57-amd64";
  b.device = "/dev/watchdog0";
  b.identity = "i6300ESB timer";
  b.armed_at = at;
  b.timeout_s = 10;
  b.options = WDIOF_SETTIMEOUT | WDIOF_KEEPALIVEPING | WDIOF_MAGICCLOSE | WDIOF_CARDRESET;
  return b;
}

}  // namespace

TEST_CASE("watchdog reset: the boot after the reset must show it") {
  system::WatchdogResetFacts f;
  f.before = armed(1000);
  f.boot_id = "99999999-2222-3333-4444-555555555555";
  f.btime = 1012;
  f.bootstatus = WDIOF_CARDRESET;
  auto ok = system::check_watchdog_reset(f);
  CHECK_MESSAGE(ok.outcome == Outcome::pass, ok.reason);
  CHECK(ok.metrics["reset_after_s"] == 12.0);

  auto same = f;
  same.boot_id = f.before->boot_id;
  CHECK(system::check_watchdog_reset(same).reason.find("did not reboot") != std::string::npos);
  auto early = f;
  early.btime = 1001;  // a reset 1 s after arming a 10 s watchdog came from elsewhere
  CHECK(system::check_watchdog_reset(early).reason.find("before its 10 s timeout") != std::string::npos);
  auto late = f;
  late.btime = 1000 + 10 + 121;
  CHECK(system::check_watchdog_reset(late).reason.find("later than") != std::string::npos);
  auto quiet = f;
  quiet.bootstatus = 0;
  CHECK(system::check_watchdog_reset(quiet).reason.find("does not report the reset it caused") != std::string::npos);
  auto gone = f;
  gone.bootstatus.reset();
  CHECK(system::check_watchdog_reset(gone).outcome == Outcome::fail);
  auto clean = f;
  clean.clean_shutdown = true;
  CHECK(system::check_watchdog_reset(clean).reason.find("orderly shutdown") != std::string::npos);
  // A driver without boot status: the boot time alone shows the reset.
  auto plain = f;
  plain.before->options = WDIOF_SETTIMEOUT | WDIOF_MAGICCLOSE;
  plain.bootstatus = 0;
  auto p = system::check_watchdog_reset(plain);
  CHECK(p.outcome == Outcome::pass);
  CHECK(p.messages.front().find("does not report boot status") != std::string::npos);
  system::WatchdogResetFacts none;
  none.state_error = "no record of the trigger before the reboot (x: missing)";
  CHECK(system::check_watchdog_reset(none).reason == none.state_error);
}

TEST_CASE("watchdog reset: the post-reboot check over a fixture sysroot and the record in the work directory") {
  test::TempDir d;
  auto root = d / "root", work = d / "work";
  put(root / "proc/sys/kernel/random/boot_id", "99999999-2222-3333-4444-555555555555\n");
  put(root / "proc/stat", "cpu  1 2 3 4\nintr 0\nbtime 1700000015\nprocesses 10\n");
  put(root / "sys/class/watchdog/watchdog0/bootstatus", "32\n");
  std::filesystem::create_directories(work);
  // No record: the test cannot tell what happened, so it fails.
  auto none = run(system_watchdog_reset, root, work, true);
  CHECK(none.outcome == Outcome::fail);
  CHECK(none.reason.find("no record of the trigger") != std::string::npos);
  REQUIRE(write_file_atomic(work / "before-reboot.json", system::before_reboot_json(armed(1700000002))).ok());
  auto ok = run(system_watchdog_reset, root, work, true);
  CHECK_MESSAGE(ok.outcome == Outcome::pass, ok.reason);
  put(root / "sys/class/watchdog/watchdog0/bootstatus", "0\n");
  CHECK(run(system_watchdog_reset, root, work, true).outcome == Outcome::fail);
  put(work / "before-reboot.json", "{\"armed_at\": 3}");
  CHECK(run(system_watchdog_reset, root, work, true).reason.find("malformed") != std::string::npos);
  put(work / "before-reboot.json", "not json");
  CHECK(run(system_watchdog_reset, root, work, true).outcome == Outcome::fail);
  // Before a reboot, on a recorded sysroot, nothing is armed.
  auto fx = run(system_watchdog_reset, root, work, false, {}, true);
  CHECK(fx.outcome == Outcome::error);
  CHECK(fx.reason.find("acts on the live system") != std::string::npos);
}

TEST_CASE("reboot tests never trigger on the live system without --destructive") {
  test::TempDir work;
  auto w = run(system_watchdog_reset, "/", work.path(), false);
  CHECK(w.outcome == Outcome::skip);
  CHECK(w.reason.find("--destructive") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(work / "before-reboot.json"));
  auto c = run(system_crash_dump, "/", work.path(), false);
  CHECK(c.outcome == Outcome::skip);  // no crash kernel here, or not destructive: both skip
  CHECK_FALSE(std::filesystem::exists(work / "before-reboot.json"));
}

TEST_CASE("crash dump: kdump-compressed and ELF headers; malformed ones are errors") {
  auto k = system::parse_dump_header(kdump_compressed("6.1.0-57-amd64"));
  CHECK(k.error.empty());
  CHECK(k.format == "kdump-compressed");
  CHECK(k.release == "6.1.0-57-amd64");
  auto trunc = kdump_compressed("6.1.0-57-amd64");
  trunc.resize(100);
  CHECK(system::parse_dump_header(trunc).error == "kdump-compressed header is truncated");

  auto e = system::parse_dump_header(elf_core({{"CORE", std::string(336, 'x')}, {"VMCOREINFO", "OSRELEASE=6.1.0-57-amd64\nPAGESIZE=4096\n"}}));
  CHECK(e.error.empty());
  CHECK(e.format == "elf");
  CHECK(e.release == "6.1.0-57-amd64");
  CHECK(system::parse_dump_header(elf_core({{"CORE", "abc"}})).error == "no VMCOREINFO note in the ELF core");
  CHECK(system::parse_dump_header(elf_core({{"VMCOREINFO", "PAGESIZE=4096\n"}})).error == "the VMCOREINFO note has no OSRELEASE");
  CHECK(system::parse_dump_header(elf_core({{"VMCOREINFO", "OSRELEASE=x\n"}}, 2)).error.find("not a core dump") != std::string::npos);
  auto cut = elf_core({{"VMCOREINFO", "OSRELEASE=6.1.0-57-amd64\n"}});
  cut.resize(130);
  CHECK(system::parse_dump_header(cut).error == "the ELF notes lie beyond the bytes read");
  auto liar = elf_core({{"VMCOREINFO", "OSRELEASE=6.1.0-57-amd64\n"}});
  liar[120 + 4] = 0xff;  // descsz far beyond the segment
  liar[120 + 5] = 0xff;
  CHECK(system::parse_dump_header(liar).error == "no VMCOREINFO note in the ELF core");
  CHECK(system::parse_dump_header(std::vector<std::uint8_t>{'m', 'a', 'k', 'e', 'd', 'u', 'm', 'p', 'f', 'i', 'l', 'e'}).format == "flattened");
  CHECK_FALSE(system::parse_dump_header(std::vector<std::uint8_t>{}).error.empty());
  CHECK_FALSE(system::parse_dump_header(std::vector<std::uint8_t>(64, 0x7f)).error.empty());
}

TEST_CASE("crash dump: the post-reboot check finds the new dump of the crashed kernel") {
  test::TempDir d;
  auto root = d / "root", work = d / "work";
  put(root / "proc/sys/kernel/random/boot_id", "99999999-2222-3333-4444-555555555555\n");
  put(root / "var/crash/old/dump.old", "KDUMP   old");
  system::BeforeReboot b = armed(1700000000);
  b.dump_dir = "/var/crash";
  b.dumps_before = {"/var/crash/old/dump.old"};
  std::filesystem::create_directories(work);
  REQUIRE(write_file_atomic(work / "before-reboot.json", system::before_reboot_json(b)).ok());
  auto none = run(system_crash_dump, root, work, true);
  CHECK(none.outcome == Outcome::fail);
  CHECK(none.reason.find("no new crash dump in /var/crash") != std::string::npos);
  put(root / "var/crash/202611292100/dmesg.202611292100", "[ 1.0] sysrq: Trigger a crash\n");
  put_bytes(root / "var/crash/202611292100/dump.202611292100", kdump_compressed("6.1.0-99-amd64"));
  auto other = run(system_crash_dump, root, work, true);
  CHECK(other.outcome == Outcome::fail);
  CHECK(other.reason.find("the crashed kernel was 6.1.0-57-amd64") != std::string::npos);
  put_bytes(root / "var/crash/202611292100/dump.202611292100", kdump_compressed("6.1.0-57-amd64"));
  auto ok = run(system_crash_dump, root, work, true);
  CHECK_MESSAGE(ok.outcome == Outcome::pass, ok.reason);
  CHECK(ok.metrics["dump_bytes"] == 4096);
  put_bytes(root / "var/crash/202611292100/dump.202611292100", {1, 2, 3});
  CHECK(run(system_crash_dump, root, work, true).reason.find("neither an ELF core") != std::string::npos);
  put(root / "proc/sys/kernel/random/boot_id", b.boot_id + "\n");
  CHECK(run(system_crash_dump, root, work, true).reason.find("did not reboot") != std::string::npos);

  // Before the crash: the precise reason to skip when kdump cannot capture.
  test::TempDir s;
  put(s / "sys/kernel/kexec_crash_size", "0\n");
  put(s / "sys/kernel/kexec_crash_loaded", "0\n");
  auto skip = run(system_crash_dump, s.path(), work, false, {}, true);
  CHECK(skip.outcome == Outcome::skip);
  CHECK(skip.reason.find("crashkernel=") != std::string::npos);
  put(s / "sys/kernel/kexec_crash_size", "268435456\n");
  CHECK(run(system_crash_dump, s.path(), work, false, {}, true).reason.find("no crash kernel is loaded") != std::string::npos);
  put(s / "sys/kernel/kexec_crash_loaded", "1\n");
  CHECK(run(system_crash_dump, s.path(), work, false, {}, true).outcome == Outcome::error);  // recorded sysroot: never triggers
}

TEST_CASE("cpufreq: load raises the frequency under a scaling governor") {
  cpu::FreqSampling s;
  s.settle = std::chrono::milliseconds(0);
  s.interval = std::chrono::milliseconds(1);
  s.samples = 3;
  test::TempDir d;
  std::filesystem::copy(fixture("suites-class/cpufreq-good"), d.path(), std::filesystem::copy_options::recursive);
  probe::Sysroot root(d.path());
  auto cur = d / "sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq";
  std::vector<std::pair<int, bool>> calls;
  // A governor that follows load: the fake load moves scaling_cur_freq.
  auto rising = [&](int c, bool on) {
    calls.emplace_back(c, on);
    put(cur, on ? "3400000\n" : "1200000\n");
  };
  auto pol = cpu::measure_freq_load(root, rising, s);
  REQUIRE(pol.size() == 1);
  CHECK(pol[0].scales);
  CHECK(pol[0].cpu == 0);
  CHECK(calls == std::vector<std::pair<int, bool>>{{0, true}, {0, false}});
  auto r = cpu::check_freq_load(pol, 5);
  CHECK_MESSAGE(r.outcome == Outcome::pass, r.reason);
  CHECK(r.metrics["policy0_idle_khz"] == 1200000);
  CHECK(r.metrics["policy0_load_khz"] == 3400000);
  // A governor that ignores load fails, naming the policy.
  auto flat = cpu::check_freq_load(cpu::measure_freq_load(root, [&](int, bool) {}, s), 5);
  CHECK(flat.outcome == Outcome::fail);
  CHECK(flat.reason.find("policy0 (powersave, load on cpu 0): idle 1200000 kHz, loaded 1200000 kHz") == 0);
  // Pinned at the maximum while idle: no rise can be shown.
  put(cur, "3500000\n");
  auto top = cpu::check_freq_load(cpu::measure_freq_load(root, [&](int, bool) {}, s), 5);
  CHECK(top.reason.find("already at the maximum while idle") != std::string::npos);
  // The built-in over fixtures: a fixed governor and no cpufreq skip with the reason.
  auto fixed = run(cpu_freq_load, fixture("suites-class/cpufreq-fixed"), d.path(), false);
  CHECK(fixed.outcome == Outcome::skip);
  CHECK(fixed.reason.find("policy0 performance") != std::string::npos);
  auto lab = run(cpu_freq_load, fixture("lab-q35"), d.path(), false);
  CHECK(lab.outcome == Outcome::skip);
  CHECK(lab.reason.find("no cpufreq policies") != std::string::npos);
  CHECK(cpu::governor_scales("acpi-cpufreq", "schedutil"));
  CHECK(cpu::governor_scales("intel_pstate", "powersave"));
  CHECK_FALSE(cpu::governor_scales("acpi-cpufreq", "powersave"));
  CHECK_FALSE(cpu::governor_scales("acpi-cpufreq", "userspace"));
  cpu::FreqLoadPolicy one{"policy0", "acpi-cpufreq", "ondemand", 0, true, 2000000, 2000000, {}, {}, ""};
  CHECK(cpu::check_freq_load({one}, 5).outcome == Outcome::skip);
  cpu::FreqLoadPolicy broken{"policy0", "acpi-cpufreq", "ondemand", -1, true, 800000, 2000000, {}, {}, "affected_cpus lists no CPU to load"};
  CHECK(cpu::check_freq_load({broken}, 5).outcome == Outcome::fail);
}
