// RAS and poison suites: parsers on fixtures (EINJ, AER, EDAC, SMBIOS type 17,
// meminfo, kernel config, mce trace, kmsg, rasdaemon's database), EINJ writes
// into a scratch sysroot, and the built-ins run through `certify builtin`
// against recorded sysroots (the live injections are proved in the lab:
// tests/lab/ras_lab.sh).
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>

#include "core/files.hpp"
#include "testsuites/ras/host.hpp"
#include "testsuites/ras/rasdata.hpp"
#include "testsuites/ras/rasdb.hpp"
#include "tests/testutil.hpp"

using namespace certify;
using namespace certify::suites::ras;
using certify::test::fixture;

namespace {

std::vector<std::uint8_t> bytes_of(const std::filesystem::path& p) {
  auto t = read_file(p);
  REQUIRE(t.ok());
  return {t->begin(), t->end()};
}

// A real sqlite database built from the rasdaemon schema fixture.
std::filesystem::path make_rasdaemon_db(const test::TempDir& dir, const std::string& extra_sql = "") {
  auto sql = read_file(fixture("ras-rasdaemon/ras-mc_ctx.sql"));
  REQUIRE(sql.ok());
  auto path = dir / "ras-mc_ctx.db";
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, (*sql + extra_sql).c_str(), nullptr, nullptr, &err);
  CHECK_MESSAGE(rc == SQLITE_OK, (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  return path;
}

nlohmann::json run_builtin(const std::string& name, const std::filesystem::path& sysroot, std::vector<std::string> env,
                           int& exit_code, std::string* out = nullptr) {
  test::TempDir wd;
  env.push_back("CERTIFY_WORKDIR=" + wd.path().string());
  env.push_back("CERTIFY_SYSROOT=" + sysroot.string());
  auto r = test::run_command({test::build_path("cli/certify").string(), "builtin", name}, env);
  exit_code = r.exit_code;
  if (out) *out = r.out + r.err;
  auto text = read_file(wd / "result.json");
  std::string log = r.out + r.err;
  REQUIRE_MESSAGE(text.ok(), log);
  return nlohmann::json::parse(*text);
}

}  // namespace

TEST_CASE("meminfo: HardwareCorrupted and huge page lines, malformed values rejected") {
  auto text = read_file(fixture("ras-server/proc/meminfo"));
  REQUIRE(text.ok());
  CHECK(meminfo_kb(*text, "HardwareCorrupted") == 4);
  CHECK(meminfo_kb(*text, "Hugepagesize") == 2048);
  CHECK(meminfo_kb(*text, "HugePages_Free") == 0);
  CHECK_FALSE(meminfo_kb(*text, "Hardware").has_value());
  CHECK_FALSE(meminfo_kb("HardwareCorrupted:   x kB\n", "HardwareCorrupted").has_value());
  CHECK_FALSE(meminfo_kb("HardwareCorrupted:   4 MB\n", "HardwareCorrupted").has_value());
  CHECK_FALSE(meminfo_kb("HardwareCorrupted", "HardwareCorrupted").has_value());
  CHECK(meminfo_kb("HardwareCorrupted:  8 kB", "HardwareCorrupted") == 8);  // no final newline
}

TEST_CASE("kernel config: values, 'is not set', prefixes of other options") {
  std::string cfg = "CONFIG_MEMORY_FAILURE_X=y\nCONFIG_MEMORY_FAILURE=y\n# CONFIG_EDAC_DEBUG is not set\nCONFIG_HZ=250\n";
  CHECK(kconfig_value(cfg, "CONFIG_MEMORY_FAILURE") == "y");
  CHECK(kconfig_value(cfg, "CONFIG_EDAC_DEBUG") == "n");
  CHECK(kconfig_value(cfg, "CONFIG_HZ") == "250");
  CHECK_FALSE(kconfig_value(cfg, "CONFIG_EDAC").has_value());
  CHECK_FALSE(kconfig_value("CONFIG_MEMORY_FAILURE_X=y\n", "CONFIG_MEMORY_FAILURE").has_value());

  probe::Sysroot server(fixture("ras-server"));
  auto k = kernel_config(server, "CONFIG_MEMORY_FAILURE");
  CHECK(k.found_config);
  CHECK(k.source == "/proc/config.gz");
  CHECK(k.value == "y");

  test::TempDir t;
  std::filesystem::create_directories(t / "proc/sys/kernel");
  std::filesystem::create_directories(t / "boot");
  REQUIRE(write_file_atomic(t / "proc/sys/kernel/osrelease", "6.1.0-9-amd64\n").ok());
  probe::Sysroot none(t.path());
  auto n = kernel_config(none, "CONFIG_MEMORY_FAILURE");
  CHECK_FALSE(n.found_config);
  CHECK(n.source.find("/boot/config-6.1.0-9-amd64") != std::string::npos);
  REQUIRE(write_file_atomic(t / "boot/config-6.1.0-9-amd64", "# CONFIG_MEMORY_FAILURE is not set\n").ok());
  auto b = kernel_config(none, "CONFIG_MEMORY_FAILURE");
  CHECK(b.found_config);
  CHECK(b.value == "n");
  std::string evidence;
  CHECK(need_memory_failure(none, evidence).find("without CONFIG_MEMORY_FAILURE") != std::string::npos);
  // A corrupt config.gz is not a config: fall back to /boot.
  REQUIRE(write_file_atomic(t / "proc/config.gz", "not gzip").ok());
  CHECK(kernel_config(none, "CONFIG_MEMORY_FAILURE").source == "/boot/config-6.1.0-9-amd64");
}

TEST_CASE("memory-failure requirement: config, sysctl evidence, recovery disabled") {
  std::string evidence;
  CHECK(need_memory_failure(probe::Sysroot(fixture("ras-server")), evidence) == "");
  CHECK(evidence == "CONFIG_MEMORY_FAILURE=y in /proc/config.gz");

  test::TempDir t;
  std::filesystem::create_directories(t / "proc/sys/vm");
  REQUIRE(write_file_atomic(t / "proc/meminfo", "MemTotal: 100 kB\nHardwareCorrupted:     0 kB\n").ok());
  probe::Sysroot root(t.path());
  CHECK(need_memory_failure(root, evidence).find("not confirmed") != std::string::npos);
  REQUIRE(write_file_atomic(t / "proc/sys/vm/memory_failure_recovery", "1\n").ok());
  CHECK(need_memory_failure(root, evidence) == "");
  CHECK(evidence.find("memory_failure_recovery") != std::string::npos);
  REQUIRE(write_file_atomic(t / "proc/sys/vm/memory_failure_recovery", "0\n").ok());
  CHECK(need_memory_failure(root, evidence).find("panic") != std::string::npos);
}

TEST_CASE("EINJ available_error_type: fixture and malformed lines") {
  auto text = read_file(fixture("ras-server/sys/kernel/debug/apei/einj/available_error_type"));
  REQUIRE(text.ok());
  auto t = parse_einj_types(*text);
  REQUIRE(t.ok());
  REQUIRE(t->size() == 6);
  CHECK((*t)[1].mask == k_einj_mem_correctable);
  CHECK((*t)[1].name == "Memory Correctable");
  CHECK((*t)[2].mask == k_einj_mem_uncorrectable_nonfatal);
  CHECK((*t)[5].name == "PCI Express Uncorrectable non-fatal");
  CHECK(parse_einj_types("").ok());
  auto bad = parse_einj_types("0x00000008\tMemory Correctable\njunk here\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("line 2") != std::string::npos);
  CHECK_FALSE(parse_einj_types("0x00000008\n").ok());
  CHECK_FALSE(parse_einj_types("0xZZ\tMemory\n").ok());
  CHECK_FALSE(parse_einj_types("0x1ffffffff\tToo big\n").ok());
}

TEST_CASE("AER counters: sysfs files, malformed, duplicates") {
  auto text = read_file(fixture("ras-server/sys/devices/pci0000:00/0000:00:03.0/0000:09:00.0/aer_dev_correctable"));
  REQUIRE(text.ok());
  auto c = parse_aer_counters(*text);
  REQUIRE(c.ok());
  CHECK(c->at("RxErr") == 3);
  CHECK(c->at("BadTLP") == 1);
  CHECK(c->at("TOTAL_ERR_COR") == 4);
  CHECK_FALSE(parse_aer_counters("").ok());
  auto bad = parse_aer_counters("RxErr 1\nBadTLP x\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("line 2") != std::string::npos);
  CHECK_FALSE(parse_aer_counters("RxErr 1\nRxErr 2\n").ok());
  CHECK_FALSE(parse_aer_counters("17\n").ok());
  CHECK_FALSE(parse_aer_counters("RxErr -1\n").ok());
}

TEST_CASE("AER devices from a sysroot: root port totals, endpoint counters, broken files") {
  auto devs = read_aer_devices(probe::Sysroot(fixture("ras-server")));
  REQUIRE(devs.size() == 2);
  CHECK(devs[0].bdf == "0000:00:03.0");
  CHECK(devs[0].root_port);
  CHECK(devs[0].rootport.at("total_err_cor") == 4);
  CHECK(devs[1].bdf == "0000:09:00.0");
  CHECK_FALSE(devs[1].root_port);
  REQUIRE(devs[1].correctable);
  CHECK(devs[1].correctable->at("RxErr") == 3);
  CHECK(devs[1].errors.empty());

  test::TempDir t;
  std::filesystem::create_directories(t / "sys/bus/pci/devices/0000:01:00.0");
  REQUIRE(write_file_atomic(t / "sys/bus/pci/devices/0000:01:00.0/aer_dev_correctable", "RxErr one\n").ok());
  REQUIRE(write_file_atomic(t / "sys/bus/pci/devices/0000:01:00.0/aer_rootport_total_err_cor", "lots\n").ok());
  auto broken = read_aer_devices(probe::Sysroot(t.path()));
  REQUIRE(broken.size() == 1);
  CHECK(broken[0].errors.size() == 2);
  CHECK_FALSE(broken[0].correctable.has_value());
}

TEST_CASE("PCIe extended capability walk: found, chained, loops and short dumps") {
  auto cfg = bytes_of(fixture("ras-server/sys/devices/pci0000:00/0000:00:03.0/config"));
  CHECK(pcie_has_ext_cap(cfg, k_ext_cap_aer));
  CHECK(pcie_has_ext_cap(cfg, 0x0003));
  CHECK_FALSE(pcie_has_ext_cap(cfg, 0x000d));
  CHECK_FALSE(pcie_has_ext_cap(bytes_of(fixture("ras-server/sys/devices/pci0000:00/0000:00:1e.0/config")), k_ext_cap_aer));
  std::vector<std::uint8_t> loop(4096, 0);
  loop[0x100] = 0x0b;  // id 0x000b, next 0x100: a loop
  loop[0x102] = 0x01;
  loop[0x103] = 0x10;
  CHECK_FALSE(pcie_has_ext_cap(loop, k_ext_cap_aer));
  CHECK_FALSE(pcie_has_ext_cap(std::vector<std::uint8_t>(256, 0xff), k_ext_cap_aer));
  CHECK_FALSE(pcie_has_ext_cap(std::vector<std::uint8_t>(0x102, 0x01), k_ext_cap_aer));
  std::vector<std::uint8_t> ones(4096, 0xff);
  CHECK_FALSE(pcie_has_ext_cap(ones, 0xffff));
}

TEST_CASE("EDAC tree: controllers, DIMMs, labels, counts, malformed attributes") {
  auto s = read_edac(probe::Sysroot(fixture("ras-server")));
  REQUIRE(s.mcs.size() == 1);
  const auto& mc = s.mcs[0];
  CHECK(mc.mc_name == "Skylake Socket#0 IMC#0");
  CHECK(mc.seconds_since_reset == 7200);
  REQUIRE(mc.dimms.size() == 2);
  CHECK(mc.dimms[0].label == "CPU_SrcID#0_MC#0_Chan#0_DIMM#0");
  CHECK(mc.dimms[1].size_mb == 16384);
  CHECK(s.total_ce() == 3);
  CHECK(s.total_ue() == 0);
  CHECK(s.warnings.empty());

  test::TempDir t;
  std::filesystem::create_directories(t / "sys/devices/system/edac/mc/mc0/dimm0");
  std::filesystem::create_directories(t / "sys/devices/system/edac/mc/power");  // not a controller
  REQUIRE(write_file_atomic(t / "sys/devices/system/edac/mc/mc0/ce_count", "many\n").ok());
  auto bad = read_edac(probe::Sysroot(t.path()));
  REQUIRE(bad.mcs.size() == 1);
  CHECK(bad.mcs[0].dimms.size() == 1);
  bool named = false;
  for (const auto& w : bad.warnings) named = named || w.find("ce_count: not a number") != std::string::npos;
  CHECK(named);
  CHECK(bad.warnings.size() > 5);  // every missing attribute is named
}

TEST_CASE("SMBIOS type 17: sizes, empty slots, extended size, truncation") {
  std::vector<std::string> warn;
  auto dimms = read_smbios_dimms(probe::Sysroot(fixture("ras-server")), warn);
  CHECK(warn.empty());
  REQUIRE(dimms.size() == 3);
  CHECK(dimms[0].populated);
  CHECK(dimms[0].size_mb == 16384);
  CHECK(dimms[0].locator == "DIMM_A1");
  CHECK(dimms[0].bank_locator == "NODE 1");
  CHECK_FALSE(dimms[2].populated);
  CHECK(dimms[2].locator == "DIMM_D1");
  auto ext = parse_smbios_type17(bytes_of(fixture("ras-server/smbios17-extended.bin")));
  REQUIRE(ext.ok());
  CHECK(ext->size_mb == 65536);
  auto raw = bytes_of(fixture("ras-server/sys/firmware/dmi/entries/17-0/raw"));
  CHECK_FALSE(parse_smbios_type17(std::span(raw).first(0x10)).ok());
  auto wrong = raw;
  wrong[0] = 16;
  CHECK_FALSE(parse_smbios_type17(wrong).ok());
  CHECK_FALSE(parse_smbios_type17(std::vector<std::uint8_t>{17}).ok());
  // A string index past the table is an empty string, not a crash.
  auto idx = raw;
  idx[0x10] = 40;
  auto p = parse_smbios_type17(idx);
  REQUIRE(p.ok());
  CHECK(p->locator.empty());
}

TEST_CASE("mce_record trace lines and kmsg records") {
  std::string line =
      "     kworker/0:1-23    [000] .....  1234.567890: mce_record: CPU: 0, MCGc/s: 100000c0a/0, MC1: 9000000000000000, "
      "IPID: 0000000000000000, ADDR/MISC/SYND: 0000000001234000/0000000000000000/0000000000000000, RIP: 00:<0000000000000000>, "
      "TSC: 0, PPIN: 0, vendor: 0, CPUID: 60fb1, time: 1795000000, socket: 0, APIC: 0, microcode: 1";
  auto m = parse_mce_trace_line(line);
  REQUIRE(m.has_value());
  CHECK(m->cpu == 0);
  CHECK(m->bank == 1);
  CHECK(m->status == 0x9000000000000000ull);
  CHECK(m->addr == 0x1234000);
  auto old = parse_mce_trace_line("mce_record: CPU: 3, MCGc/s: 0/0, MC12: bd00000000000134, ADDR/MISC: 000000001f000000/0000000000000086");
  REQUIRE(old.has_value());
  CHECK(old->bank == 12);
  CHECK(old->misc == 0x86);
  CHECK_FALSE(parse_mce_trace_line("mce_record: CPU: 0, MCGc/s: 0/0").has_value());
  CHECK_FALSE(parse_mce_trace_line("MC: 12").has_value());
  CHECK_FALSE(parse_mce_trace_line("").has_value());

  auto k = parse_kmsg_record("3,1234,56789012,-;pcieport 0000:00:03.0: AER: Corrected error received: 0000:09:00.0\n SUBSYSTEM=pci\n");
  REQUIRE(k.has_value());
  CHECK(k->priority == 3);
  CHECK(k->seq == 1234);
  CHECK(k->message == "pcieport 0000:00:03.0: AER: Corrected error received: 0000:09:00.0");
  CHECK_FALSE(parse_kmsg_record("no semicolon").has_value());
  CHECK_FALSE(parse_kmsg_record("x,1,2,-;msg").has_value());
  CHECK_FALSE(parse_kmsg_record("6,1;msg").has_value());
}

TEST_CASE("PCI addresses") {
  auto b = parse_bdf("0000:09:00.0");
  REQUIRE(b.has_value());
  CHECK(b->bus == 9);
  CHECK(b->dev == 0);
  CHECK(b->fn == 0);
  auto c = parse_bdf("0001:3b:1f.7");
  REQUIRE(c.has_value());
  CHECK(c->domain == 1);
  CHECK(c->bus == 0x3b);
  CHECK(c->dev == 31);
  CHECK(c->fn == 7);
  CHECK_FALSE(parse_bdf("09:00.0").has_value());
  CHECK_FALSE(parse_bdf("0000:09:20.0").has_value());
  CHECK_FALSE(parse_bdf("0000:09:00.8").has_value());
  CHECK_FALSE(parse_bdf("0000:0g:00.0").has_value());
}

TEST_CASE("EINJ injection writes type, address, mask, trigger and inject in order") {
  test::TempDir t;
  auto dir = t / "sys/kernel/debug/apei/einj";
  std::filesystem::create_directories(dir);
  for (const char* f : {"error_type", "param1", "param2", "notrigger", "error_inject"})
    REQUIRE(write_file_atomic(dir / f, "").ok());
  probe::Sysroot root(t.path());
  REQUIRE(einj_inject(root, {k_einj_mem_correctable, 0x12345000, 0xfffffffffffff000ull, false}).ok());
  CHECK(*read_file(dir / "error_type") == "0x8");
  CHECK(*read_file(dir / "param1") == "0x12345000");
  CHECK(*read_file(dir / "param2") == "0xfffffffffffff000");
  CHECK(*read_file(dir / "notrigger") == "0");
  CHECK(*read_file(dir / "error_inject") == "1");
  std::filesystem::remove(dir / "param2");
  auto st = einj_inject(root, {k_einj_mem_correctable, 0x1000, 0xfff, true});
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("param2") != std::string::npos);
}

TEST_CASE("rasdaemon database: tables, events after an id, foreign schemas, non-databases") {
  test::TempDir t;
  auto path = make_rasdaemon_db(t);
  auto db = RasDb::open(path);
  REQUIRE_MESSAGE(db.ok(), db.message());
  auto tables = db->tables();
  REQUIRE(tables.ok());
  std::map<std::string, std::int64_t> rows;
  for (const auto& tb : *tables) rows[tb.name] = tb.rows;
  CHECK(rows == std::map<std::string, std::int64_t>{{"aer_event", 2}, {"mc_event", 2}, {"mce_record", 1}, {"memory_failure_event", 2}});
  auto aer = db->events_after("aer_event", 0);
  REQUIRE(aer.ok());
  REQUIRE(aer->size() == 2);
  CHECK(aer->at(0).fields.at("dev_name") == "0000:09:00.0");
  CHECK(aer->at(0).fields.at("err_type") == "Corrected");
  auto mf = db->events_after("memory_failure_event", 1);
  REQUIRE(mf.ok());
  REQUIRE(mf->size() == 1);
  CHECK(mf->at(0).fields.at("pfn") == "0x23456");
  CHECK(mf->at(0).fields.at("action_result") == "Recovered");
  auto mce = db->events_after("mce_record", 0);
  REQUIRE(mce.ok());
  CHECK(mce->at(0).fields.at("bank") == "1");
  CHECK_FALSE(db->events_after("sqlite_master", 0).ok());

  test::TempDir t2;
  auto foreign = t2 / "other.db";
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(foreign.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "CREATE TABLE aer_event (id INTEGER PRIMARY KEY, stamp TEXT)", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  auto fdb = RasDb::open(foreign);
  REQUIRE(fdb.ok());
  auto ft = fdb->tables();
  REQUIRE_FALSE(ft.ok());
  CHECK(ft.message().find("aer_event lacks column timestamp") != std::string::npos);

  REQUIRE(write_file_atomic(t2 / "text.db", "this is not a database, just text that is long enough to have a header......").ok());
  CHECK_FALSE(RasDb::open(t2 / "text.db").ok());
  CHECK_FALSE(RasDb::open(t2 / "missing.db").ok());
}

TEST_CASE("ras.edac built-in on recorded servers: pass, and fail on uncorrected errors and DIMM mismatch") {
  int rc = -1;
  auto ok = run_builtin("ras.edac", fixture("ras-server"), {}, rc);
  CHECK(rc == 0);
  CHECK(ok["status"] == "pass");
  CHECK(ok["metrics"]["dimms_populated"] == 2);
  CHECK(ok["metrics"]["smbios_dimms_populated"] == 2);
  CHECK(ok["metrics"]["ce_count"] == 3);
  CHECK(ok["metrics"]["ce_per_hour"] == doctest::Approx(1.5));
  auto ue = run_builtin("ras.edac", fixture("ras-server-ue"), {}, rc);
  CHECK(rc == 1);
  CHECK(ue["status"] == "fail");
  auto why = ue["reason"].get<std::string>();
  CHECK(why.find("uncorrected") != std::string::npos);
  CHECK(why.find("SMBIOS type 17 lists 3") != std::string::npos);
  test::TempDir empty;
  auto skip = run_builtin("ras.edac", empty.path(), {}, rc);
  CHECK(rc == 77);
  CHECK(skip["reason"].get<std::string>().find("CONFIG_EDAC") != std::string::npos);
}

TEST_CASE("ras.aer built-in on a recorded server: counters and capability checked, no injection into a sysroot") {
  int rc = -1;
  std::string out;
  auto j = run_builtin("ras.aer", fixture("ras-server"), {}, rc, &out);
  CHECK_MESSAGE(rc == 0, out);
  CHECK(j["metrics"]["aer_functions"] == 2);
  CHECK(j["metrics"]["aer_root_ports"] == 1);
  CHECK(j["metrics"]["aer_capability_in_config"] == 2);
  CHECK(j["metrics"]["injected"] == false);
  CHECK(j["reason"].get<std::string>().find("sysroot") != std::string::npos);
  // A function with the capability but no counters: the OS does not manage AER.
  test::TempDir t;
  std::filesystem::copy(fixture("ras-server"), t.path(), std::filesystem::copy_options::recursive |
                                                             std::filesystem::copy_options::copy_symlinks);
  std::filesystem::remove(t / "sys/devices/pci0000:00/0000:00:03.0/0000:09:00.0/aer_dev_fatal");
  auto f = run_builtin("ras.aer", t.path(), {}, rc);
  CHECK(rc == 1);
  CHECK(f["reason"].get<std::string>().find("0000:09:00.0 has the AER capability but no aer_dev_* counters") != std::string::npos);
  test::TempDir empty;
  run_builtin("ras.aer", empty.path(), {}, rc);
  CHECK(rc == 77);
}

TEST_CASE("injecting built-ins skip with their reason when they cannot act") {
  int rc = -1;
  for (const char* name : {"poison.madvise-anon", "poison.kernel-copy", "poison.file-backed", "poison.soft-offline", "poison.hugetlb"}) {
    auto j = run_builtin(name, fixture("ras-server"), {}, rc);
    CHECK_MESSAGE(rc == 77, name);
    CHECK_MESSAGE(j["reason"].get<std::string>().find("acts on the running kernel") != std::string::npos, name);
  }
  auto einj = run_builtin("ras.einj", fixture("ras-server"), {}, rc);
  CHECK(rc == 77);
  CHECK(einj["reason"].get<std::string>().find("acts on the running kernel") != std::string::npos);
  test::TempDir empty;
  auto none = run_builtin("ras.einj", empty.path(), {}, rc);
  CHECK(rc == 77);
  CHECK(none["reason"].get<std::string>().find("no ACPI EINJ table") != std::string::npos);
  auto mce = run_builtin("ras.mce", empty.path(), {}, rc);
  CHECK(rc == 77);
  CHECK_FALSE(mce["reason"].get<std::string>().empty());
  auto rd = run_builtin("ras.rasdaemon", empty.path(), {}, rc);
  CHECK(rc == 77);
  CHECK(rd["reason"].get<std::string>().find("rasdaemon is not installed") != std::string::npos);
}

TEST_CASE("ras.rasdaemon built-in reads the database of a recorded system") {
  test::TempDir t;
  std::filesystem::create_directories(t / "var/lib/rasdaemon");
  auto db = make_rasdaemon_db(t);
  std::filesystem::rename(db, t / "var/lib/rasdaemon/ras-mc_ctx.db");
  int rc = -1;
  auto j = run_builtin("ras.rasdaemon", t.path(), {}, rc);
  CHECK(rc == 77);  // a sysroot: read, nothing injected
  CHECK(j["metrics"]["aer_event_rows"] == 2);
  CHECK(j["metrics"]["memory_failure_event_rows"] == 2);
  CHECK(j["reason"].get<std::string>().find("4 event tables") != std::string::npos);
  REQUIRE(write_file_atomic(t / "var/lib/rasdaemon/ras-mc_ctx.db", std::string(200, 'x')).ok());
  auto bad = run_builtin("ras.rasdaemon", t.path(), {}, rc);
  CHECK(rc == 1);
  CHECK(bad["reason"].get<std::string>().find("unreadable") != std::string::npos);
}
