// SMBIOS decoder: field by field against `dmidecode --from-dump` on the same
// tables (lab-q35's recording, hand-built 2.x and 3.x tables covering every
// decoded type, and a sweep of every enum code), malformed tables, and the
// system/memory probes over fixtures, including the /sys/class/dmi/id fallback.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "probe/probe.hpp"
#include "probe/smbios.hpp"
#include "tests/smbios_builder.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;
using namespace certify::test::smbios_build;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

// ---------------------------------------------------------------- dmidecode

struct DmiRecord {
  int type = -1;
  std::string name;
  std::vector<smbios::Field> fields;
};

struct DmiOutput {
  std::string version;  // "2.8", "3.2.0"
  std::map<std::uint16_t, DmiRecord> records;
  std::vector<std::uint16_t> order;
};

// dmidecode's text, read only here, to check our decoder against it.
DmiOutput parse_dmidecode(const std::string& text) {
  DmiOutput out;
  std::istringstream in(text);
  std::string line;
  DmiRecord* cur = nullptr;
  bool want_name = false;
  while (std::getline(in, line)) {
    unsigned handle = 0, type = 0, bytes = 0;
    if (std::sscanf(line.c_str(), "Handle 0x%X, DMI type %u, %u bytes", &handle, &type, &bytes) == 3) {
      cur = &out.records[static_cast<std::uint16_t>(handle)];
      cur->type = static_cast<int>(type);
      out.order.push_back(static_cast<std::uint16_t>(handle));
      want_name = true;
      continue;
    }
    if (line.rfind("SMBIOS ", 0) == 0 && line.find(" present.") != std::string::npos) {
      out.version = line.substr(7, line.find(" present.") - 7);
      continue;
    }
    if (!cur) continue;
    if (want_name) {
      cur->name = line;
      want_name = false;
      continue;
    }
    if (line.rfind("\t\t", 0) == 0) {
      if (!cur->fields.empty()) cur->fields.back().items.push_back(line.substr(2));
    } else if (line.rfind("\t", 0) == 0) {
      auto body = line.substr(1);
      auto sep = body.find(": ");
      if (sep != std::string::npos) cur->fields.push_back({body.substr(0, sep), body.substr(sep + 2), {}});
      else if (!body.empty() && body.back() == ':') cur->fields.push_back({body.substr(0, body.size() - 1), "", {}});
      else cur->fields.push_back({body, "", {}});
    }
  }
  return out;
}

// Writes entry point + table in dmidecode's --dump-bin layout (entry point at
// 0 with its table address pointing at offset 32, table at 32) and decodes it.
DmiOutput run_dmidecode(const Bytes& ep_in, const Bytes& table) {
  Bytes ep = ep_in;
  if (ep.size() >= 0x18 && std::equal(ep.begin(), ep.begin() + 5, "_SM3_")) {
    for (int i = 0; i < 8; ++i) ep[0x10 + i] = i == 0 ? 32 : 0;
    fix_checksum(ep, 0, ep[0x06], 0x05);
  } else if (ep.size() >= 0x1F) {
    for (int i = 0; i < 4; ++i) ep[0x18 + i] = i == 0 ? 32 : 0;
    fix_checksum(ep, 0x10, 0x0F, 0x15);
  }
  Bytes dump(32, 0);
  std::copy(ep.begin(), ep.end(), dump.begin());
  dump.insert(dump.end(), table.begin(), table.end());
  certify::test::TempDir dir;
  auto path = dir / "dump.bin";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(dump.data()),
                                               static_cast<std::streamsize>(dump.size()));
  auto r = certify::test::run_command({"dmidecode", "--from-dump", path.string()});
  REQUIRE_MESSAGE(r.exit_code == 0, "dmidecode failed: " << r.err);
  return parse_dmidecode(r.out);
}

