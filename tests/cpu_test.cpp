// cpu probe: cpuinfo formats of every architecture, CPU lists, hwdata/cpu-parts,
// the recorded CPU trees against hand-written facts and against util-linux lscpu.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/files.hpp"
#include "probe/cpu.hpp"
#include "probe/probe.hpp"
#include "tests/testutil.hpp"

using namespace certify::probe;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Fixture name -> facts file (vm-virtio and lab-q35 share expected/ with other probes).
const std::vector<std::pair<std::string, std::string>> k_fixtures = {
    {"cpu-x86-hygon", "facts.json"},          {"cpu-x86-zhaoxin", "facts.json"},
    {"cpu-aarch64-kunpeng920", "facts.json"}, {"cpu-aarch64-phytium", "facts.json"},
    {"cpu-loongarch64-3c5000", "facts.json"}, {"cpu-riscv64-sg2042", "facts.json"},
    {"cpu-ppc64le-power9", "facts.json"},     {"cpu-s390x-z15", "facts.json"},
    {"cpu-sw64", "facts.json"},               {"cpu-mips64-loongson", "facts.json"},
    {"vm-virtio", "cpu-facts.json"},
    // The virtual lab guest: "4 CPUs in 2 sockets, 2 NUMA nodes" (shared/lab/README.md).
    {"lab-q35", "cpu-facts.json"},
};

Inventory probe_cpu_only(const fs::path& dir, std::vector<std::string> classes = {"cpu"}) {
  Sysroot root(dir);
  ProbeOptions o;
  o.classes = std::move(classes);
  auto inv = probe_all(root, o);
  REQUIRE_MESSAGE(inv.ok(), (inv.ok() ? "" : inv.message()));
  return std::move(inv).value();
}

json load_json(const fs::path& p) {
  auto text = certify::read_file(p);
  REQUIRE_MESSAGE(text.ok(), p.string());
  return json::parse(*text);
}

std::string warnings_of(const Inventory& inv) {
  std::string s;
  for (const auto& w : inv.warnings) s += w.source + ": " + w.message + "\n";
  return s;
}

const char* k_cpuinfo_x86 =
    "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
    "model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\nstepping\t: 7\n"
    "flags\t\t: fpu vme lm avx512f\nbogomips\t: 4200.00\ncpu MHz\t\t: 2100.000\n\n";

}  // namespace

TEST_CASE("cpuinfo: blocks, global fields and unreadable lines") {
  auto info = parse_cpuinfo(
      "system type\t\t: generic-loongson-machine\n\nprocessor\t: 0\nkey\t: v\n\nprocessor\t: 1\nkey\t: w\n"
      "no separator here\n: empty key\n\ntimebase\t: 512000000\n");
  REQUIRE(info.processors.size() == 2);
  CHECK(*cpuinfo_get(info.processors[1], "key") == "w");
  CHECK(*cpuinfo_get(info.global, "system type") == "generic-loongson-machine");
  CHECK(*cpuinfo_get(info.global, "timebase") == "512000000");
  CHECK(info.warnings.size() == 2);
  CHECK(info.warnings[0].find("line 8") != std::string::npos);
}

TEST_CASE("cpuinfo: x86 vendors, including Hygon and both Zhaoxin IDs") {
  CpuPartTable none;
  std::vector<std::string> w;
  auto j = identify_cpu(parse_cpuinfo(k_cpuinfo_x86), "x86_64", none, w);
  CHECK(j["vendor"] == "Intel");
  CHECK(j["family"] == 6);
  CHECK(j["model"] == 85);
  CHECK(j["stepping"] == 7);
  CHECK(j["flags"].size() == 4);
  CHECK(w.empty());

  std::string text = k_cpuinfo_x86;
  auto swap = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  // The kernel prints Zhaoxin's "  Shanghai  " with its padding; trimmed it is "Shanghai".
  j = identify_cpu(parse_cpuinfo(swap("GenuineIntel", "  Shanghai  ")), "x86_64", none, w);
  CHECK(j["vendor"] == "Zhaoxin");
  CHECK(j["vendor_id"] == "Shanghai");
  j = identify_cpu(parse_cpuinfo(swap("GenuineIntel", "HygonGenuine")), "x86_64", none, w);
  CHECK(j["vendor"] == "Hygon");
  // CentaurHauls: family 6 without ZHAOXIN in the name is a VIA/Centaur part.
  j = identify_cpu(parse_cpuinfo(swap("GenuineIntel", "CentaurHauls")), "x86_64", none, w);
  CHECK(j["vendor"] == "Centaur");
  text = swap("cpu family\t: 6", "cpu family\t: 7");
  j = identify_cpu(parse_cpuinfo(swap("GenuineIntel", "CentaurHauls")), "x86_64", none, w);
  CHECK(j["vendor"] == "Zhaoxin");
}

