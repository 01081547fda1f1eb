// nvme: controllers from /sys/class/nvme (model, serial, firmware, transport,
// queues, NUMA node) enriching their PCI function, namespaces as
// nvme:<block name> with size, LBA format and block device; on the live
// system, Identify Controller through NVME_IOCTL_ADMIN_CMD when permitted.
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "probe/devpath.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

std::uint64_t le(std::span<const std::uint8_t> b, std::size_t off, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t(b[off + i]) << (8 * i);
  return v;
}

std::string ascii(std::span<const std::uint8_t> b, std::size_t off, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(b[off + i]);
    s += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  return trimmed(s);
}

std::string hex4(std::uint64_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(v & 0xffff));
  return buf;
}

// Identify Controller on /dev/<ctrl>: root only (CAP_SYS_ADMIN), bounded by
// the command's own timeout.
void live_identify(ProbeContext& ctx, const std::string& ctrl, Device& d) {
  std::string dev = "/dev/" + ctrl;
  int fd = ::open(dev.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    ctx.warn("nvme", ctrl + ": cannot open " + dev + " for Identify (" + std::strerror(errno) +
                         "); sysfs values used");
    return;
  }
  alignas(4096) static thread_local std::uint8_t buf[4096];
  std::memset(buf, 0, sizeof buf);
  nvme_admin_cmd cmd{};
  cmd.opcode = 0x06;  // Identify
  cmd.addr = reinterpret_cast<std::uintptr_t>(buf);
  cmd.data_len = sizeof buf;
  cmd.cdw10 = 1;  // CNS 01h: Identify Controller
  cmd.timeout_ms = 5000;
  int rc = ::ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    ctx.warn("nvme", ctrl + ": Identify Controller refused (" +
                         (rc < 0 ? std::string(std::strerror(err)) : "status " + std::to_string(rc)) +
                         "); sysfs values used");
    return;
  }
  auto id = parse_nvme_identify(std::span<const std::uint8_t>(buf, sizeof buf));
  if (!id) {
    ctx.warn("nvme", ctrl + ": " + id.message());
    return;
  }
  d.props["identify"] = *id;
  if (d.firmware.empty()) d.firmware = (*id)["firmware"].get<std::string>();
}

struct Namespace {
  std::string block;  // block device name ("nvme0n1")
  std::string dir;    // its sysfs directory
};

// The digits at the start of s (an empty view when there are none).
std::string_view leading_digits(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  return s.substr(0, n);
}

// A namespace's entry in its controller's directory: "nvme0n1" (the block
// device itself) or, with native multipath, the hidden path "nvme0c0n1"
// whose head is "nvme0n1"; the block device's name, nullopt for any other
// entry. (A std::regex here was ~40 KB of code run once per probe: in a
// TCG guest each of its blocks is translated before it runs.)
std::optional<std::string> namespace_head(std::string_view n) {
  if (n.substr(0, 4) != "nvme") return std::nullopt;
  auto ctrl = leading_digits(n.substr(4));
  if (ctrl.empty()) return std::nullopt;
  auto rest = n.substr(4 + ctrl.size());
  bool path = !rest.empty() && rest[0] == 'c';
  if (path) {
    auto c = leading_digits(rest.substr(1));
    if (c.empty()) return std::nullopt;
    rest.remove_prefix(1 + c.size());
  }
  if (rest.empty() || rest[0] != 'n') return std::nullopt;
  auto ns = leading_digits(rest.substr(1));
  if (ns.empty() || ns.size() + 1 != rest.size()) return std::nullopt;
  return "nvme" + std::string(ctrl) + "n" + std::string(ns);
}

// Namespaces of a controller: block children "nvme0n1", or with native
// multipath the hidden path "nvme0c0n1" whose head is the block device
// "nvme0n1" under the subsystem.
std::vector<Namespace> namespaces(const Sysroot& root, const std::string& ctrl_dir) {
  std::vector<Namespace> out;
  for (const auto& n : root.list(ctrl_dir)) {
    auto head = namespace_head(n);
    if (!head) continue;
    if (*head == n) {
      out.push_back({n, ctrl_dir + "/" + n});
    } else {
      auto dir = root.resolve("/sys/class/block/" + *head);
      out.push_back({*head, dir ? *dir : ctrl_dir + "/" + n});
    }
  }
  return out;
}

void add_namespace(ProbeContext& ctx, const Device& ctrl, const std::string& ctrl_name,
                   const Namespace& ns) {
  Device& d = ctx.inv.upsert("nvme:" + ns.block);
  d.cls = "nvme";
  d.bus = "nvme";
  d.parent = ctrl.id;
  d.vendor = ctrl.vendor;
  d.model = ctrl.props.value("model_number", ctrl.model);
  d.driver = ctrl.driver;
  d.firmware = ctrl.firmware;
  auto& p = d.props;
  p["controller"] = ctrl_name;
  p["block_device"] = ns.block;
  if (auto v = ctx.root.attr_int(ns.dir + "/nsid", 10)) p["nsid"] = *v;
  auto lbs = ctx.root.attr_int(ns.dir + "/queue/logical_block_size", 10);
  if (lbs) p["lba_size"] = *lbs;
  if (auto v = ctx.root.attr_int(ns.dir + "/queue/physical_block_size", 10)) p["physical_block_size"] = *v;
  // `size` counts 512-byte sectors whatever the LBA format (block/genhd.c).
  if (auto v = ctx.root.attr_int(ns.dir + "/size", 10)) p["size_bytes"] = *v * 512;
  else ctx.warn("nvme", ns.block + ": no size attribute");
  for (const char* k : {"wwid", "nguid", "eui", "uuid"})
    if (auto v = ctx.root.attr(ns.dir + "/" + k)) p[k] = *v;
}

}  // namespace

