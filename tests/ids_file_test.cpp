// IdsFile: pci.ids/usb.ids lookups in place, checked against libpci's own
// lookup (the names lspci prints) entry by entry on the system's pci.ids.
#include <doctest/doctest.h>

extern "C" {
#include <pci/pci.h>
}

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>
#include <vector>

#include "probe/ids_file.hpp"
#include "tests/testutil.hpp"

using certify::probe::IdsFile;

namespace {

const char* k_small =
    "# comment line\n"
    "\n"
    "1af4  Red Hat, Inc.\n"
    "\t1000  Virtio network device\n"
    "\t\t1af4 0001  Virtio network device (subsys)\n"
    "\t# a comment inside a vendor\n"
    "\t1041  Virtio 1.0 network device \n"  // one trailing blank dropped
    "8086  Intel Corporation\r\n"
    "\t10fb  82599ES 10-Gigabit SFI/SFP+ Network Connection\r\n"
    "\t\t8086 000c  Ethernet Server Adapter X520-DA2\r\n"
    "\t\t103c 17d3  Ethernet 10Gb 2-port 560SFP+ Adapter\r\n"
    "\t10ed  82599 Ethernet Controller Virtual Function\n"
    "zzzz  Not a vendor\n"
    "X 00  Reserved block\n"
    "\t0000  skipped\n"
    "S 1af4\n"
    "\t0042  Generic Red Hat subsystem\n"
    "C 01  Mass storage controller\n"
    "\t08  Non-Volatile memory controller\n"
    "\t\t02  NVM Express\n"
    "C 02  Network controller\n"
    "\t00  Ethernet controller\n";

std::string libpci_name(pci_access* a, int flags, unsigned v1, unsigned v2 = 0, unsigned v3 = 0,
                        unsigned v4 = 0) {
  char buf[1024];
  const char* r = pci_lookup_name(a, buf, sizeof buf, flags | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
                                  v1, v2, v3, v4);
  return r ? r : "";
}

// pci_alloc() leaves the message callbacks to pci_init(), which we do not
// need for name lookups.
__attribute__((noreturn)) void libpci_error(char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::abort();
}
void libpci_quiet(char*, ...) {}

std::string ours(std::optional<std::string_view> n) { return n ? std::string(*n) : ""; }

unsigned hexn(const std::string& s, std::size_t at, std::size_t n) {
  return static_cast<unsigned>(std::stoul(s.substr(at, n), nullptr, 16));
}

}  // namespace

TEST_CASE("ids file: vendors, devices, subsystems and classes with libpci's rules") {
  auto ids = IdsFile::from_text(k_small);
  CHECK(ours(ids.vendor(0x1af4)) == "Red Hat, Inc.");
  CHECK(ours(ids.vendor(0x8086)) == "Intel Corporation");  // CR LF line end
  CHECK_FALSE(ids.vendor(0x10de));
  CHECK(ours(ids.device(0x1af4, 0x1041)) == "Virtio 1.0 network device");
  CHECK(ours(ids.device(0x8086, 0x10ed)) == "82599 Ethernet Controller Virtual Function");
  CHECK_FALSE(ids.device(0x8086, 0x1234));
  CHECK_FALSE(ids.device(0x10de, 0x1000));
  // Per device, then the generic "S" block, then the device itself.
  CHECK(ours(ids.subsystem(0x8086, 0x10fb, 0x103c, 0x17d3)) == "Ethernet 10Gb 2-port 560SFP+ Adapter");
  CHECK(ours(ids.subsystem(0x8086, 0x10fb, 0x1af4, 0x0042)) == "Generic Red Hat subsystem");
  CHECK(ours(ids.subsystem(0x1af4, 0x1041, 0x1af4, 0x1041)) == "Virtio 1.0 network device");
  CHECK_FALSE(ids.subsystem(0x1af4, 0x1041, 0x1af4, 0x1100));
  CHECK_FALSE(ids.subsystem(0x8086, 0x10fb, 0x8086, 0x000d));
  // Subclass name; the class name with its number when the subclass is unknown.
  CHECK(ids.class_name(0x0108).value_or("") == "Non-Volatile memory controller");
  CHECK(ids.class_name(0x0180).value_or("") == "Mass storage controller [0180]");
  CHECK_FALSE(ids.class_name(0x0d00));
  CHECK(ours(ids.top_class(0x02)) == "Network controller");
  // Reserved blocks are skipped; malformed entries reported with their line
  // once a lookup had to read the whole file (an absent vendor).
  auto problems = ids.problems();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "line 13: malformed entry 'zzzz  Not a vendor'");
}

TEST_CASE("ids file: a duplicated vendor (libpci refuses the file) names it and is reported") {
  auto ids = IdsFile::from_text("1af4  Red Hat, Inc.\n\t1041  Virtio\n8086  Intel\n1af4  Again\n");
  auto v = ours(ids.vendor(0x1af4));
  CHECK((v == "Red Hat, Inc." || v == "Again"));
  CHECK_FALSE(ids.vendor(0x10de));  // absent: the whole file is read
  REQUIRE(ids.problems().size() == 1);
  CHECK(ids.problems()[0] == "line 4: duplicate entry '1af4  Again'");
}