TEST_CASE("cpuinfo: architecture guessed from the format") {
  CHECK(cpuinfo_arch(parse_cpuinfo(k_cpuinfo_x86)) == "x86_64");
  CHECK(cpuinfo_arch(parse_cpuinfo("processor\t: 0\nCPU implementer\t: 0x41\nCPU architecture: 8\n")) ==
        "aarch64");
  CHECK(cpuinfo_arch(parse_cpuinfo("vendor_id : IBM/S390\n# processors : 1\n")) == "s390x");
  CHECK(cpuinfo_arch(parse_cpuinfo("processor : 0\nhart : 0\nisa : rv64imafdc\n")) == "riscv64");
  CHECK(cpuinfo_arch(parse_cpuinfo("processor : 0\nCPU Family : Loongson-64bit\n")) == "loongarch64");
  CHECK(cpuinfo_arch(parse_cpuinfo("processor : 0\ncpu : POWER10 (raw)\nrevision : 2.0 (pvr 0080 0200)\n")) ==
        "ppc64le");
  CHECK(cpuinfo_arch(parse_cpuinfo("processor : 0\ncpu model : Loongson-3 V0.4\nisa : mips1 mips64r2\n")) ==
        "mips64");
  CHECK(cpuinfo_arch(parse_cpuinfo("processor : 0\nvendor_id : sunway\n")) == "sw_64");
  CHECK(cpuinfo_arch(parse_cpuinfo("garbage")) == "");
}

TEST_CASE("cpuinfo: POWER10 PVR and unknown arm implementers") {
  auto parts = parse_cpu_parts("implementer 0x41 ARM ; test\npart 0x41 0xd4f Neoverse-V2 ; test\n", "t");
  REQUIRE(parts.ok());
  std::vector<std::string> w;
  auto j = identify_cpu(parse_cpuinfo("processor\t: 0\ncpu\t\t: POWER10 (architected), altivec supported\n"
                                      "clock\t\t: 3450.000000MHz\nrevision\t: 2.0 (pvr 0080 0200)\n"),
                        "ppc64le", *parts, w);
  CHECK(j["generation"] == "POWER10");
  CHECK(j["pvr"] == "0x00800200");
  CHECK(j["mhz"] == 3450.0);
  j = identify_cpu(parse_cpuinfo("processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd4f\n"), "aarch64",
                   *parts, w);
  CHECK(j["model_name"] == "Neoverse-V2");
  CHECK(w.empty());
  j = identify_cpu(parse_cpuinfo("processor\t: 0\nCPU implementer\t: 0x99\nCPU part\t: 0x001\n"), "aarch64",
                   *parts, w);
  CHECK(j["vendor"] == "0x99");
  REQUIRE_FALSE(w.empty());
  CHECK(w[0].find("0x99") != std::string::npos);
}

TEST_CASE("CPU lists and masks") {
  auto l = parse_cpu_list("0-3,8,10-11\n");
  REQUIRE(l.ok());
  CHECK(l->size() == 7);
  CHECK(format_cpu_list(*l) == "0-3,8,10-11");
  CHECK(parse_cpu_list("\n")->empty());
  CHECK_FALSE(parse_cpu_list("3-1").ok());
  CHECK_FALSE(parse_cpu_list("0-99999999").ok());
  CHECK_FALSE(parse_cpu_list("a,b").ok());
  auto m = parse_cpu_mask("00000001,0000ff0f\n");
  REQUIRE(m.ok());
  CHECK(format_cpu_list(*m) == "0-3,8-15,32");
  CHECK_FALSE(parse_cpu_mask("xyz").ok());
  CHECK(parse_cache_size("512K") == 524288u);
  CHECK(parse_cache_size("8M") == 8388608u);
  CHECK_FALSE(parse_cache_size("lots").has_value());
}

