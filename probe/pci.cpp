// pci: every PCI function through libpci (sysfs back end pointed into the
// sysroot): IDs and names, class, revision, driver and module, NUMA node,
// IOMMU group, PCIe link (current and maximum), SR-IOV.
#include <charconv>
#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <string>

extern "C" {
#include <pci/pci.h>
}

#include "probe/ids_file.hpp"
#include "probe/probe.hpp"

namespace certify::probe {

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

// libpci reports fatal errors through a callback that must not return; we
// jump back to the scan. Thread-local because C callbacks carry no context.
thread_local std::jmp_buf* t_pci_jump = nullptr;
thread_local char t_pci_error[512];
thread_local ProbeContext* t_pci_ctx = nullptr;

// GNU noreturn, not [[noreturn]]: libpci's callback type carries the
// attribute (PCI_NONRET) and clang only converts a function whose type has it.
__attribute__((noreturn)) void on_pci_error(char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(t_pci_error, sizeof t_pci_error, fmt, ap);
  va_end(ap);
  std::longjmp(*t_pci_jump, 1);
}

void on_pci_warning(char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (t_pci_ctx) t_pci_ctx->warn("pci", buf);
}

void on_pci_debug(char*, ...) {}

std::string hex4(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%04x", v & 0xffff);
  return b;
}

std::string bdf(const pci_dev* d) {
  char b[32];
  std::snprintf(b, sizeof b, "%04x:%02x:%02x.%x", static_cast<unsigned>(d->domain), d->bus, d->dev,
                d->func);
  return b;
}

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

// pci_fill_info() may report a fatal error: called with no C++ object
// alive between setjmp and the callback's longjmp.
bool fill(pci_dev* d, int flags, std::jmp_buf& jb) {
  t_pci_jump = &jb;
  if (setjmp(jb) != 0) return false;
  pci_fill_info(d, flags);
  return true;
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
std::optional<PcieLink> pcie_link(ProbeContext& ctx, pci_dev* d, const SysDir& sys, bool kernel_links,
                                  std::jmp_buf& jb) {
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
    // Only now the capability list: walking it reads config space a few
    // bytes per system call, the most expensive part of filling a function.
    if (!fill(d, PCI_FILL_CAPS, jb)) {
      ctx.warn("pci", bdf(d) + ": libpci: " + t_pci_error);
      return std::nullopt;
    }
    pci_cap* cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
    if (!cap) return std::nullopt;
    unsigned lnkcap = pci_read_long(d, cap->addr + PCI_EXP_LNKCAP);
    unsigned lnksta = pci_read_word(d, cap->addr + PCI_EXP_LNKSTA);
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

// The facts of one function the inventory takes from libpci's fields.
struct Fn {
  unsigned vendor = 0, device = 0, device_class = 0 /* 0xCCSS */, prog_if = 0, rev = 0;
  unsigned subsys_vendor = 0, subsys_device = 0;
  int numa_node = -1;
  std::optional<std::string> iommu_group, slot;
  bool from_uevent = false;  // else from libpci's reads of the attributes
};

Fn from_libpci(pci_dev* d) {
  Fn f;
  f.vendor = d->vendor_id;
  f.device = d->device_id;
  f.device_class = d->device_class;
  f.prog_if = d->prog_if;
  f.rev = d->rev_id;
  f.subsys_vendor = d->subsys_vendor_id;
  f.subsys_device = d->subsys_id;
  f.numa_node = d->numa_node;
  if (const char* g = pci_get_string_property(d, PCI_FILL_IOMMU_GROUP)) f.iommu_group = g;
  if (d->phy_slot) f.slot = d->phy_slot;
  return f;
}

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

void add_function(ProbeContext& ctx, const IdsFile* ids, pci_dev* d, const SysDir& sys, const Fn& fn,
                  bool kernel_links, std::jmp_buf& jb) {
  const std::string addr = bdf(d);
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
  if (auto drv = sys.link_name("driver")) dev.driver = *drv;
  if (fn.numa_node >= 0) dev.numa_node = fn.numa_node;
  dev.pcie = pcie_link(ctx, d, sys, kernel_links, jb);

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

// The libpci calls that may report a fatal error run here, with no C++
// object alive between setjmp and the callback's longjmp.
bool scan(pci_access* a, std::jmp_buf& jb) {
  t_pci_jump = &jb;
  if (setjmp(jb) != 0) return false;
  pci_init(a);
  pci_scan_bus(a);
  return true;
}

}  // namespace

void probe_pci(ProbeContext& ctx) {
  if (!ctx.root.is_dir("/sys/bus/pci/devices")) {
    ctx.warn("pci", "no /sys/bus/pci/devices (no PCI bus, or not recorded)");
    return;
  }
  pci_access* a = pci_alloc();
  a->method = PCI_ACCESS_SYS_BUS_PCI;
  a->error = on_pci_error;
  a->warning = on_pci_warning;
  a->debug = on_pci_debug;
  std::string sysfs = ctx.root.host_path("/sys/bus/pci").string();
  pci_set_param(a, const_cast<char*>("sysfs.path"), sysfs.data());
  // Names from our own in-place pci.ids lookup, not libpci's (see ids_file.hpp).
  auto ids = IdsFile::open(ctx.options.ids_dir / "pci.ids");
  if (!ids) ctx.warn("pci", "no pci.ids: " + ids.message() + ": device names unknown");
  const bool kernel_links = kernel_exports_pcie_links(ctx.root);
  t_pci_ctx = &ctx;
  std::jmp_buf jb;
  if (!scan(a, jb)) {
    ctx.warn("pci", std::string("libpci: ") + t_pci_error);
  } else {
    for (pci_dev* d = a->devices; d; d = d->next) {
      // Every read of the function under one open directory.
      const SysDir sys = ctx.root.dir("/sys/bus/pci/devices/" + bdf(d));
      auto fn = from_uevent(sys);
      // The slot list is one scan of /sys/bus/pci/slots for every function.
      int flags = fn ? PCI_FILL_PHYS_SLOT
                     : PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS | PCI_FILL_NUMA_NODE |
                           PCI_FILL_IOMMU_GROUP | PCI_FILL_PHYS_SLOT;
      if (!fill(d, flags, jb)) {
        ctx.warn("pci", bdf(d) + ": libpci: " + t_pci_error);
        continue;
      }
      if (fn) {
        if (d->phy_slot) fn->slot = d->phy_slot;
      } else {
        fn = from_libpci(d);
      }
      add_function(ctx, ids ? &*ids : nullptr, d, sys, *fn, kernel_links, jb);
    }
  }
  t_pci_ctx = nullptr;
  t_pci_jump = nullptr;
  pci_cleanup(a);
  if (ids)
    for (const auto& p : ids->problems()) ctx.warn("pci", "pci.ids " + p);
}

}  // namespace certify::probe
