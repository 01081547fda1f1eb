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

TEST_CASE("certify front: probe runs without certify-full, run and builtin go to certify-run, the rest to certify-full") {
  namespace fs = std::filesystem;
  // Alone in a directory (and no certify-full installed where the build
  // would put it): probe and --version work, the rest fails clearly.
  certify::test::TempDir t;
  fs::copy_file(certify_bin(), t / "certify");
  fs::permissions(t / "certify", fs::perms::owner_all);
  auto alone = (t / "certify").string();
  auto p = run_command({alone, "probe", "--sysroot", fixture("vm-virtio").string(), "--class", "os"});
  CHECK(p.exit_code == 0);
  CHECK(nlohmann::json::parse(p.out)["os"]["id"] == "debian");
  CHECK(run_command({alone, "--version"}).out == "certify 0.1.0\n");
  if (!fs::exists("/usr/local/libexec/certify/certify-full")) {
    auto r = run_command({alone, "plan", "--help"});
    CHECK(r.exit_code == 127);
    CHECK(r.err.find("cannot run certify-full") != std::string::npos);
  }
  if (!fs::exists("/usr/local/libexec/certify/certify-run")) {
    auto r = run_command({alone, "run", "--help"});
    CHECK(r.exit_code == 127);
    CHECK(r.err.find("cannot run certify-run, which holds run and builtin") != std::string::npos);
  }
  // Beside certify-full: the same command lines as the full executable.
  auto help = run_command({certify_bin(), "--help"});
  CHECK(help.exit_code == 0);
  for (const char* sub : {"probe", "plan", "run", "report", "bundle", "submit", "doctor"})
    CHECK_MESSAGE(help.out.find(std::string("  ") + sub + " ") != std::string::npos, sub);
  auto full = run_command({build_path("cli/certify-full").string(), "probe", "--help"});
  auto front = run_command({certify_bin(), "probe", "--help"});
  CHECK(front.exit_code == 0);
  CHECK(front.out == full.out);
  // run and builtin: certify-run's, which are certify-full's.
  for (const char* sub : {"run", "builtin"}) {
    auto via_front = run_command({certify_bin(), sub, "--help"});
    CHECK_MESSAGE(via_front.exit_code == 0, sub);
    CHECK_MESSAGE(via_front.out == run_command({build_path("cli/certify-full").string(), sub, "--help"}).out, sub);
    CHECK_MESSAGE(via_front.out == run_command({build_path("cli/certify-run").string(), sub, "--help"}).out, sub);
  }
  auto bad = run_command({certify_bin(), "no-such-command"});
  CHECK(bad.exit_code == 2);
  CHECK(run_command({certify_bin()}).exit_code == 2);  // a subcommand is required
}
