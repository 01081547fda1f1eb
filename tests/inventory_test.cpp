// Inventory: JSON round trip, anonymisation, XML and table output.
#include <doctest/doctest.h>

#include <pugixml.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>

#include "probe/inventory.hpp"
#include "probe/json_text.hpp"
#include "probe/probe.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;

namespace {

Inventory sample() {
  Inventory inv;
  inv.tool_version = "0.1.0";
  inv.os = {{"id", "debian"}, {"version_id", "12"}};
  inv.system = {{"system", {{"manufacturer", "Contoso"}, {"serial_number", "SYS-SN-0001"}, {"uuid", "4c4c"}}}};
  auto& d = inv.upsert("pci:0000:01:00.0");
  d.cls = "nvme";
  d.bus = "pci";
  d.vendor_id = "0x1b36";
  d.model = "QEMU NVM Express Controller";
  d.pcie = PcieLink{"8.0 GT/s", "16.0 GT/s", 4, 4};
  d.props = {{"serial", "NVME-LAB-0001"}, {"mac", "52:54:00:00:0e:01"}, {"namespaces", nlohmann::json::array({1, 2})}};
  inv.warn("dmi", "no tables");
  return inv;
}

}  // namespace

TEST_CASE("inventory JSON round trip keeps every field") {
  auto inv = sample();
  auto j = to_json(inv);
  auto back = inventory_from_json(j);
  REQUIRE(back.ok());
  CHECK(to_json(*back) == j);
  CHECK(j["devices"][0]["pcie"]["degraded"] == true);
}

TEST_CASE("inventory from JSON rejects a newer schema and bad devices") {
  auto j = to_json(sample());
  j["schema_version"] = 99;
  CHECK_FALSE(inventory_from_json(j).ok());
  j["schema_version"] = 1;
  j["devices"][0].erase("id");
  CHECK_FALSE(inventory_from_json(j).ok());
  CHECK_FALSE(inventory_from_json(nlohmann::json::array()).ok());
}

TEST_CASE("anonymize hashes identifying values consistently, keeps the rest") {
  auto j = to_json(sample());
  auto k = j;
  anonymize(j, "salt-1");
  anonymize(k, "salt-1");
  CHECK(j == k);
  auto serial = j["system"]["system"]["serial_number"].get<std::string>();
  CHECK(serial.rfind("anon:", 0) == 0);
  CHECK(serial.find("SYS-SN") == std::string::npos);
  CHECK(j["devices"][0]["props"]["serial"].get<std::string>().rfind("anon:", 0) == 0);
  CHECK(j["devices"][0]["props"]["mac"].get<std::string>().rfind("anon:", 0) == 0);
  CHECK(j["system"]["system"]["manufacturer"] == "Contoso");
  auto m = to_json(sample());
  anonymize(m, "salt-2");
  CHECK(m["devices"][0]["props"]["serial"] != j["devices"][0]["props"]["serial"]);
}

TEST_CASE("XML output parses and carries devices") {
  auto xml = to_xml(to_json(sample()));
  pugi::xml_document doc;
  REQUIRE(doc.load_string(xml.c_str()));
  auto dev = doc.child("inventory").child("devices").child("device");
  CHECK(std::string(dev.child_value("id")) == "pci:0000:01:00.0");
  CHECK(std::string(dev.child("props").child("namespaces").first_child().child_value()) == "1");
}

TEST_CASE("table output has one section per class and the warnings") {
  auto t = to_table(sample());
  CHECK(t.find("NVME (1)") != std::string::npos);
  CHECK(t.find("QEMU NVM Express") != std::string::npos);
  CHECK(t.find("below max") != std::string::npos);
  CHECK(t.find("WARNINGS (1)") != std::string::npos);
  CHECK(t.find("Contoso") != std::string::npos);
}

