// cpu suite: pass criteria as pure functions over observed facts, so unit
// tests feed them machines that must fail (an offline CPU, a CPU that will
// not come back online, a missing ISA flag, a throttled core).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "probe/sysroot.hpp"
#include "testsuites/builtin.hpp"
#include "testsuites/common/kernel_log.hpp"

namespace certify::suites::cpu {

// Work pinned to one CPU with sched_setaffinity.
struct PinnedRun {
  int cpu = -1;
  int ran_on = -1;           // sched_getcpu() inside the work
  bool result_ok = false;    // the computation gave the known answer
  std::string error;         // sched_setaffinity errno text
};

// Every present CPU online, and work ran correctly on each online CPU.
TestResult check_cpus_usable(const std::set<int>& present, const std::set<int>& online,
                             const std::vector<PinnedRun>& runs);

struct FreqPolicy {
  std::string name;  // "policy0"
  std::vector<std::string> governors;
  std::string governor, driver;
  std::optional<std::int64_t> cpuinfo_min_khz, cpuinfo_max_khz, scaling_min_khz, scaling_max_khz, cur_khz;
  std::map<std::string, std::string> governor_set_errors;  // governor -> why it could not be selected
};
TestResult check_cpufreq(const std::vector<FreqPolicy>& policies);

// "Load raises frequency": scaling_cur_freq of one policy sampled while its
// CPUs idle and while a load is pinned to one of them.
struct FreqLoadPolicy {
  std::string name, driver, governor;
  int cpu = -1;                                // the CPU the load was pinned to
  bool scales = false;                         // a governor that follows load (governor_scales)
  std::optional<std::int64_t> min_khz, max_khz;  // cpuinfo_min/max_freq
  std::vector<std::int64_t> idle_khz, load_khz;  // scaling_cur_freq samples
  std::string error;                           // why it could not be measured
};
// ondemand, conservative and schedutil follow load; so does "powersave" of the
// P-state drivers in active mode (intel_pstate, amd-pstate-epp), which is a
// hardware-managed policy, not the fixed minimum acpi-cpufreq's powersave is.
bool governor_scales(std::string_view driver, std::string_view governor);
// Passes when, for every policy whose governor scales, the median loaded
// frequency exceeds the median idle one by more than min_rise_percent.
TestResult check_freq_load(const std::vector<FreqLoadPolicy>& policies, double min_rise_percent);

// Turns a load pinned to a CPU on or off (the built-in spins a thread there;
// tests stand in a fake that rewrites a fixture's scaling_cur_freq).
using LoadControl = std::function<void(int cpu, bool on)>;
struct FreqSampling {
  std::chrono::milliseconds settle{700};     // before each series: governors react within their sampling rate
  std::chrono::milliseconds interval{100};
  int samples = 10;
};
// Every cpufreq policy under root; scaling ones measured idle then loaded.
std::vector<FreqLoadPolicy> measure_freq_load(const probe::Sysroot& root, const LoadControl& load, const FreqSampling& s);

struct HotplugObservation {
  int cpu = -1;
  std::string offline_error, online_error;  // write errors (errno text)
  bool seen_offline = false;                // online file read 0 and cpu left the online mask
  bool seen_online = false;                 // back in the online mask
  PinnedRun work_after;                     // pinned work after coming back
};
TestResult check_hotplug(const HotplugObservation& o);

// Required flags for the architecture and level ("x86-64-v2"), from
// the psABI documents; the result names every missing flag.
TestResult check_isa_flags(std::string_view arch, std::string_view level, const std::set<std::string>& flags);

struct StressReport {
  double seconds = 0;
  std::map<int, std::uint64_t> iterations;   // per CPU
  std::map<int, std::uint64_t> wrong;        // per CPU: computations with a wrong answer
  std::map<std::string, std::int64_t> throttle_delta;  // "cpu3/core_throttle_count" -> increase
  std::vector<LogFinding> log;               // kernel log lines matched during the load
};
TestResult check_stress(const StressReport& r, const std::set<int>& cpus);

// The deterministic work unit: a checksum that is the same on every healthy CPU.
std::uint64_t work_unit(std::uint64_t seed, int rounds);

}  // namespace certify::suites::cpu
