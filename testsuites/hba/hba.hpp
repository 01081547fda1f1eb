// hba, fc, disk, gpu and dpu suites: adapters and the devices behind them.
// Criteria are pure functions over observed facts.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "testsuites/builtin.hpp"

namespace certify::suites::hba {

struct HostFacts {
  std::string name;            // "host3"
  bool present = false;
  std::string state;           // scsi_host "state" when the driver has it
};
TestResult check_hosts(bool driver_bound, const std::string& driver, const std::vector<HostFacts>& hosts);

struct DiskFacts {
  std::string name;            // "sdb"
  std::uint64_t size_bytes = 0;
  std::string state;           // /sys/block/X/device/state ("running")
};
// Every disk the inventory saw is still there, and each present disk is usable.
TestResult check_disks(const std::set<std::string>& expected, const std::vector<DiskFacts>& present);

// After a rescan every disk seen before is still there.
TestResult check_rescan(const std::set<std::string>& before, const std::set<std::string>& after, const std::string& scan_error);

struct FcPort {
  std::string host, port_state, speed, supported_speeds;
};
// Online, at a speed listed among the supported ones.
TestResult check_fc_port(const FcPort& p);

}  // namespace certify::suites::hba

namespace certify::suites::gpu {

struct DrmNode {
  std::string path, driver, error;
};
TestResult check_drm_nodes(const std::vector<DrmNode>& nodes, const std::string& want_driver, bool accel_only);

struct Connector {
  std::string name;
  bool connected = false;
  int modes = 0;
};
TestResult check_modes(const std::vector<Connector>& cs, const std::string& error);

}  // namespace certify::suites::gpu

namespace certify::suites::dpu {

struct FunctionFacts {
  std::string id;            // "pci:0000:03:00.0"
  bool present = false;
  std::string pci_class;     // "0x020000"
  std::string driver;
  std::vector<std::string> netdevs;
  std::string firmware;      // ethtool fw_version of its first netdev
};
// Every function present; network functions (class 0x02) bound to a driver
// and at least one network port; other functions (management, e.g. the
// BlueField SoC management interface 0x0806) reported, unbound ones noted.
TestResult check_functions(const std::vector<FunctionFacts>& fs);
TestResult check_firmware(const std::vector<FunctionFacts>& fs);

}  // namespace certify::suites::dpu
