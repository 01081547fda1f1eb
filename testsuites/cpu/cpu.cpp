// cpu suite: CPUs usable (pinned work), cpufreq policies and governors,
// hotplug of a non-boot CPU, ISA flags, and a sustained load with the kernel
// log and throttle counters watched.
#include "testsuites/cpu/cpu.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "probe/cpu.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/common/live.hpp"

namespace certify::suites::cpu {

namespace {

std::string join_ints(const std::vector<int>& v) {
  std::ostringstream os;
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
  return os.str();
}

std::set<int> read_cpu_set(const probe::Sysroot& root, const std::string& path) {
  auto t = root.attr(path);
  if (!t) return {};
  auto s = probe::parse_cpu_list(*t);
  return s ? *s : std::set<int>{};
}

constexpr int k_rounds = 200000;

PinnedRun pinned_work(int cpu, std::uint64_t expected) {
  PinnedRun r;
  r.cpu = cpu;
  std::uint64_t got = 0;
  r.error = run_on_cpu(cpu, [&] { got = work_unit(0x5eed + 17, k_rounds); }, r.ran_on);
  r.result_ok = r.error.empty() && got == expected;
  return r;
}

// Flags each x86-64 psABI level adds (x86-64 psABI, "Micro-architecture levels").
struct IsaLevel {
  std::string_view arch, level;
  std::string_view flags;  // space-separated, as /proc/cpuinfo names them
};
constexpr IsaLevel k_isa_levels[] = {
    {"x86_64", "x86-64-v1", "fpu tsc cx8 cmov mmx fxsr sse sse2 lm"},
    {"x86_64", "x86-64-v2", "cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3"},
    {"x86_64", "x86-64-v3", "avx avx2 bmi1 bmi2 f16c fma abm movbe xsave"},
    {"x86_64", "x86-64-v4", "avx512f avx512bw avx512cd avx512dq avx512vl"},
    // Arm ARM: Armv8-A base with Advanced SIMD, as /proc/cpuinfo "Features" names them.
    {"aarch64", "armv8-a", "fp asimd"},
    {"aarch64", "armv8.1-a", "atomics asimdrdm crc32"},
    // RISC-V RVA20U64 profile: single-letter extensions in the "isa" line.
    {"riscv64", "rva20u64", "i m a f d c"},
    // LoongArch: base ISA features in "Features".
    {"loongarch64", "la64", "cpucfg fpu"},
};

}  // namespace

std::uint64_t work_unit(std::uint64_t seed, int rounds) {
  // Integer multiply/rotate plus floating-point: exercises ALU and FPU.
  std::uint64_t x = seed;
  double f = 1.0;
  for (int i = 0; i < rounds; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    x ^= (x >> 29) | (x << 35);
    f = f * 1.0000001 + static_cast<double>(x & 0xff) * 1e-9;
  }
  return x ^ static_cast<std::uint64_t>(f * 1e6);
}

TestResult check_cpus_usable(const std::set<int>& present, const std::set<int>& online, const std::vector<PinnedRun>& runs) {
  if (present.empty()) return TestResult::fail("no CPUs are listed as present");
  std::vector<int> offline, bad;
  for (int c : present)
    if (!online.count(c)) offline.push_back(c);
  std::string first_error;
  for (const auto& r : runs) {
    if (!r.error.empty() || !r.result_ok || r.ran_on != r.cpu) {
      bad.push_back(r.cpu);
      if (first_error.empty())
        first_error = !r.error.empty()  ? r.error
                      : !r.result_ok    ? "cpu " + std::to_string(r.cpu) + " computed a wrong result"
                                        : "work pinned to cpu " + std::to_string(r.cpu) + " ran on cpu " + std::to_string(r.ran_on);
    }
  }
  std::set<int> ran;
  for (const auto& r : runs) ran.insert(r.cpu);
  std::vector<int> untested;
  for (int c : online)
    if (!ran.count(c)) untested.push_back(c);
  TestResult t;
  if (!offline.empty()) t = TestResult::fail("present but offline: cpu " + join_ints(offline));
  else if (!bad.empty()) t = TestResult::fail("work failed on cpu " + join_ints(bad) + ": " + first_error);
  else if (!untested.empty()) t = TestResult::fail("no work ran on online cpu " + join_ints(untested));
  else t = TestResult::pass();
  t.metrics["cpus_present"] = present.size();
  t.metrics["cpus_online"] = online.size();
  t.metrics["cpus_verified"] = runs.size() - bad.size();
  return t;
}

TestResult check_cpufreq(const std::vector<FreqPolicy>& policies) {
  if (policies.empty()) return TestResult::skip("no cpufreq policies: the platform exposes no frequency scaling driver");
  std::vector<std::string> problems;
  for (const auto& p : policies) {
    auto bad = [&](const std::string& s) { problems.push_back(p.name + ": " + s); };
    if (p.governors.empty()) bad("no scaling governors available");
    if (p.governor.empty()) bad("no current governor");
    else if (!p.governors.empty() && std::find(p.governors.begin(), p.governors.end(), p.governor) == p.governors.end())
      bad("current governor " + p.governor + " is not among the available ones");
    if (!p.cpuinfo_min_khz || !p.cpuinfo_max_khz) { bad("hardware frequency range unknown"); continue; }
    if (*p.cpuinfo_min_khz <= 0 || *p.cpuinfo_min_khz > *p.cpuinfo_max_khz)
      bad("hardware range " + std::to_string(*p.cpuinfo_min_khz) + "-" + std::to_string(*p.cpuinfo_max_khz) + " kHz is inverted or zero");
    if (p.scaling_min_khz && p.scaling_max_khz &&
        (*p.scaling_min_khz < *p.cpuinfo_min_khz || *p.scaling_max_khz > *p.cpuinfo_max_khz || *p.scaling_min_khz > *p.scaling_max_khz))
      bad("scaling range " + std::to_string(*p.scaling_min_khz) + "-" + std::to_string(*p.scaling_max_khz) +
          " kHz is outside the hardware range");
    if (p.cur_khz && (*p.cur_khz < *p.cpuinfo_min_khz * 9 / 10 || *p.cur_khz > *p.cpuinfo_max_khz * 11 / 10))
      bad("current frequency " + std::to_string(*p.cur_khz) + " kHz is outside the hardware range");
    for (const auto& [g, why] : p.governor_set_errors) bad("governor " + g + " cannot be selected: " + why);
  }
  TestResult t = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) t.messages.push_back(problems[i]);
  t.metrics["policies"] = policies.size();
  return t;
}

