// Fuzz target: the package readers (.deb ar/tar, .rpm headers/cpio), the ELF
// reader, and the control/relationship parsers fed by them.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "swcompat/elf.hpp"
#include "swcompat/package.hpp"
#include "swcompat/version.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace certify::swcompat;
  ReadLimits limits;
  limits.max_member = 16u << 20;
  limits.max_kept = 32u << 20;
  limits.max_files = 10000;
  auto pkg = parse_package(std::span(data, size), limits);
  if (pkg) {
    // What sw-check does next with a parsed package.
    for (auto& f : pkg->files)
      if (f.content_kept && is_elf(f.content)) (void)parse_elf(f.content);
  }
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (is_elf(text)) (void)parse_elf(text);
  if (size < 4096) {
    std::vector<std::string> errors;
    (void)parse_deb_relations(text, errors);
    (void)parse_control_paragraphs(text);
    if (size < 256) (void)compare_versions(text.substr(0, size / 2), text.substr(size / 2), VersionScheme::rpm);
  }
  return 0;
}
