// Bundle writer, hostile-input-safe reader, extraction and in-place signing
// (layout and reasons in bundle.hpp).
#include "submit/bundle.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <set>
#include <thread>

#include "certify_config.h"
#include "core/files.hpp"
#include "core/text.hpp"

namespace certify::submit {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::size_t k_chunk = std::size_t{1} << 20;
constexpr std::size_t k_max_signature_bytes = 64 << 10;
constexpr std::size_t k_max_run_json_bytes = std::size_t{256} << 20;
constexpr std::string_view k_zstd_magic = "\x28\xb5\x2f\xfd";

// ---------------------------------------------------------------------------
// Names

// A path a member may have: relative, '/'-separated, no empty, "." or ".."
// parts, printable UTF-8 (no control characters, no backslash).
Status check_path(std::string_view p, std::size_t max_bytes) {
  if (p.empty()) return make_error("member with an empty name");
  auto shown = display_name(p);
  if (p.size() > max_bytes) return make_error(shown + ": name longer than " + std::to_string(max_bytes) + " bytes");
  if (!is_valid_utf8(p)) return make_error(shown + ": name is not valid UTF-8");
  if (p.front() == '/') return make_error(shown + ": absolute path");
  for (char c : p)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\')
      return make_error(shown + ": control character or backslash in the name");
  std::size_t start = 0;
  for (;;) {
    auto end = p.find('/', start);
    auto part = p.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (part == "..") return make_error(shown + ": '..' in the path");
    if (part.empty() || part == ".") return make_error(shown + ": empty or '.' path component");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return ok_status();
}

bool is_reserved(std::string_view p) {
  return p == k_manifest_member || p == k_signature_member || p == k_sm2_signature_member;
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

struct ManifestEntry {
  std::uint64_t size = 0;
  std::string sha256;
};

// The manifest rules of schemas/manifest.schema.json that a reader relies on.
Result<std::map<std::string, ManifestEntry>> check_manifest(const json& m, const BundleLimits& limits) {
  auto bad = [](const std::string& why) { return make_error("bad manifest.json: " + why); };
  if (!m.is_object()) return bad("not a JSON object");
  if (!m.contains("schema_version") || !m["schema_version"].is_number_integer())
    return bad("no integer schema_version");
  if (m["schema_version"] != k_bundle_schema_version)
    return bad("schema_version " + m["schema_version"].dump() + " is not supported (want " +
               std::to_string(k_bundle_schema_version) + ")");
  if (!m.contains("format") || m["format"] != k_bundle_format) return bad("format is not \"certify-bundle\"");
  for (const char* key : {"tool_version", "run_id"})
    if (!m.contains(key) || !m[key].is_string()) return bad(std::string("no string ") + key);
  if (!m.contains("files") || !m["files"].is_array()) return bad("no files array");
  if (m["files"].size() > limits.max_members) return bad("more than " + std::to_string(limits.max_members) + " files");
  std::map<std::string, ManifestEntry> out;
  std::uint64_t total = 0;
  for (const auto& f : m["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("size") ||
        !f["size"].is_number_unsigned() || !f.contains("sha256") || !f["sha256"].is_string())
      return bad("a files entry lacks path, size or sha256");
    auto path = f["path"].get<std::string>();
    if (auto st = check_path(path, limits.max_path_bytes); !st) return bad(st.message());
    if (is_reserved(path)) return bad(path + " listed as a file");
    ManifestEntry e{f["size"].get<std::uint64_t>(), f["sha256"].get<std::string>()};
    if (!is_hex64(e.sha256)) return bad(display_name(path) + ": sha256 is not 64 lower-case hex digits");
    if (e.size > limits.max_member_bytes)
      return bad(display_name(path) + ": size over the limit of " + std::to_string(limits.max_member_bytes) + " bytes");
    total += e.size;
    if (total > limits.max_total_bytes)
      return bad("files add up to more than " + std::to_string(limits.max_total_bytes) + " bytes");
    if (!out.emplace(path, std::move(e)).second) return bad(display_name(path) + " listed twice");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Reading

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveReadFree>;

struct Sha256 {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  Sha256() { EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr); }
  void update(std::string_view d) { EVP_DigestUpdate(ctx.get(), d.data(), d.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &n);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }
};

std::string archive_problem(archive* a) {
  const char* s = archive_error_string(a);
  return display_name(s ? s : "unknown libarchive error");
}

// Why an entry is not a regular file, or empty when it is one.
std::string not_regular(archive_entry* e) {
  if (archive_entry_hardlink(e)) return "hard link";
  switch (archive_entry_filetype(e)) {
    case AE_IFREG: break;
    case AE_IFLNK: return "symbolic link";
    case AE_IFCHR: case AE_IFBLK: return "device file";
    case AE_IFIFO: return "fifo";
    case AE_IFDIR: return "directory";
    case AE_IFSOCK: return "socket";
    default: return "not a regular file";
  }
  if (archive_entry_symlink(e)) return "symbolic link";
  if (archive_entry_sparse_count(e) > 0) return "sparse file";
  return {};
}

// Reads the whole (small) current member, at most max bytes.
Result<std::string> read_small(archive* a, const std::string& name, std::uint64_t max) {
  std::string out;
  char buf[65536];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) return make_error(name + ": " + archive_problem(a));
    if (n == 0) break;
    if (out.size() + static_cast<std::uint64_t>(n) > max)
      return make_error(name + ": larger than " + std::to_string(max) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

class Reader {
 public:
  Reader(archive* a, const BundleLimits& limits, MemberSink* sink, bool keep_content)
      : a_(a), limits_(limits), sink_(sink), keep_(keep_content) {}

  Result<BundleContents> run() {
    auto st = loop();
    if (!st) return make_error(st.message());
    return std::move(out_);
  }

 private:
  Status ratio_check() {
    auto raw = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_filter_bytes(a_, -1)));
    auto plain = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_filter_bytes(a_, 0)));
    if (plain > limits_.ratio_slack_bytes && plain / limits_.max_ratio > raw)
      return make_error("decompresses more than " + std::to_string(limits_.max_ratio) +
                        " times its compressed size: refused as a compression bomb");
    return ok_status();
  }

  Status head_done() {
    if (head_done_) return ok_status();
    head_done_ = true;
    if (!sink_) return ok_status();
    return sink_->on_manifest(out_);
  }

  Status loop() {
    archive_entry* e = nullptr;
    std::uint64_t members = 0;
    std::set<std::string> seen;
    for (;;) {
      int r = archive_read_next_header(a_, &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK) {
        if (members == 0) return make_error("not a certify bundle: " + archive_problem(a_));
        return make_error("damaged archive: " + archive_problem(a_));
      }
      if (members == 0) {
        // The one accepted encoding: zstd (filter 0) over tar (the last is "none").
        if (archive_filter_count(a_) != 2 || archive_filter_code(a_, 0) != ARCHIVE_FILTER_ZSTD)
          return make_error("not a certify bundle: not zstd-compressed");
        if ((archive_format(a_) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR)
          return make_error("not a certify bundle: not a tar archive");
      }
      if (++members > limits_.max_members + 3)
        return make_error("more than " + std::to_string(limits_.max_members) + " members");
      if (auto st = ratio_check(); !st) return st;
      const char* raw_name = archive_entry_pathname_utf8(e);
      if (!raw_name) raw_name = archive_entry_pathname(e);
      std::string name = raw_name ? raw_name : "";
      auto shown = display_name(name);
      if (auto why = not_regular(e); !why.empty()) return make_error(shown + ": " + why + " (not allowed in a bundle)");
      if (auto st = check_path(name, limits_.max_path_bytes); !st) return st;
      if (!seen.insert(name).second) return make_error(shown + ": duplicate member");
      if (!archive_entry_size_is_set(e)) return make_error(shown + ": no size in its header");
      auto size = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(e)));

      if (members == 1) {
        if (name != k_manifest_member) return make_error("not a certify bundle: first member is " + shown + ", not manifest.json");
        if (size > limits_.max_manifest_bytes)
          return make_error("manifest.json: larger than " + std::to_string(limits_.max_manifest_bytes) + " bytes");
        auto text = read_small(a_, "manifest.json", limits_.max_manifest_bytes);
        if (!text) return text.error();
        out_.manifest = json::parse(*text, nullptr, false);
        if (out_.manifest.is_discarded()) return make_error("bad manifest.json: not valid JSON");
        auto idx = check_manifest(out_.manifest, limits_);
        if (!idx) return idx.error();
        index_ = std::move(*idx);
        out_.manifest_bytes = std::move(*text);
        continue;
      }
      if (name == k_signature_member || name == k_sm2_signature_member) {
        if (head_done_) return make_error(shown + ": must follow manifest.json, before the other members");
        auto text = read_small(a_, name, k_max_signature_bytes);
        if (!text) return text.error();
        (name == k_signature_member ? out_.signature : out_.sm2_signature) = std::move(*text);
        continue;
      }
      if (name == k_manifest_member) return make_error("manifest.json: duplicate member");
      auto it = index_.find(name);
      if (it == index_.end()) return make_error(shown + ": member not in the manifest");
      if (size != it->second.size)
        return make_error(shown + ": size " + std::to_string(size) + " in the archive, " +
                          std::to_string(it->second.size) + " in the manifest");
      if (auto st = head_done(); !st) return st;
      if (auto st = read_member(name, shown, it->second); !st) return st;
    }
    if (members == 0) return make_error("not a certify bundle: empty archive");
    if (auto st = head_done(); !st) return st;
    for (const auto& [path, entry] : index_)
      if (!out_.files.count(path))
        return make_error(display_name(path) + ": listed in the manifest but not in the bundle");
    return ok_status();
  }

