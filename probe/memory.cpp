// memory: fills inventory.memory: total and available from /proc/meminfo,
// per NUMA node from node*/meminfo, huge pages per size (system-wide and per
// node) from sysfs, and the DIMMs and memory arrays from SMBIOS types 16/17/19.
#include <algorithm>
#include <map>

#include "probe/probe.hpp"
#include "probe/smbios.hpp"

namespace certify::probe {

using nlohmann::json;

namespace {

// "MemTotal:  2014452 kB" / "Node 0 MemTotal:  985208 kB" -> key -> value in
// bytes (kB lines) or a plain count (HugePages_*). Odd lines are skipped.
std::map<std::string, std::uint64_t> parse_meminfo(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, 5) == "Node ") {  // per-node file: drop "Node N "
      auto sp = line.find(' ', 5);
      if (sp == std::string_view::npos) continue;
      line = line.substr(sp + 1);
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string key(line.substr(0, colon));
    auto rest = line.substr(colon + 1);
    std::size_t i = 0;
    while (i < rest.size() && rest[i] == ' ') ++i;
    std::uint64_t v = 0;
    std::size_t digits = 0;
    for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && digits < 19; ++i, ++digits)
      v = v * 10 + static_cast<std::uint64_t>(rest[i] - '0');
    if (digits == 0) continue;
    auto unit = rest.substr(i);
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    while (!unit.empty() && (unit.back() == ' ' || unit.back() == '\r')) unit.remove_suffix(1);
    if (unit == "kB") v *= 1024;
    else if (!unit.empty()) continue;
    out[key] = v;
  }
  return out;
}

// hugepages-2048kB -> 2 MiB in bytes; 0 when the name is not of that form.
std::uint64_t hugepage_dir_size(std::string_view name) {
  constexpr std::string_view prefix = "hugepages-";
  if (name.substr(0, prefix.size()) != prefix || name.size() < prefix.size() + 3 ||
      name.substr(name.size() - 2) != "kB")
    return 0;
  std::uint64_t kb = 0;
  for (char c : name.substr(prefix.size(), name.size() - prefix.size() - 2)) {
    if (c < '0' || c > '9' || kb > (std::uint64_t{1} << 40)) return 0;
    kb = kb * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return kb * 1024;
}

// Huge page pools of one directory (sys/kernel/mm/hugepages or a node's).
json hugepages(ProbeContext& ctx, const std::string& dir) {
  json out = json::array();
  std::vector<std::pair<std::uint64_t, std::string>> sizes;
  for (const auto& name : ctx.root.list(dir)) {
    if (auto sz = hugepage_dir_size(name)) sizes.emplace_back(sz, name);
    else ctx.warn("memory", dir + "/" + name + ": not a hugepages-<size>kB directory");
  }
  std::sort(sizes.begin(), sizes.end());
  for (const auto& [size, name] : sizes) {
    json h = {{"size_bytes", size}};
    const std::pair<const char*, const char*> files[] = {{"total", "nr_hugepages"},
                                                         {"free", "free_hugepages"},
                                                         {"reserved", "resv_hugepages"},
                                                         {"surplus", "surplus_hugepages"}};
    for (auto [key, file] : files)
      if (auto v = ctx.root.attr_int(dir + "/" + name + "/" + file, 10); v && *v >= 0) h[key] = *v;
    out.push_back(std::move(h));
  }
  return out;
}

int node_number(std::string_view name) {
  if (name.substr(0, 4) != "node" || name.size() == 4 || name.size() > 10) return -1;
  int n = 0;
  for (char c : name.substr(4)) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

void add_smbios(ProbeContext& ctx, json& mem) {
  const auto& tables = read_smbios(ctx);
  if (!tables) {
    ctx.warn("memory", "no readable SMBIOS tables: DIMMs and memory arrays unknown");
    return;
  }
  json arrays = json::array(), dimms = json::array(), ranges = json::array();
  for (const auto& r : tables->records) {
    if (r.type == 16) arrays.push_back(r.facts);
    else if (r.type == 17) dimms.push_back(r.facts);
    else if (r.type == 19) ranges.push_back(r.facts);
  }
  // Each mapped range under the array it belongs to; orphans stay listed.
  for (auto& range : ranges) {
    auto it = std::find_if(arrays.begin(), arrays.end(),
                           [&](const json& a) { return a.value("handle", "") == range.value("array_handle", ""); });
    if (it != arrays.end()) (*it)["mapped_ranges"].push_back(range);
    else mem["unattached_mapped_ranges"].push_back(range);
  }
  std::uint64_t installed = 0;
  int populated = 0;
  for (const auto& d : dimms) {
    auto sz = d.find("size_bytes");
    if (sz != d.end() && sz->is_number_unsigned() && sz->get<std::uint64_t>() > 0) {
      installed += sz->get<std::uint64_t>();
      ++populated;
    }
  }
  mem["arrays"] = std::move(arrays);
  mem["dimms"] = std::move(dimms);
  mem["dimm_slots"] = mem["dimms"].size();
  mem["dimms_populated"] = populated;
  mem["dimm_total_bytes"] = installed;
}

}  // namespace

void probe_memory(ProbeContext& ctx) {
  auto& mem = ctx.inv.memory;
  if (auto text = ctx.root.read("/proc/meminfo", 65536)) {
    auto mi = parse_meminfo(*text);
    if (auto it = mi.find("MemTotal"); it != mi.end()) mem["total_bytes"] = it->second;
    else ctx.warn("memory", "/proc/meminfo has no MemTotal line");
    if (auto it = mi.find("MemAvailable"); it != mi.end()) mem["available_bytes"] = it->second;
    if (auto it = mi.find("Hugepagesize"); it != mi.end()) mem["hugepage_size_bytes"] = it->second;
    if (auto it = mi.find("HardwareCorrupted"); it != mi.end()) mem["hardware_corrupted_bytes"] = it->second;
  } else {
    ctx.warn("memory", "cannot read /proc/meminfo");
  }
  auto pools = hugepages(ctx, "/sys/kernel/mm/hugepages");
  if (!pools.empty()) mem["hugepages"] = std::move(pools);

  constexpr std::string_view node_dir = "/sys/devices/system/node";
  std::vector<std::pair<int, std::string>> nodes;
  for (const auto& name : ctx.root.list(node_dir))
    if (int n = node_number(name); n >= 0) nodes.emplace_back(n, name);
  std::sort(nodes.begin(), nodes.end());
  json node_list = json::array();
  for (const auto& [n, name] : nodes) {
    std::string dir = std::string(node_dir) + "/" + name;
    json node = {{"node", n}};
    if (auto text = ctx.root.read(dir + "/meminfo", 65536)) {
      auto mi = parse_meminfo(*text);
      if (auto it = mi.find("MemTotal"); it != mi.end()) node["total_bytes"] = it->second;
      else ctx.warn("memory", dir + "/meminfo has no MemTotal line");
      if (auto it = mi.find("MemFree"); it != mi.end()) node["free_bytes"] = it->second;
    } else {
      ctx.warn("memory", "cannot read " + dir + "/meminfo");
    }
    auto node_pools = hugepages(ctx, dir + "/hugepages");
    if (!node_pools.empty()) node["hugepages"] = std::move(node_pools);
    node_list.push_back(std::move(node));
  }
  if (!node_list.empty()) mem["nodes"] = std::move(node_list);
  add_smbios(ctx, mem);
}

}  // namespace certify::probe