TEST_CASE("ids file: upper-case IDs and tabs after them, which libpci accepts too") {
  auto ids = IdsFile::from_text(
      "1234  First\n"
      "ABCD\tUpper vendor\n"
      "\tBEEF\tUpper device\n"
      "# a comment between entries\n"
      "\t\tabcd 00EE\tUpper subsystem\n"
      "\tbef0  Lower device\n"
      "C 0D\tWireless controller\n"
      "\t11  Bluetooth\n");
  CHECK(ours(ids.vendor(0xabcd)) == "Upper vendor");
  CHECK(ours(ids.device(0xabcd, 0xbeef)) == "Upper device");
  CHECK(ours(ids.device(0xabcd, 0xbef0)) == "Lower device");
  CHECK(ours(ids.subsystem(0xabcd, 0xbeef, 0xabcd, 0x00ee)) == "Upper subsystem");
  CHECK_FALSE(ids.subsystem(0xabcd, 0xbef0, 0xabcd, 0x00ee));  // not under that device
  CHECK(ids.class_name(0x0d11).value_or("") == "Bluetooth");
  CHECK(ids.class_name(0x0d80).value_or("") == "Wireless controller [0d80]");
  CHECK(ids.problems().empty());
}

TEST_CASE("ids file: out of hwdata's order, every entry is still found") {
  // Vendors out of order, a vendor after a class block, devices out of
  // order in their block: the searches that rely on the order miss, and
  // the slow way answers (a miss is final only in a file found in order).
  auto ids = IdsFile::from_text(
      "8086  Intel\n"
      "\t2000  Later device\n"
      "\t\t8086 0001  Its subsystem\n"
      "\t\t8086 0002  Another\n"
      "\t1000  Earlier device\n"
      "1af4  Red Hat\n"
      "\t1041  Virtio net\n"
      "C 02  Network controller\n"
      "\t00  Ethernet controller\n"
      "10de  NVIDIA\n"
      "\t1eb8  T4\n");
  CHECK(ours(ids.vendor(0x1af4)) == "Red Hat");
  CHECK(ours(ids.vendor(0x10de)) == "NVIDIA");
  CHECK(ours(ids.device(0x8086, 0x1000)) == "Earlier device");
  CHECK(ours(ids.device(0x8086, 0x2000)) == "Later device");
  CHECK(ours(ids.subsystem(0x8086, 0x2000, 0x8086, 2)) == "Another");
  CHECK(ours(ids.device(0x10de, 0x1eb8)) == "T4");
  CHECK(ids.class_name(0x0200).value_or("") == "Ethernet controller");
  CHECK_FALSE(ids.vendor(0x1234));
  CHECK_FALSE(ids.device(0x8086, 0x1500));
  CHECK(ids.problems().empty());
  // In order, a device among many subsystem lines and an absent one.
  std::string sorted = "1000  LSI\n\t0001  A\n";
  sorted += "8086  Intel\n";
  for (unsigned d = 0x1000; d < 0x1400; d += 4) {
    char line[64];
    std::snprintf(line, sizeof line, "\t%04x  Device %04x\n", d, d);
    sorted += line;
    for (unsigned sv = 0; sv < d % 7; ++sv) {
      std::snprintf(line, sizeof line, "\t\t%04x %04x  Subsystem %u\n", 0x1028 + sv, d, sv);
      sorted += line;
    }
  }
  sorted += "9005  Adaptec\nC 01  Mass storage controller\n";
  auto in_order = IdsFile::from_text(sorted);
  CHECK(ours(in_order.device(0x8086, 0x1000)) == "Device 1000");
  CHECK(ours(in_order.device(0x8086, 0x13fc)) == "Device 13fc");
  CHECK(ours(in_order.device(0x8086, 0x1234)) == "Device 1234");
  CHECK(ours(in_order.subsystem(0x8086, 0x1234, 0x1029, 0x1234)) == "Subsystem 1");
  CHECK_FALSE(in_order.device(0x8086, 0x1235));
  CHECK_FALSE(in_order.device(0x8086, 0x0fff));
  CHECK_FALSE(in_order.device(0x8086, 0x1400));
  CHECK_FALSE(in_order.vendor(0x1234));
  CHECK(ours(in_order.vendor(0x9005)) == "Adaptec");
  CHECK(in_order.problems().empty());
}

TEST_CASE("ids file: garbage and a missing file") {
  auto missing = IdsFile::open("/nonexistent/pci.ids");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.message().find("/nonexistent/pci.ids") != std::string::npos);
  CHECK_FALSE(IdsFile::open("/").ok());  // not a regular file

  auto empty = IdsFile::from_text("");
  CHECK_FALSE(empty.vendor(0));
  static const char k_garbage[] = "\t\t\t\x01\xff\n1234\n\tzz\n1234 \n\x00\x00";
  auto garbage = IdsFile::from_text(std::string(k_garbage, sizeof k_garbage - 1));
  CHECK_FALSE(garbage.vendor(0x1234));
  CHECK_FALSE(garbage.device(0x1234, 0));
  CHECK_FALSE(garbage.problems().empty());
  // A name may not be empty; a vendor line with one is malformed.
  auto bad = IdsFile::from_text("abcd  \n\tbcde  x\n");
  CHECK_FALSE(bad.vendor(0xabcd));
  CHECK_FALSE(bad.device(0xabcd, 0xbcde));
}

