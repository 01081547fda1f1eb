// certify probe as a user runs it: formats, class filter, errors, exit codes.
#include <doctest/doctest.h>

#include <pugixml.hpp>

#include "tests/testutil.hpp"

using certify::test::build_path;
using certify::test::fixture;
using certify::test::run_command;

namespace {
std::string certify_bin() { return build_path("cli/certify").string(); }
}  // namespace

TEST_CASE("certify probe --format json validates against the inventory schema") {
  auto r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string()});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema_version"] == 1);
  CHECK(j["os"]["id"] == "debian");
  CHECK(j["devices"].size() >= 6);
  auto errors = certify::test::schema_errors(j, "schemas/inventory.schema.json");
  CHECK_MESSAGE(errors.empty(), errors);
}

TEST_CASE("certify probe --class filters, --format xml and table render") {
  auto r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(),
                        "--class", "nic", "--format", "xml"});
  REQUIRE(r.exit_code == 0);
  pugi::xml_document doc;
  REQUIRE(doc.load_string(r.out.c_str()));
  auto devs = doc.child("inventory").child("devices");
  int n = 0;
  for (auto d : devs.children("device")) {
    CHECK(std::string(d.child_value("class")) == "nic");
    ++n;
  }
  CHECK(n == 5);  // the virtio function, eth0 and the virtual ifb0, ifb1, lo
  auto t = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(),
                        "--format", "table"});
  REQUIRE(t.exit_code == 0);
  CHECK(t.out.find("NIC (5)") != std::string::npos);
  CHECK(t.out.find("Virtio 1.0 network device") != std::string::npos);
}

TEST_CASE("certify probe errors: missing sysroot, unknown class, bad format") {
  auto r = run_command({certify_bin(), "probe", "--sysroot", "/nonexistent/root"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("does not exist") != std::string::npos);
  r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(), "--class", "warpdrive"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown class 'warpdrive'") != std::string::npos);
  r = run_command({certify_bin(), "probe", "--format", "yaml"});
  CHECK(r.exit_code == 2);
}

TEST_CASE("certify probe --anonymize -o FILE writes hashed identifiers") {
  certify::test::TempDir t;
  auto out = (t / "inv.json").string();
  auto r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(),
                        "--anonymize", "--salt", "s", "-o", out});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  auto text = certify::test::run_command({"cat", out}).out;
  auto j = nlohmann::json::parse(text);
  CHECK(j["os"]["hostname"].get<std::string>().rfind("anon:", 0) == 0);
}
