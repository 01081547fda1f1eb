// libFuzzer target: arbitrary bytes through the hostile-input-safe bundle
// reader (tar + zstd via libarchive, path checks, limits, manifest checks).
// Small limits so the fuzzer reaches the size and ratio checks quickly; an
// accepted bundle's manifest must serialise and agree with its members.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "submit/bundle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  certify::submit::BundleLimits limits;
  limits.max_members = 64;
  limits.max_member_bytes = 1 << 20;
  limits.max_total_bytes = 4 << 20;
  auto contents = certify::submit::read_bundle_bytes(bytes, limits);
  if (!contents.ok()) return 0;
  (void)contents->manifest.dump();  // throws (and so aborts the fuzzer) on invalid UTF-8
  if (contents->files.size() != contents->manifest["files"].size()) std::abort();
  for (const auto& [path, member] : contents->files)
    if (member.content.size() != member.size || path.empty() || path.front() == '/') std::abort();
  return 0;
}
