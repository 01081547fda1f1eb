// Static publication of the compatibility list. The list is cut into blocks
// of 2^level certificates in id order; a block's four files are rendered
// from its records and written only when the block changed. The state
// remembers each block (first and last id, Merkle node, digests, sizes,
// facets), so an incremental publication reads the state and the blocks it
// touches, nothing else.
#include "certdb/publish.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <thread>

#include "certdb/merkle.hpp"
#include "certdb/site_assets.hpp"
#include "core/files.hpp"
#include "core/text.hpp"

namespace certify::certdb {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Bumped whenever the block files' format changes, so every block is
// rendered again once.
constexpr std::string_view k_render_version = "certify-publish-render-3";
constexpr std::string_view k_state_magic = "certify-publish-state 3\n";
// Format 2 wrote one HTML file per certificate under cert/<xx>/.
constexpr std::string_view k_state2_magic = "certify-publish-state 2\n";

// ------------------------------------------------------------ keys, signing

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

Result<Pkey> load_private_key(const fs::path& path) {
  auto pem = read_file(path, 1 << 20);
  if (!pem) return pem.error();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return make_error(path.string() + ": not a PEM private key (or it needs a passphrase)");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) return make_error(path.string() + ": not an Ed25519 key");
  return key;
}

// Hashes truncated to 128 bits: the state only detects changes.
std::string short_hash(std::string_view data) { return sha256_hex(data).substr(0, 32); }

Hash sha256_raw(std::string_view data) {
  Hash h;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h.data());
  return h;
}

// Wall and CPU time of the steps of one publication (PublishStats::phases).
class Phases {
 public:
  void mark(std::string name) {
    auto now = std::chrono::steady_clock::now();
    double cpu = process_cpu_seconds();
    list.push_back({std::move(name), std::chrono::duration<double>(now - wall_).count(), cpu - cpu_});
    wall_ = now;
    cpu_ = cpu;
  }
  std::vector<PublishPhase> list;

 private:
  std::chrono::steady_clock::time_point wall_ = std::chrono::steady_clock::now();
  double cpu_ = process_cpu_seconds();
};

// ------------------------------------------------------------------ state

// The search page's facets: the values its drop-downs offer.
constexpr std::array<const char*, 4> k_facet_keys = {"os", "arch", "class", "vendor"};
using Facets = std::array<std::set<std::string>, 4>;

void add_facets(Facets& f, const CertificateEntry& e) {
  f[0].insert(e.os_id);
  for (const auto& x : e.os_extended) f[0].insert(x.first);
  for (const auto& l : e.os_like) f[0].insert(l);
  f[1].insert(e.arch);
  f[3].insert(e.vendor);
  for (const auto& c : e.classes) f[2].insert(c);
}

struct BlockState {
  std::string first, last;  // ids
  std::size_t count = 0;
  Hash node{}, list_sha{}, csv_sha{};
  std::uint64_t list_size = 0, csv_size = 0, search_size = 0, cert_size = 0;
  Facets facets;
};
struct FileState {
  std::string hash;
  std::uint64_t size = 0;
};

// .publish-state (format 3): a magic line, then one JSON object:
//   {"level","render","count","files":{rel:[hash,size]},
//    "blocks":[{"first","last","count","node","list_sha256","csv_sha256","sizes":[list,csv,search,cert],
//               "facets":{"os":[...],"arch":[...],"class":[...],"vendor":[...]}}]}
// A few hundred bytes per block (a million certificates: 245 blocks); the
// certificates themselves are only in the block files.
struct State {
  bool valid = false;
  bool format2 = false;  // the site holds format 2's per-certificate pages
  unsigned level = 0;
  std::string render;
  std::size_t count = 0;
  std::vector<BlockState> blocks;
  std::map<std::string, FileState> files;
};

State read_state(const fs::path& path) {
  State st;
  auto text = read_file(path, std::size_t{1} << 30);
  if (!text) return st;
  if (text->starts_with(k_state2_magic)) st.format2 = true;
  if (!text->starts_with(k_state_magic)) return st;
  json head = json::parse(std::string_view(*text).substr(k_state_magic.size()), nullptr, false);
  if (head.is_discarded() || !head.is_object()) return st;
  try {
    st.level = head.at("level").get<unsigned>();
    st.render = head.at("render").get<std::string>();
    st.count = head.at("count").get<std::size_t>();
    for (const auto& [rel, v] : head.at("files").items())
      st.files[rel] = {v.at(0).get<std::string>(), v.at(1).get<std::uint64_t>()};
    for (const auto& b : head.at("blocks")) {
      BlockState bs;
      bs.first = b.at("first").get<std::string>();
      bs.last = b.at("last").get<std::string>();
      bs.count = b.at("count").get<std::size_t>();
      auto node = hash_from_hex(b.at("node").get<std::string>());
      auto list_sha = hash_from_hex(b.at("list_sha256").get<std::string>());
      auto csv_sha = hash_from_hex(b.at("csv_sha256").get<std::string>());
      if (!node || !list_sha || !csv_sha) return State{};
      bs.node = *node;
      bs.list_sha = *list_sha;
      bs.csv_sha = *csv_sha;
      const auto& sizes = b.at("sizes");
      bs.list_size = sizes.at(0).get<std::uint64_t>();
      bs.csv_size = sizes.at(1).get<std::uint64_t>();
      bs.search_size = sizes.at(2).get<std::uint64_t>();
      bs.cert_size = sizes.at(3).get<std::uint64_t>();
      for (std::size_t f = 0; f < k_facet_keys.size(); ++f)
        for (const auto& v : b.at("facets").at(k_facet_keys[f])) bs.facets[f].insert(v.get<std::string>());
      st.blocks.push_back(std::move(bs));
    }
  } catch (const json::exception&) {
    return State{};
  }
  // Full blocks of 2^level in id order, the last one possibly shorter.
  if (st.level > 20) return State{};
  const std::size_t block_size = std::size_t{1} << st.level;
  std::size_t total = 0;
  for (std::size_t k = 0; k < st.blocks.size(); ++k) {
    const auto& b = st.blocks[k];
    if (b.count == 0 || b.count > block_size || (k + 1 < st.blocks.size() && b.count != block_size) ||
        b.first > b.last || (k && st.blocks[k - 1].last >= b.first))
      return State{};
    total += b.count;
  }
  if (total != st.count) return State{};
  st.valid = true;
  return st;
}

