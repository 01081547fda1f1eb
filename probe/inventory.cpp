// Inventory: serialisation (JSON, XML, table) and anonymisation.
#include "probe/inventory.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace certify::probe {

using nlohmann::json;

namespace {

// The number a link speed starts with ("8.0 GT/s" -> 8.0), 0 when none: as
// atof() reads it, by from_chars, which the CPU probe's parsing runs anyway;
// atof's strtod was ~120 blocks of the C library that a TCG guest
// translated for this alone, on every probe.
double leading_number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : 0;
}

}  // namespace

bool PcieLink::degraded() const {
  if (speed && max_speed && *speed != *max_speed) {
    // Compare the numeric part: "8.0 GT/s" < "16.0 GT/s".
    double cur = leading_number(*speed), max = leading_number(*max_speed);
    if (cur > 0 && max > 0 && cur < max) return true;
  }
  return width && max_width && *width > 0 && *width < *max_width;
}

Device* Inventory::find(std::string_view id) {
  return const_cast<Device*>(static_cast<const Inventory&>(*this).find(id));
}

const Device* Inventory::find(std::string_view id) const {
  auto reindex = [this] {
    index_.clear();
    for (std::size_t i = 0; i < devices.size(); ++i) index_.emplace(devices[i].id, i);  // first wins, as before
  };
  if (index_.size() != devices.size()) reindex();
  auto it = index_.find(std::string(id));
  if (it == index_.end()) return nullptr;  // same size, same ids: a miss is a miss
  if (it->second < devices.size() && devices[it->second].id == id) return &devices[it->second];
  reindex();  // reordered since indexed
  it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : &devices[it->second];
}

Device& Inventory::upsert(std::string_view id) {
  if (auto* d = find(id)) return *d;
  Device d;
  d.id = std::string(id);
  d.cls = "other";
  devices.push_back(std::move(d));
  index_.emplace(devices.back().id, devices.size() - 1);
  return devices.back();
}

void Inventory::warn(std::string source, std::string message) {
  warnings.push_back({std::move(source), std::move(message)});
}

