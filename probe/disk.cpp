// disk: whole block devices (block:<name>) with size, model, rotational flag,
// SCSI address and serial, under the adapter or USB device they hang from.
// NVMe namespaces belong to the nvme probe; partitions are not disks; idle
// software devices (loop, zram of size 0) carry nothing to certify.
#include "probe/devpath.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

// VPD page 0x80 (Unit Serial Number, SPC-4 7.8.15): 4-byte header, then the
// serial, space padded.
std::optional<std::string> vpd_serial(const std::string& page) {
  if (page.size() < 4 || static_cast<unsigned char>(page[1]) != 0x80) return std::nullopt;
  std::size_t len = (static_cast<unsigned char>(page[2]) << 8) | static_cast<unsigned char>(page[3]);
  if (len == 0 || 4 + len > page.size()) return std::nullopt;
  auto s = trimmed(page.substr(4, len));
  if (s.empty()) return std::nullopt;
  return s;
}

std::string transport_of(const Sysroot& root, const std::string& canon, const std::string& parent) {
  if (parent.rfind("usb:", 0) == 0) return "usb";
  if (canon.find("/ata") != std::string::npos && root.exists(canon + "/device/scsi_level")) return "ata";
  if (root.exists(canon + "/device/scsi_level")) return "scsi";
  auto dev = root.resolve(canon + "/device");
  if (dev && dev->find("/virtio") != std::string::npos) return "virtio";
  if (canon.find("/mmc") != std::string::npos) return "mmc";
  return "block";
}

}  // namespace

void probe_disk(ProbeContext& ctx) {
  for (const auto& name : ctx.root.list("/sys/class/block")) {
    const std::string link = "/sys/class/block/" + name;
    auto canon = ctx.root.resolve(link);
    if (!canon) {
      ctx.warn("disk", name + ": block device vanished (dangling " + link + ")");
      continue;
    }
    if (ctx.root.exists(*canon + "/partition")) continue;
    if (canon->find("/nvme/") != std::string::npos ||
        canon->find("/nvme-subsystem/") != std::string::npos)
      continue;
    auto size = ctx.root.attr_int(*canon + "/size", 10);
    bool is_virtual = canon->rfind("/sys/devices/virtual/", 0) == 0;
    if (is_virtual && (!size || *size == 0)) continue;

    std::string parent = is_virtual ? "" : hardware_parent_id(*canon);
    Device& d = ctx.inv.upsert("block:" + name);
    d.cls = "disk";
    d.parent = parent;
    auto& p = d.props;
    p["block_device"] = name;
    p["virtual"] = is_virtual;
    std::string transport = is_virtual ? "virtual" : transport_of(ctx.root, *canon, parent);
    d.bus = transport;
    p["transport"] = transport;
    if (size) p["size_bytes"] = *size * 512;  // 512-byte sectors (block/genhd.c)
    else ctx.warn("disk", name + ": no size attribute");
    if (auto v = ctx.root.attr_int(*canon + "/queue/rotational", 10)) p["rotational"] = *v == 1;
    if (auto v = ctx.root.attr_int(*canon + "/removable", 10)) p["removable"] = *v == 1;
    if (auto v = ctx.root.attr_int(*canon + "/ro", 10)) p["read_only"] = *v == 1;
    if (auto v = ctx.root.attr_int(*canon + "/queue/logical_block_size", 10)) p["logical_block_size"] = *v;
    if (auto v = ctx.root.attr_int(*canon + "/queue/physical_block_size", 10)) p["physical_block_size"] = *v;
    const std::string dev = *canon + "/device";
    if (auto v = ctx.root.attr(dev + "/vendor")) d.vendor = trimmed(*v);
    if (auto v = ctx.root.attr(dev + "/model")) d.model = trimmed(*v);
    if (auto v = ctx.root.attr(dev + "/rev")) d.firmware = trimmed(*v);
    if (transport == "scsi" || transport == "ata" || transport == "usb") {
      if (auto a = ctx.root.resolve(dev)) p["scsi_address"] = a->substr(a->rfind('/') + 1);
      if (auto w = ctx.root.attr(dev + "/wwid")) p["wwid"] = *w;
    }
    std::optional<std::string> serial = ctx.root.attr(*canon + "/serial");  // virtio_blk
    if (!serial)
      if (auto pg = ctx.root.read(dev + "/vpd_pg80", 4096)) serial = vpd_serial(*pg);
    if (serial) p["serial"] = trimmed(*serial);
    fill_driver(ctx, dev, d);
    if (!is_virtual && d.driver.empty()) ctx.warn("disk", name + ": no driver bound to its device");
    if (!parent.empty()) {
      p["adapter"] = parent;
      // virtio_blk has no model of its own: the PCI function names it.
      if (d.model.empty())
        ctx.on_devices([id = d.id, parent](Inventory& inv) {
          const Device* a = inv.find(parent);
          Device* disk = a ? inv.find(id) : nullptr;
          if (!disk) return;
          disk->vendor = a->vendor;
          disk->model = a->model;
        });
    }
  }
}

}  // namespace certify::probe
