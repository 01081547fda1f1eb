// pci probe: libpci over a recorded sysroot.
#include <doctest/doctest.h>

#include <fstream>

#include "probe/probe.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;
namespace fs = std::filesystem;

namespace {

Inventory probe_pci_only(const fs::path& root_dir) {
  Sysroot root(root_dir);
  ProbeOptions o;
  o.classes = {"pci"};
  auto inv = probe_all(root, o);
  REQUIRE(inv.ok());
  return std::move(inv).value();
}

}  // namespace

TEST_CASE("pci functions of the virtio VM with IDs, names and classes") {
  auto inv = probe_pci_only(certify::test::fixture("vm-virtio"));
  REQUIRE(inv.devices.size() == 6);
  const Device* nic = inv.find("pci:0000:00:03.0");
  REQUIRE(nic);
  CHECK(nic->cls == "nic");
  CHECK(nic->vendor_id == "0x1af4");
  CHECK(nic->device_id == "0x1041");
  CHECK(nic->vendor == "Red Hat, Inc.");
  CHECK(nic->model == "Virtio 1.0 network device");
  CHECK(nic->driver == "virtio-pci");
  CHECK(nic->props["class_code"] == "0x020000");
  CHECK(nic->props["revision"] == "0x01");
  const Device* host = inv.find("pci:0000:00:00.0");
  REQUIRE(host);
  CHECK(host->cls == "bridge");
  CHECK(inv.find("pci:0000:00:04.0")->cls == "other");
  auto golden = certify::test::check_golden(to_json(inv), certify::test::fixture("vm-virtio/expected/pci.json"));
  CHECK_MESSAGE(golden.empty(), golden);
}

TEST_CASE("pci: missing bus directory is a warning, a broken config a warning") {
  certify::test::TempDir t;
  auto inv = probe_pci_only(t.path());
  CHECK(inv.devices.empty());
  REQUIRE(inv.warnings.size() == 1);
  CHECK(inv.warnings[0].message.find("/sys/bus/pci/devices") != std::string::npos);

  // A function whose attributes lie (garbage class) and whose config space is empty.
  fs::create_directories(t / "sys/devices/pci0000:00/0000:00:1f.0");
  fs::create_directories(t / "sys/bus/pci/devices");
  fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:1f.0",
                               t / "sys/bus/pci/devices/0000:00:1f.0");
  std::ofstream(t / "sys/devices/pci0000:00/0000:00:1f.0/vendor") << "0x8086\n";
  std::ofstream(t / "sys/devices/pci0000:00/0000:00:1f.0/device") << "0x1234\n";
  std::ofstream(t / "sys/devices/pci0000:00/0000:00:1f.0/class") << "zzz\n";
  std::ofstream(t / "sys/devices/pci0000:00/0000:00:1f.0/config") << "";
  auto inv2 = probe_pci_only(t.path());
  REQUIRE(inv2.devices.size() == 1);
  CHECK(inv2.devices[0].vendor_id == "0x8086");
  CHECK(inv2.devices[0].cls == "other");
  REQUIRE(inv2.warnings.size() == 1);
  CHECK(inv2.warnings[0].message.find("unparsable class") != std::string::npos);
}

TEST_CASE("pcie link below maximum is flagged") {
  PcieLink l;
  l.speed = "8.0 GT/s";
  l.max_speed = "16.0 GT/s";
  l.width = 4;
  l.max_width = 4;
  CHECK(l.degraded());
  l.speed = "16.0 GT/s";
  CHECK_FALSE(l.degraded());
  l.width = 2;
  CHECK(l.degraded());
}
