// The virtual lab guest (tests/fixtures/lab-q35, recorded with
// scripts/record-lab-fixture): its exact inventory, class by class.
#include <doctest/doctest.h>

#include "probe/probe.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;

namespace {

Inventory lab_inventory(std::vector<std::string> classes = {}) {
  ProbeOptions o;
  o.classes = std::move(classes);
  o.live_queries = false;
  auto inv = probe_all(Sysroot(certify::test::fixture("lab-q35")), o);
  REQUIRE(inv.ok());
  return std::move(inv).value();
}

}  // namespace

TEST_CASE("lab-q35: every PCI function of the guest, classified") {
  auto inv = lab_inventory({"pci"});
  // 25 functions: host bridge, bochs, 9 root ports, PCIe-PCI bridge, ICH9
  // LPC/AHCI/SMBus, and the 12 devices behind the ports and the bridge.
  CHECK(inv.devices.size() == 25);
  struct Want {
    const char* id;
    const char* cls;
    const char* vendor_id;
    const char* device_id;
    const char* driver;
  };
  const Want want[] = {
      {"pci:0000:01:00.0", "nvme", "0x1b36", "0x0010", "nvme"},
      {"pci:0000:02:00.0", "nvme", "0x1b36", "0x0010", "nvme"},
      {"pci:0000:09:00.0", "nic", "0x8086", "0x10d3", "e1000e"},
      {"pci:0000:04:00.0", "nic", "0x1af4", "0x1041", "virtio-pci"},
      {"pci:0000:05:00.0", "hba", "0x1000", "0x0079", "megaraid_sas"},
      {"pci:0000:06:00.0", "hba", "0x1af4", "0x1048", "virtio-pci"},
      {"pci:0000:0a:01.0", "hba", "0x1000", "0x0054", "mptsas"},
      {"pci:0000:0a:02.0", "hba", "0x1000", "0x0012", "sym53c8xx"},
      {"pci:0000:00:1f.2", "hba", "0x8086", "0x2922", "ahci"},
      {"pci:0000:07:00.0", "usb", "0x1b36", "0x000d", "xhci_hcd"},
      {"pci:0000:08:00.0", "gpu", "0x1af4", "0x1050", "virtio-pci"},
      {"pci:0000:00:01.0", "gpu", "0x1234", "0x1111", "bochs-drm"},
  };
  for (const auto& w : want) {
    const Device* d = inv.find(w.id);
    REQUIRE_MESSAGE(d, w.id);
    CHECK_MESSAGE(d->cls == w.cls, w.id);
    CHECK_MESSAGE(d->vendor_id == w.vendor_id, w.id);
    CHECK_MESSAGE(d->device_id == w.device_id, w.id);
    CHECK_MESSAGE(d->driver == w.driver, w.id);
  }
  for (const auto& d : inv.devices) CHECK_MESSAGE(d.bus == "pci", d.id);
}

TEST_CASE("lab-q35: SMBIOS tables, meminfo and NUMA nodes were recorded") {
  Sysroot root(certify::test::fixture("lab-q35"));
  auto dmi = root.read("/sys/firmware/dmi/tables/DMI");
  REQUIRE(dmi);
  CHECK(dmi->find("HWLab-1000") != std::string::npos);
  CHECK(root.read("/sys/firmware/dmi/tables/smbios_entry_point"));
  CHECK(root.attr("/sys/class/dmi/id/product_name") == "HWLab-1000");
  CHECK(root.read("/proc/meminfo")->find("MemTotal:") != std::string::npos);
  CHECK(root.attr("/sys/devices/system/node/node1/cpulist") == "2-3");
  CHECK(root.attr("/proc/sys/kernel/hostname") == "certify-fixture");
}