namespace {

void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

std::string get_str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

json to_json(const Device& d) {
  json j = json::object();
  j["id"] = d.id;
  j["class"] = d.cls;
  put(j, "bus", d.bus);
  put(j, "vendor_id", d.vendor_id);
  put(j, "device_id", d.device_id);
  put(j, "subsystem_vendor_id", d.subsystem_vendor_id);
  put(j, "subsystem_device_id", d.subsystem_device_id);
  put(j, "vendor", d.vendor);
  put(j, "model", d.model);
  put(j, "subsystem", d.subsystem);
  put(j, "driver", d.driver);
  put(j, "driver_version", d.driver_version);
  put(j, "firmware", d.firmware);
  if (d.numa_node) j["numa_node"] = *d.numa_node;
  if (d.pcie) {
    json p = json::object();
    if (d.pcie->speed) p["speed"] = *d.pcie->speed;
    if (d.pcie->width) p["width"] = *d.pcie->width;
    if (d.pcie->max_speed) p["max_speed"] = *d.pcie->max_speed;
    if (d.pcie->max_width) p["max_width"] = *d.pcie->max_width;
    p["degraded"] = d.pcie->degraded();
    j["pcie"] = p;
  }
  put(j, "parent", d.parent);
  j["props"] = d.props.is_object() ? d.props : json::object();
  return j;
}

json to_json(const Inventory& inv) {
  json j = json::object();
  j["schema_version"] = inv.schema_version;
  j["tool_version"] = inv.tool_version;
  j["sysroot"] = inv.sysroot;
  j["system"] = inv.system;
  j["os"] = inv.os;
  j["cpu"] = inv.cpu;
  j["memory"] = inv.memory;
  json devs = json::array();
  for (const auto& d : inv.devices) devs.push_back(to_json(d));
  j["devices"] = std::move(devs);
  json warns = json::array();
  for (const auto& w : inv.warnings) warns.push_back({{"source", w.source}, {"message", w.message}});
  j["warnings"] = std::move(warns);
  return j;
}

Result<Device> device_from_json(const json& j) {
  if (!j.is_object()) return make_error("device is not a JSON object");
  Device d;
  d.id = get_str(j, "id");
  d.cls = get_str(j, "class");
  if (d.id.empty() || d.cls.empty()) return make_error("device without id or class");
  d.bus = get_str(j, "bus");
  d.vendor_id = get_str(j, "vendor_id");
  d.device_id = get_str(j, "device_id");
  d.subsystem_vendor_id = get_str(j, "subsystem_vendor_id");
  d.subsystem_device_id = get_str(j, "subsystem_device_id");
  d.vendor = get_str(j, "vendor");
  d.model = get_str(j, "model");
  d.subsystem = get_str(j, "subsystem");
  d.driver = get_str(j, "driver");
  d.driver_version = get_str(j, "driver_version");
  d.firmware = get_str(j, "firmware");
  d.parent = get_str(j, "parent");
  if (auto it = j.find("numa_node"); it != j.end() && it->is_number_integer())
    d.numa_node = it->get<int>();
  if (auto it = j.find("pcie"); it != j.end() && it->is_object()) {
    PcieLink l;
    if (auto s = get_str(*it, "speed"); !s.empty()) l.speed = s;
    if (auto s = get_str(*it, "max_speed"); !s.empty()) l.max_speed = s;
    if (auto w = it->find("width"); w != it->end() && w->is_number_integer()) l.width = w->get<int>();
    if (auto w = it->find("max_width"); w != it->end() && w->is_number_integer())
      l.max_width = w->get<int>();
    d.pcie = l;
  }
  if (auto it = j.find("props"); it != j.end() && it->is_object()) d.props = *it;
  return d;
}

Result<Inventory> inventory_from_json(const json& j) {
  if (!j.is_object()) return make_error("inventory is not a JSON object");
  Inventory inv;
  auto sv = j.find("schema_version");
  if (sv == j.end() || !sv->is_number_integer())
    return make_error("inventory has no schema_version");
  inv.schema_version = sv->get<int>();
  if (inv.schema_version > k_inventory_schema_version)
    return make_error("inventory schema_version " + std::to_string(inv.schema_version) +
                      " is newer than this certify understands (" +
                      std::to_string(k_inventory_schema_version) + ")");
  inv.tool_version = get_str(j, "tool_version");
  inv.sysroot = get_str(j, "sysroot");
  for (const char* key : {"system", "os", "cpu", "memory"}) {
    auto it = j.find(key);
    json v = it != j.end() && it->is_object() ? *it : json::object();
    if (std::string_view(key) == "system") inv.system = v;
    else if (std::string_view(key) == "os") inv.os = v;
    else if (std::string_view(key) == "cpu") inv.cpu = v;
    else inv.memory = v;
  }
  if (auto it = j.find("devices"); it != j.end()) {
    if (!it->is_array()) return make_error("inventory 'devices' is not an array");
    for (const auto& dj : *it) {
      auto d = device_from_json(dj);
      if (!d) return make_error("inventory device: " + d.message());
      inv.devices.push_back(std::move(d).value());
    }
  }
  if (auto it = j.find("warnings"); it != j.end() && it->is_array())
    for (const auto& w : *it)
      if (w.is_object()) inv.warnings.push_back({get_str(w, "source"), get_str(w, "message")});
  return inv;
}

// ---------------------------------------------------------------- anonymise

namespace {

// Keys whose values identify one machine or one part. Matched by exact name
// so that, e.g., "serial" in SMBIOS and in NVMe props are both covered. A
// sorted constant, not a std::set: that was built by a static constructor
// in every run of the probe front, --anonymize or not.
// Among them the device-class props of issue 4: board serials (board_serial),
// IB GIDs (gid0), disk and namespace WWNs (wwid, nguid, eui).
void xml_add(pugi::xml_node parent, const std::string& name, const json& v) {
  if (v.is_object()) {
    auto n = parent.append_child(name.c_str());
    for (auto it = v.begin(); it != v.end(); ++it) xml_add(n, it.key(), it.value());
  } else if (v.is_array()) {
    auto n = parent.append_child(name.c_str());
    // Arrays become a list element with singular-ish item children.
    std::string item = name.size() > 1 && name.back() == 's' ? name.substr(0, name.size() - 1)
                                                             : std::string("item");
    for (const auto& e : v) xml_add(n, item, e);
  } else if (v.is_string()) {
    parent.append_child(name.c_str()).text().set(v.get<std::string>().c_str());
  } else if (!v.is_null()) {
    parent.append_child(name.c_str()).text().set(v.dump().c_str());
  }
}

std::string xml_name(std::string key) {
  // XML names cannot start with a digit or contain most punctuation.
  for (auto& c : key)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) c = '_';
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0])) || key[0] == '-' ||
      key[0] == '.')
    key = "_" + key;
  return key;
}

