// libFuzzer target: the RAS text parsers (EINJ error types, AER counters,
// meminfo, kernel config, mce trace lines, kmsg records, SMBIOS type 17,
// PCIe extended capabilities). The first byte picks the parser; every
// parser sees the rest as untrusted input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "testsuites/ras/rasdata.hpp"

using namespace certify::suites::ras;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::span<const std::uint8_t> bytes(data + 1, size - 1);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 8) {
    case 0: {
      auto t = parse_einj_types(text);
      if (t)
        for (const auto& e : *t)
          if (e.name.empty()) std::abort();  // a type always has a name
      break;
    }
    case 1: {
      auto c = parse_aer_counters(text);
      if (c && c->empty()) std::abort();
      break;
    }
    case 2: {
      for (auto key : {"HardwareCorrupted", "Hugepagesize", "HugePages_Free"}) (void)meminfo_kb(text, key);
      break;
    }
    case 3: (void)kconfig_value(text, "CONFIG_MEMORY_FAILURE"); break;
    case 4: (void)parse_mce_trace_line(text); break;
    case 5: (void)parse_kmsg_record(text); break;
    case 6: {
      auto d = parse_smbios_type17(bytes);
      if (d && !d->populated && d->size_mb != 0) std::abort();
      break;
    }
    case 7: (void)pcie_has_ext_cap(bytes, k_ext_cap_aer); break;
  }
  return 0;
}
