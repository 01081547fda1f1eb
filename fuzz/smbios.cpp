// libFuzzer target: the SMBIOS decoder. An input that starts with an entry
// point anchor is read in dmidecode's --dump-bin layout (entry point in the
// first 32 bytes, table after them); any other input is taken as a bare table
// behind valid 2.x and 3.x entry points, so random bytes reach the structure
// walk and every type decoder. Decoded facts must always serialise (valid UTF-8).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "probe/smbios.hpp"

namespace {

using certify::probe::smbios::decode_tables;

void decode(std::span<const std::uint8_t> ep, std::span<const std::uint8_t> table) {
  auto t = decode_tables(ep, table);
  if (!t.ok()) {
    (void)nlohmann::json(t.message()).dump();
    return;
  }
  for (const auto& r : t->records) {
    (void)r.facts.dump();
    for (const auto& f : r.fields) (void)nlohmann::json(f.text).dump();
  }
  for (const auto& w : t->warnings) (void)nlohmann::json(w).dump();
}

void checksum(std::vector<std::uint8_t>& b, std::size_t start, std::size_t len, std::size_t at) {
  b[at] = 0;
  std::uint8_t sum = 0;
  for (std::size_t i = start; i < start + len; ++i) sum = static_cast<std::uint8_t>(sum + b[i]);
  b[at] = static_cast<std::uint8_t>(-sum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  std::string_view head(reinterpret_cast<const char*>(data), size < 5 ? size : 5);
  if (head.starts_with("_SM") || head.starts_with("_DMI_")) {
    std::size_t ep_len = size < 32 ? size : 32;
    decode(in.first(ep_len), in.subspan(ep_len));
    return 0;
  }
  // Bare table: announce it with both entry point kinds; the first byte
  // (when there is one) picks the version, so version-dependent fields vary.
  std::uint8_t minor = size ? data[0] % 10 : 8;
  std::vector<std::uint8_t> ep2(0x1F, 0);
  std::copy_n("_SM_", 4, ep2.begin());
  ep2[0x05] = 0x1F;
  ep2[0x06] = 2;
  ep2[0x07] = minor;
  std::copy_n("_DMI_", 5, ep2.begin() + 0x10);
  ep2[0x16] = static_cast<std::uint8_t>(size);
  ep2[0x17] = static_cast<std::uint8_t>(size >> 8);
  ep2[0x1C] = ep2[0x1D] = 0xFF;  // count: "many", so the walk ends at the data's end
  checksum(ep2, 0x10, 0x0F, 0x15);
  checksum(ep2, 0, 0x1F, 0x04);
  decode(ep2, in.first(size < 0xFFFF ? size : 0xFFFF));
  std::vector<std::uint8_t> ep3(0x18, 0);
  std::copy_n("_SM3_", 5, ep3.begin());
  ep3[0x06] = 0x18;
  ep3[0x07] = 3;
  ep3[0x08] = minor;
  for (int i = 0; i < 4; ++i) ep3[0x0C + i] = static_cast<std::uint8_t>(size >> (8 * i));
  checksum(ep3, 0, 0x18, 0x05);
  decode(ep3, in);
  return 0;
}
