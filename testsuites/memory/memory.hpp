// memory suite: pattern tests over a share of free memory with threads, huge
// pages of every size the kernel offers, NUMA placement and bandwidth per
// node, installed size against SMBIOS. Criteria are pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "testsuites/builtin.hpp"

namespace certify::suites::memory {

enum class Pattern { walking_ones, walking_zeros, checkerboard, random, address };
std::string_view pattern_name(Pattern p);
inline constexpr Pattern k_patterns[] = {Pattern::walking_ones, Pattern::walking_zeros, Pattern::checkerboard,
                                         Pattern::random, Pattern::address};

// Word i of a region whose first word has global index `base`; `seed` varies
// the random pattern per pass. address: the word's own virtual address.
void fill_pattern(Pattern p, std::span<std::uint64_t> words, std::uint64_t base, std::uint64_t seed);

struct Mismatch {
  std::size_t index = 0;  // in the span
  std::uint64_t expected = 0, actual = 0;
};
// Count of words that differ, and the first one.
std::size_t verify_pattern(Pattern p, std::span<const std::uint64_t> words, std::uint64_t base, std::uint64_t seed,
                           std::optional<Mismatch>& first);

struct PatternReport {
  std::uint64_t bytes = 0;
  int threads = 0, passes = 0;
  double seconds = 0;
  std::uint64_t mismatches = 0;
  std::string first;  // "walking-ones: word 0x7f.. expected 0x.. got 0x.."
};
TestResult check_pattern_report(const PatternReport& r);

struct HugeObservation {
  std::uint64_t page_kb = 0;
  int pages = 0;
  std::string reserve_error;    // could not get free pages (write error or kernel refused)
  bool kernel_refused = false;  // nr_hugepages write accepted but the pool did not grow
  std::string map_error;        // mmap/touch error
  std::int64_t free_before = -1, free_mapped = -1;  // free_hugepages before and while mapped
  bool data_ok = false;
};
// Default huge page size must work; larger sizes the kernel cannot reserve at
// runtime (fragmentation) are reported, not failed.
TestResult check_hugepages(const std::vector<HugeObservation>& obs, std::uint64_t default_kb);

struct NodeObservation {
  int node = -1;
  std::string error;              // mbind / mmap / move_pages
  std::size_t pages = 0, pages_on_node = 0;
  std::vector<int> other_nodes;   // nodes pages landed on instead
  double local_mbps = 0;          // written from a CPU of the node
  std::optional<double> remote_mbps;  // from a CPU of another node
};
TestResult check_numa(const std::vector<NodeObservation>& nodes, double min_mbps);

// Installed DIMM capacity (bytes, from SMBIOS type 17 in the inventory)
// against the kernel's MemTotal: MemTotal must not exceed it and must reach
// at least (100 - tolerance_percent)% of it.
TestResult check_memory_size(std::optional<std::uint64_t> dimm_bytes, std::uint64_t memtotal_bytes, double tolerance_percent);
// Installed capacity from the inventory's memory section (dimm_total_bytes or
// the sum of dimms[].size_bytes); nullopt when SMBIOS gave no memory devices.
std::optional<std::uint64_t> dimm_total_bytes(const nlohmann::json& memory_section);

}  // namespace certify::suites::memory
