// Fixture recorder: a recorded copy replays to the same inventory; side-effect
// and oversized files are left behind; bad destinations are refused.
#include <doctest/doctest.h>

#include <fstream>

#include "core/files.hpp"
#include "probe/probe.hpp"
#include "probe/record.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;
namespace fs = std::filesystem;

namespace {

nlohmann::json probe_json(const fs::path& root) {
  auto inv = probe_all(Sysroot(root), ProbeOptions{});
  REQUIRE(inv.ok());
  auto j = to_json(*inv);
  j.erase("sysroot");
  return j;
}

void put(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}

}  // namespace

TEST_CASE("record: a recorded copy of a fixture probes identically") {
  certify::test::TempDir t;
  auto src = certify::test::fixture("vm-virtio");
  auto st = record_sysroot(Sysroot(src), t / "copy");
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.message()));
  CHECK(st->files > 100);
  CHECK(st->links > 10);
  CHECK(probe_json(src) == probe_json(t / "copy"));
  // Links stay relative links, so the copy is relocatable.
  auto l = fs::read_symlink(t / "copy/sys/bus/pci/devices/0000:00:03.0");
  CHECK(l.is_relative());
  CHECK(fs::is_directory(t / "copy/sys/bus/pci/devices/0000:00:03.0"));
}

TEST_CASE("record: skips side-effect, BAR, power and oversized files; keeps driver module") {
  certify::test::TempDir t;
  auto dev = t / "src/sys/devices/pci0000:00/0000:00:1f.0";
  put(dev / "vendor", "0x8086\n");
  put(dev / "config", std::string(256, '\x11'));
  put(dev / "resource", "0x0 0x0 0x0\n");
  for (const char* f : {"remove", "rescan", "reset", "resource0", "resource2_wc", "rom", "vpd"})
    put(dev / f, "x");
  put(dev / "power/control", "auto\n");
  put(dev / "big_blob", std::string(70000, 'b'));
  put(dev / "net/eth9/address", "52:54:00:12:34:56\n");
  fs::create_directories(t / "src/sys/bus/pci/devices");
  fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:1f.0",
                               t / "src/sys/bus/pci/devices/0000:00:1f.0");
  // Driver with unbind/new_id and a module that has a version.
  put(t / "src/sys/bus/pci/drivers/e1000e/unbind", "");
  put(t / "src/sys/bus/pci/drivers/e1000e/new_id", "");
  put(t / "src/sys/module/e1000e/version", "3.2.6-k\n");
  put(t / "src/sys/module/e1000e/parameters/debug", "0\n");
  fs::create_directory_symlink("../../../../module/e1000e", t / "src/sys/bus/pci/drivers/e1000e/module");
  fs::create_directory_symlink("../../../bus/pci/drivers/e1000e", dev / "driver");
  // A built-in driver: no module link, nothing readable in its directory.
  auto port = t / "src/sys/devices/pci0000:00/0000:00:1c.0";
  put(port / "vendor", "0x8086\n");
  put(t / "src/sys/bus/pci/drivers/pcieport/bind", "");
  fs::create_directory_symlink("../../../bus/pci/drivers/pcieport", port / "driver");
  fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:1c.0",
                               t / "src/sys/bus/pci/devices/0000:00:1c.0");
  // A class link into the same tree and one that dangles.
  fs::create_directories(t / "src/sys/class/net");
  fs::create_directory_symlink("../../devices/pci0000:00/0000:00:1f.0/net/eth9",
                               t / "src/sys/class/net/eth9");
  fs::create_directory_symlink("../../devices/virtual/net/gone", t / "src/sys/class/net/gone");
  put(t / "src/proc/sys/kernel/hostname", "secret-host\n");

  RecordOptions o;
  o.hostname = "certify-fixture";
  auto st = record_sysroot(Sysroot(t / "src"), t / "out", o);
  REQUIRE(st.ok());
  auto out = t / "out/sys/devices/pci0000:00/0000:00:1f.0";
  CHECK(fs::exists(out / "vendor"));
  CHECK(fs::file_size(out / "config") == 256);
  CHECK(fs::exists(out / "resource"));
  for (const char* f : {"remove", "rescan", "reset", "resource0", "resource2_wc", "rom", "vpd",
                        "power", "big_blob"})
    CHECK_MESSAGE(!fs::exists(out / f), f);
  CHECK(st->too_large == 1);
  CHECK(fs::exists(out / "net/eth9/address"));
  CHECK(fs::is_symlink(t / "out/sys/class/net/eth9"));
  CHECK(fs::is_symlink(t / "out/sys/class/net/gone"));  // kept, still dangling
  // Driver: only the module link and the module version travel.
  CHECK(fs::is_symlink(out / "driver"));
  CHECK(fs::is_symlink(t / "out/sys/bus/pci/drivers/e1000e/module"));
  CHECK(!fs::exists(t / "out/sys/bus/pci/drivers/e1000e/unbind"));
  CHECK(!fs::exists(t / "out/sys/bus/pci/drivers/e1000e/new_id"));
  CHECK(fs::exists(t / "out/sys/module/e1000e/version"));
  // ... and the built-in one keeps a marker so git does not drop the
  // directory and leave the `driver` link dangling in a clone.
  CHECK(fs::exists(t / "out/sys/bus/pci/drivers/pcieport/.certify-keep"));
  CHECK(!fs::exists(t / "out/sys/bus/pci/drivers/pcieport/bind"));
  CHECK(!fs::exists(t / "out/sys/module/e1000e/parameters"));
  auto host = certify::read_file(t / "out/proc/sys/kernel/hostname");
  REQUIRE(host.ok());
  CHECK(*host == "certify-fixture\n");
  // The copy names the module through the recorded links.
  Sysroot copy(t / "out");
  CHECK(copy.link_name("/sys/bus/pci/devices/0000:00:1f.0/driver/module") == "e1000e");
  CHECK(copy.attr("/sys/bus/pci/devices/0000:00:1f.0/driver/module/version") == "3.2.6-k");
}