std::string state_text(const State& st) {
  json blocks = json::array();
  for (const auto& b : st.blocks) {
    json facets = json::object();
    for (std::size_t f = 0; f < k_facet_keys.size(); ++f) facets[k_facet_keys[f]] = b.facets[f];
    blocks.push_back({{"first", b.first},
                      {"last", b.last},
                      {"count", b.count},
                      {"node", to_hex(b.node)},
                      {"list_sha256", to_hex(b.list_sha)},
                      {"csv_sha256", to_hex(b.csv_sha)},
                      {"sizes", {b.list_size, b.csv_size, b.search_size, b.cert_size}},
                      {"facets", std::move(facets)}});
  }
  json files = json::object();
  for (const auto& [rel, f] : st.files) files[rel] = {f.hash, f.size};
  json head = {{"level", st.level}, {"render", st.render}, {"count", st.count}, {"files", std::move(files)},
               {"blocks", std::move(blocks)}};
  return std::string(k_state_magic) + head.dump() + "\n";
}

// ------------------------------------------------------------ site writer

std::string errno_text(const fs::path& p, const char* what) {
  return std::string(what) + " " + p.string() + ": " + std::strerror(errno);
}

Status write_fd(int fd, const fs::path& path, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(errno_text(path, "cannot write"));
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

// In a fresh directory (a full publication before it is renamed into
// place) a file is created in place: no reader can see it yet. In a served
// site an existing file is replaced through a temporary file and rename, so
// a web server never sends a torn file. Never an fsync per file: the caller
// syncs once.
Status write_site_file(const fs::path& path, std::string_view data, bool fresh) {
  fs::path target = path;
  if (!fresh) target += ".tmp";
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(errno_text(target, "cannot create"));
  auto st = write_fd(fd, target, data);
  if (::close(fd) != 0 && st) st = make_error(errno_text(target, "cannot close"));
  if (st && !fresh && ::rename(target.c_str(), path.c_str()) != 0)
    st = make_error(errno_text(path, "cannot rename into"));
  if (!st) ::unlink(target.c_str());
  return st;
}

// A file mapped read-only (the records, a published block): the kernel's
// page cache is read in place, nothing is copied. Populated at once, since
// every byte is read: one call instead of a page fault per 64 KiB.
class Mapping {
 public:
  explicit Mapping(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error_ = errno_text(path, "cannot open");
      return;
    }
    struct stat sb;
    if (::fstat(fd, &sb) != 0) {
      error_ = errno_text(path, "cannot stat");
    } else if (sb.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(sb.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p == MAP_FAILED) {
        error_ = errno_text(path, "cannot map");
      } else {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<std::size_t>(sb.st_size);
      }
    }
    ::close(fd);
  }
  ~Mapping() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  const std::string& error() const { return error_; }
  std::string_view view() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::string error_;
};

std::string block_name(const char* dir, std::size_t b, const char* ext) {
  char name[48];
  std::snprintf(name, sizeof name, "%s/%05zu.%s", dir, b, ext);
  return name;
}

std::array<std::string, 4> block_files(std::size_t k) {
  return {block_name("list", k, "jsonl"), block_name("csv", k, "csv"), block_name("search", k, "js"),
          block_name("cert", k, "js")};
}

// Node of the RFC 6962 subtree over `leaves` (a 2^level block, or the last,
// shorter one): the same value as MerkleTree(leaves).root().
Hash subtree_root(std::vector<Hash> level) {
  if (level.empty()) return MerkleTree({}).root();
  while (level.size() > 1) {
    std::size_t half = level.size() / 2;
    for (std::size_t i = 0; i < half; ++i) level[i] = node_hash(level[2 * i], level[2 * i + 1]);
    if (level.size() % 2) {
      level[half] = level.back();
      level.resize(half + 1);
    } else {
      level.resize(half);
    }
  }
  return level.front();
}

// One certificate of a block: an entry already made, or a record line that
// is made into one as the block is written (the line's leaf must be `leaf`
// when given; `line_number` names the line of the input in errors).
struct Item {
  const CertificateEntry* entry = nullptr;
  std::string_view line;
  const Hash* leaf = nullptr;
  std::size_t line_number = 0;
};

// One file of a block, written while it is rendered, in chunks, with its
// SHA-256 taken on the way: a block is never held whole in memory, which
// matters where every first touch of a page costs a fault (~100 us on this
// kind of VM).
class StreamFile {
 public:
  static constexpr std::size_t k_chunk = 256 * 1024;
  StreamFile() : ctx_(EVP_MD_CTX_new()) { buf_.reserve(k_chunk + 4096); }

  void open(const fs::path& path, bool fresh, bool digest) {
    path_ = path;
    fresh_ = fresh;
    digest_ = digest;
    target_ = path;
    if (!fresh) target_ += ".tmp";
    error_.clear();
    size_ = 0;
    buf_.clear();
    fd_ = ::open(target_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) error_ = errno_text(target_, "cannot create");
    if (digest_ && (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)) error_ = "SHA-256 failed (OpenSSL)";
  }
  void append(std::string_view s) {
    buf_ += s;
    if (buf_.size() >= k_chunk) flush();
  }
  // Closes the file and puts it in place; false (and nothing left behind) on error.
  bool finish() {
    flush();
    if (fd_ >= 0 && ::close(fd_) != 0 && error_.empty()) error_ = errno_text(target_, "cannot close");
    fd_ = -1;
    if (error_.empty() && digest_) {
      unsigned len = 0;
      if (EVP_DigestFinal_ex(ctx_.get(), sha_.data(), &len) != 1) error_ = "SHA-256 failed (OpenSSL)";
    }
    if (error_.empty() && !fresh_ && ::rename(target_.c_str(), path_.c_str()) != 0)
      error_ = errno_text(path_, "cannot rename into");
    if (!error_.empty()) ::unlink(target_.c_str());
    return error_.empty();
  }
  void abandon() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(target_.c_str());
  }
  const std::string& error() const { return error_; }
  std::uint64_t size() const { return size_; }
  const Hash& sha() const { return sha_; }

 private:
  void flush() {
    if (!error_.empty() || buf_.empty()) {
      buf_.clear();
      return;
    }
    if (digest_ && EVP_DigestUpdate(ctx_.get(), buf_.data(), buf_.size()) != 1) error_ = "SHA-256 failed (OpenSSL)";
    if (auto st = write_fd(fd_, target_, buf_); !st) error_ = st.message();
    size_ += buf_.size();
    buf_.clear();
  }

  fs::path path_, target_;
  bool fresh_ = false, digest_ = false;
  int fd_ = -1;
  std::string buf_, error_;
  std::uint64_t size_ = 0;
  Hash sha_{};
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx_;
};

