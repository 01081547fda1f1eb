// The one list of probes, and probe_all() which runs their groups at the
// same time and merges what they found in the list's order.
#include <algorithm>
#include <array>
#include <exception>
#include <thread>

#include "certify_config.h"
#include "core/files.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

// Groups: the probes of one run in this order on one thread and inventory,
// the groups at the same time. In a TCG lab guest every system call traps
// and every first-run block of code is translated, and the guest has four
// CPUs: one thread was most of a full probe's wall time. Balanced by what
// each probe cost there alone (ms, best of 6): pci 64, nic 13, hba 12,
// nvme 12, gpu 6, dpu 3 (110) | os 4, system 21, cpu 30, memory 10,
// disk 11, usb 16 (92). Two groups, not more: the guest's CPUs are threads
// of a 2-CPU host, and a third (system, memory, usb apart) was slower in
// the same boot (best of 10: 317 ms, two groups 267, one 344; host load 3).
// The guest's CPU time grows 25-40% when the two threads run on two vCPUs
// (266 -> 331 ms best of 8, wall 270 -> 218); held on one vCPU (taskset)
// it is one thread's (267 and 253 ms): most likely the vCPUs' waits for
// the host's two CPUs (shared with QEMU and other work), which the guest
// counts as its threads' time. With the host busy (load 4) the full probe was
// slower than one thread (best of 15: 390 vs 370 ms). On this host a full
// probe takes ~1 ms more CPU (9.3 -> 10.1 ms best of 18); --class os,
// which starts no thread, none.
constexpr int k_devices_group = 0;  // the PCI functions and the probes that enrich them
constexpr int k_group_count = 2;

// Order matters: "pci" enumerates every function first so the device-class
// probes after it enrich those entries instead of creating duplicates.
// Device probes of another group than pci's add only devices of their own
// and make their changes to the PCI functions through on_devices().
constexpr ClassProbe k_probes[] = {
    {"os", "os-release, kernel release and command line, architecture", false, probe_os, 1},
    {"system", "SMBIOS: BIOS, system, baseboard, chassis, processors, caches, slots, onboard devices, IPMI",
     false, probe_system, 1},
    {"cpu", "architecture, vendor, model, sockets/cores/threads, NUMA, caches, flags, frequency",
     false, probe_cpu, 1},
    {"memory", "total, per NUMA node, huge pages per size, DIMMs and memory arrays (SMBIOS 16/17/19)", false,
     probe_memory, 1},
    {"pci", "every PCI function: IDs, names, driver, NUMA, IOMMU group, PCIe link, SR-IOV", true,
     probe_pci, k_devices_group},
    {"nic", "network interfaces, InfiniBand/RoCE ports, SR-IOV VFs; virtual ones marked", true, probe_nic,
     k_devices_group},
    {"hba", "SAS/SATA/RAID/FC adapters (scsi_host, fc_host) and the disks behind them", true, probe_hba,
     k_devices_group},
    {"nvme", "NVMe controllers and namespaces (Identify on the live system)", true, probe_nvme,
     k_devices_group},
    {"gpu", "display controllers and accelerators: DRM/accel nodes, VRAM, boot VGA", true, probe_gpu,
     k_devices_group},
    {"dpu", "DPUs and SmartNICs from hwdata/dpu.ids, their functions grouped", true, probe_dpu,
     k_devices_group},
    {"disk", "block devices: size, model, rotational, SCSI address, serial", true, probe_disk, 1},
    {"usb", "USB devices: IDs and usb.ids names, speed, class, interfaces", true, probe_usb, 1},
};
constexpr std::size_t k_probe_count = std::size(k_probes);

constexpr int group_of(std::string_view name) {
  for (const auto& p : k_probes)
    if (p.name == name) return p.group;
  return -1;
}

