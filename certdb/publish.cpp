// Static publication of the compatibility list. Files are rendered from the
// catalog, compared by content hash with the previous run's state and
// written only when they changed; certificates whose leaf and proof block
// are unchanged are not even rendered.
#include "certdb/publish.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <endian.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <unordered_map>

#include "certdb/merkle.hpp"
#include "certdb/site_assets.hpp"
#include "core/files.hpp"

namespace certify::certdb {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Bumped whenever page templates change, so every page is re-rendered once.
constexpr std::string_view k_render_version = "certify-publish-render-2";
constexpr std::string_view k_state_magic = "certify-publish-state 2\n";

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

// SHA-256 of `data` (the block files' digests in the signed list).
Hash sha256_raw(std::string_view data) {
  Hash h;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h.data());
  return h;
}

// ------------------------------------------------------------------ state

// .publish-state, read with one mmap so that an incremental publish of a
// million certificates starts in milliseconds:
//   "certify-publish-state 2\n"
//   one JSON line: {"count","level","render","ids_bytes","facets","files":{rel:[hash,size]}}
//   ids_bytes bytes: every id followed by '\n', in id (leaf) order
//   count x 36 bytes: leaf hash (32), page size (u32 little-endian)
//   blocks x 96 bytes: block node, SHA-256 of list/NNNNN.jsonl, of csv/NNNNN.csv
struct FileState {
  std::string hash;
  std::uint64_t size = 0;
};
struct BlockState {
  Hash node{}, list_sha{}, csv_sha{};
  std::uint64_t list_size = 0, csv_size = 0, search_size = 0;
};
struct State {
  bool valid = false;
  unsigned level = 0;
  std::string render;
  std::vector<std::string_view> ids;  // into `ids_text`
  std::string ids_text;
  std::vector<Hash> leaves;
  std::vector<std::uint32_t> page_size;
  std::vector<BlockState> blocks;
  json facets = json::object();
  std::map<std::string, FileState> files;

  // Position of `id` (ids are sorted), if present.
  std::optional<std::size_t> find(std::string_view id) const {
    auto it = std::lower_bound(ids.begin(), ids.end(), id);
    if (it == ids.end() || *it != id) return std::nullopt;
    return static_cast<std::size_t>(it - ids.begin());
  }
};

class Mapping {
 public:
  explicit Mapping(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat sb;
    if (::fstat(fd, &sb) == 0 && sb.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(sb.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
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
  std::string_view view() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

std::uint32_t get_u32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return le32toh(v);
}
std::uint64_t get_u64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return le64toh(v);
}
void put_u32(std::string& out, std::uint32_t v) {
  v = htole32(v);
  out.append(reinterpret_cast<const char*>(&v), 4);
}
void put_u64(std::string& out, std::uint64_t v) {
  v = htole64(v);
  out.append(reinterpret_cast<const char*>(&v), 8);
}

constexpr std::size_t k_block_record = 32 * 3 + 8 * 3;

// A missing, older or damaged state reads as invalid: everything is written.
State read_state(const fs::path& path) {
  State st;
  Mapping m(path);
  std::string_view all = m.view();
  if (!all.starts_with(k_state_magic)) return st;
  all.remove_prefix(k_state_magic.size());
  auto nl = all.find('\n');
  if (nl == std::string_view::npos) return st;
  json head = json::parse(all.substr(0, nl), nullptr, false);
  all.remove_prefix(nl + 1);
  if (head.is_discarded() || !head.is_object()) return st;
  std::size_t n = 0, ids_bytes = 0;
  try {
    n = head.at("count").get<std::size_t>();
    ids_bytes = head.at("ids_bytes").get<std::size_t>();
    st.level = head.at("level").get<unsigned>();
    st.render = head.at("render").get<std::string>();
    st.facets = head.at("facets");
    for (const auto& [rel, v] : head.at("files").items())
      st.files[rel] = {v.at(0).get<std::string>(), v.at(1).get<std::uint64_t>()};
  } catch (const json::exception&) {
    return st;
  }
  if (st.level > 20) return st;
  std::size_t blocks = (n + (std::size_t{1} << st.level) - 1) >> st.level;
  if (all.size() != ids_bytes + n * 36 + blocks * k_block_record) return st;
  st.ids_text.assign(all.substr(0, ids_bytes));
  std::string_view ids = st.ids_text;
  st.ids.reserve(n);
  for (std::size_t pos = 0; pos < ids.size();) {
    auto end = ids.find('\n', pos);
    if (end == std::string_view::npos) return State{};
    st.ids.push_back(ids.substr(pos, end - pos));
    pos = end + 1;
  }
  if (st.ids.size() != n || !std::is_sorted(st.ids.begin(), st.ids.end())) return State{};
  const char* p = all.data() + ids_bytes;
  st.leaves.resize(n);
  st.page_size.resize(n);
  for (std::size_t i = 0; i < n; ++i, p += 36) {
    std::memcpy(st.leaves[i].data(), p, 32);
    st.page_size[i] = get_u32(p + 32);
  }
  st.blocks.resize(blocks);
  for (auto& b : st.blocks) {
    std::memcpy(b.node.data(), p, 32);
    std::memcpy(b.list_sha.data(), p + 32, 32);
    std::memcpy(b.csv_sha.data(), p + 64, 32);
    b.list_size = get_u64(p + 96);
    b.csv_size = get_u64(p + 104);
    b.search_size = get_u64(p + 112);
    p += k_block_record;
  }
  st.valid = true;
  return st;
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

// A new file is created in place (one open, write, close: no reader can
// have seen it yet). A file that exists is replaced through a temporary
// file and rename, so a web server serving the directory never sends a
// torn page. No fsync per file: the caller syncs once before saving the
// state.
Status write_site_file(const fs::path& path, std::string_view data, bool exists) {
  if (!exists) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      auto st = write_fd(fd, path, data);
      if (::close(fd) != 0 && st) st = make_error(errno_text(path, "cannot close"));
      if (!st) ::unlink(path.c_str());
      return st;
    }
    if (errno != EEXIST) return make_error(errno_text(path, "cannot create"));
  }
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(errno_text(tmp, "cannot create"));
  auto st = write_fd(fd, tmp, data);
  if (::close(fd) != 0 && st) st = make_error(errno_text(tmp, "cannot close"));
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0) st = make_error(errno_text(path, "cannot rename into"));
  if (!st) ::unlink(tmp.c_str());
  return st;
}

