// Source scan for architecture-specific code (inline assembly, x86
// intrinsics, x86-only guards and build flags): what blocks a port to
// aarch64, loongarch64 and riscv64.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "swcompat/report.hpp"

namespace certify::swcompat {

struct SourceFinding {
  std::string file;
  int line = 0;
  std::string kind;     // "inline-asm", "x86-intrinsics-header", "x86-intrinsic", "x86-guard", "x86-build-flag", "asm-file"
  std::string text;     // the line, trimmed
};

struct SourceScan {
  std::size_t files_scanned = 0;
  std::vector<SourceFinding> findings;
  // Per port target: files with x86-specific code and no branch for that
  // architecture and no generic #else.
  std::vector<std::pair<std::string, std::vector<std::string>>> blocking;
};

// Scans one file's text (used by the directory and archive walkers).
void scan_source_text(const std::string& name, std::string_view text, SourceScan& out);
// A directory, or a tarball/source rpm read with libarchive (one level of
// nested tarballs, as in .src.rpm).
Result<SourceScan> scan_sources(const std::filesystem::path& path);

void add_source_scan_check(const std::filesystem::path& path, Report& report);

}  // namespace certify::swcompat
