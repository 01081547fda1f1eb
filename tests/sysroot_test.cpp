// Sysroot: reads stay inside the root; missing files are normal.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "core/text.hpp"
#include "probe/sysroot.hpp"
#include "tests/testutil.hpp"

using certify::probe::Sysroot;
using certify::test::TempDir;
namespace fs = std::filesystem;

namespace {

// sysfs' layout for one PCI function bound to nvme: the device directory,
// its bus link and its driver link, both relative as the kernel makes them.
void make_nvme_function(const TempDir& t) {
  fs::create_directories(t / "sys/devices/pci0000:00/0000:00:01.0");
  fs::create_directories(t / "sys/bus/pci/drivers/nvme");
  fs::create_directories(t / "sys/bus/pci/devices");
  fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:01.0",
                               t / "sys/bus/pci/devices/0000:00:01.0");
  fs::create_directory_symlink("../../../bus/pci/drivers/nvme",
                               t / "sys/devices/pci0000:00/0000:00:01.0/driver");
}

}  // namespace

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
  make_nvme_function(t);
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

TEST_CASE("sha256_hex: the FIPS 180-2 examples, a million bytes and binary data") {
  CHECK(certify::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(certify::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(certify::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(certify::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(certify::sha256_hex(std::string_view("\0\xff", 2)) ==
        "06eb7d6a69ee19e5fbdf749018d3d2abfa04bcbd1365db312eb86dc7169389b8");
}

TEST_CASE("append_json_string: nlohmann's text of the same string, every control character and UTF-8") {
  std::vector<std::string> cases = {"", "plain", "quote \" backslash \\ slash /", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                    std::string("nul\0inside", 10), "\x7f del"};
  std::string controls;
  for (int c = 1; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  cases.push_back(controls);
  for (const auto& s : cases) {
    CAPTURE(s);
    std::string out = "x";
    certify::append_json_string(out, s);
    CHECK(out == "x" + nlohmann::json(s).dump());
  }
}

TEST_CASE("write_file_atomic: a file is replaced whole; a FIFO (as /dev/null) is written into and stays one") {
  certify::test::TempDir d;
  REQUIRE(certify::write_file_atomic(d / "f", "old").ok());
  REQUIRE(certify::write_file_atomic(d / "f", "new").ok());
  CHECK(*certify::read_file(d / "f") == "new");
  const auto fifo = d / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // A reader first, without waiting: the open for writing then finds it, and the text fits in the pipe.
  int rd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(rd >= 0);
  REQUIRE(certify::write_file_atomic(fifo, "through the pipe\n").ok());
  char buf[64];
  auto n = ::read(rd, buf, sizeof buf);
  ::close(rd);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<std::size_t>(n)) == "through the pipe\n");
  struct stat st {};
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK_FALSE(std::filesystem::exists(d / ("fifo.tmp." + std::to_string(::getpid()))));
}

TEST_CASE("html_escape: the five characters that matter in content and attributes") {
  CHECK(certify::html_escape("a<b>&\"c'd") == "a&lt;b&gt;&amp;&quot;c&#39;d");
  CHECK(certify::html_escape("plain \xc3\xa9") == "plain \xc3\xa9");
  CHECK(certify::html_escape("") == "");
}

TEST_CASE("a directory held open reads as the sysroot does on the joined paths") {
  TempDir t;
  make_nvme_function(t);
  fs::create_directories(t / "sys/module/nvme");
  fs::create_directory_symlink("../../../../module/nvme", t / "sys/bus/pci/drivers/nvme/module");
  const fs::path dev = t / "sys/devices/pci0000:00/0000:00:01.0";
  std::ofstream(dev / "numa_node") << "-1\n";
  std::ofstream(dev / "vendor") << "0x144d\n";
  std::ofstream(dev / "empty") << "\n";
  std::ofstream(dev / "uevent") << "DRIVER=nvme\nPCI_CLASS=10802\n";
  Sysroot r(t.path());
  const std::string abs = "/sys/bus/pci/devices/0000:00:01.0";
  const auto d = r.dir(abs);
  for (const char* name : {"numa_node", "vendor", "empty", "uevent", "missing", "driver", "driver/module"}) {
    CAPTURE(name);
    const std::string p = abs + "/" + name;
    CHECK(d.attr(name) == r.attr(p));
    CHECK(d.attr_int(name) == r.attr_int(p));
    CHECK(d.read(name) == r.read(p));
    CHECK(d.exists(name) == r.exists(p));
    CHECK(d.link_name(name) == r.link_name(p));
  }
  CHECK(d.attr_int("numa_node") == -1);
  CHECK(d.attr_int("vendor", 16) == 0x144d);
  CHECK(d.read("uevent") == "DRIVER=nvme\nPCI_CLASS=10802\n");
  CHECK(d.link_name("driver") == "nvme");
  CHECK(d.link_name("driver/module") == "nvme");
  CHECK(d.exists("driver"));
  CHECK_FALSE(d.exists("missing"));
  // Listings: the directory itself, one under it (through a link), none.
  CHECK(d.list(".") == r.list(abs));
  CHECK(d.list(".") == std::vector<std::string>{"driver", "empty", "numa_node", "uevent", "vendor"});
  CHECK(d.list("driver") == std::vector<std::string>{"module"});
  CHECK(d.list("driver") == r.list(abs + "/driver"));
  CHECK(d.list("missing").empty());
  CHECK(d.list("vendor").empty());  // a file
  for (const char* name : {".", "driver", "vendor", "missing"}) {
    CAPTURE(name);
    CHECK(d.is_dir(name) == r.is_dir(abs + "/" + name));
  }
  CHECK(d.is_dir("driver"));  // a link to a directory
  CHECK_FALSE(d.is_dir("vendor"));

  // A directory that is not there reads as empty, as its paths would.
  const auto gone = r.dir("/sys/bus/pci/devices/0000:00:02.0");
  CHECK_FALSE(gone.attr("vendor").has_value());
  CHECK_FALSE(gone.read("uevent").has_value());
  CHECK_FALSE(gone.exists("vendor"));
  CHECK_FALSE(gone.link_name("driver").has_value());
  CHECK(gone.list(".").empty());
  CHECK_FALSE(gone.is_dir("."));
  // Moved, the handle still reads.
  auto a = r.dir(abs);
  auto b = std::move(a);
  CHECK(b.attr("vendor") == "0x144d");
}
