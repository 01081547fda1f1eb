// nic: network interfaces (net:<ifname>) under their PCI function, with
// driver, firmware, MAC, MTU, link, queues; InfiniBand/RoCE ports
// (ib:<hca>:<port>); SR-IOV VFs linked to their PF; bonds, bridges and other
// software interfaces marked virtual. ethtool ioctls only on the live system.
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <vector>

#include "probe/devpath.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

// ARPHRD_* (include/uapi/linux/if_arp.h) we name; others stay numeric.
struct LinkType {
  int arphrd;
  const char* name;
};
constexpr LinkType k_link_types[] = {
    {1, "ethernet"}, {32, "infiniband"}, {772, "loopback"}, {776, "sit"}, {778, "gre"},
    {65534, "none"},
};

// Link modes by bit number (include/uapi/linux/ethtool.h, enum ethtool_link_mode_bit_indices).
struct LinkMode {
  int bit;
  const char* name;
};
constexpr LinkMode k_link_modes[] = {
    {ETHTOOL_LINK_MODE_10baseT_Half_BIT, "10baseT/Half"},
    {ETHTOOL_LINK_MODE_10baseT_Full_BIT, "10baseT/Full"},
    {ETHTOOL_LINK_MODE_100baseT_Half_BIT, "100baseT/Half"},
    {ETHTOOL_LINK_MODE_100baseT_Full_BIT, "100baseT/Full"},
    {ETHTOOL_LINK_MODE_1000baseT_Half_BIT, "1000baseT/Half"},
    {ETHTOOL_LINK_MODE_1000baseT_Full_BIT, "1000baseT/Full"},
    {ETHTOOL_LINK_MODE_1000baseKX_Full_BIT, "1000baseKX/Full"},
    {ETHTOOL_LINK_MODE_1000baseX_Full_BIT, "1000baseX/Full"},
    {ETHTOOL_LINK_MODE_2500baseT_Full_BIT, "2500baseT/Full"},
    {ETHTOOL_LINK_MODE_2500baseX_Full_BIT, "2500baseX/Full"},
    {ETHTOOL_LINK_MODE_5000baseT_Full_BIT, "5000baseT/Full"},
    {ETHTOOL_LINK_MODE_10000baseT_Full_BIT, "10000baseT/Full"},
    {ETHTOOL_LINK_MODE_10000baseKR_Full_BIT, "10000baseKR/Full"},
    {ETHTOOL_LINK_MODE_10000baseCR_Full_BIT, "10000baseCR/Full"},
    {ETHTOOL_LINK_MODE_10000baseSR_Full_BIT, "10000baseSR/Full"},
    {ETHTOOL_LINK_MODE_10000baseLR_Full_BIT, "10000baseLR/Full"},
    {ETHTOOL_LINK_MODE_25000baseCR_Full_BIT, "25000baseCR/Full"},
    {ETHTOOL_LINK_MODE_25000baseKR_Full_BIT, "25000baseKR/Full"},
    {ETHTOOL_LINK_MODE_25000baseSR_Full_BIT, "25000baseSR/Full"},
    {ETHTOOL_LINK_MODE_40000baseCR4_Full_BIT, "40000baseCR4/Full"},
    {ETHTOOL_LINK_MODE_40000baseSR4_Full_BIT, "40000baseSR4/Full"},
    {ETHTOOL_LINK_MODE_40000baseLR4_Full_BIT, "40000baseLR4/Full"},
    {ETHTOOL_LINK_MODE_50000baseCR2_Full_BIT, "50000baseCR2/Full"},
    {ETHTOOL_LINK_MODE_50000baseSR2_Full_BIT, "50000baseSR2/Full"},
    {ETHTOOL_LINK_MODE_100000baseCR4_Full_BIT, "100000baseCR4/Full"},
    {ETHTOOL_LINK_MODE_100000baseSR4_Full_BIT, "100000baseSR4/Full"},
    {ETHTOOL_LINK_MODE_100000baseLR4_ER4_Full_BIT, "100000baseLR4_ER4/Full"},
    {ETHTOOL_LINK_MODE_200000baseCR4_Full_BIT, "200000baseCR4/Full"},
    {ETHTOOL_LINK_MODE_200000baseSR4_Full_BIT, "200000baseSR4/Full"},
    {ETHTOOL_LINK_MODE_400000baseCR8_Full_BIT, "400000baseCR8/Full"},
    {ETHTOOL_LINK_MODE_400000baseSR8_Full_BIT, "400000baseSR8/Full"},
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// SIOCETHTOOL on a datagram socket: no packets, answers from the driver.
int ethtool(int sock, const std::string& ifname, void* cmd) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = static_cast<char*>(cmd);
  return ::ioctl(sock, SIOCETHTOOL, &ifr) == 0 ? 0 : errno;
}