// A block's files, rendered from its certificates in id order:
//   list/NNNNN.jsonl  the records, one a line (the Merkle leaves' bytes)
//   csv/NNNNN.csv     the same as CSV with its header
//   search/NNNNN.js   the search page's rows: certifySearch.shard(k,[row,...]);
//   cert/NNNNN.js     the records for cert.html: certifyCert.block(k,[record,...]);
//                     (a JSON object is a JavaScript expression, so the page
//                     loads it with a <script> element, which file:// allows)
// A writer per thread, reused from block to block.
struct BlockWriter {
  std::array<StreamFile, 4> files;
  std::vector<Hash> leaves;
};

Result<BlockState> write_block(std::size_t k, std::span<const Item> items, const fs::path& dir, bool fresh,
                               BlockWriter& w) {
  auto rels = block_files(k);
  auto& [list, csv, search, cert] = w.files;
  for (std::size_t f = 0; f < 4; ++f) w.files[f].open(dir / rels[f], fresh, f < 2);
  csv.append(k_csv_header);
  csv.append("\r\n");
  search.append("certifySearch.shard(" + std::to_string(k) + ",[\n");
  cert.append("certifyCert.block(" + std::to_string(k) + ",[\n");
  BlockState st;
  w.leaves.clear();
  std::optional<Error> error;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    std::optional<Result<CertificateEntry>> made;
    if (!it.entry) {
      made.emplace(make_entry(it.line));
      if (!*made) {
        error = make_error(it.line_number ? "line " + std::to_string(it.line_number) + ": " + made->message()
                                          : rels[0] + ": " + made->message() + " (publish the whole list again)");
        break;
      }
      if (it.leaf && (*made)->leaf != *it.leaf) {
        error = make_error("line " + std::to_string(it.line_number) + ": the record changed while it was published");
        break;
      }
    }
    const CertificateEntry& e = it.entry ? *it.entry : made->value();
    list.append(e.record);
    list.append("\n");
    csv.append(e.csv);
    csv.append("\r\n");
    if (i) {
      search.append(",\n");
      cert.append(",\n");
    }
    search.append(e.row);
    cert.append(e.record);
    w.leaves.push_back(e.leaf);
    add_facets(st.facets, e);
    if (i == 0) st.first = e.id;
    if (i + 1 == items.size()) st.last = e.id;
  }
  search.append("]);\n");
  cert.append("]);\n");
  if (error) {
    for (auto& f : w.files) f.abandon();
    return *error;
  }
  for (std::size_t f = 0; f < 4; ++f)
    if (!w.files[f].finish()) {
      std::string msg = w.files[f].error();
      for (std::size_t g = f + 1; g < 4; ++g) w.files[g].abandon();
      return make_error(msg);
    }
  st.count = items.size();
  st.node = subtree_root(w.leaves);
  st.list_sha = list.sha();
  st.csv_sha = csv.sha();
  st.list_size = list.size();
  st.csv_size = csv.size();
  st.search_size = search.size();
  st.cert_size = cert.size();
  return st;
}

// What one publication writes: every block's state, with `dirty` ones to be
// written from the certificates `items` gives (in id order).
struct Plan {
  std::size_t count = 0;
  std::vector<BlockState> blocks;
  std::vector<char> dirty;
  std::function<Status(std::size_t k, std::vector<Item>& out)> items;
  // Check that the files of clean blocks are there (a stat each): a full
  // publication repairs a site; an incremental one trusts the state.
  bool check_files = true;
};

// Where a publication writes: the site itself, or for a first publication a
// new directory beside it that is renamed into place when complete (a
// failed run leaves nothing behind, and no file needs a temporary name).
struct Target {
  fs::path site;     // options.out
  fs::path dir;      // where files go now
  fs::path parent;   // the directory holding a fresh site, synced after the rename
  bool fresh = false;
};

Result<Target> choose_target(const fs::path& out) {
  Target t;
  t.site = out;
  std::error_code ec;
  bool exists = fs::exists(out, ec);
  if (exists && !fs::is_directory(out, ec)) return make_error(out.string() + " exists and is not a directory");
  bool empty = !exists || fs::is_empty(out, ec);
  if (!empty) {
    t.dir = out;
    return t;
  }
  fs::path abs = fs::absolute(out, ec).lexically_normal();
  if (!abs.has_filename()) abs = abs.parent_path();
  t.fresh = true;
  t.parent = abs.parent_path();
  t.dir = t.parent / ("." + abs.filename().string() + ".publishing-" + std::to_string(::getpid()));
  fs::remove_all(t.dir, ec);
  if (!fs::create_directories(abs.parent_path(), ec) && ec)
    return make_error("cannot create " + abs.parent_path().string() + ": " + ec.message());
  return t;
}

struct SmallFile {
  std::string rel, content;
};

std::string render_index_page(const PublishOptions& opt, std::size_t count) {
  std::string h(k_index_template);
  auto replace = [&](std::string_view key, const std::string& value) {
    for (auto pos = h.find(key); pos != std::string::npos; pos = h.find(key, pos + value.size()))
      h.replace(pos, key.size(), value);
  };
  replace("@TITLE@", html_escape(opt.title));
  replace("@COUNT@", std::to_string(count));
  return h;
}

std::string render_cert_page(const PublishOptions& opt) {
  std::string h(k_cert_page_template);
  const std::string title = html_escape(opt.title);
  for (auto pos = h.find("@TITLE@"); pos != std::string::npos; pos = h.find("@TITLE@", pos + title.size()))
    h.replace(pos, 7, title);
  return h;
}

