// Per-class suites (issue 6): every pass criterion fed facts that must fail
// (a degraded PCIe link, a SMART critical warning, a CPU that will not come
// online, a kernel log with a hardware error, ...) and facts that must pass.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/files.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/common/block_io.hpp"
#include "testsuites/common/kernel_log.hpp"
#include "testsuites/common/pcie_link.hpp"
#include "testsuites/cpu/cpu.hpp"
#include "testsuites/memory/memory.hpp"
#include "testsuites/nic/nic.hpp"
#include "testsuites/nic/peer.hpp"
#include "testsuites/nvme/nvme.hpp"
#include "testsuites/hba/hba.hpp"
#include "testsuites/system/system.hpp"
#include "tests/testpeer.hpp"
#include "tests/testutil.hpp"

using namespace certify;
using namespace certify::suites;
using certify::test::fixture;

namespace {

std::vector<KmsgRecord> kmsg_fixture(const std::string& name) {
  auto text = read_file(fixture("suites-class/" + name));
  REQUIRE(text.ok());
  std::vector<KmsgRecord> out;
  std::istringstream is(*text);
  std::string line;
  while (std::getline(is, line)) {
    if (line.empty() || line[0] == ' ') continue;  // continuation lines belong to the record before
    auto r = parse_kmsg_record(line);
    REQUIRE_MESSAGE(r.ok(), line);
    out.push_back(*r);
  }
  return out;
}

bool has_pattern(const std::vector<LogFinding>& f, const std::string& name) {
  for (const auto& x : f)
    if (x.pattern == name) return true;
  return false;
}

TestResult run_in_sysroot(BuiltinFn fn, const std::filesystem::path& sysroot, nlohmann::json device = nlohmann::json::object()) {
  TestContext ctx;
  ctx.sysroot = sysroot;
  ctx.device = std::move(device);
  std::ostringstream log;
  ctx.log = &log;
  return fn(ctx);
}

}  // namespace

namespace certify::suites {
TestResult cpu_freq(TestContext& ctx);
TestResult cpu_isa(TestContext& ctx);
TestResult pcie_link_test(TestContext& ctx);
TestResult cpu_online(TestContext& ctx);
TestResult hba_hosts(TestContext& ctx);
TestResult hba_disks(TestContext& ctx);
TestResult fc_port(TestContext& ctx);
TestResult dpu_functions_test(TestContext& ctx);
TestResult system_kdump(TestContext& ctx);
TestResult system_secure_boot(TestContext& ctx);
TestResult system_pcie_links(TestContext& ctx);
TestResult system_iommu(TestContext& ctx);
}  // namespace certify::suites

// --- kernel log -------------------------------------------------------------

TEST_CASE("kernel log: a log with hardware errors is caught, line by line") {
  auto recs = kmsg_fixture("kmsg-hardware-error.txt");
  REQUIRE(recs.size() == 7);
  CHECK(recs[2].level == 3);
  CHECK(recs[2].seq == 1003);
  auto f = scan_kernel_log(recs);
  CHECK(has_pattern(f, "mce"));
  CHECK(has_pattern(f, "aer"));
  CHECK(has_pattern(f, "edac-ce"));
  CHECK(has_pattern(f, "io-error"));
  CHECK(f.size() == 5);
  CHECK_FALSE(has_pattern(f, "call-trace"));
}

TEST_CASE("kernel log: a healthy boot log has no findings") {
  auto f = scan_kernel_log(kmsg_fixture("kmsg-clean.txt"));
  for (const auto& x : f) MESSAGE(x.pattern << ": " << x.line);
  CHECK(f.empty());
}

TEST_CASE("kernel log: malformed records are errors, not crashes") {
  CHECK_FALSE(parse_kmsg_record("no semicolon").ok());
  CHECK_FALSE(parse_kmsg_record("6,x,1;text").ok());
  CHECK_FALSE(parse_kmsg_record("6;text").ok());
  auto r = parse_kmsg_record("30,7,12,-,caller=T1;hello\n KEY=v");
  REQUIRE(r.ok());
  CHECK(r->level == 6);
  CHECK(r->text == "hello");
  for (const auto& p : kernel_error_patterns()) {
    CHECK_FALSE(p.name.empty());
    CHECK_FALSE(p.all_of.empty());
    CHECK_FALSE(p.source.empty());
  }
}

// --- PCIe link ---------------------------------------------------------------

TEST_CASE("pcie link: a degraded link fails, a full one passes, the port caps the maximum") {
  probe::Sysroot root(fixture("suites-class/pcie-degraded"));
  auto bad = read_pcie_link(root, "0000:3b:00.0");
  REQUIRE(bad.has_value());
  CHECK(*bad->port_max_width == 16);
  auto r = check_pcie_link(*bad);
  CHECK(r.outcome == Outcome::fail);
  CHECK(r.reason.find("speed 8 GT/s below the achievable 16 GT/s") != std::string::npos);
  CHECK(r.reason.find("width x4 below the achievable x8") != std::string::npos);
  auto good = read_pcie_link(root, "0000:3c:00.0");
  REQUIRE(good.has_value());
  CHECK(check_pcie_link(*good).outcome == Outcome::pass);
  CHECK_FALSE(read_pcie_link(root, "0000:99:00.0").has_value());

  PcieLink capped{"0000:01:00.0", 8.0, 8, 16.0, 16, 8.0, 8};
  CHECK(check_pcie_link(capped).outcome == Outcome::pass);
  PcieLink unknown{"0000:01:00.0", std::nullopt, 4, 16.0, 16, {}, {}};
  CHECK(check_pcie_link(unknown).outcome == Outcome::fail);
  CHECK(check_pcie_link(PcieLink{"0000:00:1f.3", {}, {}, {}, {}, {}, {}}).outcome == Outcome::skip);
  CHECK(parse_link_speed("2.5 GT/s PCIe") == 2.5);
  CHECK_FALSE(parse_link_speed("Unknown").has_value());
  CHECK_FALSE(parse_link_speed("8 MB/s").has_value());
}

