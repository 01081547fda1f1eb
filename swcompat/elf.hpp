// ELF dynamic-linking facts through libelf: soname, DT_NEEDED, RPATH,
// version needs (.gnu.version_r) and definitions (.gnu.version_d), and for
// kernel modules the __versions CRC table and undefined symbols.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace certify::swcompat {

struct ElfInfo {
  int bits = 0;                  // 32 or 64
  bool little_endian = true;
  unsigned machine = 0;          // e_machine
  std::string arch;              // "x86_64", "aarch64", ... ("" when unknown)
  std::string type;              // "exec", "dyn", "rel", "core", "other"
  std::string interpreter;       // PT_INTERP
  std::string soname;
  std::vector<std::string> needed;
  std::vector<std::string> rpath;  // DT_RPATH and DT_RUNPATH entries
  // soname -> versions needed from it (e.g. "libc.so.6" -> {"GLIBC_2.34"}).
  std::map<std::string, std::vector<std::string>> version_needs;
  std::vector<std::string> version_defs;  // excluding the file's own base name
  bool is_dynamic = false;
  // Kernel modules (ET_REL): symbol -> CRC from __versions, undefined
  // symbols from .symtab, .modinfo key=value pairs.
  std::map<std::string, std::uint32_t> modversions;
  std::vector<std::string> undefined;
  std::vector<std::pair<std::string, std::string>> modinfo;
};

// Parses an ELF image in memory (copied: libelf may convert in place).
Result<ElfInfo> parse_elf(std::string_view image);
// Parses a file through an mmap; cheaper for a whole-system library scan.
Result<ElfInfo> parse_elf_file(const std::filesystem::path& path);

bool is_elf(std::string_view data);

// Architecture name for an ELF machine (uname -m spelling).
std::string elf_arch_name(unsigned machine, int bits, bool little_endian);

// The glibc version a symbol-version name stands for ("GLIBC_2.34" ->
// "2.34"), or "" when it is not a glibc version.
std::string glibc_version_of(std::string_view version_name);

}  // namespace certify::swcompat