Result<PublishStats> write_site(Plan& plan, const State& old, const PublishOptions& opt, const Target& target,
                                Phases& phases) {
  PublishStats stats;
  const std::size_t n = plan.count;
  const std::size_t block_size = std::size_t{1} << opt.bucket_level;
  const std::size_t blocks = plan.blocks.size();
  auto public_pem = ed25519_public_pem(opt.key);
  if (!public_pem) return public_pem.error();
  const fs::path& dir = target.dir;
  std::error_code ec;
  for (const char* d : {"", "assets", "search", "merkle", "list", "csv", "cert"}) {
    fs::create_directories(dir / d, ec);
    if (ec) return make_error("cannot create " + (dir / d).string() + ": " + ec.message());
  }
  // Format 2's per-certificate pages (cert/<xx>/<id>.html) are replaced by
  // cert.html and the blocks' cert/NNNNN.js.
  if (old.format2 && !target.fresh)
    for (int i = 0; i < 256; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "cert/%02x", i);
      fs::remove_all(dir / name, ec);
    }

  // A block file missing or of the wrong size is written again.
  plan.dirty.resize(blocks, 1);
  if (!target.fresh && plan.check_files)
    for (std::size_t k = 0; k < blocks; ++k) {
      if (plan.dirty[k]) continue;
      const auto& bs = plan.blocks[k];
      const std::uint64_t sizes[4] = {bs.list_size, bs.csv_size, bs.search_size, bs.cert_size};
      auto rels = block_files(k);
      for (std::size_t f = 0; f < 4 && !plan.dirty[k]; ++f) {
        struct stat sb;
        if (::stat((dir / rels[f]).c_str(), &sb) != 0 || static_cast<std::uint64_t>(sb.st_size) != sizes[f])
          plan.dirty[k] = 1;
      }
    }
  std::vector<std::size_t> todo;
  for (std::size_t k = 0; k < blocks; ++k)
    if (plan.dirty[k]) todo.push_back(k);

  // The blocks, rendered and written by `threads` workers.
  const unsigned threads = std::max(1u, std::min({opt.threads, 64u, static_cast<unsigned>(std::max<std::size_t>(todo.size(), 1))}));
  std::atomic<std::size_t> next{0};
  std::vector<std::optional<Error>> errors(threads);
  std::vector<std::vector<std::string>> written(threads);
  std::vector<std::uint64_t> bytes(threads, 0);
  auto work = [&](unsigned t) {
    std::vector<Item> items;
    auto w = std::make_unique<BlockWriter>();
    for (std::size_t j; (j = next++) < todo.size();) {
      std::size_t k = todo[j];
      items.clear();
      auto st = plan.items(k, items);
      if (st && items.size() != std::min(block_size, n - k * block_size))
        st = make_error("internal error: block " + std::to_string(k) + " has " + std::to_string(items.size()) +
                        " certificates");
      if (!st) {
        errors[t] = st.error();
        next = todo.size();
        return;
      }
      auto bs = write_block(k, items, dir, target.fresh, *w);
      if (!bs) {
        errors[t] = bs.error();
        next = todo.size();
        return;
      }
      for (const auto& rel : block_files(k)) written[t].push_back(rel);
      bytes[t] += bs->list_size + bs->csv_size + bs->search_size + bs->cert_size;
      plan.blocks[k] = std::move(*bs);
    }
  };
  {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
  }
  for (auto& e : errors)
    if (e) return *e;
  phases.mark("blocks");

  std::vector<Hash> nodes;
  nodes.reserve(blocks);
  Facets facets;
  for (const auto& bs : plan.blocks) {
    nodes.push_back(bs.node);
    for (std::size_t f = 0; f < facets.size(); ++f) facets[f].insert(bs.facets[f].begin(), bs.facets[f].end());
  }
  const Hash root = MerkleTree(nodes).root();

  // The small files: search page, certificate page, manifest, signed list.
  std::vector<SmallFile> small;
  json manifest = {{"title", opt.title}, {"count", n}, {"shards", json::array()}};
  for (std::size_t k = 0; k < blocks; ++k)
    manifest["shards"].push_back({{"file", block_name("search", k, "js")},
                                  {"cert", block_name("cert", k, "js")},
                                  {"first", plan.blocks[k].first},
                                  {"v", to_hex(nodes[k]).substr(0, 12)}});
  for (std::size_t f = 0; f < facets.size(); ++f) manifest[k_facet_keys[f]] = facets[f];
  small.push_back({"search/manifest.js", "certifySearch.manifest(" + manifest.dump() + ");\n"});
  small.push_back({"assets/app.js", std::string(k_app_js)});
  small.push_back({"assets/cert.js", std::string(k_cert_js)});
  small.push_back({"assets/style.css", std::string(k_style_css)});
  small.push_back({"index.html", render_index_page(opt, n)});
  small.push_back({"cert.html", render_cert_page(opt)});

  // The signed list: an index of the blocks, each with its Merkle node and
  // the SHA-256 of its files, so one change rewrites one block and this.
  std::string list = "{\"format\":\"certify-compatibility-list\",\"version\":2,\"title\":" + json(opt.title).dump() +
                     ",\"count\":" + std::to_string(n) + ",\"tree_size\":" + std::to_string(n) +
                     ",\"merkle_root\":\"" + to_hex(root) + "\",\"block_size\":" + std::to_string(block_size) +
                     ",\"leaf\":\"SHA-256(0x00 || one line of the block's JSON Lines file, without its newline)\""
                     ",\"node\":\"SHA-256(0x01 || left || right) (RFC 6962); a block's node is its subtree's root\""
                     ",\"csv_header\":" + json(k_csv_header).dump() + ",\n\"blocks\":[\n";
  for (std::size_t k = 0; k < blocks; ++k) {
    const auto& bs = plan.blocks[k];
    if (k) list += ",\n";
    list += "{\"first\":" + json(bs.first).dump() + ",\"last\":" + json(bs.last).dump() +
            ",\"count\":" + std::to_string(bs.count) + ",\"node\":\"" + to_hex(bs.node) + "\",\"list\":\"" +
            block_name("list", k, "jsonl") + "\",\"list_sha256\":\"" + to_hex(bs.list_sha) + "\",\"csv\":\"" +
            block_name("csv", k, "csv") + "\",\"csv_sha256\":\"" + to_hex(bs.csv_sha) + "\"}";
  }
  list += "]}\n";
  auto list_sig = ed25519_sign(opt.key, list);
  if (!list_sig) return list_sig.error();
  json root_doc = {{"tree_size", n},
                   {"root", to_hex(root)},
                   {"block_size", block_size},
                   {"hash", "SHA-256; leaf = H(0x00 || record line), node = H(0x01 || left || right) (RFC 6962)"}};
  std::string root_text = root_doc.dump(1) + "\n";
  auto root_sig = ed25519_sign(opt.key, root_text);
  if (!root_sig) return root_sig.error();
  small.push_back({"list.json", std::move(list)});
  small.push_back({"list.json.sig", std::move(*list_sig)});
  small.push_back({"signing-key.pem", std::move(*public_pem)});
  small.push_back({"merkle/root.json", std::move(root_text)});
  small.push_back({"merkle/root.json.sig", std::move(*root_sig)});

  State now;
  now.valid = true;
  now.level = opt.bucket_level;
  now.render = std::string(k_render_version);
  now.count = n;
  now.blocks = plan.blocks;
  std::vector<std::string> small_written;
  for (const auto& f : small) {
    FileState fs_now{short_hash(f.content), f.content.size()};
    now.files[f.rel] = fs_now;
    stats.site_bytes += f.content.size();
    auto it = old.files.find(f.rel);
    struct stat sb;
    if (!target.fresh && it != old.files.end() && it->second.hash == fs_now.hash && it->second.size == fs_now.size &&
        ::stat((dir / f.rel).c_str(), &sb) == 0 && static_cast<std::uint64_t>(sb.st_size) == fs_now.size) {
      ++stats.files_unchanged;
      continue;
    }
    if (auto st = write_site_file(dir / f.rel, f.content, target.fresh); !st) return st.error();
    small_written.push_back(f.rel);
    stats.bytes_written += f.content.size();
  }

  // Blocks and files no longer produced.
  if (!target.fresh) {
    for (std::size_t k = blocks; k < old.blocks.size(); ++k)
      for (const auto& rel : block_files(k))
        if (::unlink((dir / rel).c_str()) == 0) ++stats.files_removed;
    for (const auto& [rel, f] : old.files)
      if (!now.files.count(rel) && ::unlink((dir / rel).c_str()) == 0) ++stats.files_removed;
  }
  phases.mark("signed files");

  // Everything is on disk before the state says so (and before a fresh
  // site is renamed into place): a few files are synced one by one, many
  // with one syncfs.
  std::size_t count_written = small_written.size();
  for (const auto& w : written) count_written += w.size();
  if (target.fresh || count_written > 64) {
    int dirfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 || ::syncfs(dirfd) != 0) {
      auto e = errno_text(dir, "cannot sync");
      if (dirfd >= 0) ::close(dirfd);
      return make_error(e);
    }
    ::close(dirfd);
  } else {
    auto sync = [&](const std::string& rel) -> Status {
      int fd = ::open((dir / rel).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::fsync(fd) != 0) {
        auto e = errno_text(dir / rel, "cannot sync");
        if (fd >= 0) ::close(fd);
        return make_error(e);
      }
      ::close(fd);
      return ok_status();
    };
    for (const auto& w : written)
      for (const auto& rel : w)
        if (auto st = sync(rel); !st) return st.error();
    for (const auto& rel : small_written)
      if (auto st = sync(rel); !st) return st.error();
  }
  if (auto st = write_file_atomic(dir / ".publish-state", state_text(now)); !st) return st.error();
  if (target.fresh) {
    // rename(2) replaces an empty directory too.
    if (::rename(dir.c_str(), target.site.c_str()) != 0) return make_error(errno_text(target.site, "cannot rename into"));
    int pfd = ::open(target.parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd >= 0) {
      ::fsync(pfd);
      ::close(pfd);
    }
  }
  phases.mark("sync and state");
  stats.phases = std::move(phases.list);

  stats.certificates = n;
  stats.merkle_root = to_hex(root);
  for (std::size_t k = 0; k < blocks; ++k) {
    const auto& bs = plan.blocks[k];
    stats.site_bytes += bs.list_size + bs.csv_size + bs.search_size + bs.cert_size;
    if (!plan.dirty[k]) stats.files_unchanged += 4;
  }
  for (unsigned t = 0; t < threads; ++t) {
    stats.bytes_written += bytes[t];
    for (auto& w : written[t]) stats.written.push_back(std::move(w));
  }
  for (auto& w : small_written) stats.written.push_back(std::move(w));
  stats.files_written = stats.written.size();
  std::sort(stats.written.begin(), stats.written.end());
  return stats;
}

