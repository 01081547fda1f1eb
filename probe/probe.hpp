// Probe entry points: the context every class probe receives, the registry
// of probes, and probe_all() that runs them over one sysroot.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "probe/inventory.hpp"
#include "probe/sysroot.hpp"

namespace certify::probe {

namespace smbios {
struct Tables;
}

// Thrown by an executable linked without a part of the probe where a run
// needs it: the front (cli/front.cpp) has neither libpci (pci_libpci.hpp)
// nor the hash of --anonymize, and runs certify-full, which has both, on the
// same command line instead (cli/front_delegated.cpp).
struct NotInThisExecutable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ProbeOptions {
  // Probes to run ("system", "cpu", "nic", ...); empty means all. Device
  // classes named here also filter the devices kept in the inventory.
  std::vector<std::string> classes;
  // Directory with pci.ids and usb.ids (names are ours, not the machine's,
  // so a replayed sysroot names devices the same way everywhere).
  std::filesystem::path ids_dir = "/usr/share/misc";
  // Our own tables (cpu-parts, dpu.ids).
  std::filesystem::path hwdata_dir;
  // Allow ioctls and other live-only queries (ethtool, NVMe identify)
  // when probing the live system. Never used on a recorded sysroot.
  bool live_queries = true;
};

struct ProbeContext {
  const Sysroot& root;
  Inventory& inv;
  const ProbeOptions& options;
  // Driver links and module versions, each read once per run (devpath.cpp,
  // bound_driver()): a PCI function's driver is asked for by every class
  // device below it (each port of a SATA controller), a module's version
  // by each of its devices. In-sysroot path -> link name; module -> version.
  mutable std::unordered_map<std::string, std::optional<std::string>> driver_links = {};
  mutable std::unordered_map<std::string, std::optional<std::string>> module_versions = {};
  // The SMBIOS tables read and decoded once per run (the system and memory
  // probes both use them): read_smbios().
  mutable std::shared_ptr<const std::optional<smbios::Tables>> smbios = {};

  // Set while a device probe runs away from the PCI functions, on its own
  // thread and inventory (registry.cpp): the changes it makes to devices
  // other probes found wait here for its turn in the merge. Null: they are
  // made at once, on `inv`.
  std::vector<std::function<void(Inventory&)>>* deferred = nullptr;

  void warn(std::string_view source, std::string message) const {
    inv.warn(std::string(source), std::move(message));
  }
  // A change to devices that other probes add (a PCI function this probe's
  // devices hang below): made on the inventory that holds them, at this
  // probe's place in the order of the probes. It finds them by id.
  void on_devices(std::function<void(Inventory&)> change) const {
    if (deferred) deferred->push_back(std::move(change));
    else change(inv);
  }
  bool live() const { return root.is_live() && options.live_queries; }
};

struct ClassProbe {
  std::string_view name;     // "--class" name
  std::string_view summary;  // one line for --help
  bool devices;              // adds devices (else fills a section of the inventory)
  void (*run)(ProbeContext&);
  // Probes of one group run in the registry's order on one thread and
  // inventory; the groups run at the same time (registry.cpp).
  int group;
};

// All probes, in the order they run (registry.cpp: the one list).
std::span<const ClassProbe> class_probes();

// Runs the selected probes, their groups on threads of their own, and
// merges what each found in the registry's order. An error only when
// nothing could be read.
Result<Inventory> probe_all(const Sysroot& root, const ProbeOptions& options);
// The same probes one after another on one inventory, each change made at
// once: the result probe_all() must equal byte for byte (the tests compare).
Result<Inventory> probe_all_in_order(const Sysroot& root, const ProbeOptions& options);

// Default location of hwdata/: installed data dir, else the source tree.
std::filesystem::path default_hwdata_dir();

// The sysroot's SMBIOS tables decoded; nullopt when absent or unreadable.
// Read once per context; table irregularities become "smbios" warnings then.
const std::optional<smbios::Tables>& read_smbios(ProbeContext& ctx);

// Parsers exposed for tests and fuzzing.
nlohmann::json parse_os_release(std::string_view text);

// The probes (one file each).
void probe_os(ProbeContext& ctx);
void probe_system(ProbeContext& ctx);  // system.cpp; decoder in probe/smbios.hpp
void probe_memory(ProbeContext& ctx);
void probe_cpu(ProbeContext& ctx);  // cpu.cpp; parsers in probe/cpu.hpp
void probe_pci(ProbeContext& ctx);
void probe_nic(ProbeContext& ctx);
void probe_hba(ProbeContext& ctx);
void probe_nvme(ProbeContext& ctx);
void probe_gpu(ProbeContext& ctx);
void probe_dpu(ProbeContext& ctx);
void probe_disk(ProbeContext& ctx);
void probe_usb(ProbeContext& ctx);

// Device-class parsers (issue 4), exposed for tests and fuzzing.
// NVMe Identify Controller data (4096 bytes) -> vid, serial, model, firmware, ...
Result<nlohmann::json> parse_nvme_identify(std::span<const std::uint8_t> data);
// One hwdata/dpu.ids entry: vendor:device[:subvendor:subdevice] -> product.
struct DpuId {
  std::uint16_t vendor = 0, device = 0;
  std::optional<std::uint16_t> subvendor, subdevice;
  std::string product, source;
};
// Rejects malformed lines with "file:line: reason".
Result<std::vector<DpuId>> parse_dpu_ids(std::string_view text, std::string_view file);

}  // namespace certify::probe
