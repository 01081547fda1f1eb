// hba: SAS/SATA/RAID/FC host adapters from /sys/class/scsi_host, enriching
// their PCI function (proc_name, firmware and board where the driver exports
// them, the disks behind it); FC ports from /sys/class/fc_host as fc:<host>.
#include <algorithm>
#include <map>

#include "probe/devpath.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

// Host attributes that carry the same fact under driver-specific names
// (mpt3sas/mptsas: version_fw, board_name; qla2xxx: fw_version,
// model_name, serial_num; lpfc: fwrev, modelname, serialnum; hpsa:
// firmware_revision). The first present wins.
struct HostAttr {
  const char* key;
  const char* names[4];
};
constexpr HostAttr k_host_attrs[] = {
    {"firmware", {"version_fw", "fw_version", "fwrev", "firmware_revision"}},
    {"bios_version", {"version_bios", "optrom_bios_version", nullptr, nullptr}},
    {"board", {"board_name", "model_name", "modelname", "model_desc"}},
    {"board_serial", {"serial_num", "serialnum", nullptr, nullptr}},
    {"sas_address", {"host_sas_address", nullptr, nullptr, nullptr}},
    {"nr_hw_queues", {"nr_hw_queues", nullptr, nullptr, nullptr}},
};

// /sys/class/fc_host/hostN (Documentation: drivers/scsi/scsi_transport_fc.c).
struct FcAttr {
  const char* key;
  const char* attr;
};
constexpr FcAttr k_fc_attrs[] = {
    {"wwpn", "port_name"},         {"wwnn", "node_name"},     {"port_state", "port_state"},
    {"port_type", "port_type"},    {"port_id", "port_id"},    {"speed", "speed"},
    {"supported_speeds", "supported_speeds"}, {"fabric_name", "fabric_name"},
    {"symbolic_name", "symbolic_name"}, {"supported_classes", "supported_classes"},
};

nlohmann::json& array_at(nlohmann::json& j, const char* key) {
  auto& a = j[key];
  if (!a.is_array()) a = nlohmann::json::array();
  return a;
}

}  // namespace

void probe_hba(ProbeContext& ctx) {
  // Disks behind each SCSI host, from the SCSI devices' block links.
  std::map<std::string, std::vector<std::string>> disks_of_host;
  for (const auto& addr : ctx.root.list("/sys/class/scsi_device")) {
    auto host = addr.substr(0, addr.find(':'));
    for (const auto& b : ctx.root.list("/sys/class/scsi_device/" + addr + "/device/block"))
      disks_of_host["host" + host].push_back("block:" + b);
  }
  for (const auto& host : ctx.root.list("/sys/class/scsi_host")) {
    const std::string cls = "/sys/class/scsi_host/" + host;
    auto dir = ctx.root.resolve(cls + "/device");
    if (!dir) {
      ctx.warn("hba", host + ": SCSI host vanished (dangling " + cls + ")");
      continue;
    }
    std::string parent = hardware_parent_id(*dir);
    // A USB mass-storage device brings its own SCSI host: the USB device is
    // the hardware; its disk points there.
    if (parent.rfind("usb:", 0) == 0) continue;
    std::string id = parent.empty() ? "scsi_host:" + host : parent;
    Device& d = ctx.inv.upsert(id);
    if (parent.empty()) {
      d.bus = "virtual";
      d.props["virtual"] = true;
    }
    if (d.cls == "other" || parent.empty()) d.cls = "hba";
    if (!parent.empty()) fill_driver(ctx, "/sys/bus/pci/devices/" + parent.substr(4), d);
    auto& p = d.props;
    array_at(p, "scsi_hosts").push_back(host);
    // The host's attributes relative to its directory held open (SysDir):
    // the class link leads deep into the PCI tree, walked on every open.
    const SysDir sys = ctx.root.dir(cls);
    auto proc = sys.attr("proc_name");
    if (proc) p["proc_name"] = *proc;
    else ctx.warn("hba", host + ": no proc_name attribute");
    if (parent.empty() && proc) d.driver = *proc;
    // Of the driver-specific names a host has a few: one listing instead of
    // an open per name (a system call each, a trap in a virtual machine).
    const auto entries = sys.list(".");
    auto listed = [&](const char* n) {
      return entries.empty() || std::binary_search(entries.begin(), entries.end(), std::string_view(n));
    };
    for (const auto& a : k_host_attrs) {
      if (p.contains(a.key)) continue;
      for (const char* n : a.names) {
        if (!n) break;
        if (!listed(n)) continue;
        if (std::string_view(a.key) == "nr_hw_queues") {  // a number: one read
          auto q = sys.attr_int(n, 10);
          if (!q) continue;
          p[a.key] = *q;
          break;
        }
        auto v = sys.attr(n);
        if (!v) continue;
        if (std::string_view(a.key) == "firmware") {
          if (d.firmware.empty()) d.firmware = *v;
        } else {
          p[a.key] = *v;
        }
        break;
      }
    }
    if (ctx.root.exists("/sys/class/sas_host/" + host)) p["sas"] = true;
    auto& disks = array_at(p, "disks");
    for (const auto& b : disks_of_host[host]) disks.push_back(b);

    if (ctx.root.exists("/sys/class/fc_host/" + host)) {
      const std::string fc = "/sys/class/fc_host/" + host;
      const Device adapter = d;  // upsert() below may move the vector
      Device& port = ctx.inv.upsert("fc:" + host);
      port.cls = "hba";
      port.bus = "fc";
      port.parent = adapter.id;
      port.vendor = adapter.vendor;
      port.model = adapter.model;
      port.driver = adapter.driver;
      port.firmware = adapter.firmware;
      port.props["scsi_host"] = host;
      const SysDir fc_sys = ctx.root.dir(fc);
      for (const auto& a : k_fc_attrs)
        if (auto v = fc_sys.attr(a.attr)) port.props[a.key] = *v;
      if (!port.props.contains("wwpn")) ctx.warn("hba", host + ": fc_host without port_name (WWPN)");
      if (Device* again = ctx.inv.find(adapter.id)) array_at(again->props, "fc_ports").push_back(port.id);
    }
  }
}

}  // namespace certify::probe