// Runs a publication into its target; a fresh directory that failed is removed.
Result<PublishStats> run_publication(Plan& plan, const State& old, const PublishOptions& opt, const Target& target,
                                     Phases& phases) {
  auto r = write_site(plan, old, opt, target, phases);
  if (!r && target.fresh) {
    std::error_code ec;
    fs::remove_all(target.dir, ec);
  }
  return r;
}

Status check_options(const PublishOptions& opt) {
  if (opt.out.empty()) return make_error("no output directory");
  if (opt.bucket_level > 20) return make_error("block level must be 0..20");
  return ok_status();
}

// Blocks of the old state that hold exactly the same certificates as block
// k of the new list (same ids at the ends, same count, same Merkle node)
// are clean; `leaves(from, to)` gives the new leaves.
void mark_clean_blocks(Plan& plan, const State& old, bool comparable,
                       const std::function<std::string_view(std::size_t)>& id_at,
                       const std::function<const Hash&(std::size_t)>& leaf_at, unsigned level) {
  const std::size_t block_size = std::size_t{1} << level;
  const std::size_t blocks = (plan.count + block_size - 1) / block_size;
  plan.blocks.assign(blocks, BlockState{});
  plan.dirty.assign(blocks, 1);
  if (!comparable) return;
  for (std::size_t k = 0; k < blocks && k < old.blocks.size(); ++k) {
    std::size_t from = k * block_size, to = std::min(plan.count, from + block_size);
    const auto& ob = old.blocks[k];
    if (ob.count != to - from || ob.first != id_at(from) || ob.last != id_at(to - 1)) continue;
    std::vector<Hash> leaves;
    leaves.reserve(to - from);
    for (std::size_t i = from; i < to; ++i) leaves.push_back(leaf_at(i));
    if (subtree_root(std::move(leaves)) != ob.node) continue;
    plan.blocks[k] = ob;
    plan.dirty[k] = 0;
  }
}

struct Prepared {
  State old;
  Target target;
  bool comparable = false;  // the old state's blocks can be reused
};

Result<Prepared> prepare(const PublishOptions& opt) {
  if (auto st = check_options(opt); !st) return st.error();
  Prepared p;
  p.old = read_state(opt.out / ".publish-state");
  auto t = choose_target(opt.out);
  if (!t) return t.error();
  p.target = std::move(*t);
  if (p.target.fresh) p.old = State{};
  p.comparable = p.old.valid && p.old.level == opt.bucket_level && p.old.render == k_render_version;
  return p;
}

// The id of a record line (simdjson), without making the whole entry.
std::optional<std::string> record_id(std::string_view line) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element r;
  std::string_view id;
  if (parser.parse(line.data(), line.size(), true).get(r) != simdjson::SUCCESS || r["id"].get(id) != simdjson::SUCCESS)
    return std::nullopt;
  return std::string(id);
}

