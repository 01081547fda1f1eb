// Device-class probes on hand-made sysroots (tests/tools/make_handmade_fixtures.py,
// from the kernel's documented sysfs layout) and on broken input.
#include <doctest/doctest.h>

#include <fstream>

#include "core/files.hpp"
#include "probe/probe.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;
namespace fs = std::filesystem;

namespace {

Inventory probe_fixture(const fs::path& root, std::vector<std::string> classes = {}) {
  ProbeOptions o;
  o.classes = std::move(classes);
  o.live_queries = false;
  auto inv = probe_all(Sysroot(root), o);
  REQUIRE(inv.ok());
  return std::move(inv).value();
}

const Device& need(const Inventory& inv, const std::string& id) {
  const Device* d = inv.find(id);
  REQUIRE_MESSAGE(d, id);
  return *d;
}

// Warnings from the device-class probes (the cpu/system probes also warn
// about what these minimal sysroots leave out).
std::vector<std::string> device_warnings(const Inventory& inv) {
  std::vector<std::string> out;
  for (const auto& w : inv.warnings)
    for (const char* s : {"nic", "hba", "nvme", "gpu", "dpu", "disk", "usb"})
      if (w.source == s) out.push_back(w.source + ": " + w.message);
  return out;
}

bool has_warning(const Inventory& inv, const std::string& part) {
  for (const auto& w : device_warnings(inv))
    if (w.find(part) != std::string::npos) return true;
  return false;
}

void golden(const Inventory& inv, const std::string& fixture) {
  nlohmann::json devs = nlohmann::json::array();
  for (const auto& d : inv.devices) devs.push_back(to_json(d));
  auto g = certify::test::check_golden(nlohmann::json{{"devices", devs}},
                                       certify::test::fixture(fixture + "/expected/devices.json"));
  CHECK_MESSAGE(g.empty(), g);
  auto errors = certify::test::schema_errors(to_json(inv), "schemas/inventory.schema.json");
  CHECK_MESSAGE(errors.empty(), errors);
}

void put(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}

}  // namespace

TEST_CASE("hand-made: FC HBA with two fc_host ports and a LUN") {
  auto inv = probe_fixture(certify::test::fixture("hw-fc-hba"));
  const auto& a = need(inv, "pci:0000:3b:00.0");
  CHECK(a.cls == "hba");
  CHECK(a.driver == "qla2xxx");
  CHECK(a.driver_version == "10.02.08.200-k");
  CHECK(a.firmware == "9.08.02 (d0d5)");
  CHECK(a.props["board"] == "QLE2742");
  CHECK(a.props["board_serial"] == "RFD2031K55432");
  CHECK(a.props["bios_version"] == "3.64");
  CHECK(a.props["disks"] == nlohmann::json::array({"block:sdb"}));
  CHECK(a.props["fc_ports"] == nlohmann::json::array({"fc:host7"}));
  const auto& p7 = need(inv, "fc:host7");
  CHECK(p7.parent == "pci:0000:3b:00.0");
  CHECK(p7.props["wwpn"] == "0x21000024ff7a1b2c");
  CHECK(p7.props["wwnn"] == "0x20000024ff7a1b2c");
  CHECK(p7.props["port_state"] == "Online");
  CHECK(p7.props["speed"] == "32 Gbit");
  CHECK(p7.props["supported_speeds"] == "8 Gbit, 16 Gbit, 32 Gbit");
  CHECK(need(inv, "fc:host8").props["port_state"] == "Linkdown");
  const auto& lun = need(inv, "block:sdb");
  CHECK(lun.vendor == "NETAPP");
  CHECK(lun.model == "LUN C-Mode");
  CHECK(lun.props["size_bytes"] == 1099511627776LL);
  CHECK(lun.props["rotational"] == false);
  CHECK(lun.props["scsi_address"] == "7:0:0:1");
  CHECK(lun.props["wwid"] == "naa.600a098038304437415d4b6a59684a52");
  CHECK(device_warnings(inv).empty());
  golden(inv, "hw-fc-hba");
}

