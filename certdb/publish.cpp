// Static publication of the compatibility list. Files are rendered from the
// catalog, compared by content hash with the previous run's state and
// written only when they changed; certificates whose leaf and proof block
// are unchanged are not even rendered.
#include "certdb/publish.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
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
constexpr std::string_view k_render_version = "certify-publish-render-1";
constexpr std::string_view k_state_magic = "certify-publish-state 1";

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

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// ------------------------------------------------------------------ state

struct CertState {
  std::string key, html_hash, json_hash;
  std::uint64_t html_size = 0, json_size = 0;
};
struct FileState {
  std::string hash;
  std::uint64_t size = 0;
};
struct State {
  std::unordered_map<std::string, CertState> certs;
  std::map<std::string, FileState> files;
};

State read_state(const fs::path& path) {
  State st;
  auto text = read_file(path);
  if (!text) return st;  // first publish, or unreadable: everything is rewritten
  std::string_view all = *text;
  auto nl = all.find('\n');
  if (nl == std::string_view::npos || all.substr(0, nl) != k_state_magic) return st;
  std::size_t pos = nl + 1;
  std::vector<std::string_view> f;
  while (pos < all.size()) {
    nl = all.find('\n', pos);
    if (nl == std::string_view::npos) nl = all.size();
    std::string_view line = all.substr(pos, nl - pos);
    pos = nl + 1;
    f.clear();
    for (std::size_t s = 0; s <= line.size();) {
      auto sp = line.find(' ', s);
      if (sp == std::string_view::npos) sp = line.size();
      f.push_back(line.substr(s, sp - s));
      s = sp + 1;
    }
    auto num = [](std::string_view v) {
      std::uint64_t n = 0;
      for (char c : v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
      return n;
    };
    if (f.size() == 7 && f[0] == "C")
      st.certs[std::string(f[1])] = {std::string(f[2]), std::string(f[3]), std::string(f[5]), num(f[4]), num(f[6])};
    else if (f.size() == 4 && f[0] == "F")
      st.files[std::string(f[1])] = {std::string(f[2]), num(f[3])};
  }
  return st;
}

// ------------------------------------------------------------ site writer

std::string errno_text(const fs::path& p, const char* what) {
  return std::string(what) + " " + p.string() + ": " + std::strerror(errno);
}

// Writes through a temporary file and rename, so a reader (a web server
// serving the directory) never sees a torn file. No fsync per file: one
// syncfs before the state is saved.
Status write_plain(const fs::path& path, std::string_view data) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(errno_text(tmp, "cannot create"));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto e = errno_text(tmp, "cannot write");
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(e);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return make_error(errno_text(tmp, "cannot close"));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = errno_text(path, "cannot rename into");
    ::unlink(tmp.c_str());
    return make_error(e);
  }
  return ok_status();
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
  if (old && old->hash == now.hash && old->size == now.size) {
    struct stat sb;
    if (::stat((root / rel).c_str(), &sb) == 0 && static_cast<std::uint64_t>(sb.st_size) == now.size) {
      ++out.unchanged;
      return now;
    }
  }
  auto st = write_plain(root / rel, content);
  if (!st) return st.error();
  out.written.push_back(rel);
  out.bytes += content.size();
  return now;
}

// ------------------------------------------------------------------ pages

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

std::string page_head(std::string_view title, std::string_view root) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" + html(title) + "</title><link rel=\"stylesheet\" href=\"" + std::string(root) +
         "assets/style.css\"></head>\n<body>\n";
}

