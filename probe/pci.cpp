// pci: every PCI function in sysfs, as libpci's sysfs back end (pointed into
// the sysroot) finds them: IDs and names, class, revision, driver and module,
// NUMA node, IOMMU group, slot, PCIe link (current and maximum), SR-IOV.
// libpci itself is started only for a function whose attributes do not say
// it all (no uevent; the link in config space on an old kernel).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

extern "C" {
#include <pci/header.h>  // register names only: libpci itself is behind pci_libpci.hpp
}

#include "core/files.hpp"
#include "probe/ids_file.hpp"
#include "probe/pci_libpci.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

std::string bdf(const PciAddress& a) {
  char b[32];
  std::snprintf(b, sizeof b, "%04x:%02x:%02x.%x", a.domain, a.bus, a.dev, a.func);
  return b;
}

namespace {

// Default inventory class by PCI class code (PCI Code and ID Assignment
// Specification r1.15, appendix D). Device-class probes refine these.
struct ClassRule {
  unsigned code;   // class (0xCC) or class+subclass (0xCCSS)
  bool with_sub;
  const char* cls;
};
constexpr ClassRule k_class_rules[] = {
    {0x0108, true, "nvme"},    // non-volatile memory controller
    {0x0100, true, "hba"},     // SCSI
    {0x0101, true, "hba"},     // IDE
    {0x0104, true, "hba"},     // RAID
    {0x0106, true, "hba"},     // SATA (AHCI)
    {0x0107, true, "hba"},     // SAS
    {0x0c04, true, "hba"},     // Fibre Channel
    {0x0c03, true, "usb"},     // USB host controller
    {0x02, false, "nic"},      // network (ethernet, InfiniBand, ...)
    {0x03, false, "gpu"},      // display
    {0x12, false, "gpu"},      // processing accelerators
    {0x06, false, "bridge"},   // bridges
};

const char* default_class(unsigned class_code /* 0xCCSS */) {
  for (const auto& r : k_class_rules) {
    if (r.with_sub ? class_code == r.code : (class_code >> 8) == r.code) return r.cls;
  }
  return "other";
}

std::string hex4(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%04x", v & 0xffff);
  return b;
}

using Address = PciAddress;

std::string name_or_empty(std::optional<std::string_view> n) { return n ? std::string(*n) : std::string(); }

// "16.0 GT/s PCIe" -> "16.0 GT/s"; "Unknown" -> nullopt.
std::optional<std::string> link_speed(std::optional<std::string> s) {
  if (!s) return std::nullopt;
  if (s->rfind("Unknown", 0) == 0) return std::nullopt;
  if (auto p = s->find(" PCIe"); p != std::string::npos) s->resize(p);
  return s;
}

const char* speed_name(unsigned code) {
  static constexpr const char* k[] = {nullptr,     "2.5 GT/s",  "5.0 GT/s", "8.0 GT/s",
                                      "16.0 GT/s", "32.0 GT/s", "64.0 GT/s"};
  return code < 7 ? k[code] : nullptr;
}

// Config space as one read of the sysfs `config` file gave it. A register
// beyond what was read reads as all ones, as libpci's pci_read_*() have it
// when their read comes up short (an unprivileged reader gets 64 bytes).
struct ConfigSpace {
  std::string_view bytes;
  unsigned read(unsigned pos, unsigned width) const {
    if (pos + width > bytes.size()) return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
    unsigned v = 0;
    for (unsigned i = width; i-- > 0;) v = v << 8 | static_cast<unsigned char>(bytes[pos + i]);  // little-endian
    return v;
  }
};

// The traditional capability list and a link's registers in the last
// capability it can hold (0xfc + LNKSTA): 72 dword reads by the kernel.
constexpr std::size_t k_config_read = 0x100 + 0x14;

// Offset of the PCI Express capability, walked as libpci's
// pci_scan_trad_caps() walks the list (visited offsets stop a loop, ID 0xff
// ends it); the first one in the list.
std::optional<unsigned> express_capability(const ConfigSpace& c) {
  if (!(c.read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) return std::nullopt;
  bool been_there[256] = {};
  unsigned where = c.read(PCI_CAPABILITY_LIST, 1) & ~3u;
  while (where) {
    unsigned id = c.read(where + PCI_CAP_LIST_ID, 1);
    unsigned next = c.read(where + PCI_CAP_LIST_NEXT, 1) & ~3u;
    if (been_there[where]) break;
    been_there[where] = true;
    if (id == 0xff) break;
    if (id == PCI_CAP_ID_EXP) return where;
    where = next;
  }
  return std::nullopt;
}

// Linux >= 4.13 exports the link attributes of every function with a PCI
// Express capability (drivers/pci/pci-sysfs.c, pcie_dev_attr_group, visible
// when pci_is_pcie(), i.e. the capability the kernel found in config
// space): on such a kernel a function without them is conventional PCI and
// has no link to read. Older kernels, and sysroots that do not say which
// kernel they come from, have the capability list walked.
bool kernel_exports_pcie_links(const Sysroot& root) {
  auto rel = root.attr("/proc/sys/kernel/osrelease");
  if (!rel) return false;
  unsigned major = 0, minor = 0;
  const char* p = rel->c_str();
  const char* end = p + rel->size();
  auto r1 = std::from_chars(p, end, major);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '.') return false;
  auto r2 = std::from_chars(r1.ptr + 1, end, minor);
  if (r2.ec != std::errc()) return false;
  return major > 4 || (major == 4 && minor >= 13);
}

// PCIe link from sysfs attributes; from the Express capability in config
// space when the kernel does not export them.
std::optional<PcieLink> pcie_link(Libpci& pci, const Address& at, const SysDir& sys,
                                  bool kernel_links) {
  PcieLink l;
  l.speed = link_speed(sys.attr("current_link_speed"));
  l.max_speed = link_speed(sys.attr("max_link_speed"));
  if (auto w = sys.attr_int("current_link_width", 10); w && *w > 0 && *w <= 32)
    l.width = static_cast<int>(*w);
  if (auto w = sys.attr_int("max_link_width", 10); w && *w > 0 && *w <= 32)
    l.max_width = static_cast<int>(*w);
  if (!l.speed && !l.max_speed && !l.width && !l.max_width) {
    // Config space is the costly read (a trap to the hypervisor per access
    // in a virtual machine): skipped where the kernel has said "no link".
    // An attribute that is present but says "Unknown" (an integrated
    // endpoint) still has the capability read.
    if (kernel_links && !sys.exists("current_link_speed") && !sys.exists("max_link_speed"))
      return std::nullopt;
    // Only now the capability list, from config space read once; libpci
    // when it cannot be read (its warnings say why).
    unsigned lnkcap = 0, lnksta = 0;
    if (auto config = sys.read("config", k_config_read)) {
      const ConfigSpace c{*config};
      auto cap = express_capability(c);
      if (!cap) return std::nullopt;
      lnkcap = c.read(*cap + PCI_EXP_LNKCAP, 4);
      lnksta = c.read(*cap + PCI_EXP_LNKSTA, 2);
    } else {
      auto link = pci.express_link(at);
      if (!link) return std::nullopt;
      lnkcap = link->lnkcap;
      lnksta = link->lnksta;
    }
    if (lnkcap == 0xffffffff) return std::nullopt;
    if (auto s = speed_name(lnkcap & 0xf)) l.max_speed = s;
    if (auto s = speed_name(lnksta & 0xf)) l.speed = s;
    unsigned mw = (lnkcap >> 4) & 0x3f, cw = (lnksta >> 4) & 0x3f;
    if (mw) l.max_width = static_cast<int>(mw);
    if (cw) l.width = static_cast<int>(cw);
    if (!l.speed && !l.max_speed) return std::nullopt;
  }
  return l;
}

// The facts of one function the inventory takes: libpci's fields, or the
// same read from uevent.
struct Fn : PciIdentity {
  std::optional<std::string> slot;
  bool from_uevent = false;  // else from libpci's reads of the attributes
  // From uevent: the bound driver's name (DRIVER=, the driver core's
  // dev->driver->name, which names the driver link too), nullopt when none.
  std::optional<std::string> driver;
};

bool parse_hex(std::string_view v, unsigned& out) {
  if (v.empty()) return false;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out, 16);
  return ec == std::errc() && end == v.data() + v.size();
}