TEST_CASE("pcie link built-in over the lab guest's recorded sysfs") {
  auto r = run_in_sysroot(pcie_link_test, fixture("lab-q35"), {{"id", "pci:0000:01:00.0"}});
  CHECK(r.outcome == Outcome::pass);
  CHECK(r.metrics["speed_gts"] == 2.5);
  auto gone = run_in_sysroot(pcie_link_test, fixture("lab-q35"), {{"id", "pci:0000:7f:00.0"}});
  CHECK(gone.outcome == Outcome::fail);
  auto notpci = run_in_sysroot(pcie_link_test, fixture("lab-q35"), {{"id", "nvme:nvme0n1"}});
  CHECK(notpci.outcome == Outcome::error);
}

// --- cpu -----------------------------------------------------------------------

TEST_CASE("cpu: an offline CPU, wrong results and misplaced work fail") {
  std::uint64_t want = cpu::work_unit(7, 1000);
  CHECK(cpu::work_unit(7, 1000) == want);
  CHECK(cpu::work_unit(8, 1000) != want);
  std::vector<cpu::PinnedRun> ok{{0, 0, true, ""}, {1, 1, true, ""}};
  CHECK(cpu::check_cpus_usable({0, 1}, {0, 1}, ok).outcome == Outcome::pass);
  auto off = cpu::check_cpus_usable({0, 1, 2, 3}, {0, 1}, ok);
  CHECK(off.outcome == Outcome::fail);
  CHECK(off.reason == "present but offline: cpu 2,3");
  std::vector<cpu::PinnedRun> wrong{{0, 0, true, ""}, {1, 1, false, ""}};
  CHECK(cpu::check_cpus_usable({0, 1}, {0, 1}, wrong).reason.find("computed a wrong result") != std::string::npos);
  std::vector<cpu::PinnedRun> moved{{0, 0, true, ""}, {1, 0, true, ""}};
  CHECK(cpu::check_cpus_usable({0, 1}, {0, 1}, moved).reason.find("ran on cpu 0") != std::string::npos);
  CHECK(cpu::check_cpus_usable({0, 1}, {0, 1}, {{0, 0, true, ""}}).outcome == Outcome::fail);
}

TEST_CASE("cpu: pinned work on this machine's online CPUs passes") {
  auto r = run_in_sysroot(cpu_online, "/");
  CHECK_MESSAGE(r.outcome == Outcome::pass, r.reason);
  CHECK(r.metrics["cpus_verified"].get<int>() >= 1);
  CHECK(run_in_sysroot(cpu_online, fixture("lab-q35")).outcome == Outcome::error);  // not live
}

TEST_CASE("cpu: a CPU that will not come online fails hotplug") {
  cpu::HotplugObservation o;
  o.cpu = 3;
  o.seen_offline = true;
  o.online_error = "writing '1' to /sys/devices/system/cpu/cpu3/online: Input/output error";
  auto r = cpu::check_hotplug(o);
  CHECK(r.outcome == Outcome::fail);
  CHECK(r.reason.find("cpu 3 will not come back online") != std::string::npos);
  o.online_error.clear();
  CHECK(cpu::check_hotplug(o).reason.find("not in the online mask") != std::string::npos);
  o.seen_online = true;
  o.work_after = {3, 3, true, ""};
  CHECK(cpu::check_hotplug(o).outcome == Outcome::pass);
  cpu::HotplugObservation busy;
  busy.cpu = 1;
  busy.offline_error = "Device or resource busy";
  CHECK(cpu::check_hotplug(busy).reason.find("could not be taken offline") != std::string::npos);
}

TEST_CASE("cpu: cpufreq policies from recorded sysfs") {
  CHECK(run_in_sysroot(cpu_freq, fixture("suites-class/cpufreq-good")).outcome == Outcome::pass);
  auto bad = run_in_sysroot(cpu_freq, fixture("suites-class/cpufreq-bad"));
  CHECK(bad.outcome == Outcome::fail);
  CHECK(bad.reason.find("policy0: current governor schedutil") != std::string::npos);
  REQUIRE(bad.messages.size() == 1);
  CHECK(bad.messages[0].find("outside the hardware range") != std::string::npos);
  CHECK(run_in_sysroot(cpu_freq, fixture("lab-q35")).outcome == Outcome::skip);
}

TEST_CASE("cpu: ISA flags per level") {
  std::set<std::string> v1{"fpu", "tsc", "cx8", "cmov", "mmx", "fxsr", "sse", "sse2", "lm"};
  CHECK(cpu::check_isa_flags("x86_64", "", v1).outcome == Outcome::pass);
  auto v2 = cpu::check_isa_flags("x86_64", "x86-64-v2", v1);
  CHECK(v2.outcome == Outcome::fail);
  CHECK(v2.reason.find("popcnt") != std::string::npos);
  auto no_sse2 = v1;
  no_sse2.erase("sse2");
  CHECK(cpu::check_isa_flags("x86_64", "x86-64-v1", no_sse2).reason == "missing for x86-64-v1: sse2");
  CHECK(cpu::check_isa_flags("x86_64", "x86-64-v9", v1).outcome == Outcome::error);
  CHECK(cpu::check_isa_flags("s390x", "", {}).outcome == Outcome::skip);
  CHECK(cpu::check_isa_flags("aarch64", "", {"fp", "asimd", "evtstrm"}).outcome == Outcome::pass);
  CHECK(run_in_sysroot(cpu_isa, fixture("lab-q35")).outcome == Outcome::pass);
  CHECK(run_in_sysroot(cpu_isa, fixture("cpu-aarch64-kunpeng920")).outcome == Outcome::pass);
}

TEST_CASE("cpu: stress with a machine check in the log or throttling fails") {
  cpu::StressReport r;
  r.seconds = 1;
  r.iterations = {{0, 10}, {1, 12}};
  CHECK(cpu::check_stress(r, {0, 1}).outcome == Outcome::pass);
  auto log = r;
  log.log = scan_kernel_log(kmsg_fixture("kmsg-hardware-error.txt"));
  CHECK(cpu::check_stress(log, {0, 1}).reason.find("kernel log (mce)") != std::string::npos);
  auto hot = r;
  hot.throttle_delta["cpu1/core_throttle_count"] = 3;
  CHECK(cpu::check_stress(hot, {0, 1}).reason.find("thermal throttling") != std::string::npos);
  auto stuck = r;
  stuck.iterations.erase(1);
  CHECK(cpu::check_stress(stuck, {0, 1}).reason == "cpu 1 made no progress");
  auto wrong = r;
  wrong.wrong[0] = 2;
  CHECK(cpu::check_stress(wrong, {0, 1}).outcome == Outcome::fail);
}