struct Output {
  std::vector<std::string> written;
  std::uint64_t bytes = 0;
  std::size_t unchanged = 0;
};

// Puts `content` at `rel` unless the state says it is already there.
Result<FileState> put(const fs::path& root, const std::string& rel, std::string_view content,
                      const FileState* old, Output& out) {
  FileState now{short_hash(content), content.size()};
  struct stat sb;
  bool exists = ::stat((root / rel).c_str(), &sb) == 0;
  if (old && old->hash == now.hash && old->size == now.size && exists &&
      static_cast<std::uint64_t>(sb.st_size) == now.size) {
    ++out.unchanged;
    return now;
  }
  auto st = write_site_file(root / rel, content, exists);
  if (!st) return st.error();
  out.written.push_back(rel);
  out.bytes += content.size();
  return now;
}

// ------------------------------------------------------------------ pages
// Pages are rendered from the record's bytes with simdjson and plain
// appends into one reserved buffer: a million of them must cost seconds.

namespace dom = simdjson::dom;

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string page_dir(std::string_view id) {
  static constexpr char k_hex[] = "0123456789abcdef";
  auto b = fnv1a(id) & 0xff;
  return std::string("cert/") + k_hex[b >> 4] + k_hex[b & 0xf];
}

void html_to(std::string& out, std::string_view s) {
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
}

std::string page_head(std::string_view title, std::string_view root) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" + html(title) + "</title><link rel=\"stylesheet\" href=\"" + std::string(root) +
         "assets/style.css\"></head>\n<body>\n";
}

// A member as text: "" when missing or not a string.
std::string_view sv(dom::element obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get(v) != simdjson::SUCCESS) return {};
  return v;
}
// Appends pieces: literal text as is, values HTML-escaped through H{}.
struct H {
  std::string_view v;
};
struct Page {
  std::string out;
  Page& operator<<(std::string_view s) {
    out += s;
    return *this;
  }
  Page& operator<<(H s) {
    html_to(out, s.v);
    return *this;
  }
  Page& operator<<(std::int64_t n) {
    out += std::to_string(n);
    return *this;
  }
};

