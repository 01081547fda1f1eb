// The certify binary's software commands: exit codes, formats, bad input.
#include <doctest/doctest.h>

#include "core/files.hpp"
#include "swcompat/snapshot.hpp"
#include "tests/testpackages.hpp"
#include "tests/testutil.hpp"

using namespace certify;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string certify_bin() { return test::build_path("cli/certify").string(); }

fs::path pkgs() { return test::test_packages(); }

std::string host() { return test::fixture("swcompat/snapshot-host.json").string(); }
std::string guest() { return test::fixture("swcompat/snapshot-lab-guest.json").string(); }

}  // namespace

TEST_CASE("cli sw-check: exit codes and formats") {
  auto good = test::run_command({certify_bin(), "sw-check", "--target", host(), (pkgs() / "crafted/good.deb").string()});
  INFO(good.out, good.err);
  CHECK(good.exit_code == 0);
  CHECK(good.out.find("sw-check:") == 0);

  auto bad = test::run_command({certify_bin(), "sw-check", "--target", host(), "-f", "json",
                                (pkgs() / "crafted/badsymver.deb").string()});
  CHECK(bad.exit_code == 1);
  auto j = json::parse(bad.out);
  CHECK(j["status"] == "fail");
  CHECK(j["sbom"]["spdxVersion"] == "SPDX-2.3");
  CHECK(j["requirements"]["min_glibc"] == "2.99");

  auto html = test::run_command({certify_bin(), "sw-check", "--target", host(), "-f", "html",
                                 (pkgs() / "crafted/nolicense.deb").string(), (pkgs() / "crafted/good.deb").string()});
  CHECK(html.exit_code == 1);
  CHECK(html.out.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.out.find("no licence declared") != std::string::npos);
  CHECK(html.out.find("certify-good") != std::string::npos);

  test::TempDir d;
  auto sb = test::run_command({certify_bin(), "sw-check", "--target", host(), "--sbom", (d / "sbom.json").string(),
                               "--requirements-out", (d / "req.json").string(), "-o", (d / "r.txt").string(),
                               (pkgs() / "crafted/rpmdemo.rpm").string()});
  INFO(sb.err);
  CHECK(sb.exit_code == 0);
  auto sbom = json::parse(*read_file(d / "sbom.json"));
  CHECK(sbom["packages"][0]["name"] == "certify-rpmdemo");
  // The requirements travel: the rpm needs only files and sonames, which
  // the busybox lab guest has; the bad symbol version fails on any target.
  auto rq = test::run_command({certify_bin(), "os-diff", "--requirements", (d / "req.json").string(), guest()});
  INFO(rq.out);
  CHECK(rq.exit_code == 0);
  auto bs = test::run_command({certify_bin(), "sw-check", "--target", host(), "--requirements-out", (d / "req2.json").string(),
                               "-o", (d / "r2.txt").string(), (pkgs() / "crafted/badsymver.deb").string()});
  CHECK(bs.exit_code == 1);
  auto rq2 = test::run_command({certify_bin(), "os-diff", "--requirements", (d / "req2.json").string(), guest()});
  CHECK(rq2.exit_code == 1);
  CHECK(rq2.out.find("GLIBC_2.99") != std::string::npos);
  auto notreq = test::run_command({certify_bin(), "os-diff", "--requirements", host(), guest()});
  CHECK(notreq.exit_code == 2);
}

