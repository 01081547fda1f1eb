// Tests of libcertify-swcompat: SPDX, versions, package and ELF readers,
// snapshots, os-diff, kabi-check, SBOM, install test, source scan.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/files.hpp"
#include "swcompat/diff.hpp"
#include "swcompat/elf.hpp"
#include "swcompat/install.hpp"
#include "swcompat/kabi.hpp"
#include "swcompat/package.hpp"
#include "swcompat/report.hpp"
#include "swcompat/rpmdb.hpp"
#include "swcompat/snapshot.hpp"
#include "swcompat/spdx.hpp"
#include "swcompat/srcscan.hpp"
#include "swcompat/swcheck.hpp"
#include "swcompat/version.hpp"
#include "tests/testpackages.hpp"
#include "tests/testutil.hpp"

using namespace certify;
using namespace certify::swcompat;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const LicenseList& licenses() {
  static const LicenseList list = [] {
    auto l = LicenseList::load(test::source_path("hwdata"));
    if (!l) throw std::runtime_error(l.message());
    return *l;
  }();
  return list;
}

fs::path packages() { return test::test_packages(); }

fs::path real_pkg(const std::string& prefix) {
  for (auto& e : fs::directory_iterator(packages() / "real"))
    if (e.path().filename().string().rfind(prefix + "_", 0) == 0) return e.path();
  throw std::runtime_error("no real package " + prefix);
}

json fixture_json(const std::string& rel) {
  auto t = read_file(test::fixture(rel));
  if (!t) throw std::runtime_error(t.message());
  return json::parse(*t);
}

const json& host_snapshot() {
  static const json j = fixture_json("swcompat/snapshot-host.json");
  return j;
}

Package must_read(const fs::path& p) {
  auto r = read_package(p);
  if (!r) FAIL(r.message());
  return std::move(r).value();
}