Result<std::string> render_certificate_page(const CertificateEntry& e, const PublishOptions& opt) {
  thread_local dom::parser parser;
  dom::element r;
  if (parser.parse(e.record.data(), e.record.size(), true).get(r) != simdjson::SUCCESS || !r.is_object())
    return make_error("certificate " + e.id + ": record does not parse");
  const std::string_view id = e.id, vendor = e.vendor, product = e.product, model = e.model;
  const bool withdrawn = e.status == "withdrawn";
  Page p;
  p.out.reserve(4096);
  p.out = page_head(e.id + " \u2014 " + e.vendor + " " + e.product, "../../");
  p << "<header><a href=\"../../index.html\">\u2190 " << H{opt.title}
    << "</a></header>\n<main class=\"certificate\">\n<h1><span id=\"vendor\">" << H{vendor}
    << "</span> <span id=\"product\">" << H{product} << "</span>";
  if (!model.empty()) p << " <small id=\"model\">" << H{model} << "</small>";
  p << "</h1>\n";
  if (withdrawn) {
    dom::element w = r["withdrawn"].value_unsafe();
    p << "<div class=\"withdrawn-banner\" id=\"withdrawn\"><strong>Withdrawn</strong> on " << H{sv(w, "date")};
    if (!sv(w, "by").empty()) p << " by " << H{sv(w, "by")};
    p << ": <span id=\"withdrawn-reason\">" << H{sv(w, "reason")}
      << "</span>. This certificate no longer vouches for the product; it stays listed so that earlier "
         "references can be checked.</div>\n";
  }
  p << "<dl class=\"facts\">";
  auto fact = [&](std::string_view name, std::string_view idattr, std::string_view value, bool escape = true) {
    p << "<dt>" << name << "</dt><dd id=\"" << idattr << "\">";
    if (escape) p << H{value};
    else p << value;
    p << "</dd>";
  };
  fact("Certificate", "cert-id", id);
  fact("Status", "status",
       withdrawn ? "<span class=\"badge withdrawn\">withdrawn</span>" : "<span class=\"badge active\">active</span>", false);
  fact("Kind", "kind", e.kind);
  fact("Architecture", "arch", e.arch);
  fact("Issued", "issued", e.issued);
  p << "</dl>\n";

  // Operating systems: tested, extended by a reviewer, derivative (ID_LIKE).
  dom::element os = r["os"].value_unsafe();
  p << "<h2>Operating systems</h2>\n<ul class=\"oslist\">\n<li class=\"os-tested\"><span class=\"badge tested\">tested</span> "
    << H{sv(os, "name")} << " <code>" << H{sv(os, "id")} << " " << H{sv(os, "version_id")} << "</code></li>\n";
  dom::array extensions;
  bool has_ext = r["extensions"].get(extensions) == simdjson::SUCCESS;
  if (has_ext)
    for (dom::element x : extensions) {
      dom::element xo;
      if (sv(x, "kind") != "os" || x["os"].get(xo) != simdjson::SUCCESS) continue;
      p << "<li class=\"os-extended\"><span class=\"badge extension\">extension</span> <code>" << H{sv(xo, "id")} << " "
        << H{sv(xo, "version_id")} << "</code> \u2014 basis: " << H{sv(x, "basis")} << " <span class=\"by\">("
        << H{sv(x, "by")} << ", " << H{sv(x, "date")} << ")</span></li>\n";
    }
  for (const auto& l : e.os_like)
    p << "<li class=\"os-derivative\"><span class=\"badge derivative\">derivative, not tested</span> <code>" << H{l}
      << "</code> \u2014 related through os-release ID_LIKE; expected to carry over, not certified</li>\n";
  p << "</ul>\n";

  // Tested classes with per-class results, then the summary.
  std::map<std::string, std::array<long, 3>> per_class;
  for (const auto& c : e.classes) per_class[c];
  dom::array tests;
  bool has_tests = r["tests"].get(tests) == simdjson::SUCCESS;
  if (has_tests)
    for (dom::element t : tests) {
      auto& counts = per_class[std::string(sv(t, "class"))];
      auto s = sv(t, "status");
      counts[s == "pass" ? 0 : s == "skip" ? 2 : 1]++;
    }
  p << "<h2>Tested classes</h2>\n<table id=\"classes\"><thead><tr><th>Class</th><th>Pass</th><th>Fail</th>"
       "<th>Skip</th></tr></thead><tbody>\n";
  for (const auto& [cls, counts] : per_class) {
    if (cls.empty()) continue;
    p << "<tr><td>" << H{cls} << "</td><td>" << std::int64_t{counts[0]} << "</td><td>" << std::int64_t{counts[1]}
      << "</td><td>" << std::int64_t{counts[2]} << "</td></tr>\n";
  }
  p << "</tbody></table>\n";
  auto count = [&](const char* k) -> std::int64_t {
    std::int64_t n = 0;
    if (r["summary"][k].get(n) != simdjson::SUCCESS) return 0;
    return n;
  };
  p << "<p id=\"summary\" class=\"summary\">Results: <span class=\"pass\">" << count("pass")
    << " passed</span>, <span class=\"fail\">" << count("fail") << " failed</span>, <span class=\"skip\">"
    << count("skip") << " skipped</span></p>\n";

  bool any_product_ext = false;
  if (has_ext)
    for (dom::element x : extensions) {
      if (sv(x, "kind") != "product") continue;
      if (!any_product_ext)
        p << "<h2>Extended to</h2>\n<p>Products certified by extension, on the basis a reviewer recorded (not "
             "tested themselves):</p>\n<table id=\"extensions\"><thead><tr><th></th><th>Product</th><th>Model</th>"
             "<th>Basis</th><th>By</th><th>Date</th></tr></thead><tbody>\n";
      any_product_ext = true;
      p << "<tr class=\"extension\"><td><span class=\"badge extension\">extension</span></td><td>" << H{sv(x, "product")}
        << "</td><td>" << H{sv(x, "model")} << "</td><td>" << H{sv(x, "basis")} << "</td><td>" << H{sv(x, "by")}
        << "</td><td>" << H{sv(x, "date")} << "</td></tr>\n";
    }
  if (any_product_ext) p << "</tbody></table>\n";

  if (dom::object hw; r["hardware"].get(hw) == simdjson::SUCCESS) {
    p << "<h2>Hardware</h2>\n";
    if (dom::element sys; hw["system"].get(sys) == simdjson::SUCCESS && sys.is_object())
      p << "<p>System: " << H{sv(sys, "vendor")} << " " << H{sv(sys, "product")} << ", board " << H{sv(sys, "board")}
        << "</p>\n";
    if (dom::array devs; hw["devices"].get(devs) == simdjson::SUCCESS && devs.size() > 0) {
      p << "<table id=\"devices\"><thead><tr><th>Class</th><th>Device</th><th>IDs</th><th>Driver</th></tr>"
           "</thead><tbody>\n";
      for (dom::element d : devs) {
        if (!d.is_object()) continue;
        p << "<tr><td>" << H{sv(d, "class")} << "</td><td>" << H{sv(d, "vendor")} << " " << H{sv(d, "name")}
          << "</td><td><code>" << H{sv(d, "vendor_id")} << ":" << H{sv(d, "device_id")} << " "
          << H{sv(d, "subsystem_vendor_id")} << ":" << H{sv(d, "subsystem_device_id")} << "</code></td><td>"
          << H{sv(d, "driver")} << "</td></tr>\n";
      }
      p << "</tbody></table>\n";
    }
  }
  if (has_tests && tests.size() > 0) {
    p << "<h2>Tests</h2>\n<table id=\"tests\"><thead><tr><th>Test</th><th>Class</th><th>Result</th></tr></thead>"
         "<tbody>\n";
    for (dom::element t : tests)
      p << "<tr><td><code>" << H{sv(t, "id")} << "</code></td><td>" << H{sv(t, "class")} << "</td><td class=\""
        << H{sv(t, "status")} << "\">" << H{sv(t, "status")} << "</td></tr>\n";
    p << "</tbody></table>\n";
  }
  p << "<p class=\"links\"><a href=\"../../list.json\">Signed list</a> (the record is in the JSON Lines file of its "
       "block; <code>certdb verify-published</code> proves it is included)</p>\n</main>\n</body></html>\n";
  return std::move(p.out);
}