// Splits JSON Lines into lines (1-based numbers kept), skipping blank ones.
struct Line {
  std::string_view text;
  std::size_t number = 0;
};
std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    const void* p = std::memchr(text.data() + start, '\n', text.size() - start);
    std::size_t nl = p ? static_cast<std::size_t>(static_cast<const char*>(p) - text.data()) : text.size();
    auto line = text.substr(start, nl - start);
    ++number;
    start = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    lines.push_back({line, number});
  }
  return lines;
}

}  // namespace

std::string certificate_page(std::string_view id) { return "cert.html?id=" + std::string(id); }

Result<std::string> ed25519_sign(const fs::path& private_key_pem, std::string_view data) {
  auto key = load_private_key(private_key_pem);
  if (!key) return key.error();
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return make_error("Ed25519 signing failed (OpenSSL)");
  sig.resize(len);
  return sig;
}

Result<std::string> ed25519_public_pem(const fs::path& private_key_pem) {
  auto key = load_private_key(private_key_pem);
  if (!key) return key.error();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key->get()) != 1) return make_error("cannot write the public key");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Status ed25519_verify(std::string_view public_key_pem, std::string_view data, std::string_view signature) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) return make_error("not an Ed25519 PEM public key");
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    return make_error("Ed25519 verification failed to start (OpenSSL)");
  if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return make_error("signature does not verify");
  return ok_status();
}

Result<PublishStats> publish_site(const Catalog& catalog, const PublishOptions& opt) {
  Phases phases;
  auto prep = prepare(opt);
  if (!prep) return prep.error();
  // Leaf order: certificate id ascending (ids grow with time, so new
  // certificates append and earlier blocks stay as they were).
  const auto order = catalog.ordered(SortKey::id, false);
  std::vector<const CertificateEntry*> entries(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) entries[i] = &catalog.entry(order[i]);
  Plan plan;
  plan.count = entries.size();
  mark_clean_blocks(
      plan, prep->old, prep->comparable, [&](std::size_t i) -> std::string_view { return entries[i]->id; },
      [&](std::size_t i) -> const Hash& { return entries[i]->leaf; }, opt.bucket_level);
  const std::size_t block_size = std::size_t{1} << opt.bucket_level;
  plan.items = [&](std::size_t k, std::vector<Item>& out) {
    for (std::size_t i = k * block_size; i < std::min(entries.size(), (k + 1) * block_size); ++i)
      out.push_back({entries[i], {}, nullptr, 0});
    return ok_status();
  };
  phases.mark("order");
  return run_publication(plan, prep->old, opt, prep->target, phases);
}

Result<PublishStats> publish_records(std::string_view jsonl, const PublishOptions& opt) {
  Phases phases;
  auto prep = prepare(opt);
  if (!prep) return prep.error();
  const auto lines = split_lines(jsonl);

  // A site that is served is changed only by a list valid throughout: every
  // record is checked (and its leaf hashed, to find the unchanged blocks)
  // before anything is written. A first publication goes to a new directory
  // that a failure removes, so there only the ids are read now and the
  // records are checked as their blocks are written. The blocks parse again.
  const bool check_first = !prep->target.fresh;
  struct Key {
    std::string id;
    Hash leaf;
    std::size_t line;  // index into `lines`
  };
  std::vector<Key> keys(lines.size());
  const unsigned threads = std::max(1u, std::min(opt.threads, 64u));
  std::vector<std::optional<std::pair<std::size_t, Error>>> errors(threads);
  auto parse = [&](unsigned t) {
    std::size_t from = lines.size() * t / threads, to = lines.size() * (t + 1) / threads;
    for (std::size_t i = from; i < to; ++i) {
      if (!check_first) {
        if (auto id = record_id(lines[i].text)) {
          keys[i] = {std::move(*id), Hash{}, i};
          continue;
        }
      }
      auto e = make_entry(lines[i].text);
      if (!e) {
        errors[t] = {lines[i].number, e.error()};
        return;
      }
      keys[i] = {std::move(e->id), e->leaf, i};
    }
  };
  {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(parse, t);
    parse(0);
    for (auto& th : pool) th.join();
  }
  // Thread ranges follow the file: the first thread with an error has the first bad line.
  for (const auto& e : errors)
    if (e) return make_error("line " + std::to_string(e->first) + ": " + e->second.message);
  // Id order; of records with the same id the last one counts (as in the catalog).
  bool sorted = true;
  for (std::size_t i = 1; i < keys.size() && sorted; ++i) sorted = keys[i - 1].id < keys[i].id;
  if (!sorted) {
    std::stable_sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.id < b.id; });
    std::vector<Key> unique;
    unique.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (i + 1 == keys.size() || keys[i + 1].id != keys[i].id) unique.push_back(std::move(keys[i]));
    keys = std::move(unique);
  }
  phases.mark("parse");

  Plan plan;
  plan.count = keys.size();
  mark_clean_blocks(
      plan, prep->old, prep->comparable, [&](std::size_t i) -> std::string_view { return keys[i].id; },
      [&](std::size_t i) -> const Hash& { return keys[i].leaf; }, opt.bucket_level);
  const std::size_t block_size = std::size_t{1} << opt.bucket_level;
  plan.items = [&](std::size_t k, std::vector<Item>& out) {
    for (std::size_t i = k * block_size; i < std::min(keys.size(), (k + 1) * block_size); ++i) {
      const Line& line = lines[keys[i].line];
      out.push_back({nullptr, line.text, check_first ? &keys[i].leaf : nullptr, line.number});
    }
    return ok_status();
  };
  auto r = run_publication(plan, prep->old, opt, prep->target, phases);
  if (!r && !check_first) {
    // Blocks fail in parallel: name the first bad line of the file.
    for (const auto& line : lines)
      if (auto e = make_entry(line.text); !e) return make_error("line " + std::to_string(line.number) + ": " + e.message());
  }
  return r;
}

Result<PublishStats> publish_records_file(const fs::path& records, const PublishOptions& opt) {
  Mapping m(records);
  if (!m.error().empty()) return make_error(m.error());
  return publish_records(m.view(), opt);
}

