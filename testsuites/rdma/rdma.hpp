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
};
PerftestReport parse_perftest(std::string_view output);

// rdma_rxe and siw run RDMA in software over a netdev: the kernel keeps such
// devices, which have no bus parent, under /sys/devices/virtual.
bool software_device(const probe::Sysroot& root, const std::string& hca);

// One perftest run against the peer: both ends' exit and output.
struct BandwidthRun {
  std::string tool;
  int client_exit = -1;
  std::string client_output, client_error;  // client_error: could not start / killed
  bool server_ok = false;
  int server_exit = -1;
  std::string server_output, server_error;  // server_error: the peer's refusal or failure
};
// Passes when every run exited 0 at both ends, reported no error line and a
// bandwidth above zero, and (hardware ports, rate known) at least
// min_share_percent of the port rate.
TestResult check_bandwidth(const std::vector<BandwidthRun>& runs, std::optional<double> rate_gbps, bool software,
                           double min_share_percent);

}  // namespace certify::suites::rdma