// A device probe away from the PCI functions has its changes to them made
// when the merge reaches it, after every probe of their group: right only
// when it comes after all of those in the order.
constexpr bool devices_group_first() {
  bool away = false;
  for (const auto& p : k_probes) {
    if (!p.devices) continue;
    if (p.group != k_devices_group) away = true;
    else if (away) return false;
  }
  return true;
}

constexpr bool groups_in_range() {
  for (const auto& p : k_probes)
    if (p.group < 0 || p.group >= k_group_count) return false;
  return true;
}

static_assert(groups_in_range());
static_assert(group_of("pci") == k_devices_group);
static_assert(devices_group_first(), "device probes of other groups must follow those of pci's");
static_assert(group_of("cpu") == group_of("os"), "cpu reads os.arch and completes it");
static_assert(group_of("memory") == group_of("system"), "system and memory share one SMBIOS decode and its warnings");

using Needed = std::array<bool, k_probe_count>;

bool selected(const ProbeOptions& o, std::string_view name) {
  return o.classes.empty() ||
         std::find(o.classes.begin(), o.classes.end(), name) != o.classes.end();
}

// What one probe left in its group's inventory: its warnings, and for a
// device probe away from the PCI functions the devices it added and the
// changes it deferred.
struct Part {
  std::size_t warnings_begin = 0, warnings_end = 0;
  std::size_t devices_begin = 0, devices_end = 0;
  std::vector<std::function<void(Inventory&)>> changes;
  std::exception_ptr failure;
};
using Parts = std::array<Part, k_probe_count>;

// One group's probes, on the calling thread. Each writes only its own
// elements of `parts`.
void run_group(int group, const Sysroot& root, const ProbeOptions& options, const Needed& needed,
               Inventory& inv, Parts& parts) {
  ProbeContext ctx{root, inv, options};
  for (std::size_t i = 0; i < k_probe_count; ++i) {
    const ClassProbe& p = k_probes[i];
    if (p.group != group || !needed[i]) continue;
    Part& part = parts[i];
    part.warnings_begin = inv.warnings.size();
    part.devices_begin = inv.devices.size();
    ctx.deferred = p.devices && group != k_devices_group ? &part.changes : nullptr;
    try {
      p.run(ctx);
    } catch (...) {
      part.failure = std::current_exception();  // rethrown by probe_all(), on its thread
      return;
    }
    part.warnings_end = inv.warnings.size();
    part.devices_end = inv.devices.size();
  }
}

// The groups' inventories as one, as if every probe had run in the list's
// order on it: the devices group's devices; each section from the group
// that filled it; each probe's warnings, devices and deferred changes at
// its place in the list.
Inventory merge(std::array<Inventory, k_group_count>& groups, const Needed& needed, Parts& parts) {
  Inventory inv = std::move(groups[k_devices_group]);
  std::vector<Warning> devices_group_warnings = std::move(inv.warnings);
  inv.warnings.clear();
  for (int g = 0; g < k_group_count; ++g) {
    if (g == k_devices_group) continue;
    for (auto section : {&Inventory::os, &Inventory::system, &Inventory::cpu, &Inventory::memory})
      if (!(groups[g].*section).empty()) inv.*section = std::move(groups[g].*section);
  }
  for (std::size_t i = 0; i < k_probe_count; ++i) {
    if (!needed[i]) continue;
    const ClassProbe& p = k_probes[i];
    Part& part = parts[i];
    auto& warnings = p.group == k_devices_group ? devices_group_warnings : groups[p.group].warnings;
    std::move(warnings.begin() + static_cast<std::ptrdiff_t>(part.warnings_begin),
              warnings.begin() + static_cast<std::ptrdiff_t>(part.warnings_end), std::back_inserter(inv.warnings));
    if (p.group == k_devices_group || !p.devices) continue;
    auto& devices = groups[p.group].devices;
    std::move(devices.begin() + static_cast<std::ptrdiff_t>(part.devices_begin),
              devices.begin() + static_cast<std::ptrdiff_t>(part.devices_end), std::back_inserter(inv.devices));
    for (auto& change : part.changes) change(inv);
  }
  return inv;
}