// --- memory --------------------------------------------------------------------

TEST_CASE("memory: every pattern verifies, one flipped bit is found") {
  std::vector<std::uint64_t> buf(4096);
  for (auto p : memory::k_patterns) {
    memory::fill_pattern(p, buf, 100, 5);
    std::optional<memory::Mismatch> mm;
    CHECK_MESSAGE(memory::verify_pattern(p, buf, 100, 5, mm) == 0, memory::pattern_name(p));
    buf[1234] ^= 1ULL << 17;
    CHECK(memory::verify_pattern(p, buf, 100, 5, mm) == 1);
    REQUIRE(mm.has_value());
    CHECK(mm->index == 1234);
    CHECK((mm->expected ^ mm->actual) == (1ULL << 17));
  }
  // A stuck address line: the address pattern sees words written to the wrong place.
  memory::fill_pattern(memory::Pattern::address, buf, 0, 0);
  buf[8] = buf[9];
  std::optional<memory::Mismatch> mm;
  CHECK(memory::verify_pattern(memory::Pattern::address, buf, 0, 0, mm) == 1);
  memory::PatternReport rep{1 << 20, 2, 5, 0.5, 3, "random: word at 0x1 expected 0x2 got 0x3"};
  CHECK(memory::check_pattern_report(rep).outcome == Outcome::fail);
  rep.mismatches = 0;
  CHECK(memory::check_pattern_report(rep).outcome == Outcome::pass);
}

TEST_CASE("memory: huge pages, NUMA placement and size criteria") {
  memory::HugeObservation ok2m{2048, 8, "", false, "", 8, 0, true};
  memory::HugeObservation refused1g{1048576, 1, "the kernel reserved 0 of 1 page(s)", true, "", -1, -1, false};
  CHECK(memory::check_hugepages({ok2m, refused1g}, 2048).outcome == Outcome::pass);
  auto refused2m = refused1g;
  refused2m.page_kb = 2048;
  CHECK(memory::check_hugepages({refused2m}, 2048).outcome == Outcome::fail);
  auto not_backed = ok2m;
  not_backed.free_mapped = 8;
  CHECK(memory::check_hugepages({not_backed}, 2048).reason.find("not backed by huge pages") != std::string::npos);
  auto bad_data = ok2m;
  bad_data.data_ok = false;
  CHECK(memory::check_hugepages({bad_data}, 2048).outcome == Outcome::fail);
  CHECK(memory::check_hugepages({}, 2048).outcome == Outcome::skip);

  memory::NodeObservation n0{0, "", 100, 100, {}, 5000, 3000};
  memory::NodeObservation n1{1, "", 100, 60, {0}, 4000, std::nullopt};
  auto r = memory::check_numa({n0, n1}, 0);
  CHECK(r.outcome == Outcome::fail);
  CHECK(r.reason == "node 1: 40 of 100 pages bound to it landed on node 0");
  CHECK(r.metrics["node0_local_mbps"] == 5000);
  CHECK(memory::check_numa({n0}, 0).outcome == Outcome::pass);
  CHECK(memory::check_numa({n0}, 6000).outcome == Outcome::fail);

  const std::uint64_t gib = 1ULL << 30;
  CHECK(memory::check_memory_size(2 * gib, 2 * gib - 100 * (1 << 20), 10).outcome == Outcome::pass);
  CHECK(memory::check_memory_size(4 * gib, 2 * gib, 10).reason.find("50%") != std::string::npos);
  CHECK(memory::check_memory_size(gib, 2 * gib, 10).outcome == Outcome::fail);
  CHECK(memory::check_memory_size(std::nullopt, gib, 10).outcome == Outcome::skip);
  nlohmann::json sec = {{"dimms", {{{"locator", "DIMM 0"}, {"size_bytes", gib}}, {{"locator", "DIMM 1"}, {"size_bytes", gib}}, {{"locator", "DIMM 2"}, {"size_bytes", 0}}}}};
  CHECK(memory::dimm_total_bytes(sec) == 2 * gib);
  CHECK(memory::dimm_total_bytes({{"dimm_total_bytes", 4 * gib}, {"dimms", nlohmann::json::array()}}) == 4 * gib);
  CHECK_FALSE(memory::dimm_total_bytes({{"dimms", nlohmann::json::array()}}).has_value());
  CHECK_FALSE(memory::dimm_total_bytes(nlohmann::json::object()).has_value());
}

// --- nic -----------------------------------------------------------------------

TEST_CASE("nic: link, ethtool, MTU and SR-IOV criteria") {
  nic::LinkState s{"eth1", true, "up", 1000, 1000, true, "full"};
  CHECK(nic::check_link(s).outcome == Outcome::pass);
  auto slow = s;
  slow.speed_mbps = 100;
  CHECK(nic::check_link(slow).reason == "eth1: link at 100 Mb/s, expected 1000 Mb/s");
  auto down = s;
  down.carrier = false;
  down.operstate = "down";
  CHECK(nic::check_link(down).outcome == Outcome::fail);
  auto half = s;
  half.duplex = "half";
  CHECK(nic::check_link(half).outcome == Outcome::fail);
  nic::LinkState virt{"eth0", true, "up", std::nullopt, std::nullopt, false, "unknown"};
  CHECK(nic::check_link(virt).outcome == Outcome::pass);
  CHECK(nic::link_mode_speed("25000baseSR/Full") == 25000);
  CHECK_FALSE(nic::link_mode_speed("Autoneg").has_value());
  CHECK(nic::fastest_link_mode({{"props", {{"supported_link_modes", {"10baseT/Full", "1000baseT/Full", "100baseT/Full"}}}}}) == 1000);

  nic::EthtoolFacts f;
  f.driver = "e1000e";
  f.bus_info = "0000:09:00.0";
  f.features_total = 40;
  f.rx_queues = 1;
  f.tx_queues = 1;
  CHECK(nic::check_ethtool(f, "e1000e", "0000:09:00.0").outcome == Outcome::pass);
  CHECK(nic::check_ethtool(f, "igb", "0000:09:00.0").outcome == Outcome::fail);
  CHECK(nic::check_ethtool(f, "e1000e", "0000:0a:00.0").outcome == Outcome::fail);
  auto noq = f;
  noq.tx_queues = 0;
  CHECK(nic::check_ethtool(noq, "e1000e", "").outcome == Outcome::fail);

  CHECK(nic::check_mtu({1500, 9000, "", "", 9000, 1500}).outcome == Outcome::pass);
  CHECK(nic::check_mtu({1500, 9000, "Invalid argument", "", 1500, 1500}).reason == "MTU 9000 refused: Invalid argument");
  CHECK(nic::check_mtu({1500, 9000, "", "", 9000, 9000}).outcome == Outcome::fail);

  CHECK(nic::check_sriov({0, 0, "", "", 0, 0}).outcome == Outcome::skip);
  CHECK(nic::check_sriov({64, 2, "", "", 2, 0}).outcome == Outcome::pass);
  CHECK(nic::check_sriov({64, 2, "", "", 1, 0}).outcome == Outcome::fail);
  CHECK(nic::check_sriov({64, 2, "", "", 2, 1}).outcome == Outcome::fail);
}

