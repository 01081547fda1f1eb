// Sysfs device-path facts shared by the class probes: which PCI function or
// USB device a class device hangs below, and which driver (and module
// version) is bound to a device directory.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "probe/inventory.hpp"
#include "probe/probe.hpp"
#include "probe/sysroot.hpp"

namespace certify::probe {

// "0000:3b:00.0" when the name is a PCI address (domain:bus:dev.fn).
bool is_pci_address(std::string_view name);
// "1-2.3" / "usb1" style USB device names (not interfaces "1-2:1.0").
bool is_usb_device_name(std::string_view name);

// Nearest PCI function in a canonical /sys/devices path ("0000:01:00.0").
std::optional<std::string> pci_ancestor(std::string_view canon_path);
// Id of the nearest ancestor that is a device of its own in the inventory:
// "usb:<port path>" or "pci:<bdf>", whichever is closer; empty when none.
std::string hardware_parent_id(std::string_view canon_path);

struct DriverInfo {
  std::string name;     // "e1000e"
  std::string module;   // "e1000e" (empty when built in without a module entry)
  std::string version;  // /sys/module/<m>/version, when the module sets one
};
// Driver bound to the device directory `dir` (in-sysroot path); nullopt
// when no driver is bound. Read once per run and path (ctx's caches).
std::optional<DriverInfo> bound_driver(const ProbeContext& ctx, std::string_view dir);

// Fills an empty driver / driver_version of `d` from the bound driver.
void fill_driver(const ProbeContext& ctx, std::string_view dir, Device& d);

// Sysfs strings padded with spaces (NVMe model/serial) trimmed at both ends.
std::string trimmed(std::string_view s);

}  // namespace certify::probe