  Status read_member(const std::string& name, const std::string& shown, const ManifestEntry& want) {
    if (sink_)
      if (auto st = sink_->begin_member(name, want.size); !st) return st;
    BundleMember m;
    m.size = want.size;
    if (keep_) m.content.reserve(want.size);
    Sha256 sha;
    std::uint64_t got = 0;
    buf_.resize(k_chunk);
    for (;;) {
      la_ssize_t n = archive_read_data(a_, buf_.data(), buf_.size());
      if (n < 0) return make_error(shown + ": " + archive_problem(a_));
      if (n == 0) break;
      got += static_cast<std::uint64_t>(n);
      out_.total_bytes += static_cast<std::uint64_t>(n);
      if (got > want.size) return make_error(shown + ": more data than its size");
      if (out_.total_bytes > limits_.max_total_bytes)
        return make_error("members add up to more than " + std::to_string(limits_.max_total_bytes) + " bytes");
      if (auto st = ratio_check(); !st) return st;
      std::string_view chunk(buf_.data(), static_cast<std::size_t>(n));
      sha.update(chunk);
      if (keep_) m.content.append(chunk);
      if (sink_)
        if (auto st = sink_->member_data(chunk); !st) return st;
    }
    if (got != want.size) return make_error(shown + ": truncated member");
    m.sha256 = sha.hex();
    if (m.sha256 != want.sha256) return make_error(shown + ": SHA-256 does not match the manifest");
    if (sink_)
      if (auto st = sink_->end_member(); !st) return st;
    out_.files.emplace(name, std::move(m));
    return ok_status();
  }