Result<PublishStats> publish_changes(std::string_view changes_jsonl, const PublishOptions& opt) {
  Phases phases;
  if (auto st = check_options(opt); !st) return st.error();
  State old = read_state(opt.out / ".publish-state");
  if (!old.valid)
    return make_error(opt.out.string() + " holds no publication state: publish the whole list first (--records or --db)");
  if (old.level != opt.bucket_level || old.render != k_render_version)
    return make_error(opt.out.string() + " was published with another block level or site format: publish the whole "
                                         "list again");
  // The changed records, last one winning for an id.
  std::map<std::string, CertificateEntry> changes;
  for (const auto& line : split_lines(changes_jsonl)) {
    auto e = make_entry(line.text);
    if (!e) return make_error("line " + std::to_string(line.number) + ": " + e.message());
    auto id = e->id;
    changes.insert_or_assign(std::move(id), std::move(e.value()));
  }
  phases.mark("state and changes");

  // The published blocks a change falls in, mapped and checked against the
  // state; their lines are made into entries only as the block is written.
  const std::size_t block_size = std::size_t{1} << opt.bucket_level;
  const std::size_t old_blocks = old.blocks.size();
  struct OldBlock {
    std::unique_ptr<Mapping> map;
    std::vector<std::string_view> lines;
  };
  std::map<std::size_t, OldBlock> loaded;
  auto load = [&](std::size_t ob) -> Result<const OldBlock*> {
    auto it = loaded.find(ob);
    if (it != loaded.end()) return &it->second;
    auto rel = block_name("list", ob, "jsonl");
    OldBlock b{std::make_unique<Mapping>(opt.out / rel), {}};
    if (!b.map->error().empty()) return make_error(b.map->error() + " (publish the whole list again)");
    std::string_view all = b.map->view();
    if (sha256_raw(all) != old.blocks[ob].list_sha)
      return make_error(rel + " does not match the publication state: publish the whole list again");
    b.lines.reserve(old.blocks[ob].count);
    for (std::size_t s = 0; s < all.size();) {
      auto e = all.find('\n', s);
      if (e == std::string_view::npos) e = all.size();
      b.lines.push_back(all.substr(s, e - s));
      s = e + 1;
    }
    if (b.lines.size() != old.blocks[ob].count)
      return make_error(rel + " does not match the publication state: publish the whole list again");
    return &loaded.emplace(ob, std::move(b)).first->second;
  };
  // The old block whose id range is the last to start at or before `id`.
  auto block_of = [&](const std::string& id) -> std::size_t {
    auto it = std::upper_bound(old.blocks.begin(), old.blocks.end(), id,
                               [](const std::string& v, const BlockState& b) { return v < b.first; });
    return it == old.blocks.begin() ? 0 : static_cast<std::size_t>(it - old.blocks.begin()) - 1;
  };

  // A change replaces a published record or is new. New ids shift every
  // later certificate, so the blocks from the first new one on are rebuilt
  // (new certificates usually sort last: then only the last block).
  std::size_t tail = old_blocks;  // first old block rebuilt as part of the tail
  std::map<std::size_t, std::map<std::size_t, const CertificateEntry*>> replaced;  // old block -> line -> change
  std::size_t added = 0;
  for (const auto& [id, e] : changes) {
    if (old_blocks == 0) {
      tail = 0;
      ++added;
      continue;
    }
    std::size_t ob = block_of(id);
    const auto& b = old.blocks[ob];
    if (id < b.first) {  // before the first block
      tail = 0;
      ++added;
    } else if (id > b.last) {  // between blocks: at the start of the next one; or after the last one
      tail = std::min(tail, ob + 1 < old_blocks ? ob + 1 : (b.count < block_size ? ob : old_blocks));
      ++added;
    } else {
      // Binary search of the block's lines by id (a few records parsed).
      auto blk = load(ob);
      if (!blk) return blk.error();
      const auto& lines = (*blk)->lines;
      std::size_t lo = 0, hi = lines.size();
      while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        auto mid_id = record_id(lines[mid]);
        if (!mid_id)
          return make_error(block_name("list", ob, "jsonl") + ": line " + std::to_string(mid + 1) +
                            " has no id (publish the whole list again)");
        if (*mid_id < id) lo = mid + 1;
        else hi = mid;
      }
      if (lo == lines.size() || record_id(lines[lo]) != id) {
        tail = std::min(tail, ob);
        ++added;
      } else if (leaf_hash(lines[lo]) != e.leaf) {
        replaced[ob][lo] = &e;
      }
    }
  }
  Plan plan;
  plan.count = old.count + added;
  const std::size_t blocks = (plan.count + block_size - 1) / block_size;
  plan.blocks.assign(blocks, BlockState{});
  plan.dirty.assign(blocks, 0);
  for (std::size_t k = 0; k < std::min(tail, blocks); ++k) {
    plan.blocks[k] = old.blocks[k];
    plan.dirty[k] = replaced.count(k) ? 1 : 0;
  }
  for (std::size_t k = tail; k < blocks; ++k) plan.dirty[k] = 1;

  // The certificates of every rebuilt block, merged in id order.
  std::vector<std::vector<Item>> block_items(blocks);
  for (const auto& [k, lines_changed] : replaced) {
    if (k >= tail) continue;
    const auto& lines = loaded.at(k).lines;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      auto c = lines_changed.find(i);
      block_items[k].push_back(c != lines_changed.end() ? Item{c->second, {}, nullptr, 0} : Item{nullptr, lines[i], nullptr, 0});
    }
  }
  if (tail < blocks) {
    std::vector<Item> merged;
    // Every change after the last block kept as it was.
    auto ch = tail == 0 ? changes.begin() : changes.upper_bound(old.blocks[tail - 1].last);
    for (std::size_t ob = tail; ob < old_blocks; ++ob) {
      auto blk = load(ob);
      if (!blk) return blk.error();
      for (auto line : (*blk)->lines) {
        auto id = record_id(line);
        if (!id)
          return make_error(block_name("list", ob, "jsonl") + ": a line has no id (publish the whole list again)");
        for (; ch != changes.end() && ch->first < *id; ++ch) merged.push_back({&ch->second, {}, nullptr, 0});
        if (ch != changes.end() && ch->first == *id) {
          merged.push_back({&ch->second, {}, nullptr, 0});
          ++ch;
        } else {
          merged.push_back({nullptr, line, nullptr, 0});
        }
      }
    }
    for (; ch != changes.end(); ++ch) merged.push_back({&ch->second, {}, nullptr, 0});
    if (tail * block_size + merged.size() != plan.count)
      return make_error("internal error: the changes do not merge into " + std::to_string(plan.count) + " certificates");
    for (std::size_t i = 0; i < merged.size(); ++i) block_items[tail + i / block_size].push_back(merged[i]);
  }
  plan.items = [&](std::size_t k, std::vector<Item>& out) {
    out = block_items[k];
    return ok_status();
  };
  plan.check_files = false;
  phases.mark("merge");
  Target target;
  target.site = target.dir = opt.out;
  return write_site(plan, old, opt, target, phases);
}