TEST_CASE("hand-made: InfiniBand HCA port and IPoIB interface") {
  auto inv = probe_fixture(certify::test::fixture("hw-infiniband"));
  const auto& hca = need(inv, "pci:0000:af:00.0");
  CHECK(hca.cls == "nic");
  CHECK(hca.firmware == "20.31.1014");
  CHECK(hca.driver_version == "5.8-3.0.7");
  CHECK(hca.props["rdma_devices"] == nlohmann::json::array({"mlx5_0"}));
  const auto& port = need(inv, "ib:mlx5_0:1");
  CHECK(port.parent == "pci:0000:af:00.0");
  CHECK(port.props["state"] == "ACTIVE");
  CHECK(port.props["phys_state"] == "LinkUp");
  CHECK(port.props["rate"] == "200 Gb/sec (4X HDR)");
  CHECK(port.props["link_layer"] == "InfiniBand");
  CHECK(port.props["lid"] == "0x1a");
  CHECK(port.props["node_guid"] == "b859:9f03:00d4:5f2a");
  CHECK(port.props["port"] == 1);
  const auto& ib0 = need(inv, "net:ib0");
  CHECK(ib0.props["link_type"] == "infiniband");
  CHECK(ib0.props["mtu"] == 4092);
  CHECK(ib0.props["rx_queues"] == 8);
  CHECK(device_warnings(inv).empty());
  golden(inv, "hw-infiniband");
}

TEST_CASE("hand-made: BlueField-2 DPU groups its network and management functions") {
  auto inv = probe_fixture(certify::test::fixture("hw-dpu-bluefield2"));
  const auto& dpu = need(inv, "dpu:0000:03:00");
  CHECK(dpu.cls == "dpu");
  CHECK(dpu.model == "NVIDIA BlueField-2 DPU");
  CHECK(dpu.vendor == "Mellanox Technologies");
  CHECK(dpu.props["functions"] ==
        nlohmann::json::array({"pci:0000:03:00.0", "pci:0000:03:00.1", "pci:0000:03:00.2"}));
  CHECK(dpu.props["id_source"].get<std::string>().find("pci.ids") != std::string::npos);
  for (const char* f : {"pci:0000:03:00.0", "pci:0000:03:00.1", "pci:0000:03:00.2"}) {
    CHECK(need(inv, f).parent == "dpu:0000:03:00");
    CHECK(need(inv, f).props["dpu"] == "dpu:0000:03:00");
  }
  CHECK(need(inv, "pci:0000:03:00.0").cls == "nic");
  CHECK(need(inv, "net:ens1f0np0").parent == "pci:0000:03:00.0");
  CHECK(need(inv, "net:ens1f1np1").props["phys_port_name"] == "p1");
  CHECK(need(inv, "pci:0000:03:00.0").props["card"] == "0000:03:00");
  CHECK(device_warnings(inv).empty());
  golden(inv, "hw-dpu-bluefield2");
}

TEST_CASE("hand-made: GPU with VRAM attributes and an accelerator with an accel node") {
  auto inv = probe_fixture(certify::test::fixture("hw-gpu-vram"));
  const auto& g = need(inv, "pci:0000:c1:00.0");
  CHECK(g.cls == "gpu");
  CHECK(g.props["vram_total_bytes"] == 68702699520LL);
  CHECK(g.props["vram_used_bytes"] == 11141120);
  CHECK(g.props["gtt_total_bytes"] == 270373462016LL);
  CHECK(g.props["boot_vga"] == false);
  CHECK(g.props["drm_cards"] == nlohmann::json::array({"card1"}));
  CHECK(g.props["drm_render_nodes"] == nlohmann::json::array({"renderD128"}));
  CHECK(g.firmware == "113-D67301-063");
  CHECK(g.props["product_name"] == "AMD Instinct MI210");
  const auto& acc = need(inv, "pci:0000:41:00.0");
  CHECK(acc.cls == "gpu");
  CHECK(acc.props["class_code"] == "0x120000");
  CHECK(acc.props["accel_nodes"] == nlohmann::json::array({"accel0"}));
  CHECK(acc.driver_version == "1.15.1-62f612b");
  const auto& nv = need(inv, "pci:0000:81:00.0");
  CHECK(nv.cls == "gpu");
  CHECK(nv.driver_version == "535.104.05");
  CHECK(nv.firmware == "92.00.45.00.06");
  CHECK(nv.props["product_name"] == "NVIDIA A100 80GB PCIe");
  CHECK(nv.props["uuid"] == "GPU-3f2c8a1e-6d55-a2b4-91c3-0c7e5a6b4d21");
  CHECK(device_warnings(inv).empty());
  golden(inv, "hw-gpu-vram");
}