std::string show(const smbios::Field& f) {
  std::string s = f.label + ": " + f.text;
  for (const auto& i : f.items) s += " | " + i;
  return s;
}

// Fields newer than dmidecode 3.4 (SMBIOS 3.7 PMIC/RCD): printed by us, not
// by it; their facts are checked on their own. Anything else dmidecode
// prints, we must print the same, and nothing more.
bool newer_than_dmidecode(int type, const std::string& label) {
  static const std::map<int, std::vector<std::string>> ours_only = {
      {17, {"PMIC0 Manufacturer ID", "PMIC0 Revision Number", "RCD Manufacturer ID", "RCD Revision Number"}},
  };
  auto it = ours_only.find(type);
  return it != ours_only.end() && std::find(it->second.begin(), it->second.end(), label) != it->second.end();
}

// Every decoded record equals dmidecode's, field by field; returns how many
// fields were compared.
std::size_t compare_with_dmidecode(const Bytes& ep, const Bytes& table) {
  auto ours = smbios::decode_tables(ep, table);
  REQUIRE(ours.ok());
  CHECK_MESSAGE(ours->warnings.empty(), (ours->warnings.empty() ? "" : ours->warnings.front()));
  auto theirs = run_dmidecode(ep, table);
  CHECK(theirs.version == ours->entry_point.version_text());
  CHECK(theirs.order.size() == ours->structure_count);
  std::size_t compared = 0;
  for (const auto& r : ours->records) {
    auto it = theirs.records.find(r.handle);
    REQUIRE_MESSAGE(it != theirs.records.end(), "dmidecode has no handle " << r.handle);
    const auto& d = it->second;
    CHECK(d.type == r.type);
    CHECK(d.name == r.name);
    const auto& want = d.fields;
    std::vector<smbios::Field> mine;
    for (const auto& f : r.fields)
      if (!newer_than_dmidecode(r.type, f.label)) mine.push_back(f);
    std::ostringstream ctx;
    ctx << "handle " << r.handle << " type " << int(r.type);
    for (std::size_t i = 0; i < std::max(want.size(), mine.size()); ++i) {
      std::string a = i < mine.size() ? show(mine[i]) : "(none)";
      std::string b = i < want.size() ? show(want[i]) : "(none)";
      CHECK_MESSAGE(a == b, ctx.str());
      ++compared;
    }
  }
  return compared;
}

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

// ---------------------------------------------------------------- versus dmidecode

TEST_CASE("smbios: lab-q35 tables decode as dmidecode prints them") {
  auto dir = certify::test::fixture("lab-q35/sys/firmware/dmi/tables");
  auto ep = read_bytes(dir / "smbios_entry_point");
  auto table = read_bytes(dir / "DMI");
  CHECK(compare_with_dmidecode(ep, table) > 60);
  auto t = smbios::decode_tables(ep, table);
  REQUIRE(t.ok());
  CHECK(t->entry_point.version_text() == "2.8");
  CHECK(t->structure_count == 12);
  std::map<int, int> types;
  for (const auto& r : t->records) ++types[r.type];
  CHECK(types == std::map<int, int>{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 2}, {16, 1}, {17, 1}, {19, 1}});
}

TEST_CASE("smbios: hand-built 2.8 table, every decoded type") {
  auto table = full_table(0x0208);
  CHECK(compare_with_dmidecode(entry_point_2(table, 2, 8), table.bytes) > 250);
}

TEST_CASE("smbios: hand-built 3.2 table, every decoded type, 64-bit entry point") {
  auto table = full_table(0x0302);
  CHECK(compare_with_dmidecode(entry_point_3(table, 3, 2, 0), table.bytes) > 250);
}