Result<InclusionProof> verify_published_certificate(const fs::path& site, std::string_view id,
                                                    std::string_view public_key_pem) {
  std::string pinned(public_key_pem);
  if (pinned.empty()) {
    auto k = read_file(site / "signing-key.pem", 1 << 16);
    if (!k) return k.error();
    pinned = *k;
  }
  auto list = read_file(site / "list.json", std::size_t{1} << 30);
  auto list_sig = read_file(site / "list.json.sig", 1024);
  if (!list) return list.error();
  if (!list_sig) return list_sig.error();
  if (auto st = ed25519_verify(pinned, *list, *list_sig); !st) return make_error("list.json: " + st.message());
  auto root_text = read_file(site / "merkle/root.json", 1 << 16);
  auto root_sig = read_file(site / "merkle/root.json.sig", 1024);
  if (!root_text) return root_text.error();
  if (!root_sig) return root_sig.error();
  if (auto st = ed25519_verify(pinned, *root_text, *root_sig); !st) return make_error("merkle/root.json: " + st.message());

  json index = json::parse(*list, nullptr, false);
  json root_doc = json::parse(*root_text, nullptr, false);
  if (index.is_discarded() || !index.is_object() || index.value("version", 0) != 2 || !index["blocks"].is_array() ||
      !index["tree_size"].is_number_unsigned() || !index["block_size"].is_number_unsigned())
    return make_error("list.json is not a version 2 compatibility list");
  if (root_doc.is_discarded() || !root_doc.is_object()) return make_error("merkle/root.json is malformed");
  std::string root_hex = index.value("merkle_root", "");
  auto root = hash_from_hex(root_hex);
  if (!root) return make_error("list.json: malformed merkle_root");
  if (root_doc.value("root", "") != root_hex || root_doc.value("tree_size", json()) != index["tree_size"])
    return make_error("list.json and merkle/root.json name different Merkle roots");
  const std::uint64_t tree_size = index["tree_size"].get<std::uint64_t>();
  const std::uint64_t block_size = index["block_size"].get<std::uint64_t>();
  if (block_size == 0 || (block_size & (block_size - 1)) || block_size > (1u << 20))
    return make_error("list.json: block_size is not a power of two up to 2^20");

  // The root over the block nodes is the signed root.
  std::vector<Hash> nodes;
  const json& blocks = index["blocks"];
  std::uint64_t counted = 0;
  for (const auto& bl : blocks) {
    auto h = bl.is_object() && bl["node"].is_string() ? hash_from_hex(bl["node"].get<std::string>()) : std::nullopt;
    if (!h || !bl["count"].is_number_unsigned()) return make_error("list.json: malformed block");
    if (&bl != &blocks.back() && bl["count"].get<std::uint64_t>() != block_size)
      return make_error("list.json: a block other than the last is not full");
    counted += bl["count"].get<std::uint64_t>();
    nodes.push_back(*h);
  }
  if (counted != tree_size) return make_error("list.json: the blocks do not add up to tree_size");
  const MerkleTree upper(nodes);
  if (upper.root() != *root) return make_error("list.json: the block nodes do not lead to the signed Merkle root");

  if (!valid_certificate_id(id)) return make_error("not a certificate id: " + std::string(id));
  // The block whose id range holds `id`.
  std::size_t k = 0;
  {
    std::size_t lo = 0, hi = blocks.size();
    while (lo < hi) {
      std::size_t mid = (lo + hi) / 2;
      if (blocks[mid].value("last", "") < id) lo = mid + 1;
      else hi = mid;
    }
    k = lo;
  }
  if (k == blocks.size() || blocks[k].value("first", "") > id)
    return make_error("certificate " + std::string(id) + " is not in the signed list");
  const json& bl = blocks[k];
  std::string rel = bl.value("list", "");
  if (rel != block_name("list", k, "jsonl")) return make_error("list.json: unexpected block file name " + rel);
  auto text = read_file(site / rel, std::size_t{1} << 32);
  if (!text) return text.error();
  if (to_hex(sha256_raw(*text)) != bl.value("list_sha256", ""))
    return make_error(rel + " does not match its SHA-256 in the signed list");
  std::vector<Hash> leaves;
  std::optional<std::size_t> at;
  std::string record;
  std::string_view all = *text;
  std::vector<std::string_view> lines;
  for (std::size_t s = 0; s < all.size();) {
    auto e = all.find('\n', s);
    if (e == std::string_view::npos) return make_error(rel + ": the last line has no newline");
    auto line = all.substr(s, e - s);
    s = e + 1;
    lines.push_back(line);
    leaves.push_back(leaf_hash(line));
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(rel + ": line " + std::to_string(leaves.size()) + " is not a JSON object");
    if (j.value("id", "") == id) {
      at = leaves.size() - 1;
      record = line;
    }
  }
  if (leaves.size() != bl["count"].get<std::uint64_t>()) return make_error(rel + ": not as many records as the signed list says");
  if (!at) return make_error("certificate " + std::string(id) + " is not in " + rel);
  // The RFC 9162 audit path: inside the block, then from the block to the root.
  const MerkleTree lower(leaves);
  InclusionProof proof;
  proof.record = record;
  proof.leaf_index = k * block_size + *at;
  proof.tree_size = tree_size;
  proof.root = root_hex;
  proof.path = lower.inclusion_proof(*at);
  auto up = upper.inclusion_proof(k);
  proof.path.insert(proof.path.end(), up.begin(), up.end());
  if (!verify_inclusion(leaf_hash(record), proof.leaf_index, tree_size, proof.path, *root))
    return make_error("certificate " + std::string(id) + ": inclusion proof does not lead to the signed root");

  // The certificate page shows the block's records from cert/NNNNN.js: it
  // must hold exactly the signed records, so what a reader sees is what
  // the list signs.
  std::string cert_rel = block_name("cert", k, "js");
  auto cert = read_file(site / cert_rel, std::size_t{1} << 32);
  if (!cert) return make_error(cert.message() + " (the certificate page's data)");
  std::string expected = "certifyCert.block(" + std::to_string(k) + ",[\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) expected += ",\n";
    expected += lines[i];
  }
  expected += "]);\n";
  if (*cert != expected) return make_error(cert_rel + " (the certificate page's data) does not hold the signed records of " + rel);
  return proof;
}

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace certify::certdb
