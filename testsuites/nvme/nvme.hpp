// nvme suite: admin commands through NVME_IOCTL_ADMIN_CMD (Identify, SMART /
// Health and Firmware Slot logs), controller reset, PCIe link, fio sweep.
// The log parsers and criteria are pure so tests feed them failing logs.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "testsuites/builtin.hpp"

namespace certify::suites::nvme {

// SMART / Health Information log (log page 02h, 512 bytes; NVMe Base Spec 5.16.1.3).
struct SmartLog {
  std::uint8_t critical_warning = 0;
  int temperature_k = 0;           // composite temperature, kelvin (0: not reported)
  int available_spare = 0, spare_threshold = 0, percent_used = 0;
  std::uint64_t media_errors = 0;  // low 64 bits of the 128-bit counter (saturated when higher bits set)
  std::uint64_t error_log_entries = 0;
  std::uint64_t power_on_hours = 0;
  std::uint64_t unsafe_shutdowns = 0;
};
Result<SmartLog> parse_smart_log(std::span<const std::uint8_t> page);
// Fails on any critical warning bit, spare below threshold, endurance used
// up (>= 100%) or media errors.
TestResult check_smart(const SmartLog& s);

// Firmware Slot Information log (log page 03h, 512 bytes).
struct FwLog {
  int active_slot = 0;             // AFI bits 2:0
  int next_slot = 0;               // AFI bits 6:4 (0: none pending)
  std::array<std::string, 7> revisions;  // FRS1..FRS7
};
Result<FwLog> parse_fw_log(std::span<const std::uint8_t> page);
// Active slot valid, its revision present and equal to Identify's FR.
TestResult check_fw_log(const FwLog& f, const std::string& identify_fr);

struct IdentifyFacts {
  nlohmann::json controller;        // probe::parse_nvme_identify output
  std::string sysfs_serial, sysfs_model, pci_vendor;  // "0x1b36"
  std::vector<std::uint32_t> active_nsids;
  std::size_t sysfs_namespaces = 0;
  struct Ns {
    std::uint32_t nsid = 0;
    std::uint64_t size_blocks = 0;
    int lba_shift = 0;               // LBADS of the formatted LBA format
  };
  std::vector<Ns> namespaces;
};
Result<IdentifyFacts::Ns> parse_identify_ns(std::uint32_t nsid, std::span<const std::uint8_t> page);
TestResult check_identify(const IdentifyFacts& f);

// fio queue-depth sweep: IOPS per depth from fio's JSON. More depth must not
// lose IOPS against depth 1 (a queueing or interrupt problem otherwise).
struct SweepPoint {
  int depth = 0;
  double iops = 0;
  std::uint64_t errors = 0;
};
Result<SweepPoint> parse_fio_json(int depth, const std::string& text);
TestResult check_sweep(const std::vector<SweepPoint>& points);

}  // namespace certify::suites::nvme