const Check* find_check(const Report& r, const std::string& id) {
  for (auto& c : r.checks)
    if (c.id == id) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("SPDX: valid expressions are normalised") {
  struct Case {
    const char* in;
    const char* norm;
  } cases[] = {
      {"MIT", "MIT"},
      {"mit", "MIT"},
      {"MIT OR Apache-2.0", "MIT OR Apache-2.0"},
      {"(MIT AND BSD-3-Clause) OR GPL-2.0-or-later WITH Classpath-exception-2.0",
       "(MIT AND BSD-3-Clause) OR GPL-2.0-or-later WITH Classpath-exception-2.0"},
      {"LGPL-2.1+", "LGPL-2.1+"},
      {"LicenseRef-acme-1", "LicenseRef-acme-1"},
      {"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2"},
      {"  ( Zlib )  ", "(Zlib)"},
  };
  for (auto& c : cases) {
    auto e = parse_license_expression(c.in, licenses());
    INFO(c.in, " -> ", e.error);
    CHECK(e.valid);
    CHECK(e.normalized == c.norm);
  }
  auto e = parse_license_expression("MIT AND BSD-2-Clause OR GPL-2.0-only WITH Classpath-exception-2.0", licenses());
  CHECK(e.licenses == std::vector<std::string>{"MIT", "BSD-2-Clause", "GPL-2.0-only"});
  CHECK(e.exceptions == std::vector<std::string>{"Classpath-exception-2.0"});
}

TEST_CASE("SPDX: invalid expressions are rejected with a position") {
  for (const char* bad : {"", "MIT OR", "(MIT", "MIT)", "GPLv2", "MIT WITH Nope-exception", "MIT AND AND GPL-2.0-only",
                          "LicenseRef-", "LicenseRef-x+", "MIT (Zlib)", "WITH MIT", "MIT WITH", "GPL-2.0-only WITH MIT",
                          "M!T", "DocumentRef-x"}) {
    auto e = parse_license_expression(bad, licenses());
    INFO(bad);
    CHECK_FALSE(e.valid);
    CHECK(e.error.find("offset") != std::string::npos);
    CHECK(e.normalized.empty());
  }
  std::string deep(200, '(');
  deep += "MIT" + std::string(200, ')');
  auto e = parse_license_expression(deep, licenses());
  CHECK_FALSE(e.valid);
  CHECK(e.error.find("nested too deeply") != std::string::npos);
}

TEST_CASE("SPDX: deprecated ids and lower-case operators warn") {
  auto e = parse_license_expression("GPL-2.0 or MIT", licenses());
  REQUIRE(e.valid);
  CHECK(e.warnings.size() == 2);
  CHECK(e.normalized == "GPL-2.0 OR MIT");
}

TEST_CASE("SPDX: DEP-5 names translate") {
  auto t = dep5_to_spdx("BSD-3-clause or GPL-2", licenses());
  CHECK(t.expression == "BSD-3-Clause OR GPL-2.0-only");
  CHECK(t.unknown.empty());
  t = dep5_to_spdx("GPL-2+ and Expat\n Full text follows", licenses());
  CHECK(t.expression == "GPL-2.0-or-later AND MIT");
  t = dep5_to_spdx("Acme-Proprietary", licenses());
  CHECK(t.expression == "LicenseRef-Acme-Proprietary");
  CHECK(t.unknown.size() == 1);
  CHECK(parse_license_expression(t.expression, licenses()).valid);
}

TEST_CASE("SPDX: malformed licence list lines are reported with file and line") {
  test::TempDir d;
  for (auto* f : {"spdx-licenses", "spdx-exceptions", "dep5-licenses"})
    fs::copy_file(test::source_path(std::string("hwdata/") + f), d / f);
  { std::ofstream(d / "spdx-licenses", std::ios::app) << "Bad Id Here\n"; }
  auto l = LicenseList::load(d.path());
  REQUIRE_FALSE(l.ok());
  CHECK(l.message().find("spdx-licenses:") != std::string::npos);
}

TEST_CASE("versions: dpkg and rpm ordering") {
  auto deb = [](const char* a, const char* b) { return compare_versions(a, b, VersionScheme::deb); };
  CHECK(deb("1.0~rc1", "1.0") < 0);
  CHECK(deb("1:0.9", "2.0") > 0);
  CHECK(deb("2.10-3", "2.9-10") > 0);
  CHECK(deb("1.0-1", "1.0-1") == 0);
  CHECK(deb("1.5.4+dfsg2-5", "1.5.4-1") > 0);
  CHECK(deb("1.0", "1.0a") < 0);
  auto rpm = [](const char* a, const char* b) { return compare_versions(a, b, VersionScheme::rpm); };
  CHECK(rpm("1.0~rc1", "1.0") < 0);
  CHECK(rpm("1.10", "1.9") > 0);
  CHECK(rpm("1.0^post1", "1.0") > 0);
  CHECK(rpm("1.2-3", "1.2") == 0);  // a relation without release matches any
  CHECK(rpm("2:1.0", "1:9.9") > 0);
}

TEST_CASE("versions: Debian relationship fields") {
  std::vector<std::string> errors;
  auto g = parse_deb_relations("libc6 (>= 2.34), a | b:any [amd64] <!nocheck>, c (<< 2), d (> 1)", errors);
  CHECK(errors.empty());
  REQUIRE(g.size() == 4);
  CHECK(g[0][0].name == "libc6");
  CHECK(g[0][0].op == ">=");
  CHECK(g[0][0].version == "2.34");
  REQUIRE(g[1].size() == 2);
  CHECK(g[1][1].name == "b");
  CHECK(g[2][0].op == "<");
  CHECK(g[3][0].op == ">=");  // obsolete ">" means ">="
  auto bad = parse_deb_relations("ok, (>= 1), x (~~ 1), y (>= 2", errors);
  CHECK(bad.size() == 1);
  CHECK(errors.size() == 3);
  CHECK(version_satisfies("2.36-9", {"libc6", ">=", "2.34"}, VersionScheme::deb));
  CHECK_FALSE(version_satisfies("2.31-13", {"libc6", ">=", "2.34"}, VersionScheme::deb));
}

TEST_CASE("package: real Debian packages") {
  auto hello = must_read(real_pkg("hello"));
  CHECK(hello.format == PackageFormat::deb);
  CHECK(hello.name == "hello");
  CHECK(hello.architecture == "amd64");
  CHECK(hello.maintainer.find('@') != std::string::npos);
  REQUIRE(hello.depends.size() == 1);
  CHECK(hello.depends[0][0].name == "libc6");
  auto* bin = hello.file("/usr/bin/hello");
  REQUIRE(bin);
  CHECK(bin->content_kept);
  CHECK(bin->sha256.size() == 64);
  CHECK(hello.license.empty());  // hello's copyright file is free text
  CHECK(hello.fields.count("copyright-file"));

  auto zstd = must_read(real_pkg("libzstd1"));
  CHECK(zstd.license_origin == "debian/copyright (DEP-5)");
  auto lic = declared_license(zstd, licenses());
  CHECK(lic.parsed.valid);
  CHECK(lic.expression == "(BSD-3-Clause OR GPL-2.0-only) AND Zlib AND MIT");
  bool has_so = false;
  for (auto& f : zstd.files) has_so |= f.path.find("/libzstd.so.1") != std::string::npos && f.type == "file";
  CHECK(has_so);
}

TEST_CASE("package: rpm built with rpmbuild") {
  auto p = must_read(packages() / "crafted/rpmdemo.rpm");
  CHECK(p.format == PackageFormat::rpm);
  CHECK(p.name == "certify-rpmdemo");
  CHECK(p.version == "1.2-3");
  CHECK(p.architecture == "x86_64");
  CHECK(p.license == "MIT AND (BSD-2-Clause OR GPL-2.0-or-later)");
  CHECK(p.scripts.count("postinst"));
  // Requires: /bin/sh and %post's own /bin/sh are two header entries: one relation.
  int sh = 0;
  for (auto& g : p.depends) sh += g[0].name == "/bin/sh";
  CHECK(sh == 1);
  auto sbom = make_sbom(p, declared_license(p, licenses()), "2026-01-01T00:00:00Z");
  int sh_deps = 0;
  for (auto& pkg : sbom["packages"]) sh_deps += pkg.value("name", "") == "/bin/sh";
  CHECK(sh_deps == 1);
  auto* f = p.file("/usr/bin/certify-rpmdemo");
  REQUIRE(f);
  CHECK(is_elf(f->content));
}

TEST_CASE("package: truncated, foreign and cut files give errors, never crashes") {
  for (auto* name : {"truncated.deb", "truncated.rpm", "notapackage.deb"}) {
    auto r = read_package(packages() / "crafted" / name);
    INFO(name);
    CHECK_FALSE(r.ok());
  }
  CHECK(read_package(packages() / "crafted/notapackage.deb").message().find("unknown magic") != std::string::npos);
  for (auto path : {real_pkg("hello"), packages() / "crafted/rpmdemo.rpm"}) {
    auto data = read_file(path);
    REQUIRE(data.ok());
    for (std::size_t cut : {8ul, 60ul, 96ul, 120ul, 500ul, 1000ul, 2000ul, 4000ul, data->size() / 2, data->size() - 1}) {
      auto r = parse_package(std::span(reinterpret_cast<const unsigned char*>(data->data()), cut));
      INFO(path, " cut at ", cut);
      CHECK_FALSE(r.ok());
    }
  }
}

TEST_CASE("ELF: needs, versions, and a kernel module's modversions") {
  auto hello = must_read(real_pkg("hello"));
  auto info = parse_elf(hello.file("/usr/bin/hello")->content);
  REQUIRE(info.ok());
  CHECK(info->arch == "x86_64");
  CHECK(info->needed == std::vector<std::string>{"libc.so.6"});
  REQUIRE(info->version_needs.count("libc.so.6"));
  auto& v = info->version_needs["libc.so.6"];
  CHECK(std::find(v.begin(), v.end(), "GLIBC_2.34") != v.end());

  auto zstd = must_read(real_pkg("libzstd1"));
  for (auto& f : zstd.files) {
    if (!f.content_kept || !is_elf(f.content)) continue;
    auto lib = parse_elf(f.content);
    REQUIRE(lib.ok());
    CHECK(lib->soname == "libzstd.so.1");
  }

  auto ko = parse_elf_file(test::fixture("swcompat/dummy.ko"));
  REQUIRE(ko.ok());
  CHECK(ko->type == "rel");
  CHECK(ko->modversions.count("module_layout"));
  CHECK(ko->modversions.size() == 36);
  CHECK(std::find(ko->undefined.begin(), ko->undefined.end(), "register_netdevice") != ko->undefined.end());
  bool vermagic = false;
  for (auto& [k, val] : ko->modinfo) vermagic |= k == "vermagic" && val.rfind("6.1.0-56-amd64 ", 0) == 0;
  CHECK(vermagic);

  CHECK_FALSE(parse_elf("not elf").ok());
  std::string junk = "\x7f" "ELF" + std::string(60, '\xff');
  CHECK_FALSE(parse_elf(junk).ok());
  CHECK(glibc_version_of("GLIBC_2.34") == "2.34");
  CHECK(glibc_version_of("GLIBC_PRIVATE").empty());
}

TEST_CASE("snapshot: recorded sysroot and format version") {
  probe::Sysroot root(test::fixture("vm-virtio"));
  SnapshotOptions o;
  o.created = "2026-01-01T00:00:00Z";
  auto s = take_snapshot(root, o);
  CHECK(validate_snapshot(s).ok());
  CHECK(s["format_version"] == k_snapshot_format_version);
  CHECK(s["os"].contains("id"));
  CHECK(s["dimensions"]["boot_params"].size() > 0);
  CHECK(s["dimensions"]["packages"].empty());
  bool warned = false;
  for (auto& w : s["warnings"]) warned |= w.get<std::string>().rfind("packages:", 0) == 0;
  CHECK(warned);

  auto newer = s;
  newer["format_version"] = k_snapshot_format_version + 1;
  auto st = validate_snapshot(newer);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("newer") != std::string::npos);
  auto other = s;
  other["format"] = "something-else";
  CHECK_FALSE(validate_snapshot(other).ok());
  other = s;
  other["dimensions"]["sysctl"] = json::array();
  CHECK_FALSE(validate_snapshot(other).ok());
  CHECK(validate_snapshot(host_snapshot()).ok());
  CHECK(validate_snapshot(fixture_json("swcompat/snapshot-lab-guest.json")).ok());
}

