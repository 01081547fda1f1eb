// usb: USB devices (usb:<port path>) with IDs and usb.ids names, speed,
// class, interfaces and their drivers, under their host controller or hub.
// Enumerated from /sys/bus/usb/devices, live or recorded: the kernel
// exports every fact we report (descriptor IDs, class, speed, bus and
// address, strings it read at enumeration), so no device I/O from us.
// libusb added nothing to that (its Linux back end reads the same sysfs
// files) but cost ~2 ms per run: libusb_init starts an event thread and a
// udev monitor, and libusb and libudev had to be loaded.
#include "core/files.hpp"
#include "probe/devpath.hpp"
#include "probe/ids_file.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

struct UsbDev {
  std::string port_path;  // "2-2", "1-1.4"
  // Its directory held open: /sys/bus/usb/devices/<port path> is a link
  // into the PCI tree that an absolute path walks again on every open.
  SysDir sys;
  unsigned vid = 0, pid = 0, dev_class = 0;
  std::optional<double> speed_mbps = {};
  std::optional<int> busnum = {}, devnum = {};
};

std::string hex4(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%04x", v & 0xffff);
  return b;
}

std::vector<UsbDev> from_sysfs(const Sysroot& root) {
  std::vector<UsbDev> out;
  for (const auto& n : root.list("/sys/bus/usb/devices")) {
    if (!is_usb_device_name(n)) continue;
    UsbDev u{n, root.dir("/sys/bus/usb/devices/" + n)};
    u.vid = static_cast<unsigned>(u.sys.attr_int("idVendor", 16).value_or(0));
    u.pid = static_cast<unsigned>(u.sys.attr_int("idProduct", 16).value_or(0));
    u.dev_class = static_cast<unsigned>(u.sys.attr_int("bDeviceClass", 16).value_or(0));
    if (auto s = u.sys.attr("speed")) u.speed_mbps = std::atof(s->c_str());
    if (auto v = u.sys.attr_int("busnum", 10)) u.busnum = static_cast<int>(*v);
    if (auto v = u.sys.attr_int("devnum", 10)) u.devnum = static_cast<int>(*v);
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace

void probe_usb(ProbeContext& ctx) {
  std::vector<UsbDev> devs = from_sysfs(ctx.root);
  if (devs.empty()) return;
  // usb.ids has pci.ids' layout: vendors, their products, "C cc" classes.
  auto ids = IdsFile::open(path_join(ctx.options.ids_dir.native(), "usb.ids"));
  if (!ids) ctx.warn("usb", "no usb.ids (" + ids.message() + "): names from device strings only");
  auto class_name = [&](unsigned c) -> std::optional<std::string_view> {
    return ids ? ids->top_class(c) : std::nullopt;
  };

  for (const auto& u : devs) {
    const std::string dir = "/sys/bus/usb/devices/" + u.port_path;
    auto canon = ctx.root.resolve(dir);
    if (!canon) {
      ctx.warn("usb", u.port_path + ": device vanished (no " + dir + ")");
      continue;
    }
    if (u.port_path.rfind("usb", 0) == 0) {
      // A root hub is the controller's own port: a bus number on it.
      if (auto bdf = pci_ancestor(*canon))
        ctx.on_devices([id = "pci:" + *bdf, bus = u.busnum](Inventory& inv) {
          Device* hc = inv.find(id);
          if (!hc) return;
          auto& b = hc->props["usb_buses"];
          if (!b.is_array()) b = nlohmann::json::array();
          if (bus) b.push_back(*bus);
        });
      continue;
    }
    Device& d = ctx.inv.upsert("usb:" + u.port_path);
    d.cls = "usb";
    d.bus = "usb";
    d.vendor_id = hex4(u.vid);
    d.device_id = hex4(u.pid);
    d.parent = hardware_parent_id(canon->substr(0, canon->rfind('/')));
    auto& p = d.props;
    p["port_path"] = u.port_path;
    if (u.busnum) p["busnum"] = *u.busnum;
    if (u.devnum) p["devnum"] = *u.devnum;
    if (u.speed_mbps) {
      // 1.5 Mb/s (low speed) is the one fractional USB speed.
      if (*u.speed_mbps == static_cast<double>(static_cast<long>(*u.speed_mbps)))
        p["speed_mbps"] = static_cast<long>(*u.speed_mbps);
      else
        p["speed_mbps"] = *u.speed_mbps;
    }
    char cls[8];
    std::snprintf(cls, sizeof cls, "0x%02x", u.dev_class);
    p["device_class"] = cls;
    if (auto n = class_name(u.dev_class); n && u.dev_class) p["device_class_name"] = *n;
    if (auto v = u.sys.attr("manufacturer")) p["manufacturer"] = *v;
    if (auto v = u.sys.attr("product")) p["product"] = *v;
    if (auto v = u.sys.attr("serial")) p["serial"] = *v;
    if (auto v = u.sys.attr("version")) p["usb_version"] = trimmed(*v);
    if (auto v = u.sys.attr("bMaxPower")) p["max_power"] = *v;
    auto vn = ids ? ids->vendor(u.vid) : std::nullopt;
    d.vendor = vn ? std::string(*vn) : p.value("manufacturer", "");
    auto pn = ids ? ids->device(u.vid, u.pid) : std::nullopt;
    d.model = pn ? std::string(*pn) : p.value("product", "");
    fill_driver(ctx, dir, d);
    nlohmann::json ifs = nlohmann::json::array();
    for (const auto& n : u.sys.list(".")) {
      if (n.rfind(u.port_path + ":", 0) != 0) continue;
      const std::string idir = dir + "/" + n;
      nlohmann::json i{{"name", n}};
      if (auto c = u.sys.attr_int(n + "/bInterfaceClass", 16)) {
        char b[8];
        std::snprintf(b, sizeof b, "0x%02x", static_cast<unsigned>(*c));
        i["class"] = b;
        if (auto cn = class_name(static_cast<unsigned>(*c))) i["class_name"] = *cn;
      }
      if (auto drv = bound_driver(ctx, idir)) i["driver"] = drv->name;
      ifs.push_back(i);
    }
    p["interfaces"] = ifs;
    // The interface drivers are what the user knows ("usbhid", "usb-storage").
    for (const auto& i : ifs)
      if (i.contains("driver")) {
        d.driver = i["driver"];
        break;
      }
  }
  if (ids)
    for (const auto& w : ids->problems()) ctx.warn("usb", "usb.ids " + w);
}

}  // namespace certify::probe
