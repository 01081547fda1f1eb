// libFuzzer target: arbitrary bytes through the hostile-input-safe bundle
// reader (tar + zstd via libarchive, path checks, limits, manifest checks).
// libarchive and libzstd are not instrumented, so an input that is not
// already zstd is compressed here first: the fuzzer then mutates the tar
// headers and the manifest directly instead of having to get through zstd.
// Inputs starting "RAW!" go in unchanged (non-zstd archives, garbage).
// Small limits let it reach the size and ratio checks; an accepted bundle's
// manifest must serialise and agree with its members.
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "submit/bundle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string packed;
  if (input.substr(0, 4) == "RAW!") {
    input.remove_prefix(4);
  } else if (input.substr(0, 4) != "\x28\xb5\x2f\xfd") {
    packed.resize(ZSTD_compressBound(input.size()));
    auto n = ZSTD_compress(packed.data(), packed.size(), input.data(), input.size(), 1);
    if (ZSTD_isError(n)) std::abort();
    packed.resize(n);
    input = packed;
  }
  certify::submit::BundleLimits limits;
  limits.max_members = 64;
  limits.max_member_bytes = 1 << 20;
  limits.max_total_bytes = 4 << 20;
  auto contents = certify::submit::read_bundle_bytes(input, limits);
  if (!contents.ok()) return 0;
  (void)contents->manifest.dump();  // throws (and so aborts the fuzzer) on invalid UTF-8
  if (contents->files.size() != contents->manifest["files"].size()) std::abort();
  for (const auto& [path, member] : contents->files)
    if (member.content.size() != member.size || path.empty() || path.front() == '/') std::abort();
  return 0;
}
