// os-snapshot: a versioned JSON record of what an OS offers to software,
// one object per dimension (key -> value), read through a Sysroot so a
// chroot or recorded tree snapshots like the live system.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "probe/sysroot.hpp"

namespace certify::swcompat {

inline constexpr const char* k_snapshot_format = "certify-os-snapshot";
// Bump when a dimension changes meaning; readers refuse newer versions.
inline constexpr int k_snapshot_format_version = 1;

// Every dimension, in report order.
const std::vector<std::string>& snapshot_dimensions();

struct SnapshotOptions {
  std::vector<std::string> dimensions;  // empty: all
  std::string created;                  // ISO 8601 time stamp to record ("" = now)
};

// Takes the snapshot; dimensions that cannot be read stay empty with a
// warning naming what was missing.
nlohmann::json take_snapshot(const probe::Sysroot& root, const SnapshotOptions& options);

// Checks format, version and shape; refuses newer format versions.
Status validate_snapshot(const nlohmann::json& snap);
Result<nlohmann::json> load_snapshot(const std::filesystem::path& path);

// Module.symvers lines: "0xCRC\tsymbol\tmodule\tEXPORT_TYPE[\tnamespace]".
struct KernelSymbol {
  std::string crc;     // "0x1234abcd", "" when unknown
  std::string module;  // "vmlinux" or the exporting module
  std::string export_type;
};
std::map<std::string, KernelSymbol> parse_module_symvers(std::string_view text, std::vector<std::string>& errors);

// Exported symbols listed in /proc/kallsyms (__ksymtab_* entries, present
// with CONFIG_KALLSYMS_ALL); CRCs are not available there.
std::map<std::string, KernelSymbol> parse_kallsyms_exports(std::string_view text);

// Splits a kernel command line into parameters (quotes respected).
std::vector<std::pair<std::string, std::string>> split_cmdline(std::string_view cmdline);

// Normalised architecture name ("amd64" -> "x86_64", "arm64" -> "aarch64",
// "noarch"/"all" -> "").
std::string canonical_arch(std::string_view arch);

}  // namespace certify::swcompat
