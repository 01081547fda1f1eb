// PCIe link speed/width criterion and its sysfs reader.
#include "testsuites/common/pcie_link.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace certify::suites {

std::optional<double> parse_link_speed(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || v <= 0 || v > 1000) return std::nullopt;
  std::string_view rest(end);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.substr(0, 4) != "GT/s") return std::nullopt;
  return v;
}

TestResult check_pcie_link(const PcieLink& l) {
  if (!l.speed_gts && !l.width && !l.max_speed_gts && !l.max_width)
    return TestResult::skip(l.address + " has no PCIe link attributes (conventional PCI or integrated function)");
  if (!l.speed_gts || !l.max_speed_gts || !l.width || !l.max_width)
    return TestResult::fail(l.address + ": link speed or width is reported as unknown");
  double want_speed = *l.max_speed_gts;
  int want_width = *l.max_width;
  if (l.port_max_speed_gts) want_speed = std::min(want_speed, *l.port_max_speed_gts);
  if (l.port_max_width && *l.port_max_width > 0) want_width = std::min(want_width, *l.port_max_width);
  std::ostringstream why;
  if (*l.speed_gts + 1e-9 < want_speed)
    why << "speed " << *l.speed_gts << " GT/s below the achievable " << want_speed << " GT/s";
  if (*l.width < want_width) {
    if (why.tellp() > 0) why << ", ";
    why << "width x" << *l.width << " below the achievable x" << want_width;
  }
  TestResult r = why.tellp() > 0 ? TestResult::fail(l.address + ": link degraded: " + why.str()) : TestResult::pass();
  r.metrics["speed_gts"] = *l.speed_gts;
  r.metrics["width_lanes"] = *l.width;
  r.metrics["max_speed_gts"] = want_speed;
  r.metrics["max_width_lanes"] = want_width;
  return r;
}

std::optional<PcieLink> read_pcie_link(const probe::Sysroot& root, const std::string& address) {
  auto dev = "/sys/bus/pci/devices/" + address;
  if (!root.exists(dev)) return std::nullopt;
  PcieLink l;
  l.address = address;
  auto speed = [&](const std::string& p) -> std::optional<double> {
    auto v = root.attr(p);
    return v ? parse_link_speed(*v) : std::nullopt;
  };
  auto width = [&](const std::string& p) -> std::optional<int> {
    auto v = root.attr_int(p, 10);
    if (!v || *v <= 0 || *v > 64) return std::nullopt;
    return static_cast<int>(*v);
  };
  l.speed_gts = speed(dev + "/current_link_speed");
  l.max_speed_gts = speed(dev + "/max_link_speed");
  l.width = width(dev + "/current_link_width");
  l.max_width = width(dev + "/max_link_width");
  // The upstream port: the parent directory in /sys/devices, when it is a PCI function.
  if (auto real = root.resolve(dev)) {
    auto slash = real->rfind('/');
    auto parent = real->substr(0, slash);
    if (root.exists(parent + "/max_link_speed")) {
      l.port_max_speed_gts = speed(parent + "/max_link_speed");
      l.port_max_width = width(parent + "/max_link_width");
    }
  }
  return l;
}

}  // namespace certify::suites
