// PCIe link check: a link must be trained at the best speed and width both
// ends support (the device's maximum, capped by its upstream port's).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/sysroot.hpp"
#include "testsuites/builtin.hpp"

namespace certify::suites {

struct PcieLink {
  std::string address;               // "0000:01:00.0"
  std::optional<double> speed_gts;   // current, GT/s
  std::optional<int> width;          // current lanes
  std::optional<double> max_speed_gts;
  std::optional<int> max_width;
  std::optional<double> port_max_speed_gts;  // the upstream bridge's maximum
  std::optional<int> port_max_width;
};

// "8.0 GT/s PCIe" / "8 GT/s" / "2.5 GT/s" -> 8.0; nullopt for "Unknown" or junk.
std::optional<double> parse_link_speed(std::string_view text);

// Pass when speed and width equal the achievable maximum; fail names what is
// degraded; skip when the function has no PCIe link attributes.
TestResult check_pcie_link(const PcieLink& link);

// Reads /sys/bus/pci/devices/<address>/{current,max}_link_{speed,width} and the
// upstream port's maxima through the sysroot. nullopt when the device is gone.
std::optional<PcieLink> read_pcie_link(const probe::Sysroot& root, const std::string& address);

}  // namespace certify::suites