void live_ethtool(ProbeContext& ctx, const std::string& ifname, Device& port, Device* fn) {
  Fd s;
  s.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s.fd < 0) {
    ctx.warn("nic", ifname + ": no socket for ethtool: " + std::strerror(errno));
    return;
  }
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  if (int e = ethtool(s.fd, ifname, &info); e != 0) {
    ctx.warn("nic", ifname + ": ethtool GDRVINFO: " + std::strerror(e));
  } else {
    auto str = [](const char* p, std::size_t n) { return trimmed(std::string(p, strnlen(p, n))); };
    std::string drv = str(info.driver, sizeof info.driver);
    std::string ver = str(info.version, sizeof info.version);
    std::string fw = str(info.fw_version, sizeof info.fw_version);
    if (!drv.empty()) port.driver = drv;
    if (!ver.empty()) port.driver_version = ver;
    if (!fw.empty() && fw != "N/A") port.firmware = fw;
    // The function shares these only when the port's driver is its driver
    // (virtio_net sits on virtio-pci, which has its own version).
    if (fn && fn->driver == port.driver) {
      if (fn->driver_version.empty()) fn->driver_version = port.driver_version;
      if (fn->firmware.empty()) fn->firmware = port.firmware;
    }
  }
  // GLINKSETTINGS handshake: the first call tells how many 32-bit words
  // each link-mode mask has (negative), the second returns the masks.
  // The masks follow the header as a flexible array: one raw buffer.
  alignas(ethtool_link_settings) std::uint8_t buf[sizeof(ethtool_link_settings) + 3 * 127 * 4];
  std::memset(buf, 0, sizeof buf);
  auto* req = reinterpret_cast<ethtool_link_settings*>(buf);
  req->cmd = ETHTOOL_GLINKSETTINGS;
  if (int e = ethtool(s.fd, ifname, req); e != 0) {
    if (e != EOPNOTSUPP) ctx.warn("nic", ifname + ": ethtool GLINKSETTINGS: " + std::strerror(e));
    return;
  }
  int words = -req->link_mode_masks_nwords;
  if (words <= 0 || words > 127) return;
  std::memset(buf, 0, sizeof buf);
  req->cmd = ETHTOOL_GLINKSETTINGS;
  req->link_mode_masks_nwords = static_cast<__s8>(words);
  if (ethtool(s.fd, ifname, req) != 0) return;
  const auto* supported = reinterpret_cast<const __u32*>(buf + sizeof(ethtool_link_settings));
  auto& p = port.props;
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& m : k_link_modes) {
    int w = m.bit / 32;
    if (w < words && (supported[w] >> (m.bit % 32)) & 1u) modes.push_back(m.name);
  }
  p["supported_link_modes"] = modes;
  p["autoneg"] = req->autoneg == AUTONEG_ENABLE;
  if (req->speed != 0 && req->speed != static_cast<__u32>(SPEED_UNKNOWN) && !p.contains("speed_mbps"))
    p["speed_mbps"] = req->speed;
}

