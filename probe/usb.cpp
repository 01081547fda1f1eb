// usb: USB devices (usb:<port path>) with IDs and usb.ids names, speed,
// class, interfaces and their drivers, under their host controller or hub.
// Enumerated through libusb on the live system, /sys/bus/usb/devices in a
// sysroot; strings (manufacturer, product, serial) always come from sysfs,
// which the kernel read at enumeration (no device I/O from us).
#include <libusb.h>

#include <map>

#include "core/files.hpp"
#include "probe/devpath.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

struct UsbDev {
  std::string port_path;  // "2-2", "1-1.4"
  unsigned vid = 0, pid = 0, dev_class = 0;
  std::optional<double> speed_mbps;
  std::optional<int> busnum, devnum;
};

std::string hex4(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%04x", v & 0xffff);
  return b;
}

// usb.ids: "vvvv  Vendor" lines, "\tpppp  Product" under them; the device
// list ends where the class tables ("C 00  ...") begin.
struct UsbNames {
  std::map<unsigned, std::string> vendors;
  std::map<unsigned, std::string> products;  // vid << 16 | pid
  std::map<unsigned, std::string> classes;
};

UsbNames load_usb_ids(const std::string& text) {
  UsbNames n;
  unsigned vendor = 0;
  bool in_vendor = false, in_classes = false;
  std::size_t pos = 0;
  auto hexv = [](std::string_view s) -> std::optional<unsigned> {
    unsigned v = 0;
    for (char c : s) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      v = v * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
    }
    return v;
  };
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line.size() > 6 && line[0] == 'C' && line[1] == ' ') {
      in_classes = true;
      in_vendor = false;
      if (auto v = hexv(line.substr(2, 2))) n.classes[*v] = std::string(line.substr(6));
      continue;
    }
    if (in_classes) {
      if (line[0] != '\t' && line[0] != 'C') in_classes = false;
      continue;
    }
    if (line[0] != '\t' && line.size() > 6 && line[4] == ' ') {
      auto v = hexv(line.substr(0, 4));
      in_vendor = v.has_value();
      if (v) {
        vendor = *v;
        n.vendors[vendor] = std::string(line.substr(6));
      }
    } else if (in_vendor && line[0] == '\t' && line.size() > 7 && line[1] != '\t' && line[5] == ' ') {
      if (auto p = hexv(line.substr(1, 4))) n.products[(vendor << 16) | *p] = std::string(line.substr(7));
    } else if (line[0] != '\t') {
      in_vendor = false;
    }
  }
  return n;
}

std::vector<UsbDev> from_sysfs(const Sysroot& root) {
  std::vector<UsbDev> out;
  for (const auto& n : root.list("/sys/bus/usb/devices")) {
    if (!is_usb_device_name(n)) continue;
    const std::string dir = "/sys/bus/usb/devices/" + n;
    UsbDev u;
    u.port_path = n;
    u.vid = static_cast<unsigned>(root.attr_int(dir + "/idVendor", 16).value_or(0));
    u.pid = static_cast<unsigned>(root.attr_int(dir + "/idProduct", 16).value_or(0));
    u.dev_class = static_cast<unsigned>(root.attr_int(dir + "/bDeviceClass", 16).value_or(0));
    if (auto s = root.attr(dir + "/speed")) u.speed_mbps = std::atof(s->c_str());
    if (auto v = root.attr_int(dir + "/busnum", 10)) u.busnum = static_cast<int>(*v);
    if (auto v = root.attr_int(dir + "/devnum", 10)) u.devnum = static_cast<int>(*v);
    out.push_back(u);
  }
  return out;
}