TEST_CASE("nic: throughput against the link speed and UDP loss") {
  auto m = [](const char* proto, const char* dir, double mbps, double loss) {
    peer::Measurement x;
    x.proto = proto;
    x.direction = dir;
    x.mbps = mbps;
    x.loss_percent = loss;
    x.datagrams_sent = 1000;
    return x;
  };
  std::vector<peer::Measurement> good{m("tcp", "to-peer", 940, 0), m("tcp", "from-peer", 930, 0), m("udp", "to-peer", 100, 0),
                                      m("udp", "from-peer", 100, 0.5)};
  CHECK(nic::check_throughput(good, 1000, 40, 10, 1).outcome == Outcome::pass);
  auto slow = good;
  slow[1].mbps = 90;
  CHECK(nic::check_throughput(slow, 1000, 40, 10, 1).reason.find("tcp from-peer: 90 Mb/s below 400 Mb/s") != std::string::npos);
  auto lossy = good;
  lossy[2].loss_percent = 7;
  CHECK(nic::check_throughput(lossy, 1000, 40, 10, 1).outcome == Outcome::fail);
  auto missing = good;
  missing.pop_back();
  CHECK(nic::check_throughput(missing, 1000, 40, 10, 1).reason == "udp from-peer: not measured");
  CHECK(nic::check_throughput(slow, std::nullopt, 40, 10, 1).outcome == Outcome::pass);
}

TEST_CASE("peer: TCP and UDP both ways over loopback; missing and wrong peers are errors") {
  test::LoopbackPeer server;
  int port = server.port();
  REQUIRE(port > 0);
  CHECK(peer::hello("127.0.0.1", port, 2).ok());
  for (const char* proto : {"tcp", "udp"})
    for (bool from : {false, true}) {
      peer::MeasureOptions o;
      o.host = "127.0.0.1";
      o.port = port;
      o.proto = proto;
      o.from_peer = from;
      o.streams = 2;
      o.seconds = 0.5;
      o.udp_mbps = 20;
      if (::geteuid() == 0) o.bind_device = "lo";  // SO_BINDTODEVICE, as nic.throughput does
      auto r = peer::measure(o);
      REQUIRE_MESSAGE(r.ok(), proto << (from ? " from" : " to") << ": " << (r.ok() ? "" : r.message()));
      CHECK(r->bytes > 0);
      CHECK(r->mbps > 0);
      CHECK(r->local_address == "127.0.0.1");
      if (std::string(proto) == "udp") {
        CHECK(r->datagrams_sent > 0);
        CHECK(r->loss_percent < 50);
      }
    }
  if (::geteuid() == 0) {
    auto nodev = peer::hello("127.0.0.1", port, 2, "no-such-if0");
    CHECK_FALSE(nodev.ok());
  }
  server.stop();

  // Nobody listening: an error, quickly.
  auto none = peer::hello("127.0.0.1", port, 1);
  CHECK_FALSE(none.ok());
  // Something else listening (not a certify peer): an error, never a measurement.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(s, 4) == 0);
  socklen_t al = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &al);
  std::thread http([&] {
    int c = ::accept(s, nullptr, nullptr);
    if (c >= 0) {
      const char resp[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
      (void)::write(c, resp, sizeof resp - 1);
      ::close(c);
    }
  });
  peer::MeasureOptions o;
  o.host = "127.0.0.1";
  o.port = ntohs(a.sin_port);
  o.timeout_s = 2;
  auto wrong = peer::measure(o);
  http.join();
  ::close(s);
  CHECK_FALSE(wrong.ok());
}

TEST_CASE("nic.peer-netns: the peer test between two network namespaces (root only)") {
  if (::geteuid() != 0) {
    MESSAGE("not root: network namespaces cannot be created here");
    return;
  }
  test::TempDir wd;
  auto r = test::run_command({test::build_path("cli/certify").string(), "builtin", "nic.peer-netns"},
                             {"CERTIFY_WORKDIR=" + wd.path().string(), "CERTIFY_PARAM_SECONDS=1", "CERTIFY_PARAM_STREAMS=2",
                              "CERTIFY_PARAM_UDP_MBPS=20", "CERTIFY_PARAM_MIN_MBPS=5", "CERTIFY_PARAM_MAX_LOSS_PERCENT=5"});
  auto res = nlohmann::json::parse(read_file(wd / "result.json").value());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(res["status"] == "pass");
  CHECK(res["metrics"]["tcp_tx_mbps"].get<double>() > 5);
  CHECK(res["metrics"]["udp_rx_loss_percent"].get<double>() <= 5);
}

// --- nvme ----------------------------------------------------------------------

