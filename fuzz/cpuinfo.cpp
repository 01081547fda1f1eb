// libFuzzer target: /proc/cpuinfo text through the parser and every
// architecture's interpretation, plus the CPU list/mask and cpu-parts parsers.
// The result must always serialise (valid UTF-8 JSON).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "probe/cpu.hpp"

namespace {

const certify::probe::CpuPartTable& parts() {
  static const auto table = [] {
    auto t = certify::probe::parse_cpu_parts(
        "implementer 0x41 ARM ; fuzz\npart 0x41 0xd0c Neoverse-N1 ; fuzz\n"
        "implementer 0x48 HiSilicon ; fuzz\npart 0x48 0xd01 Kunpeng-920 / TaiShan-v110 ; fuzz\n",
        "fuzz");
    if (!t.ok()) std::abort();
    return *t;
  }();
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto info = certify::probe::parse_cpuinfo(text);
  for (std::string_view arch : {"", "x86_64", "aarch64", "loongarch64", "riscv64", "ppc64le", "s390x",
                                "mips64", "sw_64", "unknown"}) {
    std::vector<std::string> warnings;
    auto j = certify::probe::identify_cpu(info, arch, parts(), warnings);
    (void)j.dump();  // throws (and so aborts the fuzzer) on invalid UTF-8
  }
  // Error messages end up in the inventory's warnings: they must serialise too.
  auto list = certify::probe::parse_cpu_list(text);
  if (!list.ok()) (void)nlohmann::json(list.message()).dump();
  auto mask = certify::probe::parse_cpu_mask(text);
  if (!mask.ok()) (void)nlohmann::json(mask.message()).dump();
  auto parts_result = certify::probe::parse_cpu_parts(text, "fuzz");
  if (!parts_result.ok()) (void)nlohmann::json(parts_result.message()).dump();
  (void)certify::probe::parse_cache_size(text);
  return 0;
}