TEST_CASE("hand-made: NIC with 64 SR-IOV VFs linked to their PF") {
  auto inv = probe_fixture(certify::test::fixture("hw-nic-sriov64"), {"nic"});
  const auto& pf = need(inv, "pci:0000:5e:00.0");
  CHECK(pf.props["sriov_total_vfs"] == 64);
  CHECK(pf.props["sriov_num_vfs"] == 64);
  CHECK(pf.driver == "ice");
  CHECK(pf.driver_version == "1.12.7");
  CHECK(pf.pcie->degraded());
  int vfs = 0, vf_ports = 0;
  for (const auto& d : inv.devices) {
    if (d.id.rfind("pci:0000:5e:", 0) == 0 && d.id != pf.id) {
      ++vfs;
      CHECK(d.parent == pf.id);
      CHECK(d.props["sriov_vf"] == true);
      CHECK(d.driver == "iavf");
    }
    if (d.id.rfind("net:ens1f0v", 0) == 0) {
      ++vf_ports;
      CHECK(d.props["sriov_vf"] == true);
      CHECK(need(inv, d.parent).parent == pf.id);
    }
  }
  CHECK(vfs == 64);
  CHECK(vf_ports == 64);
  CHECK(need(inv, "net:ens1f0v63").props["mac"] == "02:00:00:00:00:3f");
  CHECK(need(inv, "net:ens1f0").props["speed_mbps"] == 25000);
  CHECK(device_warnings(inv).empty());
  golden(inv, "hw-nic-sriov64");
}