TEST_CASE("nvme: SMART log with a critical warning, spare, wear and media errors fail") {
  std::vector<std::uint8_t> page(512, 0);
  page[1] = 0x2c;  // 300 K
  page[2] = 0x01;
  page[3] = 100;
  page[4] = 10;
  page[5] = 3;
  auto ok = nvme::parse_smart_log(page);
  REQUIRE(ok.ok());
  auto r = nvme::check_smart(*ok);
  CHECK(r.outcome == Outcome::pass);
  CHECK(r.metrics["temperature_c"] == 27);
  page[0] = 0x04;  // reliability degraded
  auto crit = nvme::check_smart(*nvme::parse_smart_log(page));
  CHECK(crit.outcome == Outcome::fail);
  CHECK(crit.reason == "critical warning: NVM subsystem reliability degraded");
  page[0] = 0;
  page[3] = 5;  // spare below threshold 10
  CHECK(nvme::check_smart(*nvme::parse_smart_log(page)).reason.find("available spare 5%") != std::string::npos);
  page[3] = 100;
  page[5] = 100;
  CHECK(nvme::check_smart(*nvme::parse_smart_log(page)).reason.find("endurance") != std::string::npos);
  page[5] = 3;
  page[160] = 2;
  CHECK(nvme::check_smart(*nvme::parse_smart_log(page)).reason == "2 media and data integrity error(s)");
  CHECK_FALSE(nvme::parse_smart_log(std::vector<std::uint8_t>(100)).ok());
}

TEST_CASE("nvme: firmware slot log and Identify criteria") {
  std::vector<std::uint8_t> page(512, 0);
  page[0] = 0x01;
  std::memcpy(&page[8], "7.2.22  ", 8);
  auto f = nvme::parse_fw_log(page);
  REQUIRE(f.ok());
  CHECK(f->revisions[0] == "7.2.22");
  CHECK(nvme::check_fw_log(*f, "7.2.22").outcome == Outcome::pass);
  CHECK(nvme::check_fw_log(*f, "8.0.0").outcome == Outcome::fail);
  page[0] = 0x02;  // active slot 2 is empty
  CHECK(nvme::check_fw_log(*nvme::parse_fw_log(page), "").reason == "active firmware slot 2 holds no revision");
  page[0] = 0;
  CHECK(nvme::check_fw_log(*nvme::parse_fw_log(page), "").outcome == Outcome::fail);

  std::vector<std::uint8_t> ns(4096, 0);
  ns[0] = 0x00;
  ns[1] = 0x00;
  ns[2] = 0x08;  // 0x80000 blocks
  ns[25] = 1;    // two LBA formats
  ns[26] = 1;    // formatted with format 1
  ns[128 + 4 + 2] = 12;  // 4096-byte LBAs
  auto n = nvme::parse_identify_ns(1, ns);
  REQUIRE(n.ok());
  CHECK(n->size_blocks == 0x80000);
  CHECK(n->lba_shift == 12);
  ns[26] = 5;
  CHECK_FALSE(nvme::parse_identify_ns(1, ns).ok());

  nvme::IdentifyFacts id;
  id.controller = {{"serial", "NVME-LAB-0001"}, {"model", "QEMU NVMe Ctrl"}, {"firmware", "7.2.22"}, {"vid", "0x1b36"}, {"namespaces", 256}};
  id.sysfs_serial = "NVME-LAB-0001";
  id.sysfs_model = "QEMU NVMe Ctrl";
  id.pci_vendor = "0x1b36";
  id.active_nsids = {1};
  id.sysfs_namespaces = 1;
  id.namespaces = {{1, 524288, 9}};
  CHECK(nvme::check_identify(id).outcome == Outcome::pass);
  auto other = id;
  other.sysfs_serial = "SOMETHING-ELSE";
  CHECK(nvme::check_identify(other).outcome == Outcome::fail);
  auto lost = id;
  lost.sysfs_namespaces = 2;
  CHECK(nvme::check_identify(lost).reason == "1 active namespace(s) but the kernel shows 2");
  auto empty = id;
  empty.namespaces[0].size_blocks = 0;
  CHECK(nvme::check_identify(empty).outcome == Outcome::fail);
}

TEST_CASE("nvme: fio sweep parsing and scaling") {
  auto p1 = nvme::parse_fio_json(1, R"(note: both iodepth >= 1 and synchronous I/O engine
{"jobs":[{"error":0,"read":{"iops":1000.5}}]})");
  REQUIRE(p1.ok());
  CHECK(p1->iops == 1000.5);
  CHECK_FALSE(nvme::parse_fio_json(1, "fio: failed").ok());
  CHECK_FALSE(nvme::parse_fio_json(1, R"({"jobs":[]})").ok());
  // Found by the suites fuzzer: odd types are errors, not exceptions.
  CHECK(nvme::parse_fio_json(1, R"({"jobs":[{"error":{"iops":100}}]})").message() == "fio JSON has a job whose error is not a number");
  CHECK_FALSE(nvme::parse_fio_json(1, R"({"jobs":[7]})").ok());
  auto odd = nvme::parse_fio_json(1, R"({"jobs":[{"read":{"iops":"many"},"error":0}]})");
  REQUIRE(odd.ok());
  CHECK(odd->iops == 0);
  CHECK(nvme::check_sweep({{1, 1000, 0}, {32, 9000, 0}}).outcome == Outcome::pass);
  CHECK(nvme::check_sweep({{1, 1000, 0}, {32, 500, 0}}).outcome == Outcome::fail);
  CHECK(nvme::check_sweep({{1, 1000, 3}}).outcome == Outcome::fail);
  CHECK(nvme::check_sweep({}).outcome == Outcome::fail);
}

// --- block devices ---------------------------------------------------------------

TEST_CASE("block: the disk holding /, mounted, swap or held devices are never written") {
  BlockUse u;
  u.name = "nvme0n1";
  u.devnums = {"259:0", "259:1", "259:2"};
  u.part_names = {"nvme0n1p1", "nvme0n1p2"};
  const std::string root_on_it = "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
                                 "23 22 0:21 / /proc rw - proc proc rw\n";
  CHECK(write_refusal(u, root_on_it, "") == "/dev/nvme0n1 holds the root file system");
  const std::string elsewhere = "22 1 8:2 / / rw - ext4 /dev/sda2 rw\n40 22 259:1 / /data rw - xfs /dev/nvme0n1p1 rw\n";
  CHECK(write_refusal(u, elsewhere, "") == "/dev/nvme0n1 has a file system mounted at /data");
  const std::string btrfs = "22 1 0:33 / / rw - btrfs /dev/nvme0n1p2 rw\n";  // anonymous dev number: the source names it
  CHECK(write_refusal(u, btrfs, "") == "/dev/nvme0n1 holds the root file system");
  const std::string other = "22 1 8:2 / / rw - ext4 /dev/sda2 rw\n";
  CHECK(write_refusal(u, other, "Filename Type Size Used Priority\n/dev/nvme0n1p1 partition 1000 0 -2\n") ==
        "/dev/nvme0n1p1 is in use as swap");
  auto held = u;
  held.holders = {"dm-0"};
  CHECK(write_refusal(held, other, "").find("held by dm-0") != std::string::npos);
  CHECK(write_refusal(u, other, "Filename Type Size Used Priority\n").empty());

  // The lab guest's recorded sysfs: nvme1n1 has no partitions or holders.
  auto lab = read_block_use(probe::Sysroot(fixture("lab-q35")), "nvme1n1");
  if (lab) {
    CHECK(lab->name == "nvme1n1");
    CHECK(lab->devnums.size() == 1);
  }
}

