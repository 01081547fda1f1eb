// cpu: fills inventory.cpu from /proc/cpuinfo and the sysfs cpu and node
// trees: identity, topology (lscpu's sibling-mask method), NUMA, caches, frequency.
#include <algorithm>
#include <map>
#include <set>

#include "core/files.hpp"
#include "probe/cpu.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

using nlohmann::json;

namespace {

constexpr std::string_view k_cpu_dir = "/sys/devices/system/cpu";
constexpr std::string_view k_node_dir = "/sys/devices/system/node";

// Numeric suffix of "cpu12" / "node3" / "index2", or -1.
int dir_number(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) != prefix || name.size() == prefix.size()) return -1;
  int n = 0;
  for (char c : name.substr(prefix.size())) {
    if (c < '0' || c > '9' || n > 1'000'000) return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

// The sysfs trees are read relative to a directory held open (SysDir):
// /sys/devices/system/cpu/cpuN/cache/indexM/level walked from the top for
// each of a CPU's ~25 attributes cost most of their reads in a guest. `path`
// names the directory in warnings.
struct Dir {
  std::string path;
  SysDir fd;
  Dir(const Sysroot& root, std::string p) : path(std::move(p)), fd(root.dir(path)) {}
};

std::optional<std::set<int>> read_list(ProbeContext& ctx, const Dir& dir, std::string_view name) {
  auto text = dir.fd.read(name, 65536);
  if (!text) return std::nullopt;
  const std::string path = join(dir.path, name);
  auto l = parse_cpu_list(*text);
  if (!l.ok()) {
    ctx.warn("cpu", path + ": " + l.message());
    return std::nullopt;
  }
  return *l;
}

struct CpuTopo {
  int cpu;
  std::optional<std::int64_t> package, die, core;
  std::optional<std::set<int>> threads;   // thread_siblings_list
  std::optional<std::set<int>> package_cpus;  // core_siblings_list
};

// The "_list" form when the kernel has it, else the bitmap form (older
// kernels and lscpu dumps carry only thread_siblings, core_siblings, shared_cpu_map).
std::optional<std::set<int>> read_list_or_mask(ProbeContext& ctx, const Dir& dir, const std::string& list_name,
                                               const std::string& mask_name) {
  // The list when it exists (even unreadable: then nothing), else the mask;
  // existence asked only when the read fails (one system call less per list).
  if (auto list = dir.fd.read(list_name, 65536)) {
    auto l = parse_cpu_list(*list);
    if (!l.ok()) {
      ctx.warn("cpu", join(dir.path, list_name) + ": " + l.message());
      return std::nullopt;
    }
    return *l;
  }
  if (dir.fd.exists(list_name)) return std::nullopt;
  auto text = dir.fd.read(mask_name, 65536);
  if (!text) return std::nullopt;
  auto m = parse_cpu_mask(*text);
  if (!m.ok()) {
    ctx.warn("cpu", join(dir.path, mask_name) + ": " + m.message());
    return std::nullopt;
  }
  return *m;
}

// `cpu_dir`: /sys/devices/system/cpu/cpuN.
CpuTopo read_topology(ProbeContext& ctx, const Dir& cpu_dir, int cpu) {
  CpuTopo t{cpu, {}, {}, {}, {}, {}};
  t.package = cpu_dir.fd.attr_int("topology/physical_package_id");
  t.die = cpu_dir.fd.attr_int("topology/die_id");
  t.core = cpu_dir.fd.attr_int("topology/core_id");
  t.threads = read_list_or_mask(ctx, cpu_dir, "topology/thread_siblings_list", "topology/thread_siblings");
  t.package_cpus = read_list_or_mask(ctx, cpu_dir, "topology/core_siblings_list", "topology/core_siblings");
  return t;
}

// Sockets, cores per socket and threads per core from the sibling masks of
// online CPUs, as lscpu computes them (core_id is not unique on every arch).
bool topology_counts(const std::vector<CpuTopo>& topo, const std::set<int>& online, json& cpu) {
  std::set<std::set<int>> packages;
  std::size_t threads = 0, per_package = 0;
  for (const auto& t : topo) {
    if (!online.count(t.cpu) || !t.threads || !t.package_cpus) continue;
    packages.insert(*t.package_cpus);
    threads = std::max(threads, t.threads->size());
    per_package = std::max(per_package, t.package_cpus->size());
  }
  if (packages.empty() || threads == 0) return false;
  cpu["sockets"] = packages.size();
  cpu["threads_per_core"] = threads;
  cpu["cores_per_socket"] = per_package / threads;
  std::set<std::set<int>> cores;
  for (const auto& t : topo)
    if (online.count(t.cpu) && t.threads) cores.insert(*t.threads);
  cpu["cores"] = cores.size();
  return true;
}

// Counts from cpuinfo alone when sysfs has no topology (old kernels, odd dumps).
bool cpuinfo_counts(const Cpuinfo& info, json& cpu) {
  std::set<std::string> sockets;
  std::set<std::pair<std::string, std::string>> cores;
  for (const auto& b : info.processors) {
    const std::string* pkg = cpuinfo_get(b, "physical id");
    if (!pkg) pkg = cpuinfo_get(b, "package");
    const std::string* core = cpuinfo_get(b, "core id");
    if (!core) core = cpuinfo_get(b, "core");
    if (!pkg || !core) return false;
    sockets.insert(*pkg);
    cores.insert({*pkg, *core});
  }
  if (sockets.empty()) return false;
  cpu["sockets"] = sockets.size();
  cpu["cores"] = cores.size();
  cpu["cores_per_socket"] = cores.size() / sockets.size();
  cpu["threads_per_core"] = info.processors.size() / std::max<std::size_t>(cores.size(), 1);
  return true;
}

// Caches: one entry per (level, type) with the per-instance size and the
// number of instances (distinct shared_cpu_list sets), lscpu's "L2: 4 MiB (8 instances)".
// `cpus`: the CPUs' directories (/sys/devices/system/cpu/cpuN) by number.
json sysfs_caches(ProbeContext& ctx, const std::map<int, Dir>& cpus) {
  struct Acc {
    int level;
    std::string type;
    std::uint64_t size = 0;
    std::set<std::set<int>> instances;
  };
  std::map<std::string, Acc> acc;
  for (const auto& [cpu, cpu_dir] : cpus) {
    for (const auto& idx : cpu_dir.fd.list("cache")) {
      if (dir_number(idx, "index") < 0) continue;
      const std::string rel = "cache/" + idx;
      const std::string d = join(cpu_dir.path, rel);
      auto level = cpu_dir.fd.attr_int(rel + "/level");
      auto type = cpu_dir.fd.attr(rel + "/type");
      auto size_s = cpu_dir.fd.attr(rel + "/size");
      if (!level || !type || !size_s || *level < 0 || *level > 9) {
        ctx.warn("cpu", d + ": no level, type or size");
        continue;
      }
      auto size = parse_cache_size(*size_s);
      if (!size) {
        ctx.warn("cpu", d + "/size: unreadable '" + *size_s + "'");
        continue;
      }
      std::string name = "L" + std::to_string(*level);
      if (*type == "Data") name += "d";
      else if (*type == "Instruction") name += "i";
      auto& a = acc[name];
      a.level = static_cast<int>(*level);
      a.type = *type;
      a.size = std::max(a.size, *size);
      auto shared = read_list_or_mask(ctx, cpu_dir, rel + "/shared_cpu_list", rel + "/shared_cpu_map");
      a.instances.insert(shared ? *shared : std::set<int>{cpu});
    }
  }
  json out = json::array();
  for (auto& [name, a] : acc)
    out.push_back({{"name", name}, {"level", a.level}, {"type", a.type}, {"size_bytes", a.size},
                   {"instances", a.instances.size()},
                   {"total_bytes", a.size * a.instances.size()}});
  return out;
}

// s390 lists its caches in cpuinfo: "cache0 : level=1 type=Data scope=Private size=128K ...".
json cpuinfo_caches(const Cpuinfo& info) {
  json out = json::array();
  for (const auto& [k, v] : info.global) {
    if (k.rfind("cache", 0) != 0 || dir_number(k, "cache") < 0) continue;
    std::map<std::string, std::string> kv;
    std::size_t pos = 0;
    while (pos < v.size()) {
      auto sp = v.find(' ', pos);
      auto item = v.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
      if (auto eq = item.find('='); eq != std::string::npos) kv[item.substr(0, eq)] = item.substr(eq + 1);
      if (sp == std::string::npos) break;
      pos = sp + 1;
    }
    auto size = parse_cache_size(kv["size"]);
    int level = 0;
    for (char c : kv["level"]) level = (c >= '0' && c <= '9' && level < 10) ? level * 10 + (c - '0') : 99;
    if (!size || level < 1 || level > 9) continue;
    std::string name = "L" + std::to_string(level);
    if (kv["type"] == "Data") name += "d";
    else if (kv["type"] == "Instruction") name += "i";
    out.push_back({{"name", name}, {"level", level}, {"type", kv["type"]}, {"size_bytes", *size},
                   {"scope", kv["scope"]}});
  }
  return out;
}

std::set<int> cpu_numbers(const std::map<int, Dir>& dirs) {
  std::set<int> out;
  for (const auto& [n, d] : dirs) out.insert(n);
  return out;
}

CpuPartTable load_parts(ProbeContext& ctx) {
  auto path = path_join(ctx.options.hwdata_dir.native(), "cpu-parts");
  auto text = read_file(path, 1 << 20);
  if (!text.ok()) {
    ctx.warn("cpu", "cannot read " + path + ": " + text.message());
    return {};
  }
  auto table = parse_cpu_parts(*text, path);
  if (!table.ok()) {
    ctx.warn("cpu", "rejected " + table.message());
    return {};
  }
  return *table;
}

}  // namespace

