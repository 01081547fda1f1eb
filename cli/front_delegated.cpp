// What the probe front (front.cpp) is linked without, and leaves to
// certify-full: libpci, needed only for a PCI function whose sysfs
// attributes do not say it all (no uevent: a sysroot recorded by hand or by
// another tool; no real kernel lacks it), and the hash of --anonymize
// (OpenSSL). Without them the front links statically (-static-pie): no
// dynamic loader, no shared library to map, relocate and look symbols up
// in, which was half of a bare start-up and about a tenth of a full probe in
// a TCG lab guest (bench/probe.sh). Each part throws NotInThisExecutable;
// the front then runs certify-full on the same command line, which prints
// what it prints itself (tests/cli_probe_test.cpp).
#include "probe/inventory.hpp"
#include "probe/pci_libpci.hpp"

namespace certify::probe {

struct Libpci::State {};

Libpci::Libpci(ProbeContext& ctx) : ctx_(ctx) {}

Libpci::~Libpci() = default;

std::optional<PciIdentity> Libpci::identity(const PciAddress& at) {
  throw NotInThisExecutable("libpci, for PCI function " + bdf(at) + ", which has no uevent to read");
}

std::optional<PciExpressLink> Libpci::express_link(const PciAddress& at) {
  throw NotInThisExecutable("libpci, for the PCIe link of " + bdf(at) + ", whose config space cannot be read");
}

void anonymize(nlohmann::json&, std::string_view) {
  throw NotInThisExecutable("the hash of --anonymize (OpenSSL)");
}

}  // namespace certify::probe