TEST_CASE("hwdata/cpu-parts parses, and malformed lines are rejected with file:line") {
  auto text = certify::read_file(certify::test::source_path("hwdata/cpu-parts"));
  REQUIRE(text.ok());
  auto t = parse_cpu_parts(*text, "cpu-parts");
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.message()));
  CHECK(t->implementers.at(0x48).name == "HiSilicon");
  CHECK(t->implementers.at(0x48).parts.at(0xd01).core == "TaiShan-v110");
  CHECK(t->implementers.at(0x70).parts.at(0x862).name == "FTC862");
  CHECK(t->implementers.at(0x41).parts.at(0xd0c).name == "Neoverse-N1");
  CHECK(t->implementers.at(0x41).parts.at(0xd40).name == "Neoverse-V1");
  CHECK(t->implementers.at(0x41).parts.at(0xd49).name == "Neoverse-N2");
  CHECK(t->implementers.at(0x41).parts.at(0xd4f).name == "Neoverse-V2");
  CHECK(t->implementers.at(0xc0).name == "Ampere");

  struct Bad {
    const char* text;
    const char* where;
  };
  for (auto [bad, where] : {Bad{"implementer 0x41 ARM\n", "x:1:"},
                            Bad{"# c\nimplementer 0x41 ARM ; s\npart 0x41 0xzz1 Foo ; s\n", "x:3:"},
                            Bad{"part 0x41 0xd0c Neoverse-N1 ; s\n", "x:1:"},
                            Bad{"implementer 0x41 ARM ; s\nimplementer 0x41 ARM ; s\n", "x:2:"},
                            Bad{"implementer 41 ARM ; s\n", "x:1:"},
                            Bad{"cpu 0x41 ARM ; s\n", "x:1:"},
                            Bad{"implementer 0x41 ARM ; s\npart 0x41 0xd0c A / B / C ; s\n", "x:2:"},
                            Bad{"implementer 0x41 ARM ;   \n", "x:1:"}}) {
    auto r = parse_cpu_parts(bad, "x");
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.message().rfind(where, 0) == 0, r.message());
  }
}

TEST_CASE("cpu probe: recorded CPU trees match the facts written from their samples") {
  for (const auto& [name, facts_file] : k_fixtures) {
    CAPTURE(name);
    auto dir = certify::test::fixture(name);
    auto inv = probe_cpu_only(dir);
    const json& cpu = inv.cpu;
    auto facts = load_json(dir / "expected" / facts_file);
    for (auto it = facts.begin(); it != facts.end(); ++it) {
      CAPTURE(it.key());
      if (it.key() == "numa_cpus") {
        std::vector<std::string> got;
        for (const auto& n : cpu.value("numa_nodes", json::array())) got.push_back(n["cpus"]);
        CHECK(json(got) == it.value());
      } else if (it.key() == "caches") {
        json got = json::object();
        for (const auto& c : cpu.value("caches", json::array()))
          got[c["name"].get<std::string>()] = {c["size_bytes"], c.value("instances", json())};
        CHECK(got == it.value());
      } else {
        CHECK(cpu.value(it.key(), json()) == it.value());
      }
    }
    CHECK_MESSAGE(inv.warnings.empty(), warnings_of(inv));
    // Every online CPU appears in the per-CPU topology with its node.
    CHECK(cpu["topology"].size() == cpu["cpus"].get<std::size_t>());
    for (const auto& t : cpu["topology"]) CHECK(t.contains("node"));
    CHECK(certify::test::check_golden(cpu, dir / "expected" / "cpu.json") == "");
  }
}

TEST_CASE("cpu probe: output validates against the inventory schema") {
  for (const auto& [name, facts_file] : k_fixtures) {
    CAPTURE(name);
    auto inv = probe_cpu_only(certify::test::fixture(name));
    CHECK(certify::test::schema_errors(to_json(inv), "schemas/inventory.schema.json") == "");
  }
}