  archive* a_;
  const BundleLimits& limits_;
  MemberSink* sink_;
  bool keep_;
  bool head_done_ = false;
  BundleContents out_;
  std::map<std::string, ManifestEntry> index_;
  std::vector<char> buf_;
};

ReadArchive new_reader() {
  ReadArchive a(archive_read_new());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  return a;
}

// ---------------------------------------------------------------------------
// Writing

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using WriteArchive = std::unique_ptr<archive, ArchiveWriteFree>;

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;

struct UniqueFd {
  int fd = -1;
  UniqueFd() = default;
  explicit UniqueFd(int f) : fd(f) {}
  UniqueFd(UniqueFd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~UniqueFd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Removes a temporary file unless released.
struct TempFile {
  fs::path path;
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

std::string errno_msg(const std::string& what) { return what + ": " + std::strerror(errno); }

// Fills an entry's fixed metadata: the same results give the same bytes.
Entry fixed_entry(const std::string& path, std::uint64_t size, std::int64_t mtime) {
  Entry e(archive_entry_new());
  archive_entry_update_pathname_utf8(e.get(), path.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
  archive_entry_set_mtime(e.get(), mtime, 0);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  return e;
}

// Tar entries of the head (manifest and signatures) without the end-of-
// archive marker, as one zstd frame.
Result<std::string> head_frame(const std::vector<std::pair<std::string, std::string>>& members, std::int64_t mtime,
                               int level) {
  WriteArchive a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_add_filter_none(a.get());
  archive_write_set_bytes_per_block(a.get(), 0);
  std::size_t cap = 1 << 16;
  for (const auto& [n, d] : members) cap += d.size() + 4096;
  std::string tar(cap, '\0');
  std::size_t used = 0;
  if (archive_write_open_memory(a.get(), tar.data(), tar.size(), &used) != ARCHIVE_OK)
    return make_error("cannot start the bundle head: " + archive_problem(a.get()));
  for (const auto& [name, data] : members) {
    auto e = fixed_entry(name, data.size(), mtime);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))
      return make_error("cannot write " + name + ": " + archive_problem(a.get()));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return make_error("cannot finish the bundle head: " + archive_problem(a.get()));
  // Drop the end marker (two zero blocks) so the body's entries follow on.
  if (used < 1024 || tar.find_first_not_of('\0', used - 1024) < used)
    return make_error("unexpected tar trailer from libarchive");
  tar.resize(used - 1024);
  std::string frame(ZSTD_compressBound(tar.size()), '\0');
  auto n = ZSTD_compress(frame.data(), frame.size(), tar.data(), tar.size(), level);
  if (ZSTD_isError(n)) return make_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  frame.resize(n);
  return frame;
}

// Appends `len` bytes of `in` from `offset` to `out` (kernel copy when it can).
Status copy_range(int in, std::uint64_t offset, std::uint64_t len, int out, const fs::path& out_path) {
  auto off = static_cast<off_t>(offset);
  while (len > 0) {
    ssize_t n = ::copy_file_range(in, &off, out, nullptr, std::min<std::uint64_t>(len, std::uint64_t{1} << 30), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) break;
    if (n < 0) return make_error(errno_msg("cannot copy into " + out_path.string()));
    if (n == 0) return make_error("unexpected end of file while copying into " + out_path.string());
    len -= static_cast<std::uint64_t>(n);
  }
  std::vector<char> buf(k_chunk);
  while (len > 0) {
    ssize_t n = ::pread(in, buf.data(), std::min<std::uint64_t>(len, buf.size()), off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(errno_msg("cannot read while copying into " + out_path.string()));
    if (auto st = write_all(out, std::string_view(buf.data(), static_cast<std::size_t>(n)), out_path); !st) return st;
    off += n;
    len -= static_cast<std::uint64_t>(n);
  }
  return ok_status();
}

// Writes head + body[body_offset..] to a temp file beside `dest`, then
// renames it over dest.
Status assemble(const fs::path& dest, std::string_view head, int body_fd, std::uint64_t body_offset,
                std::uint64_t body_len, mode_t mode) {
  // /dev/null, a FIFO, a terminal: written where it is (write_file_atomic says why).
  if (is_special_file(dest)) {
    UniqueFd out(::open(dest.c_str(), O_WRONLY | O_CLOEXEC));
    if (out.fd < 0) return make_error(errno_msg("cannot open " + dest.string()));
    if (auto st_head = write_all(out.fd, head, dest); !st_head) return st_head;
    return copy_range(body_fd, body_offset, body_len, out.fd, dest);
  }
  TempFile tmp{dest};
  tmp.path += ".tmp." + std::to_string(::getpid());
  UniqueFd out(::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (out.fd < 0) return make_error(errno_msg("cannot create " + tmp.path.string()));
  if (auto st = write_all(out.fd, head, tmp.path); !st) return st;
  if (auto st = copy_range(body_fd, body_offset, body_len, out.fd, tmp.path); !st) return st;
  if (::fsync(out.fd) != 0) return make_error(errno_msg("cannot fsync " + tmp.path.string()));
  out.reset();
  if (::rename(tmp.path.c_str(), dest.c_str()) != 0) return make_error(errno_msg("cannot rename into " + dest.string()));
  tmp.path.clear();
  return ok_status();
}

// Seconds since the epoch of an ISO 8601 UTC time ("2026-11-24T07:00:00Z"),
// 0 when it is not one: the fixed mtime of every member.
std::int64_t epoch_of(const json& t) {
  if (!t.is_string()) return 0;
  std::tm tm{};
  auto s = t.get<std::string>();
  const char* end = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return 0;
  return static_cast<std::int64_t>(::timegm(&tm));
}

Result<json> read_json(const fs::path& p) {
  auto text = read_file(p, k_max_run_json_bytes);
  if (!text) return text.error();
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(p.string() + ": not a JSON object");
  return j;
}

// OS and machine identity from the inventory: strings only, those present.
json machine_identity(const json& inv) {
  json m = json::object();
  auto take = [&](const char* out_key, const json& obj, std::initializer_list<const char*> path) {
    const json* cur = &obj;
    for (const char* k : path) {
      if (!cur->is_object() || !cur->contains(k)) return;
      cur = &(*cur)[k];
    }
    if (cur->is_string() && !cur->get<std::string>().empty()) m[out_key] = *cur;
  };
  take("os_id", inv, {"os", "id"});
  take("os_version", inv, {"os", "version_id"});
  take("os_name", inv, {"os", "pretty_name"});
  take("os_like", inv, {"os", "id_like"});
  take("kernel", inv, {"os", "kernel_release"});
  take("arch", inv, {"os", "arch"});
  if (!m.contains("arch")) take("arch", inv, {"cpu", "arch"});
  take("hostname", inv, {"os", "hostname"});
  take("manufacturer", inv, {"system", "system", "manufacturer"});
  take("product", inv, {"system", "system", "product_name"});
  take("serial", inv, {"system", "system", "serial_number"});
  take("board", inv, {"system", "baseboard", "product_name"});
  take("bios_version", inv, {"system", "bios", "version"});
  take("cpu_model", inv, {"cpu", "model_name"});
  return m;
}

bool is_journal_file(const std::string& rel) { return rel.rfind("journal.db", 0) == 0; }

struct SourceFile {
  std::string rel;
  fs::path path;
};

// Signature members for `keys` (at most one per algorithm), merged over `have`.
Result<std::map<std::string, std::string>> signatures(std::string_view manifest, const std::vector<Key>& keys,
                                                      std::map<std::string, std::string> have) {
  std::set<SignatureAlgorithm> algs;
  for (const auto& k : keys) {
    if (!algs.insert(k.algorithm()).second)
      return make_error("two " + std::string(algorithm_name(k.algorithm())) + " keys given: one per algorithm");
    auto sig = sign_manifest(manifest, k);
    if (!sig) return sig.error();
    have[std::string(k.algorithm() == SignatureAlgorithm::ed25519 ? k_signature_member : k_sm2_signature_member)] =
        std::move(*sig);
  }
  return have;
}

std::vector<std::pair<std::string, std::string>> head_members(const std::string& manifest,
                                                              const std::map<std::string, std::string>& sigs) {
  std::vector<std::pair<std::string, std::string>> out{{std::string(k_manifest_member), manifest}};
  for (auto name : {k_signature_member, k_sm2_signature_member})
    if (auto it = sigs.find(std::string(name)); it != sigs.end()) out.emplace_back(it->first, it->second);
  return out;
}

}  // namespace

std::string display_name(std::string_view name) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  bool cut = name.size() > 200;
  if (cut) name = name.substr(0, 200);
  for (std::size_t i = 0; i < name.size();) {
    auto n = utf8_sequence_length(name, i);
    auto c = static_cast<unsigned char>(name[i]);
    if (n == 0 || c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
      ++i;
    } else {
      out.append(name.substr(i, n));
      i += n;
    }
  }
  if (cut) out += "...";
  return out;
}

Result<BundleContents> read_bundle_bytes(std::string_view bytes, const BundleLimits& limits, MemberSink* sink) {
  if (bytes.substr(0, 4) != k_zstd_magic) return make_error("not a certify bundle: not zstd-compressed");
  auto a = new_reader();
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK)
    return make_error("not a certify bundle: " + archive_problem(a.get()));
  return Reader(a.get(), limits, sink, true).run();
}

Result<BundleContents> read_bundle_file(const fs::path& path, const BundleLimits& limits, MemberSink* sink) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error(errno_msg("cannot open " + path.string()));
  if (!S_ISREG(st.st_mode)) return make_error(path.string() + ": not a regular file");
  {
    char magic[4] = {};
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0) return make_error(errno_msg("cannot open " + path.string()));
    if (::read(fd.fd, magic, 4) != 4 || std::string_view(magic, 4) != k_zstd_magic)
      return make_error(path.string() + ": not a certify bundle: not zstd-compressed");
  }
  auto a = new_reader();
  if (archive_read_open_filename(a.get(), path.c_str(), k_chunk) != ARCHIVE_OK)
    return make_error(path.string() + ": not a certify bundle: " + archive_problem(a.get()));
  auto r = Reader(a.get(), limits, sink, false).run();
  if (!r) return make_error(path.string() + ": " + r.message());
  return r;
}