// What libpci reads from six attributes (vendor, device, class,
// subsystem_vendor, subsystem_device) and numa_node, with one file for the
// first five: the kernel's uevent prints the same pci_dev fields
// (drivers/pci/pci-driver.c, pci_uevent(): PCI_CLASS, PCI_ID, PCI_SUBSYS_ID).
// 12 system calls a function fewer, most of a small machine's PCI probe
// in a guest, where each costs a trap. nullopt (libpci then reads as
// before) when anything is missing or not as the kernel writes it.
std::optional<Fn> from_uevent(const SysDir& sys) {
  auto ue = sys.read("uevent", 4096);
  auto rev = sys.attr_int("revision");
  if (!ue || !rev || *rev < 0 || *rev > 0xff) return std::nullopt;
  Fn f;
  f.from_uevent = true;
  f.rev = static_cast<unsigned>(*rev);
  bool cls = false, id = false, sub = false;
  std::string_view t = *ue;
  while (!t.empty()) {
    auto nl = t.find('\n');
    std::string_view line = t.substr(0, nl);
    t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = line.substr(0, eq), v = line.substr(eq + 1);
    auto pair = [&](unsigned& a, unsigned& b) {
      auto colon = v.find(':');
      return colon != std::string_view::npos && parse_hex(v.substr(0, colon), a) &&
             parse_hex(v.substr(colon + 1), b) && a <= 0xffff && b <= 0xffff;
    };
    if (k == "PCI_CLASS") {
      unsigned c = 0;
      if (!parse_hex(v, c) || c > 0xffffff) return std::nullopt;
      f.device_class = c >> 8;
      f.prog_if = c & 0xff;
      cls = true;
    } else if (k == "PCI_ID") {
      if (!pair(f.vendor, f.device)) return std::nullopt;
      id = true;
    } else if (k == "PCI_SUBSYS_ID") {
      if (!pair(f.subsys_vendor, f.subsys_device)) return std::nullopt;
      sub = true;
    } else if (k == "DRIVER") {
      f.driver = std::string(v);
    }
  }
  if (!cls || !id || !sub) return std::nullopt;
  // numa_node: absent means -1, as libpci has it.
  if (auto text = sys.attr("numa_node")) {
    int n = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
    f.numa_node = n;
  }
  f.iommu_group = sys.link_name("iommu_group");
  return f;
}