// lscpu --sysroot reads the same files; its JSON is a list of {field, data}
// (with "children" in newer releases). util-linux 2.38 takes Architecture from
// the host's uname, decodes arm parts, and does not know the riscv, loongarch
// and s390 model fields; those comparisons are skipped with a message.
namespace {

void flatten(const json& items, std::map<std::string, std::string>& out) {
  for (const auto& i : items) {
    if (i.contains("field") && i.contains("data") && i["data"].is_string())
      out.emplace(i["field"].get<std::string>(), i["data"].get<std::string>());
    if (i.contains("children")) flatten(i["children"], out);
  }
}

}  // namespace

TEST_CASE("cpu probe agrees with util-linux lscpu --sysroot on counts and model name") {
  if (!fs::exists("/usr/bin/lscpu")) {
    MESSAGE("lscpu not installed: comparison skipped");
    return;
  }
  for (const auto& [name, facts_file] : k_fixtures) {
    CAPTURE(name);
    auto dir = certify::test::fixture(name);
    auto out = certify::test::run_command({"/usr/bin/lscpu", "--sysroot", dir.string(), "-J"});
    REQUIRE_MESSAGE(out.exit_code == 0, out.err);
    std::map<std::string, std::string> l;
    flatten(json::parse(out.out).at("lscpu"), l);
    auto cpu = probe_cpu_only(dir).cpu;
    auto num = [&](const char* field) { return l.count(field) ? std::stol(l[field]) : -1L; };

    CHECK(num("CPU(s):") == cpu["cpus"].get<long>());
    CHECK(num("NUMA node(s):") == cpu["numa_node_count"].get<long>());
    for (std::size_t n = 0; n < cpu["numa_nodes"].size(); ++n) {
      auto field = "NUMA node" + std::to_string(n) + " CPU(s):";
      // lscpu writes "0,1" where we write "0-1": compare the sets.
      auto theirs = parse_cpu_list(l[field]);
      auto ours = parse_cpu_list(cpu["numa_nodes"][n]["cpus"].get<std::string>());
      REQUIRE(theirs.ok());
      REQUIRE(ours.ok());
      CHECK(*theirs == *ours);
    }
    if (l.count("Thread(s) per core:")) {
      CHECK(num("Thread(s) per core:") == cpu["threads_per_core"].get<long>());
      CHECK(num("Core(s) per socket:") == cpu["cores_per_socket"].get<long>());
      if (l.count("Socket(s):")) {
        CHECK(num("Socket(s):") == cpu["sockets"].get<long>());
      } else {
        // s390: lscpu prints sockets per book, books per drawer and drawers.
        REQUIRE(l.count("Socket(s) per book:"));
        CHECK(num("Socket(s) per book:") * num("Book(s) per drawer:") * num("Drawer(s):") ==
              cpu["sockets"].get<long>());
      }
    } else {
      MESSAGE(name << ": lscpu " << "prints no thread/core/socket counts for this cpuinfo format");
      CHECK(cpu["arch"] == "riscv64");  // the one format util-linux 2.38 cannot read
    }
    auto model = l.count("Model name:") ? l["Model name:"] : std::string("-");
    if (model == "-") {
      MESSAGE(name << ": lscpu names no model (" << cpu["arch"].get<std::string>() << "); ours is "
                   << cpu["model_name"]);
      CHECK(cpu.contains("model_name"));
    } else {
      // lscpu >= 2.39 names arm 0x48/0xd01 by its core (TaiShan-v110), 2.38 by product.
      CHECK((model == cpu["model_name"].get<std::string>() || model == cpu.value("core_name", "")));
    }
  }
}

TEST_CASE("cpu probe: without /proc/sys/kernel/arch the architecture comes from cpuinfo") {
  certify::test::TempDir t;
  fs::copy(certify::test::fixture("cpu-aarch64-phytium"), t.path(), fs::copy_options::recursive);
  fs::remove(t / "proc/sys/kernel/arch");
  std::ofstream(t / "proc/sys/kernel/osrelease") << "4.19.90\n";
  auto inv = probe_cpu_only(t.path(), {"os", "cpu"});
  CHECK(inv.cpu["arch"] == "aarch64");
  CHECK(inv.cpu["arch_source"] == "cpuinfo");
  CHECK(inv.os["arch"] == "aarch64");
  CHECK(inv.cpu["vendor"] == "Phytium");
}