TEST_CASE("snapshot: parsers for symvers, kallsyms, cmdline") {
  std::vector<std::string> errors;
  auto s = parse_module_symvers("0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\nbad line\n0x0000abcd\tfoo\tdrivers/x\tEXPORT_SYMBOL_GPL\n", errors);
  CHECK(s.size() == 2);
  CHECK(s["foo"].export_type == "EXPORT_SYMBOL_GPL");
  CHECK(errors.size() == 1);
  auto k = parse_kallsyms_exports("0000 r __ksymtab_printk\n0000 r __ksymtab_e1000_x\t[e1000e]\n0000 T printk\n");
  CHECK(k.size() == 2);
  CHECK(k["e1000_x"].module == "e1000e");
  auto c = split_cmdline("BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet opt=\"a b\"");
  REQUIRE(c.size() == 5);
  CHECK(c[4].second == "a b");
  CHECK(c[2].first == "ro");
  CHECK(canonical_arch("amd64") == "x86_64");
  CHECK(canonical_arch("noarch").empty());
}

TEST_CASE("os-diff: this machine against the lab guest") {
  auto guest = fixture_json("swcompat/snapshot-lab-guest.json");
  auto diffs = diff_snapshots(host_snapshot(), guest);
  auto dim = [&](const std::string& n) -> const DimensionDiff& {
    for (auto& d : diffs)
      if (d.name == n) return d;
    throw std::runtime_error("no dimension " + n);
  };
  // The busybox guest has no package database and no glibc libraries.
  CHECK(dim("packages").total_b == 0);
  CHECK(dim("packages").score == doctest::Approx(0.0));
  CHECK(std::find(dim("packages").removed.begin(), dim("packages").removed.end(), "libc6") != dim("packages").removed.end());
  CHECK(dim("libraries").score < 10.0);
  CHECK(dim("libraries").total_b >= 10);
  CHECK(std::find(dim("libraries").removed.begin(), dim("libraries").removed.end(), "x86_64/libc.so.6") ==
        dim("libraries").removed.end());
  // Different kernels: the guest's 6.1 lacks some system calls of the host's newer kernel.
  CHECK(dim("syscalls").total_b > 300);
  CHECK_FALSE(dim("syscalls").removed.empty());
  CHECK(std::find(dim("syscalls").removed.begin(), dim("syscalls").removed.end(), "read") == dim("syscalls").removed.end());
  // The guest's kernel has modversions data through kallsyms' __ksymtab entries.
  CHECK(dim("kabi").total_b > 1000);
  auto r = os_diff_report(host_snapshot(), guest);
  auto* id = find_check(r, "os-identity");
  REQUIRE(id);
  bool kernel = false;
  for (auto& e : id->evidence) kernel |= e.find("kernel ") == 0;
  CHECK(kernel);
  CHECK(r.extra["overall_score"].get<double>() < 60.0);
  // A snapshot against itself scores 100 everywhere it has data.
  auto self = os_diff_report(host_snapshot(), host_snapshot());
  CHECK(self.extra["overall_score"].get<double>() == doctest::Approx(100.0));
  for (auto& c : self.checks) CHECK(c.status != CheckStatus::fail);
}

