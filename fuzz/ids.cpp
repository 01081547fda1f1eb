// libFuzzer target: pci.ids/usb.ids text through IdsFile. The IDs looked up
// come from the input's first bytes, so the fuzzer can aim at its entries;
// every lookup must stay inside the text and agree between repeated calls.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "probe/ids_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  auto word = [&](std::size_t i) { return static_cast<unsigned>(data[i] | data[i + 1] << 8); };
  unsigned v = word(0), d = word(2), sv = word(4), sd = word(6);
  auto ids = certify::probe::IdsFile::from_text(std::string(reinterpret_cast<const char*>(data) + 8, size - 8));
  auto n1 = ids.vendor(v);
  auto n2 = ids.device(v, d);
  auto n3 = ids.subsystem(v, d, sv, sd);
  auto c1 = ids.class_name(d);
  auto t1 = ids.top_class(sv & 0xff);
  // Names are views into the text: touch every byte; a second pass (now
  // from the caches, or the full index) must give the same answers.
  std::size_t sum = 0;
  for (auto n : {n1, n2, n3, t1})
    if (n)
      for (char ch : *n) sum += static_cast<unsigned char>(ch);
  if (ids.vendor(0x10000 - 1 - v) && ids.vendor(v) != n1) std::abort();
  if (ids.device(v, d) != n2 || ids.subsystem(v, d, sv, sd) != n3 || ids.class_name(d) != c1) std::abort();
  return static_cast<int>(sum & 0);
}
