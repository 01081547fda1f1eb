// CPU identification: the /proc/cpuinfo parser (every architecture's format),
// CPU list parsing, and the aarch64 implementer/part table from hwdata/cpu-parts.
// Pure functions over text, so tests and fuzzers reach them without a sysroot.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/text.hpp"
#include "core/result.hpp"

namespace certify::probe {

// One "key : value" line of /proc/cpuinfo, key and value trimmed.
using CpuinfoField = std::pair<std::string, std::string>;

struct Cpuinfo {
  // Fields outside any "processor" block: the s390 header ("vendor_id",
  // "# processors", "features", "cacheN"), the ppc trailer ("timebase",
  // "platform", "model"), loongarch/mips "system type".
  std::vector<CpuinfoField> global;
  // One entry per "processor : N" block (or s390 "cpu number : N" block), in order.
  std::vector<std::vector<CpuinfoField>> processors;
  std::vector<std::string> warnings;  // lines that could not be read
};

// Splits cpuinfo text into global fields and processor blocks. Never throws;
// unreadable lines become warnings.
Cpuinfo parse_cpuinfo(std::string_view text);

// First value of `key` in a block (exact key match).
const std::string* cpuinfo_get(const std::vector<CpuinfoField>& block, std::string_view key);

// Architecture guessed from the cpuinfo format ("x86_64", "aarch64", "loongarch64",
// "riscv64", "ppc64le", "s390x", "mips64", "sw_64"); empty when unknown.
std::string cpuinfo_arch(const Cpuinfo& info);

// "0-3,8,10-11" -> {0,1,2,3,8,10,11}. Error on malformed text or absurd ranges.
Result<std::set<int>> parse_cpu_list(std::string_view text);
// Kernel bitmap ("%*pb": "00000000,0000ff0f", most significant group first) -> CPU set.
Result<std::set<int>> parse_cpu_mask(std::string_view text);
// {0,1,2,3,8} -> "0-3,8".
std::string format_cpu_list(const std::set<int>& cpus);

// hwdata/cpu-parts: aarch64 "CPU implementer" / "CPU part" names, as
// util-linux lscpu-arm.c decodes them.
struct CpuPart {
  std::string name;  // marketed or lscpu name ("Neoverse-N1", "Kunpeng-920")
  std::string core;  // core name when it differs ("TaiShan-v110"), else empty
};
struct CpuImplementer {
  std::string name;  // "HiSilicon"
  std::map<std::uint32_t, CpuPart> parts;
};
struct CpuPartTable {
  std::map<std::uint32_t, CpuImplementer> implementers;
};
// Parses the table; any malformed line is an error naming source_name:line.
Result<CpuPartTable> parse_cpu_parts(std::string_view text, std::string_view source_name);

// Identification from cpuinfo for one architecture (arch as os.arch names it;
// empty: guessed from the text): vendor, vendor_id, model_name, family/model/
// stepping or implementer/variant/part/revision, flags, mhz, bogomips, ...
// Problems are appended to `warnings`.
nlohmann::json identify_cpu(const Cpuinfo& info, std::string_view arch, const CpuPartTable& parts,
                            std::vector<std::string>& warnings);

// Invalid UTF-8 becomes '?' (core/text.hpp).
using ::certify::valid_utf8;

// Size strings in sysfs cache/indexN/size and s390 cpuinfo ("32K", "1024K", "8M") in bytes.
std::optional<std::uint64_t> parse_cache_size(std::string_view text);

}  // namespace certify::probe
