// Suites (issue 6): RDMA ports. Port state over the hand-made ConnectX-6
// sysroot and over Soft-RoCE recorded in the lab guest (rxe0 over its e1000e
// port: tests/fixtures/lab-rxe), perftest reports as ib_write_bw/ib_send_bw
// printed them on rxe0 and the bandwidth criterion, the plan choosing RDMA
// tests only for RDMA ports, and the certify peer's "rdma" operation end to
// end over loopback with a stand-in perftest (a script that speaks TCP like
// perftest's out-of-band exchange and prints its report).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/files.hpp"
#include "probe/probe.hpp"
#include "testsuites/nic/peer.hpp"
#include "testsuites/rdma/rdma.hpp"
#include "tests/testpeer.hpp"
#include "tests/testutil.hpp"

using namespace certify;
using namespace certify::suites;
using certify::test::fixture;

namespace certify::suites {
TestResult rdma_port(TestContext& ctx);
TestResult rdma_bandwidth(TestContext& ctx);
}  // namespace certify::suites

namespace {

TestResult run_on(BuiltinFn fn, const std::filesystem::path& sysroot, nlohmann::json device, std::map<std::string, std::string> params = {}) {
  TestContext ctx;
  ctx.sysroot = sysroot;
  ctx.device = std::move(device);
  ctx.params = std::move(params);
  std::ostringstream log;
  ctx.log = &log;
  return fn(ctx);
}

const nlohmann::json k_mlx5_port = {{"id", "ib:mlx5_0:1"}, {"parent", "pci:0000:af:00.0"}, {"props", {{"hca", "mlx5_0"}, {"port", 1}}}};

// perftest 4.5's reports (--report_gbits) as the lab guest printed them on
// rxe0, client and server on the guest's own address.
std::string perftest_report(const std::string& name) {
  auto t = read_file(fixture("suites-class/perftest") / name);
  REQUIRE_MESSAGE(t.ok(), name);
  return *t;
}

}  // namespace

