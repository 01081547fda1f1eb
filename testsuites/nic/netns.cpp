// Network namespaces with unshare/setns per thread, the veth pair with one
// rtnetlink request, addresses and link state with the classic ioctls.
#include "testsuites/nic/netns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace certify::suites::nic {

namespace {

std::string err_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// A netlink message built attribute by attribute.
class NlMsg {
 public:
  explicit NlMsg(std::uint16_t type, std::uint16_t flags) {
    buf_.resize(NLMSG_HDRLEN);
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = flags;
    hdr()->nlmsg_seq = 1;
  }
  template <class T>
  void put(const T& v) { append(&v, sizeof v); }
  void attr(std::uint16_t type, const void* data, std::size_t n) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(n));
    append(&a, sizeof a);
    append(data, n);
    pad();
  }
  void attr_str(std::uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  std::size_t begin_nest(std::uint16_t type) {
    std::size_t at = buf_.size();
    rtattr a{};
    a.rta_type = type;
    append(&a, sizeof a);
    return at;
  }
  void end_nest(std::size_t at) {
    reinterpret_cast<rtattr*>(buf_.data() + at)->rta_len = static_cast<unsigned short>(buf_.size() - at);
  }
  const std::vector<char>& bytes() {
    hdr()->nlmsg_len = static_cast<std::uint32_t>(buf_.size());
    return buf_;
  }

 private:
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  void append(const void* p, std::size_t n) {
    auto* c = static_cast<const char*>(p);
    buf_.insert(buf_.end(), c, c + n);
    pad();
  }
  void pad() { buf_.resize(NLMSG_ALIGN(buf_.size()), 0); }
  std::vector<char> buf_;
};

Status rtnl_request(NlMsg& m) {
  Fd s(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!s.ok()) return make_error(err_text("netlink socket"));
  const auto& b = m.bytes();
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  if (::sendto(s.get(), b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return make_error(err_text("netlink send"));
  char reply[8192];
  ssize_t n = ::recv(s.get(), reply, sizeof reply, 0);
  if (n < 0) return make_error(err_text("netlink receive"));
  auto* h = reinterpret_cast<nlmsghdr*>(reply);
  if (n >= static_cast<ssize_t>(NLMSG_HDRLEN) && h->nlmsg_type == NLMSG_ERROR) {
    auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
    if (e->error != 0) return make_error(std::string("rtnetlink: ") + std::strerror(-e->error));
  }
  return ok_status();
}

Result<Fd> new_netns() {
  Fd out;
  std::string err;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) { err = err_text("unshare(CLONE_NEWNET)"); return; }
    out = Fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!out.ok()) err = err_text("open /proc/thread-self/ns/net");
  });
  t.join();
  if (!err.empty()) return make_error(err);
  return out;
}

Status ifreq_ioctl(int sock, unsigned long req, ifreq& ifr, const std::string& what) {
  if (::ioctl(sock, req, &ifr) != 0) return make_error(err_text(what + " " + ifr.ifr_name));
  return ok_status();
}

Status set_up(int sock, const std::string& ifname) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (auto st = ifreq_ioctl(sock, SIOCGIFFLAGS, ifr, "SIOCGIFFLAGS"); !st) return st;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  return ifreq_ioctl(sock, SIOCSIFFLAGS, ifr, "SIOCSIFFLAGS");
}

}  // namespace

Result<NetnsPair> NetnsPair::create(const std::string& a_if, const std::string& b_if) {
  NetnsPair p;
  auto a = new_netns();
  if (!a) return a.error();
  auto b = new_netns();
  if (!b) return b.error();
  p.a_ = std::move(*a);
  p.b_ = std::move(*b);
  NlMsg m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  m.put(ifi);
  m.attr_str(IFLA_IFNAME, a_if);
  std::uint32_t afd = static_cast<std::uint32_t>(p.a_.get()), bfd = static_cast<std::uint32_t>(p.b_.get());
  m.attr(IFLA_NET_NS_FD, &afd, sizeof afd);
  auto info = m.begin_nest(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "veth");
  auto data = m.begin_nest(IFLA_INFO_DATA);
  auto peer = m.begin_nest(VETH_INFO_PEER);
  ifinfomsg pifi{};
  pifi.ifi_family = AF_UNSPEC;
  m.put(pifi);
  m.attr_str(IFLA_IFNAME, b_if);
  m.attr(IFLA_NET_NS_FD, &bfd, sizeof bfd);
  m.end_nest(peer);
  m.end_nest(data);
  m.end_nest(info);
  if (auto st = rtnl_request(m); !st) return make_error("creating the veth pair: " + st.message());
  return p;
}

Status NetnsPair::run_in(bool in_a, const std::function<Status()>& fn) const {
  Status result = ok_status();
  std::thread t([&] {
    if (::setns(in_a ? a_.get() : b_.get(), CLONE_NEWNET) != 0) {
      result = make_error(err_text("setns"));
      return;
    }
    result = fn();
  });
  t.join();
  return result;
}

Status NetnsPair::configure(const std::string& ifname, const std::string& address, int prefix) {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.ok()) return make_error(err_text("socket"));
  if (auto st = set_up(s.get(), "lo"); !st) return st;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &sin->sin_addr) != 1) return make_error("bad IPv4 address " + address);
  if (auto st = ifreq_ioctl(s.get(), SIOCSIFADDR, ifr, "SIOCSIFADDR"); !st) return st;
  auto* mask = reinterpret_cast<sockaddr_in*>(&ifr.ifr_netmask);
  mask->sin_family = AF_INET;
  mask->sin_addr.s_addr = htonl(prefix == 0 ? 0 : ~0u << (32 - prefix));
  if (auto st = ifreq_ioctl(s.get(), SIOCSIFNETMASK, ifr, "SIOCSIFNETMASK"); !st) return st;
  return set_up(s.get(), ifname);
}

}  // namespace certify::suites::nic
