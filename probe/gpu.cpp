// gpu: display controllers (PCI class 0x03) and processing accelerators
// (0x12): DRM card/render nodes and connectors, accel nodes, VRAM where the
// driver exports it (amdgpu mem_info_*, /proc/driver/nvidia), boot VGA.
#include "probe/devpath.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

nlohmann::json& array_at(nlohmann::json& j, const char* key) {
  auto& a = j[key];
  if (!a.is_array()) a = nlohmann::json::array();
  return a;
}

// /proc/driver/nvidia/gpus/<bdf>/information: "Key: \t value" lines.
void nvidia_information(ProbeContext& ctx, Device& d, const std::string& bdf) {
  auto text = ctx.root.read("/proc/driver/nvidia/gpus/" + bdf + "/information", 65536);
  if (!text) return;
  std::size_t pos = 0;
  while (pos < text->size()) {
    auto end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    std::string line = text->substr(pos, end - pos);
    pos = end + 1;
    auto c = line.find(':');
    if (c == std::string::npos) continue;
    std::string key = trimmed(line.substr(0, c)), val = trimmed(line.substr(c + 1));
    if (key == "Model") d.props["product_name"] = val;
    else if (key == "GPU UUID") d.props["uuid"] = val;
    else if (key == "Video BIOS") d.firmware = val;
  }
}

}  // namespace

void probe_gpu(ProbeContext& ctx) {
  // DRM and accel nodes, attached to the PCI function they live under.
  for (const char* cls : {"/sys/class/drm", "/sys/class/accel"}) {
    for (const auto& node : ctx.root.list(cls)) {
      std::string link = std::string(cls) + "/" + node;
      if (!ctx.root.link_target(link)) continue;  // /sys/class/drm/version is a file
      auto canon = ctx.root.resolve(link);
      if (!canon) {
        ctx.warn("gpu", node + ": DRM node vanished (dangling " + link + ")");
        continue;
      }
      auto bdf = pci_ancestor(*canon);
      Device* d = bdf ? ctx.inv.find("pci:" + *bdf) : nullptr;
      if (!d) continue;  // a platform or virtual DRM device (vkms, simpledrm)
      if (d->cls == "other") d->cls = "gpu";
      auto& p = d->props;
      if (node.rfind("renderD", 0) == 0) {
        array_at(p, "drm_render_nodes").push_back(node);
      } else if (node.rfind("accel", 0) == 0) {
        array_at(p, "accel_nodes").push_back(node);
      } else if (node.find('-') != std::string::npos) {
        nlohmann::json c{{"name", node.substr(node.find('-') + 1)}};
        if (auto s = ctx.root.attr(link + "/status")) c["status"] = *s;
        array_at(p, "connectors").push_back(c);
      } else {
        array_at(p, "drm_cards").push_back(node);
      }
    }
  }
  for (auto& d : ctx.inv.devices) {
    if (d.cls != "gpu" || d.bus != "pci") continue;
    const std::string bdf = d.id.substr(4);
    const std::string dir = "/sys/bus/pci/devices/" + bdf;
    auto& p = d.props;
    fill_driver(ctx, dir, d);
    if (d.driver.empty()) ctx.warn("gpu", bdf + ": no driver bound");
    // amdgpu (drivers/gpu/drm/amd/amdgpu/amdgpu_vram_mgr.c), in bytes.
    for (auto [key, attr] : {std::pair{"vram_total_bytes", "mem_info_vram_total"},
                             std::pair{"vram_used_bytes", "mem_info_vram_used"},
                             std::pair{"vis_vram_total_bytes", "mem_info_vis_vram_total"},
                             std::pair{"gtt_total_bytes", "mem_info_gtt_total"}})
      if (auto v = ctx.root.attr_int(dir + "/" + attr, 10)) p[key] = *v;
    if (auto v = ctx.root.attr(dir + "/vbios_version")) d.firmware = *v;
    if (auto v = ctx.root.attr(dir + "/product_name")) p["product_name"] = *v;
    if (auto v = ctx.root.attr(dir + "/serial_number")) p["serial"] = *v;
    // virtio-gpu: the DRM driver sits on the virtio child device.
    for (const auto& n : ctx.root.list(dir))
      if (n.rfind("virtio", 0) == 0)
        if (auto drv = bound_driver(ctx, dir + "/" + n)) p["drm_driver"] = drv->name;
    nvidia_information(ctx, d, bdf);
  }
}

}  // namespace certify::probe