void add_function(ProbeContext& ctx, const IdsFile* ids, Libpci& pci, const Address& at, const SysDir& sys,
                  const Fn& fn, bool kernel_links) {
  const std::string addr = bdf(at);
  Device& dev = ctx.inv.upsert("pci:" + addr);
  dev.bus = "pci";
  dev.cls = default_class(fn.device_class);
  dev.vendor_id = hex4(fn.vendor);
  dev.device_id = hex4(fn.device);
  if (ids) {
    dev.vendor = name_or_empty(ids->vendor(fn.vendor));
    dev.model = name_or_empty(ids->device(fn.vendor, fn.device));
  }
  if (fn.subsys_vendor && fn.subsys_vendor != 0xffff) {
    dev.subsystem_vendor_id = hex4(fn.subsys_vendor);
    dev.subsystem_device_id = hex4(fn.subsys_device);
    if (ids)
      dev.subsystem = name_or_empty(
          ids->subsystem(fn.vendor, fn.device, fn.subsys_vendor, fn.subsys_device));
  }
  // The driver link's last component; libpci's PCI_FILL_DRIVER realpath()s
  // it, a readlink per path component (most of the syscalls with 2,000 VFs).
  // uevent names it already, or says there is none: no link to read.
  std::optional<std::string> driver = fn.from_uevent ? fn.driver : sys.link_name("driver");
  if (driver) dev.driver = *driver;
  if (fn.numa_node >= 0) dev.numa_node = fn.numa_node;
  dev.pcie = pcie_link(pci, at, sys, kernel_links);

  // libpci takes garbage in the class attribute for class 0 without a word;
  // the class from uevent has been checked where it was parsed.
  if (!fn.from_uevent)
    if (auto c = sys.attr("class")) {
      std::string_view v = *c;
      if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) v.remove_prefix(2);
      unsigned long code = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), code, 16);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size())
        ctx.warn("pci", addr + ": unparsable class attribute '" + *c + "'");
    }
  auto& p = dev.props;
  p["address"] = addr;
  char cc[16];
  std::snprintf(cc, sizeof cc, "0x%04x%02x", fn.device_class, fn.prog_if);
  p["class_code"] = cc;
  if (ids)
    if (auto n = ids->class_name(fn.device_class)) p["class_name"] = *n;
  std::snprintf(cc, sizeof cc, "0x%02x", fn.rev);
  p["revision"] = cc;
  if (driver)  // the module through the driver link
    if (auto m = sys.link_name("driver/module")) p["module"] = *m;
  if (fn.iommu_group) p["iommu_group"] = *fn.iommu_group;
  if (fn.slot) p["slot"] = *fn.slot;
  if (auto v = sys.attr_int("sriov_totalvfs", 10); v && *v > 0) {
    p["sriov_total_vfs"] = *v;
    p["sriov_num_vfs"] = sys.attr_int("sriov_numvfs", 10).value_or(0);
  }
  if (auto pf = sys.link_name("physfn")) {
    dev.parent = "pci:" + *pf;
    p["sriov_vf"] = true;
  }
  if (auto boot = sys.attr_int("boot_vga", 10)) p["boot_vga"] = *boot == 1;
  if (dev.pcie && dev.pcie->degraded())
    ctx.warn("pci", addr + ": PCIe link trained below its maximum (" +
                        dev.pcie->speed.value_or("?") + " x" +
                        std::to_string(dev.pcie->width.value_or(0)) + " of " +
                        dev.pcie->max_speed.value_or("?") + " x" +
                        std::to_string(dev.pcie->max_width.value_or(0)) + ")");
}

