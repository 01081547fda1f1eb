// pci probe over recorded and hand-made sysroots: functions, names, slots, links.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
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

namespace {

// A kernel that exports the link attributes (4.13 and later): a function
// without them has no link, and its config space is not read.
void add_kernel_release(const fs::path& t) {
  fs::create_directories(t / "proc/sys/kernel");
  std::ofstream(t / "proc/sys/kernel/osrelease") << "6.1.0\n";
}

// A function under sysroot `t` with what its uevent and attributes say.
void add_function(const fs::path& t, const std::string& bdf, const std::string& uevent) {
  fs::path dir = t / "sys/devices/pci0000:00" / bdf;
  fs::create_directories(dir);
  fs::create_directories(t / "sys/bus/pci/devices");
  fs::create_directory_symlink("../../../devices/pci0000:00/" + bdf, t / "sys/bus/pci/devices" / bdf);
  std::ofstream(dir / "uevent") << uevent;
  std::ofstream(dir / "revision") << "0x01\n";
}

void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// Config space with a capability list: status says there is one, the
// list starts at 0x40; `caps` are (offset, id, next) and a link's
// registers (LNKCAP at +0x0c, LNKSTA at +0x12) for each Express one.
std::string config_with(std::initializer_list<std::array<unsigned, 5>> caps, std::size_t size = 256) {
  std::string c(size, '\0');
  auto put = [&](unsigned pos, unsigned value, unsigned width) {
    for (unsigned i = 0; i < width && pos + i < c.size(); ++i) c[pos + i] = static_cast<char>(value >> (8 * i));
  };
  put(0x06, 0x10, 2);  // PCI_STATUS_CAP_LIST
  put(0x34, 0x40, 1);
  for (const auto& [at, id, next, lnkcap, lnksta] : caps) {
    put(at, id, 1);
    put(at + 1, next, 1);
    put(at + 0x0c, lnkcap, 4);
    put(at + 0x12, lnksta, 2);
  }
  return c;
}

}  // namespace

TEST_CASE("pci: slots from /sys/bus/pci/slots/*/address; a malformed address is libpci's warning, an empty one skipped") {
  certify::test::TempDir t;
  add_kernel_release(t.path());
  const std::string ue = "PCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:0000\n";
  add_function(t.path(), "0000:00:01.0", ue);
  add_function(t.path(), "0000:00:01.1", ue);
  add_function(t.path(), "0000:00:02.0", ue);
  for (auto [slot, address] : {std::pair{"7", "0000:00:01\n"}, std::pair{"8", "garbage\n"}, std::pair{"9", ""},
                               std::pair{"10", "0000:00\n"}}) {
    fs::create_directories(t / "sys/bus/pci/slots" / slot);
    std::ofstream(t / "sys/bus/pci/slots" / slot / "address") << address;
  }
  auto inv = probe_pci_only(t.path());
  REQUIRE(inv.devices.size() == 3);
  // Every function of the device at the slot's address.
  CHECK(inv.find("pci:0000:00:01.0")->props.value("slot", "") == "7");
  CHECK(inv.find("pci:0000:00:01.1")->props.value("slot", "") == "7");
  CHECK_FALSE(inv.find("pci:0000:00:02.0")->props.contains("slot"));
  std::vector<std::string> messages;
  for (const auto& w : inv.warnings) messages.push_back(w.message);
  std::sort(messages.begin(), messages.end());
  REQUIRE(messages.size() == 2);  // the empty one says nothing
  CHECK(messages[0] == "sysfs_fill_slots: Couldn't parse entry address 0000:00\n");
  CHECK(messages[1] == "sysfs_fill_slots: Couldn't parse entry address garbage\n");
}

TEST_CASE("pci: a function directory whose name is not an address stops the scan, as libpci's does") {
  certify::test::TempDir t;
  add_function(t.path(), "0000:00:01.0", "PCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:0000\n");
  fs::create_directories(t / "sys/bus/pci/devices/bogus");
  auto inv = probe_pci_only(t.path());
  CHECK(inv.devices.empty());
  REQUIRE(inv.warnings.size() == 1);
  CHECK(inv.warnings[0].message == "libpci: sysfs_scan: Couldn't parse entry name bogus");
}

TEST_CASE("pci: the driver named by uevent, no driver when it names none") {
  certify::test::TempDir t;
  add_kernel_release(t.path());
  add_function(t.path(), "0000:00:01.0", "DRIVER=e1000e\nPCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:0000\n");
  add_function(t.path(), "0000:00:02.0", "PCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:0000\n");
  auto inv = probe_pci_only(t.path());
  CHECK(inv.find("pci:0000:00:01.0")->driver == "e1000e");
  CHECK(inv.find("pci:0000:00:02.0")->driver.empty());
  CHECK_FALSE(inv.find("pci:0000:00:02.0")->props.contains("module"));
}

TEST_CASE("pci: the link from the Express capability in config space when the kernel does not export it") {
  certify::test::TempDir t;
  const std::string ue = "PCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:0000\n";
  const std::string devices = "sys/devices/pci0000:00/";
  // No osrelease: the capability list is walked. 0x40 power management,
  // 0x60 Express (8 GT/s x4 of 16 GT/s x8), 0x80 a second Express (ignored).
  add_function(t.path(), "0000:00:01.0", ue);
  write_bytes(t / (devices + "0000:00:01.0/config"),
              config_with({{0x40, 0x01, 0x60, 0, 0}, {0x60, 0x10, 0x80, 0x84, 0x43}, {0x80, 0x10, 0, 0x11, 0x11}}));
  // A list that loops back on itself, with no Express capability.
  add_function(t.path(), "0000:00:02.0", ue);
  write_bytes(t / (devices + "0000:00:02.0/config"), config_with({{0x40, 0x01, 0x60, 0, 0}, {0x60, 0x05, 0x40, 0, 0}}));
  // What an unprivileged reader gets: 64 bytes, the list beyond them.
  add_function(t.path(), "0000:00:03.0", ue);
  write_bytes(t / (devices + "0000:00:03.0/config"), config_with({{0x60, 0x10, 0, 0x84, 0x43}}, 64));
  auto inv = probe_pci_only(t.path());
  const auto* a = inv.find("pci:0000:00:01.0");
  REQUIRE(a->pcie);
  CHECK(a->pcie->speed == "8.0 GT/s");
  CHECK(a->pcie->width == 4);
  CHECK(a->pcie->max_speed == "16.0 GT/s");
  CHECK(a->pcie->max_width == 8);
  CHECK_FALSE(inv.find("pci:0000:00:02.0")->pcie);
  CHECK_FALSE(inv.find("pci:0000:00:03.0")->pcie);
  for (const auto& w : inv.warnings) CHECK(w.message.find("trained below") != std::string::npos);
}
