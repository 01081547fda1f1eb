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

namespace {

const Device& need(const Inventory& inv, const char* id) {
  const Device* d = inv.find(id);
  REQUIRE_MESSAGE(d, id);
  return *d;
}

}  // namespace

TEST_CASE("lab-q35: NVMe controllers with 1 and 2 namespaces") {
  auto inv = lab_inventory({"nvme"});
  const auto& c0 = need(inv, "pci:0000:01:00.0");
  const auto& c1 = need(inv, "pci:0000:02:00.0");
  CHECK(c0.props["serial"] == "NVME-LAB-0001");
  CHECK(c1.props["serial"] == "NVME-LAB-0002");
  CHECK(c0.props["model_number"] == "QEMU NVMe Ctrl");
  CHECK(c0.firmware == "7.2.22");
  CHECK(c0.props["transport"] == "pcie");
  CHECK(c0.props["controller"] == "nvme0");
  CHECK(c0.props["io_queues"] == 4);
  CHECK(c0.props["namespaces"] == nlohmann::json::array({"nvme:nvme0n1"}));
  CHECK(c1.props["namespaces"] == nlohmann::json::array({"nvme:nvme1n1", "nvme:nvme1n2"}));
  const auto& ns = need(inv, "nvme:nvme1n2");
  CHECK(ns.parent == "pci:0000:02:00.0");
  CHECK(ns.props["nsid"] == 2);
  CHECK(ns.props["lba_size"] == 512);
  CHECK(ns.props["size_bytes"] == 64 * 1024 * 1024);
  CHECK(ns.props["block_device"] == "nvme1n2");
  CHECK(need(inv, "nvme:nvme0n1").props["size_bytes"] == 256 * 1024 * 1024);
  CHECK(inv.devices.size() == 5);
}

TEST_CASE("lab-q35: e1000e and virtio NICs with their MACs; loopback virtual") {
  auto inv = lab_inventory({"nic"});
  const auto& e = need(inv, "net:eth1");
  CHECK(e.parent == "pci:0000:09:00.0");
  CHECK(e.driver == "e1000e");
  CHECK(e.props["mac"] == "52:54:00:00:0e:01");
  CHECK(e.props["virtual"] == false);
  CHECK(e.props["mtu"] == 1500);
  CHECK(e.props["link_type"] == "ethernet");
  CHECK(e.vendor == "Intel Corporation");
  const auto& v = need(inv, "net:eth0");
  CHECK(v.parent == "pci:0000:04:00.0");
  CHECK(v.driver == "virtio_net");
  CHECK(v.props["mac"] == "52:54:00:00:0e:02");
  CHECK(need(inv, "pci:0000:09:00.0").props["interfaces"] == nlohmann::json::array({"eth1"}));
  const auto& lo = need(inv, "net:lo");
  CHECK(lo.bus == "virtual");
  CHECK(lo.props["virtual"] == true);
  CHECK(lo.props["kind"] == "loopback");
  CHECK(lo.parent.empty());
}

TEST_CASE("lab-q35: MegaRAID, virtio-scsi, mptsas, sym53c8xx and AHCI adapters with their disks") {
  auto inv = lab_inventory({"hba", "disk"});
  const auto& mr = need(inv, "pci:0000:05:00.0");
  CHECK(mr.cls == "hba");
  CHECK(mr.props["proc_name"] == "megaraid_sas");
  CHECK(mr.props["disks"] == nlohmann::json::array({"block:sdb"}));
  const auto& disk = need(inv, "block:sdb");
  CHECK(disk.cls == "disk");
  CHECK(disk.parent == "pci:0000:05:00.0");
  CHECK(disk.props["serial"] == "MR-DISK-0001");
  CHECK(disk.props["scsi_address"] == "0:2:0:0");
  CHECK(disk.props["size_bytes"] == 256 * 1024 * 1024);
  CHECK(disk.props["transport"] == "scsi");
  CHECK(disk.vendor == "QEMU");
  CHECK(disk.model == "QEMU HARDDISK");
  CHECK(need(inv, "block:sdc").parent == "pci:0000:06:00.0");
  CHECK(need(inv, "block:sdc").props["serial"] == "VS-DISK-0001");
  CHECK(need(inv, "block:sda").parent == "pci:0000:0a:02.0");
  CHECK(need(inv, "block:sda").props["serial"] == "LSI-DISK-0001");
  // The USB stick's disk hangs from the USB device, not from an adapter.
  CHECK(need(inv, "block:sdd").parent == "usb:2-2");
  CHECK(need(inv, "block:sdd").props["transport"] == "usb");
  const auto& mpt = need(inv, "pci:0000:0a:01.0");
  CHECK(mpt.firmware == "01.50.146.00");
  CHECK(mpt.props["proc_name"] == "mptsas");
  // mptsas' disk had not attached when the guest was recorded.
  CHECK(mpt.props["disks"].empty());
  CHECK(need(inv, "pci:0000:00:1f.2").props["scsi_hosts"].size() == 6);
  CHECK(inv.find("scsi_host:host10") == nullptr);
}

