// os probe: os-release parsing and kernel facts from a sysroot.
#include <doctest/doctest.h>

#include "probe/probe.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;

TEST_CASE("os-release: quotes, escapes, comments and junk") {
  auto j = parse_os_release(
      "# comment\n"
      "NAME=\"openEuler\"\n"
      "VERSION_ID='22.03'\n"
      "ID=openeuler\n"
      "ID_LIKE=\"rhel fedora\"\n"
      "PLATFORM_ID=\"platform:oe2203\"\n"
      "PRETTY_NAME=\"openEuler 22.03 \\\"LTS\\\"\"\n"
      "garbage line\n"
      "lower=ignored\n"
      "=novalue\n");
  CHECK(j["id"] == "openeuler");
  CHECK(j["version_id"] == "22.03");
  CHECK(j["id_like"] == "rhel fedora");
  CHECK(j["platform_id"] == "platform:oe2203");
  CHECK(j["pretty_name"] == "openEuler 22.03 \"LTS\"");
  CHECK_FALSE(j.contains("lower"));
  CHECK(j.size() == 6);
}

TEST_CASE("os probe on the recorded virtio VM") {
  Sysroot root(certify::test::fixture("vm-virtio"));
  ProbeOptions o;
  o.classes = {"os"};
  auto inv = probe_all(root, o);
  REQUIRE(inv.ok());
  CHECK(inv->os["id"] == "debian");
  CHECK(inv->os["version_id"] == "12");
  CHECK(inv->os["arch"] == "x86_64");
  CHECK(inv->os["kernel_release"] == "6.18.44-fc-v657");
  CHECK(inv->os["cmdline"] == "console=ttyS0 quiet reboot=k panic=1");
  CHECK(inv->warnings.empty());
}

TEST_CASE("os probe on an empty sysroot warns and does not crash") {
  certify::test::TempDir t;
  Sysroot root(t.path());
  ProbeOptions o;
  o.classes = {"os"};
  auto inv = probe_all(root, o);
  REQUIRE(inv.ok());
  CHECK(inv->os.empty());
  CHECK(inv->warnings.size() >= 2);
}
