// nic suite: link and speed, ethtool driver/offload/queue facts, MTU 9000 and
// back, throughput/loss against a certify peer (second machine or netns over
// veth), SR-IOV VFs on and off.
#include "testsuites/nic/nic.hpp"

#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "probe/sysroot.hpp"
#include "testsuites/common/fd.hpp"
#include "testsuites/common/live.hpp"
#include "testsuites/nic/netns.hpp"

namespace certify::suites::nic {

std::optional<long> link_mode_speed(const std::string& mode) {
  std::size_t i = 0;
  long v = 0;
  while (i < mode.size() && std::isdigit(static_cast<unsigned char>(mode[i])) && v < 100000000) v = v * 10 + (mode[i++] - '0');
  if (i == 0 || mode.compare(i, 4, "base") != 0) return std::nullopt;
  return v;
}

std::optional<long> fastest_link_mode(const nlohmann::json& device) {
  const auto& p = device.contains("props") ? device["props"] : device;
  if (!p.is_object() || !p.contains("supported_link_modes") || !p["supported_link_modes"].is_array()) return std::nullopt;
  std::optional<long> best;
  for (const auto& m : p["supported_link_modes"])
    if (m.is_string())
      if (auto s = link_mode_speed(m.get<std::string>()); s && (!best || *s > *best)) best = s;
  return best;
}

TestResult check_link(const LinkState& s) {
  TestResult t;
  if (!s.carrier) t = TestResult::fail(s.ifname + ": no carrier (operstate " + s.operstate + "): cable, peer port or driver");
  else if (s.operstate != "up" && s.operstate != "unknown") t = TestResult::fail(s.ifname + ": carrier present but operstate is " + s.operstate);
  else if (s.expected_mbps && !s.speed_mbps) t = TestResult::fail(s.ifname + ": link up but the driver reports no speed, expected " + std::to_string(*s.expected_mbps) + " Mb/s");
  else if (s.expected_mbps && s.speed_mbps && *s.speed_mbps < *s.expected_mbps)
    t = TestResult::fail(s.ifname + ": link at " + std::to_string(*s.speed_mbps) + " Mb/s, expected " + std::to_string(*s.expected_mbps) + " Mb/s");
  else if (s.speed_mbps && s.duplex == "half") t = TestResult::fail(s.ifname + ": link negotiated half duplex");
  else t = TestResult::pass();
  if (t.outcome == Outcome::pass && !s.speed_mbps) t.messages.push_back("the driver reports no link speed (virtual or paravirtual NIC)");
  if (s.speed_mbps) t.metrics["speed_mbps"] = *s.speed_mbps;
  if (s.expected_mbps) t.metrics["expected_mbps"] = *s.expected_mbps;
  return t;
}

TestResult check_ethtool(const EthtoolFacts& f, const std::string& want_driver, const std::string& want_bus) {
  std::vector<std::string> problems;
  if (!f.drvinfo_error.empty()) problems.push_back("ETHTOOL_GDRVINFO: " + f.drvinfo_error);
  else {
    if (f.driver.empty()) problems.push_back("the driver does not name itself");
    else if (!want_driver.empty() && f.driver != want_driver) problems.push_back("driver " + f.driver + " differs from the inventory's " + want_driver);
    if (!want_bus.empty() && f.bus_info != want_bus) problems.push_back("bus address " + f.bus_info + " differs from the PCI function " + want_bus);
  }
  if (!f.features_error.empty()) problems.push_back("offload features: " + f.features_error);
  else if (f.features_total == 0) problems.push_back("the driver lists no offload features");
  bool queues_known = f.combined_queues || f.rx_queues || f.tx_queues;
  if (!queues_known) problems.push_back("no RX/TX queue counts");
  else if (f.combined_queues.value_or(0) == 0 && (f.rx_queues.value_or(0) == 0 || f.tx_queues.value_or(0) == 0))
    problems.push_back("no RX or no TX queue");
  TestResult t = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) t.messages.push_back(problems[i]);
  t.metrics["features_total"] = f.features_total;
  t.metrics["features_active"] = f.features_active;
  if (f.combined_queues) t.metrics["combined_queues"] = *f.combined_queues;
  if (f.rx_queues) t.metrics["rx_queues"] = *f.rx_queues;
  if (f.tx_queues) t.metrics["tx_queues"] = *f.tx_queues;
  return t;
}