TEST_CASE("os-diff: compatible and incompatible changes") {
  json a = {{"format", k_snapshot_format}, {"format_version", 1}, {"os", {{"id", "debian"}, {"arch", "x86_64"}}},
            {"dimensions", {{"libraries", {{"x86_64/libfoo.so.1", {{"versions", {"FOO_1", "FOO_2"}}, {"path", "/a"}}},
                                           {"x86_64/libbar.so.1", {{"versions", {"BAR_1"}}, {"path", "/b"}}}}},
                            {"packages", {{"foo", {{"version", "1.0-1"}, {"format", "deb"}}},
                                          {"bar", {{"version", "2.0-1"}, {"format", "deb"}}}}}}}};
  json b = a;
  b["os"] = {{"id", "ubuntu"}, {"id_like", "debian"}, {"arch", "x86_64"}};
  b["dimensions"]["libraries"]["x86_64/libfoo.so.1"] = {{"versions", {"FOO_1", "FOO_2", "FOO_3"}}, {"path", "/c"}};
  b["dimensions"]["libraries"]["x86_64/libbar.so.1"] = {{"versions", json::array()}, {"path", "/b"}};
  b["dimensions"]["packages"]["foo"]["version"] = "1.1-1";
  b["dimensions"]["packages"]["bar"]["version"] = "1.9-1";
  auto d = diff_snapshots(a, b);
  for (auto& x : d) {
    if (x.name == "libraries") {
      CHECK(x.changed_compatible == std::vector<std::string>{"x86_64/libfoo.so.1"});
      CHECK(x.changed_incompatible == std::vector<std::string>{"x86_64/libbar.so.1"});
      CHECK(x.score == doctest::Approx(50.0));
    }
    if (x.name == "packages") {
      CHECK(x.changed_compatible == std::vector<std::string>{"foo"});
      CHECK(x.changed_incompatible == std::vector<std::string>{"bar"});
    }
  }
  auto r = os_diff_report(a, b);
  auto* id = find_check(r, "os-identity");
  REQUIRE(id);
  CHECK(id->data["derivative"] == true);
  CHECK(id->summary.find("derivative") != std::string::npos);
}

TEST_CASE("sw-check: real packages against this machine's snapshot") {
  for (auto name : {"hello", "libzstd1", "zstd"}) {
    auto p = must_read(real_pkg(name));
    auto r = sw_check(p, name, host_snapshot(), licenses(), {"2026-01-01T00:00:00Z"});
    INFO(name, "\n", report_to_text(r));
    CHECK(find_check(r, "dependencies")->status == CheckStatus::pass);
    CHECK(find_check(r, "elf-abi")->status == CheckStatus::pass);
    CHECK(find_check(r, "architecture")->status == CheckStatus::pass);
    CHECK(find_check(r, "elf-abi")->data["min_glibc"] == "2.34");
    CHECK(find_check(r, "elf-abi")->data["target_glibc"] == "2.36");
  }
  auto hello = sw_check(must_read(real_pkg("hello")), "hello", host_snapshot(), licenses(), {});
  CHECK(find_check(hello, "licence")->status == CheckStatus::warn);  // free-text copyright
  auto zstd = sw_check(must_read(real_pkg("zstd")), "zstd", host_snapshot(), licenses(), {});
  CHECK(find_check(zstd, "licence")->status == CheckStatus::pass);
  CHECK(find_check(zstd, "elf-abi")->data["sonames_checked"].get<int>() >= 6);
}