std::optional<std::vector<UsbDev>> from_libusb(ProbeContext& ctx) {
  libusb_context* lc = nullptr;
  if (int rc = libusb_init(&lc); rc != 0) {
    ctx.warn("usb", std::string("libusb_init: ") + libusb_error_name(rc) + "; sysfs used");
    return std::nullopt;
  }
  libusb_device** list = nullptr;
  ssize_t n = libusb_get_device_list(lc, &list);
  if (n < 0) {
    ctx.warn("usb", std::string("libusb_get_device_list: ") + libusb_error_name(static_cast<int>(n)));
    libusb_exit(lc);
    return std::nullopt;
  }
  std::vector<UsbDev> out;
  for (ssize_t i = 0; i < n; ++i) {
    libusb_device* dev = list[i];
    UsbDev u;
    std::uint8_t ports[8];
    int np = libusb_get_port_numbers(dev, ports, sizeof ports);
    int bus = libusb_get_bus_number(dev);
    if (np <= 0) {
      u.port_path = "usb" + std::to_string(bus);  // root hub
    } else {
      u.port_path = std::to_string(bus) + "-";
      for (int k = 0; k < np; ++k) u.port_path += (k ? "." : "") + std::to_string(ports[k]);
    }
    libusb_device_descriptor desc{};
    if (libusb_get_device_descriptor(dev, &desc) == 0) {
      u.vid = desc.idVendor;
      u.pid = desc.idProduct;
      u.dev_class = desc.bDeviceClass;
    }
    switch (libusb_get_device_speed(dev)) {
      case LIBUSB_SPEED_LOW: u.speed_mbps = 1.5; break;
      case LIBUSB_SPEED_FULL: u.speed_mbps = 12; break;
      case LIBUSB_SPEED_HIGH: u.speed_mbps = 480; break;
      case LIBUSB_SPEED_SUPER: u.speed_mbps = 5000; break;
      case LIBUSB_SPEED_SUPER_PLUS: u.speed_mbps = 10000; break;
      default: break;
    }
    u.busnum = bus;
    u.devnum = libusb_get_device_address(dev);
    out.push_back(u);
  }
  libusb_free_device_list(list, 1);
  libusb_exit(lc);
  return out;
}

}  // namespace

void probe_usb(ProbeContext& ctx) {
  std::vector<UsbDev> devs;
  bool via_libusb = false;
  if (ctx.live()) {
    if (auto l = from_libusb(ctx)) {
      devs = std::move(*l);
      via_libusb = true;
    }
  }
  if (!via_libusb) devs = from_sysfs(ctx.root);
  if (devs.empty()) return;
  UsbNames names;
  auto ids = read_file(ctx.options.ids_dir / "usb.ids", 16 << 20);
  if (ids) names = load_usb_ids(*ids);
  else ctx.warn("usb", "no usb.ids in " + ctx.options.ids_dir.string() + ": names from device strings only");

  for (const auto& u : devs) {
    const std::string dir = "/sys/bus/usb/devices/" + u.port_path;
    auto canon = ctx.root.resolve(dir);
    if (!canon) {
      ctx.warn("usb", u.port_path + ": device vanished (no " + dir + ")");
      if (!via_libusb) continue;
    }
    if (u.port_path.rfind("usb", 0) == 0) {
      // A root hub is the controller's own port: a bus number on it.
      if (canon)
        if (auto bdf = pci_ancestor(*canon))
          if (Device* hc = ctx.inv.find("pci:" + *bdf)) {
            auto& b = hc->props["usb_buses"];
            if (!b.is_array()) b = nlohmann::json::array();
            if (u.busnum) b.push_back(*u.busnum);
          }
      continue;
    }
    Device& d = ctx.inv.upsert("usb:" + u.port_path);
    d.cls = "usb";
    d.bus = "usb";
    d.vendor_id = hex4(u.vid);
    d.device_id = hex4(u.pid);
    if (canon) {
      auto slash = canon->rfind('/');
      d.parent = hardware_parent_id(canon->substr(0, slash));
    }
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
    if (auto it = names.classes.find(u.dev_class); it != names.classes.end() && u.dev_class)
      p["device_class_name"] = it->second;
    if (auto v = ctx.root.attr(dir + "/manufacturer")) p["manufacturer"] = *v;
    if (auto v = ctx.root.attr(dir + "/product")) p["product"] = *v;
    if (auto v = ctx.root.attr(dir + "/serial")) p["serial"] = *v;
    if (auto v = ctx.root.attr(dir + "/version")) p["usb_version"] = trimmed(*v);
    if (auto v = ctx.root.attr(dir + "/bMaxPower")) p["max_power"] = *v;
    auto vn = names.vendors.find(u.vid);
    d.vendor = vn != names.vendors.end() ? vn->second : p.value("manufacturer", "");
    auto pn = names.products.find((u.vid << 16) | u.pid);
    d.model = pn != names.products.end() ? pn->second : p.value("product", "");
    fill_driver(ctx.root, dir, d);
    nlohmann::json ifs = nlohmann::json::array();
    for (const auto& n : ctx.root.list(dir)) {
      if (n.rfind(u.port_path + ":", 0) != 0) continue;
      const std::string idir = dir + "/" + n;
      nlohmann::json i{{"name", n}};
      if (auto c = ctx.root.attr_int(idir + "/bInterfaceClass", 16)) {
        char b[8];
        std::snprintf(b, sizeof b, "0x%02x", static_cast<unsigned>(*c));
        i["class"] = b;
        if (auto it = names.classes.find(static_cast<unsigned>(*c)); it != names.classes.end())
          i["class_name"] = it->second;
      }
      if (auto drv = bound_driver(ctx.root, idir)) i["driver"] = drv->name;
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
}

}  // namespace certify::probe