std::string render_certificate_page(const json& r, const PublishOptions& opt) {
  std::string id = str(r, "id"), vendor = str(r, "vendor"), product = str(r, "product"), model = str(r, "model");
  bool withdrawn = str(r, "status") == "withdrawn";
  std::string h = page_head(id + " \u2014 " + vendor + " " + product, "../../");
  h += "<header><a href=\"../../index.html\">\u2190 " + html(opt.title) + "</a></header>\n<main class=\"certificate\">\n";
  h += "<h1><span id=\"vendor\">" + html(vendor) + "</span> <span id=\"product\">" + html(product) + "</span>";
  if (!model.empty()) h += " <small id=\"model\">" + html(model) + "</small>";
  h += "</h1>\n";
  if (withdrawn) {
    const json& w = r.at("withdrawn");
    h += "<div class=\"withdrawn-banner\" id=\"withdrawn\"><strong>Withdrawn</strong> on " + html(str(w, "date"));
    if (!str(w, "by").empty()) h += " by " + html(str(w, "by"));
    h += ": <span id=\"withdrawn-reason\">" + html(str(w, "reason")) +
         "</span>. This certificate no longer vouches for the product; it stays listed so that earlier "
         "references can be checked.</div>\n";
  }
  h += "<dl class=\"facts\">";
  auto fact = [&](const char* name, const char* idattr, const std::string& value) {
    h += "<dt>" + std::string(name) + "</dt><dd id=\"" + idattr + "\">" + value + "</dd>";
  };
  fact("Certificate", "cert-id", html(id));
  fact("Status", "status",
       withdrawn ? "<span class=\"badge withdrawn\">withdrawn</span>" : "<span class=\"badge active\">active</span>");
  fact("Kind", "kind", html(str(r, "kind")));
  fact("Architecture", "arch", html(str(r, "arch")));
  fact("Issued", "issued", html(str(r, "issued")));
  h += "</dl>\n";

  // Operating systems: tested, extended by a reviewer, derivative (ID_LIKE).
  const json& os = r.at("os");
  h += "<h2>Operating systems</h2>\n<ul class=\"oslist\">\n";
  h += "<li class=\"os-tested\"><span class=\"badge tested\">tested</span> " + html(str(os, "name")) + " <code>" +
       html(str(os, "id")) + " " + html(str(os, "version_id")) + "</code></li>\n";
  json extensions = r.value("extensions", json::array());
  if (!extensions.is_array()) extensions = json::array();
  for (const auto& x : extensions) {
    if (str(x, "kind") != "os" || !x.contains("os")) continue;
    h += "<li class=\"os-extended\"><span class=\"badge extension\">extension</span> <code>" +
         html(str(x["os"], "id")) + " " + html(str(x["os"], "version_id")) + "</code> \u2014 basis: " +
         html(str(x, "basis")) + " <span class=\"by\">(" + html(str(x, "by")) + ", " + html(str(x, "date")) +
         ")</span></li>\n";
  }
  if (auto like = os.find("id_like"); like != os.end() && like->is_array())
    for (const auto& l : *like)
      if (l.is_string())
        h += "<li class=\"os-derivative\"><span class=\"badge derivative\">derivative, not tested</span> <code>" +
             html(l.get<std::string>()) +
             "</code> \u2014 related through os-release ID_LIKE; expected to carry over, not certified</li>\n";
  h += "</ul>\n";

  // Tested classes with per-class results, then the summary.
  std::map<std::string, std::array<long, 3>> per_class;
  const json tests = r.value("tests", json::array());
  for (const auto& c : r.at("classes")) per_class[c.get<std::string>()];
  if (tests.is_array())
    for (const auto& t : tests) {
      auto& counts = per_class[str(t, "class")];
      auto s = str(t, "status");
      counts[s == "pass" ? 0 : s == "skip" ? 2 : 1]++;
    }
  h += "<h2>Tested classes</h2>\n<table id=\"classes\"><thead><tr><th>Class</th><th>Pass</th><th>Fail</th>"
       "<th>Skip</th></tr></thead><tbody>\n";
  for (const auto& [cls, counts] : per_class) {
    if (cls.empty()) continue;
    h += "<tr><td>" + html(cls) + "</td><td>" + std::to_string(counts[0]) + "</td><td>" + std::to_string(counts[1]) +
         "</td><td>" + std::to_string(counts[2]) + "</td></tr>\n";
  }
  h += "</tbody></table>\n";
  json summary = r.value("summary", json::object());
  auto count = [&](const char* k) {
    return summary.is_object() && summary.contains(k) && summary[k].is_number_integer()
               ? std::to_string(summary[k].get<long long>())
               : std::string("0");
  };
  h += "<p id=\"summary\" class=\"summary\">Results: <span class=\"pass\">" + count("pass") +
       " passed</span>, <span class=\"fail\">" + count("fail") + " failed</span>, <span class=\"skip\">" +
       count("skip") + " skipped</span></p>\n";

  bool any_product_ext = false;
  for (const auto& x : extensions) {
    if (str(x, "kind") != "product") continue;
    if (!any_product_ext)
      h += "<h2>Extended to</h2>\n<p>Products certified by extension, on the basis a reviewer recorded (not "
           "tested themselves):</p>\n<table id=\"extensions\"><thead><tr><th></th><th>Product</th><th>Model</th>"
           "<th>Basis</th><th>By</th><th>Date</th></tr></thead><tbody>\n";
    any_product_ext = true;
    h += "<tr class=\"extension\"><td><span class=\"badge extension\">extension</span></td><td>" +
         html(str(x, "product")) + "</td><td>" + html(str(x, "model")) + "</td><td>" + html(str(x, "basis")) +
         "</td><td>" + html(str(x, "by")) + "</td><td>" + html(str(x, "date")) + "</td></tr>\n";
  }
  if (any_product_ext) h += "</tbody></table>\n";

  if (auto hw = r.find("hardware"); hw != r.end() && hw->is_object()) {
    h += "<h2>Hardware</h2>\n";
    if (auto sys = hw->find("system"); sys != hw->end() && sys->is_object())
      h += "<p>System: " + html(str(*sys, "vendor")) + " " + html(str(*sys, "product")) + ", board " +
           html(str(*sys, "board")) + "</p>\n";
    if (auto devs = hw->find("devices"); devs != hw->end() && devs->is_array() && !devs->empty()) {
      h += "<table id=\"devices\"><thead><tr><th>Class</th><th>Device</th><th>IDs</th><th>Driver</th></tr>"
           "</thead><tbody>\n";
      for (const auto& d : *devs) {
        if (!d.is_object()) continue;
        h += "<tr><td>" + html(str(d, "class")) + "</td><td>" + html(str(d, "vendor")) + " " + html(str(d, "name")) +
             "</td><td><code>" + html(str(d, "vendor_id")) + ":" + html(str(d, "device_id")) + " " +
             html(str(d, "subsystem_vendor_id")) + ":" + html(str(d, "subsystem_device_id")) + "</code></td><td>" +
             html(str(d, "driver")) + "</td></tr>\n";
      }
      h += "</tbody></table>\n";
    }
  }
  if (tests.is_array() && !tests.empty()) {
    h += "<h2>Tests</h2>\n<table id=\"tests\"><thead><tr><th>Test</th><th>Class</th><th>Result</th></tr></thead>"
         "<tbody>\n";
    for (const auto& t : tests)
      h += "<tr><td><code>" + html(str(t, "id")) + "</code></td><td>" + html(str(t, "class")) +
           "</td><td class=\"" + html(str(t, "status")) + "\">" + html(str(t, "status")) + "</td></tr>\n";
    h += "</tbody></table>\n";
  }
  h += "<p class=\"links\"><a href=\"" + html(id) +
       ".json\">Record and Merkle inclusion proof (JSON)</a> \u00b7 <a href=\"../../list.json\">Signed list</a></p>\n";
  h += "</main>\n</body></html>\n";
  return h;
}

