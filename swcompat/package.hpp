// Package model and readers for .deb (ar + control.tar + data.tar) and .rpm
// (lead, signature header, header, cpio payload). All reads are bounded; a
// truncated or foreign file is an error, never a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "swcompat/version.hpp"

namespace certify::swcompat {

enum class PackageFormat { deb, rpm };
const char* format_name(PackageFormat f);

struct PackageFile {
  std::string path;          // absolute, as installed ("/usr/bin/hello")
  std::string type;          // "file", "dir", "symlink", "hardlink", "other"
  std::uint32_t mode = 0;    // permission bits
  std::uint64_t size = 0;    // bytes
  std::string link_target;   // symlinks and hard links
  std::string sha256, sha1;  // regular files
  // Content kept for the files later checks read: ELF objects, kernel
  // modules, copyright/licence files (bounded by ReadLimits).
  std::string content;
  bool content_kept = false;
};

struct Package {
  PackageFormat format = PackageFormat::deb;
  std::string name, version, architecture, maintainer, summary, homepage, source;
  std::string license;         // declared licence text as found
  std::string license_origin;  // "rpm License tag", "control License field", "debian/copyright (DEP-5)"
  std::vector<DependencyGroup> depends;  // deb Depends+Pre-Depends, rpm Requires
  std::vector<Dependency> provides, conflicts;
  std::map<std::string, std::string> scripts;  // preinst/postinst/prerm/postrm (rpm: mapped)
  std::map<std::string, std::string> fields;   // raw control fields or rpm tags, for evidence
  std::vector<PackageFile> files;
  std::vector<std::string> warnings;
  std::string sha256;          // of the package file
  std::uint64_t size = 0;      // bytes

  VersionScheme scheme() const { return format == PackageFormat::deb ? VersionScheme::deb : VersionScheme::rpm; }
  const PackageFile* file(std::string_view path) const;
};

struct ReadLimits {
  std::uint64_t max_member = 512ull << 20;     // one archive member, bytes
  std::uint64_t max_kept = 1ull << 30;         // total content kept in memory, bytes
  std::size_t max_files = 200000;
};

// Parses a package held in memory; the format is recognised by magic.
Result<Package> parse_package(std::span<const unsigned char> data, const ReadLimits& limits = {});
Result<Package> read_package(const std::filesystem::path& path, const ReadLimits& limits = {});

// Installed-package headers as an rpm database keeps them (no payload, no
// files): one header as headerExport writes it, i.e. rpmdb.sqlite's
// Packages.blob (no leading magic); or an `rpmdb --exportdb` stream of
// headers back to back, each with its magic.
Result<Package> parse_rpm_db_header(std::span<const unsigned char> blob);
Result<std::vector<Package>> parse_rpm_header_stream(std::span<const unsigned char> data);

// Debian control paragraphs (deb-control(5)): "Field: value" with
// continuation lines. Keys keep their spelling; lookups are case-insensitive
// through lower-case keys in `fields`.
std::vector<std::map<std::string, std::string>> parse_control_paragraphs(std::string_view text);

// Decompresses a gzip/xz/zstd/bzip2 blob (or returns plain data unchanged).
Result<std::string> decompress(std::string_view data, std::uint64_t max_out);

}  // namespace certify::swcompat
