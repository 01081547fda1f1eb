// libFuzzer target: the device-class parsers that read bytes we do not
// control — NVMe Identify Controller data (from the drive's firmware) and
// hwdata/dpu.ids lines. Results must always serialise (valid UTF-8 JSON).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "probe/probe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // As given (short data must be refused), and zero-padded to a full page.
  (void)certify::probe::parse_nvme_identify(std::span<const std::uint8_t>(data, size));
  std::vector<std::uint8_t> page(4096, 0);
  std::memcpy(page.data(), data, size < page.size() ? size : page.size());
  if (auto j = certify::probe::parse_nvme_identify(page); j.ok()) (void)j->dump();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = certify::probe::parse_dpu_ids(text, "fuzz"); t.ok())
    for (const auto& e : *t)
      if (e.product.empty() || e.source.empty()) __builtin_trap();
  return 0;
}
