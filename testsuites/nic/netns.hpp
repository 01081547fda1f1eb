// A veth pair between two fresh network namespaces, for running the peer
// test on one machine (CI, the lab). The namespaces live as long as the
// object; the veth pair goes with them.
#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "testsuites/common/fd.hpp"

namespace certify::suites::nic {

class NetnsPair {
 public:
  // Creates namespaces A and B and a veth pair (a_if in A, b_if in B).
  static Result<NetnsPair> create(const std::string& a_if, const std::string& b_if);
  // Runs fn on a new thread that has entered namespace A (or B) and waits
  // for it; the thread's sockets belong to that namespace.
  Status run_in(bool in_a, const std::function<Status()>& fn) const;
  // Inside a namespace: lo up, ifname up with an IPv4 address/prefix.
  static Status configure(const std::string& ifname, const std::string& address, int prefix);

  const Fd& a() const { return a_; }
  const Fd& b() const { return b_; }

 private:
  Fd a_, b_;
};

}  // namespace certify::suites::nic