TEST_CASE("cli sw-check: bad input is a clear usage error") {
  for (auto* name : {"truncated.deb", "notapackage.deb", "truncated.rpm"}) {
    auto r = test::run_command({certify_bin(), "sw-check", "--target", host(), (pkgs() / "crafted" / name).string()});
    INFO(name, r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("certify: ", 0) == 0);
  }
  test::TempDir d;
  auto snap = json::parse(*read_file(host()));
  snap["format_version"] = swcompat::k_snapshot_format_version + 1;
  REQUIRE(write_file_atomic(d / "newer.json", snap.dump()).ok());
  auto r = test::run_command({certify_bin(), "sw-check", "--target", (d / "newer.json").string(),
                              (pkgs() / "crafted/good.deb").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("newer than this certify understands") != std::string::npos);
  auto r2 = test::run_command({certify_bin(), "os-diff", host(), (d / "newer.json").string()});
  CHECK(r2.exit_code == 2);
  CHECK(r2.err.find("newer") != std::string::npos);
}

TEST_CASE("cli sw-check --install reports leftovers") {
  auto r = test::run_command({certify_bin(), "sw-check", "--target", host(), "--install", "-f", "json",
                              (pkgs() / "crafted/leftover.deb").string()});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  auto j = json::parse(r.out);
  json install;
  for (auto& c : j["checks"])
    if (c["id"] == "install") install = c;
  CHECK(install["status"] == "fail");
  CHECK(install["summary"].get<std::string>().find("left behind") != std::string::npos);
}

TEST_CASE("cli os-snapshot and os-diff") {
  test::TempDir d;
  auto s = test::run_command({certify_bin(), "os-snapshot", "--sysroot", test::fixture("vm-virtio").string(), "-o",
                              (d / "s.json").string(), "--created", "2026-01-01T00:00:00Z"});
  INFO(s.err);
  REQUIRE(s.exit_code == 0);
  auto snap = json::parse(*read_file(d / "s.json"));
  CHECK(snap["format"] == "certify-os-snapshot");
  CHECK(snap["created"] == "2026-01-01T00:00:00Z");
  CHECK(s.err.find("warning: packages:") != std::string::npos);

  auto bad = test::run_command({certify_bin(), "os-snapshot", "-d", "packages,nonsense"});
  CHECK(bad.exit_code == 2);

  auto diff = test::run_command({certify_bin(), "os-diff", "-f", "json", host(), guest()});
  INFO(diff.err);
  REQUIRE(diff.exit_code == 0);
  auto j = json::parse(diff.out);
  CHECK(j["kind"] == "os-diff");
  CHECK(j["scores"]["packages"] == 0.0);
  CHECK(j["scores"].contains("libraries"));
  auto fail = test::run_command({certify_bin(), "os-diff", "--fail-below", "99", host(), guest()});
  CHECK(fail.exit_code == 1);
  auto same = test::run_command({certify_bin(), "os-diff", "--fail-below", "99", host(), host()});
  CHECK(same.exit_code == 0);
  auto html = test::run_command({certify_bin(), "os-diff", "-f", "html", host(), guest()});
  CHECK(html.out.find("<table>") != std::string::npos);
}

TEST_CASE("cli kabi-check") {
  auto ok = test::run_command({certify_bin(), "kabi-check", "--symvers", test::fixture("swcompat/Module.symvers").string(),
                               "--kernel-release", "6.1.0-56-amd64", test::fixture("swcompat/dummy.ko").string()});
  INFO(ok.out, ok.err);
  CHECK(ok.exit_code == 0);
  test::TempDir d;
  REQUIRE(write_file_atomic(d / "allow", "register_netdevice\n").ok());
  auto al = test::run_command({certify_bin(), "kabi-check", "--symvers", test::fixture("swcompat/Module.symvers").string(),
                               "--allow-list", (d / "allow").string(), test::fixture("swcompat/dummy.ko").string()});
  CHECK(al.exit_code == 1);
  // The lab guest's snapshot has the exported names (kallsyms) but no CRCs.
  auto lab = test::run_command({certify_bin(), "kabi-check", "-f", "json", "--target", guest(),
                                test::fixture("swcompat/dummy.ko").string()});
  INFO(lab.out, lab.err);
  auto j = json::parse(lab.out);
  for (auto& c : j["checks"]) {
    if (c["id"] == "symbols") CHECK(c["status"] == "pass");
    if (c["id"] == "crcs") CHECK(c["status"] == "skip");
  }
  auto notko = test::run_command({certify_bin(), "kabi-check", "--symvers", test::fixture("swcompat/Module.symvers").string(),
                                  test::fixture("swcompat/Module.symvers").string()});
  CHECK(notko.exit_code == 2);
}