TEST_CASE("inventory: find() after upserts, sorting, erasing and direct appends") {
  Inventory inv;
  for (int i = 2999; i >= 0; --i) inv.upsert("pci:" + std::to_string(i)).props["n"] = i;
  CHECK(inv.devices.size() == 3000);
  CHECK(&inv.upsert("pci:17") == inv.find("pci:17"));  // no duplicate
  CHECK(inv.devices.size() == 3000);
  std::sort(inv.devices.begin(), inv.devices.end(), [](const Device& a, const Device& b) { return a.id < b.id; });
  REQUIRE(inv.find("pci:2500"));
  CHECK(inv.find("pci:2500")->props["n"] == 2500);
  CHECK(inv.find("pci:3000") == nullptr);
  std::erase_if(inv.devices, [](const Device& d) { return d.props["n"].get<int>() % 2 == 0; });
  CHECK(inv.find("pci:2500") == nullptr);
  REQUIRE(inv.find("pci:2501"));
  CHECK(inv.find("pci:2501")->props["n"] == 2501);
  Device extra;
  extra.id = "usb:1-1";
  extra.cls = "usb";
  inv.devices.push_back(extra);
  REQUIRE(inv.find("usb:1-1"));
  CHECK(inv.find("usb:1-1")->cls == "usb");
  const Inventory& c = inv;
  CHECK(c.find("pci:1")->props["n"] == 1);
}

namespace {

// What the probe printed before it wrote its JSON itself (json_text.hpp).
std::string document_text(const Inventory& inv) {
  return to_json(inv).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

TEST_CASE("inventory JSON text: byte for byte the document's dump(2) on every fixture") {
  int compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(certify::test::fixture(""))) {
    if (!entry.is_directory()) continue;
    for (std::vector<std::string> classes : {std::vector<std::string>{}, std::vector<std::string>{"pci"},
                                             std::vector<std::string>{"cpu", "memory"}}) {
      ProbeOptions o;
      o.classes = classes;
      o.live_queries = false;
      auto inv = probe_all(Sysroot(entry.path()), o);
      if (!inv) continue;  // not a sysroot (suites, swcompat)
      CAPTURE(entry.path().filename().string());
      CAPTURE(classes.size());
      CHECK(inventory_json_text(*inv) == document_text(*inv));
      ++compared;
    }
  }
  CHECK(compared >= 60);  // 20 and more sysroots, three class selections each
}

TEST_CASE("inventory JSON text: escapes, UTF-8, invalid UTF-8, numbers and nesting as nlohmann prints them") {
  using nlohmann::json;
  auto inv = sample();
  inv.sysroot = "/tmp/a \"b\" \\ c";
  inv.os["controls"] = "\b\f\n\r\t\x01\x1f\x7f end";
  inv.os["utf8"] = "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80";
  // Truncated, lone continuation, overlong, surrogate, above U+10FFFF, and a
  // bad byte inside a sequence whose next byte starts a good one.
  for (const char* bad : {"a\xc3", "\x80" "b", "\xc0\xaf" "c", "\xed\xa0\x80" "d", "\xf4\x90\x80\x80" "e", "\xe2\x82" "A\xc3\xa9"})
    inv.os["bad"].push_back(bad);
  inv.os["bad key \xff"] = "value \xfe";
  inv.cpu = {{"mhz", 2400.5}, {"tiny", 1e-7}, {"big", 1.5e300}, {"whole", 3.0}, {"neg", -17},
             {"u64", std::uint64_t(18446744073709551615ull)}, {"i64", std::int64_t(-9223372036854775807ll - 1)},
             {"nan", std::nan("")}, {"null", nullptr}, {"flag", false}, {"empty_obj", json::object()},
             {"empty_arr", json::array()}, {"nested", {{"a", {1, {2, {{"b", json::array({json::object()})}}}}}}}};
  inv.memory = json::array({1, "two"});  // not an object: printed as it is
  inv.system = nullptr;
  auto& d = inv.upsert("usb:1-1");
  d.cls = "usb";
  d.numa_node = -1;
  d.props = json::array({1});  // not an object: to_json prints {}
  auto& e = inv.upsert("net:e\xffth0");
  e.cls = "nic";
  e.pcie = PcieLink{std::nullopt, "", std::nullopt, 0};
  e.parent = "pci:0000:01:00.0";
  e.driver_version = "1.0\t";
  inv.warn("s\x02", "m\xc3");
  CHECK(inventory_json_text(inv) == document_text(inv));
  Inventory empty;
  CHECK(inventory_json_text(empty) == document_text(empty));
  for (const json& v : {json(json::value_t::binary), json::binary({1, 2, 3}, 7), json("x"), json::object()}) {
    std::string text;
    append_json(text, {{"v", {{"w", v}}}}, 0);
    CHECK(text == json{{"v", {{"w", v}}}}.dump(2));
  }
}