// Software interfaces: the kernel's DEVTYPE, else the directory that gives
// the kind away.
std::string virtual_kind(const SysDir& dir, std::optional<std::int64_t> type) {
  if (auto ue = dir.read("uevent")) {
    auto p = ue->find("DEVTYPE=");
    if (p != std::string::npos) {
      auto e = ue->find('\n', p);
      return ue->substr(p + 8, e == std::string::npos ? std::string::npos : e - p - 8);
    }
  }
  if (dir.is_dir("bonding")) return "bond";
  if (dir.is_dir("bridge")) return "bridge";
  if (dir.exists("tun_flags")) return "tun";
  if (type && *type == 772) return "loopback";
  return "other";
}

void add_interface(ProbeContext& ctx, const std::string& ifname) {
  const std::string cls_path = "/sys/class/net/" + ifname;
  auto canon = ctx.root.resolve(cls_path);
  if (!canon) {
    ctx.warn("nic", ifname + ": interface vanished (dangling " + cls_path + ")");
    return;
  }
  Device& port = ctx.inv.upsert("net:" + ifname);
  port.cls = "nic";
  auto& p = port.props;
  p["ifname"] = ifname;
  // Its attributes read relative to its directory held open (SysDir): the
  // canonical path runs through the PCI tree, walked again on every open.
  const SysDir dir = ctx.root.dir(*canon);
  auto type = dir.attr_int("type", 10);
  bool is_virtual = canon->rfind("/sys/devices/virtual/", 0) == 0;
  std::string parent = is_virtual ? "" : hardware_parent_id(*canon);
  p["virtual"] = is_virtual;
  if (is_virtual) {
    port.bus = "virtual";
    p["kind"] = virtual_kind(dir, type);
    if (dir.is_dir("bonding")) {
      if (auto s = dir.attr("bonding/slaves")) p["members"] = *s;
      if (auto m = dir.attr("bonding/mode")) p["bond_mode"] = *m;
    }
  } else {
    port.bus = parent.rfind("usb:", 0) == 0 ? "usb" : parent.rfind("pci:", 0) == 0 ? "pci" : "platform";
    port.parent = parent;
    fill_driver(ctx, *canon + "/device", port);
    if (port.driver.empty())
      ctx.warn("nic", ifname + ": no driver bound to the device behind it");
  }
  if (type) {
    p["link_type"] = std::to_string(*type);
    for (const auto& t : k_link_types)
      if (t.arphrd == *type) p["link_type"] = t.name;
  }
  const auto mac = dir.attr("address");
  if (mac) p["mac"] = *mac;
  if (auto v = dir.attr_int("mtu", 10)) p["mtu"] = *v;
  if (auto v = dir.attr("operstate")) p["operstate"] = *v;
  if (auto v = dir.attr_int("carrier", 10)) p["carrier"] = *v == 1;
  // speed is -1 or unreadable (EINVAL) without a link.
  if (auto v = dir.attr_int("speed", 10); v && *v > 0) p["speed_mbps"] = *v;
  if (auto v = dir.attr("duplex"); v && *v != "unknown") p["duplex"] = *v;
  if (auto v = dir.attr_int("dev_port", 10)) p["dev_port"] = *v;
  if (auto v = dir.attr("phys_port_name")) p["phys_port_name"] = *v;
  int rx = 0, tx = 0;
  for (const auto& q : dir.list("queues")) {
    if (q.rfind("rx-", 0) == 0) ++rx;
    if (q.rfind("tx-", 0) == 0) ++tx;
  }
  if (rx || tx) {
    p["rx_queues"] = rx;
    p["tx_queues"] = tx;
  }
  if (!mac && !is_virtual)
    ctx.warn("nic", ifname + ": no MAC address attribute");

  Device* fn = port.parent.rfind("pci:", 0) == 0 ? ctx.inv.find(port.parent) : nullptr;
  if (fn) {
    fill_driver(ctx, "/sys/bus/pci/devices/" + fn->id.substr(4), *fn);
    port.vendor = fn->vendor;
    port.model = fn->model;
    auto& ifs = fn->props["interfaces"];
    if (!ifs.is_array()) ifs = nlohmann::json::array();
    ifs.push_back(ifname);
    if (fn->props.value("sriov_vf", false)) p["sriov_vf"] = true;
  }
  if (ctx.live() && !is_virtual) live_ethtool(ctx, ifname, port, fn);
}