TEST_CASE("ids file: moved, the names stay valid") {
  auto a = IdsFile::from_text(k_small);
  CHECK(ours(a.vendor(0x8086)) == "Intel Corporation");
  IdsFile b = std::move(a);
  CHECK(ours(b.device(0x8086, 0x10fb)) == "82599ES 10-Gigabit SFI/SFP+ Network Connection");
  auto c = IdsFile::open("/usr/share/misc/pci.ids");
  REQUIRE(c.ok());
  IdsFile d = std::move(c).value();
  CHECK(ours(d.vendor(0x8086)) == "Intel Corporation");
}

TEST_CASE("ids file: every entry of the system's pci.ids named as libpci names it") {
  const std::string path = "/usr/share/misc/pci.ids";
  std::ifstream in(path);
  REQUIRE(in);
  auto ids_r = IdsFile::open(path);
  REQUIRE(ids_r.ok());
  const IdsFile& ids = *ids_r;
  pci_access* a = pci_alloc();
  a->error = libpci_error;
  a->warning = libpci_quiet;
  a->debug = libpci_quiet;
  std::string p = path;
  pci_set_name_list_path(a, p.data(), 0);

  // Every ID tuple of the file, read by a separate, simple pass.
  std::vector<std::tuple<unsigned, unsigned, unsigned, unsigned>> devices, subsystems;
  std::vector<unsigned> vendors, classes;
  std::string line;
  unsigned v = 0, d = 0, c = 0;
  bool in_class = false, in_vendor = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("C ", 0) == 0) {
      in_class = true, in_vendor = false;
      c = hexn(line, 2, 2);
      classes.push_back(c << 8 | 0x80);  // mostly unnamed subclass: the class fallback
    } else if (line[0] != '\t') {
      in_class = false;
      in_vendor = line.size() > 4 && line[4] == ' ' && line.find_first_not_of("0123456789abcdef") == 4;
      if (in_vendor) vendors.push_back(v = hexn(line, 0, 4));
    } else if (in_class && line[1] != '\t') {
      classes.push_back(c << 8 | hexn(line, 1, 2));
    } else if (in_vendor && line[1] != '\t') {
      d = hexn(line, 1, 4);
      devices.emplace_back(v, d, 0, 0);
      subsystems.emplace_back(v, d, v, d);           // subsystem == device
      subsystems.emplace_back(v, d, 0x1af4, 0x1100);  // mostly absent
    } else if (in_vendor && line.size() > 11) {
      subsystems.emplace_back(v, d, hexn(line, 2, 4), hexn(line, 7, 4));
    }
  }
  REQUIRE(vendors.size() > 1000);
  REQUIRE(devices.size() > 10000);
  REQUIRE(subsystems.size() > 30000);

  std::size_t mismatches = 0;
  auto compare = [&](const std::string& what, const std::string& libpci, const std::string& mine) {
    if (libpci == mine) return;
    if (++mismatches <= 10) FAIL_CHECK(what << ": libpci '" << libpci << "', ours '" << mine << "'");
  };
  char key[64];
  for (unsigned vid : vendors) {
    std::snprintf(key, sizeof key, "vendor %04x", vid);
    compare(key, libpci_name(a, PCI_LOOKUP_VENDOR, vid), ours(ids.vendor(vid)));
  }
  for (auto [vid, did, sv, sd] : devices) {
    std::snprintf(key, sizeof key, "device %04x:%04x", vid, did);
    compare(key, libpci_name(a, PCI_LOOKUP_DEVICE, vid, did), ours(ids.device(vid, did)));
  }
  for (auto [vid, did, sv, sd] : subsystems) {
    std::snprintf(key, sizeof key, "subsystem %04x:%04x %04x:%04x", vid, did, sv, sd);
    compare(key, libpci_name(a, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, vid, did, sv, sd),
            ours(ids.subsystem(vid, did, sv, sd)));
  }
  for (unsigned cls : classes) {
    std::snprintf(key, sizeof key, "class %04x", cls);
    compare(key, libpci_name(a, PCI_LOOKUP_CLASS, cls), ids.class_name(cls).value_or(""));
  }
  // Absent vendors and classes.
  for (unsigned x : {0x0000u, 0x0001u, 0xfffeu}) {
    compare("vendor", libpci_name(a, PCI_LOOKUP_VENDOR, x), ours(ids.vendor(x)));
    compare("class", libpci_name(a, PCI_LOOKUP_CLASS, x << 8), ids.class_name(x << 8).value_or(""));
  }
  CHECK(mismatches == 0);
  CHECK(ids.problems().empty());
  pci_cleanup(a);
}