TEST_CASE("sw-check: crafted bad packages fail the right check") {
  struct Case {
    const char* file;
    const char* check;
    const char* evidence;
  } cases[] = {
      {"nolicense.deb", "licence", "no License field"},
      {"badlicense.deb", "licence", ""},
      {"badsymver.deb", "elf-abi", "GLIBC_2.99"},
      {"baddeps.deb", "dependencies", "certify-no-such-package"},
      {"baddeps.deb", "elf-abi", "libq.so.6"},
      {"otherarch.deb", "architecture", ""},
      {"otherarch.deb", "elf-abi", "built for aarch64"},
  };
  for (auto& c : cases) {
    auto p = must_read(packages() / "crafted" / c.file);
    auto r = sw_check(p, c.file, host_snapshot(), licenses(), {});
    INFO(c.file, " ", c.check, "\n", report_to_text(r));
    auto* chk = find_check(r, c.check);
    REQUIRE(chk);
    CHECK(chk->status == CheckStatus::fail);
    bool found = std::string(c.evidence).empty();
    for (auto& e : chk->evidence) found |= e.find(c.evidence) != std::string::npos;
    CHECK(found);
    CHECK(r.overall() == CheckStatus::fail);
  }
  auto good = sw_check(must_read(packages() / "crafted/good.deb"), "good", host_snapshot(), licenses(), {});
  INFO(report_to_text(good));
  CHECK(good.overall() != CheckStatus::fail);
  auto rpm = sw_check(must_read(packages() / "crafted/rpmdemo.rpm"), "rpm", host_snapshot(), licenses(), {});
  INFO(report_to_text(rpm));
  CHECK(find_check(rpm, "dependencies")->status == CheckStatus::pass);  // /bin/sh, libc.so.6(GLIBC_2.34)(64bit), rtld
  CHECK(find_check(rpm, "licence")->status == CheckStatus::pass);
}

TEST_CASE("sw-check: requirements checked against the lab guest") {
  auto guest = fixture_json("swcompat/snapshot-lab-guest.json");
  auto req = package_requirements(must_read(real_pkg("zstd")));
  CHECK(req["min_glibc"] == "2.34");
  auto r = check_requirements(req, guest);
  INFO(report_to_text(r));
  // The busybox guest has no package database, but the libraries the lab
  // copied in with certify (glibc 2.36, liblz4, libzstd, ...) are there.
  CHECK(find_check(r, "dependencies")->status == CheckStatus::fail);
  CHECK(find_check(r, "elf-abi")->status == CheckStatus::pass);
  auto bad = check_requirements(package_requirements(must_read(packages() / "crafted/badsymver.deb")), guest);
  CHECK(find_check(bad, "elf-abi")->status == CheckStatus::fail);
  auto good = check_requirements(package_requirements(must_read(packages() / "crafted/good.deb")), guest);
  CHECK(find_check(good, "elf-abi")->status == CheckStatus::pass);
}

TEST_CASE("SBOM: SPDX 2.3 document") {
  auto p = must_read(real_pkg("libzstd1"));
  auto lic = declared_license(p, licenses());
  auto s = make_sbom(p, lic, "2026-01-01T00:00:00Z");
  CHECK(s["spdxVersion"] == "SPDX-2.3");
  CHECK(s["dataLicense"] == "CC0-1.0");
  CHECK(s["SPDXID"] == "SPDXRef-DOCUMENT");
  CHECK(s["creationInfo"]["created"] == "2026-01-01T00:00:00Z");
  CHECK(s["documentNamespace"].get<std::string>().find(p.sha256) != std::string::npos);
  auto& pkg = s["packages"][0];
  CHECK(pkg["licenseDeclared"] == "(BSD-3-Clause OR GPL-2.0-only) AND Zlib AND MIT");
  CHECK(pkg["packageVerificationCode"]["packageVerificationCodeValue"].get<std::string>().size() == 40);
  std::size_t regular = 0;
  for (auto& f : p.files) regular += f.type == "file";
  CHECK(s["files"].size() == regular);
  for (auto& f : s["files"]) {
    CHECK(f["checksums"][0]["algorithm"] == "SHA1");
    CHECK(f["fileName"].get<std::string>().rfind("./", 0) == 0);
  }
  bool describes = false;
  for (auto& r : s["relationships"]) describes |= r["relationshipType"] == "DESCRIBES";
  CHECK(describes);
  // Every SPDXID referenced by a relationship exists.
  std::set<std::string> ids = {"SPDXRef-DOCUMENT"};
  for (auto& x : s["packages"]) ids.insert(x["SPDXID"]);
  for (auto& x : s["files"]) ids.insert(x["SPDXID"]);
  for (auto& r : s["relationships"]) {
    CHECK(ids.count(r["spdxElementId"]));
    CHECK(ids.count(r["relatedSpdxElement"]));
  }
}

