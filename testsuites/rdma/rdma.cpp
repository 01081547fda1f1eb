// rdma suite: port state from /sys/class/infiniband, perftest bandwidth
// against a certify peer.
#include "testsuites/rdma/rdma.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <chrono>
#include <sstream>
#include <thread>
#include <tuple>

#include "probe/sysroot.hpp"
#include "testsuites/common/live.hpp"
#include "testsuites/nic/peer.hpp"

namespace certify::suites::rdma {

namespace {

std::optional<double> number(const std::string& t) {
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !(v >= 0) || v > 1e12) return std::nullopt;
  return v;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(3);
  os << v;
  return os.str();
}

}  // namespace

std::optional<double> parse_rate_gbps(std::string_view rate) {
  std::istringstream is{std::string(rate)};
  std::string num, unit;
  if (!(is >> num >> unit) || unit != "Gb/sec") return std::nullopt;
  auto v = number(num);
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

TestResult check_port(const PortFacts& p) {
  std::string name = p.hca + " port " + std::to_string(p.port);
  std::vector<std::string> bad;
  if (p.state != "ACTIVE") bad.push_back(name + " is " + (p.state.empty() ? "in no readable state" : p.state) + ", not ACTIVE" +
                                         (p.link_layer == "InfiniBand" && p.state == "INIT" ? " (no subnet manager has configured it)" : ""));
  if (p.phys_state != "LinkUp") bad.push_back(name + ": physical state " + (p.phys_state.empty() ? "unreadable" : p.phys_state) + ", not LinkUp");
  auto rate = parse_rate_gbps(p.rate);
  if (!rate) bad.push_back(name + ": rate '" + p.rate + "' is not a link rate");
  if (p.link_layer == "Ethernet" && p.netdev.empty()) bad.push_back(name + " is RoCE but names no network interface (gid_attrs/ndevs/0)");
  if (p.link_layer != "Ethernet" && p.link_layer != "InfiniBand") bad.push_back(name + ": unknown link layer '" + p.link_layer + "'");
  TestResult t = bad.empty() ? TestResult::pass() : TestResult::fail(bad.front());
  for (std::size_t i = 1; i < bad.size(); ++i) t.messages.push_back(bad[i]);
  if (rate) t.metrics["rate_gbps"] = *rate;
  if (!p.netdev.empty()) t.messages.push_back(name + " runs over " + p.netdev);
  return t;
}

PerftestReport parse_perftest(std::string_view output) {
  PerftestReport r;
  std::istringstream is{std::string(output)};
  bool header = false;
  for (std::string line; std::getline(is, line);) {
    auto l = lower(line);
    if (auto at = line.find("Correlation coefficient r^2:"); at != std::string::npos) {
      std::istringstream v(line.substr(at + 28));
      double r2 = 0;
      r.uncalibrated_r2 = (v >> r2) ? r2 : 0.0;
      continue;
    }
    if (l.find("couldn't") != std::string::npos || l.find("unable to") != std::string::npos || l.find("failed") != std::string::npos ||
        l.find("error") != std::string::npos) {
      r.errors.push_back(line);
      continue;
    }
    if (line.find("BW average") != std::string::npos) {
      header = true;
      continue;
    }
    if (!header || r.bw_avg_gbps) continue;
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string w; ls >> w;) tok.push_back(w);
    // #bytes #iterations BW-peak BW-average MsgRate
    if (tok.size() < 5) continue;
    auto bytes = number(tok[0]), iters = number(tok[1]), avg = number(tok[3]), rate = number(tok[4]);
    if (!bytes || !iters || !avg || !rate) continue;
    r.bytes = static_cast<std::uint64_t>(*bytes);
    r.iterations = static_cast<std::uint64_t>(*iters);
    r.bw_peak_gbps = number(tok[2]);  // "N/A" in some modes
    r.bw_avg_gbps = avg;
    r.msg_rate_mpps = rate;
  }
  return r;
}

namespace {

// The peer's report standing in for a client's that measured nothing
// (uncalibrated_r2): the peer's perftest ended well, timed its own clock,
// reported no error and a bandwidth for messages of the same size (the
// receiving end of ib_send_bw times them too). nullopt otherwise.
std::optional<PerftestReport> peer_stand_in(const PerftestReport& client, bool server_ok, std::string_view server_output) {
  if (!server_ok) return std::nullopt;
  auto peer = parse_perftest(server_output);
  if (peer.uncalibrated_r2 || !peer.errors.empty() || !peer.bw_avg_gbps || *peer.bw_avg_gbps <= 0 || peer.bytes != client.bytes)
    return std::nullopt;
  return peer;
}

}  // namespace