std::string hex_list(const std::vector<Hash>& hs) {
  std::string out = "[";
  for (std::size_t i = 0; i < hs.size(); ++i) {
    if (i) out += ',';
    out += '"' + to_hex(hs[i]) + '"';
  }
  return out + "]";
}

std::string render_certificate_json(const CertificateEntry& e, std::size_t index, const MerkleTree::SplitProof& p,
                                    unsigned level) {
  return "{\"certificate\":" + e.record + ",\n\"leaf_hash\":\"" + to_hex(e.leaf) +
         "\",\"leaf_index\":" + std::to_string(index) + ",\"bucket_level\":" + std::to_string(level) +
         ",\"block\":" + std::to_string(index >> level) + ",\n\"proof\":" + hex_list(p.lower) +
         ",\"upper\":\"../../merkle/upper.json\"}\n";
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

Result<PublishStats> publish_site(const Catalog& catalog, const PublishOptions& opt) {
  if (opt.out.empty()) return make_error("no output directory");
  if (opt.bucket_level > 20) return make_error("bucket level must be 0..20");
  if (opt.search_shard == 0) return make_error("search shard size must be positive");
  auto public_pem = ed25519_public_pem(opt.key);
  if (!public_pem) return public_pem.error();
  std::error_code ec;
  fs::create_directories(opt.out, ec);
  if (ec) return make_error("cannot create " + opt.out.string() + ": " + ec.message());
  for (const char* d : {"assets", "search", "merkle"}) {
    fs::create_directories(opt.out / d, ec);
    if (ec) return make_error("cannot create " + (opt.out / d).string() + ": " + ec.message());
  }
  for (int b = 0; b < 256; ++b) {
    char name[16];
    std::snprintf(name, sizeof name, "cert/%02x", b);
    fs::create_directories(opt.out / name, ec);
    if (ec) return make_error("cannot create " + (opt.out / name).string() + ": " + ec.message());
  }
  const fs::path state_path = opt.out / ".publish-state";
  State old = read_state(state_path);

  // Leaf order: certificate id ascending (ids grow with time, so new
  // certificates append and existing proofs' blocks stay put).
  const auto order = catalog.ordered(SortKey::id, false);
  const std::size_t n = order.size();
  std::vector<const CertificateEntry*> entries(n);
  std::vector<Hash> leaves(n);
  for (std::size_t i = 0; i < n; ++i) {
    entries[i] = &catalog.entry(order[i]);
    leaves[i] = entries[i]->leaf;
  }
  const MerkleTree tree(std::move(leaves));
  const Hash root = tree.root();
  const unsigned level = opt.bucket_level;
  auto block_node = [&](std::size_t i) -> Hash {
    return tree.level_size(level) ? tree.node(level, i >> level) : root;
  };

  // Certificates, in `threads` slices.
  const unsigned threads = std::max(1u, std::min(opt.threads, 64u));
  std::vector<Output> outs(threads);
  std::vector<std::vector<std::pair<std::string, CertState>>> new_certs(threads);
  std::vector<std::optional<Error>> errors(threads);
  auto work = [&](unsigned t) {
    std::size_t from = n * t / threads, to = n * (t + 1) / threads;
    auto& out = outs[t];
    auto& mine = new_certs[t];
    mine.reserve(to - from);
    for (std::size_t i = from; i < to; ++i) {
      const CertificateEntry& e = *entries[i];
      Hash bn = block_node(i);
      std::string key_src(reinterpret_cast<const char*>(e.leaf.data()), e.leaf.size());
      key_src.append(reinterpret_cast<const char*>(bn.data()), bn.size());
      key_src += std::to_string(i);
      key_src += k_render_version;
      key_src += opt.title;
      std::string key = short_hash(key_src);
      std::string dir = page_dir(e.id);
      auto it = old.certs.find(e.id);
      if (it != old.certs.end() && it->second.key == key) {
        out.unchanged += 2;
        mine.emplace_back(e.id, it->second);
        continue;
      }
      const FileState* old_html = nullptr;
      const FileState* old_json = nullptr;
      FileState oh, oj;
      if (it != old.certs.end()) {
        oh = {it->second.html_hash, it->second.html_size};
        oj = {it->second.json_hash, it->second.json_size};
        old_html = &oh;
        old_json = &oj;
      }
      json record = json::parse(e.record, nullptr, false);
      if (record.is_discarded()) {
        errors[t] = make_error("certificate " + e.id + ": record does not parse");
        return;
      }
      auto h = put(opt.out, dir + "/" + e.id + ".html", render_certificate_page(record, opt), old_html, out);
      if (!h) {
        errors[t] = h.error();
        return;
      }
      auto j = put(opt.out, dir + "/" + e.id + ".json",
                   render_certificate_json(e, i, tree.split_proof(i, level), level), old_json, out);
      if (!j) {
        errors[t] = j.error();
        return;
      }
      mine.emplace_back(e.id, CertState{key, h->hash, j->hash, h->size, j->size});
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

  Output agg;
  std::map<std::string, FileState> files;
  auto put_file = [&](const std::string& rel, std::string_view content) -> Status {
    auto it = old.files.find(rel);
    auto r = put(opt.out, rel, content, it == old.files.end() ? nullptr : &it->second, agg);
    if (!r) return r.error();
    files[rel] = *r;
    return ok_status();
  };
#define PUBLISH_PUT(rel, content)        \
  do {                                   \
    auto st_ = put_file((rel), (content)); \
    if (!st_) return st_.error();        \
  } while (0)

  // Search index: shards of rows in id order, loaded by <script> so the
  // page also works from file:// without a server.
  const std::size_t shard = opt.search_shard;
  json manifest = {{"title", opt.title}, {"count", n}, {"shards", json::array()}};
  std::set<std::string> oses, arches, classes, vendors;
  for (const auto* e : entries) {
    oses.insert(e->os_id);
    for (const auto& x : e->os_extended) oses.insert(x.first);
    for (const auto& l : e->os_like) oses.insert(l);
    arches.insert(e->arch);
    vendors.insert(e->vendor);
    for (const auto& c : e->classes) classes.insert(c);
  }
  for (std::size_t s = 0; s * shard < n; ++s) {
    std::string body = "certifySearch.shard(" + std::to_string(s) + ",[\n";
    for (std::size_t i = s * shard; i < std::min(n, (s + 1) * shard); ++i) {
      if (i != s * shard) body += ",\n";
      body += entries[i]->row;
    }
    body += "]);\n";
    char name[32];
    std::snprintf(name, sizeof name, "search/%05zu.js", s);
    PUBLISH_PUT(name, body);
    manifest["shards"].push_back({{"file", name}, {"v", files[name].hash.substr(0, 12)}});
  }
  manifest["os"] = oses;
  manifest["arch"] = arches;
  manifest["class"] = classes;
  manifest["vendor"] = vendors;
  PUBLISH_PUT("search/manifest.js", "certifySearch.manifest(" + manifest.dump() + ");\n");
  PUBLISH_PUT("assets/app.js", std::string(k_app_js));
  PUBLISH_PUT("assets/style.css", std::string(k_style_css));
  PUBLISH_PUT("index.html", render_index_page(opt, n));

  // The signed list: summaries in id order, each with its leaf hash, and
  // the Merkle root over exactly these leaves.
  std::string list = "{\"format\":\"certify-compatibility-list\",\"version\":1,\"count\":" + std::to_string(n) +
                     ",\"merkle_root\":\"" + to_hex(root) + "\",\"tree_size\":" + std::to_string(n) +
                     ",\"leaf\":\"SHA-256(0x00 || canonical record JSON)\",\"title\":" + json(opt.title).dump() +
                     ",\n\"certificates\":[\n";
  {
    std::size_t total = list.size();
    for (const auto* e : entries) total += e->summary.size() + 140;
    list.reserve(total + 8);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = *entries[i];
    if (i) list += ",\n";
    list.append(e.summary, 0, e.summary.size() - 1);
    list += ",\"leaf_hash\":\"" + to_hex(e.leaf) + "\",\"page\":\"" + certificate_page(e.id) + "\"}";
  }
  list += "]}\n";
  auto list_sig = ed25519_sign(opt.key, list);
  if (!list_sig) return list_sig.error();
  PUBLISH_PUT("list.json", list);
  PUBLISH_PUT("list.json.sig", *list_sig);
  list.clear();
  list.shrink_to_fit();
  PUBLISH_PUT("list.csv", catalog.export_csv(order));
  PUBLISH_PUT("signing-key.pem", *public_pem);

  json root_doc = {{"tree_size", n},
                   {"root", to_hex(root)},
                   {"bucket_level", level},
                   {"hash", "SHA-256; leaf = H(0x00 || canonical record), node = H(0x01 || left || right) (RFC 6962)"}};
  std::string root_text = root_doc.dump(1) + "\n";
  auto root_sig = ed25519_sign(opt.key, root_text);
  if (!root_sig) return root_sig.error();
  PUBLISH_PUT("merkle/root.json", root_text);
  PUBLISH_PUT("merkle/root.json.sig", *root_sig);
  std::string upper = "{\"tree_size\":" + std::to_string(n) + ",\"root\":\"" + to_hex(root) +
                      "\",\"bucket_level\":" + std::to_string(level) + ",\"blocks\":[\n";
  for (std::size_t b = 0; (b << level) < n; ++b) {
    if (b) upper += ",\n";
    upper += hex_list(tree.split_proof(b << level, level).upper);
  }
  upper += "]}\n";
  PUBLISH_PUT("merkle/upper.json", upper);
#undef PUBLISH_PUT

  // Files of certificates that left the catalog, and aggregate files no
  // longer produced (fewer search shards).
  std::size_t removed = 0;
  std::unordered_map<std::string, CertState> certs;
  certs.reserve(n);
  for (auto& part : new_certs)
    for (auto& [id, cs] : part) certs.emplace(std::move(id), std::move(cs));
  for (const auto& [id, cs] : old.certs) {
    if (certs.count(id)) continue;
    for (const char* ext : {".html", ".json"}) {
      if (::unlink((opt.out / (page_dir(id) + "/" + id + ext)).c_str()) == 0) ++removed;
    }
  }
  for (const auto& [rel, fsold] : old.files)
    if (!files.count(rel) && ::unlink((opt.out / rel).c_str()) == 0) ++removed;

  // Everything is on disk before the state says so.
  int dirfd = ::open(opt.out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd >= 0) {
    ::syncfs(dirfd);
    ::close(dirfd);
  }
  std::string state(k_state_magic);
  state += '\n';
  state.reserve(certs.size() * 160 + files.size() * 100);
  PublishStats stats;
  for (const auto* e : entries) {
    const auto& cs = certs.at(e->id);
    state += "C " + e->id + ' ' + cs.key + ' ' + cs.html_hash + ' ' + std::to_string(cs.html_size) + ' ' +
             cs.json_hash + ' ' + std::to_string(cs.json_size) + '\n';
    stats.site_bytes += cs.html_size + cs.json_size;
  }
  for (const auto& [rel, fst] : files) {
    state += "F " + rel + ' ' + fst.hash + ' ' + std::to_string(fst.size) + '\n';
    stats.site_bytes += fst.size;
  }
  auto st = write_file_atomic(state_path, state);
  if (!st) return st.error();

  stats.certificates = n;
  stats.merkle_root = to_hex(root);
  stats.files_removed = removed;
  outs.push_back(std::move(agg));
  for (auto& o : outs) {
    stats.files_written += o.written.size();
    stats.files_unchanged += o.unchanged;
    stats.bytes_written += o.bytes;
    for (auto& w : o.written) stats.written.push_back(std::move(w));
  }
  std::sort(stats.written.begin(), stats.written.end());
  return stats;
}

Result<std::string> verify_published_certificate(const fs::path& site, std::string_view id,
                                                 std::string_view public_key_pem) {
  std::string pinned(public_key_pem);
  if (pinned.empty()) {
    auto k = read_file(site / "signing-key.pem", 1 << 16);
    if (!k) return k.error();
    pinned = *k;
  }
  auto list = read_file(site / "list.json");
  auto list_sig = read_file(site / "list.json.sig", 1024);
  if (!list) return list.error();
  if (!list_sig) return list_sig.error();
  if (auto st = ed25519_verify(pinned, *list, *list_sig); !st) return make_error("list.json: " + st.message());
  auto root_text = read_file(site / "merkle/root.json", 1 << 16);
  auto root_sig = read_file(site / "merkle/root.json.sig", 1024);
  if (!root_text) return root_text.error();
  if (!root_sig) return root_sig.error();
  if (auto st = ed25519_verify(pinned, *root_text, *root_sig); !st) return make_error("merkle/root.json: " + st.message());
  json root_doc = json::parse(*root_text, nullptr, false);
  if (root_doc.is_discarded() || !root_doc.contains("root") || !root_doc.contains("tree_size"))
    return make_error("merkle/root.json is malformed");
  std::string root_hex = str(root_doc, "root");
  auto root = hash_from_hex(root_hex);
  if (!root || !root_doc["tree_size"].is_number_unsigned()) return make_error("merkle/root.json is malformed");
  std::uint64_t tree_size = root_doc["tree_size"].get<std::uint64_t>();
  // The signed list names the same root.
  auto head = std::string_view(*list).substr(0, 4096);
  if (head.find("\"merkle_root\":\"" + root_hex + "\"") == std::string_view::npos)
    return make_error("list.json and merkle/root.json name different Merkle roots");

  if (!valid_certificate_id(id)) return make_error("not a certificate id: " + std::string(id));
  auto cert_text = read_file(site / (page_dir(id) + "/" + std::string(id) + ".json"));
  if (!cert_text) return cert_text.error();
  json cert = json::parse(*cert_text, nullptr, false);
  if (cert.is_discarded() || !cert.is_object() || !cert.contains("certificate") || !cert.contains("proof") ||
      !cert["leaf_index"].is_number_unsigned() || !cert["bucket_level"].is_number_unsigned() ||
      !cert["proof"].is_array())
    return make_error("certificate file of " + std::string(id) + " is malformed");
  if (str(cert["certificate"], "id") != id) return make_error("certificate file holds another id");
  Hash leaf = leaf_hash(cert["certificate"].dump());
  if (to_hex(leaf) != str(cert, "leaf_hash")) return make_error("certificate " + std::string(id) + ": record does not match its leaf hash");
  std::uint64_t index = cert["leaf_index"].get<std::uint64_t>();
  unsigned level = cert["bucket_level"].get<unsigned>();
  if (level > 20 || root_doc.value("bucket_level", 99u) != level) return make_error("bucket levels disagree");
  std::vector<Hash> path;
  for (const auto& p : cert["proof"]) {
    auto h = p.is_string() ? hash_from_hex(p.get<std::string>()) : std::nullopt;
    if (!h) return make_error("certificate " + std::string(id) + ": malformed proof hash");
    path.push_back(*h);
  }
  auto upper_text = read_file(site / "merkle/upper.json");
  if (!upper_text) return upper_text.error();
  json upper = json::parse(*upper_text, nullptr, false);
  if (upper.is_discarded() || !upper.contains("blocks") || !upper["blocks"].is_array())
    return make_error("merkle/upper.json is malformed");
  std::uint64_t block = index >> level;
  if (block >= upper["blocks"].size()) return make_error("certificate " + std::string(id) + ": block beyond merkle/upper.json");
  for (const auto& p : upper["blocks"][block]) {
    auto h = p.is_string() ? hash_from_hex(p.get<std::string>()) : std::nullopt;
    if (!h) return make_error("merkle/upper.json: malformed hash");
    path.push_back(*h);
  }
  if (!verify_inclusion(leaf, index, tree_size, path, *root))
    return make_error("certificate " + std::string(id) + ": inclusion proof does not lead to the signed root");
  return root_hex;
}

}  // namespace certify::certdb