TEST_CASE("smbios: SMBIOS 2.4 UUIDs in wire order, 2.6+ with the first fields swapped") {
  for (auto [minor, want] : {std::pair{4, "00112233-4455-6677-8899-aabbccddeeff"},
                             std::pair{6, "33221100-5544-7766-8899-aabbccddeeff"}}) {
    Table t;
    t.add(1, 0x0100, system_info(), {"Maker", "Model", "V1", "SN1", "SKU", "Fam"});
    t.end();
    auto ep = entry_point_2(t, 2, minor);
    compare_with_dmidecode(ep, t.bytes);
    auto d = smbios::decode_tables(ep, t.bytes);
    REQUIRE(d.ok());
    CHECK(d->records.at(0).facts["uuid"] == want);
  }
}

TEST_CASE("smbios: every enum code of every decoded field against dmidecode") {
  auto table = sweep_table();
  CHECK(compare_with_dmidecode(entry_point_3(table, 3, 4, 0), table.bytes) > 20000);
}

// ---------------------------------------------------------------- typed facts

TEST_CASE("smbios: typed facts in bytes, MT/s and MHz") {
  auto table = full_table(0x0302);
  auto t = smbios::decode_tables(entry_point_3(table, 3, 2, 0), table.bytes);
  REQUIRE(t.ok());
  auto find = [&](int type, int nth = 0) -> const nlohmann::json& {
    for (const auto& r : t->records)
      if (r.type == type && nth-- == 0) return r.facts;
    FAIL("no record of type " << type);
    throw 0;
  };
  CHECK(find(0)["rom_size_bytes"] == 32ull << 20);
  CHECK(find(0)["vendor"] == "Contoso BIOS");
  CHECK(find(1)["uuid"] == "33221100-5544-7766-8899-aabbccddeeff");
  CHECK(find(4)["max_speed_mhz"] == 3800);
  CHECK(find(4)["core_count"] == 300);  // extended core count field
  CHECK(find(7, 2)["installed_size_bytes"] == 32ull << 20);  // 64 kB granularity
  CHECK(find(16)["maximum_capacity_bytes"] == 8ull << 40);  // extended capacity
  CHECK(find(17)["size_bytes"] == 64ull << 30);               // extended size
  CHECK(find(17)["speed_mts"] == 4800);
  CHECK(find(17)["serial_number"] == "DIMM-SN-A1");
  CHECK(find(17, 1)["size_bytes"] == 0);                      // empty slot
  CHECK(find(19)["range_size_bytes"] == 64ull << 30);
  CHECK(find(38)["interface_type"] == "KCS (Keyboard Control Style)");
  CHECK(find(41)["bus_address"] == "0000:3b:00.0");
}

