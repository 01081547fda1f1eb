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

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <thread>

#include "certdb/merkle.hpp"
#include "certdb/site_assets.hpp"
#include "core/files.hpp"

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

std::string html(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Hash sha256_raw(std::string_view data) {
  Hash h;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h.data());
  return h;
}

// CPU time of the process (every thread), user + system, in seconds.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Wall and CPU time of the steps of one publication (PublishStats::phases).
class Phases {
 public:
  void mark(std::string name) {
    auto now = std::chrono::steady_clock::now();
    double cpu = cpu_seconds();
    list.push_back({std::move(name), std::chrono::duration<double>(now - wall_).count(), cpu - cpu_});
    wall_ = now;
    cpu_ = cpu;
  }
  std::vector<PublishPhase> list;

 private:
  std::chrono::steady_clock::time_point wall_ = std::chrono::steady_clock::now();
  double cpu_ = cpu_seconds();
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

// A block's files, rendered from its entries in id order:
//   list/NNNNN.jsonl  the records, one a line (the Merkle leaves' bytes)
//   csv/NNNNN.csv     the same as CSV with its header
//   search/NNNNN.js   the search page's rows: certifySearch.shard(k,[row,...]);
//   cert/NNNNN.js     the records for cert.html: certifyCert.block(k,[record,...]);
//                     (a JSON object is a JavaScript expression, so the page
//                     loads it with a <script> element, which file:// allows)
struct BlockOut {
  BlockState state;
  std::array<std::string, 4> data;
};

void render_block(std::size_t k, std::span<const CertificateEntry* const> es, BlockOut& out) {
  auto& [list, csv, search, cert] = out.data;
  std::size_t bytes = 0;
  for (const auto* e : es) bytes += e->record.size() + 2;
  list.clear();
  list.reserve(bytes);
  cert.reserve(bytes + 64);
  csv = std::string(k_csv_header) + "\r\n";
  search = "certifySearch.shard(" + std::to_string(k) + ",[\n";
  cert = "certifyCert.block(" + std::to_string(k) + ",[\n";
  std::vector<Hash> leaves;
  leaves.reserve(es.size());
  auto& st = out.state;
  for (std::size_t i = 0; i < es.size(); ++i) {
    const CertificateEntry& e = *es[i];
    list += e.record;
    list += '\n';
    csv += e.csv;
    csv += "\r\n";
    if (i) {
      search += ",\n";
      cert += ",\n";
    }
    search += e.row;
    cert += e.record;
    leaves.push_back(e.leaf);
    add_facets(st.facets, e);
  }
  search += "]);\n";
  cert += "]);\n";
  st.first = es.front()->id;
  st.last = es.back()->id;
  st.count = es.size();
  st.node = subtree_root(std::move(leaves));
  st.list_sha = sha256_raw(list);
  st.csv_sha = sha256_raw(csv);
  st.list_size = list.size();
  st.csv_size = csv.size();
  st.search_size = search.size();
  st.cert_size = cert.size();
}

// What one publication writes: every block's state, with `dirty` ones to be
// rendered from `entries` (which fills `out` with the block's entries in id
// order, keeping any it has to make in `storage`).
struct Plan {
  std::size_t count = 0;
  std::vector<BlockState> blocks;
  std::vector<char> dirty;
  std::function<Status(std::size_t k, std::vector<const CertificateEntry*>& out,
                       std::deque<CertificateEntry>& storage)>
      entries;
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
  replace("@TITLE@", html(opt.title));
  replace("@COUNT@", std::to_string(count));
  return h;
}

std::string render_cert_page(const PublishOptions& opt) {
  std::string h(k_cert_page_template);
  const std::string title = html(opt.title);
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
  if (!target.fresh)
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
    std::vector<const CertificateEntry*> es;
    std::deque<CertificateEntry> storage;
    BlockOut out;
    for (std::size_t j; (j = next++) < todo.size();) {
      std::size_t k = todo[j];
      es.clear();
      storage.clear();
      if (auto st = plan.entries(k, es, storage); !st) {
        errors[t] = st.error();
        next = todo.size();
        return;
      }
      if (es.empty() || es.size() != std::min(block_size, n - k * block_size)) {
        errors[t] = make_error("internal error: block " + std::to_string(k) + " has " + std::to_string(es.size()) +
                               " certificates");
        next = todo.size();
        return;
      }
      out.state = BlockState{};
      render_block(k, es, out);
      auto rels = block_files(k);
      for (std::size_t f = 0; f < 4; ++f) {
        if (auto st = write_site_file(dir / rels[f], out.data[f], target.fresh); !st) {
          errors[t] = st.error();
          next = todo.size();
          return;
        }
        written[t].push_back(rels[f]);
        bytes[t] += out.data[f].size();
      }
      plan.blocks[k] = std::move(out.state);
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
  plan.entries = [&](std::size_t k, std::vector<const CertificateEntry*>& out, std::deque<CertificateEntry>&) {
    for (std::size_t i = k * block_size; i < std::min(entries.size(), (k + 1) * block_size); ++i)
      out.push_back(entries[i]);
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

  // Every record is checked (and its leaf hashed) before anything is
  // written; only the id and the leaf are kept, the blocks parse again.
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
  plan.entries = [&](std::size_t k, std::vector<const CertificateEntry*>& out, std::deque<CertificateEntry>& storage) {
    for (std::size_t i = k * block_size; i < std::min(keys.size(), (k + 1) * block_size); ++i) {
      const Line& line = lines[keys[i].line];
      auto e = make_entry(line.text);
      if (!e || e->leaf != keys[i].leaf)
        return Status(make_error("line " + std::to_string(line.number) + ": record changed while publishing"));
      storage.push_back(std::move(e.value()));
      out.push_back(&storage.back());
    }
    return ok_status();
  };
  return run_publication(plan, prep->old, opt, prep->target, phases);
}

namespace {

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
      void* p = ::mmap(nullptr, static_cast<std::size_t>(sb.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        error_ = errno_text(path, "cannot map");
      } else {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<std::size_t>(sb.st_size);
        ::madvise(p, size_, MADV_SEQUENTIAL);
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

}  // namespace

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

  // The published blocks a change falls in, read back and checked against
  // the state (their records are parsed again for the CSV and search rows).
  const std::size_t block_size = std::size_t{1} << opt.bucket_level;
  const std::size_t old_blocks = old.blocks.size();
  std::map<std::size_t, std::vector<CertificateEntry>> loaded;
  auto load = [&](std::size_t ob) -> Result<std::vector<CertificateEntry>*> {
    auto it = loaded.find(ob);
    if (it != loaded.end()) return &it->second;
    auto rel = block_name("list", ob, "jsonl");
    auto text = read_file(opt.out / rel, std::size_t{1} << 32);
    if (!text) return make_error(text.message() + " (publish the whole list again)");
    if (sha256_raw(*text) != old.blocks[ob].list_sha)
      return make_error(rel + " does not match the publication state: publish the whole list again");
    std::vector<CertificateEntry> es;
    es.reserve(old.blocks[ob].count);
    for (const auto& line : split_lines(*text)) {
      auto e = make_entry(line.text);
      if (!e) return make_error(rel + ": " + e.message() + " (publish the whole list again)");
      es.push_back(std::move(e.value()));
    }
    if (es.size() != old.blocks[ob].count)
      return make_error(rel + " does not match the publication state: publish the whole list again");
    return &loaded.emplace(ob, std::move(es)).first->second;
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
  std::size_t tail = old_blocks;   // first old block rebuilt as part of the tail
  std::set<std::size_t> replaced;  // old blocks with a changed record
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
      auto es = load(ob);
      if (!es) return es.error();
      auto pos = std::lower_bound((*es)->begin(), (*es)->end(), id,
                                  [](const CertificateEntry& x, const std::string& v) { return x.id < v; });
      if (pos == (*es)->end() || pos->id != id) {
        tail = std::min(tail, ob);
        ++added;
      } else if (pos->leaf != e.leaf) {
        replaced.insert(ob);
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

  // The entries of every rebuilt block, merged in id order.
  std::vector<std::vector<const CertificateEntry*>> block_entries(blocks);
  for (std::size_t k : replaced) {
    if (k >= tail) continue;
    auto es = load(k);
    if (!es) return es.error();
    for (const auto& x : **es) {
      auto c = changes.find(x.id);
      block_entries[k].push_back(c != changes.end() ? &c->second : &x);
    }
  }
  if (tail < blocks) {
    std::vector<const CertificateEntry*> merged;
    // Every change after the last block kept as it was.
    auto ch = tail == 0 ? changes.begin() : changes.upper_bound(old.blocks[tail - 1].last);
    for (std::size_t ob = tail; ob < old_blocks; ++ob) {
      auto es = load(ob);
      if (!es) return es.error();
      for (const auto& x : **es) {
        for (; ch != changes.end() && ch->first < x.id; ++ch) merged.push_back(&ch->second);
        if (ch != changes.end() && ch->first == x.id) {
          merged.push_back(&ch->second);
          ++ch;
        } else {
          merged.push_back(&x);
        }
      }
    }
    for (; ch != changes.end(); ++ch) merged.push_back(&ch->second);
    if (tail * block_size + merged.size() != plan.count)
      return make_error("internal error: the changes do not merge into " + std::to_string(plan.count) + " certificates");
    for (std::size_t i = 0; i < merged.size(); ++i) block_entries[tail + i / block_size].push_back(merged[i]);
  }
  std::mutex load_mu;
  plan.entries = [&](std::size_t k, std::vector<const CertificateEntry*>& out, std::deque<CertificateEntry>&) {
    out = block_entries[k];
    if (out.empty()) {
      // A clean block whose files went missing: rebuilt from its own file.
      std::lock_guard lock(load_mu);
      auto es = load(k);
      if (!es) return Status(es.error());
      for (const auto& x : **es) out.push_back(&x);
    }
    return ok_status();
  };
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

}  // namespace certify::certdb