TEST_CASE("block: IO regions cover start and end, aligned, without overlap; IO reports") {
  IoPlan p;
  p.device_bytes = 256ULL << 20;
  p.total_bytes = 64 << 20;
  p.regions = 4;
  auto rs = plan_regions(p);
  REQUIRE(rs.size() == 4);
  CHECK(rs.front().offset == 0);
  CHECK(rs.back().offset + rs.back().bytes == p.device_bytes);
  for (std::size_t i = 0; i < rs.size(); ++i) {
    CHECK(rs[i].offset % 4096 == 0);
    CHECK(rs[i].bytes == 16 << 20);
    if (i) CHECK(rs[i].offset >= rs[i - 1].offset + rs[i - 1].bytes);
  }
  p.device_bytes = 8192;
  CHECK_FALSE(plan_regions(p).empty());
  p.device_bytes = 100;
  CHECK(plan_regions(p).empty());
  IoReport bad{4096, 0.1, "read at offset 0: Input/output error", 0, ""};
  CHECK(check_io_report(bad, "/dev/sdb").reason == "/dev/sdb: read at offset 0: Input/output error");
  IoReport mism{4096, 0.1, "", 2, "offset 0: expected sha256 aa, read bb"};
  CHECK(check_io_report(mism, "/dev/sdb").outcome == Outcome::fail);
  IoReport fine{4096, 0.1, "", 0, ""};
  CHECK(check_io_report(fine, "/dev/sdb").outcome == Outcome::pass);
}

TEST_CASE("block: write and read verify on a regular file standing in for a disk") {
  test::TempDir d;
  auto f = d / "disk.img";
  {
    std::ofstream o(f, std::ios::binary);
    std::string zeros(1 << 20, '\0');
    for (int i = 0; i < 8; ++i) o << zeros;
  }
  IoPlan p;
  p.device_bytes = 8 << 20;
  p.total_bytes = 4 << 20;
  p.regions = 3;
  auto w = write_verify(f.string(), p);
  if (w.error.find("Invalid argument") != std::string::npos) {
    MESSAGE("the temporary file system does not support O_DIRECT: " << w.error);
    return;
  }
  CHECK(check_io_report(w, "img").outcome == Outcome::pass);
  CHECK(w.bytes > 0);
  CHECK(check_io_report(read_verify(f.string(), p), "img").outcome == Outcome::pass);
  CHECK(check_io_report(read_verify((d / "missing.img").string(), p), "img").outcome == Outcome::fail);
}

// --- hba, fc, gpu, dpu ----------------------------------------------------------

TEST_CASE("hba: hosts and disks of the lab guest's MegaRAID; gone disks and stopped hosts fail") {
  nlohmann::json mr = {{"id", "pci:0000:05:00.0"}, {"props", {{"scsi_hosts", {"host0"}}, {"disks", {"block:sdb"}}}}};
  auto hosts = run_in_sysroot(hba_hosts, fixture("lab-q35"), mr);
  CHECK_MESSAGE(hosts.outcome == Outcome::pass, hosts.reason);
  auto disks = run_in_sysroot(hba_disks, fixture("lab-q35"), mr);
  CHECK_MESSAGE(disks.outcome == Outcome::pass, disks.reason);
  CHECK(disks.metrics["disks"] == 1);
  nlohmann::json lost = {{"id", "pci:0000:05:00.0"}, {"props", {{"scsi_hosts", {"host0", "host42"}}, {"disks", {"block:sdb", "block:sdz"}}}}};
  CHECK(run_in_sysroot(hba_hosts, fixture("lab-q35"), lost).reason == "host42 has disappeared");
  CHECK(run_in_sysroot(hba_disks, fixture("lab-q35"), lost).reason == "sdz was in the inventory but is gone");
  nlohmann::json ahci = {{"id", "pci:0000:00:1f.2"}, {"props", {{"scsi_hosts", {"host4"}}, {"disks", nlohmann::json::array()}}}};
  CHECK(run_in_sysroot(hba_disks, fixture("lab-q35"), ahci).outcome == Outcome::skip);

  CHECK(hba::check_hosts(false, "", {}).outcome == Outcome::fail);
  CHECK(hba::check_hosts(true, "mpt3sas", {{"host1", true, "blocked"}}).reason == "host1 is in state blocked");
  CHECK(hba::check_disks({"sdb"}, {{"sdb", 0, "running"}}).reason.find("size 0") != std::string::npos);
  CHECK(hba::check_disks({"sdb"}, {{"sdb", 1 << 20, "offline"}}).reason == "sdb is in state offline");
  CHECK(hba::check_rescan({"sda", "sdb"}, {"sda"}, "").reason == "sdb did not come back after the rescan");
  CHECK(hba::check_rescan({"sda"}, {"sda"}, "").outcome == Outcome::pass);
  CHECK(hba::check_rescan({"sda"}, {"sda"}, "Permission denied").outcome == Outcome::fail);
}

