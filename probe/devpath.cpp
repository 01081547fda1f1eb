// Sysfs device-path facts shared by the class probes.
#include "probe/devpath.hpp"

#include <cctype>

namespace certify::probe {

namespace {

bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

bool is_pci_address(std::string_view n) {
  // dddd:bb:dd.f
  if (n.size() != 12 || n[4] != ':' || n[7] != ':' || n[10] != '.') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u, 11u})
    if (!hex(n[i])) return false;
  return true;
}

bool is_usb_device_name(std::string_view n) {
  if (n.rfind("usb", 0) == 0) {
    n.remove_prefix(3);
    if (n.empty()) return false;
    for (char c : n)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
  }
  // bus-port[.port...]
  auto dash = n.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= n.size()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    if (i == dash) continue;
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i > dash + 1))) return false;
  }
  return true;
}

std::optional<std::string> pci_ancestor(std::string_view p) {
  std::optional<std::string> found;
  std::size_t pos = 0;
  while (pos < p.size()) {
    auto end = p.find('/', pos);
    if (end == std::string_view::npos) end = p.size();
    auto comp = p.substr(pos, end - pos);
    if (is_pci_address(comp)) found = std::string(comp);
    pos = end + 1;
  }
  return found;
}

std::string hardware_parent_id(std::string_view p) {
  std::string found;
  std::size_t pos = 0;
  while (pos < p.size()) {
    auto end = p.find('/', pos);
    if (end == std::string_view::npos) end = p.size();
    auto comp = p.substr(pos, end - pos);
    if (is_pci_address(comp)) found = "pci:" + std::string(comp);
    else if (is_usb_device_name(comp) && comp.rfind("usb", 0) != 0) found = "usb:" + std::string(comp);
    pos = end + 1;
  }
  return found;
}

namespace {

std::optional<std::string> cached_link_name(const ProbeContext& ctx, std::string link) {
  auto it = ctx.driver_links.find(link);
  if (it == ctx.driver_links.end()) {
    auto name = ctx.root.link_name(link);
    it = ctx.driver_links.emplace(std::move(link), std::move(name)).first;
  }
  return it->second;
}

}  // namespace

std::optional<DriverInfo> bound_driver(const ProbeContext& ctx, std::string_view dir) {
  std::string link = join(dir, "driver");
  auto name = cached_link_name(ctx, link);
  if (!name) return std::nullopt;
  DriverInfo d;
  d.name = *name;
  if (auto m = cached_link_name(ctx, link + "/module")) {
    d.module = *m;
    auto v = ctx.module_versions.find(*m);
    if (v == ctx.module_versions.end())
      v = ctx.module_versions.emplace(*m, ctx.root.attr("/sys/module/" + *m + "/version")).first;
    if (v->second) d.version = *v->second;
  }
  return d;
}

void fill_driver(const ProbeContext& ctx, std::string_view dir, Device& d) {
  auto drv = bound_driver(ctx, dir);
  if (!drv) return;
  if (d.driver.empty()) d.driver = drv->name;
  if (d.driver_version.empty()) d.driver_version = drv->version;
  if (!drv->module.empty() && !d.props.contains("module")) d.props["module"] = drv->module;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == '\0'))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace certify::probe
