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

// Handshake only: is there a certify peer of our protocol version?
Result<std::string> hello(const std::string& host, int port, int timeout_s, const std::string& bind_device = "");
Result<Measurement> measure(const MeasureOptions& o);

}  // namespace certify::suites::peer