Result<nlohmann::json> parse_nvme_identify(std::span<const std::uint8_t> b) {
  // NVM Express Base Specification 2.0, Identify Controller data structure.
  if (b.size() < 4096) return make_error("Identify Controller data is " + std::to_string(b.size()) +
                                         " bytes, expected 4096");
  if (le(b, 0, 2) == 0 && le(b, 516, 4) == 0 && ascii(b, 24, 40).empty())
    return make_error("Identify Controller data is empty (no vendor, model or namespaces)");
  nlohmann::json j;
  j["vid"] = hex4(le(b, 0, 2));
  j["ssvid"] = hex4(le(b, 2, 2));
  j["serial"] = ascii(b, 4, 20);
  j["model"] = ascii(b, 24, 40);
  j["firmware"] = ascii(b, 64, 8);
  j["mdts"] = le(b, 77, 1);
  j["cntlid"] = le(b, 78, 2);
  auto ver = le(b, 80, 4);
  j["version"] = std::to_string(ver >> 16) + "." + std::to_string((ver >> 8) & 0xff) + "." +
                 std::to_string(ver & 0xff);
  j["oacs"] = le(b, 256, 2);
  j["firmware_slots"] = (le(b, 260, 1) >> 1) & 0x7;
  // TNVMCAP is 128-bit; capacities beyond 2^64 bytes do not exist yet.
  if (le(b, 288, 8) == 0) j["total_capacity_bytes"] = le(b, 280, 8);
  j["namespaces"] = le(b, 516, 4);
  j["subnqn"] = ascii(b, 768, 256);
  return j;
}

void probe_nvme(ProbeContext& ctx) {
  for (const auto& name : ctx.root.list("/sys/class/nvme")) {
    auto dir = ctx.root.resolve("/sys/class/nvme/" + name);
    if (!dir) {
      ctx.warn("nvme", name + ": controller vanished (dangling /sys/class/nvme/" + name + ")");
      continue;
    }
    auto transport = ctx.root.attr(*dir + "/transport").value_or("");
    auto bdf = pci_ancestor(*dir);
    // PCIe controllers are their PCI function; fabrics ones (tcp, rdma, fc,
    // loop) have none and stand on their own.
    Device& d = ctx.inv.upsert(bdf ? "pci:" + *bdf : "nvme:" + name);
    d.cls = "nvme";
    if (!bdf) d.bus = "nvme-" + (transport.empty() ? std::string("unknown") : transport);
    auto& p = d.props;
    p["controller"] = name;
    if (!transport.empty()) p["transport"] = transport;
    auto model = ctx.root.attr(*dir + "/model");
    if (model) {
      p["model_number"] = trimmed(*model);
      if (d.model.empty()) d.model = trimmed(*model);
    } else {
      ctx.warn("nvme", name + ": no model attribute");
    }
    if (auto v = ctx.root.attr(*dir + "/serial")) p["serial"] = trimmed(*v);
    if (auto v = ctx.root.attr(*dir + "/firmware_rev")) d.firmware = trimmed(*v);
    if (auto v = ctx.root.attr(*dir + "/state")) p["controller_state"] = *v;
    for (const char* k : {"subsysnqn", "cntrltype"})
      if (auto v = ctx.root.attr(*dir + "/" + k)) p[k] = *v;
    if (auto v = ctx.root.attr_int(*dir + "/cntlid", 0)) p["cntlid"] = *v;
    // queue_count includes the admin queue.
    if (auto v = ctx.root.attr_int(*dir + "/queue_count", 10)) p["io_queues"] = *v > 0 ? *v - 1 : 0;
    if (auto v = ctx.root.attr_int(*dir + "/sqsize", 10)) p["sqsize"] = *v;
    if (auto v = ctx.root.attr_int(*dir + "/numa_node", 10); v && *v >= 0 && !d.numa_node)
      d.numa_node = static_cast<int>(*v);
    if (auto v = ctx.root.attr(*dir + "/address"); v && !bdf) p["address"] = *v;
    fill_driver(ctx, *dir + "/device", d);
    if (ctx.live()) live_identify(ctx, name, d);
    auto nss = namespaces(ctx.root, *dir);
    nlohmann::json list = nlohmann::json::array();
    const Device ctrl = d;  // upsert() below may move the vector under `d`
    for (const auto& ns : nss) {
      add_namespace(ctx, ctrl, name, ns);
      list.push_back("nvme:" + ns.block);
    }
    // add_namespace may have grown the vector: look the controller up again.
    if (Device* c = ctx.inv.find(bdf ? "pci:" + *bdf : "nvme:" + name)) c->props["namespaces"] = list;
  }
}

}  // namespace certify::probe
