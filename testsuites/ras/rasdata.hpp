// RAS data readers: the text the kernel exposes about memory failure, EINJ,
// PCIe AER, EDAC and machine checks, parsed into plain structs. Every input
// here is untrusted text (fixtures, sysfs of odd firmware, trace buffers):
// a malformed line is an error with its line number, never a crash
// (fuzz/ras.cpp). Reads go through a Sysroot so recorded trees replay.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "probe/sysroot.hpp"

namespace certify::suites::ras {

// One "Key:   value kB" line of /proc/meminfo, in kB; nullopt when absent or malformed.
std::optional<std::int64_t> meminfo_kb(std::string_view meminfo, std::string_view key);

// A kernel config option from a .config text: "y", "m", a value, or "n" for
// "# CONFIG_X is not set"; nullopt when the option is not mentioned.
std::optional<std::string> kconfig_value(std::string_view config, std::string_view option);

// What the running kernel's config says (/proc/config.gz, else
// /boot/config-<release>); `source` names the file used. nullopt value when no
// config file could be read (then `source` says which were tried).
struct KconfigLookup {
  std::optional<std::string> value;  // as kconfig_value()
  bool found_config = false;
  std::string source;
};
KconfigLookup kernel_config(const probe::Sysroot& root, std::string_view option);

// EINJ available_error_type: "0x00000008\tMemory Correctable" lines.
struct EinjType {
  std::uint32_t mask = 0;
  std::string name;
};
Result<std::vector<EinjType>> parse_einj_types(std::string_view text);
// The EINJ type bits (ACPI 6.x table 18-409) for memory errors.
inline constexpr std::uint32_t k_einj_mem_correctable = 0x00000008;
inline constexpr std::uint32_t k_einj_mem_uncorrectable_nonfatal = 0x00000010;
inline constexpr std::uint32_t k_einj_mem_uncorrectable_fatal = 0x00000020;

// An AER counters file (aer_dev_correctable, aer_dev_fatal, aer_dev_nonfatal):
// "RxErr 0" lines, including TOTAL_ERR_COR / TOTAL_ERR_FATAL / TOTAL_ERR_NONFATAL.
using AerCounters = std::map<std::string, std::uint64_t>;
Result<AerCounters> parse_aer_counters(std::string_view text);

// AER state of one PCI function from sysfs.
struct AerDevice {
  std::string bdf;              // "0000:09:00.0"
  bool root_port = false;       // has aer_rootport_total_err_* files
  std::optional<AerCounters> correctable, fatal, nonfatal;
  std::map<std::string, std::uint64_t> rootport;  // "total_err_cor" -> n
  std::vector<std::string> errors;                // unreadable or malformed files
};
// Every /sys/bus/pci/devices/* that exposes AER statistics (the kernel
// creates them only for functions with the AER capability it manages).
std::vector<AerDevice> read_aer_devices(const probe::Sysroot& root);

// Extended capability walk of a PCI config space dump (4096 bytes when read
// as root): true when capability `cap_id` (AER = 0x0001) is present.
// Bounds-checked; loops and short dumps end the walk.
bool pcie_has_ext_cap(std::span<const std::uint8_t> config, std::uint16_t cap_id);
inline constexpr std::uint16_t k_ext_cap_aer = 0x0001;

// EDAC memory controllers and their DIMMs (/sys/devices/system/edac/mc).
struct EdacDimm {
  std::string name;      // "dimm0" (or "rank0" on csrow-only drivers)
  std::string label;     // dimm_label
  std::string location;  // dimm_location
  std::string mem_type;  // dimm_mem_type
  std::int64_t size_mb = 0;
  std::int64_t ce_count = 0, ue_count = 0;
};
struct EdacMc {
  std::string name;      // "mc0"
  std::string mc_name;   // driver's controller name
  std::int64_t size_mb = 0;
  std::int64_t ce_count = 0, ue_count = 0, ce_noinfo_count = 0, ue_noinfo_count = 0;
  std::int64_t seconds_since_reset = 0;
  std::vector<EdacDimm> dimms;
};
struct EdacSnapshot {
  std::vector<EdacMc> mcs;
  std::vector<std::string> warnings;  // missing or malformed attributes, by path
  std::int64_t total_ce() const;
  std::int64_t total_ue() const;
};
EdacSnapshot read_edac(const probe::Sysroot& root);

// SMBIOS type 17 (Memory Device) from a raw structure
// (/sys/firmware/dmi/entries/17-N/raw): size and locator.
struct SmbiosDimm {
  bool populated = false;
  std::int64_t size_mb = 0;  // 0 when not installed
  std::string locator, bank_locator;
};
Result<SmbiosDimm> parse_smbios_type17(std::span<const std::uint8_t> raw);
// Every type 17 entry in the sysroot's DMI sysfs.
std::vector<SmbiosDimm> read_smbios_dimms(const probe::Sysroot& root, std::vector<std::string>& warnings);

// One mce_record trace event line ("... MC2: 9000000000000000, ...
// ADDR/MISC/SYND: 0000000001234000/...").
struct MceTrace {
  int cpu = -1;
  int bank = -1;
  std::uint64_t status = 0, addr = 0, misc = 0;
};
std::optional<MceTrace> parse_mce_trace_line(std::string_view line);

// One /dev/kmsg record: "prio,seq,usec,flags;message".
struct KmsgRecord {
  int priority = 0;  // syslog prio+facility value
  std::uint64_t seq = 0, usec = 0;
  std::string message;
};
std::optional<KmsgRecord> parse_kmsg_record(std::string_view record);

}  // namespace certify::suites::ras