bool governor_scales(std::string_view driver, std::string_view governor) {
  if (governor == "ondemand" || governor == "conservative" || governor == "schedutil") return true;
  return governor == "powersave" && (driver == "intel_pstate" || driver == "amd-pstate-epp");
}

namespace {

std::int64_t median(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

TestResult check_freq_load(const std::vector<FreqLoadPolicy>& policies, double min_rise_percent) {
  if (policies.empty()) return TestResult::skip("no cpufreq policies: the platform exposes no frequency scaling driver");
  std::vector<std::string> problems, fixed;
  int measured = 0;
  TestResult t;
  for (const auto& p : policies) {
    if (!p.scales) {
      fixed.push_back(p.name + " " + (p.governor.empty() ? "(no governor)" : p.governor));
      continue;
    }
    if (p.min_khz && p.max_khz && *p.min_khz == *p.max_khz) {
      fixed.push_back(p.name + " (one frequency, " + std::to_string(*p.max_khz) + " kHz)");
      continue;
    }
    if (!p.error.empty()) { problems.push_back(p.name + ": " + p.error); continue; }
    if (p.idle_khz.empty() || p.load_khz.empty()) { problems.push_back(p.name + ": scaling_cur_freq gave no samples"); continue; }
    ++measured;
    auto idle = median(p.idle_khz), load = median(p.load_khz);
    t.metrics[p.name + "_idle_khz"] = idle;
    t.metrics[p.name + "_load_khz"] = load;
    auto want = static_cast<double>(idle) * (1.0 + min_rise_percent / 100.0);
    std::string what = p.name + " (" + p.governor + ", load on cpu " + std::to_string(p.cpu) + "): idle " + std::to_string(idle) +
                       " kHz, loaded " + std::to_string(load) + " kHz";
    if (static_cast<double>(load) <= want) {
      if (p.max_khz && idle >= *p.max_khz * 95 / 100)
        problems.push_back(what + ": already at the maximum while idle, so the governor does not scale down (or the machine is not idle)");
      else
        problems.push_back(what + ": load did not raise the frequency by more than " + std::to_string(static_cast<int>(min_rise_percent)) + "%");
    } else {
      t.messages.push_back(what);
    }
  }
  if (measured == 0 && problems.empty()) {
    std::string s;
    for (const auto& f : fixed) s += (s.empty() ? "" : ", ") + f;
    return TestResult::skip("no policy has a governor that follows load (" + s + "): the frequency is fixed");
  }
  auto msgs = std::move(t.messages);
  auto metrics = std::move(t.metrics);
  t = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) t.messages.push_back(problems[i]);
  for (auto& m : msgs) t.messages.push_back(std::move(m));
  for (const auto& f : fixed) t.messages.push_back("not measured, fixed frequency: " + f);
  t.metrics = std::move(metrics);
  t.metrics["policies_measured"] = measured;
  return t;
}

std::vector<FreqLoadPolicy> measure_freq_load(const probe::Sysroot& root, const LoadControl& load, const FreqSampling& s) {
  const std::string base = "/sys/devices/system/cpu/cpufreq";
  std::vector<FreqLoadPolicy> out;
  auto series = [&](const std::string& cur, std::vector<std::int64_t>& into) {
    std::this_thread::sleep_for(s.settle);
    for (int i = 0; i < s.samples; ++i) {
      if (i) std::this_thread::sleep_for(s.interval);
      if (auto v = root.attr_int(cur, 10)) into.push_back(*v);
    }
  };
  for (const auto& name : root.list(base)) {
    if (name.rfind("policy", 0) != 0) continue;
    auto dir = base + "/" + name;
    FreqLoadPolicy p;
    p.name = name;
    p.driver = root.attr(dir + "/scaling_driver").value_or("");
    p.governor = root.attr(dir + "/scaling_governor").value_or("");
    p.scales = governor_scales(p.driver, p.governor);
    p.min_khz = root.attr_int(dir + "/cpuinfo_min_freq", 10);
    p.max_khz = root.attr_int(dir + "/cpuinfo_max_freq", 10);
    // affected_cpus/related_cpus: "0 1 2 3" (cpufreq.c show_cpus), first CPU wins.
    for (const char* f : {"/affected_cpus", "/related_cpus"}) {
      std::istringstream is(root.attr(dir + f).value_or(""));
      if (int c = -1; p.cpu < 0 && is >> c && c >= 0) p.cpu = c;
    }
    if (p.scales && !(p.min_khz && p.max_khz && *p.min_khz == *p.max_khz)) {
      if (p.cpu < 0) p.error = "affected_cpus lists no CPU to load";
      else if (!root.exists(dir + "/scaling_cur_freq")) p.error = "no scaling_cur_freq to read the frequency from";
      else {
        series(dir + "/scaling_cur_freq", p.idle_khz);
        load(p.cpu, true);
        series(dir + "/scaling_cur_freq", p.load_khz);
        load(p.cpu, false);
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

TestResult check_hotplug(const HotplugObservation& o) {
  std::string c = "cpu " + std::to_string(o.cpu);
  if (!o.offline_error.empty()) return TestResult::fail(c + " could not be taken offline: " + o.offline_error);
  if (!o.seen_offline) return TestResult::fail(c + " accepted offline but is still in the online mask");
  if (!o.online_error.empty()) return TestResult::fail(c + " will not come back online: " + o.online_error);
  if (!o.seen_online) return TestResult::fail(c + " accepted online but is not in the online mask");
  const auto& w = o.work_after;
  if (!w.error.empty()) return TestResult::fail(c + " is online again but work cannot be pinned to it: " + w.error);
  if (!w.result_ok || w.ran_on != o.cpu) return TestResult::fail(c + " is online again but pinned work did not run correctly on it");
  return TestResult::pass();
}

TestResult check_isa_flags(std::string_view arch, std::string_view level, const std::set<std::string>& flags) {
  std::vector<std::string_view> levels;
  for (const auto& l : k_isa_levels)
    if (l.arch == arch) levels.push_back(l.level);
  if (levels.empty()) return TestResult::skip("no ISA level table for architecture " + std::string(arch));
  std::string want = level.empty() ? std::string(levels.front()) : std::string(level);
  if (std::find(levels.begin(), levels.end(), want) == levels.end())
    return TestResult::error("unknown ISA level " + want + " for " + std::string(arch));
  std::vector<std::string> missing;
  int checked = 0;
  for (const auto& l : k_isa_levels) {
    if (l.arch != arch) continue;
    std::istringstream is{std::string(l.flags)};
    std::string f;
    while (is >> f) {
      ++checked;
      if (!flags.count(f)) missing.push_back(f);
    }
    if (l.level == want) break;
  }
  TestResult t = missing.empty() ? TestResult::pass() : TestResult::fail([&] {
    std::string s = "missing for " + want + ":";
    for (const auto& m : missing) s += " " + m;
    return s;
  }());
  t.metrics["flags_checked"] = checked;
  return t;
}

TestResult check_stress(const StressReport& r, const std::set<int>& cpus) {
  std::vector<std::string> problems;
  for (int c : cpus) {
    auto it = r.iterations.find(c);
    if (it == r.iterations.end() || it->second == 0) problems.push_back("cpu " + std::to_string(c) + " made no progress");
    if (auto w = r.wrong.find(c); w != r.wrong.end() && w->second > 0)
      problems.push_back("cpu " + std::to_string(c) + " computed " + std::to_string(w->second) + " wrong result(s)");
  }
  for (const auto& [k, d] : r.throttle_delta)
    if (d > 0) problems.push_back(k + " rose by " + std::to_string(d) + " (thermal throttling)");
  for (const auto& f : r.log) problems.push_back("kernel log (" + f.pattern + "): " + f.line);
  TestResult t = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) t.messages.push_back(problems[i]);
  std::uint64_t total = 0;
  for (const auto& [c, n] : r.iterations) total += n;
  t.metrics["seconds"] = r.seconds;
  t.metrics["work_units"] = total;
  return t;
}

}  // namespace certify::suites::cpu

namespace certify::suites {

using namespace cpu;

TestResult cpu_online(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  if (auto e = require_live(ctx, "cpu.online")) return *e;
  auto present = read_cpu_set(root, "/sys/devices/system/cpu/present");
  auto online = read_cpu_set(root, "/sys/devices/system/cpu/online");
  const std::uint64_t expected = work_unit(0x5eed + 17, k_rounds);
  std::vector<PinnedRun> runs;
  for (int c : online) {
    runs.push_back(pinned_work(c, expected));
    ctx.out() << "cpu " << c << ": ran on " << runs.back().ran_on << (runs.back().result_ok ? " ok" : " WRONG")
              << (runs.back().error.empty() ? "" : " " + runs.back().error) << '\n';
  }
  return check_cpus_usable(present, online, runs);
}

TestResult cpu_freq(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  const std::string base = "/sys/devices/system/cpu/cpufreq";
  std::vector<FreqPolicy> policies;
  for (const auto& name : root.list(base)) {
    if (name.rfind("policy", 0) != 0) continue;
    auto dir = base + "/" + name;
    FreqPolicy p;
    p.name = name;
    if (auto g = root.attr(dir + "/scaling_available_governors")) {
      std::istringstream is(*g);
      std::string w;
      while (is >> w) p.governors.push_back(w);
    }
    p.governor = root.attr(dir + "/scaling_governor").value_or("");
    p.driver = root.attr(dir + "/scaling_driver").value_or("");
    p.cpuinfo_min_khz = root.attr_int(dir + "/cpuinfo_min_freq", 10);
    p.cpuinfo_max_khz = root.attr_int(dir + "/cpuinfo_max_freq", 10);
    p.scaling_min_khz = root.attr_int(dir + "/scaling_min_freq", 10);
    p.scaling_max_khz = root.attr_int(dir + "/scaling_max_freq", 10);
    p.cur_khz = root.attr_int(dir + "/scaling_cur_freq", 10);
    // Each governor must be selectable (root, live only); the original is restored.
    if (root.is_live() && ::geteuid() == 0 && !p.governor.empty()) {
      for (const auto& g : p.governors) {
        auto err = write_sysfs(dir + "/scaling_governor", g);
        if (err.empty() && root.attr(dir + "/scaling_governor").value_or("") != g) err = "reads back as another governor";
        if (!err.empty()) p.governor_set_errors[g] = err;
      }
      if (auto err = write_sysfs(dir + "/scaling_governor", p.governor); !err.empty())
        p.governor_set_errors[p.governor] = "restoring: " + err;
    }
    ctx.out() << name << ": driver " << p.driver << ", governor " << p.governor << ", "
              << p.cpuinfo_min_khz.value_or(-1) << "-" << p.cpuinfo_max_khz.value_or(-1) << " kHz, cur "
              << p.cur_khz.value_or(-1) << '\n';
    policies.push_back(std::move(p));
  }
  return check_cpufreq(policies);
}

namespace {

// A busy loop pinned to one CPU while on.
class PinnedSpinner {
 public:
  void set(int cpu, bool on) {
    if (!on) {
      stop();
      return;
    }
    stop();
    run_ = true;
    thread_ = std::thread([this, cpu] {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      ::sched_setaffinity(0, sizeof set, &set);
      std::uint64_t x = 1;
      while (run_.load(std::memory_order_relaxed)) x = work_unit(x, 1000);
      sink_ = x;
    });
  }
  ~PinnedSpinner() { stop(); }

 private:
  void stop() {
    run_ = false;
    if (thread_.joinable()) thread_.join();
  }
  std::atomic<bool> run_{false};
  std::thread thread_;
  std::uint64_t sink_ = 0;
};

}  // namespace

TestResult cpu_freq_load(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  FreqSampling s;
  s.samples = static_cast<int>(param_long(ctx, "samples", 10, 1, 1000));
  s.settle = std::chrono::milliseconds(param_long(ctx, "settle_ms", 700, 0, 60000));
  const double min_rise = static_cast<double>(param_long(ctx, "min_rise_percent", 5, 0, 1000));
  PinnedSpinner spin;
  auto policies = measure_freq_load(root, [&](int cpu, bool on) { spin.set(cpu, on); }, s);
  for (const auto& p : policies)
    ctx.out() << p.name << ": driver " << p.driver << ", governor " << p.governor << (p.scales ? "" : " (fixed)") << ", cpu " << p.cpu
              << ", idle samples " << p.idle_khz.size() << ", loaded samples " << p.load_khz.size() << (p.error.empty() ? "" : ", " + p.error)
              << '\n';
  return check_freq_load(policies, min_rise);
}

TestResult cpu_hotplug(TestContext& ctx) {
  if (auto e = require_live(ctx, "cpu.hotplug")) return *e;
  probe::Sysroot root(ctx.sysroot);
  const std::string sys = "/sys/devices/system/cpu";
  auto online = read_cpu_set(root, sys + "/online");
  int cpu = static_cast<int>(param_long(ctx, "cpu", -1, -1, 65535));
  if (cpu < 0) {
    for (int c : online)
      if (c != 0 && root.exists(sys + "/cpu" + std::to_string(c) + "/online")) { cpu = c; break; }
    if (cpu < 0)
      return TestResult::skip(online.size() < 2 ? "only one CPU is online: there is no non-boot CPU to take offline"
                                                : "no online CPU has a hotplug control (kernel without CONFIG_HOTPLUG_CPU)");
  }
  if (::geteuid() != 0) return TestResult::error("CPU hotplug needs root");
  auto ctl = sys + "/cpu" + std::to_string(cpu) + "/online";
  HotplugObservation o;
  o.cpu = cpu;
  o.offline_error = write_sysfs(ctl, "0");
  if (o.offline_error.empty()) {
    o.seen_offline = root.attr(ctl).value_or("") == "0" && !read_cpu_set(root, sys + "/online").count(cpu);
    ctx.out() << "cpu " << cpu << " offline: " << (o.seen_offline ? "yes" : "no") << '\n';
  }
  // Always try to bring it back, even when going offline looked wrong.
  o.online_error = write_sysfs(ctl, "1");
  for (int i = 0; i < 50 && o.online_error.empty(); ++i) {
    if (read_cpu_set(root, sys + "/online").count(cpu)) { o.seen_online = true; break; }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ctx.out() << "cpu " << cpu << " online again: " << (o.seen_online ? "yes" : "no") << '\n';
  if (o.seen_online) o.work_after = pinned_work(cpu, work_unit(0x5eed + 17, k_rounds));
  return check_hotplug(o);
}

TestResult cpu_isa(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  auto text = root.read("/proc/cpuinfo");
  if (!text) return TestResult::fail("cannot read /proc/cpuinfo");
  auto info = probe::parse_cpuinfo(*text);
  std::string arch = ctx.device.value("arch", "");
  if (arch.empty()) arch = probe::cpuinfo_arch(info);
  if (info.processors.empty()) return TestResult::fail("/proc/cpuinfo lists no processors");
  std::set<std::string> flags;
  for (const char* key : {"flags", "Features", "isa"}) {
    if (const auto* v = probe::cpuinfo_get(info.processors.front(), key)) {
      std::string s = *v;
      if (std::string_view(key) == "isa") {  // "rv64imafdc_zicsr...": single letters after rv64
        auto us = s.find('_');
        std::string base = s.substr(0, us);
        if (base.rfind("rv64", 0) == 0)
          for (char ch : base.substr(4)) flags.insert(std::string(1, ch));
      } else {
        std::istringstream is(s);
        std::string w;
        while (is >> w) flags.insert(w);
      }
    }
  }
  // Every processor block must report the same flags (a mismatch means a
  // heterogeneous or misconfigured package the OS may mis-schedule).
  TestResult r = check_isa_flags(arch, ctx.param("level"), flags);
  for (std::size_t i = 1; i < info.processors.size() && r.outcome == Outcome::pass; ++i) {
    const auto* a = probe::cpuinfo_get(info.processors.front(), "flags");
    const auto* b = probe::cpuinfo_get(info.processors[i], "flags");
    if (a && b && *a != *b) r = TestResult::fail("processor " + std::to_string(i) + " reports other flags than processor 0");
  }
  ctx.out() << "arch " << arch << ", " << flags.size() << " flags\n";
  return r;
}

TestResult cpu_stress(TestContext& ctx) {
  if (auto e = require_live(ctx, "cpu.stress")) return *e;
  probe::Sysroot root(ctx.sysroot);
  const int seconds = static_cast<int>(param_long(ctx, "seconds", 10, 1, 86400));
  auto online = read_cpu_set(root, "/sys/devices/system/cpu/online");
  auto throttle = [&] {
    std::map<std::string, std::int64_t> m;
    for (int c : online)
      for (const char* f : {"core_throttle_count", "package_throttle_count"}) {
        auto k = "cpu" + std::to_string(c) + "/" + f;
        if (auto v = root.attr_int("/sys/devices/system/cpu/" + std::string("cpu") + std::to_string(c) + "/thermal_throttle/" + f, 10))
          m[k] = *v;
      }
    return m;
  };
  auto log0 = read_kernel_log();
  std::uint64_t from = 0;
  if (log0 && !log0->empty()) from = log0->back().seq + 1;
  auto before = throttle();
  StressReport rep;
  const std::uint64_t expected = work_unit(0x5eed + 17, 20000);
  std::atomic<bool> stop{false};
  std::map<int, std::uint64_t> iters, wrong;
  for (int c : online) iters[c] = 0, wrong[c] = 0;
  std::vector<std::thread> threads;
  auto t0 = std::chrono::steady_clock::now();
  for (int c : online) {
    threads.emplace_back([&, c] {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(c, &set);
      if (::sched_setaffinity(0, sizeof set, &set) != 0) return;
      std::uint64_t n = 0, bad = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (work_unit(0x5eed + 17, 20000) != expected) ++bad;
        ++n;
      }
      iters[c] = n;
      wrong[c] = bad;
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.iterations = iters;
  rep.wrong = wrong;
  for (const auto& [k, v] : throttle())
    if (auto it = before.find(k); it != before.end()) rep.throttle_delta[k] = v - it->second;
  if (auto log1 = read_kernel_log(from)) {
    std::vector<LogPattern> watch;
    for (const auto& p : kernel_error_patterns())
      if (p.name == "mce" || p.name == "hardware-error" || p.name == "thermal-throttle" || p.name == "lockup" ||
          p.name == "edac-ue" || p.name == "edac-ce")
        watch.push_back(p);
    rep.log = scan_kernel_log(*log1, watch);
  } else {
    rep.log.push_back({"kernel-log", "the kernel log cannot be read: " + log1.message(), 0});
  }
  for (const auto& [c, n] : iters) ctx.out() << "cpu " << c << ": " << n << " work units\n";
  return check_stress(rep, online);
}

}  // namespace certify::suites
