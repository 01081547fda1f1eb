// The one list of probes, and probe_all() which runs them in this order.
#include <algorithm>

#include "certify_config.h"
#include "core/files.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

// Order matters: "pci" enumerates every function first so the device-class
// probes after it enrich those entries instead of creating duplicates.
constexpr ClassProbe k_probes[] = {
    {"os", "os-release, kernel release and command line, architecture", false, probe_os},
    {"system", "SMBIOS: BIOS, system, baseboard, chassis, processors, caches, slots, onboard devices, IPMI",
     false, probe_system},
    {"cpu", "architecture, vendor, model, sockets/cores/threads, NUMA, caches, flags, frequency",
     false, probe_cpu},
    {"memory", "total, per NUMA node, huge pages per size, DIMMs and memory arrays (SMBIOS 16/17/19)", false,
     probe_memory},
    {"pci", "every PCI function: IDs, names, driver, NUMA, IOMMU group, PCIe link, SR-IOV", true,
     probe_pci},
    {"nic", "network interfaces, InfiniBand/RoCE ports, SR-IOV VFs; virtual ones marked", true, probe_nic},
    {"hba", "SAS/SATA/RAID/FC adapters (scsi_host, fc_host) and the disks behind them", true, probe_hba},
    {"nvme", "NVMe controllers and namespaces (Identify on the live system)", true, probe_nvme},
    {"gpu", "display controllers and accelerators: DRM/accel nodes, VRAM, boot VGA", true, probe_gpu},
    {"dpu", "DPUs and SmartNICs from hwdata/dpu.ids, their functions grouped", true, probe_dpu},
    {"disk", "block devices: size, model, rotational, SCSI address, serial", true, probe_disk},
    {"usb", "USB devices: IDs and usb.ids names, speed, class, interfaces", true, probe_usb},
};

bool selected(const ProbeOptions& o, std::string_view name) {
  return o.classes.empty() ||
         std::find(o.classes.begin(), o.classes.end(), name) != o.classes.end();
}

}  // namespace

std::span<const ClassProbe> class_probes() { return k_probes; }

std::filesystem::path default_hwdata_dir() { return data_dir() / "hwdata"; }

Result<Inventory> probe_all(const Sysroot& root, const ProbeOptions& options) {
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
  Inventory inv;
  inv.tool_version = CERTIFY_VERSION;
  inv.sysroot = root.root().string();
  ProbeOptions opts = options;
  if (opts.hwdata_dir.empty()) opts.hwdata_dir = default_hwdata_dir();
  ProbeContext ctx{root, inv, opts};
  for (const auto& p : k_probes) {
    // Device probes need the PCI enumeration underneath them.
    bool needed = selected(options, p.name) || (p.name == "pci" && any_device_class);
    if (needed) p.run(ctx);
  }
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

}  // namespace certify::probe