TEST_CASE("smbios: SMBIOS 3.2-3.7 memory device fields as facts") {
  Table t;
  auto md = memory_device(0x64, 0x7FFF, 256 << 10, 0xFFFF, 6400, 0x22, 0x2080);
  auto put = [&md](std::size_t off, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) md[off - 4 + i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  put(0x28, 0x06, 1);                     // NVDIMM-P
  put(0x29, 0x0030, 2);                   // bits 4, 5: byte- and block-accessible persistent memory
  put(0x2B, 7, 1);                        // firmware version: string 7
  put(0x2C, 0x2C80, 2);                   // JEP106 bank 1, 0x2C (parity bit set)
  put(0x2E, 0x4321, 2);
  put(0x30, 0x0000, 2);                   // unknown: no fact
  put(0x32, 0x0000, 2);
  put(0x34, 128ull << 30, 8);             // non-volatile 128 GiB
  put(0x3C, 0, 8);                        // volatile: none
  put(0x44, ~std::uint64_t{0}, 8);        // cache: unknown
  put(0x4C, 384ull << 30, 8);
  put(0x5C, 0x8A01, 2);                   // PMIC0: bank 2, 0x8A
  put(0x5E, 0x0012, 2);
  put(0x60, 0x0000, 2);                   // RCD: unknown ID...
  put(0x62, 0xFF00, 2);                   // ... and revision
  t.add(17, 0x1100, md, {"DIMM_P0", "BANK 0", "Intel", "SN", "AT", "NMB1XXD128GPS", "FW 3.1"});
  t.end();
  auto d = smbios::decode_tables(entry_point_3(t, 3, 7, 0), t.bytes);
  REQUIRE(d.ok());
  REQUIRE(d->records.size() >= 1);
  REQUIRE(d->records[0].type == 17);
  const auto& f = d->records[0].facts;
  CHECK(f["size_bytes"] == 256ull << 30);
  CHECK(f["speed_mts"] == 6400);                  // 3.3 extended speed
  CHECK(f["memory_technology"] == "NVDIMM-P");
  CHECK(f["operating_mode_capability"] ==
        nlohmann::json::array({"Byte-accessible persistent memory", "Block-accessible persistent memory"}));
  CHECK(f["firmware_version"] == "FW 3.1");
  CHECK(f["module_manufacturer_id"] == "Bank 1, Hex 0x2C");
  CHECK(f["module_product_id"] == "0x4321");
  CHECK_FALSE(f.contains("subsystem_controller_manufacturer_id"));
  CHECK_FALSE(f.contains("subsystem_controller_product_id"));
  CHECK(f["non_volatile_size_bytes"] == 128ull << 30);
  CHECK(f["volatile_size_bytes"] == 0);
  CHECK_FALSE(f.contains("cache_size_bytes"));
  CHECK(f["logical_size_bytes"] == 384ull << 30);
  CHECK(f["pmic0_manufacturer_id"] == "Bank 2, Hex 0x8A");
  CHECK(f["pmic0_revision"] == "0x12");
  CHECK_FALSE(f.contains("rcd_manufacturer_id"));
  CHECK_FALSE(f.contains("rcd_revision"));
  auto line = [&](const std::string& label) {
    for (const auto& x : d->records[0].fields)
      if (x.label == label) return x.text;
    return std::string("(absent)");
  };
  CHECK(line("Non-Volatile Size") == "128 GB");
  CHECK(line("Cache Size") == "Unknown");
  CHECK(line("RCD Revision Number") == "Unknown");
  // The same structure as dmidecode 3.4 prints it, up to the 3.7 fields.
  CHECK(compare_with_dmidecode(entry_point_3(t, 3, 7, 0), t.bytes) > 30);
}

// ---------------------------------------------------------------- malformed

namespace {

std::vector<std::string> warnings_of(const Bytes& ep, const Bytes& table) {
  auto t = smbios::decode_tables(ep, table);
  REQUIRE(t.ok());
  for (const auto& r : t->records) (void)nlohmann::json(r.facts).dump();  // valid UTF-8
  return t->warnings;
}

bool mentions(const std::vector<std::string>& ws, std::string_view what) {
  return std::any_of(ws.begin(), ws.end(), [&](const std::string& w) { return w.find(what) != std::string::npos; });
}

}  // namespace

TEST_CASE("smbios: truncated table, lying lengths and counts give warnings, not crashes") {
  auto t = full_table(0x0208);
  auto ep = entry_point_2(t, 2, 8);
  SUBCASE("table cut in the middle of a structure") {
    Bytes cut(t.bytes.begin(), t.bytes.begin() + static_cast<long>(t.bytes.size() / 2));
    auto ws = warnings_of(ep, cut);
    CHECK(mentions(ws, "truncated"));
    CHECK(mentions(ws, "entry point says the DMI table is"));
    auto d = smbios::decode_tables(ep, cut);
    CHECK(d->records.size() > 2);  // what came before the cut is kept
  }
  SUBCASE("structure length shorter than the header") {
    Bytes bad = t.bytes;
    bad[t.offsets.at(3) + 1] = 2;
    auto ws = warnings_of(ep, bad);
    CHECK(mentions(ws, "shorter than its header"));
    CHECK(smbios::decode_tables(ep, bad)->structure_count == 3);
  }
  SUBCASE("formatted length running past the table") {
    Bytes bad = t.bytes;
    bad[t.offsets.back() + 1] = 0xF0;
    CHECK(mentions(warnings_of(ep, bad), "runs past the end"));
  }
  SUBCASE("string set without its terminator") {
    Table one;
    one.add(1, 0x0100, system_info(), {"Maker", "Model"});
    Bytes bad = one.bytes;
    bad.pop_back();  // "Model" loses its NUL and the set its terminator
    bad.pop_back();
    CHECK(mentions(warnings_of(entry_point_2(Table{bad, one.offsets, one.count}, 2, 8), bad), "truncated"));
  }
  SUBCASE("entry point announces more structures than there are") {
    auto lying = entry_point_2(Table{t.bytes, t.offsets, t.count + 5}, 2, 8);
    CHECK(mentions(warnings_of(lying, t.bytes), "announces"));
  }
  SUBCASE("3.x maximum size smaller than the table") {
    auto ep3 = entry_point_3(t, 3, 0, 0);
    ep3[0x0C] = 100;
    ep3[0x0D] = ep3[0x0E] = ep3[0x0F] = 0;
    fix_checksum(ep3, 0, 0x18, 0x05);
    auto ws = warnings_of(ep3, t.bytes);
    CHECK(mentions(ws, "more than the 100"));
  }
  SUBCASE("string index past the string set") {
    Table one;
    one.add(1, 0x0100, [] { auto f = system_info(); f[0] = 9; return f; }(), {"Only"});
    one.end();
    auto ep1 = entry_point_2(one, 2, 8);
    compare_with_dmidecode(ep1, one.bytes);  // "<BAD INDEX>" like dmidecode
    auto d = smbios::decode_tables(ep1, one.bytes);
    CHECK(d->records.at(0).field("Manufacturer")->text == "<BAD INDEX>");
    CHECK_FALSE(d->records.at(0).facts.contains("manufacturer"));
  }
  SUBCASE("control and 8-bit bytes in strings are filtered") {
    Table one;
    one.add(1, 0x0100, system_info(), {std::string("A\x01\x7f\xc3\xa9Z"), "Model"});
    one.end();
    auto d = smbios::decode_tables(entry_point_2(one, 2, 8), one.bytes);
    CHECK(d->records.at(0).facts["manufacturer"] == "A....Z");
  }
  SUBCASE("duplicate handles") {
    Table two;
    two.add(1, 0x0100, system_info(), {"A"});
    two.add(1, 0x0100, system_info(), {"B"});
    two.end();
    CHECK(mentions(warnings_of(entry_point_2(two, 2, 8), two.bytes), "more than once"));
  }
}

TEST_CASE("smbios: bad entry points") {
  auto t = full_table(0x0208);
  std::vector<std::string> ws;
  SUBCASE("bad checksums are warnings") {
    auto ep = entry_point_2(t, 2, 8);
    ep[0x04] ^= 0x55;
    ep[0x15] ^= 0x11;
    auto w = warnings_of(ep, t.bytes);
    CHECK(mentions(w, "entry point checksum is wrong"));
    CHECK(mentions(w, "intermediate checksum is wrong"));
    auto ep3 = entry_point_3(t, 3, 0, 0);
    ep3[0x05] ^= 1;
    CHECK(mentions(warnings_of(ep3, t.bytes), "SMBIOS 3 entry point checksum is wrong"));
  }
  SUBCASE("truncated and unknown entry points are errors") {
    auto ep = entry_point_2(t, 2, 8);
    CHECK_FALSE(smbios::parse_entry_point(std::span(ep).first(10), ws).ok());
    auto ep3 = entry_point_3(t, 3, 0, 0);
    CHECK_FALSE(smbios::parse_entry_point(std::span(ep3).first(0x17), ws).ok());
    Bytes junk = {'_', 'X', 'Y', '_', 0, 0, 0, 0};
    auto r = smbios::parse_entry_point(junk, ws);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("no SMBIOS entry point anchor") != std::string::npos);
    CHECK_FALSE(smbios::parse_entry_point({}, ws).ok());
  }
  SUBCASE("legacy _DMI_ entry point") {
    Bytes ep(0x0F, 0);
    std::copy_n("_DMI_", 5, ep.begin());
    ep[0x06] = static_cast<std::uint8_t>(t.bytes.size());
    ep[0x07] = static_cast<std::uint8_t>(t.bytes.size() >> 8);
    ep[0x0C] = static_cast<std::uint8_t>(t.count);
    ep[0x0E] = 0x21;
    fix_checksum(ep, 0, 0x0F, 0x05);
    auto p = smbios::parse_entry_point(ep, ws);
    REQUIRE(p.ok());
    CHECK(p->version_text() == "2.1");
    CHECK(ws.empty());
    CHECK(smbios::decode_tables(ep, t.bytes)->records.size() > 10);
  }
}

