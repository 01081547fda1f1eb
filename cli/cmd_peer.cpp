// certify peer: the far end of the nic throughput test (--listen), or a
// direct measurement against one (--peer HOST).
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "testsuites/nic/peer.hpp"

namespace certify::cli {

namespace {

struct PeerArgs {
  bool listen = false;
  std::string bind = "0.0.0.0";
  std::string host;
  int port = suites::peer::k_default_port;
  int sessions = 0;
  std::string proto = "tcp";
  bool reverse = false;
  int streams = 4;
  double seconds = 5;
  double udp_mbps = 100;
  bool json = false;
};

}  // namespace

void add_peer_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<PeerArgs>();
  auto* cmd = app.add_subcommand("peer", "Network peer for the nic throughput test: serve (--listen) or measure (--peer HOST)");
  auto* listen = cmd->add_flag("--listen", a->listen, "Serve peer sessions until interrupted");
  cmd->add_option("--bind", a->bind, "Address to listen on")->capture_default_str();
  auto* peer = cmd->add_option("--peer", a->host, "Measure against the certify peer at HOST");
  listen->excludes(peer);
  cmd->add_option("--port", a->port, "Control port")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--sessions", a->sessions, "With --listen: stop after this many sessions (0: never)")->check(CLI::Range(0, 1000000));
  cmd->add_option("--proto", a->proto, "tcp or udp")->check(CLI::IsMember({"tcp", "udp"}))->capture_default_str();
  cmd->add_flag("--reverse", a->reverse, "The peer sends, this machine receives");
  cmd->add_option("--streams", a->streams, "Parallel streams")->check(CLI::Range(1, 128))->capture_default_str();
  cmd->add_option("--seconds", a->seconds, "Seconds to measure")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  cmd->add_option("--udp-mbps", a->udp_mbps, "Offered UDP load in Mb/s")->check(CLI::Range(1.0, 1e6))->capture_default_str();
  cmd->add_flag("--json", a->json, "Print the measurement as JSON");
  cmd->callback([a, &exit_code] {
    if (a->listen) {
      suites::peer::ServeOptions o;
      o.bind = a->bind;
      o.port = a->port;
      o.sessions = a->sessions;
      auto st = suites::peer::serve(o, std::cerr);
      if (!st) throw CommandError("peer: " + st.message());
      return;
    }
    if (a->host.empty()) throw CommandError("peer: give --listen or --peer HOST");
    suites::peer::MeasureOptions o;
    o.host = a->host;
    o.port = a->port;
    o.proto = a->proto;
    o.from_peer = a->reverse;
    o.streams = a->streams;
    o.seconds = a->seconds;
    o.udp_mbps = a->udp_mbps;
    auto m = suites::peer::measure(o);
    if (!m) throw CommandError("peer: " + m.message(), k_exit_failed);
    if (a->json) {
      std::cout << nlohmann::json{{"proto", m->proto}, {"direction", m->direction}, {"streams", m->streams},
                                  {"seconds", m->seconds}, {"bytes", m->bytes}, {"mbps", m->mbps},
                                  {"datagrams_sent", m->datagrams_sent}, {"datagrams_received", m->datagrams_received},
                                  {"loss_percent", m->loss_percent}, {"local_address", m->local_address}}
                       .dump(2)
                << '\n';
    } else {
      std::cout << m->proto << " " << m->direction << ": " << m->mbps << " Mb/s over " << m->seconds << " s, "
                << m->streams << " stream(s)";
      if (m->proto == "udp") std::cout << ", " << m->datagrams_received << "/" << m->datagrams_sent << " datagrams, "
                                       << m->loss_percent << "% loss";
      std::cout << '\n';
    }
    (void)exit_code;
  });
}

}  // namespace certify::cli