namespace {

// Writes members below a directory fd; never follows a link, never replaces.
class ExtractSink : public MemberSink {
 public:
  ExtractSink(int root, std::function<Status(const BundleContents&)> check) : root_(root), check_(std::move(check)) {}

  Status on_manifest(const BundleContents& head) override { return check_ ? check_(head) : ok_status(); }

  Status begin_member(const std::string& path, std::uint64_t) override {
    // The reader has checked the path: relative, no "." / ".." / empty parts.
    UniqueFd dir(::dup(root_));
    std::size_t start = 0;
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', start)) {
      auto part = path.substr(start, slash - start);
      if (::mkdirat(dir.fd, part.c_str(), 0755) != 0 && errno != EEXIST)
        return make_error(errno_msg("cannot create directory for " + display_name(path)));
      UniqueFd next(::openat(dir.fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (next.fd < 0) return make_error(errno_msg("cannot open directory for " + display_name(path)));
      dir = std::move(next);
      start = slash + 1;
    }
    file_ = UniqueFd(::openat(dir.fd, path.c_str() + start, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (file_.fd < 0) return make_error(errno_msg("cannot create " + display_name(path)));
    name_ = path;
    return ok_status();
  }

  Status member_data(std::string_view chunk) override { return write_all(file_.fd, chunk, name_); }

  Status end_member() override {
    file_.reset();
    return ok_status();
  }

 private:
  int root_;
  std::function<Status(const BundleContents&)> check_;
  UniqueFd file_;
  std::string name_;
};

}  // namespace

Result<BundleContents> extract_bundle(const fs::path& bundle, const fs::path& target, const BundleLimits& limits,
                                      const std::function<Status(const BundleContents&)>& on_manifest) {
  std::error_code ec;
  bool created = false;
  auto type = fs::symlink_status(target, ec).type();
  if (type == fs::file_type::not_found) {
    if (::mkdir(target.c_str(), 0755) != 0) return make_error(errno_msg("cannot create " + target.string()));
    created = true;
  } else if (type != fs::file_type::directory) {
    return make_error(target.string() + ": exists and is not a directory");
  } else if (!fs::is_empty(target, ec)) {
    return make_error(target.string() + ": not empty (extract into a new or empty directory)");
  }
  UniqueFd root(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (root.fd < 0) return make_error(errno_msg("cannot open " + target.string()));
  ExtractSink sink(root.fd, on_manifest);
  auto r = read_bundle_file(bundle, limits, &sink);
  if (!r) {
    // Take back what was written: only entries this call made exist below it.
    if (created) {
      fs::remove_all(target, ec);
    } else {
      for (const auto& e : fs::directory_iterator(target, ec)) fs::remove_all(e.path(), ec);
    }
  }
  return r;
}

Result<fs::path> find_run_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir / "results.json", ec)) return dir;
  if (!fs::is_directory(dir, ec)) return make_error(dir.string() + ": no such results directory");
  fs::path best;
  fs::file_time_type best_time{};
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto r = e.path() / "results.json";
    if (!fs::is_regular_file(r, ec)) continue;
    auto t = fs::last_write_time(r, ec);
    if (best.empty() || t > best_time) best = e.path(), best_time = t;
  }
  if (best.empty()) return make_error(dir.string() + ": no finished run (no results.json) to bundle");
  return best;
}