TEST_CASE("record: refuses a non-empty destination, one inside the source, a missing source") {
  certify::test::TempDir t;
  put(t / "busy/file", "x");
  auto src = certify::test::fixture("vm-virtio");
  auto r = record_sysroot(Sysroot(src), t / "busy");
  REQUIRE(!r.ok());
  CHECK(r.message().find("not an empty directory") != std::string::npos);
  put(t / "src/proc/cmdline", "quiet\n");
  r = record_sysroot(Sysroot(t / "src"), t / "src/sub");
  REQUIRE(!r.ok());
  CHECK(r.message().find("inside it") != std::string::npos);
  r = record_sysroot(Sysroot(t / "nothing-here"), t / "o2");
  REQUIRE(!r.ok());
  CHECK(r.message().find("does not exist") != std::string::npos);
  fs::create_directories(t / "emptysrc");
  r = record_sysroot(Sysroot(t / "emptysrc"), t / "o3");
  REQUIRE(!r.ok());
  CHECK(r.message().find("nothing could be read") != std::string::npos);
}

TEST_CASE("certify probe --record writes a fixture and reports counts") {
  certify::test::TempDir t;
  auto out = (t / "rec").string();
  auto r = certify::test::run_command({certify::test::build_path("cli/certify").string(), "probe",
                                       "--sysroot", certify::test::fixture("vm-virtio").string(),
                                       "--record", out});
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("recorded ") != std::string::npos);
  CHECK(fs::exists(t / "rec/proc/cpuinfo"));
  r = certify::test::run_command({certify::test::build_path("cli/certify").string(), "probe",
                                  "--sysroot", certify::test::fixture("vm-virtio").string(),
                                  "--record", out});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("not an empty directory") != std::string::npos);
}