// ---------------------------------------------------------------- probes

namespace {

Inventory probe(const fs::path& root, std::vector<std::string> classes) {
  ProbeOptions o;
  o.classes = std::move(classes);
  o.live_queries = false;
  auto inv = probe_all(Sysroot(root), o);
  REQUIRE(inv.ok());
  return std::move(inv).value();
}

void write_file(const fs::path& p, const Bytes& b) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

TEST_CASE("system probe: lab-q35 from its SMBIOS tables") {
  auto inv = probe(certify::test::fixture("lab-q35"), {"system"});
  const auto& s = inv.system;
  CHECK(s["source"] == "smbios");
  CHECK(s["smbios"]["version"] == "2.8");
  CHECK(s["smbios"]["structures"] == 12);
  CHECK(s["bios"]["vendor"] == "LabBIOS Inc.");
  CHECK(s["bios"]["version"] == "LAB-1.2.3");
  CHECK(s["bios"]["release_date"] == "01/15/2024");
  CHECK(s["bios"]["rom_size_bytes"] == 64 * 1024);
  CHECK(s["system"]["manufacturer"] == "Contoso");
  CHECK(s["system"]["product_name"] == "HWLab-1000");
  CHECK(s["system"]["serial_number"] == "SYS-SN-0001");
  CHECK(s["system"]["uuid"] == "4c4c4544-0042-3510-8052-b7c04f4e3032");
  CHECK(s["baseboard"]["product_name"] == "LabBoard-X1");
  CHECK(s["baseboard"]["asset_tag"] == "MB-ASSET-01");
  CHECK(s["chassis"]["serial_number"] == "CH-SN-0001");
  CHECK(s["chassis"]["sku_number"] == "CH-SKU-01");
  REQUIRE(s["processors"].size() == 2);
  CHECK(s["processors"][1]["socket_designation"] == "CPU-Socket 1");
  CHECK(s["processors"][0]["max_speed_mhz"] == 3500);
  CHECK(s["processors"][0]["core_count"] == 2);
  // The kernel's dmi/id copy of the same facts agrees with our decoding.
  Sysroot root(certify::test::fixture("lab-q35"));
  CHECK(root.attr("/sys/class/dmi/id/product_uuid") == s["system"]["uuid"].get<std::string>());
  CHECK(root.attr("/sys/class/dmi/id/board_serial") == s["baseboard"]["serial_number"].get<std::string>());
  CHECK(root.attr("/sys/class/dmi/id/bios_date") == s["bios"]["release_date"].get<std::string>());
  for (const auto& w : inv.warnings) CHECK_MESSAGE(w.source != "smbios", w.message);
}

TEST_CASE("system probe: without tables it falls back to /sys/class/dmi/id, with a warning") {
  certify::test::TempDir t;
  fs::create_directories(t / "sys/class/dmi");
  // sys/class/dmi/id is a link into sys/devices/virtual; copy what it points to.
  fs::copy(fs::canonical(certify::test::fixture("lab-q35/sys/class/dmi/id")), t / "sys/class/dmi/id",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto inv = probe(t.path(), {"system"});
  CHECK(inv.system["source"] == "dmi-id");
  CHECK(inv.system["system"]["product_name"] == "HWLab-1000");
  CHECK(inv.system["system"]["uuid"] == "4c4c4544-0042-3510-8052-b7c04f4e3032");
  CHECK(inv.system["baseboard"]["asset_tag"] == "MB-ASSET-01");
  CHECK(inv.system["chassis"]["type"] == "Other");
  CHECK(inv.system["bios"]["vendor"] == "LabBIOS Inc.");
  REQUIRE(inv.warnings.size() == 1);
  CHECK(inv.warnings[0].source == "system");
  CHECK(inv.warnings[0].message.find("/sys/class/dmi/id") != std::string::npos);

  SUBCASE("neither tables nor dmi/id") {
    fs::remove_all(t / "sys/class/dmi");
    auto none = probe(t.path(), {"system"});
    CHECK(none.system.empty());
    REQUIRE(none.warnings.size() == 1);
    CHECK(none.warnings[0].message.find("system facts unknown") != std::string::npos);
  }
}

TEST_CASE("system probe: a broken table still yields what precedes the damage, and warns once") {
  certify::test::TempDir t;
  auto table = full_table(0x0208);
  Bytes cut(table.bytes.begin(), table.bytes.begin() + static_cast<long>(table.offsets.at(6)) + 3);
  write_file(t / "sys/firmware/dmi/tables/smbios_entry_point", entry_point_2(table, 2, 8));
  write_file(t / "sys/firmware/dmi/tables/DMI", cut);
  auto inv = probe(t.path(), {"system", "memory"});
  CHECK(inv.system["bios"]["vendor"] == "Contoso BIOS");
  CHECK(inv.system["system"]["product_name"] == "Model-9");
  int truncated = 0;
  for (const auto& w : inv.warnings)
    if (w.source == "smbios" && w.message.find("truncated") != std::string::npos) ++truncated;
  CHECK(truncated == 1);  // system and memory both read the table; one warning
}

TEST_CASE("memory probe: lab-q35 totals, NUMA nodes, huge pages and DIMMs") {
  auto inv = probe(certify::test::fixture("lab-q35"), {"memory"});
  const auto& m = inv.memory;
  CHECK(m["total_bytes"] == 2014452ull * 1024);
  CHECK(m["available_bytes"] == 1776464ull * 1024);
  CHECK(m["hugepage_size_bytes"] == 2048 * 1024);
  REQUIRE(m["nodes"].size() == 2);
  CHECK(m["nodes"][0]["node"] == 0);
  CHECK(m["nodes"][0]["total_bytes"] == 985208ull * 1024);
  CHECK(m["nodes"][1]["node"] == 1);
  Sysroot root(certify::test::fixture("lab-q35"));
  REQUIRE(m["hugepages"].size() == 2);
  CHECK(m["hugepages"][0]["size_bytes"] == 2ull << 20);
  CHECK(m["hugepages"][1]["size_bytes"] == 1ull << 30);
  CHECK(m["hugepages"][0]["total"] ==
        *root.attr_int("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", 10));
  CHECK(m["nodes"][0]["hugepages"].size() == 2);
  REQUIRE(m["dimms"].size() == 1);
  const auto& d = m["dimms"][0];
  CHECK(d["locator"] == "DIMM 0");
  CHECK(d["bank_locator"] == "BANK");
  CHECK(d["size_bytes"] == 2ull << 30);
  CHECK(d["type"] == "RAM");
  CHECK(d["speed_mts"] == 3200);
  CHECK(d["configured_speed_mts"] == 3200);
  CHECK(d["manufacturer"] == "LabRAM");
  CHECK(d["serial_number"] == "DIMM-SN-0001");
  CHECK(d["part_number"] == "DIMM-PN-3200");
  CHECK(m["dimm_total_bytes"] == 2ull << 30);
  REQUIRE(m["arrays"].size() == 1);
  CHECK(m["arrays"][0]["maximum_capacity_bytes"] == 2ull << 30);
  CHECK(m["arrays"][0]["error_correction_type"] == "Multi-bit ECC");
  REQUIRE(m["arrays"][0]["mapped_ranges"].size() == 1);
  CHECK(m["arrays"][0]["mapped_ranges"][0]["range_size_bytes"] == 2ull << 30);
  CHECK(inv.warnings.empty());
}

TEST_CASE("memory probe: odd meminfo and hugepage directories are warnings") {
  certify::test::TempDir t;
  fs::create_directories(t / "proc");
  std::ofstream(t / "proc/meminfo") << "MemFree: 12 kB\ngarbage line\nMemAvailable: x kB\n";
  fs::create_directories(t / "sys/kernel/mm/hugepages/hugepages-2048kB");
  fs::create_directories(t / "sys/kernel/mm/hugepages/bogus");
  std::ofstream(t / "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") << "16\n";
  auto inv = probe(t.path(), {"memory"});
  CHECK_FALSE(inv.memory.contains("total_bytes"));
  CHECK_FALSE(inv.memory.contains("available_bytes"));
  REQUIRE(inv.memory["hugepages"].size() == 1);
  CHECK(inv.memory["hugepages"][0]["total"] == 16);
  auto has = [&](std::string_view s) {
    return std::any_of(inv.warnings.begin(), inv.warnings.end(),
                       [&](const Warning& w) { return w.message.find(s) != std::string::npos; });
  };
  CHECK(has("no MemTotal"));
  CHECK(has("bogus"));
  CHECK(has("DIMMs and memory arrays unknown"));
}

TEST_CASE("anonymize: SMBIOS serials, UUIDs and asset tags") {
  auto inv = probe(certify::test::fixture("lab-q35"), {"system", "memory"});
  auto j = to_json(inv);
  anonymize(j, "salt");
  auto text = j.dump();
  for (const char* secret : {"SYS-SN-0001", "4c4c4544-0042-3510-8052-b7c04f4e3032", "MB-SN-0001",
                             "MB-ASSET-01", "CH-ASSET-01", "CPU-SN-0001", "DIMM-SN-0001", "DIMM-ASSET"})
    CHECK_MESSAGE(text.find(secret) == std::string::npos, secret);
  CHECK(j["system"]["system"]["product_name"] == "HWLab-1000");
  CHECK(j["memory"]["dimms"][0]["part_number"] == "DIMM-PN-3200");
}

TEST_CASE("lab-q35: system and memory sections match their golden, the schema and the other formats") {
  auto inv = probe(certify::test::fixture("lab-q35"), {});
  auto golden = certify::test::check_golden(nlohmann::json{{"system", inv.system}, {"memory", inv.memory}},
                                            certify::test::fixture("lab-q35/expected/system-memory.json"));
  CHECK_MESSAGE(golden.empty(), golden);
  auto j = to_json(inv);
  auto errors = certify::test::schema_errors(j, "schemas/inventory.schema.json");
  CHECK_MESSAGE(errors.empty(), errors);
  auto xml = to_xml(j);
  CHECK(xml.find("<dimm>") != std::string::npos);
  CHECK(xml.find("<locator>DIMM 0</locator>") != std::string::npos);
  CHECK(xml.find("<processor>") != std::string::npos);
  auto table = to_table(inv);
  CHECK(table.find("Chassis           Other") != std::string::npos);
  CHECK(table.find("SMBIOS            2.8") != std::string::npos);
  CHECK(table.find("DIMMs populated   1") != std::string::npos);
}