TEST_CASE("cpu probe: garbage, missing files and a broken cpu-parts give warnings, not crashes") {
  certify::test::TempDir t;
  fs::create_directories(t / "proc");
  fs::create_directories(t / "sys/devices/system/cpu/cpu0/topology");
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 7919) % 256);
  std::ofstream(t / "proc/cpuinfo", std::ios::binary) << "processor : 0\nCPU implementer : 0x48\n" << junk;
  std::ofstream(t / "sys/devices/system/cpu/online") << "0-zz\n";
  std::ofstream(t / "sys/devices/system/cpu/cpu0/topology/thread_siblings") << "not a mask\n";
  fs::create_directories(t / "hwdata");
  std::ofstream(t / "hwdata/cpu-parts") << "implementer 0x48 HiSilicon ; ok\npart 0x48 0xd01\n";

  Sysroot root(t.path());
  ProbeOptions o;
  o.classes = {"cpu"};
  o.hwdata_dir = t / "hwdata";
  auto inv = probe_all(root, o);
  REQUIRE(inv.ok());
  auto w = warnings_of(*inv);
  CHECK(w.find("cpu-parts:2") != std::string::npos);
  CHECK(w.find("online") != std::string::npos);
  CHECK(w.find("thread_siblings") != std::string::npos);
  CHECK_NOTHROW((void)to_json(*inv).dump());

  certify::test::TempDir empty;
  auto inv2 = probe_all(Sysroot(empty.path()), o);
  REQUIRE(inv2.ok());
  CHECK(warnings_of(*inv2).find("cannot read /proc/cpuinfo") != std::string::npos);
}

TEST_CASE("cpu probe: offline CPUs are listed and kept out of the topology counts") {
  certify::test::TempDir t;
  fs::copy(certify::test::fixture("cpu-x86-hygon"), t.path(), fs::copy_options::recursive);
  auto cpu_dir = t / "sys/devices/system/cpu";
  std::ofstream(cpu_dir / "online") << "0-6,8-14\n";
  std::ofstream(cpu_dir / "offline") << "7,15\n";
  // The kernel removes the topology and cache directories of an offline CPU.
  for (const char* c : {"cpu7", "cpu15"}) {
    fs::remove_all(cpu_dir / c / "topology");
    fs::remove_all(cpu_dir / c / "cache");
  }
  auto cpu = probe_cpu_only(t.path()).cpu;
  CHECK(cpu["cpus"] == 16);
  CHECK(cpu["online_count"] == 14);
  CHECK(cpu["offline"] == "7,15");
  CHECK(cpu["topology"][7]["online"] == false);
  CHECK_FALSE(cpu["topology"][7].contains("core"));
  CHECK(cpu["sockets"] == 1);
  CHECK(cpu["threads_per_core"] == 2);
  CHECK(cpu["cores"] == 7);  // core 7 has both threads offline

  auto out = certify::test::run_command({"/usr/bin/lscpu", "--sysroot", t.path().string(), "-J"});
  if (out.exit_code == 0) {
    std::map<std::string, std::string> l;
    flatten(json::parse(out.out).at("lscpu"), l);
    auto theirs = parse_cpu_list(l["Off-line CPU(s) list:"]);
    REQUIRE(theirs.ok());
    CHECK(format_cpu_list(*theirs) == "7,15");
  }
}

TEST_CASE("cpuinfo: bytes that are not UTF-8 never reach the JSON output") {
  CpuPartTable none;
  std::vector<std::string> w;
  // Found by fuzz/cpuinfo: a multi-byte character among riscv's single-letter extensions.
  auto j = identify_cpu(parse_cpuinfo("processor\t: 0\nisa\t\t: rv64im\xc3\xa9" "fd_zicsr\n"), "riscv64", none, w);
  CHECK_NOTHROW((void)j.dump());
  CHECK(j["flags"] == json({"i", "m", "f", "d", "zicsr"}));
  j = identify_cpu(parse_cpuinfo("processor\t: 0\nmodel name\t: Xeon\xff\xfe\nvendor_id\t: \xc0\xaf\n"), "x86_64",
                   none, w);
  CHECK(j["model_name"] == "Xeon??");
  CHECK(j["vendor_id"] == "??");
}
