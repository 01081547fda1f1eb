// Inventory: what `certify probe` found — system facts, devices, warnings.
// Serialised as JSON (schemas/inventory.schema.json), XML and a table.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace certify::probe {

inline constexpr int k_inventory_schema_version = 1;

// Every device class an inventory may hold (schemas/inventory.schema.json).
inline constexpr std::string_view k_device_classes[] = {
    "nic", "hba", "nvme", "gpu", "dpu", "disk", "usb", "bridge", "other"};

// PCIe link state. Speeds are strings as the kernel prints them ("16.0 GT/s").
struct PcieLink {
  std::optional<std::string> speed, max_speed;
  std::optional<int> width, max_width;
  // Trained below its maximum speed or width.
  bool degraded() const;
};

struct Device {
  std::string id;    // stable: "pci:0000:3b:00.0", "net:eth0", "nvme:nvme0", "usb:1-2"
  std::string cls;   // "nic", "nvme", "hba", "gpu", "dpu", "disk", "usb", "bridge", "other", ...
  std::string bus;   // "pci", "usb", "scsi", "virtual", ...
  std::string vendor_id, device_id;                      // "0x144d" (empty when not on a bus with IDs)
  std::string subsystem_vendor_id, subsystem_device_id;  // "0x144d"
  std::string vendor, model, subsystem;                  // names from hwdata
  std::string driver, driver_version, firmware;
  std::optional<int> numa_node;
  std::optional<PcieLink> pcie;
  std::string parent;  // id of the device this one belongs to (port -> card, VF -> PF)
  nlohmann::json props = nlohmann::json::object();  // class-specific facts
};

struct Warning {
  std::string source;   // probe or file that could not be read
  std::string message;
};

struct Inventory {
  int schema_version = k_inventory_schema_version;
  std::string tool_version;
  std::string sysroot;
  nlohmann::json system = nlohmann::json::object();  // SMBIOS/DMI: bios, system, baseboard, chassis, ...
  nlohmann::json os = nlohmann::json::object();      // os-release, kernel, cmdline, arch
  nlohmann::json cpu = nlohmann::json::object();     // arch, vendor, model, topology, caches, flags
  nlohmann::json memory = nlohmann::json::object();  // total, per node, huge pages, DIMMs
  std::vector<Device> devices;
  std::vector<Warning> warnings;

  Device* find(std::string_view id);
  const Device* find(std::string_view id) const;
  // The device with this id, created (with class "other") when absent.
  Device& upsert(std::string_view id);
  void warn(std::string source, std::string message);

  // id -> position in `devices`, so find() is O(1) with thousands of SR-IOV
  // functions. Kept by upsert(); rebuilt by find() when `devices` was changed
  // directly (its size differs, or a sort left an entry pointing elsewhere).
  // Not for concurrent use: each group of probes has an inventory of its own
  // (registry.cpp).
  mutable std::unordered_map<std::string, std::size_t> index_;
};

nlohmann::json to_json(const Device& d);
nlohmann::json to_json(const Inventory& inv);
Result<Device> device_from_json(const nlohmann::json& j);
Result<Inventory> inventory_from_json(const nlohmann::json& j);

// Hashes serials, MACs, WWPNs, UUIDs and asset tags (by key name) with a salt,
// keeping equal values equal within one inventory.
void anonymize(nlohmann::json& inventory_json, std::string_view salt);

std::string to_xml(const nlohmann::json& inventory_json);
// One section per class, readable at a glance.
std::string to_table(const Inventory& inv);

}  // namespace certify::probe