TEST_CASE("bad input: driver not bound, attributes missing, devices vanished") {
  certify::test::TempDir t;
  fs::copy(certify::test::fixture("hw-gpu-vram"), t.path(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  // The GPU loses its driver; the accelerator's accel node dangles.
  fs::remove(t / "sys/devices/pci0000:c0/0000:c0:01.1/0000:c1:00.0/driver");
  fs::remove_all(t / "sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0/accel");
  // A fabrics NVMe controller with nothing but a serial, one namespace without size.
  auto ctrl = t / "sys/devices/virtual/nvme-fabrics/ctl/nvme3";
  put(ctrl / "serial", "S1\n");
  put(ctrl / "transport", "tcp\n");
  put(ctrl / "nvme3n1/nsid", "1\n");
  fs::create_directories(t / "sys/class/nvme");
  fs::create_directory_symlink("../../devices/virtual/nvme-fabrics/ctl/nvme3", t / "sys/class/nvme/nvme3");
  // Class links whose devices went away between listing and reading.
  for (const char* l : {"sys/class/nvme/nvme9", "sys/class/net/eth9", "sys/class/block/sdz",
                        "sys/class/scsi_host/host9", "sys/class/infiniband/mlx5_9", "sys/class/drm/card7"}) {
    fs::create_directories((t / l).parent_path());
    fs::create_directory_symlink("../../devices/pci0000:99/0000:99:00.0/gone", t / l);
  }
  fs::create_directories(t / "sys/bus/usb/devices");
  fs::create_directory_symlink("../../../devices/pci0000:99/usb3/3-1", t / "sys/bus/usb/devices/3-1");
  auto inv = probe_fixture(t.path());
  // Still listed, with what is known.
  const auto& g = need(inv, "pci:0000:c1:00.0");
  CHECK(g.driver.empty());
  CHECK(g.props.value("vram_total_bytes", 0LL) == 68702699520LL);
  CHECK(has_warning(inv, "0000:c1:00.0: no driver bound"));
  CHECK(need(inv, "pci:0000:41:00.0").props.contains("accel_nodes") == false);
  CHECK(has_warning(inv, "accel0: DRM node vanished"));
  const auto& c = need(inv, "nvme:nvme3");
  CHECK(c.bus == "nvme-tcp");
  CHECK(c.props.value("serial", "") == "S1");
  CHECK(has_warning(inv, "nvme3: no model attribute"));
  CHECK(has_warning(inv, "nvme3n1: no size attribute"));
  CHECK(need(inv, "nvme:nvme3n1").props.value("nsid", 0) == 1);
  for (const char* w : {"nvme9: controller vanished", "eth9: interface vanished", "sdz: block device vanished",
                        "host9: SCSI host vanished", "mlx5_9: device vanished", "card7: DRM node vanished"})
    CHECK_MESSAGE(has_warning(inv, w), w);
  CHECK(inv.find("net:eth9") == nullptr);
  CHECK(inv.find("usb:3-1") == nullptr);
}

TEST_CASE("nvme: namespaces as block children and as native-multipath paths; other entries are not namespaces") {
  certify::test::TempDir t;
  auto ctrl = t / "sys/devices/virtual/nvme-fabrics/ctl/nvme4";
  put(ctrl / "transport", "tcp\n");
  put(ctrl / "model", "M\n");
  put(ctrl / "nvme4n1/nsid", "1\n");
  put(ctrl / "nvme4n1/size", "8\n");
  put(ctrl / "nvme4c4n2/nsid", "2\n");  // the hidden path; its head is the block device
  for (const char* odd : {"nvme4n", "nvme4c4n", "nvme4n1p1", "nvmexn1", "nvme4c4", "nvme4cn2", "nvme4n1x"})
    put(ctrl / odd / "nsid", "9\n");
  auto head = t / "sys/devices/virtual/nvme-subsystem/nvme-subsys4/nvme4n2";
  put(head / "nsid", "2\n");
  put(head / "size", "16\n");
  fs::create_directories(t / "sys/class/nvme");
  fs::create_directories(t / "sys/class/block");
  fs::create_directory_symlink("../../devices/virtual/nvme-fabrics/ctl/nvme4", t / "sys/class/nvme/nvme4");
  fs::create_directory_symlink("../../devices/virtual/nvme-subsystem/nvme-subsys4/nvme4n2",
                               t / "sys/class/block/nvme4n2");
  auto inv = probe_fixture(t.path());
  CHECK(need(inv, "nvme:nvme4").props["namespaces"] == nlohmann::json::array({"nvme:nvme4n2", "nvme:nvme4n1"}));
  CHECK(need(inv, "nvme:nvme4n1").props.value("size_bytes", 0) == 8 * 512);
  CHECK(need(inv, "nvme:nvme4n2").props.value("size_bytes", 0) == 16 * 512);
  CHECK(need(inv, "nvme:nvme4n2").props.value("nsid", 0) == 2);
  std::size_t namespaces = 0;
  for (const auto& d : inv.devices) namespaces += d.props.contains("nsid");
  CHECK(namespaces == 2);
}

TEST_CASE("dpu.ids: the shipped table parses; malformed lines are rejected with file:line") {
  auto text = certify::read_file(certify::test::source_path("hwdata/dpu.ids"));
  REQUIRE(text.ok());
  auto table = parse_dpu_ids(*text, "dpu.ids");
  REQUIRE_MESSAGE(table.ok(), (table.ok() ? "" : table.message()));
  CHECK(table->size() >= 40);
  for (const auto& e : *table) CHECK(!e.source.empty());
  struct Bad {
    const char* text;
    const char* error;
  };
  const Bad bad[] = {
      {"15b3:a2d6 | BlueField-2\n", "t.ids:1: expected"},
      {"# c\n\n15b3:a2d6 | BlueField-2 | \n", "t.ids:3: no source"},
      {"15b3:a2d6 |  | src\n", "empty product"},
      {"15b3:a2dg | X | src\n", "bad PCI ID 'a2dg'"},
      {"15b3 | X | src\n", "vendor:device"},
      {"15b3:a2d6:15b3 | X | src\n", "vendor:device"},
      {"15b3:a2d6 | X | src | extra\n", "got 4 field(s)"},
      {"115b3:a2d6 | X | src\n", "bad PCI ID"},
  };
  for (const auto& b : bad) {
    auto r = parse_dpu_ids(b.text, "t.ids");
    REQUIRE_MESSAGE(!r.ok(), b.text);
    CHECK_MESSAGE(r.message().find(b.error) != std::string::npos, r.message());
  }
  auto sub = parse_dpu_ids("1dd8:1000:1dd8:4000 | Naples | pci.ids\n", "t");
  REQUIRE(sub.ok());
  CHECK((*sub)[0].subdevice == 0x4000);
}

TEST_CASE("dpu probe: an unreadable or broken table is a warning, the rest still probed") {
  certify::test::TempDir t;
  put(t / "dpu.ids", "15b3:a2d6 | BlueField-2\n");
  ProbeOptions o;
  o.live_queries = false;
  o.hwdata_dir = t.path();
  auto inv = probe_all(Sysroot(certify::test::fixture("hw-dpu-bluefield2")), o);
  REQUIRE(inv.ok());
  CHECK(inv->find("dpu:0000:03:00") == nullptr);
  CHECK(inv->find("net:ens1f0np0") != nullptr);
  CHECK(has_warning(*inv, "dpu.ids:1: expected"));
}

TEST_CASE("NVMe Identify Controller parser: fields, short and empty data") {
  std::vector<std::uint8_t> b(4096, 0);
  auto put_str = [&](std::size_t off, std::size_t n, const std::string& s) {
    for (std::size_t i = 0; i < n; ++i) b[off + i] = i < s.size() ? static_cast<std::uint8_t>(s[i]) : ' ';
  };
  b[0] = 0x4d; b[1] = 0x14;  // 0x144d
  b[2] = 0x4d; b[3] = 0x14;
  put_str(4, 20, "S5GXNG0N123456");
  put_str(24, 40, "SAMSUNG MZQL23T8HCLS-00A07");
  put_str(64, 8, "GDC5602Q");
  b[77] = 9;
  b[80] = 0x00; b[81] = 0x04; b[82] = 0x01; b[83] = 0x00;  // 1.4.0
  b[260] = 0x06;  // 3 firmware slots
  std::uint64_t cap = 3840755982336ULL;
  for (int i = 0; i < 8; ++i) b[280 + i] = static_cast<std::uint8_t>(cap >> (8 * i));
  b[516] = 32;
  put_str(768, 256, "nqn.1994-11.com.samsung:nvme:PM1733");
  auto j = parse_nvme_identify(b);
  REQUIRE(j.ok());
  CHECK((*j)["vid"] == "0x144d");
  CHECK((*j)["serial"] == "S5GXNG0N123456");
  CHECK((*j)["model"] == "SAMSUNG MZQL23T8HCLS-00A07");
  CHECK((*j)["firmware"] == "GDC5602Q");
  CHECK((*j)["version"] == "1.4.0");
  CHECK((*j)["mdts"] == 9);
  CHECK((*j)["firmware_slots"] == 3);
  CHECK((*j)["total_capacity_bytes"] == cap);
  CHECK((*j)["namespaces"] == 32);
  CHECK((*j)["subnqn"] == "nqn.1994-11.com.samsung:nvme:PM1733");
  auto short_data = parse_nvme_identify(std::span<const std::uint8_t>(b.data(), 512));
  REQUIRE(!short_data.ok());
  CHECK(short_data.message().find("512 bytes") != std::string::npos);
  std::vector<std::uint8_t> zero(4096, 0);
  CHECK(!parse_nvme_identify(zero).ok());
}

TEST_CASE("vm-virtio (this machine): virtio disk and NIC, software interfaces marked virtual") {
  auto inv = probe_fixture(certify::test::fixture("vm-virtio"), {"nic", "disk"});
  const auto& vda = need(inv, "block:vda");
  CHECK(vda.parent == "pci:0000:00:02.0");
  CHECK(vda.props["transport"] == "virtio");
  CHECK(vda.props["serial"] == "overlayblk");
  CHECK(vda.props["size_bytes"] == 274877906944LL);
  CHECK(vda.driver == "virtio_blk");
  CHECK(vda.model == "Virtio 1.0 block device");
  CHECK(inv.find("block:loop0") == nullptr);  // unused loop devices are not disks
  const auto& eth0 = need(inv, "net:eth0");
  CHECK(eth0.parent == "pci:0000:00:03.0");
  CHECK(eth0.props["operstate"] == "up");
  for (const char* v : {"net:ifb0", "net:ifb1", "net:lo"}) {
    CHECK(need(inv, v).props["virtual"] == true);
    CHECK(need(inv, v).bus == "virtual");
  }
  CHECK(need(inv, "net:ifb0").props["kind"] == "other");
  CHECK(device_warnings(inv).empty());
}

TEST_CASE("anonymize hashes the device-class identifiers: WWPNs, serials, GUIDs, WWIDs") {
  auto inv = probe_fixture(certify::test::fixture("hw-fc-hba"));
  auto j = to_json(inv);
  anonymize(j, "salt");
  auto text = j.dump();
  for (const char* secret : {"0x21000024ff7a1b2c", "0x20000024ff7a1b2c", "RFD2031K55432",
                             "naa.600a098038304437415d4b6a59684a52", "0x100000051e0a2b3c"})
    CHECK_MESSAGE(text.find(secret) == std::string::npos, secret);
  auto ib = to_json(probe_fixture(certify::test::fixture("hw-infiniband")));
  anonymize(ib, "salt");
  auto ibt = ib.dump();
  CHECK(ibt.find("b859:9f03:00d4:5f2a") == std::string::npos);
  CHECK(ibt.find("00:00:10:87:fe:80") == std::string::npos);
}