// /sys/class/infiniband/<hca>/ports/<n>: RDMA ports of InfiniBand HCAs and
// RoCE NICs (Documentation/ABI/stable/sysfs-class-infiniband).
void add_rdma(ProbeContext& ctx, const std::string& hca) {
  const std::string dir = "/sys/class/infiniband/" + hca;
  auto canon = ctx.root.resolve(dir);
  if (!canon) {
    ctx.warn("nic", "infiniband " + hca + ": device vanished (dangling link)");
    return;
  }
  std::string parent = hardware_parent_id(*canon);
  auto fw = ctx.root.attr(*canon + "/fw_ver");
  std::string vendor, model, driver;
  if (Device* fn = parent.empty() ? nullptr : ctx.inv.find(parent)) {
    if (fw && fn->firmware.empty()) fn->firmware = *fw;
    auto& list = fn->props["rdma_devices"];
    if (!list.is_array()) list = nlohmann::json::array();
    list.push_back(hca);
    vendor = fn->vendor;
    model = fn->model;
    driver = fn->driver;
  }
  auto ports = ctx.root.list(*canon + "/ports");
  if (ports.empty()) ctx.warn("nic", "infiniband " + hca + ": no ports directory");
  for (const auto& n : ports) {
    const std::string pd = *canon + "/ports/" + n;
    Device& d = ctx.inv.upsert("ib:" + hca + ":" + n);
    d.cls = "nic";
    d.bus = "infiniband";
    d.parent = parent;
    d.vendor = vendor;
    d.model = model;
    d.driver = driver;
    if (fw) d.firmware = *fw;
    auto& p = d.props;
    p["hca"] = hca;
    int num = 0;
    auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), num);
    if (ec == std::errc() && ptr == n.data() + n.size()) p["port"] = num;
    // rdma_rxe and siw run in software over a netdev: the kernel puts them
    // under /sys/devices/virtual, having no bus parent.
    p["virtual"] = canon->rfind("/sys/devices/virtual/", 0) == 0;
    for (const char* k : {"node_guid", "sys_image_guid", "hca_type", "board_id", "node_type"})
      if (auto v = ctx.root.attr(*canon + "/" + k)) p[k] = *v;
    // "4: ACTIVE" -> "ACTIVE"; "5: LinkUp" -> "LinkUp"
    auto after_colon = [](std::string v) {
      auto c = v.find(": ");
      return c == std::string::npos ? v : v.substr(c + 2);
    };
    if (auto v = ctx.root.attr(pd + "/state")) p["state"] = after_colon(*v);
    if (auto v = ctx.root.attr(pd + "/phys_state")) p["phys_state"] = after_colon(*v);
    if (auto v = ctx.root.attr(pd + "/rate")) p["rate"] = *v;
    if (auto v = ctx.root.attr(pd + "/link_layer")) p["link_layer"] = *v;
    if (auto v = ctx.root.attr(pd + "/lid")) p["lid"] = *v;
    if (auto v = ctx.root.attr(pd + "/sm_lid")) p["sm_lid"] = *v;
    if (auto v = ctx.root.attr(pd + "/gids/0")) p["gid0"] = *v;
  }
}

}  // namespace

void probe_nic(ProbeContext& ctx) {
  for (const auto& ifname : ctx.root.list("/sys/class/net")) add_interface(ctx, ifname);
  for (const auto& hca : ctx.root.list("/sys/class/infiniband")) add_rdma(ctx, hca);
  // Ports of one card share bus and device number: name the card on each
  // network function so a 4-port adapter reads as one card.
  for (auto& d : ctx.inv.devices) {
    if (d.bus != "pci" || d.cls != "nic" || d.id.size() < 16) continue;
    d.props["card"] = d.id.substr(4, 10);  // "0000:3b:00" of "pci:0000:3b:00.1"
  }
}

}  // namespace certify::probe
