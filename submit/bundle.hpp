// The results bundle (.cbundle, certify-bundle(5)): a deterministic tar + zstd
// archive of one run's results with a manifest of sizes and SHA-256 hashes,
// written and read with libarchive. The reader treats every input as hostile.
//
// Layout. The zstd stream is two parts, each made of whole zstd frames:
//   head: tar entries manifest.json [, manifest.sig] [, manifest.sm2.sig]
//         (no end-of-archive marker), one frame;
//   body: every other member in byte order of their paths, then the tar end
//         marker, compressed by libarchive (zstd level 3, worker threads).
// Together they decompress to one ordinary tar archive, so `tar --zstd -x`
// reads a bundle. The manifest comes first so that a reader knows, before any
// member data, what may follow and can check the signature up front. Signing
// later replaces the head frame only and copies the body's compressed bytes
// unchanged: no recompression and no rehashing of the logs.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "submit/sign.hpp"

namespace certify::submit {

inline constexpr int k_bundle_schema_version = 1;
inline constexpr std::string_view k_bundle_format = "certify-bundle";
inline constexpr std::string_view k_manifest_member = "manifest.json";
inline constexpr std::string_view k_signature_member = "manifest.sig";
inline constexpr std::string_view k_sm2_signature_member = "manifest.sm2.sig";

// Bounds a reader enforces. Sizes in bytes; all are checked against the
// bytes actually decompressed, never only against what headers claim.
struct BundleLimits {
  std::uint64_t max_members = 100000;                        // manifest entries and tar members
  std::uint64_t max_member_bytes = std::uint64_t{4} << 30;   // one member
  std::uint64_t max_total_bytes = std::uint64_t{64} << 30;   // all members, decompressed
  std::uint64_t max_manifest_bytes = std::uint64_t{64} << 20;
  std::size_t max_path_bytes = 1024;
  // Zip-bomb guard: decompressed bytes may exceed ratio_slack_bytes plus
  // max_ratio times the compressed bytes consumed so far, never more.
  std::uint64_t max_ratio = 2000;
  std::uint64_t ratio_slack_bytes = std::uint64_t{64} << 20;
};

// One member listed in the manifest.
struct BundleMember {
  std::uint64_t size = 0;  // bytes
  std::string sha256;      // lower-case hex, equal to the manifest's
  std::string content;     // the bytes; filled by read_bundle_bytes only
};

struct BundleContents {
  nlohmann::json manifest;     // parsed manifest.json, checked against the schema rules
  std::string manifest_bytes;  // its exact bytes (what signatures cover)
  std::optional<std::string> signature;      // manifest.sig member, if present
  std::optional<std::string> sm2_signature;  // manifest.sm2.sig member, if present
  std::map<std::string, BundleMember> files;  // every other member by path (= manifest "files")
  std::uint64_t total_bytes = 0;              // sum of the files' sizes
};

// Receives a bundle's members as the reader streams them. Every check that
// can be made before data flows is made first; a member's data is only
// known good once end_member() is called (its size and SHA-256 matched).
class MemberSink {
 public:
  virtual ~MemberSink() = default;
  // The manifest and signature members are read; no other member yet.
  virtual Status on_manifest(const BundleContents& head) = 0;
  virtual Status begin_member(const std::string& path, std::uint64_t size) = 0;
  virtual Status member_data(std::string_view chunk) = 0;
  virtual Status end_member() = 0;
};

// Reads and checks a bundle held in memory: zstd-compressed tar only; every
// member a regular file with a safe relative UTF-8 path (no absolute paths,
// no "." or ".." parts, no links, devices, fifos or directories), no
// duplicates, within `limits`; manifest.json first and well-formed; every
// member listed in the manifest with the same size and SHA-256, and every
// manifest entry present. Signatures are returned, not checked (see
// verify.hpp). Error messages are valid UTF-8 whatever the member names.
// With `sink`, members also stream to it (content is kept either way).
Result<BundleContents> read_bundle_bytes(std::string_view bytes, const BundleLimits& limits,
                                         MemberSink* sink = nullptr);

// The same checks streaming from a file (or, with `sink`, handing members to
// it). Returned files carry size and hash, not content.
Result<BundleContents> read_bundle_file(const std::filesystem::path& path, const BundleLimits& limits,
                                        MemberSink* sink = nullptr);

// Reads a bundle into `target`, which must not exist or be an empty
// directory. Nothing is created outside it: paths are checked before use and
// created with openat(O_NOFOLLOW | O_EXCL) below a directory fd. `on_manifest`
// (optional) runs before any member is written, e.g. to check the signature.
// On any failure everything extracted so far is removed again.
Result<BundleContents> extract_bundle(const std::filesystem::path& bundle, const std::filesystem::path& target,
                                      const BundleLimits& limits,
                                      const std::function<Status(const BundleContents&)>& on_manifest = {});

struct BundleOptions {
  std::filesystem::path results;  // a run folder: results.json, inventory.json, plan.json, logs/
  std::filesystem::path output;   // the .cbundle to write (replaced atomically)
  int level = 3;                  // zstd level
  int threads = 0;                // zstd workers; 0 = one per CPU. Output is the same for any value.
  std::vector<Key> sign_with;     // private keys: sign while bundling (saves a pass)
};

struct BundleReport {
  nlohmann::json manifest;
  std::uint64_t members = 0;            // files in the manifest
  std::uint64_t input_bytes = 0;        // their total size
  std::uint64_t output_bytes = 0;       // size of the .cbundle
  std::vector<std::string> skipped;     // non-regular files left out (with why)
};

// Writes the bundle of a run folder. journal.db* and anything that is not a
// regular file are left out (reported in `skipped`); names must be UTF-8.
Result<BundleReport> write_bundle(const BundleOptions& options);

// The run folder to bundle for DIR: DIR itself when it holds results.json,
// else its newest sub-folder (by results.json mtime) that does.
Result<std::filesystem::path> find_run_dir(const std::filesystem::path& dir);

// Adds (or replaces) the signatures of `keys` in an existing bundle, one per
// algorithm, keeping the other algorithm's signature. Rewrites the head frame
// only; the body's bytes are copied (copy_file_range). The file is replaced
// atomically. Returns the signature members' names written.
Result<std::vector<std::string>> sign_bundle_file(const std::filesystem::path& path, const std::vector<Key>& keys);

// A member name made printable and valid UTF-8 for messages: invalid bytes
// and control characters become \xNN, long names are shortened.
std::string display_name(std::string_view name);

}  // namespace certify::submit