TEST_CASE("lab-q35: display adapters, xHCI with keyboard and storage") {
  auto inv = lab_inventory({"gpu", "usb"});
  const auto& vg = need(inv, "pci:0000:08:00.0");
  CHECK(vg.props["drm_cards"] == nlohmann::json::array({"card1"}));
  CHECK(vg.props["drm_render_nodes"] == nlohmann::json::array({"renderD128"}));
  CHECK(vg.props["drm_driver"] == "virtio_gpu");
  CHECK(vg.props["connectors"][0]["name"] == "Virtual-2");
  const auto& bochs = need(inv, "pci:0000:00:01.0");
  CHECK(bochs.driver == "bochs-drm");
  CHECK(bochs.props["drm_cards"] == nlohmann::json::array({"card0"}));
  const auto& hc = need(inv, "pci:0000:07:00.0");
  CHECK(hc.props["usb_buses"] == nlohmann::json::array({1, 2}));
  const auto& kbd = need(inv, "usb:1-1");
  CHECK(kbd.parent == "pci:0000:07:00.0");
  CHECK(kbd.vendor_id == "0x0627");
  CHECK(kbd.device_id == "0x0001");
  CHECK(kbd.props["product"] == "QEMU USB Keyboard");
  CHECK(kbd.driver == "usbhid");
  CHECK(kbd.props["interfaces"][0]["class_name"] == "Human Interface Device");
  const auto& stick = need(inv, "usb:2-2");
  CHECK(stick.vendor == "QEMU");
  CHECK(stick.props["serial"] == "USB-SN-0001");
  CHECK(stick.props["speed_mbps"] == 5000);
  CHECK(stick.driver == "usb-storage");
}

TEST_CASE("lab-q35: complete inventory matches its golden and the schema") {
  auto inv = lab_inventory();
  // Every PCI function is classified; only the SMBus controller is "other".
  for (const auto& d : inv.devices)
    if (d.bus == "pci" && d.id.rfind("pci:", 0) == 0 && d.cls == "other")
      CHECK_MESSAGE(d.id == "pci:0000:00:1f.3", d.id);
  CHECK(inv.find("dpu:0000:05:00") == nullptr);  // nothing here is in dpu.ids
  nlohmann::json devs = nlohmann::json::array();
  for (const auto& d : inv.devices) devs.push_back(to_json(d));
  nlohmann::json doc{{"devices", devs}};
  auto golden = certify::test::check_golden(doc, certify::test::fixture("lab-q35/expected/devices.json"));
  CHECK_MESSAGE(golden.empty(), golden);
  auto errors = certify::test::schema_errors(to_json(inv), "schemas/inventory.schema.json");
  CHECK_MESSAGE(errors.empty(), errors);
}

TEST_CASE("lab-q35: certify probe --format table shows one section per class, children under parents") {
  auto r = certify::test::run_command({certify::test::build_path("cli/certify").string(), "probe",
                                       "--sysroot", certify::test::fixture("lab-q35").string(),
                                       "--no-live", "--format", "table"});
  REQUIRE(r.exit_code == 0);
  for (const char* s : {"NVME (5)", "NIC (5)", "HBA (5)", "DISK (4)", "GPU (2)", "USB (3)", "OTHER (1)"})
    CHECK_MESSAGE(r.out.find(s) != std::string::npos, s);
  // Namespaces indented right below their controller, with size and serial at a glance.
  auto ctrl = r.out.find("  pci:0000:02:00.0");
  auto ns1 = r.out.find("    nvme:nvme1n1");
  auto ns2 = r.out.find("    nvme:nvme1n2");
  REQUIRE(ctrl != std::string::npos);
  CHECK(ctrl < ns1);
  CHECK(ns1 < ns2);
  CHECK(r.out.find("sn NVME-LAB-0002") != std::string::npos);
  CHECK(r.out.find("    net:eth1") != std::string::npos);
  CHECK(r.out.find("52:54:00:00:0e:01") != std::string::npos);
  CHECK(r.out.find("sn MR-DISK-0001") != std::string::npos);
  CHECK(r.out.find("on pci:0000:05:00.0") != std::string::npos);
}