TEST_CASE("kabi-check: real module against the real Module.symvers excerpt") {
  auto symvers = read_file(test::fixture("swcompat/Module.symvers"));
  REQUIRE(symvers.ok());
  std::vector<std::string> errors;
  KabiTarget t;
  t.symbols = parse_module_symvers(*symvers, errors);
  t.have_crcs = true;
  t.kernel_release = "6.1.0-56-amd64";
  auto mods = load_kernel_modules(test::fixture("swcompat/dummy.ko").string());
  REQUIRE(mods.ok());
  auto r = kabi_check(*mods, t);
  INFO(report_to_text(r));
  CHECK(r.overall() == CheckStatus::pass);

  auto bad = t;
  bad.symbols["register_netdevice"].crc = "0xdeadbeef";
  bad.symbols.erase("ether_setup");
  bad.kernel_release = "6.1.0-99-amd64";
  auto rb = kabi_check(*mods, bad);
  INFO(report_to_text(rb));
  CHECK(find_check(rb, "crcs")->status == CheckStatus::fail);
  CHECK(find_check(rb, "crcs")->evidence[0].find("disagrees about version of symbol register_netdevice") != std::string::npos);
  CHECK(find_check(rb, "symbols")->status == CheckStatus::fail);
  CHECK(find_check(rb, "vermagic")->status == CheckStatus::warn);

  auto allow = t;
  allow.have_allow_list = true;
  allow.allow_list = parse_kabi_allow_list("[rhel_x86_64]\n\tregister_netdevice\n# comment\n");
  auto ra = kabi_check(*mods, allow);
  CHECK(find_check(ra, "allow-list")->status == CheckStatus::fail);

  auto proprietary = *mods;
  for (auto& [k, v] : proprietary[0].elf.modinfo)
    if (k == "license") v = "Proprietary";
  auto gpl = t;
  gpl.symbols["register_netdevice"].export_type = "EXPORT_SYMBOL_GPL";
  auto rg = kabi_check(proprietary, gpl);
  CHECK(find_check(rg, "gpl-only")->status == CheckStatus::fail);

  CHECK_FALSE(load_kernel_modules((packages() / "crafted/good.deb").string()).ok());  // no modules inside
  auto hello_bin = test::TempDir();
  CHECK_FALSE(load_kernel_modules(test::fixture("swcompat/Module.symvers").string()).ok());
}

TEST_CASE("install: clean package vs postinst that leaves files") {
  auto clean = must_read(packages() / "crafted/clean.deb");
  auto out = install_test(clean, packages() / "crafted/clean.deb", {});
  INFO(out.skip_reason, "\n", out.log);
  REQUIRE(out.attempted);
  CHECK(out.installed);
  CHECK(out.removed);
  CHECK(out.leftovers.empty());
  CHECK(out.missing_after_install.empty());

  auto left = must_read(packages() / "crafted/leftover.deb");
  auto lo = install_test(left, packages() / "crafted/leftover.deb", {});
  INFO(lo.log);
  REQUIRE(lo.attempted);
  CHECK(lo.installed);
  CHECK(lo.removed);
  CHECK(std::find(lo.leftovers.begin(), lo.leftovers.end(), "/etc/certify-leftover.conf") != lo.leftovers.end());
  CHECK(std::find(lo.leftovers.begin(), lo.leftovers.end(), "/var/lib/certify-leftover/state") != lo.leftovers.end());

  auto rpm = must_read(packages() / "crafted/rpmdemo.rpm");
  auto ro = install_test(rpm, packages() / "crafted/rpmdemo.rpm", {});
  INFO(ro.log);
  REQUIRE(ro.attempted);
  CHECK(ro.installed);
  CHECK(ro.removed);
  CHECK(std::find(ro.leftovers.begin(), ro.leftovers.end(), "/var/lib/certify-rpmdemo/") != ro.leftovers.end());

  auto other = must_read(packages() / "crafted/otherarch.deb");
  auto oo = install_test(other, packages() / "crafted/otherarch.deb", {});
  REQUIRE(oo.attempted);
  CHECK_FALSE(oo.installed);  // dpkg refuses an arm64 package on amd64
}

TEST_CASE("source scan: x86-only code blocks ports, guarded code does not") {
  test::TempDir d;
  fs::create_directories(d / "src");
  REQUIRE(write_file_atomic(d / "src/fast.c",
      "#include <immintrin.h>\nint f(void) {\n  __m256i x = _mm256_setzero_si256();\n  return 0;\n}\n").ok());
  REQUIRE(write_file_atomic(d / "src/portable.c",
      "#if defined(__x86_64__)\n#include <emmintrin.h>\n#elif defined(__aarch64__)\n#include <arm_neon.h>\n#else\n/* generic */\n#endif\n").ok());
  REQUIRE(write_file_atomic(d / "src/tsc.h", "static inline unsigned long rd(void) { unsigned long v; __asm__ volatile(\"rdtsc\" : \"=a\"(v)); return v; }\n").ok());
  REQUIRE(write_file_atomic(d / "Makefile", "CFLAGS += -mavx2 -O2\n").ok());
  REQUIRE(write_file_atomic(d / "src/plain.c", "int g(void) { return 1; }\n").ok());
  auto s = scan_sources(d.path());
  REQUIRE(s.ok());
  CHECK(s->files_scanned == 5);
  std::set<std::string> kinds;
  for (auto& f : s->findings) kinds.insert(f.kind);
  CHECK(kinds.count("x86-intrinsics-header"));
  CHECK(kinds.count("x86-intrinsic"));
  CHECK(kinds.count("inline-asm"));
  CHECK(kinds.count("x86-build-flag"));
  CHECK(kinds.count("x86-guard"));
  REQUIRE(s->blocking.size() == 3);
  for (auto& [port, files] : s->blocking) {
    CHECK(std::find(files.begin(), files.end(), "src/portable.c") == files.end());
    CHECK(std::find(files.begin(), files.end(), "src/fast.c") != files.end());
  }
  CHECK_FALSE(scan_sources(d / "missing").ok());
}