std::string render_index_page(const PublishOptions& opt, std::size_t count) {
  std::string h = page_head(opt.title, "");
  h += std::string(k_index_body_template);
  auto replace = [&](std::string_view key, const std::string& value) {
    for (auto pos = h.find(key); pos != std::string::npos; pos = h.find(key, pos + value.size()))
      h.replace(pos, key.size(), value);
  };
  replace("@TITLE@", html(opt.title));
  replace("@COUNT@", std::to_string(count));
  return h;
}

}  // namespace

std::string certificate_page(std::string_view id) { return page_dir(id) + "/" + std::string(id) + ".html"; }

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


namespace {

// Node of the RFC 6962 subtree over `leaves` (a 2^level block, or the last,
// shorter one): the same value as MerkleTree(leaves).root().
Hash subtree_root(std::span<const Hash> leaves) {
  if (leaves.empty()) return MerkleTree({}).root();
  std::vector<Hash> level(leaves.begin(), leaves.end());
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

std::string block_name(const char* dir, std::size_t b, const char* ext) {
  char name[48];
  std::snprintf(name, sizeof name, "%s/%05zu.%s", dir, b, ext);
  return name;
}

void add_facets(json& facets, const CertificateEntry& e) {
  auto add = [&](const char* key, const std::string& v) {
    auto& arr = facets[key];
    if (!arr.is_array()) arr = json::array();
    arr.push_back(v);
  };
  add("os", e.os_id);
  for (const auto& x : e.os_extended) add("os", x.first);
  for (const auto& l : e.os_like) add("os", l);
  add("arch", e.arch);
  add("vendor", e.vendor);
  for (const auto& c : e.classes) add("class", c);
}

// Sorted, without duplicates.
void normalise_facets(json& facets) {
  for (const char* key : {"os", "arch", "class", "vendor"}) {
    std::set<std::string> s;
    if (facets.contains(key) && facets[key].is_array())
      for (const auto& v : facets[key])
        if (v.is_string()) s.insert(v.get<std::string>());
    facets[key] = s;
  }
}

// What one publication writes: the new list in id order with its leaves,
// which blocks and which certificate pages to (re)write, and the entries
// needed for them.
struct SiteBuild {
  std::vector<std::string_view> ids;
  std::vector<Hash> leaves;
  std::vector<std::uint32_t> page_size;              // kept from the state for unwritten pages
  std::vector<char> dirty;                           // per block
  std::vector<Hash> nodes;                           // per block; dirty ones computed here
  std::vector<std::size_t> pages;                    // positions whose page is written
  std::vector<std::string_view> removed;             // ids whose page is deleted
  std::function<const CertificateEntry&(std::size_t)> entry;  // for pages and dirty blocks
  std::function<bool(std::size_t)> page_exists;     // the page file is there already
  json facets;
};

Result<PublishStats> write_site(SiteBuild& b, const State& old, const PublishOptions& opt) {
  const std::size_t n = b.ids.size();
  const unsigned level = opt.bucket_level;
  const std::size_t block_size = std::size_t{1} << level;
  const std::size_t blocks = (n + block_size - 1) / block_size;
  auto public_pem = ed25519_public_pem(opt.key);
  if (!public_pem) return public_pem.error();
  std::error_code ec;
  for (const char* d : {"", "assets", "search", "merkle", "list", "csv"}) {
    fs::create_directories(opt.out / d, ec);
    if (ec) return make_error("cannot create " + (opt.out / d).string() + ": " + ec.message());
  }
  for (int i = 0; i < 256; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "cert/%02x", i);
    fs::create_directories(opt.out / name, ec);
    if (ec) return make_error("cannot create " + (opt.out / name).string() + ": " + ec.message());
  }
  const std::string render_key = std::string(k_render_version) + "\n" + opt.title;

  // A block file deleted behind the publisher's back is written again.
  b.dirty.resize(blocks, 1);
  b.nodes.resize(blocks);
  for (std::size_t k = 0; k < blocks; ++k) {
    if (b.dirty[k]) continue;
    struct stat sb;
    for (const auto& rel : {block_name("list", k, "jsonl"), block_name("csv", k, "csv"), block_name("search", k, "js")})
      if (::stat((opt.out / rel).c_str(), &sb) != 0) b.dirty[k] = 1;
  }

  const unsigned threads = std::max(1u, std::min(opt.threads, 64u));
  std::vector<Output> outs(threads);
  std::vector<std::optional<Error>> errors(threads);
  std::vector<BlockState> block_state(blocks);
  for (std::size_t k = 0; k < blocks && k < old.blocks.size(); ++k)
    if (!b.dirty[k]) block_state[k] = old.blocks[k];
  b.page_size.resize(n, 0);
  auto run = [&](auto work) {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
  };

  // Certificate pages, then the blocks: records (JSON Lines), CSV, search rows.
  run([&](unsigned t) {
    auto& out = outs[t];
    for (std::size_t j = t; j < b.pages.size() && !errors[t]; j += threads) {
      std::size_t i = b.pages[j];
      const CertificateEntry& e = b.entry(i);
      auto page = render_certificate_page(e, opt);
      if (!page) {
        errors[t] = page.error();
        return;
      }
      std::string rel = certificate_page(e.id);
      if (auto st = write_site_file(opt.out / rel, *page, b.page_exists(i)); !st) {
        errors[t] = st.error();
        return;
      }
      out.written.push_back(std::move(rel));
      out.bytes += page->size();
      b.page_size[i] = static_cast<std::uint32_t>(page->size());
    }
    for (std::size_t k = t; k < blocks && !errors[t]; k += threads) {
      if (!b.dirty[k]) continue;
      std::size_t from = k * block_size, to = std::min(n, from + block_size);
      std::string list, csv = std::string(k_csv_header) + "\r\n", search = "certifySearch.shard(" + std::to_string(k) + ",[\n";
      std::vector<Hash> leaves;
      for (std::size_t i = from; i < to; ++i) {
        const CertificateEntry& e = b.entry(i);
        list += e.record;
        list += '\n';
        csv += e.csv;
        csv += "\r\n";
        if (i != from) search += ",\n";
        search += e.row;
      }
      search += "]);\n";
      auto& bs = block_state[k];
      bs.node = subtree_root(std::span<const Hash>(b.leaves).subspan(from, to - from));
      bs.list_sha = sha256_raw(list);
      bs.csv_sha = sha256_raw(csv);
      bs.list_size = list.size();
      bs.csv_size = csv.size();
      bs.search_size = search.size();
      for (auto [rel, data] : {std::pair{block_name("list", k, "jsonl"), std::string_view(list)},
                               std::pair{block_name("csv", k, "csv"), std::string_view(csv)},
                               std::pair{block_name("search", k, "js"), std::string_view(search)}}) {
        struct stat sb;
        if (auto st = write_site_file(opt.out / rel, data, ::stat((opt.out / rel).c_str(), &sb) == 0); !st) {
          errors[t] = st.error();
          return;
        }
        out.written.push_back(rel);
        out.bytes += data.size();
      }
    }
  });
  for (auto& e : errors)
    if (e) return *e;
  for (std::size_t k = 0; k < blocks; ++k) b.nodes[k] = block_state[k].node;
  const Hash root = MerkleTree(b.nodes).root();

  Output agg;
  std::map<std::string, FileState> files;
  auto put_file = [&](const std::string& rel, std::string_view content) -> Status {
    auto it = old.files.find(rel);
    auto r = put(opt.out, rel, content, it == old.files.end() ? nullptr : &it->second, agg);
    if (!r) return r.error();
    files[rel] = *r;
    return ok_status();
  };
#define PUBLISH_PUT(rel, content)          \
  do {                                     \
    auto st_ = put_file((rel), (content)); \
    if (!st_) return st_.error();          \
  } while (0)

  // The search page's manifest: one index file per block, versioned by the
  // block's node so that browsers reload only changed ones.
  normalise_facets(b.facets);
  json manifest = {{"title", opt.title}, {"count", n}, {"shards", json::array()}};
  for (std::size_t k = 0; k < blocks; ++k)
    manifest["shards"].push_back({{"file", block_name("search", k, "js")}, {"v", to_hex(b.nodes[k]).substr(0, 12)}});
  for (const char* key : {"os", "arch", "class", "vendor"}) manifest[key] = b.facets[key];
  PUBLISH_PUT("search/manifest.js", "certifySearch.manifest(" + manifest.dump() + ");\n");
  PUBLISH_PUT("assets/app.js", std::string(k_app_js));
  PUBLISH_PUT("assets/style.css", std::string(k_style_css));
  PUBLISH_PUT("index.html", render_index_page(opt, n));

  // The signed list: an index of the blocks, each with its Merkle node and
  // the SHA-256 of its files, so one change rewrites one block and this.
  std::string list = "{\"format\":\"certify-compatibility-list\",\"version\":2,\"title\":" + json(opt.title).dump() +
                     ",\"count\":" + std::to_string(n) + ",\"tree_size\":" + std::to_string(n) +
                     ",\"merkle_root\":\"" + to_hex(root) + "\",\"block_size\":" + std::to_string(block_size) +
                     ",\"leaf\":\"SHA-256(0x00 || one line of the block's JSON Lines file, without its newline)\""
                     ",\"node\":\"SHA-256(0x01 || left || right) (RFC 6962); a block's node is its subtree's root\""
                     ",\"csv_header\":" + json(k_csv_header).dump() + ",\n\"blocks\":[\n";
  for (std::size_t k = 0; k < blocks; ++k) {
    std::size_t from = k * block_size, to = std::min(n, from + block_size);
    const auto& bs = block_state[k];
    if (k) list += ",\n";
    list += "{\"first\":" + json(std::string(b.ids[from])).dump() + ",\"last\":" + json(std::string(b.ids[to - 1])).dump() +
            ",\"count\":" + std::to_string(to - from) + ",\"node\":\"" + to_hex(bs.node) + "\",\"list\":\"" +
            block_name("list", k, "jsonl") + "\",\"list_sha256\":\"" + to_hex(bs.list_sha) + "\",\"csv\":\"" +
            block_name("csv", k, "csv") + "\",\"csv_sha256\":\"" + to_hex(bs.csv_sha) + "\"}";
  }
  list += "]}\n";
  auto list_sig = ed25519_sign(opt.key, list);
  if (!list_sig) return list_sig.error();
  PUBLISH_PUT("list.json", list);
  PUBLISH_PUT("list.json.sig", *list_sig);
  PUBLISH_PUT("signing-key.pem", *public_pem);
  json root_doc = {{"tree_size", n},
                   {"root", to_hex(root)},
                   {"block_size", block_size},
                   {"hash", "SHA-256; leaf = H(0x00 || record line), node = H(0x01 || left || right) (RFC 6962)"}};
  std::string root_text = root_doc.dump(1) + "\n";
  auto root_sig = ed25519_sign(opt.key, root_text);
  if (!root_sig) return root_sig.error();
  PUBLISH_PUT("merkle/root.json", root_text);
  PUBLISH_PUT("merkle/root.json.sig", *root_sig);
#undef PUBLISH_PUT

  // Pages of certificates no longer listed; blocks and files no longer produced.
  std::size_t removed = 0;
  for (auto id : b.removed)
    if (::unlink((opt.out / certificate_page(id)).c_str()) == 0) ++removed;
  for (std::size_t k = blocks; k < old.blocks.size(); ++k)
    for (const auto& rel : {block_name("list", k, "jsonl"), block_name("csv", k, "csv"), block_name("search", k, "js")})
      if (::unlink((opt.out / rel).c_str()) == 0) ++removed;
  for (const auto& [rel, fsold] : old.files)
    if (!files.count(rel) && ::unlink((opt.out / rel).c_str()) == 0) ++removed;

  // Everything is on disk before the state says so: few files are synced
  // one by one, many with one syncfs.
  std::size_t written = agg.written.size();
  for (const auto& o : outs) written += o.written.size();
  if (written > 64) {
    int dirfd = ::open(opt.out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0) {
      ::syncfs(dirfd);
      ::close(dirfd);
    }
  } else {
    auto sync = [&](const std::string& rel) {
      int fd = ::open((opt.out / rel).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
    };
    for (const auto& o : outs)
      for (const auto& rel : o.written) sync(rel);
    for (const auto& rel : agg.written) sync(rel);
  }

  PublishStats stats;
  std::string ids_text;
  for (auto id : b.ids) {
    ids_text += id;
    ids_text += '\n';
  }
  json head = {{"count", n}, {"level", level}, {"render", render_key}, {"ids_bytes", ids_text.size()},
               {"facets", b.facets}, {"files", json::object()}};
  for (const auto& [rel, f] : files) {
    head["files"][rel] = {f.hash, f.size};
    stats.site_bytes += f.size;
  }
  std::string state(k_state_magic);
  state += head.dump();
  state += '\n';
  state.reserve(state.size() + ids_text.size() + n * 36 + blocks * k_block_record);
  state += ids_text;
  for (std::size_t i = 0; i < n; ++i) {
    state.append(reinterpret_cast<const char*>(b.leaves[i].data()), 32);
    put_u32(state, b.page_size[i]);
    stats.site_bytes += b.page_size[i];
  }
  for (const auto& bs : block_state) {
    for (const Hash* h : {&bs.node, &bs.list_sha, &bs.csv_sha}) state.append(reinterpret_cast<const char*>(h->data()), 32);
    put_u64(state, bs.list_size);
    put_u64(state, bs.csv_size);
    put_u64(state, bs.search_size);
    stats.site_bytes += bs.list_size + bs.csv_size + bs.search_size;
  }
  if (auto st = write_file_atomic(opt.out / ".publish-state", state); !st) return st.error();

  stats.certificates = n;
  stats.merkle_root = to_hex(root);
  stats.files_removed = removed;
  stats.files_unchanged = agg.unchanged + (n - b.pages.size());
  for (std::size_t k = 0; k < blocks; ++k)
    if (!b.dirty[k]) stats.files_unchanged += 3;
  outs.push_back(std::move(agg));
  for (auto& o : outs) {
    stats.files_written += o.written.size();
    stats.bytes_written += o.bytes;
    for (auto& w : o.written) stats.written.push_back(std::move(w));
  }
  std::sort(stats.written.begin(), stats.written.end());
  return stats;
}

Status check_options(const PublishOptions& opt) {
  if (opt.out.empty()) return make_error("no output directory");
  if (opt.bucket_level > 20) return make_error("block level must be 0..20");
  return ok_status();
}

}  // namespace

Result<PublishStats> publish_site(const Catalog& catalog, const PublishOptions& opt) {
  if (auto st = check_options(opt); !st) return st.error();
  State old = read_state(opt.out / ".publish-state");
  const std::string render_key = std::string(k_render_version) + "\n" + opt.title;
  const bool same_pages = old.valid && old.render == render_key;
  const bool same_blocks = old.valid && old.level == opt.bucket_level;

  // Leaf order: certificate id ascending (ids grow with time, so new
  // certificates append and earlier blocks stay as they were).
  const auto order = catalog.ordered(SortKey::id, false);
  const std::size_t n = order.size();
  std::vector<const CertificateEntry*> entries(n);
  SiteBuild b;
  b.ids.resize(n);
  b.leaves.resize(n);
  b.page_size.resize(n, 0);
  std::vector<char> had_page(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    entries[i] = &catalog.entry(order[i]);
    b.ids[i] = entries[i]->id;
    b.leaves[i] = entries[i]->leaf;
    auto at = old.valid ? old.find(b.ids[i]) : std::nullopt;
    had_page[i] = at.has_value();
    if (at && same_pages && old.leaves[*at] == b.leaves[i]) b.page_size[i] = old.page_size[*at];
    else b.pages.push_back(i);
    add_facets(b.facets, *entries[i]);
  }
  // A block is rewritten unless it holds exactly the same leaves as before.
  const std::size_t block_size = std::size_t{1} << opt.bucket_level;
  const std::size_t blocks = (n + block_size - 1) / block_size;
  b.dirty.assign(blocks, 1);
  if (same_blocks)
    for (std::size_t k = 0; k < blocks && k < old.blocks.size(); ++k) {
      std::size_t from = k * block_size, to = std::min(n, from + block_size);
      bool same = to <= old.ids.size() && (k + 1 < blocks || to == std::min(old.ids.size(), from + block_size));
      for (std::size_t i = from; same && i < to; ++i) same = old.ids[i] == b.ids[i] && old.leaves[i] == b.leaves[i];
      b.dirty[k] = same ? 0 : 1;
    }
  if (old.valid)
    for (auto id : old.ids)
      if (!catalog.find(id)) b.removed.push_back(id);
  b.entry = [&](std::size_t i) -> const CertificateEntry& { return *entries[i]; };
  b.page_exists = [&](std::size_t i) { return had_page[i] != 0; };
  State none;
  return write_site(b, same_blocks ? old : (old.valid ? old : none), opt);
}

Result<PublishStats> publish_changes(std::string_view changes_jsonl, const PublishOptions& opt) {
  if (auto st = check_options(opt); !st) return st.error();
  State old = read_state(opt.out / ".publish-state");
  const std::string render_key = std::string(k_render_version) + "\n" + opt.title;
  if (!old.valid)
    return make_error(opt.out.string() + " holds no publication state: publish the whole list first (--records or --db)");
  if (old.level != opt.bucket_level || old.render != render_key)
    return make_error(opt.out.string() + " was published with another block level, title or page format: publish the "
                                         "whole list again");
  // The changed records, last one winning for an id.
  std::map<std::string, CertificateEntry> changes;
  std::size_t line_no = 0;
  for (std::size_t start = 0; start < changes_jsonl.size();) {
    auto nl = changes_jsonl.find('\n', start);
    if (nl == std::string_view::npos) nl = changes_jsonl.size();
    auto line = changes_jsonl.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto e = make_entry(line);
    if (!e) return make_error("line " + std::to_string(line_no) + ": " + e.message());
    auto id = e->id;
    changes.insert_or_assign(std::move(id), std::move(e.value()));
  }

  // Merge the changes into the published order.
  const std::size_t old_n = old.ids.size();
  SiteBuild b;
  std::vector<std::ptrdiff_t> src;          // old position, or -1 for a changed entry
  std::vector<const CertificateEntry*> changed;
  b.ids.reserve(old_n + changes.size());
  auto ch = changes.begin();
  std::size_t first_shift = std::numeric_limits<std::size_t>::max();
  for (std::size_t q = 0; q < old_n || ch != changes.end();) {
    bool take_change = ch != changes.end() && (q == old_n || ch->first <= old.ids[q]);
    std::size_t i = b.ids.size();
    if (take_change) {
      bool replaces = q < old_n && ch->first == old.ids[q];
      if (!replaces) first_shift = std::min(first_shift, i);
      b.ids.push_back(ch->first);
      b.leaves.push_back(ch->second.leaf);
      b.page_size.push_back(replaces ? old.page_size[q] : 0);
      src.push_back(-1);
      changed.push_back(&ch->second);
      if (!replaces || old.leaves[q] != ch->second.leaf) b.pages.push_back(i);
      add_facets(b.facets, ch->second);
      if (replaces) ++q;
      ++ch;
    } else {
      b.ids.push_back(old.ids[q]);
      b.leaves.push_back(old.leaves[q]);
      b.page_size.push_back(old.page_size[q]);
      src.push_back(static_cast<std::ptrdiff_t>(q));
      changed.push_back(nullptr);
      ++q;
    }
  }
  const std::size_t n = b.ids.size();
  const std::size_t block_size = std::size_t{1} << opt.bucket_level;
  const std::size_t blocks = (n + block_size - 1) / block_size;
  b.dirty.assign(blocks, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (changed[i] || i >= first_shift) b.dirty[i / block_size] = 1;
  if (n != old_n && blocks) b.dirty[blocks - 1] = 1;
  for (const char* key : {"os", "arch", "class", "vendor"})
    if (old.facets.contains(key))
      for (const auto& v : old.facets[key]) b.facets[key].push_back(v);

  // Unchanged entries of rewritten blocks come from the published block
  // files, checked against the state's leaves.
  std::map<std::size_t, std::pair<std::string, std::vector<std::string_view>>> old_blocks;
  std::vector<std::optional<CertificateEntry>> loaded(n);
  for (std::size_t k = 0; k < blocks; ++k) {
    if (!b.dirty[k]) continue;
    for (std::size_t i = k * block_size; i < std::min(n, (k + 1) * block_size); ++i) {
      if (changed[i]) continue;
      auto q = static_cast<std::size_t>(src[i]);
      std::size_t ob = q / block_size;
      auto it = old_blocks.find(ob);
      if (it == old_blocks.end()) {
        auto rel = block_name("list", ob, "jsonl");
        auto text = read_file(opt.out / rel, std::size_t{1} << 32);
        if (!text) return make_error(text.message() + " (publish the whole list again)");
        std::vector<std::string_view> lines;
        std::string_view all = *text;
        it = old_blocks.emplace(ob, std::pair{std::move(*text), std::vector<std::string_view>{}}).first;
        all = it->second.first;
        for (std::size_t s = 0; s < all.size();) {
          auto e = all.find('\n', s);
          if (e == std::string_view::npos) e = all.size();
          it->second.second.push_back(all.substr(s, e - s));
          s = e + 1;
        }
      }
      const auto& lines = it->second.second;
      std::size_t line = q % block_size;
      auto e = line < lines.size() ? make_entry(lines[line]) : Result<CertificateEntry>(make_error("missing line"));
      if (!e || e->leaf != old.leaves[q])
        return make_error(block_name("list", ob, "jsonl") + " does not match the publication state (" +
                          (e ? std::string("changed line") : e.message()) + "): publish the whole list again");
      loaded[i] = std::move(e.value());
    }
  }
  b.entry = [&](std::size_t i) -> const CertificateEntry& { return changed[i] ? *changed[i] : *loaded[i]; };
  b.page_exists = [&](std::size_t i) { return src[i] >= 0 || old.find(b.ids[i]).has_value(); };
  return write_site(b, old, opt);
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
  for (std::size_t s = 0; s < all.size();) {
    auto e = all.find('\n', s);
    if (e == std::string_view::npos) return make_error(rel + ": the last line has no newline");
    auto line = all.substr(s, e - s);
    s = e + 1;
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
  return proof;
}

}  // namespace certify::certdb