std::optional<PortPackets> read_port_packets(const probe::Sysroot& root, const std::string& hca, int port) {
  const std::string dir = "/sys/class/infiniband/" + hca + "/ports/" + std::to_string(port);
  auto counter = [&](const std::string& name) -> std::optional<std::uint64_t> {
    auto v = root.attr(dir + "/" + name);
    if (!v || v->empty()) return std::nullopt;
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size()) return std::nullopt;
    return n;
  };
  constexpr std::uint64_t k_saturated32 = 0xffffffffULL;  // a legacy PMA counter stops there
  for (auto [src, tx_name, rx_name] : {std::tuple{"counters", "counters/port_xmit_packets", "counters/port_rcv_packets"},
                                       std::tuple{"hw_counters", "hw_counters/sent_pkts", "hw_counters/rcvd_pkts"}}) {
    auto tx = counter(tx_name), rx = counter(rx_name);
    if (!tx || !rx) continue;
    if (std::string_view(src) == "counters" && (*tx == k_saturated32 || *rx == k_saturated32)) return std::nullopt;
    return PortPackets{*tx, *rx, src};
  }
  return std::nullopt;
}

bool software_device(const probe::Sysroot& root, const std::string& hca) {
  auto canon = root.resolve("/sys/class/infiniband/" + hca);
  return canon && canon->rfind("/sys/devices/virtual/", 0) == 0;
}

TestResult check_bandwidth(const std::vector<BandwidthRun>& runs, std::optional<double> rate_gbps, bool software,
                           double min_share_percent) {
  if (runs.empty()) return TestResult::error("no perftest run was made");
  std::vector<std::string> bad, unmeasured;
  TestResult t;
  for (const auto& r : runs) {
    auto rep = parse_perftest(r.client_output);
    bool measured = true;
    if (rep.uncalibrated_r2 && r.client_error.empty() && r.client_exit == 0) {
      std::string why = r.tool + " could not time its run: perftest's fit of the CPU cycle counter failed (r^2 " + fmt(*rep.uncalibrated_r2) +
                        " < 0.9: a busy or virtual CPU), so every rate it reported is 0";
      if (auto peer = peer_stand_in(rep, r.server_ok, r.server_output)) {
        t.messages.push_back(why + "; the peer's report of the same " + std::to_string(peer->iterations) + " messages is used");
        peer->errors = rep.errors;  // the client's error lines still count
        rep = std::move(*peer);
      } else {
        unmeasured.push_back(why);
        measured = false;
      }
    }
    if (!r.client_error.empty()) bad.push_back(r.tool + ": " + r.client_error);
    else if (r.client_exit != 0) bad.push_back(r.tool + " exited " + std::to_string(r.client_exit) + (rep.errors.empty() ? "" : ": " + rep.errors.front()));
    if (!r.server_error.empty()) bad.push_back(r.tool + " on the peer: " + r.server_error);
    else if (!r.server_ok) bad.push_back(r.tool + " on the peer exited " + std::to_string(r.server_exit));
    if (r.client_error.empty() && r.client_exit == 0) {
      for (const auto& e : rep.errors) bad.push_back(r.tool + " reported: " + e);
      if (!measured) continue;
      if (!rep.bw_avg_gbps) bad.push_back(r.tool + ": no bandwidth in its report");
      else if (*rep.bw_avg_gbps <= 0) bad.push_back(r.tool + ": bandwidth 0 Gb/s");
      else {
        t.metrics[r.tool + "_gbps"] = *rep.bw_avg_gbps;
        if (rep.msg_rate_mpps) t.metrics[r.tool + "_mpps"] = *rep.msg_rate_mpps;
        if (r.tx_packets) t.metrics[r.tool + "_port_tx_packets"] = static_cast<double>(*r.tx_packets);
        if (r.rx_packets) t.metrics[r.tool + "_port_rx_packets"] = static_cast<double>(*r.rx_packets);
        // Every message perftest counted left this port as one packet or more.
        if (r.tx_packets && *r.tx_packets < rep.iterations)
          bad.push_back(r.tool + " counted " + std::to_string(rep.iterations) + " messages but the port sent " + std::to_string(*r.tx_packets) +
                        " packets: the traffic did not go through this port");
        std::string m = r.tool + ": " + fmt(*rep.bw_avg_gbps) + " Gb/s average";
        if (rate_gbps && !software) {
          double need = *rate_gbps * min_share_percent / 100.0;
          m += " of " + fmt(*rate_gbps) + " Gb/s link rate";
          if (*rep.bw_avg_gbps < need)
            bad.push_back(r.tool + ": " + fmt(*rep.bw_avg_gbps) + " Gb/s is below " + fmt(min_share_percent) + "% of the " + fmt(*rate_gbps) +
                          " Gb/s link rate");
        }
        t.messages.push_back(m);
      }
    }
  }
  auto msgs = std::move(t.messages);
  auto metrics = std::move(t.metrics);
  if (!bad.empty()) t = TestResult::fail(bad.front());
  else if (!unmeasured.empty()) t = TestResult::error(unmeasured.front());
  else t = TestResult::pass();
  for (std::size_t i = 1; i < bad.size(); ++i) t.messages.push_back(bad[i]);
  for (std::size_t i = bad.empty() ? 1 : 0; i < unmeasured.size(); ++i) t.messages.push_back(unmeasured[i]);
  for (auto& m : msgs) t.messages.push_back(std::move(m));
  if (software) t.messages.push_back("software RDMA device (rdma_rxe, siw): its rate is its netdev's, no wire rate to compare with");
  t.metrics = std::move(metrics);
  return t;
}

}  // namespace certify::suites::rdma