TEST_CASE("rdma: port state and rate from the recorded ConnectX-6 sysroot; a port without a subnet manager fails") {
  auto ok = run_on(rdma_port, fixture("hw-infiniband"), k_mlx5_port);
  CHECK_MESSAGE(ok.outcome == Outcome::pass, ok.reason);
  CHECK(ok.metrics["rate_gbps"] == 200.0);
  test::TempDir d;
  std::filesystem::copy(fixture("hw-infiniband"), d.path(), std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  auto state = d / "sys/devices/pci0000:ae/0000:ae:00.0/0000:af:00.0/infiniband/mlx5_0/ports/1/state";
  REQUIRE(std::filesystem::exists(state));
  std::ofstream(state) << "2: INIT\n";
  auto init = run_on(rdma_port, d.path(), k_mlx5_port, {{"wait_s", "0"}});
  CHECK(init.outcome == Outcome::fail);
  CHECK(init.reason == "mlx5_0 port 1 is INIT, not ACTIVE (no subnet manager has configured it)");
  auto gone = run_on(rdma_port, d.path(), {{"props", {{"hca", "mlx5_9"}, {"port", 1}}}}, {{"wait_s", "5"}});
  CHECK(gone.reason == "mlx5_9 is gone from /sys/class/infiniband");
  // An odd inventory entry is an error naming the field, never an exception.
  for (BuiltinFn fn : {rdma_port, rdma_bandwidth}) {
    auto none = run_on(fn, d.path(), {{"props", "junk"}});
    CHECK(none.outcome == Outcome::error);
    CHECK(none.reason == "the device has no RDMA device name (props.hca)");
    CHECK(run_on(fn, d.path(), {{"props", {{"hca", 5}}}}).reason == "the device has no RDMA device name (props.hca)");
    CHECK(run_on(fn, d.path(), {{"props", {{"hca", "../../etc"}}}}).reason == "props.hca '../../etc' is not an RDMA device name");
    CHECK(run_on(fn, d.path(), {{"props", {{"hca", "mlx5_0"}, {"port", "1"}}}}).reason == "props.port \"1\" is not a port number (1-255)");
    CHECK(run_on(fn, d.path(), {{"props", {{"hca", "mlx5_0"}, {"port", 0}}}}).reason == "props.port 0 is not a port number (1-255)");
  }

  rdma::PortFacts roce{"rxe0", 1, "ACTIVE", "LinkUp", "Ethernet", "1 Gb/sec (1X SDR)", "eth0", "fe80::"};
  CHECK(rdma::check_port(roce).outcome == Outcome::pass);
  roce.netdev.clear();
  CHECK(rdma::check_port(roce).reason == "rxe0 port 1 is RoCE but names no network interface (gid_attrs/ndevs/0)");
  rdma::PortFacts down{"mlx5_1", 2, "DOWN", "Polling", "InfiniBand", "10 Gb/sec (4X SDR)", "", ""};
  auto r = rdma::check_port(down);
  CHECK(r.reason == "mlx5_1 port 2 is DOWN, not ACTIVE");
  REQUIRE(r.messages.size() >= 1);
  CHECK(r.messages[0] == "mlx5_1 port 2: physical state Polling, not LinkUp");

  CHECK(rdma::parse_rate_gbps("200 Gb/sec (4X HDR)") == 200.0);
  CHECK(rdma::parse_rate_gbps("2.5 Gb/sec (1X SDR)") == 2.5);
  CHECK_FALSE(rdma::parse_rate_gbps("").has_value());
  CHECK_FALSE(rdma::parse_rate_gbps("0 Gb/sec").has_value());
  CHECK_FALSE(rdma::parse_rate_gbps("fast Gb/sec").has_value());
  CHECK_FALSE(rdma::parse_rate_gbps("100 Mb/sec").has_value());
}

TEST_CASE("rdma: Soft-RoCE recorded in the lab guest: the probe's port, rdma.port, a software device") {
  // rdma_rxe over the guest's e1000e (eth1, 10.0.2.15), recorded with
  // certify probe --record after `rdma link add rxe0 type rxe netdev eth1`.
  probe::ProbeOptions o;
  o.live_queries = false;
  auto inv = probe::probe_all(probe::Sysroot(fixture("lab-rxe")), o);
  REQUIRE(inv.ok());
  const auto* port = inv->find("ib:rxe0:1");
  REQUIRE(port != nullptr);
  CHECK(port->cls == "nic");
  CHECK(port->bus == "infiniband");
  CHECK(port->parent.empty());  // no PCI function behind it
  CHECK(port->props["hca"] == "rxe0");
  CHECK(port->props["port"] == 1);
  CHECK(port->props["virtual"] == true);
  CHECK(port->props["state"] == "ACTIVE");
  CHECK(port->props["phys_state"] == "LinkUp");
  CHECK(port->props["link_layer"] == "Ethernet");
  CHECK(port->props["rate"] == "2.5 Gb/sec (1X SDR)");  // rxe's rate follows the netdev's 1000 Mb/s
  CHECK(port->props["gid0"] == "fe80:0000:0000:0000:5054:00ff:fe00:0e01");
  const auto* eth = inv->find("net:eth1");
  REQUIRE(eth != nullptr);
  CHECK(eth->driver == "e1000e");
  CHECK_FALSE(eth->props.contains("rdma_devices"));  // rxe0 hangs off no PCI function
  // The ConnectX-6 port is hardware, rxe0 is not.
  auto mlx5 = probe::probe_all(probe::Sysroot(fixture("hw-infiniband")), o);
  REQUIRE(mlx5.ok());
  REQUIRE(mlx5->find("ib:mlx5_0:1") != nullptr);
  CHECK(mlx5->find("ib:mlx5_0:1")->props["virtual"] == false);
  CHECK(rdma::software_device(probe::Sysroot(fixture("lab-rxe")), "rxe0"));
  CHECK_FALSE(rdma::software_device(probe::Sysroot(fixture("hw-infiniband")), "mlx5_0"));
  CHECK_FALSE(rdma::software_device(probe::Sysroot(fixture("lab-rxe")), "rxe9"));

  // Packet counters: rdma_rxe's hw_counters (recorded before any traffic);
  // the PMA's counters/ first where present; a saturated 32-bit one is no use.
  auto pk = rdma::read_port_packets(probe::Sysroot(fixture("lab-rxe")), "rxe0", 1);
  REQUIRE(pk.has_value());
  CHECK(pk->source == "hw_counters");
  CHECK(pk->tx == 0);
  CHECK(pk->rx == 0);
  CHECK_FALSE(rdma::read_port_packets(probe::Sysroot(fixture("hw-infiniband")), "mlx5_0", 1).has_value());
  CHECK_FALSE(rdma::read_port_packets(probe::Sysroot(fixture("lab-rxe")), "rxe0", 2).has_value());
  {
    test::TempDir c;
    std::filesystem::copy(fixture("lab-rxe"), c.path(), std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
    auto hw = c / "sys/devices/virtual/infiniband/rxe0/ports/1";
    std::ofstream(hw / "hw_counters/sent_pkts") << "68608\n";
    std::ofstream(hw / "hw_counters/rcvd_pkts") << "oops\n";
    CHECK_FALSE(rdma::read_port_packets(probe::Sysroot(c.path()), "rxe0", 1).has_value());
    std::filesystem::create_directories(hw / "counters");
    std::ofstream(hw / "counters/port_xmit_packets") << "123\n";
    std::ofstream(hw / "counters/port_rcv_packets") << "456\n";
    auto pma = rdma::read_port_packets(probe::Sysroot(c.path()), "rxe0", 1);
    REQUIRE(pma.has_value());
    CHECK(pma->source == "counters");
    CHECK(pma->tx == 123);
    CHECK(pma->rx == 456);
    std::ofstream(hw / "counters/port_xmit_packets") << "4294967295\n";
    CHECK_FALSE(rdma::read_port_packets(probe::Sysroot(c.path()), "rxe0", 1).has_value());
  }

  const nlohmann::json dev = {{"id", "ib:rxe0:1"}, {"props", {{"hca", "rxe0"}, {"port", 1}}}};
  auto ok = run_on(rdma_port, fixture("lab-rxe"), dev);
  CHECK_MESSAGE(ok.outcome == Outcome::pass, ok.reason);
  CHECK(ok.metrics["rate_gbps"] == 2.5);
  CHECK(std::find(ok.messages.begin(), ok.messages.end(), "rxe0 port 1 runs over eth1") != ok.messages.end());
  // The netdev lost its carrier: rdma_rxe reports the port DOWN, Disabled.
  test::TempDir d;
  std::filesystem::copy(fixture("lab-rxe"), d.path(), std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  std::ofstream(d / "sys/devices/virtual/infiniband/rxe0/ports/1/state") << "1: DOWN\n";
  std::ofstream(d / "sys/devices/virtual/infiniband/rxe0/ports/1/phys_state") << "3: Disabled\n";
  auto down = run_on(rdma_port, d.path(), dev, {{"wait_s", "0"}});
  CHECK(down.outcome == Outcome::fail);
  CHECK(down.reason == "rxe0 port 1 is DOWN, not ACTIVE");
  REQUIRE_FALSE(down.messages.empty());
  CHECK(down.messages[0] == "rxe0 port 1: physical state Disabled, not LinkUp");
  // A RoCE port whose GID table names no netdev.
  std::filesystem::remove(d / "sys/devices/virtual/infiniband/rxe0/ports/1/gid_attrs/ndevs/0");
  std::ofstream(d / "sys/devices/virtual/infiniband/rxe0/ports/1/state") << "4: ACTIVE\n";
  std::ofstream(d / "sys/devices/virtual/infiniband/rxe0/ports/1/phys_state") << "5: LinkUp\n";
  CHECK(run_on(rdma_port, d.path(), dev, {{"wait_s", "0"}}).reason == "rxe0 port 1 is RoCE but names no network interface (gid_attrs/ndevs/0)");
}

TEST_CASE("rdma: the plan chooses RDMA tests only for RDMA ports") {
  auto bin = test::build_path("cli/certify").string();
  auto ib = test::run_command({bin, "plan", "--suites", test::source_path("testsuites").string(), "--sysroot", fixture("hw-infiniband").string()});
  INFO(ib.err);
  REQUIRE(ib.exit_code == 0);
  CHECK(ib.out.find("+ rdma on ib:mlx5_0:1") != std::string::npos);
  CHECK(ib.out.find("rdma.bandwidth@ib-mlx5_0-1") != std::string::npos);
  CHECK(ib.out.find("- rdma on net:ib0: prop hca is absent") != std::string::npos);
  auto rxe = test::run_command({bin, "plan", "--suites", test::source_path("testsuites").string(), "--sysroot", fixture("lab-rxe").string()});
  INFO(rxe.err);
  REQUIRE(rxe.exit_code == 0);
  CHECK(rxe.out.find("+ rdma on ib:rxe0:1") != std::string::npos);
  CHECK(rxe.out.find("rdma.port@ib-rxe0-1") != std::string::npos);
  CHECK(rxe.out.find("rdma.bandwidth@ib-rxe0-1") != std::string::npos);
  CHECK(rxe.out.find("- rdma on net:eth1: prop hca is absent") != std::string::npos);
  CHECK(rxe.out.find("nic.link@net-eth1") != std::string::npos);
  CHECK(rxe.out.find("nic.link@ib-rxe0-1") == std::string::npos);
  auto lab = test::run_command({bin, "plan", "--suites", test::source_path("testsuites").string(), "--sysroot", fixture("lab-q35").string()});
  REQUIRE(lab.exit_code == 0);
  CHECK(lab.out.find("+ rdma") == std::string::npos);
  CHECK(lab.out.find("rdma.") == std::string::npos);
}

TEST_CASE("rdma: perftest reports and the bandwidth criterion") {
  const auto k_write_bw_report = perftest_report("ib_write_bw-rxe0-client.txt");
  auto rep = rdma::parse_perftest(k_write_bw_report);
  CHECK(rep.errors.empty());
  CHECK(rep.bytes == 65536);
  CHECK(rep.iterations == 1072);
  REQUIRE(rep.bw_avg_gbps.has_value());
  CHECK(*rep.bw_avg_gbps == doctest::Approx(0.28));
  CHECK(*rep.bw_peak_gbps == doctest::Approx(0.0));
  CHECK(*rep.msg_rate_mpps == doctest::Approx(0.000535));
  // ib_send_bw: the client's and the server's report (the server's begins
  // with its "Waiting for client to connect..." banner).
  auto send = rdma::parse_perftest(perftest_report("ib_send_bw-rxe0-client.txt"));
  CHECK(send.errors.empty());
  CHECK(send.iterations == 480);
  CHECK(send.bw_avg_gbps == doctest::Approx(0.12));
  auto served = rdma::parse_perftest(perftest_report("ib_send_bw-rxe0-server.txt"));
  CHECK(served.errors.empty());
  CHECK(served.iterations == 605);
  CHECK(served.bw_avg_gbps == doctest::Approx(0.16));
  auto failed = rdma::parse_perftest(" Couldn't connect to 10.0.2.15:18515\nUnable to open file descriptor for socket connection Unable to init the socket connection\n");
  CHECK(failed.errors.size() == 2);
  CHECK_FALSE(failed.bw_avg_gbps.has_value());
  CHECK_FALSE(rdma::parse_perftest("#bytes BW average\n 65536 x y z w\n").bw_avg_gbps.has_value());

  rdma::BandwidthRun good{"ib_write_bw", 0, k_write_bw_report, "", true, 0, k_write_bw_report, "", {}, {}};
  auto soft = rdma::check_bandwidth({good}, 1.0, true, 50);
  CHECK_MESSAGE(soft.outcome == Outcome::pass, soft.reason);
  CHECK(soft.metrics["ib_write_bw_gbps"] == doctest::Approx(0.28));
  CHECK(soft.metrics["ib_write_bw_mpps"] == doctest::Approx(0.000535));
  // A hardware port at 0.28 of 200 Gb/s fails the share; at 0 % it passes.
  auto hw = rdma::check_bandwidth({good}, 200.0, false, 50);
  CHECK(hw.outcome == Outcome::fail);
  CHECK(hw.reason == "ib_write_bw: 0.28 Gb/s is below 50% of the 200 Gb/s link rate");
  CHECK(rdma::check_bandwidth({good}, 200.0, false, 0).outcome == Outcome::pass);
  // rxe0's own rate (2.5 Gb/s, copied from the e1000e's speed): the share is
  // no criterion for a software device, and would be for hardware.
  auto rxe = rdma::check_bandwidth({good}, 2.5, true, 50);
  CHECK_MESSAGE(rxe.outcome == Outcome::pass, rxe.reason);
  CHECK(std::find(rxe.messages.begin(), rxe.messages.end(), "software RDMA device (rdma_rxe, siw): its rate is its netdev's, no wire rate to compare with") !=
        rxe.messages.end());
  CHECK(rdma::check_bandwidth({good}, 2.5, false, 50).reason == "ib_write_bw: 0.28 Gb/s is below 50% of the 2.5 Gb/s link rate");
  // The port's counters moved: recorded. They did not move by one packet per
  // message perftest counted: its traffic went elsewhere.
  auto counted = good;
  counted.tx_packets = 1072 * 64;
  counted.rx_packets = 1072 * 64 + 1072;
  auto moved = rdma::check_bandwidth({counted}, 2.5, true, 50);
  CHECK_MESSAGE(moved.outcome == Outcome::pass, moved.reason);
  CHECK(moved.metrics["ib_write_bw_port_tx_packets"] == 1072 * 64);
  CHECK(moved.metrics["ib_write_bw_port_rx_packets"] == 1072 * 65);
  counted.tx_packets = 0;
  CHECK(rdma::check_bandwidth({counted}, 2.5, true, 50).reason ==
        "ib_write_bw counted 1072 messages but the port sent 0 packets: the traffic did not go through this port");
  auto client = good;
  client.client_exit = 1;
  client.client_output = " Couldn't connect to 10.0.2.15:18515\n";
  CHECK(rdma::check_bandwidth({client}, 1.0, true, 50).reason == "ib_write_bw exited 1:  Couldn't connect to 10.0.2.15:18515");
  auto server = good;
  server.server_ok = false;
  server.server_exit = 1;
  CHECK(rdma::check_bandwidth({server}, 1.0, true, 50).reason == "ib_write_bw on the peer exited 1");
  auto refused = good;
  refused.client_exit = -1;
  refused.client_output.clear();
  refused.server_error = "the peer refused: ib_send_bw is not installed on the peer (apt-get install perftest)";
  CHECK(rdma::check_bandwidth({refused}, 1.0, true, 50).outcome == Outcome::fail);
  auto zero = good;
  zero.client_output = " #bytes #iterations BW peak[Gb/sec] BW average[Gb/sec] MsgRate[Mpps]\n 65536 0 0.00 0.00 0.000000\n";
  CHECK(rdma::check_bandwidth({zero}, 1.0, true, 50).reason == "ib_write_bw: bandwidth 0 Gb/s");
  CHECK(rdma::check_bandwidth({}, 1.0, true, 50).outcome == Outcome::error);
}

TEST_CASE("rdma: a client whose clock perftest could not calibrate measured nothing: the peer's figure, else an error") {
  // The lab run of CI stop 19: in a busy TCG guest ib_send_bw's client
  // reported 1000 messages at 0.000000 Gb/s while the peer received them at
  // 0.29. perftest fits the cycle counter against gettimeofday and, when the
  // fit is poor, prints "Correlation coefficient r^2: X < 0.9" on stderr and
  // reports every rate as 0 (its get_clock.c). The client's file is that
  // run's report with this line (stderr was not captured then; X here is
  // made up), the server's is that run's.
  const auto client = perftest_report("ib_send_bw-rxe0-uncalibrated-client.txt");
  const auto server = perftest_report("ib_send_bw-rxe0-uncalibrated-server.txt");
  auto rep = rdma::parse_perftest(client);
  REQUIRE(rep.uncalibrated_r2.has_value());
  CHECK(*rep.uncalibrated_r2 == doctest::Approx(0.627349));
  CHECK(rep.errors.empty());
  CHECK(rep.iterations == 1000);
  CHECK(*rep.bw_avg_gbps == 0.0);
  CHECK_FALSE(rdma::parse_perftest(server).uncalibrated_r2.has_value());
  CHECK_FALSE(rdma::parse_perftest(perftest_report("ib_send_bw-rxe0-client.txt")).uncalibrated_r2.has_value());

  // The peer timed the same messages: its figure is used, and said so.
  rdma::BandwidthRun send{"ib_send_bw", 0, client, "", true, 0, server, "", 1000 * 64, 1000 * 2};
  auto t = rdma::check_bandwidth({send}, 2.5, true, 50);
  CHECK_MESSAGE(t.outcome == Outcome::pass, t.reason);
  CHECK(t.metrics["ib_send_bw_gbps"] == doctest::Approx(0.29));
  CHECK(t.metrics["ib_send_bw_mpps"] == doctest::Approx(0.000561));
  auto said = std::find_if(t.messages.begin(), t.messages.end(), [](const std::string& m) {
    return m.find("ib_send_bw could not time its run") == 0 && m.find("r^2 0.627 < 0.9") != std::string::npos &&
           m.find("the peer's report of the same 1000 messages is used") != std::string::npos;
  });
  CHECK_MESSAGE(said != t.messages.end(), (t.messages.empty() ? std::string() : t.messages.front()));
  // The port's counters still judge it: the peer's 1000 messages against what this port sent.
  auto elsewhere = send;
  elsewhere.tx_packets = 10;
  CHECK(rdma::check_bandwidth({elsewhere}, 2.5, true, 50).reason ==
        "ib_send_bw counted 1000 messages but the port sent 10 packets: the traffic did not go through this port");

  // No usable figure from the peer (ib_write_bw's server reports none; a peer
  // that failed; a peer uncalibrated too): nothing was measured, an error,
  // not a failure of the port.
  for (auto peer_output : {std::string("\n* Waiting for client to connect... *\n"), client}) {
    auto none = send;
    none.server_output = peer_output;
    auto e = rdma::check_bandwidth({none}, 2.5, true, 50);
    CHECK(e.outcome == Outcome::error);
    CHECK(e.reason == "ib_send_bw could not time its run: perftest's fit of the CPU cycle counter failed (r^2 0.627 < 0.9: a busy or virtual CPU), "
                      "so every rate it reported is 0");
    CHECK(e.metrics.find("ib_send_bw_gbps") == e.metrics.end());
  }
  auto peer_failed = send;
  peer_failed.server_ok = false;
  peer_failed.server_exit = 1;
  CHECK(rdma::check_bandwidth({peer_failed}, 2.5, true, 50).reason == "ib_send_bw on the peer exited 1");
  // A real failure elsewhere in the test still fails it; the unmeasured run is a message.
  rdma::BandwidthRun zero{"ib_write_bw", 0, " #bytes #iterations BW peak[Gb/sec] BW average[Gb/sec] MsgRate[Mpps]\n 65536 0 0.00 0.00 0.000000\n", "", true, 0, "", "", {}, {}};
  auto none = send;
  none.server_output.clear();
  auto both = rdma::check_bandwidth({zero, none}, 2.5, true, 50);
  CHECK(both.outcome == Outcome::fail);
  CHECK(both.reason == "ib_write_bw: bandwidth 0 Gb/s");
  CHECK(std::find_if(both.messages.begin(), both.messages.end(),
                     [](const std::string& m) { return m.find("ib_send_bw could not time its run") == 0; }) != both.messages.end());
}

TEST_CASE("rdma: perftest command lines — ib_write_bw timed with -D, ib_send_bw and software devices by message count") {
  using V = std::vector<std::string>;
  CHECK(peer::perftest_argv("/usr/bin/ib_write_bw", "rxe0", 1, 18515, 4, -1, "10.0.2.15") ==
        V{"/usr/bin/ib_write_bw", "-d", "rxe0", "-i", "1", "-p", "18515", "-D", "4", "-F", "--report_gbits", "10.0.2.15"});
  CHECK(peer::perftest_argv("ib_write_bw", "mlx5_0", 2, 40000, 10, 3, "") ==
        V{"ib_write_bw", "-d", "mlx5_0", "-i", "2", "-p", "40000", "-D", "10", "-F", "--report_gbits", "-x", "3"});
  CHECK(peer::perftest_argv("/usr/bin/ib_send_bw", "rxe0", 1, 18515, 4, 1, "10.0.2.15") ==
        V{"/usr/bin/ib_send_bw", "-d", "rxe0", "-i", "1", "-p", "18515", "-F", "--report_gbits", "-x", "1", "10.0.2.15"});
  // Untimed (software devices): every tool by message count, server and client.
  CHECK(peer::perftest_argv("/usr/bin/ib_write_bw", "rxe0", 1, 18515, 4, -1, "10.0.2.15", false) ==
        V{"/usr/bin/ib_write_bw", "-d", "rxe0", "-i", "1", "-p", "18515", "-F", "--report_gbits", "10.0.2.15"});
  CHECK(peer::perftest_argv("ib_write_bw", "rxe0", 1, 18515, 4, -1, "", false) ==
        V{"ib_write_bw", "-d", "rxe0", "-i", "1", "-p", "18515", "-F", "--report_gbits"});
}

TEST_CASE("rdma: the certify peer runs perftest's server side on request (stand-in perftest over loopback)") {
  // The stand-in: server mode listens on -p and answers one client; client
  // mode (a host as the last argument) connects; both print a report.
  test::TempDir bin;
  const std::string script = R"(#!/usr/bin/python3
import socket, sys
args = sys.argv[1:]
port = int(args[args.index("-p") + 1]); dev = args[args.index("-d") + 1]
report = " #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]\n 65536      100             0.00               %s  		   0.000725\n"
if dev == "broken0":
    print(" Couldn't allocate MR"); sys.exit(1)
if len(args) % 2 == 1:  # client: options in pairs and flags, then the host
    host = args[-1]
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(dev.encode() + b"\n"); peer = s.recv(64).decode().strip(); s.close()
    print(report % "1.25"); print(" peer device", peer)
else:
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port)); l.listen(1); l.settimeout(60)
    c, _ = l.accept(); client = c.recv(64).decode().strip(); c.sendall(dev.encode() + b"\n"); c.close()
    print(report % "1.25"); print(" client device", client)
)";
  for (const char* tool : {"ib_write_bw", "ib_send_bw"}) {
    REQUIRE(write_file_atomic(bin / tool, script, 0755).ok());
  }
  std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (bin.path().string() + ":" + old_path).c_str(), 1);
  test::LoopbackPeer server;
  peer::RdmaOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.device = "rxe0";
  o.peer_device = "mlx5_7";
  o.seconds = 1;
  for (const char* tool : {"ib_write_bw", "ib_send_bw"}) {
    o.tool = tool;
    auto r = peer::rdma_run(o);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.message()));
    CHECK(r->client_exit == 0);
    CHECK(r->server_ok);
    CHECK(r->client_output.find("peer device mlx5_7") != std::string::npos);
    CHECK(r->server_output.find("client device rxe0") != std::string::npos);
    auto t = rdma::check_bandwidth({{tool, r->client_exit, r->client_output, r->client_error, r->server_ok, r->server_exit, r->server_output,
                                     r->server_error, {}, {}}}, std::nullopt, true, 50);
    CHECK_MESSAGE(t.outcome == Outcome::pass, t.reason);
  }
  // The peer's tool fails: its exit and report come back, the criterion fails.
  o.tool = "ib_write_bw";
  o.peer_device = "broken0";
  auto bad = peer::rdma_run(o);
  REQUIRE(bad.ok());
  CHECK_FALSE(bad->server_error.empty());
  CHECK(bad->server_error.find("did not start") != std::string::npos);
  // No device named and none on this machine: the peer refuses with the reason.
  o.peer_device = "";
  auto none = peer::rdma_run(o);
  REQUIRE(none.ok());
  CHECK(none->server_error.find("RDMA devices: name one") != std::string::npos);
  o.tool = "ib_read_lat";
  // Not a bandwidth tool: refused here when not installed, else by the peer.
  auto unknown = peer::rdma_run(o);
  CHECK((!unknown.ok() || unknown->server_error.find("unknown RDMA tool 'ib_read_lat'") != std::string::npos));
  server.stop();
  ::setenv("PATH", old_path.c_str(), 1);

  // No peer configured: skip with how to configure one. Unreachable: fail.
  auto skip = run_on(rdma_bandwidth, "/", {{"props", {{"hca", "rxe0"}, {"port", 1}}}});
  CHECK(skip.outcome == Outcome::skip);
  CHECK(skip.reason.find("--param rdma_peer=HOST") != std::string::npos);
}