// Every group with something to run on a thread of its own, the devices
// group (the longest) on the calling one; one group alone (--class os)
// starts no thread.
Inventory run_groups(const Sysroot& root, const ProbeOptions& options, const Needed& needed) {
  std::array<Inventory, k_group_count> groups;
  Parts parts;
  std::array<bool, k_group_count> busy{};
  for (std::size_t i = 0; i < k_probe_count; ++i) busy[k_probes[i].group] |= needed[i];
  int here = busy[k_devices_group] ? k_devices_group
                                   : static_cast<int>(std::find(busy.begin(), busy.end(), true) - busy.begin());
  {
    std::array<std::jthread, k_group_count> threads;
    for (int g = 0; g < k_group_count; ++g)
      if (busy[g] && g != here)
        threads[g] = std::jthread(run_group, g, std::cref(root), std::cref(options), std::cref(needed),
                                  std::ref(groups[g]), std::ref(parts));
    if (here < k_group_count) run_group(here, root, options, needed, groups[here], parts);
  }  // joined
  for (const auto& part : parts)
    if (part.failure) std::rethrow_exception(part.failure);
  return merge(groups, needed, parts);
}

Result<Inventory> probe(const Sysroot& root, const ProbeOptions& options, bool concurrent) {
  if (!root.valid())
    return make_error("sysroot " + root.root().string() + " does not exist or is not a directory");
  bool any_device_class = false;
  for (const auto& c : options.classes) {
    bool is_class = std::find(std::begin(k_device_classes), std::end(k_device_classes), c) !=
                    std::end(k_device_classes);
    any_device_class = any_device_class || is_class;
    bool known = is_class || std::any_of(std::begin(k_probes), std::end(k_probes),
                                         [&](const ClassProbe& p) { return p.name == c; });
    if (!known)
      return make_error("unknown class '" + c + "' (see 'certify probe --list-classes')");
  }
  ProbeOptions opts = options;
  if (opts.hwdata_dir.empty()) opts.hwdata_dir = default_hwdata_dir();
  Needed needed{};
  for (std::size_t i = 0; i < k_probe_count; ++i)
    // Device probes need the PCI enumeration underneath them.
    needed[i] = selected(options, k_probes[i].name) || (k_probes[i].name == "pci" && any_device_class);
  Inventory inv;
  if (concurrent) {
    inv = run_groups(root, opts, needed);
  } else {
    ProbeContext ctx{root, inv, opts};
    for (std::size_t i = 0; i < k_probe_count; ++i)
      if (needed[i]) k_probes[i].run(ctx);
  }
  inv.tool_version = CERTIFY_VERSION;
  inv.sysroot = root.root().string();
  std::stable_sort(inv.devices.begin(), inv.devices.end(),
                   [](const Device& a, const Device& b) { return a.id < b.id; });
  if (!options.classes.empty()) {
    // "pci" selects every PCI function; other names select their class.
    bool all_pci = selected(options, "pci");
    std::erase_if(inv.devices, [&](const Device& d) {
      return !(selected(options, d.cls) || (all_pci && d.bus == "pci"));
    });
  }
  bool anything = !inv.os.empty() || !inv.cpu.empty() || !inv.system.empty() ||
                  !inv.memory.empty() || !inv.devices.empty();
  if (!anything && options.classes.empty())
    return make_error("nothing could be read under sysroot " + root.root().string() +
                      " (no /proc, /sys or /etc content)");
  return inv;
}

}  // namespace

std::span<const ClassProbe> class_probes() { return k_probes; }

std::filesystem::path default_hwdata_dir() { return path_join(data_dir().native(), "hwdata"); }

Result<Inventory> probe_all(const Sysroot& root, const ProbeOptions& options) {
  return probe(root, options, true);
}

Result<Inventory> probe_all_in_order(const Sysroot& root, const ProbeOptions& options) {
  return probe(root, options, false);
}

}  // namespace certify::probe