json xml_safe_keys(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (auto it = v.begin(); it != v.end(); ++it) out[xml_name(it.key())] = xml_safe_keys(it.value());
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& e : v) out.push_back(xml_safe_keys(e));
    return out;
  }
  return v;
}

}  // namespace

std::string to_xml(const json& inventory_json) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("inventory");
  json safe = xml_safe_keys(inventory_json);
  for (auto it = safe.begin(); it != safe.end(); ++it) xml_add(root, it.key(), it.value());
  std::ostringstream os;
  doc.save(os, "  ");
  return os.str();
}

// ---------------------------------------------------------------- table

namespace {

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

void row(std::ostringstream& os, std::string_view label, const json& section, const char* key) {
  auto it = section.find(key);
  if (it == section.end() || it->is_null()) return;
  std::string v = it->is_array() ? std::to_string(it->size()) + " entries" : scalar_text(*it);
  if (v.empty()) return;
  os << "  " << label;
  for (std::size_t i = label.size(); i < 18; ++i) os << ' ';
  os << v << '\n';
}

std::string pad(std::string s, std::size_t w) {
  if (s.size() > w) s = s.substr(0, w - 1) + "~";
  s.resize(w, ' ');
  return s;
}

// The props a person looks for first, in this order, whatever the class
// (one list, no per-class code): each shown when a device has it.
struct Headline {
  const char* key;
  const char* label;  // "" prints the value alone
  enum Kind { text, bytes, mbps, list_count, flag } kind;
};
constexpr Headline k_headlines[] = {
    {"product", "", Headline::text},
    {"mac", "", Headline::text},
    {"wwpn", "wwpn ", Headline::text},
    {"state", "", Headline::text},
    {"controller_state", "state ", Headline::text},
    {"operstate", "", Headline::text},
    {"port_state", "", Headline::text},
    {"rate", "", Headline::text},
    {"speed_mbps", "", Headline::mbps},
    {"speed", "", Headline::text},
    {"size_bytes", "", Headline::bytes},
    {"vram_total_bytes", "VRAM ", Headline::bytes},
    {"serial", "sn ", Headline::text},
    {"scsi_address", "scsi ", Headline::text},
    {"transport", "", Headline::text},
    {"rotational", "rotational", Headline::flag},
    {"namespaces", "namespaces: ", Headline::list_count},
    {"interfaces", "if ", Headline::list_count},
    {"disks", "disks: ", Headline::list_count},
    {"functions", "functions: ", Headline::list_count},
    {"sriov_num_vfs", "VFs ", Headline::text},
    {"drm_cards", "", Headline::list_count},
    {"kind", "", Headline::text},
    {"virtual", "virtual", Headline::flag},
    {"sriov_vf", "VF", Headline::flag},
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string device_notes(const Device& d, const std::set<std::string>& same_section) {
  std::string notes;
  auto add = [&](const std::string& s) {
    if (s.empty()) return;
    if (!notes.empty()) notes += ", ";
    notes += s;
  };
  for (const auto& h : k_headlines) {
    auto it = d.props.find(h.key);
    if (it == d.props.end() || it->is_null()) continue;
    const json& v = *it;
    switch (h.kind) {
      case Headline::text:
        if (v.is_string() || v.is_number()) add(h.label + scalar_text(v));
        break;
      case Headline::bytes:
        if (v.is_number()) add(h.label + human_bytes(v.get<double>()));
        break;
      case Headline::mbps:
        if (v.is_number()) add(scalar_text(v) + " Mb/s");
        break;
      case Headline::list_count:
        if (v.is_array() && !v.empty()) {
          std::string items;
          for (const auto& e : v) items += (items.empty() ? "" : " ") + scalar_text(e);
          add(h.label + (items.size() > 40 ? std::to_string(v.size()) : items));
        }
        break;
      case Headline::flag:
        if (v.is_boolean() && v.get<bool>()) add(h.label);
        break;
    }
  }
  if (!d.firmware.empty()) add("fw " + d.firmware);
  if (d.pcie && d.pcie->speed)
    add(*d.pcie->speed + " x" + (d.pcie->width ? std::to_string(*d.pcie->width) : "?") +
        (d.pcie->degraded() ? " (below max)" : ""));
  if (d.numa_node && *d.numa_node >= 0) add("node " + std::to_string(*d.numa_node));
  if (!d.parent.empty() && !same_section.count(d.parent)) add("on " + d.parent);
  return notes;
}

}  // namespace

std::string to_table(const Inventory& inv) {
  std::ostringstream os;
  auto section = [&](std::string_view title, const json& j,
                     std::initializer_list<std::pair<const char*, const char*>> rows) {
    if (!j.is_object() || j.empty()) return;
    os << title << '\n';
    for (auto [label, key] : rows) row(os, label, j, key);
    os << '\n';
  };
  json sys_flat = json::object();
  for (const char* part : {"system", "baseboard", "bios", "chassis", "smbios"}) {
    auto it = inv.system.find(part);
    if (it == inv.system.end() || !it->is_object()) continue;
    for (auto f = it->begin(); f != it->end(); ++f) sys_flat[std::string(part) + "." + f.key()] = f.value();
  }
  section("SYSTEM", sys_flat,
          {{"Manufacturer", "system.manufacturer"}, {"Product", "system.product_name"},
           {"Serial", "system.serial_number"}, {"Board", "baseboard.product_name"},
           {"BIOS vendor", "bios.vendor"}, {"BIOS version", "bios.version"},
           {"BIOS date", "bios.release_date"}, {"Chassis", "chassis.type"},
           {"SMBIOS", "smbios.version"}});
  section("OS", inv.os,
          {{"Name", "pretty_name"}, {"ID", "id"}, {"Version", "version_id"}, {"ID_LIKE", "id_like"},
           {"Kernel", "kernel_release"}, {"Architecture", "arch"}});
  section("CPU", inv.cpu,
          {{"Architecture", "arch"}, {"Vendor", "vendor"}, {"Model", "model_name"},
           {"Sockets", "sockets"}, {"Cores/socket", "cores_per_socket"},
           {"Threads/core", "threads_per_core"}, {"CPUs", "cpus"}, {"Online", "online"},
           {"NUMA nodes", "numa_node_count"}});
  section("MEMORY", inv.memory,
          {{"Total (bytes)", "total_bytes"}, {"NUMA nodes", "nodes"}, {"DIMMs", "dimms"},
           {"DIMMs populated", "dimms_populated"}, {"DIMMs (bytes)", "dimm_total_bytes"},
           {"Huge page size", "hugepage_size_bytes"}});

  std::map<std::string, std::vector<const Device*>> by_class;
  for (const auto& d : inv.devices) by_class[d.cls].push_back(&d);
  auto print_class = [&](const std::string& cls, const std::vector<const Device*>& devs) {
    std::string title = cls;
    std::transform(title.begin(), title.end(), title.begin(), ::toupper);
    os << title << " (" << devs.size() << ")\n";
    os << "  " << pad("ID", 26) << pad("VENDOR", 22) << pad("MODEL", 34) << pad("DRIVER", 14)
       << "NOTES\n";
    // Children (ports, namespaces, VFs) right under their parent when both
    // are in this section, indented; the rest in id order.
    std::set<std::string> here;
    for (const auto* d : devs) here.insert(d->id);
    std::map<std::string, std::vector<const Device*>> kids;
    std::vector<const Device*> roots;
    for (const auto* d : devs) {
      if (!d->parent.empty() && here.count(d->parent)) kids[d->parent].push_back(d);
      else roots.push_back(d);
    }
    std::set<std::string> printed;
    auto print = [&](auto&& self, const Device* d, int depth) -> void {
      if (!printed.insert(d->id).second) return;
      std::string id = std::string(static_cast<std::size_t>(depth) * 2, ' ') + d->id;
      os << "  " << pad(id, 26) << pad(d->vendor, 22) << pad(d->model, 34)
         << pad(d->driver.empty() ? "-" : d->driver, 14) << device_notes(*d, here) << '\n';
      if (auto it = kids.find(d->id); it != kids.end())
        for (const auto* k : it->second) self(self, k, depth + 1);
    };
    for (const auto* d : roots) print(print, d, 0);
    for (const auto* d : devs) print(print, d, 0);  // parent cycles: still printed
    os << '\n';
  };
  for (const auto& [cls, devs] : by_class)
    if (cls != "other") print_class(cls, devs);
  if (auto it = by_class.find("other"); it != by_class.end()) print_class("other", it->second);

  if (!inv.warnings.empty()) {
    os << "WARNINGS (" << inv.warnings.size() << ")\n";
    for (const auto& w : inv.warnings) os << "  " << w.source << ": " << w.message << '\n';
  }
  return os.str();
}

}  // namespace certify::probe