TestResult check_mtu(const MtuSteps& s) {
  if (!s.set_error.empty()) return TestResult::fail("MTU " + std::to_string(s.target) + " refused: " + s.set_error);
  if (s.read_after_set != s.target)
    return TestResult::fail("MTU reads " + std::to_string(s.read_after_set) + " after setting " + std::to_string(s.target));
  if (!s.restore_error.empty()) return TestResult::fail("restoring MTU " + std::to_string(s.original) + ": " + s.restore_error);
  if (s.read_after_restore != s.original)
    return TestResult::fail("MTU reads " + std::to_string(s.read_after_restore) + " after restoring " + std::to_string(s.original));
  return TestResult::pass();
}

TestResult check_throughput(const std::vector<peer::Measurement>& ms, std::optional<long> link_mbps, double min_share,
                            double min_mbps, double max_loss) {
  std::vector<std::string> problems;
  TestResult t;
  double floor = link_mbps ? static_cast<double>(*link_mbps) * min_share / 100.0 : min_mbps;
  for (const char* proto : {"tcp", "udp"})
    for (const char* dir : {"to-peer", "from-peer"}) {
      auto it = std::find_if(ms.begin(), ms.end(), [&](const peer::Measurement& m) { return m.proto == proto && m.direction == dir; });
      if (it == ms.end()) problems.push_back(std::string(proto) + " " + dir + ": not measured");
    }
  for (const auto& m : ms) {
    std::string k = m.proto + "_" + (m.direction == "to-peer" ? "tx" : "rx");
    t.metrics[k + "_mbps"] = m.mbps;
    if (m.proto == "tcp" && m.mbps < floor)
      problems.push_back("tcp " + m.direction + ": " + std::to_string(static_cast<long>(m.mbps)) + " Mb/s below " +
                         std::to_string(static_cast<long>(floor)) + " Mb/s" +
                         (link_mbps ? " (" + std::to_string(static_cast<int>(min_share)) + "% of the " + std::to_string(*link_mbps) + " Mb/s link)" : ""));
    if (m.proto == "udp") {
      t.metrics[k + "_loss_percent"] = m.loss_percent;
      if (m.datagrams_sent == 0) problems.push_back("udp " + m.direction + ": no datagrams were sent");
      else if (m.loss_percent > max_loss)
        problems.push_back("udp " + m.direction + ": " + std::to_string(m.loss_percent) + "% loss exceeds " + std::to_string(max_loss) + "%");
    }
  }
  TestResult r = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) r.messages.push_back(problems[i]);
  r.metrics = t.metrics;
  if (link_mbps) r.metrics["link_mbps"] = *link_mbps;
  return r;
}

TestResult check_sriov(const SriovSteps& s) {
  if (s.total <= 0) return TestResult::skip("the function is not SR-IOV capable (sriov_totalvfs is 0 or absent)");
  if (!s.enable_error.empty()) return TestResult::fail("enabling " + std::to_string(s.requested) + " VFs: " + s.enable_error);
  if (s.appeared != s.requested)
    return TestResult::fail(std::to_string(s.appeared) + " of " + std::to_string(s.requested) + " VFs appeared");
  if (!s.disable_error.empty()) return TestResult::fail("disabling VFs: " + s.disable_error);
  if (s.left_after_disable != 0) return TestResult::fail(std::to_string(s.left_after_disable) + " VF(s) remained after disabling");
  TestResult t = TestResult::pass();
  t.metrics["vfs"] = s.requested;
  return t;
}

}  // namespace certify::suites::nic

