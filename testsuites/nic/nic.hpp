// nic suite: link, ethtool facts, MTU, throughput and loss against a
// `certify peer` (a second machine, or a network namespace over veth), SR-IOV.
// Criteria are pure functions over observed facts.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "testsuites/builtin.hpp"
#include "testsuites/nic/peer.hpp"

namespace certify::suites::nic {

struct LinkState {
  std::string ifname;
  bool carrier = false;
  std::string operstate;
  std::optional<long> speed_mbps;       // nullopt: the driver reports none
  std::optional<long> expected_mbps;    // param or fastest supported link mode
  bool reports_link_modes = false;      // the driver lists supported link modes
  std::string duplex;                   // "full", "half", "unknown"
};
TestResult check_link(const LinkState& s);

// "25000baseSR/Full" -> 25000; nullopt for junk.
std::optional<long> link_mode_speed(const std::string& mode);
// Fastest of the inventory's supported_link_modes.
std::optional<long> fastest_link_mode(const nlohmann::json& device);

struct EthtoolFacts {
  std::string driver, version, firmware, bus_info;
  std::string drvinfo_error;
  int features_total = 0, features_active = 0;
  std::string features_error;
  std::optional<int> rx_queues, tx_queues, combined_queues, max_combined;
};
// Driver named and equal to the inventory's, bus address equal to the PCI
// function's, offload features answered, at least one RX and TX queue.
TestResult check_ethtool(const EthtoolFacts& f, const std::string& want_driver, const std::string& want_bus);

struct MtuSteps {
  int original = 0, target = 0;
  std::string set_error, restore_error;
  int read_after_set = 0, read_after_restore = 0;
};
TestResult check_mtu(const MtuSteps& s);

// Each measurement against the link speed: TCP must reach min_share_percent
// of it (or min_mbps when the speed is unknown); UDP loss must stay within
// max_loss_percent. Fails when a direction is missing.
TestResult check_throughput(const std::vector<peer::Measurement>& ms, std::optional<long> link_mbps,
                            double min_share_percent, double min_mbps, double max_loss_percent);

struct SriovSteps {
  int total = 0, requested = 0;
  std::string enable_error, disable_error;
  int appeared = 0, left_after_disable = 0;
};
TestResult check_sriov(const SriovSteps& s);

}  // namespace certify::suites::nic
