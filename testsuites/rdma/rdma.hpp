// rdma suite: InfiniBand and RoCE ports (the probe's "ib:<hca>:<port>"
// devices from /sys/class/infiniband): port state, and connectivity and
// bandwidth with a peer through perftest (ib_write_bw, ib_send_bw) whose
// server side `certify peer --listen` starts on request. Criteria are pure
// functions over observed facts and perftest's report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "testsuites/builtin.hpp"

namespace certify::probe {
class Sysroot;
}

namespace certify::suites::rdma {

struct PortFacts {
  std::string hca;
  int port = 1;
  std::string state, phys_state, link_layer, rate;  // sysfs text after "N: " ("ACTIVE", "LinkUp")
  std::string netdev;                               // RoCE: gid_attrs/ndevs/0
  std::string gid0;
};
// ACTIVE and LinkUp, a parseable rate; a RoCE (Ethernet) port names its netdev.
TestResult check_port(const PortFacts& p);

// "200 Gb/sec (4X HDR)" -> 200; nullopt for junk.
std::optional<double> parse_rate_gbps(std::string_view rate);

// perftest's report (run with --report_gbits): the result row under the
// "#bytes #iterations BW peak BW average MsgRate" header, and error lines.
struct PerftestReport {
  std::uint64_t bytes = 0, iterations = 0;
  std::optional<double> bw_peak_gbps, bw_avg_gbps, msg_rate_mpps;
  std::vector<std::string> errors;
  // perftest times a run with the CPU's cycle counter, whose rate it fits
  // against gettimeofday; when the fit is poor (a busy or virtual CPU) it
  // prints "Correlation coefficient r^2: X < 0.9" on stderr and every rate in
  // its report is 0 (perftest's get_clock.c): X, the run measured nothing.
  std::optional<double> uncalibrated_r2;
};
PerftestReport parse_perftest(std::string_view output);

// rdma_rxe and siw run RDMA in software over a netdev: the kernel keeps such
// devices, which have no bus parent, under /sys/devices/virtual.
bool software_device(const probe::Sysroot& root, const std::string& hca);

// A port's packet counters (Documentation/ABI/stable/sysfs-class-infiniband):
// the PMA's counters/port_{xmit,rcv}_packets where the device has them
// (InfiniBand HCAs, mlx5 RoCE), else rdma_rxe's hw_counters/{sent,rcvd}_pkts.
// nullopt when neither pair reads, or a 32-bit PMA counter is saturated.
struct PortPackets {
  std::uint64_t tx = 0, rx = 0;
  std::string source;  // "counters" or "hw_counters"
};
std::optional<PortPackets> read_port_packets(const probe::Sysroot& root, const std::string& hca, int port);

// One perftest run against the peer: both ends' exit and output, and how
// far this port's packet counters moved during it (when readable).
struct BandwidthRun {
  std::string tool;
  int client_exit = -1;
  std::string client_output, client_error;  // client_error: could not start / killed
  bool server_ok = false;
  int server_exit = -1;
  std::string server_output, server_error;  // server_error: the peer's refusal or failure
  std::optional<std::uint64_t> tx_packets, rx_packets;
};
// Passes when every run exited 0 at both ends, reported no error line and a
// bandwidth above zero, this port's transmit counter (when readable) moved
// by at least one packet per message perftest counted, and (hardware ports,
// rate known) at least min_share_percent of the port rate. A client that
// could not calibrate its clock (uncalibrated_r2) measured nothing: the
// peer's report of the same messages is used when it has a bandwidth (the
// receiving end of ib_send_bw times them too); without one the outcome is
// an error (nothing was measured), not a failure of the port.
TestResult check_bandwidth(const std::vector<BandwidthRun>& runs, std::optional<double> rate_gbps, bool software,
                           double min_share_percent);

}  // namespace certify::suites::rdma