TEST_CASE("fc: an online port passes, a port with link down fails") {
  auto up = run_in_sysroot(fc_port, fixture("hw-fc-hba"), {{"props", {{"scsi_host", "host7"}}}});
  CHECK_MESSAGE(up.outcome == Outcome::pass, up.reason);
  auto down = run_in_sysroot(fc_port, fixture("hw-fc-hba"), {{"props", {{"scsi_host", "host8"}}}});
  CHECK(down.outcome == Outcome::fail);
  CHECK(down.reason == "host8: port state Linkdown, not Online");
  CHECK(hba::check_fc_port({"host9", "Online", "4 Gbit", "8 Gbit, 16 Gbit"}).outcome == Outcome::fail);
  auto slow = hba::check_fc_port({"host9", "Online", "8 Gbit", "8 Gbit, 16 Gbit, 32 Gbit"});
  CHECK(slow.outcome == Outcome::pass);
  CHECK(slow.messages.size() == 1);
}

TEST_CASE("gpu: DRM nodes and display modes") {
  CHECK(gpu::check_drm_nodes({{"/dev/dri/card0", "bochs-drm", ""}}, "bochs-drm", false).outcome == Outcome::pass);
  CHECK(gpu::check_drm_nodes({{"/dev/dri/card1", "virtio_gpu", ""}, {"/dev/dri/renderD128", "virtio_gpu", ""}}, "virtio_gpu", false).outcome ==
        Outcome::pass);
  CHECK(gpu::check_drm_nodes({{"/dev/dri/card0", "", "open: No such device"}}, "amdgpu", false).outcome == Outcome::fail);
  CHECK(gpu::check_drm_nodes({{"/dev/dri/card0", "nouveau", ""}}, "nvidia", false).outcome == Outcome::fail);
  CHECK(gpu::check_drm_nodes({}, "nvidia", false).outcome == Outcome::fail);
  CHECK(gpu::check_drm_nodes({}, "habanalabs", true).outcome == Outcome::skip);
  CHECK(gpu::check_modes({{"Virtual-1", true, 30}}, "").outcome == Outcome::pass);
  CHECK(gpu::check_modes({{"HDMI-A-1", true, 0}}, "").reason == "HDMI-A-1 is connected but lists no modes");
  CHECK(gpu::check_modes({{"DP-1", false, 0}}, "").outcome == Outcome::skip);
  CHECK(gpu::check_modes({}, "").outcome == Outcome::skip);
  CHECK(gpu::check_modes({}, "open /dev/dri/card0: Permission denied").outcome == Outcome::fail);
}

TEST_CASE("dpu: functions of a BlueField-2 from the recorded fixture") {
  nlohmann::json bf = {{"id", "dpu:0000:03:00"},
                       {"props", {{"functions", {"pci:0000:03:00.0", "pci:0000:03:00.1", "pci:0000:03:00.2"}}}}};
  auto r = run_in_sysroot(dpu_functions_test, fixture("hw-dpu-bluefield2"), bf);
  CHECK_MESSAGE(r.outcome == Outcome::pass, r.reason);
  bf["props"]["functions"].push_back("pci:0000:03:00.7");
  CHECK(run_in_sysroot(dpu_functions_test, fixture("hw-dpu-bluefield2"), bf).reason == "pci:0000:03:00.7 has disappeared");
  CHECK(dpu::check_functions({}).outcome == Outcome::fail);
  CHECK(r.messages.front() == "pci:0000:03:00.2 (class 0x080600, management) has no host driver");
  CHECK(dpu::check_functions({{"pci:0000:03:00.0", true, "0x020000", "mlx5_core", {}, ""}}).reason == "no function of the DPU has a network port");
  CHECK(dpu::check_functions({{"pci:0000:03:00.0", true, "0x020000", "", {"p0"}, ""}}).reason ==
        "pci:0000:03:00.0 (network function) is not bound to a driver");
  CHECK(dpu::check_firmware({{"pci:0000:03:00.0", true, "0x020000", "mlx5_core", {"p0"}, "24.35.2000 (MT_0000000561)"}}).outcome == Outcome::pass);
  CHECK(dpu::check_firmware({{"pci:0000:03:00.0", true, "0x020000", "mlx5_core", {"p0"}, ""}}).outcome == Outcome::fail);
}

// --- system ----------------------------------------------------------------------

TEST_CASE("system: kernel log, kdump, secure boot, IOMMU criteria") {
  auto log = kmsg_fixture("kmsg-hardware-error.txt");
  auto bad = system::check_kernel_log(scan_kernel_log(log), log.size());
  CHECK(bad.outcome == Outcome::fail);
  CHECK(bad.reason.rfind("mce: ", 0) == 0);
  auto clean = kmsg_fixture("kmsg-clean.txt");
  CHECK(system::check_kernel_log(scan_kernel_log(clean), clean.size()).outcome == Outcome::pass);
  CHECK(system::check_kernel_log({}, 0).outcome == Outcome::fail);

  CHECK(system::check_kdump(std::nullopt, std::nullopt).outcome == Outcome::fail);
  CHECK(system::check_kdump(0, 0).reason.find("crashkernel=") != std::string::npos);
  CHECK(system::check_kdump(256 << 20, 0).reason.find("no crash kernel is loaded") != std::string::npos);
  CHECK(system::check_kdump(256 << 20, 1).outcome == Outcome::pass);
  CHECK(run_in_sysroot(system_kdump, fixture("lab-q35")).outcome == Outcome::fail);

  std::vector<std::uint8_t> on{0x06, 0, 0, 0, 1}, off{0x06, 0, 0, 0, 0};
  CHECK(system::parse_efivar_bool(on) == true);
  CHECK(system::parse_efivar_bool(off) == false);
  CHECK_FALSE(system::parse_efivar_bool(std::vector<std::uint8_t>{1, 2}).has_value());
  CHECK(system::check_secure_boot(false, std::nullopt, std::nullopt, true).outcome == Outcome::skip);
  CHECK(system::check_secure_boot(true, false, false, false).outcome == Outcome::pass);
  CHECK(system::check_secure_boot(true, false, false, true).outcome == Outcome::fail);
  CHECK(system::check_secure_boot(true, std::nullopt, std::nullopt, false).outcome == Outcome::fail);
  CHECK(run_in_sysroot(system_secure_boot, fixture("lab-q35")).outcome == Outcome::skip);

  system::IommuFacts none;
  CHECK(system::check_iommu(none).outcome == Outcome::skip);
  none.firmware_table = "DMAR";
  CHECK(system::check_iommu(none).reason.find("did not enable it") != std::string::npos);
  system::IommuFacts ok{"DMAR", {"dmar0"}, {{"0", {"0000:00:00.0"}}, {"1", {"0000:01:00.0", "0000:01:00.1"}}}, {}};
  CHECK(system::check_iommu(ok).outcome == Outcome::pass);
  auto odd = ok;
  odd.groups["2"] = {};
  odd.inconsistent = {"0000:05:00.0"};
  auto r = system::check_iommu(odd);
  CHECK(r.outcome == Outcome::fail);
  CHECK(r.messages.size() == 1);
  CHECK(run_in_sysroot(system_iommu, fixture("lab-q35")).outcome == Outcome::skip);
}

