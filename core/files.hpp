// Whole-file reads and crash-safe writes used by every module.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace certify {

// Reads at most max_bytes; a larger file is an error (never silently cut).
Result<std::string> read_file(const std::filesystem::path& path,
                              std::size_t max_bytes = std::size_t{1} << 30);

// Writes to a temporary file in the same directory, fsyncs it and renames it
// over `path`, so readers see the old or the new content, never a torn file.
// What exists there and is neither a file nor a folder (/dev/null, a FIFO, a
// terminal: `-o /dev/null`) is written where it is: a rename would replace
// it with a regular file, and root may rename over /dev/null.
Status write_file_atomic(const std::filesystem::path& path, std::string_view data,
                         unsigned mode = 0644);
// All of data to fd (a short write continues, EINTR retried); an error
// "cannot write <path>: <reason>" names path.
Status write_all(int fd, std::string_view data, const std::filesystem::path& path);

// Whether `path` exists and is neither a file nor a folder (a device, a
// FIFO, a socket): output goes into it, never renamed over it.
bool is_special_file(const std::filesystem::path& path);

// Lower-case hex SHA-256 of data (OpenSSL).
std::string sha256_hex(std::string_view data);

}  // namespace certify

namespace certify {

// certify's installed data directory (hwdata/, schemas/, testsuites/):
// $CERTIFY_DATADIR if set; else <prefix>/share/certify next to the running
// executable (so an installed tree can be relocated, e.g. into a test root);
// else the configured install path; else the source tree (uninstalled build).
std::filesystem::path data_dir();

// dir / name as std::filesystem::path's operator/ joins a relative file
// name ("" / n = n, "a/" / n = "a/n"), as a string: the probe joins a few
// paths per run, and path's own code is a few hundred blocks that a TCG
// guest translates on every run.
std::string path_join(std::string_view dir, std::string_view name);

}  // namespace certify
