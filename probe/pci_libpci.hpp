// libpci behind a small interface: what the PCI probe asks it for the
// functions whose sysfs attributes do not say it all. An executable can be
// linked without it: the probe front (cli/front.cpp) is, and leaves such a
// sysroot to certify-full (cli/front_delegated.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "probe/probe.hpp"

namespace certify::probe {

// A function's address as libpci holds it (pci_dev: int domain, u8 bus,
// dev and func).
struct PciAddress {
  unsigned domain = 0, bus = 0, dev = 0, func = 0;
};

// "0000:3b:00.0"
std::string bdf(const PciAddress& a);

// What libpci's sysfs back end reads for PCI_FILL_IDENT, CLASS, CLASS_EXT,
// SUBSYS, NUMA_NODE and IOMMU_GROUP.
struct PciIdentity {
  unsigned vendor = 0, device = 0, device_class = 0 /* 0xCCSS */, prog_if = 0, rev = 0;
  unsigned subsys_vendor = 0, subsys_device = 0;
  int numa_node = -1;                       // -1: none
  std::optional<std::string> iommu_group;  // its number, as the link names it
};

// The first PCI Express capability's Link Capabilities (32 bits) and Link
// Status (16 bits) registers.
struct PciExpressLink {
  unsigned lnkcap = 0, lnksta = 0;
};

// libpci with its sysfs back end pointed into the sysroot, started when a
// function first needs it: on a kernel that exports uevent and the link
// attributes, never. One per probe run, on one thread (libpci's error
// callback finds its context through a thread-local).
class Libpci {
 public:
  explicit Libpci(ProbeContext& ctx);
  ~Libpci();
  Libpci(const Libpci&) = delete;
  Libpci& operator=(const Libpci&) = delete;

  // nullopt, with a warning, when libpci cannot start or read the function.
  std::optional<PciIdentity> identity(const PciAddress& at);
  // nullopt when the function has no PCI Express capability, or (with a
  // warning) when libpci cannot read it.
  std::optional<PciExpressLink> express_link(const PciAddress& at);

 private:
  struct State;
  ProbeContext& ctx_;
  std::unique_ptr<State> state_;
};

}  // namespace certify::probe