Result<BundleReport> write_bundle(const BundleOptions& o) {
  BundleReport report;
  const auto& root = o.results;
  json run[3];
  const char* required[3] = {"results.json", "inventory.json", "plan.json"};
  for (int i = 0; i < 3; ++i) {
    auto j = read_json(root / required[i]);
    if (!j) return make_error("not a run folder: " + j.message());
    run[i] = std::move(*j);
  }
  const json& results = run[0];
  if (!results.contains("run_id") || !results["run_id"].is_string())
    return make_error((root / "results.json").string() + ": no run_id");

  // Collect the members: regular files only, journal left out.
  std::vector<SourceFile> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return make_error("cannot read " + root.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return make_error("cannot read " + root.string() + ": " + ec.message());
    auto rel = it->path().lexically_relative(root).generic_string();
    auto st = it->symlink_status(ec);
    if (st.type() == fs::file_type::directory) continue;
    if (st.type() != fs::file_type::regular) {
      report.skipped.push_back(display_name(rel) + ": not a regular file");
      continue;
    }
    if (is_journal_file(rel) && rel.find('/') == std::string::npos) continue;
    if (is_reserved(rel)) {
      report.skipped.push_back(rel + ": reserved name");
      continue;
    }
    if (auto chk = check_path(rel, BundleLimits{}.max_path_bytes); !chk) return make_error("cannot bundle " + chk.message());
    files.push_back({rel, it->path()});
  }
  std::sort(files.begin(), files.end(), [](const SourceFile& a, const SourceFile& b) { return a.rel < b.rel; });

  json created = results.contains("finished") && results["finished"].is_string() ? results["finished"] : json(nullptr);
  std::int64_t mtime = epoch_of(created);

  // Body: every member, streamed through SHA-256 and libarchive's zstd.
  auto out_dir = o.output.parent_path().empty() ? fs::path(".") : o.output.parent_path();
  TempFile body{out_dir / ("." + o.output.filename().string() + ".body." + std::to_string(::getpid()))};
  UniqueFd body_fd(::open(body.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (body_fd.fd < 0) return make_error(errno_msg("cannot create " + body.path.string()));
  WriteArchive a(archive_write_new());
  int threads = o.threads > 0 ? o.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  archive_write_add_filter_zstd(a.get());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_set_filter_option(a.get(), "zstd", "compression-level", std::to_string(o.level).c_str()) != ARCHIVE_OK ||
      archive_write_set_filter_option(a.get(), "zstd", "threads", std::to_string(threads).c_str()) != ARCHIVE_OK)
    return make_error("libarchive zstd options: " + archive_problem(a.get()));
  if (archive_write_open_fd(a.get(), body_fd.fd) != ARCHIVE_OK) return make_error("cannot start the bundle: " + archive_problem(a.get()));

  json list = json::array();
  std::vector<char> buf(k_chunk);
  for (const auto& f : files) {
    UniqueFd in(::open(f.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (in.fd < 0) return make_error(errno_msg("cannot open " + f.path.string()));
    struct stat st {};
    if (::fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode)) return make_error(f.path.string() + ": not a regular file");
    auto size = static_cast<std::uint64_t>(st.st_size);
    auto e = fixed_entry(f.rel, size, mtime);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK)
      return make_error("cannot add " + f.rel + ": " + archive_problem(a.get()));
    Sha256 sha;
    std::uint64_t left = size;
    while (left > 0) {
      ssize_t n = ::read(in.fd, buf.data(), std::min<std::uint64_t>(left, buf.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return make_error(errno_msg("cannot read " + f.path.string()));
      if (n == 0) return make_error(f.path.string() + ": shrank while it was bundled");
      std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
      sha.update(chunk);
      if (archive_write_data(a.get(), chunk.data(), chunk.size()) != n)
        return make_error("cannot add " + f.rel + ": " + archive_problem(a.get()));
      left -= static_cast<std::uint64_t>(n);
    }
    list.push_back({{"path", f.rel}, {"size", size}, {"sha256", sha.hex()}});
    report.input_bytes += size;
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return make_error("cannot finish the bundle: " + archive_problem(a.get()));

  nlohmann::ordered_json manifest = {{"schema_version", k_bundle_schema_version},
                                     {"format", k_bundle_format},
                                     {"tool_version", CERTIFY_VERSION},
                                     {"run_id", results["run_id"]},
                                     {"run_tool_version", results.value("tool_version", json(nullptr))},
                                     {"created", created},
                                     {"machine", machine_identity(run[1])},
                                     {"files", list}};
  std::string manifest_text = manifest.dump(2) + "\n";
  auto sigs = signatures(manifest_text, o.sign_with, {});
  if (!sigs) return sigs.error();
  auto head = head_frame(head_members(manifest_text, *sigs), mtime, o.level);
  if (!head) return head.error();
  struct stat bst {};
  if (::fstat(body_fd.fd, &bst) != 0) return make_error(errno_msg("cannot stat " + body.path.string()));
  if (auto st = assemble(o.output, *head, body_fd.fd, 0, static_cast<std::uint64_t>(bst.st_size), 0644); !st)
    return st.error();
  report.manifest = json::parse(manifest_text);
  report.members = files.size();
  report.output_bytes = head->size() + static_cast<std::uint64_t>(bst.st_size);
  return report;
}

Result<std::vector<std::string>> sign_bundle_file(const fs::path& path, const std::vector<Key>& keys) {
  if (keys.empty()) return make_error("no key to sign with");
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) return make_error(errno_msg("cannot open " + path.string()));
  struct stat st {};
  if (::fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode)) return make_error(path.string() + ": not a regular file");
  auto file_size = static_cast<std::uint64_t>(st.st_size);
  BundleLimits limits;

  // Find the first zstd frame: read more until it is whole.
  std::string raw;
  std::size_t frame_size = 0;
  std::size_t want = 1 << 16;
  const std::size_t max_head = ZSTD_compressBound(limits.max_manifest_bytes + 2 * k_max_signature_bytes + 8192);
  for (;;) {
    want = std::min<std::uint64_t>({want, file_size, max_head});
    raw.resize(want);
    ssize_t n = ::pread(in.fd, raw.data(), want, 0);
    if (n != static_cast<ssize_t>(want)) return make_error(errno_msg("cannot read " + path.string()));
    auto r = ZSTD_findFrameCompressedSize(raw.data(), raw.size());
    if (!ZSTD_isError(r)) {
      frame_size = r;
      break;
    }
    if (want >= file_size || want >= max_head)
      return make_error(path.string() + ": not a certify bundle (no zstd frame at the start)");
    want *= 4;
  }
  auto content = ZSTD_getFrameContentSize(raw.data(), frame_size);
  if (content == ZSTD_CONTENTSIZE_UNKNOWN || content == ZSTD_CONTENTSIZE_ERROR ||
      content > limits.max_manifest_bytes + 2 * k_max_signature_bytes + 8192)
    return make_error(path.string() + ": not a bundle made by certify bundle (no manifest frame); re-create it");
  std::string tar(content + 1024, '\0');  // + an end marker, for libarchive
  auto got = ZSTD_decompress(tar.data(), content, raw.data(), frame_size);
  if (ZSTD_isError(got) || got != content) return make_error(path.string() + ": damaged manifest frame");

  // The head must hold manifest.json and signatures only.
  ReadArchive a(archive_read_new());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK)
    return make_error(path.string() + ": " + archive_problem(a.get()));
  std::string manifest;
  std::map<std::string, std::string> sigs;
  archive_entry* e = nullptr;
  int count = 0;
  for (int r; (r = archive_read_next_header(a.get(), &e)) != ARCHIVE_EOF; ++count) {
    if (r != ARCHIVE_OK) return make_error(path.string() + ": damaged manifest frame: " + archive_problem(a.get()));
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (!not_regular(e).empty()) return make_error(path.string() + ": " + display_name(name) + " is not a regular file");
    if (count == 0 && name == k_manifest_member) {
      auto text = read_small(a.get(), name, limits.max_manifest_bytes);
      if (!text) return text.error();
      manifest = std::move(*text);
    } else if (count > 0 && (name == k_signature_member || name == k_sm2_signature_member) && !sigs.count(name)) {
      auto text = read_small(a.get(), name, k_max_signature_bytes);
      if (!text) return text.error();
      sigs[name] = std::move(*text);
    } else {
      return make_error(path.string() + ": not a bundle made by certify bundle (" + display_name(name) +
                        " in the manifest frame); re-create it");
    }
  }
  if (manifest.empty()) return make_error(path.string() + ": no manifest.json at the start");
  auto m = json::parse(manifest, nullptr, false);
  if (m.is_discarded()) return make_error(path.string() + ": bad manifest.json: not valid JSON");
  if (auto idx = check_manifest(m, limits); !idx) return make_error(path.string() + ": " + idx.message());
  if (file_size > frame_size) {
    unsigned char magic[4] = {};
    if (::pread(in.fd, magic, 4, static_cast<off_t>(frame_size)) != 4 || magic[0] != 0x28 || magic[1] != 0xb5 ||
        magic[2] != 0x2f || magic[3] != 0xfd)
      return make_error(path.string() + ": no zstd frame after the manifest frame");
  }

  auto merged = signatures(manifest, keys, sigs);
  if (!merged) return merged.error();
  auto head = head_frame(head_members(manifest, *merged), epoch_of(m.value("created", json(nullptr))), 3);
  if (!head) return head.error();
  if (auto s = assemble(path, *head, in.fd, frame_size, file_size - frame_size, st.st_mode & 07777); !s)
    return s.error();
  std::vector<std::string> names;
  for (const auto& k : keys)
    names.emplace_back(k.algorithm() == SignatureAlgorithm::ed25519 ? k_signature_member : k_sm2_signature_member);
  return names;
}

}  // namespace certify::submit