namespace certify::suites {

using namespace nic;

namespace {

std::string ifname_of(const TestContext& ctx) {
  return ctx.props().value("ifname", "");
}

// The PCI address of the interface's function ("0000:09:00.0"), from sysfs.
std::string pci_address(const probe::Sysroot& root, const std::string& ifname) {
  auto real = root.resolve("/sys/class/net/" + ifname + "/device");
  if (!real) return "";
  auto name = real->substr(real->rfind('/') + 1);
  return root.exists("/sys/bus/pci/devices/" + name) ? name : "";
}

int ethtool_ioctl(int sock, const std::string& ifname, void* cmd) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = static_cast<char*>(cmd);
  return ::ioctl(sock, SIOCETHTOOL, &ifr) == 0 ? 0 : errno;
}

bool interface_up(int sock, const std::string& ifname, std::string& err) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (::ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) { err = std::string("SIOCGIFFLAGS: ") + std::strerror(errno); return false; }
  if (ifr.ifr_flags & IFF_UP) return true;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) { err = std::string("bringing it up: ") + std::strerror(errno); return false; }
  return true;
}

int read_mtu(int sock, const std::string& ifname) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  return ::ioctl(sock, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : -1;
}

std::string set_mtu(int sock, const std::string& ifname, int mtu) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_mtu = mtu;
  return ::ioctl(sock, SIOCSIFMTU, &ifr) == 0 ? "" : std::strerror(errno);
}

// Does the local address belong to ifname?
bool address_on(const std::string& local, const std::string& ifname) {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return false;
  bool hit = false;
  for (auto* a = all; a && !hit; a = a->ifa_next) {
    if (!a->ifa_addr || ifname != a->ifa_name) continue;
    char host[NI_MAXHOST] = "";
    socklen_t len = a->ifa_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6) continue;
    if (::getnameinfo(a->ifa_addr, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0) {
      std::string h = host;
      if (auto pct = h.find('%'); pct != std::string::npos) h.resize(pct);
      hit = h == local;
    }
  }
  ::freeifaddrs(all);
  return hit;
}

Result<std::vector<peer::Measurement>> measure_all(peer::MeasureOptions base, std::ostream& log) {
  std::vector<peer::Measurement> out;
  for (const char* proto : {"tcp", "udp"})
    for (bool from : {false, true}) {
      auto o = base;
      o.proto = proto;
      o.from_peer = from;
      auto m = peer::measure(o);
      if (!m) return make_error(std::string(proto) + (from ? " from the peer: " : " to the peer: ") + m.message());
      log << m->proto << " " << m->direction << ": " << static_cast<long>(m->mbps) << " Mb/s";
      if (m->proto == "udp") log << ", " << m->datagrams_received << "/" << m->datagrams_sent << " datagrams";
      log << '\n';
      out.push_back(*m);
    }
  return out;
}

peer::MeasureOptions measure_options(const TestContext& ctx) {
  peer::MeasureOptions o;
  o.streams = static_cast<int>(param_long(ctx, "streams", 4, 1, 128));
  o.seconds = static_cast<double>(param_long(ctx, "seconds", 5, 1, 3600));
  o.udp_mbps = static_cast<double>(param_long(ctx, "udp_mbps", 100, 1, 1000000));
  return o;
}

}  // namespace