void probe_cpu(ProbeContext& ctx) {
  auto& cpu = ctx.inv.cpu;
  auto text = ctx.root.read("/proc/cpuinfo", 16 << 20);
  Cpuinfo info;
  if (text) info = parse_cpuinfo(*text);
  else ctx.warn("cpu", "cannot read /proc/cpuinfo");
  for (auto& w : info.warnings) ctx.warn("cpu", std::move(w));

  // os.arch comes from /proc/sys/kernel/arch (Linux >= 4.x); older kernels
  // lack it, and then the cpuinfo format tells the architecture.
  std::string arch;
  if (auto it = ctx.inv.os.find("arch"); it != ctx.inv.os.end() && it->is_string()) arch = *it;
  if (arch.empty())
    if (auto a = ctx.root.attr("/proc/sys/kernel/arch")) arch = *a;  // "--class cpu" alone
  bool arch_from_cpuinfo = false;
  if (arch.empty()) {
    arch = cpuinfo_arch(info);
    arch_from_cpuinfo = !arch.empty();
  }
  // The "arm" path needs the part table; other architectures do not.
  CpuPartTable parts;
  if (arch == "aarch64" || arch.rfind("arm", 0) == 0) parts = load_parts(ctx);
  if (text) {
    std::vector<std::string> warnings;
    cpu = identify_cpu(info, arch, parts, warnings);
    for (auto& w : warnings) ctx.warn("cpu", std::move(w));
  }
  if (arch_from_cpuinfo) {
    cpu["arch"] = arch;
    cpu["arch_source"] = "cpuinfo";
    if (!ctx.inv.os.empty()) ctx.inv.os["arch"] = arch;  // only when the os probe ran
  } else if (!arch.empty()) {
    cpu["arch"] = arch;
  }

  // CPU lists: present CPUs are what lscpu counts as "CPU(s)".
  std::map<std::string, std::set<int>> lists;
  const Dir cpu_top(ctx.root, std::string(k_cpu_dir));
  for (const char* name : {"possible", "present", "online", "offline"}) {
    auto l = read_list(ctx, cpu_top, name);  // whether it exists asked only when it cannot be read
    if (!l && !cpu_top.fd.exists(name)) continue;
    if (!l) {
      // An empty "offline" is the normal case (read() gives "\n").
      if (std::string_view(name) != "offline" && !cpu_top.fd.attr(name).has_value())
        ctx.warn("cpu", join(k_cpu_dir, name) + " is empty");
      l = std::set<int>{};
    }
    lists[name] = *l;
    cpu[name] = format_cpu_list(*l);
  }
  std::map<int, Dir> cpu_dirs;  // by number
  for (const auto& e : cpu_top.fd.list("."))
    if (int n = dir_number(e, "cpu"); n >= 0)
      cpu_dirs.try_emplace(n, ctx.root, join(k_cpu_dir, "cpu" + std::to_string(n)));

  std::set<int> present = lists.count("present") ? lists["present"]
                          : lists.count("possible") ? lists["possible"]
                                                    : cpu_numbers(cpu_dirs);
  if (present.empty()) {
    for (std::size_t i = 0; i < info.processors.size(); ++i) present.insert(static_cast<int>(i));
    if (!present.empty()) ctx.warn("cpu", "no sysfs CPU lists; CPU count from cpuinfo");
  }
  std::set<int> online = lists.count("online") ? lists["online"] : present;
  if (!present.empty()) {
    cpu["cpus"] = present.size();
    cpu["online_count"] = online.size();
    if (!lists.count("online")) cpu["online"] = format_cpu_list(online);
    std::set<int> off;
    std::set_difference(present.begin(), present.end(), online.begin(), online.end(),
                        std::inserter(off, off.end()));
    if (!lists.count("offline")) cpu["offline"] = format_cpu_list(off);
  }

  // NUMA nodes and their CPUs.
  std::map<int, int> node_of;
  json nodes = json::array();
  const Dir node_top(ctx.root, std::string(k_node_dir));
  for (const auto& e : node_top.fd.list(".")) {
    int n = dir_number(e, "node");
    if (n < 0) continue;
    auto l = read_list(ctx, node_top, e + "/cpulist");
    std::set<int> cpus = l ? *l : std::set<int>{};
    for (int c : cpus) node_of[c] = n;
    nodes.push_back({{"node", n}, {"cpus", format_cpu_list(cpus)}, {"cpu_count", cpus.size()}});
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const json& a, const json& b) { return a["node"].get<int>() < b["node"].get<int>(); });
  if (!nodes.empty()) {
    cpu["numa_node_count"] = nodes.size();
    cpu["numa_nodes"] = std::move(nodes);
  }

  // Per-CPU topology and the counts derived from it.
  std::vector<CpuTopo> topo;
  json per_cpu = json::array();
  for (const auto& [c, cpu_dir] : cpu_dirs) {
    if (!present.empty() && !present.count(c)) continue;
    auto t = read_topology(ctx, cpu_dir, c);
    json j = {{"cpu", c}, {"online", online.count(c) > 0}};
    if (t.package) j["socket"] = *t.package;
    if (t.die) j["die"] = *t.die;
    if (t.core) j["core"] = *t.core;
    if (auto it = node_of.find(c); it != node_of.end()) j["node"] = it->second;
    per_cpu.push_back(std::move(j));
    topo.push_back(std::move(t));
  }
  if (!per_cpu.empty()) cpu["topology"] = std::move(per_cpu);
  if (!topology_counts(topo, online, cpu)) {
    if (cpuinfo_counts(info, cpu)) {
      ctx.warn("cpu", "no sysfs topology; sockets/cores/threads counted from cpuinfo");
    } else if (!present.empty()) {
      ctx.warn("cpu", "no topology in sysfs or cpuinfo; sockets/cores/threads unknown");
    }
  }

  // Caches: sysfs first (every arch with cacheinfo), else s390's cpuinfo lines.
  json caches = sysfs_caches(ctx, cpu_dirs);
  if (caches.empty()) caches = cpuinfo_caches(info);
  if (!caches.empty()) cpu["caches"] = std::move(caches);

  // Frequency range from cpufreq (kHz in sysfs, MHz here).
  std::optional<std::int64_t> fmin, fmax;
  for (const auto& [c, cpu_dir] : cpu_dirs) {
    auto lo = cpu_dir.fd.attr_int("cpufreq/cpuinfo_min_freq");
    auto hi = cpu_dir.fd.attr_int("cpufreq/cpuinfo_max_freq");
    if (lo && *lo > 0) fmin = fmin ? std::min(*fmin, *lo) : *lo;
    if (hi && *hi > 0) fmax = fmax ? std::max(*fmax, *hi) : *hi;
  }
  if (fmin) cpu["mhz_min"] = static_cast<double>(*fmin) / 1000.0;
  if (fmax) cpu["mhz_max"] = static_cast<double>(*fmax) / 1000.0;
  if (fmax || fmin) cpu["frequency_source"] = "cpufreq";
  else if (cpu.contains("mhz")) cpu["frequency_source"] = "cpuinfo";
  else if (cpu.contains("bogomips")) cpu["frequency_source"] = "bogomips";
}

}  // namespace certify::probe