namespace {

// A sysroot whose rpm database holds the rpmdemo package, made by Debian's
// rpm exactly as an rpm-based OS would hold it (rpmdb.sqlite).
void make_rpm_root(const fs::path& root) {
  auto rpmdemo = (packages() / "crafted/rpmdemo.rpm").string();
  for (std::vector<std::string> argv : {
           std::vector<std::string>{"rpm", "--root", root.string(), "--dbpath", "/var/lib/rpm", "--initdb"},
           std::vector<std::string>{"rpm", "--root", root.string(), "--dbpath", "/var/lib/rpm", "-i", "--justdb",
                                    "--nodeps", "--noscripts", rpmdemo}}) {
    auto r = test::run_command(argv);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
}

}  // namespace

TEST_CASE("snapshot: rpm database, through sqlite3 and through rpmdb --exportdb") {
  test::TempDir t;
  make_rpm_root(t.path());
  probe::Sysroot root(t.path());
  auto where = find_rpmdb(root);
  REQUIRE(where);
  CHECK(where->dir == "/var/lib/rpm");
  CHECK(where->backend == "sqlite");

  // What rpm itself says is installed.
  auto q = test::run_command({"rpm", "--root", t.path().string(), "--dbpath", "/var/lib/rpm", "-qa", "--qf",
                              "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\\n"});
  REQUIRE(q.exit_code == 0);
  CHECK(q.out == "certify-rpmdemo 0:1.2-3 x86_64\n");
  auto provides = test::run_command({"rpm", "--root", t.path().string(), "--dbpath", "/var/lib/rpm", "-q",
                                     "--provides", "certify-rpmdemo"});
  auto requires_ = test::run_command({"rpm", "--root", t.path().string(), "--dbpath", "/var/lib/rpm", "-q",
                                      "--requires", "certify-rpmdemo"});
  REQUIRE(provides.exit_code == 0);
  REQUIRE(requires_.exit_code == 0);

  for (auto how : {RpmDbReader::automatic, RpmDbReader::exportdb}) {
    auto db = read_rpmdb(root, *where, how);
    REQUIRE_MESSAGE(db.ok(), db.message());
    CHECK(db->reader == (how == RpmDbReader::automatic ? "sqlite3" : "rpmdb --exportdb"));
    REQUIRE(db->packages.size() == 1);
    auto& p = db->packages[0];
    CHECK(p.name == "certify-rpmdemo");
    CHECK(p.version == "1.2-3");
    CHECK(p.architecture == "x86_64");
    CHECK(p.license == "MIT AND (BSD-2-Clause OR GPL-2.0-or-later)");
    // Relations as rpm -q --provides/--requires prints them (rpmlib() features left out).
    std::string prov, req;
    for (auto& d : p.provides) prov += rpm_relation_text(d) + "\n";
    std::set<std::string> reqs;
    for (auto& g : p.depends) reqs.insert(rpm_relation_text(g[0]));
    for (auto& r : reqs) req += r + "\n";
    CHECK(prov == provides.out);
    std::string want_req;
    std::set<std::string> want;
    std::istringstream is(requires_.out);
    for (std::string line; std::getline(is, line);)
      if (line.rfind("rpmlib(", 0) != 0) want.insert(line);
    for (auto& r : want) want_req += r + "\n";
    CHECK(req == want_req);
  }

  SnapshotOptions o;
  o.dimensions = {"packages"};
  auto s = take_snapshot(root, o);
  auto& pk = s["dimensions"]["packages"];
  REQUIRE(pk.contains("certify-rpmdemo"));
  CHECK(pk["certify-rpmdemo"]["format"] == "rpm");
  CHECK(pk["certify-rpmdemo"]["version"] == "1.2-3");
  CHECK(s["sources"]["packages"].get<std::string>().find("read with sqlite3") != std::string::npos);
  int sh = 0;
  for (auto& r : pk["certify-rpmdemo"]["requires"]) sh += r == "/bin/sh";
  CHECK(sh == 1);
  for (auto& w : s["warnings"]) CHECK(w.get<std::string>().rfind("packages:", 0) != 0);

  // sw-check against an rpm-based target resolves relations on its rpm
  // packages and their provides, including names with parentheses.
  auto target = host_snapshot();
  target["dimensions"]["packages"] = pk;
  auto needs = must_read(packages() / "crafted/rpmdemo.rpm");
  needs.name = "certify-rpmdemo-plugin";
  needs.provides.clear();
  needs.depends.push_back({Dependency{"certify-rpmdemo", ">=", "1.2-1"}});
  needs.depends.push_back({Dependency{"certify-rpmdemo(x86-64)", "", ""}});
  auto r = sw_check(needs, "plugin.rpm", target, licenses(), {});
  INFO(report_to_text(r));
  CHECK(find_check(r, "dependencies")->status == CheckStatus::pass);
  needs.depends.push_back({Dependency{"certify-rpmdemo", ">=", "2.0"}});
  r = sw_check(needs, "plugin.rpm", target, licenses(), {});
  CHECK(find_check(r, "dependencies")->status == CheckStatus::fail);
  CHECK(find_check(r, "dependencies")->data["unresolved"].dump().find("certify-rpmdemo") != std::string::npos);
}

TEST_CASE("snapshot: damaged rpm databases give warnings, never crashes") {
  test::TempDir t;
  fs::create_directories(t / "var/lib/rpm");
  SnapshotOptions o;
  o.dimensions = {"packages"};
  auto warning_of = [&](const json& s) {
    std::string all;
    for (auto& w : s["warnings"]) all += w.get<std::string>() + "\n";
    return all;
  };
  {
    std::ofstream(t / "var/lib/rpm/rpmdb.sqlite") << "this is not a database";
    auto s = take_snapshot(probe::Sysroot(t.path()), o);
    CHECK(s["dimensions"]["packages"].empty());
    CHECK(warning_of(s).find("rpmdb.sqlite") != std::string::npos);
  }
  {
    // A sqlite file that is no rpm database.
    fs::remove(t / "var/lib/rpm/rpmdb.sqlite");
    auto r = test::run_command({"sqlite3", (t / "var/lib/rpm/rpmdb.sqlite").string(), "CREATE TABLE x(y)"});
    REQUIRE(r.exit_code == 0);
    auto s = take_snapshot(probe::Sysroot(t.path()), o);
    CHECK(warning_of(s).find("not an rpm database") != std::string::npos);
    // A row whose header is cut short.
    r = test::run_command({"sqlite3", (t / "var/lib/rpm/rpmdb.sqlite").string(),
                           "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL);"
                           "INSERT INTO Packages VALUES(7, x'0000004200');"});
    REQUIRE(r.exit_code == 0);
    s = take_snapshot(probe::Sysroot(t.path()), o);
    CHECK(warning_of(s).find("package 7") != std::string::npos);
  }
  {
    // A Berkeley DB file rpm cannot read: rpm's message comes through.
    fs::remove(t / "var/lib/rpm/rpmdb.sqlite");
    std::ofstream(t / "var/lib/rpm/Packages") << std::string(8192, 'x');
    auto s = take_snapshot(probe::Sysroot(t.path()), o);
    auto w = warning_of(s);
    INFO(w);
    CHECK(w.find("/var/lib/rpm (bdb)") != std::string::npos);
    CHECK(w.find("rpmdb --exportdb") != std::string::npos);
  }
  // An exporter that stops mid-header, or one that is missing.
  probe::Sysroot root(t.path());
  RpmDbLocation bdb{"/var/lib/rpm", "bdb"};
  auto cut = read_rpmdb(root, bdb, RpmDbReader::automatic, [](const std::vector<std::string>&) {
    ProcessResult r;
    r.exit_code = 0;
    r.output = std::string("\x8e\xad\xe8\x01\0\0\0\0\0\0\0\x02\0\0\0\x40", 16);
    return r;
  });
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.message().find("truncated") != std::string::npos);
  auto missing = read_rpmdb(root, bdb, RpmDbReader::automatic, [](const std::vector<std::string>&) {
    return run_process({"certify-no-such-rpmdb"}, 5);
  });
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.message().find("needs rpm's `rpmdb`") != std::string::npos);
}

