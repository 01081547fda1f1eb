// certify peer: the far end of the network throughput test. A server
// (`certify peer --listen`) answers a line-delimited JSON control protocol on
// TCP and moves data over TCP streams or paced UDP datagrams; the client
// measures throughput and, for UDP, loss from sequence numbers. Every wait
// has a deadline, so a missing or silent peer is an error, never a hang.
#pragma once

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace certify::suites::peer {

inline constexpr int k_protocol_version = 1;
inline constexpr int k_default_port = 5815;

struct ServeOptions {
  std::string bind = "0.0.0.0";
  int port = k_default_port;
  int sessions = 0;                // stop after this many control sessions (0: run until stopped)
  const std::atomic<bool>* stop = nullptr;
  int bound_port_fd = -1;          // when >= 0: the bound port number is written here as text (for port 0)
};

// Runs the server until `sessions` sessions were served or *stop is set.
Status serve(const ServeOptions& o, std::ostream& log);

struct MeasureOptions {
  std::string host;
  int port = k_default_port;
  std::string proto = "tcp";       // tcp | udp
  bool from_peer = false;          // false: we send, the peer receives
  int streams = 4;
  double seconds = 5;
  double udp_mbps = 100;           // offered UDP load, all streams together
  int timeout_s = 5;               // connect and reply deadline
  std::string bind_device;         // SO_BINDTODEVICE: every socket leaves through this interface
};

struct Measurement {
  std::string proto, direction;    // "to-peer" | "from-peer"
  int streams = 0;
  double seconds = 0;
  std::uint64_t bytes = 0;         // bytes that arrived at the receiver
  double mbps = 0;                 // receiver's bytes * 8 / seconds / 1e6
  std::uint64_t datagrams_sent = 0, datagrams_received = 0;  // udp
  double loss_percent = 0;         // udp
  std::string local_address;       // our end of the control connection (which interface was used)
};

// RDMA bandwidth through perftest (ib_write_bw, ib_send_bw, ib_read_bw): the
// peer starts the tool's server side on its RDMA device, we run the client
// side against it, and the peer reports its end when both are done.
struct RdmaOptions {
  std::string host;
  int port = k_default_port;
  std::string tool = "ib_write_bw";
  std::string device;              // our RDMA device ("mlx5_0", "rxe0")
  int ib_port = 1;
  std::string peer_device;         // the peer's; "" = its only RDMA device
  int peer_ib_port = 1;
  int seconds = 5;                 // perftest -D when timed; bounds the waits
  bool timed = true;               // false: a message count (software devices, see perftest_argv)
  int gid_index = -1;              // perftest -x (RoCE); -1: perftest's choice
  int timeout_s = 10;
};
struct RdmaRun {
  int client_exit = -1;
  std::string client_output, client_error;
  bool server_ok = false;
  int server_exit = -1;
  std::string server_output, server_error;
};
// An error only when the peer cannot be reached or breaks the protocol; the
// tools' failures are in the RdmaRun.
Result<RdmaRun> rdma_run(const RdmaOptions& o);
// perftest's command line (client when server_host is set): -D seconds when
// timed, except for ib_send_bw; otherwise perftest's default 1000 messages.
std::vector<std::string> perftest_argv(const std::string& program, const std::string& device, int ib_port, int tcp_port,
                                       int seconds, int gid_index, const std::string& server_host, bool timed = true);

// Handshake only: is there a certify peer of our protocol version?
Result<std::string> hello(const std::string& host, int port, int timeout_s, const std::string& bind_device = "");
Result<Measurement> measure(const MeasureOptions& o);

}  // namespace certify::suites::peer
