// Registry: the probes' groups run at the same time give, merged, what the
// probes give one after another on one inventory.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "probe/json_text.hpp"
#include "probe/probe.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;

namespace {

// Every probe alone, the device classes that have no probe of their own,
// everything, and a few mixes across the groups.
std::vector<std::vector<std::string>> selections() {
  std::vector<std::vector<std::string>> out = {{}, {"bridge"}, {"other"}, {"cpu", "memory"},
                                               {"os", "usb"}, {"disk", "usb"}, {"system", "nic", "cpu"}};
  for (const auto& p : class_probes()) out.push_back({std::string(p.name)});
  return out;
}

std::string text(const certify::Result<Inventory>& inv) {
  return inv ? inventory_json_text(*inv) : "error: " + inv.message();
}

std::size_t probe_index(const std::string& source) {
  auto probes = class_probes();
  auto it = std::find_if(probes.begin(), probes.end(), [&](const ClassProbe& p) {
    return p.name == (source == "smbios" ? "system" : source);  // system's decode, at its start
  });
  return static_cast<std::size_t>(it - probes.begin());
}

}  // namespace

TEST_CASE("probe_all: the groups' merged inventory is byte for byte the in-order run's on every fixture and selection") {
  int compared = 0, sysroots = 0, with_devices = 0;
  for (const auto& entry : std::filesystem::directory_iterator(certify::test::fixture(""))) {
    if (!entry.is_directory()) continue;
    bool sysroot = false, devices = false;
    for (const auto& classes : selections()) {
      ProbeOptions o;
      o.classes = classes;
      o.live_queries = false;
      const Sysroot root(entry.path());
      auto in_order = probe_all_in_order(root, o);
      auto together = probe_all(root, o);
      CAPTURE(entry.path().filename().string());
      CAPTURE(classes.empty() ? std::string("(all)") : classes.front() + (classes.size() > 1 ? ",..." : ""));
      CHECK(text(together) == text(in_order));
      sysroot = sysroot || (classes.empty() && in_order.ok());  // the whole probe read something
      devices = devices || (in_order && !in_order->devices.empty());
      ++compared;
    }
    sysroots += sysroot;
    with_devices += devices;
  }
  CHECK(sysroots >= 20);
  CHECK(with_devices >= 8);
  CHECK(compared >= 20 * 19);
}

TEST_CASE("probe_all: changes a device probe of another group makes to PCI functions are in the merged inventory") {
  ProbeOptions o;
  o.live_queries = false;
  // usb: the root hub's bus number on its xHCI function.
  auto lab = probe_all(Sysroot(certify::test::fixture("lab-q35")), o);
  REQUIRE(lab);
  const Device* xhci = lab->find("pci:0000:07:00.0");
  REQUIRE(xhci);
  REQUIRE(xhci->props.contains("usb_buses"));
  CHECK(xhci->props["usb_buses"].size() == 2);
  // disk: a virtio_blk disk named after its PCI function.
  auto vm = probe_all(Sysroot(certify::test::fixture("vm-virtio")), o);
  REQUIRE(vm);
  const Device* vda = vm->find("block:vda");
  REQUIRE(vda);
  const Device* fn = vm->find(vda->parent);
  REQUIRE(fn);
  CHECK(!vda->model.empty());
  CHECK(vda->model == fn->model);
  CHECK(vda->vendor == fn->vendor);
}

TEST_CASE("probe_all: warnings of every group in the registry's order") {
  // A sysroot where each kind of probe has something to say: no os-release,
  // garbage cpuinfo, no SMBIOS, a meminfo without MemTotal, a PCI function
  // without its files, a block device that vanished, a USB device without IDs.
  certify::test::TempDir t;
  auto write = [&](const std::string& rel, const std::string& content) {
    std::filesystem::create_directories((t / rel).parent_path());
    std::ofstream(t / rel) << content;
  };
  write("proc/cpuinfo", "garbage without colons\n\n:\n");
  write("proc/meminfo", "MemFree: 10 kB\n");
  write("proc/sys/kernel/osrelease", "6.1.0\n");
  std::filesystem::create_directories(t / "sys/bus/pci/devices/0000:00:01.0");
  std::filesystem::create_directories(t / "sys/class/block");
  std::filesystem::create_symlink("../../devices/nowhere/sda", t / "sys/class/block/sda");
  std::filesystem::create_directories(t / "sys/bus/usb/devices/1-1");
  ProbeOptions o;
  o.live_queries = false;
  o.ids_dir = t.path();  // no pci.ids or usb.ids
  auto together = probe_all(Sysroot(t.path()), o);
  REQUIRE(together);
  CHECK(text(together) == text(probe_all_in_order(Sysroot(t.path()), o)));
  std::vector<std::string> sources;
  for (const auto& w : together->warnings) sources.push_back(w.source);
  CAPTURE(nlohmann::json(sources).dump());
  for (const char* s : {"os", "system", "cpu", "memory", "pci", "disk", "usb"})
    CHECK(std::find(sources.begin(), sources.end(), s) != sources.end());
  CHECK(std::is_sorted(sources.begin(), sources.end(), [](const std::string& a, const std::string& b) {
    return probe_index(a) < probe_index(b);
  }));
}