namespace certify::suites {

using namespace rdma;

namespace {

constexpr int k_min_perftest_seconds = 4;
constexpr int k_perftest_attempts = 3;

// The inventory names the port: props.hca (a name in /sys/class/infiniband)
// and props.port (default 1). An odd value is the inventory's error, said so.
std::optional<TestResult> bad_device(const TestContext& ctx) {
  const auto& props = ctx.props();
  auto hca = props.find("hca");
  if (hca == props.end() || !hca->is_string() || hca->get<std::string>().empty())
    return TestResult::error("the device has no RDMA device name (props.hca)");
  auto name = hca->get<std::string>();
  if (name.find('/') != std::string::npos || name == "." || name == "..")
    return TestResult::error("props.hca '" + name + "' is not an RDMA device name");
  auto port = props.find("port");
  if (port != props.end() && !(port->is_number_integer() && port->get<long>() >= 1 && port->get<long>() <= 255))
    return TestResult::error("props.port " + port->dump() + " is not a port number (1-255)");
  return std::nullopt;
}

PortFacts read_port(const probe::Sysroot& root, const TestContext& ctx) {
  PortFacts p;
  p.hca = ctx.props().value("hca", "");
  p.port = ctx.props().value("port", 1);
  const std::string dir = "/sys/class/infiniband/" + p.hca + "/ports/" + std::to_string(p.port);
  auto after_colon = [](std::string v) {
    auto c = v.find(": ");
    return c == std::string::npos ? v : v.substr(c + 2);
  };
  p.state = after_colon(root.attr(dir + "/state").value_or(""));
  p.phys_state = after_colon(root.attr(dir + "/phys_state").value_or(""));
  p.link_layer = root.attr(dir + "/link_layer").value_or("");
  p.rate = root.attr(dir + "/rate").value_or("");
  p.netdev = root.attr(dir + "/gid_attrs/ndevs/0").value_or("");
  p.gid0 = root.attr(dir + "/gids/0").value_or("");
  return p;
}

// A port whose link just bounced (nic.mtu resets an e1000e, and rdma_rxe
// follows its netdev's carrier) is ACTIVE again within seconds: wait up to
// wait_s before judging it.
PortFacts read_port_when_active(const probe::Sysroot& root, const TestContext& ctx) {
  const long wait_s = param_long(ctx, "wait_s", 10, 0, 600);
  auto p = read_port(root, ctx);
  const std::string dev = "/sys/class/infiniband/" + p.hca;
  for (long i = 0; i < wait_s * 10 && !p.hca.empty() && p.state != "ACTIVE" && root.exists(dev); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    p = read_port(root, ctx);
  }
  return p;
}

}  // namespace

TestResult rdma_port(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  if (auto e = bad_device(ctx)) return *e;
  auto p = read_port_when_active(root, ctx);
  if (!root.exists("/sys/class/infiniband/" + p.hca))
    return TestResult::fail(p.hca + " is gone from /sys/class/infiniband");
  ctx.out() << p.hca << " port " << p.port << ": " << p.state << ", " << p.phys_state << ", " << p.link_layer << ", " << p.rate
            << (p.netdev.empty() ? "" : ", netdev " + p.netdev) << '\n';
  return check_port(p);
}

TestResult rdma_bandwidth(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  if (auto e = bad_device(ctx)) return *e;
  if (auto e = require_live(ctx, "rdma.bandwidth")) return *e;
  std::string host = ctx.param("rdma_peer");
  if (host.empty())
    return TestResult::skip("no RDMA peer: run 'certify peer --listen' on a machine on the same fabric and pass --param rdma_peer=HOST[:PORT]");
  int port = peer::k_default_port;
  if (auto c = host.rfind(':'); c != std::string::npos && host.find(':') == c) {
    port = std::atoi(host.c_str() + c + 1);
    host = host.substr(0, c);
  }
  std::vector<std::string> tools;
  std::istringstream ts(ctx.param("tools", "ib_write_bw,ib_send_bw"));
  for (std::string t; std::getline(ts, t, ',');)
    if (!t.empty()) tools.push_back(t);
  for (const auto& t : tools)
    if (find_program(t).empty()) return TestResult::skip(t + " is not installed: perftest is needed to measure RDMA bandwidth (apt-get install perftest)");
  auto p = read_port_when_active(root, ctx);
  if (!root.exists("/sys/class/infiniband/" + p.hca)) return TestResult::fail(p.hca + " is gone from /sys/class/infiniband");
  if (p.state != "ACTIVE") return TestResult::fail(p.hca + " port " + std::to_string(p.port) + " is " + p.state + ", not ACTIVE: no RDMA traffic can flow");
  // perftest -D leaves D/4 out at each end of its sample (warm-up and
  // drain); below 4 s it samples from the first post, where a slow start
  // (a busy soft device: 0 completions in 2 s) reads as 0 Gb/s.
  int seconds = static_cast<int>(param_long(ctx, "seconds", 5, 1, 600));
  // A software device (rdma_rxe, siw) is measured by message count: perftest's
  // duration mode read 0 Gb/s on it (see peer::perftest_argv).
  const bool software = software_device(root, p.hca);
  std::vector<std::string> notes;
  if (!software && seconds < k_min_perftest_seconds) {
    notes.push_back("seconds=" + std::to_string(seconds) + " raised to " + std::to_string(k_min_perftest_seconds) +
                    ": perftest samples none of the first and last D/4 seconds, and has no warm-up below 4");
    seconds = k_min_perftest_seconds;
  }
  std::vector<BandwidthRun> runs;
  for (const auto& t : tools) {
    peer::RdmaOptions o;
    o.host = host;
    o.port = port;
    o.tool = t;
    o.device = p.hca;
    o.ib_port = p.port;
    o.peer_device = ctx.param("peer_rdma_device");
    o.peer_ib_port = static_cast<int>(param_long(ctx, "peer_ib_port", 1, 1, 255));
    o.seconds = seconds;
    o.gid_index = static_cast<int>(param_long(ctx, "gid_index", -1, -1, 255));
    o.timed = !software;
    // A run whose client could not calibrate its clock, and whose peer's
    // report cannot stand in, measured nothing (see PerftestReport::
    // uncalibrated_r2): run again, up to k_perftest_attempts.
    std::optional<PortPackets> before, after;
    Result<peer::RdmaRun> r = make_error("no run");
    for (int attempt = 1;; ++attempt) {
      before = read_port_packets(root, p.hca, p.port);
      r = peer::rdma_run(o);
      if (!r) return TestResult::fail("RDMA peer " + host + ": " + r.message());
      after = read_port_packets(root, p.hca, p.port);
      auto client = parse_perftest(r->client_output);
      if (!client.uncalibrated_r2 || attempt == k_perftest_attempts) break;
      if (peer_stand_in(client, r->server_ok, r->server_output)) break;  // check_bandwidth uses the peer's figure
      ctx.out() << "--- " << t << ": perftest could not calibrate its clock (r^2 " << fmt(*client.uncalibrated_r2)
                << " < 0.9), nothing measured: run " << attempt + 1 << " of at most " << k_perftest_attempts << "\n" << r->client_output;
    }
    BandwidthRun b{t, r->client_exit, r->client_output, r->client_error, r->server_ok, r->server_exit, r->server_output, r->server_error, {}, {}};
    if (before && after && after->source == before->source && after->tx >= before->tx && after->rx >= before->rx) {
      b.tx_packets = after->tx - before->tx;
      b.rx_packets = after->rx - before->rx;
      ctx.out() << "--- " << t << ": port " << before->source << " moved by " << *b.tx_packets << " packets sent, " << *b.rx_packets
                << " received\n";
    }
    ctx.out() << "--- " << t << " (client, exit " << b.client_exit << ")\n" << b.client_output << "--- " << t << " (peer, exit " << b.server_exit
              << ")\n" << b.server_output << (b.server_error.empty() ? "" : "peer error: " + b.server_error + "\n");
    runs.push_back(std::move(b));
  }
  double share = static_cast<double>(param_long(ctx, "min_share_percent", 50, 0, 100));
  auto t = check_bandwidth(runs, parse_rate_gbps(p.rate), software, share);
  for (auto& n : notes) t.messages.push_back(std::move(n));
  return t;
}

}  // namespace certify::suites