// scanf's "%x" and "%d" on a sysfs name as libpci reads it (no blanks,
// signs or 0x in what the kernel writes): the digits up to the next
// character that is not one.
bool scan_number(std::string_view& s, unsigned base, unsigned& out) {
  std::size_t n = 0;
  out = 0;
  while (n < s.size()) {
    char c = s[n];
    unsigned v = c >= '0' && c <= '9' ? static_cast<unsigned>(c - '0')
                 : base == 16 && c >= 'a' && c <= 'f' ? static_cast<unsigned>(c - 'a' + 10)
                 : base == 16 && c >= 'A' && c <= 'F' ? static_cast<unsigned>(c - 'A' + 10)
                                                      : base;
    if (v >= base) break;
    out = out * base + v;
    ++n;
  }
  s.remove_prefix(n);
  return n > 0;
}

bool scan_separator(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

// "%x:%x:%x.%d" (a function's directory) or, with func null, "%x:%x:%x"
// (a slot's address).
bool parse_address(std::string_view s, Address& a, bool with_func) {
  unsigned dom = 0, bus = 0, dev = 0, func = 0;
  if (!scan_number(s, 16, dom) || !scan_separator(s, ':') || !scan_number(s, 16, bus) ||
      !scan_separator(s, ':') || !scan_number(s, 16, dev))
    return false;
  if (with_func && (!scan_separator(s, '.') || !scan_number(s, 10, func))) return false;
  a = Address{dom, bus & 0xff, dev & 0xff, func & 0xff};
  return true;
}

// The functions in libpci's order: its sysfs back end (sysfs_scan) links
// each entry of /sys/bus/pci/devices at the head of its list, the
// directory's order reversed, and a name it cannot parse stops the scan.
// Listing them is all the scan does; libpci itself is not needed for it.
std::optional<std::vector<Address>> list_functions(ProbeContext& ctx, const SysDir& bus) {
  auto names = bus.list_in_order("devices");
  if (!names) {
    ctx.warn("pci", "libpci: Cannot open " + ctx.root.host_path("/sys/bus/pci/devices").string());
    return std::nullopt;
  }
  std::vector<Address> out;
  for (const auto& name : *names) {
    if (name.front() == '.') continue;
    Address a;
    if (!parse_address(name, a, true)) {
      ctx.warn("pci", "libpci: sysfs_scan: Couldn't parse entry name " + name);
      return std::nullopt;
    }
    out.push_back(a);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// The physical slots, as libpci's sysfs back end finds them
// (sysfs_fill_slots): each entry of /sys/bus/pci/slots in the directory's
// order whose `address` reads "%x:%x:%x" names the slot of the functions
// at that domain, bus and device that have none yet; an address that does
// not parse is libpci's warning, an empty or missing one is skipped.
struct Slot {
  Address at;  // func unused
  std::string name;
};

std::vector<Slot> list_slots(ProbeContext& ctx, const SysDir& bus) {
  std::vector<Slot> out;
  auto names = bus.list_in_order("slots");
  if (!names) return out;
  for (const auto& name : *names) {
    if (name.front() == '.') continue;
    auto text = bus.read("slots/" + name + "/address", 4096);
    if (!text || text->empty()) continue;
    // libpci reads the first line with fgets() into 16 bytes.
    std::string line = text->substr(0, std::min<std::size_t>(15, text->find('\n') + 1));
    Slot s{{}, name};
    if (parse_address(line, s.at, false)) out.push_back(std::move(s));
    else ctx.warn("pci", "sysfs_fill_slots: Couldn't parse entry address " + line);
  }
  return out;
}

const std::string* slot_of(const std::vector<Slot>& slots, const Address& a) {
  for (const auto& s : slots)
    if (s.at.domain == a.domain && s.at.bus == a.bus && s.at.dev == a.dev) return &s.name;
  return nullptr;
}

}  // namespace

void probe_pci(ProbeContext& ctx) {
  if (!ctx.root.is_dir("/sys/bus/pci/devices")) {
    ctx.warn("pci", "no /sys/bus/pci/devices (no PCI bus, or not recorded)");
    return;
  }
  // Names from our own in-place pci.ids lookup, not libpci's (see ids_file.hpp).
  auto ids = IdsFile::open(path_join(ctx.options.ids_dir.native(), "pci.ids"));
  if (!ids) ctx.warn("pci", "no pci.ids: " + ids.message() + ": device names unknown");
  const bool kernel_links = kernel_exports_pcie_links(ctx.root);
  const SysDir bus = ctx.root.dir("/sys/bus/pci");
  if (auto functions = list_functions(ctx, bus)) {
    Libpci pci(ctx);
    // libpci lists the slots when the first function's are asked for.
    std::vector<Slot> slots;
    if (!functions->empty()) slots = list_slots(ctx, bus);
    for (const Address& at : *functions) {
      // Every read of the function under one open directory.
      const SysDir sys = bus.dir("devices/" + bdf(at));
      auto fn = from_uevent(sys);
      if (!fn) {
        auto id = pci.identity(at);
        if (!id) continue;
        fn.emplace();
        static_cast<PciIdentity&>(*fn) = *id;
      }
      if (const std::string* slot = slot_of(slots, at)) fn->slot = *slot;
      add_function(ctx, ids ? &*ids : nullptr, pci, at, sys, *fn, kernel_links);
    }
  }
  if (ids)
    for (const auto& p : ids->problems()) ctx.warn("pci", "pci.ids " + p);
}

}  // namespace certify::probe