TEST_CASE("report: HTML escapes every text a package controls") {
  // A package's own strings (its name, a licence field, an ELF symbol) reach
  // the report: none may open an element or an attribute in the page.
  swcompat::Report r;
  r.kind = "sw-check";
  r.subject = "evil<script>alert(1)</script>.deb";
  r.meta["maintainer"] = "Mallory \"<m@x>\" & 'co'";
  auto& c = r.add("licence", "Licence <b>");
  c.status = swcompat::CheckStatus::fail;
  c.summary = "GPL & <i>friends</i>";
  c.evidence.push_back("\"/><img src=x onerror=alert(1)>");
  std::string html = swcompat::render_reports({r}, "html");
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("<i>") == std::string::npos);
  CHECK(html.find("evil&lt;script&gt;alert(1)&lt;/script&gt;.deb") != std::string::npos);
  CHECK(html.find("Mallory &quot;&lt;m@x&gt;&quot; &amp; &#39;co&#39;") != std::string::npos);
  CHECK(html.find("GPL &amp; &lt;i&gt;friends&lt;/i&gt;") != std::string::npos);
  CHECK(html.find("<li>&quot;/&gt;&lt;img src=x onerror=alert(1)&gt;</li>") != std::string::npos);
  CHECK(html.find("<td class=\"st fail\">fail</td>") != std::string::npos);
}
