// Sysroot: reads stay inside the root; missing files are normal.
#include <doctest/doctest.h>

#include <fstream>

#include "core/text.hpp"
#include "probe/sysroot.hpp"
#include "tests/testutil.hpp"

using certify::probe::Sysroot;
using certify::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("sysroot reads attributes, integers and directory listings") {
  TempDir t;
  fs::create_directories(t / "sys/class/net/eth0");
  std::ofstream(t / "sys/class/net/eth0/mtu") << "1500\n";
  std::ofstream(t / "sys/class/net/eth0/numa") << "-1\n";
  std::ofstream(t / "sys/class/net/eth0/vendor") << "0x8086\n";
  std::ofstream(t / "sys/class/net/eth0/empty") << "\n";
  Sysroot r(t.path());
  CHECK_FALSE(r.is_live());
  CHECK(r.valid());
  CHECK(r.attr("/sys/class/net/eth0/mtu") == "1500");
  CHECK(r.attr_int("/sys/class/net/eth0/mtu") == 1500);
  CHECK(r.attr_int("/sys/class/net/eth0/numa") == -1);
  CHECK(r.attr_int("/sys/class/net/eth0/vendor") == 0x8086);
  CHECK(r.attr_int("/sys/class/net/eth0/vendor", 16) == 0x8086);
  CHECK_FALSE(r.attr("/sys/class/net/eth0/empty").has_value());
  CHECK_FALSE(r.attr("/sys/class/net/eth0/missing").has_value());
  CHECK_FALSE(r.attr_int("/sys/class/net/eth0/missing").has_value());
  CHECK(r.list("/sys/class/net") == std::vector<std::string>{"eth0"});
  CHECK(r.list("/nonexistent").empty());
}

TEST_CASE("sysroot follows relative links but never out of the root") {
  TempDir t;
  fs::create_directories(t / "sys/devices/pci0000:00/0000:00:01.0");
  fs::create_directories(t / "sys/bus/pci/drivers/nvme");
  fs::create_directories(t / "sys/bus/pci/devices");
  fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:01.0",
                               t / "sys/bus/pci/devices/0000:00:01.0");
  fs::create_directory_symlink("../../../bus/pci/drivers/nvme",
                               t / "sys/devices/pci0000:00/0000:00:01.0/driver");
  fs::create_directory_symlink("/etc", t / "sys/escape");
  Sysroot r(t.path());
  CHECK(r.resolve("/sys/bus/pci/devices/0000:00:01.0") == "/sys/devices/pci0000:00/0000:00:01.0");
  CHECK(r.link_name("/sys/bus/pci/devices/0000:00:01.0/driver") == "nvme");
  CHECK_FALSE(r.resolve("/sys/escape").has_value());
  CHECK_FALSE(r.resolve("/sys/missing").has_value());
}

TEST_CASE("a sysroot that does not exist is invalid") {
  Sysroot r("/nonexistent/certify-sysroot");
  CHECK_FALSE(r.valid());
  CHECK_FALSE(r.read("/proc/cpuinfo").has_value());
}

TEST_CASE("attributes with invalid UTF-8 come back valid, so JSON output cannot throw") {
  TempDir t;
  fs::create_directories(t / "sys/class/dmi/id");
  std::ofstream(t / "sys/class/dmi/id/product_name", std::ios::binary) << "Serv\xff\xfe" "er \xc3\xa9\xe2\x82\n";
  Sysroot r(t.path());
  auto v = r.attr("/sys/class/dmi/id/product_name");
  REQUIRE(v.has_value());
  CHECK(*v == "Serv??er \xc3\xa9??");
  CHECK(certify::valid_utf8("\xed\xa0\x80") == "???");          // a surrogate
  CHECK(certify::valid_utf8("\xc0\xaf") == "??");               // an overlong '/'
  CHECK(certify::valid_utf8("ok \xf0\x9f\x98\x80") == "ok \xf0\x9f\x98\x80");
}

TEST_CASE("split_lines: lines without their newline; a last line without one counts") {
  using V = std::vector<std::string_view>;
  CHECK(certify::split_lines("") == V{});
  CHECK(certify::split_lines("\n") == V{""});
  CHECK(certify::split_lines("a\n\nb\n") == V{"a", "", "b"});
  CHECK(certify::split_lines("a\nb") == V{"a", "b"});
  CHECK(certify::split_lines("a\r\n") == V{"a\r"});  // bytes are kept
}

TEST_CASE("html_escape: the five characters that matter in content and attributes") {
  CHECK(certify::html_escape("a<b>&\"c'd") == "a&lt;b&gt;&amp;&quot;c&#39;d");
  CHECK(certify::html_escape("plain \xc3\xa9") == "plain \xc3\xa9");
  CHECK(certify::html_escape("") == "");
}
