// A certify peer (`certify peer --listen`, testsuites/nic/peer.hpp) serving
// on 127.0.0.1 in a thread of the test, on a port the kernel chose; stopped
// and joined when the object dies. Shared by the nic and rdma suite tests.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "testsuites/nic/peer.hpp"

namespace certify::test {

class LoopbackPeer {
 public:
  LoopbackPeer() {
    if (::pipe(fds_) != 0) throw std::runtime_error("pipe failed");
    server_ = std::thread([this] {
      suites::peer::ServeOptions o;
      o.bind = "127.0.0.1";
      o.port = 0;
      o.stop = &stop_;
      o.bound_port_fd = fds_[1];
      auto st = suites::peer::serve(o, log_);
      CHECK_MESSAGE(st.ok(), (st.ok() ? "" : st.message()));
    });
    char buf[16] = {};
    if (::read(fds_[0], buf, sizeof buf - 1) > 0) port_ = std::atoi(buf);
    if (port_ <= 0) {
      stop();
      throw std::runtime_error("the peer did not report its port");
    }
  }
  ~LoopbackPeer() { stop(); }
  LoopbackPeer(const LoopbackPeer&) = delete;
  LoopbackPeer& operator=(const LoopbackPeer&) = delete;

  int port() const { return port_; }
  // Stops serving (the port is free afterwards); called by the destructor.
  void stop() {
    if (!server_.joinable()) return;
    stop_ = true;
    server_.join();
    ::close(fds_[0]);
    ::close(fds_[1]);
  }

 private:
  std::atomic<bool> stop_{false};
  int fds_[2] = {-1, -1};
  int port_ = 0;
  std::ostringstream log_;
  std::thread server_;
};

}  // namespace certify::test