TestResult nic_link(TestContext& ctx) {
  if (auto e = require_live(ctx, "nic.link")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto ifname = ifname_of(ctx);
  if (ifname.empty()) return TestResult::error("the device has no interface name (props.ifname)");
  auto dir = "/sys/class/net/" + ifname;
  if (!root.exists(dir)) return TestResult::fail(ifname + " has disappeared");
  Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  std::string err;
  if (!interface_up(sock.get(), ifname, err)) return TestResult::fail(ifname + ": " + err);
  const long wait_s = param_long(ctx, "wait_s", 10, 0, 600);
  LinkState s;
  s.ifname = ifname;
  for (long i = 0; i <= wait_s * 10; ++i) {
    s.carrier = root.attr(dir + "/carrier").value_or("0") == "1";
    if (s.carrier) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  s.operstate = root.attr(dir + "/operstate").value_or("unknown");
  if (auto sp = root.attr_int(dir + "/speed", 10); sp && *sp > 0) s.speed_mbps = *sp;
  s.duplex = root.attr(dir + "/duplex").value_or("unknown");
  long want = param_long(ctx, "speed_mbps", 0, 0, 10000000);
  if (want > 0) s.expected_mbps = want;
  else s.expected_mbps = fastest_link_mode(ctx.device);
  ctx.out() << ifname << ": carrier " << s.carrier << ", operstate " << s.operstate << ", speed "
            << (s.speed_mbps ? std::to_string(*s.speed_mbps) : "unknown") << ", expected "
            << (s.expected_mbps ? std::to_string(*s.expected_mbps) : "any") << '\n';
  return check_link(s);
}

TestResult nic_ethtool(TestContext& ctx) {
  if (auto e = require_live(ctx, "nic.ethtool")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto ifname = ifname_of(ctx);
  if (ifname.empty()) return TestResult::error("the device has no interface name (props.ifname)");
  if (!root.exists("/sys/class/net/" + ifname)) return TestResult::fail(ifname + " has disappeared");
  Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.ok()) return TestResult::error(std::string("socket: ") + std::strerror(errno));
  EthtoolFacts f;
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  if (int e = ethtool_ioctl(sock.get(), ifname, &info); e != 0) f.drvinfo_error = std::strerror(e);
  else {
    auto str = [](const char* p, std::size_t n) { return std::string(p, strnlen(p, n)); };
    f.driver = str(info.driver, sizeof info.driver);
    f.version = str(info.version, sizeof info.version);
    f.firmware = str(info.fw_version, sizeof info.fw_version);
    f.bus_info = str(info.bus_info, sizeof info.bus_info);
  }
  // Offload features: the string-set size, then ETHTOOL_GFEATURES blocks.
  // ethtool_sset_info ends in a flexible array: one length word follows it.
  alignas(ethtool_sset_info) std::uint8_t sset_buf[sizeof(ethtool_sset_info) + sizeof(std::uint32_t)] = {};
  auto* sset = reinterpret_cast<ethtool_sset_info*>(sset_buf);
  sset->cmd = ETHTOOL_GSSET_INFO;
  sset->sset_mask = 1ULL << ETH_SS_FEATURES;
  if (int e = ethtool_ioctl(sock.get(), ifname, sset); e != 0) f.features_error = std::string("GSSET_INFO: ") + std::strerror(e);
  else {
    int count = static_cast<int>(sset->data[0]);
    int blocks = (count + 31) / 32;
    std::vector<std::uint8_t> buf(sizeof(ethtool_gfeatures) + static_cast<std::size_t>(blocks) * sizeof(ethtool_get_features_block));
    auto* gf = reinterpret_cast<ethtool_gfeatures*>(buf.data());
    gf->cmd = ETHTOOL_GFEATURES;
    gf->size = static_cast<std::uint32_t>(blocks);
    if (int e = ethtool_ioctl(sock.get(), ifname, gf); e != 0) f.features_error = std::string("GFEATURES: ") + std::strerror(e);
    else {
      for (int b = 0; b < blocks; ++b) {
        f.features_total += __builtin_popcount(gf->features[b].available);
        f.features_active += __builtin_popcount(gf->features[b].active);
      }
    }
  }
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  if (ethtool_ioctl(sock.get(), ifname, &ch) == 0) {
    f.combined_queues = static_cast<int>(ch.combined_count);
    f.max_combined = static_cast<int>(ch.max_combined);
    if (ch.rx_count) f.rx_queues = static_cast<int>(ch.rx_count);
    if (ch.tx_count) f.tx_queues = static_cast<int>(ch.tx_count);
  }
  if (!f.rx_queues) {  // drivers without GCHANNELS: the queues sysfs shows
    int rx = 0, tx = 0;
    for (const auto& q : root.list("/sys/class/net/" + ifname + "/queues")) {
      rx += q.rfind("rx-", 0) == 0;
      tx += q.rfind("tx-", 0) == 0;
    }
    f.rx_queues = rx;
    f.tx_queues = tx;
  }
  std::string want_driver = ctx.device.value("driver", "");
  std::string want_bus = pci_address(root, ifname);
  ctx.out() << ifname << ": driver " << f.driver << " " << f.version << ", firmware " << f.firmware << ", bus " << f.bus_info
            << ", features " << f.features_active << "/" << f.features_total << ", queues rx " << f.rx_queues.value_or(0)
            << " tx " << f.tx_queues.value_or(0) << " combined " << f.combined_queues.value_or(0) << '\n';
  auto r = check_ethtool(f, want_driver, want_bus);
  if (!f.firmware.empty()) r.messages.push_back("firmware " + f.firmware);
  return r;
}

TestResult nic_mtu(TestContext& ctx) {
  if (auto e = require_live(ctx, "nic.mtu")) return *e;
  auto ifname = ifname_of(ctx);
  if (ifname.empty()) return TestResult::error("the device has no interface name (props.ifname)");
  if (::geteuid() != 0) return TestResult::error("changing the MTU needs root");
  Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  MtuSteps s;
  s.original = read_mtu(sock.get(), ifname);
  if (s.original <= 0) return TestResult::fail(ifname + ": cannot read the MTU: " + std::strerror(errno));
  s.target = static_cast<int>(param_long(ctx, "mtu", 9000, 68, 65535));
  s.set_error = set_mtu(sock.get(), ifname, s.target);
  s.read_after_set = read_mtu(sock.get(), ifname);
  s.restore_error = set_mtu(sock.get(), ifname, s.original);
  s.read_after_restore = read_mtu(sock.get(), ifname);
  ctx.out() << ifname << ": MTU " << s.original << " -> " << s.read_after_set << " -> " << s.read_after_restore << '\n';
  return check_mtu(s);
}

TestResult nic_throughput(TestContext& ctx) {
  if (auto e = require_live(ctx, "nic.throughput")) return *e;
  auto ifname = ifname_of(ctx);
  if (ifname.empty()) return TestResult::error("the device has no interface name (props.ifname)");
  std::string target = ctx.param("peer");
  if (target.empty())
    return TestResult::skip("no peer machine configured: run `certify peer --listen` on a second machine on this link and "
                            "`certify run --param peer=HOST`");
  auto o = measure_options(ctx);
  o.host = target;
  if (auto colon = target.rfind(':'); colon != std::string::npos && target.find(':') == colon) {
    o.host = target.substr(0, colon);
    o.port = std::atoi(target.c_str() + colon + 1);
  }
  // Every socket is bound to this port: the measurement crosses it even when
  // the routing table would prefer another. The peer must answer first.
  o.bind_device = ifname;
  auto h = peer::hello(o.host, o.port, o.timeout_s, ifname);
  if (!h) return TestResult::fail("peer check: " + h.message());
  auto ms = measure_all(o, ctx.out());
  if (!ms) return TestResult::fail(ms.message());
  if (!ms->empty() && !address_on(ms->front().local_address, ifname))
    return TestResult::fail("the peer " + o.host + " is reached from " + ms->front().local_address + ", not through " + ifname +
                            " (check the peer address and routes)");
  probe::Sysroot root(ctx.sysroot);
  std::optional<long> link;
  if (auto sp = root.attr_int("/sys/class/net/" + ifname + "/speed", 10); sp && *sp > 0) link = *sp;
  return check_throughput(*ms, link, static_cast<double>(param_long(ctx, "min_share_percent", 40, 0, 100)),
                          static_cast<double>(param_long(ctx, "min_mbps", 10, 0, 10000000)),
                          static_cast<double>(param_long(ctx, "max_loss_percent", 1, 0, 100)));
}

TestResult nic_peer_netns(TestContext& ctx) {
  if (auto e = require_live(ctx, "nic.peer-netns")) return *e;
  if (::geteuid() != 0) return TestResult::error("network namespaces and veth need root");
  auto pair = NetnsPair::create("cfy-peer0", "cfy-peer1");
  if (!pair) {
    if (pair.message().find("Operation not supported") != std::string::npos ||
        pair.message().find("not supported") != std::string::npos)
      return TestResult::skip("the kernel cannot create veth pairs (veth driver not built or not loadable): " + pair.message());
    return TestResult::fail(pair.message());
  }
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return TestResult::error(std::string("pipe: ") + std::strerror(errno));
  Fd rd(pipefd[0]), wr(pipefd[1]);
  std::atomic<bool> stop{false};
  Status server_status = ok_status();
  std::ostringstream server_log;
  std::thread server([&] {
    server_status = pair->run_in(true, [&]() -> Status {
      if (auto st = NetnsPair::configure("cfy-peer0", "10.231.0.1", 24); !st) {
        (void)::write(wr.get(), "0\n", 2);
        return st;
      }
      peer::ServeOptions so;
      so.bind = "10.231.0.1";
      so.port = 0;
      so.stop = &stop;
      so.bound_port_fd = wr.get();
      return peer::serve(so, server_log);
    });
  });
  char buf[16] = {};
  ssize_t n = ::read(rd.get(), buf, sizeof buf - 1);
  int port = n > 0 ? std::atoi(buf) : 0;
  Result<std::vector<peer::Measurement>> ms = make_error("the peer did not start");
  if (port > 0) {
    auto o = measure_options(ctx);
    o.host = "10.231.0.1";
    o.port = port;
    Status client = pair->run_in(false, [&]() -> Status {
      if (auto st = NetnsPair::configure("cfy-peer1", "10.231.0.2", 24); !st) return st;
      // veth carrier follows both ends being up: wait for it.
      for (int i = 0; i < 50; ++i) {
        auto h = peer::hello(o.host, o.port, 1);
        if (h) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      ms = measure_all(o, ctx.out());
      return ok_status();
    });
    if (!client) ms = client.error();
  }
  stop = true;
  server.join();
  ctx.out() << server_log.str();
  if (!server_status) return TestResult::fail("peer in namespace A: " + server_status.message());
  if (!ms) return TestResult::fail(ms.message());
  // veth has no line rate: the floor is min_mbps.
  return check_throughput(*ms, std::nullopt, 0, static_cast<double>(param_long(ctx, "min_mbps", 10, 0, 10000000)),
                          static_cast<double>(param_long(ctx, "max_loss_percent", 1, 0, 100)));
}

TestResult nic_sriov(TestContext& ctx) {
  if (auto e = require_live(ctx, "nic.sriov")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto ifname = ifname_of(ctx);
  auto dev = "/sys/class/net/" + ifname + "/device";
  SriovSteps s;
  s.total = static_cast<int>(root.attr_int(dev + "/sriov_totalvfs", 10).value_or(0));
  if (s.total <= 0) return check_sriov(s);
  if (::geteuid() != 0) return TestResult::error("enabling VFs needs root");
  if (root.attr_int(dev + "/sriov_numvfs", 10).value_or(0) != 0)
    return TestResult::fail(ifname + " already has VFs enabled; the test will not disturb them");
  s.requested = static_cast<int>(std::min<long>(param_long(ctx, "vfs", 2, 1, 4096), s.total));
  auto count_vfs = [&] {
    int n = 0;
    for (const auto& e : root.list(dev)) n += e.rfind("virtfn", 0) == 0;
    return n;
  };
  s.enable_error = write_sysfs(dev + "/sriov_numvfs", std::to_string(s.requested));
  for (int i = 0; i < 100 && s.enable_error.empty(); ++i) {
    s.appeared = count_vfs();
    if (s.appeared == s.requested) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  s.disable_error = write_sysfs(dev + "/sriov_numvfs", "0");
  for (int i = 0; i < 100; ++i) {
    s.left_after_disable = count_vfs();
    if (s.left_after_disable == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return check_sriov(s);
}

}  // namespace certify::suites
