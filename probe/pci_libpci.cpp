// libpci for the PCI probe (pci_libpci.hpp): its sysfs back end pointed into
// the sysroot, for the functions whose attributes do not say it all.
#include "probe/pci_libpci.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <vector>

extern "C" {
#include <pci/pci.h>
}

namespace certify::probe {

namespace {

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

// pci_fill_info() may report a fatal error: called with no C++ object
// alive between setjmp and the callback's longjmp.
bool fill(pci_dev* d, int flags, std::jmp_buf& jb) {
  t_pci_jump = &jb;
  if (setjmp(jb) != 0) return false;
  pci_fill_info(d, flags);
  return true;
}

bool init(pci_access* a, std::jmp_buf& jb) {
  t_pci_jump = &jb;
  if (setjmp(jb) != 0) return false;
  pci_init(a);
  return true;
}

}  // namespace

struct Libpci::State {
  pci_access* a = nullptr;
  bool started = false;
  std::string sysfs;
  std::vector<pci_dev*> devs;
  std::vector<PciAddress> addrs;
  std::jmp_buf jb;

  ~State() {
    for (pci_dev* d : devs) pci_free_dev(d);
    if (a) pci_cleanup(a);
  }

  void start(ProbeContext& ctx) {
    started = true;
    a = pci_alloc();
    a->method = PCI_ACCESS_SYS_BUS_PCI;
    a->error = on_pci_error;
    a->warning = on_pci_warning;
    a->debug = on_pci_debug;
    sysfs = ctx.root.host_path("/sys/bus/pci").string();
    pci_set_param(a, const_cast<char*>("sysfs.path"), sysfs.data());
    if (!init(a, jb)) {
      ctx.warn("pci", std::string("libpci: ") + t_pci_error);
      pci_cleanup(a);
      a = nullptr;
    }
  }

  // libpci's device at `at` (not scanned: pci_get_dev), nullptr when libpci
  // could not start (warned once).
  pci_dev* dev(ProbeContext& ctx, const PciAddress& at) {
    if (!started) start(ctx);
    if (!a) return nullptr;
    for (std::size_t i = 0; i < devs.size(); ++i)
      if (addrs[i].domain == at.domain && addrs[i].bus == at.bus && addrs[i].dev == at.dev &&
          addrs[i].func == at.func)
        return devs[i];
    devs.push_back(pci_get_dev(a, static_cast<int>(at.domain), static_cast<int>(at.bus),
                               static_cast<int>(at.dev), static_cast<int>(at.func)));
    addrs.push_back(at);
    return devs.back();
  }
};

Libpci::Libpci(ProbeContext& ctx) : ctx_(ctx), state_(std::make_unique<State>()) { t_pci_ctx = &ctx; }

Libpci::~Libpci() {
  state_.reset();  // libpci's cleanup may still warn
  t_pci_ctx = nullptr;
  t_pci_jump = nullptr;
}

std::optional<PciIdentity> Libpci::identity(const PciAddress& at) {
  pci_dev* d = state_->dev(ctx_, at);
  if (!d) return std::nullopt;
  if (!fill(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS | PCI_FILL_NUMA_NODE |
                   PCI_FILL_IOMMU_GROUP,
            state_->jb)) {
    ctx_.warn("pci", bdf(at) + ": libpci: " + t_pci_error);
    return std::nullopt;
  }
  PciIdentity f;
  f.vendor = d->vendor_id;
  f.device = d->device_id;
  f.device_class = d->device_class;
  f.prog_if = d->prog_if;
  f.rev = d->rev_id;
  f.subsys_vendor = d->subsys_vendor_id;
  f.subsys_device = d->subsys_id;
  f.numa_node = d->numa_node;
  if (const char* g = pci_get_string_property(d, PCI_FILL_IOMMU_GROUP)) f.iommu_group = g;
  return f;
}

std::optional<PciExpressLink> Libpci::express_link(const PciAddress& at) {
  pci_dev* d = state_->dev(ctx_, at);
  if (!d) return std::nullopt;
  if (!fill(d, PCI_FILL_CAPS, state_->jb)) {
    ctx_.warn("pci", bdf(at) + ": libpci: " + t_pci_error);
    return std::nullopt;
  }
  pci_cap* cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
  if (!cap) return std::nullopt;
  return PciExpressLink{pci_read_long(d, cap->addr + PCI_EXP_LNKCAP), pci_read_word(d, cap->addr + PCI_EXP_LNKSTA)};
}

}  // namespace certify::probe
