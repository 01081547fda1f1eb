// dpu: DPUs and SmartNICs recognised by hwdata/dpu.ids; each card becomes
// dpu:<domain:bus:dev> and its PCI functions (network, management, bridges)
// are grouped under it, keeping their own class.
#include <charconv>
#include <map>

#include "core/files.hpp"
#include "probe/devpath.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint16_t> hex16(std::string_view s) {
  if (s.size() != 4) return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + 4, v, 16);
  if (ec != std::errc() || p != s.data() + 4) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::optional<std::uint16_t> id_of(const std::string& hex) {
  if (hex.size() != 6) return std::nullopt;
  return hex16(std::string_view(hex).substr(2));
}

const DpuId* match(const std::vector<DpuId>& table, const Device& d) {
  auto v = id_of(d.vendor_id), dev = id_of(d.device_id);
  if (!v || !dev) return nullptr;
  auto sv = id_of(d.subsystem_vendor_id), sd = id_of(d.subsystem_device_id);
  const DpuId* generic = nullptr;
  for (const auto& e : table) {
    if (e.vendor != *v || e.device != *dev) continue;
    if (!e.subvendor) {
      if (!generic) generic = &e;
    } else if (sv && sd && *e.subvendor == *sv && *e.subdevice == *sd) {
      return &e;  // the subsystem names the exact card
    }
  }
  return generic;
}

}  // namespace

Result<std::vector<DpuId>> parse_dpu_ids(std::string_view text, std::string_view file) {
  std::vector<DpuId> out;
  std::size_t pos = 0;
  int lineno = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++lineno;
    if (line.empty() || line.front() == '#') continue;
    auto where = std::string(file) + ":" + std::to_string(lineno) + ": ";
    std::vector<std::string_view> f;
    std::size_t s = 0;
    while (true) {
      auto bar = line.find('|', s);
      f.push_back(trim(line.substr(s, bar == std::string_view::npos ? std::string_view::npos : bar - s)));
      if (bar == std::string_view::npos) break;
      s = bar + 1;
    }
    if (f.size() != 3)
      return make_error(where + "expected 'vendor:device[:subvendor:subdevice] | product | source', got " +
                        std::to_string(f.size()) + " field(s)");
    if (f[1].empty()) return make_error(where + "empty product name");
    if (f[2].empty()) return make_error(where + "no source for this entry");
    std::vector<std::uint16_t> ids;
    std::size_t c = 0;
    while (true) {
      auto colon = f[0].find(':', c);
      auto part = f[0].substr(c, colon == std::string_view::npos ? std::string_view::npos : colon - c);
      auto v = hex16(part);
      if (!v) return make_error(where + "bad PCI ID '" + std::string(part) + "' (4 hex digits)");
      ids.push_back(*v);
      if (colon == std::string_view::npos) break;
      c = colon + 1;
    }
    if (ids.size() != 2 && ids.size() != 4)
      return make_error(where + "ID must be vendor:device or vendor:device:subvendor:subdevice");
    DpuId e;
    e.vendor = ids[0];
    e.device = ids[1];
    if (ids.size() == 4) {
      e.subvendor = ids[2];
      e.subdevice = ids[3];
    }
    e.product = std::string(f[1]);
    e.source = std::string(f[2]);
    out.push_back(std::move(e));
  }
  return out;
}

void probe_dpu(ProbeContext& ctx) {
  auto path = path_join(ctx.options.hwdata_dir.native(), "dpu.ids");
  auto text = read_file(path, 1 << 20);
  if (!text) {
    ctx.warn("dpu", "cannot read " + path + ": " + text.message());
    return;
  }
  auto table = parse_dpu_ids(*text, path);
  if (!table) {
    ctx.warn("dpu", table.message());
    return;
  }
  // Matched functions, then the card each belongs to: the topmost matched
  // function on its sysfs path (a DPU's own PCIe switch sits above its
  // functions), by domain:bus:device.
  std::map<std::string, const DpuId*> matched;  // bdf -> entry
  for (const auto& d : ctx.inv.devices)
    if (d.bus == "pci" && d.id.rfind("pci:", 0) == 0)
      if (const DpuId* e = match(*table, d)) matched[d.id.substr(4)] = e;
  std::map<std::string, std::vector<std::string>> cards;  // card -> bdfs
  std::map<std::string, const DpuId*> card_entry;
  for (const auto& [bdf, e] : matched) {
    std::string card = bdf.substr(0, 10);
    if (auto canon = ctx.root.resolve("/sys/bus/pci/devices/" + bdf)) {
      std::size_t p = 0;
      while (p < canon->size()) {
        auto q = canon->find('/', p);
        if (q == std::string::npos) q = canon->size();
        auto comp = canon->substr(p, q - p);
        if (is_pci_address(comp) && matched.count(comp)) {
          card = comp.substr(0, 10);
          break;
        }
        p = q + 1;
      }
    }
    cards[card].push_back(bdf);
    // Subsystem-specific names beat family names for the card.
    if (!card_entry.count(card) || e->subvendor) card_entry[card] = e;
  }
  for (const auto& [card, fns] : cards) {
    const DpuId* e = card_entry[card];
    const std::string id = "dpu:" + card;
    nlohmann::json functions = nlohmann::json::array();
    std::string vendor, driver;
    std::optional<int> numa;
    for (const auto& bdf : fns) {
      Device* f = ctx.inv.find("pci:" + bdf);
      if (!f) continue;
      functions.push_back(f->id);
      f->props["dpu"] = id;
      if (f->parent.empty()) f->parent = id;  // VFs keep their PF as parent
      if (vendor.empty()) vendor = f->vendor;
      if (numa || !f->numa_node) continue;
      numa = f->numa_node;
    }
    Device& d = ctx.inv.upsert(id);
    d.cls = "dpu";
    d.bus = "pci";
    d.vendor = vendor;
    d.model = e->product;
    d.numa_node = numa;
    d.props["product"] = e->product;
    d.props["id_source"] = e->source;
    d.props["functions"] = functions;
    d.props["card"] = card;
  }
}

}  // namespace certify::probe