TEST_CASE("system: PCIe links of a machine with a degraded one") {
  auto r = run_in_sysroot(system_pcie_links, fixture("suites-class/pcie-degraded"));
  CHECK(r.outcome == Outcome::fail);
  CHECK(r.reason.find("0000:3b:00.0") != std::string::npos);
  CHECK(r.metrics["degraded"] == 1);
  auto lab = run_in_sysroot(system_pcie_links, fixture("lab-q35"));
  CHECK_MESSAGE(lab.outcome == Outcome::pass, lab.reason);
}

TEST_CASE("system: watchdog, clock, perf, ACPI, USB and KVM criteria") {
  system::WatchdogFacts w;
  CHECK(system::check_watchdog(w).outcome == Outcome::skip);
  w.device = "/dev/watchdog0";
  w.nowayout = true;
  CHECK(system::check_watchdog(w).outcome == Outcome::skip);
  w.nowayout = false;
  w.magic_close = true;
  w.pets = 3;
  CHECK(system::check_watchdog(w).outcome == Outcome::pass);
  w.pets = 1;
  CHECK(system::check_watchdog(w).outcome == Outcome::fail);
  w.pets = 3;
  w.magic_close = false;
  CHECK(system::check_watchdog(w).outcome == Outcome::fail);

  system::ClockFacts c;
  c.samples = 1000;
  c.clocksource = "tsc";
  c.available = {"tsc", "hpet", "acpi_pm"};
  c.rtc_offset_s = 0.4;
  CHECK(system::check_clock(c, 300).outcome == Outcome::pass);
  auto back = c;
  back.backwards = 2;
  back.worst_step_ns = -1500;
  CHECK(system::check_clock(back, 300).reason == "CLOCK_MONOTONIC went backwards 2 time(s), by up to 1500 ns");
  auto unstable = c;
  unstable.unstable_log = {"clocksource: Marking clocksource 'tsc' as unstable because the skew is too large"};
  CHECK(system::check_clock(unstable, 300).outcome == Outcome::fail);
  auto drift = c;
  drift.rtc_offset_s = -3600;
  CHECK(system::check_clock(drift, 300).outcome == Outcome::fail);
  auto odd = c;
  odd.clocksource = "jiffies";
  CHECK(system::check_clock(odd, 300).outcome == Outcome::fail);

  system::PerfFacts p;
  p.task_clock_ns = 1000;
  p.instructions = 5000;
  p.cycles = 2500;
  CHECK(system::check_perf(p).outcome == Outcome::pass);
  auto vm = p;
  vm.hardware_absent = true;
  CHECK(system::check_perf(vm).outcome == Outcome::skip);
  auto zero = p;
  zero.instructions = 0;
  CHECK(system::check_perf(zero).outcome == Outcome::fail);
  auto nosw = p;
  nosw.software_error = "Operation not permitted";
  CHECK(system::check_perf(nosw).outcome == Outcome::fail);

  std::vector<std::uint8_t> t(40, 0);
  std::memcpy(t.data(), "APIC", 4);
  t[4] = 40;
  unsigned sum = 0;
  for (auto b : t) sum += b;
  t[9] = static_cast<std::uint8_t>(256 - sum % 256);
  CHECK(system::acpi_table_problem("APIC", t).empty());
  auto badsum = t;
  badsum[20] ^= 1;
  CHECK(system::acpi_table_problem("APIC", badsum) == "APIC: checksum does not sum to zero");
  CHECK(system::acpi_table_problem("SSDT2", t).find("does not match") != std::string::npos);
  auto shortlen = t;
  shortlen[4] = 60;
  CHECK(system::acpi_table_problem("APIC", shortlen).find("header length 60") != std::string::npos);
  CHECK_FALSE(system::acpi_table_problem("APIC", std::vector<std::uint8_t>(10)).empty());

  std::vector<std::uint8_t> desc(18, 0);
  desc[0] = 18;
  desc[1] = 1;
  desc[8] = 0x27;
  desc[9] = 0x06;
  CHECK(system::check_usb({{"1-1", desc, "0627", 1, 1}}, 1, 1).outcome == Outcome::pass);
  CHECK(system::check_usb({{"1-1", desc, "0627", 1, 0}}, 1, 1).reason == "1-1: no interface has a driver");
  CHECK(system::check_usb({{"1-1", {}, "0627", 1, 1}}, 1, 1).outcome == Outcome::fail);
  CHECK(system::check_usb({{"1-1", desc, "46f4", 1, 1}}, 1, 1).outcome == Outcome::fail);
  CHECK(system::check_usb({}, 1, 0).outcome == Outcome::fail);
  CHECK(system::check_usb({}, 0, 0).outcome == Outcome::skip);

  system::KvmFacts k;
  k.exit_reason = 2;  // KVM_EXIT_IO
  k.io_port = 0x3f8;
  k.io_value = 0x42;
  CHECK(system::check_kvm(k, 0x3f8, 0x42).outcome == Outcome::pass);
  k.exit_reason = 5;  // KVM_EXIT_HLT before the write
  CHECK(system::check_kvm(k, 0x3f8, 0x42).outcome == Outcome::fail);
  CHECK(system::check_kvm({"KVM_CREATE_VM: Cannot allocate memory", -1, 0, 0}, 0x3f8, 0x42).outcome == Outcome::fail);
}

TEST_CASE("every shipped suite parses and names only registered built-ins") {
  auto bin = test::build_path("cli/certify").string();
  test::TempDir d;
  auto r = test::run_command({bin, "plan", "--suites", test::source_path("testsuites").string(), "--sysroot",
                              fixture("lab-q35").string(), "--inventory", fixture("suites/inventory.json").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}
