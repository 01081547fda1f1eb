// .deb and .rpm readers: libarchive for ar/tar/cpio and compression, a
// bounds-checked parser for the rpm header. librpm is not used: it needs an
// initialised rpm configuration and database state for a pure read, and a
// self-contained parser is what the fuzzer can exercise in isolation.
#include "swcompat/package.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

#include "core/files.hpp"

namespace certify::swcompat {

namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

std::string hex_digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  static const char* k_hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += k_hex[out[i] >> 4];
    s += k_hex[out[i] & 15];
  }
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads the current entry's data, at most `max` bytes (more is an error).
Result<std::string> read_entry_data(archive* a, std::uint64_t max) {
  std::string out;
  char buf[65536];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) return make_error(std::string("archive data: ") + (archive_error_string(a) ? archive_error_string(a) : "read error"));
    if (out.size() + static_cast<std::uint64_t>(n) > max) return make_error("archive member larger than the limit");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Walks every entry of an archive held in memory. `setup` enables formats
// and filters; `fn` returns an error to stop.
Status for_each_entry(std::string_view data, const std::function<void(archive*)>& setup,
                      const std::function<Status(archive*, archive_entry*)>& fn) {
  ArchivePtr a(archive_read_new());
  if (!a) return make_error("libarchive: out of memory");
  setup(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    return make_error(std::string("not a readable archive: ") + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown format"));
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r == ARCHIVE_WARN) r = ARCHIVE_OK;
    if (r != ARCHIVE_OK) return make_error(std::string("archive: ") + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "corrupt header"));
    if (auto st = fn(a.get(), e); !st) return st;
  }
  return ok_status();
}

std::string normalise_path(const char* p) {
  std::string s = p ? p : "";
  if (s.rfind("./", 0) == 0) s = s.substr(1);
  else if (s == ".") s = "/";
  else if (s.empty() || s[0] != '/') s = "/" + s;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

bool keep_content(const std::string& path, std::string_view data) {
  if (data.size() >= 4 && std::memcmp(data.data(), "\x7f" "ELF", 4) == 0) return true;
  auto ends = [&](std::string_view suf) { return path.size() >= suf.size() && path.compare(path.size() - suf.size(), suf.size(), suf) == 0; };
  if (ends(".ko") || ends(".ko.xz") || ends(".ko.zst") || ends(".ko.gz")) return true;
  if (path.rfind("/usr/share/doc/", 0) == 0 && ends("/copyright")) return true;
  return false;
}

// Collects the payload files (deb data.tar or rpm cpio) into `pkg`.
Status read_payload(std::string_view data, const std::function<void(archive*)>& setup, Package& pkg,
                    const ReadLimits& limits) {
  std::uint64_t kept = 0;
  return for_each_entry(data, setup, [&](archive* a, archive_entry* e) -> Status {
    if (pkg.files.size() >= limits.max_files) return make_error("too many files in the payload");
    PackageFile f;
    f.path = normalise_path(archive_entry_pathname(e));
    f.mode = static_cast<std::uint32_t>(archive_entry_perm(e));
    auto ft = archive_entry_filetype(e);
    if (archive_entry_hardlink(e)) {
      f.type = "hardlink";
      f.link_target = normalise_path(archive_entry_hardlink(e));
    } else if (ft == AE_IFREG) {
      f.type = "file";
    } else if (ft == AE_IFDIR) {
      f.type = "dir";
    } else if (ft == AE_IFLNK) {
      f.type = "symlink";
      f.link_target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
    } else {
      f.type = "other";
    }
    if (f.type == "file") {
      auto body = read_entry_data(a, limits.max_member);
      if (!body) return make_error(f.path + ": " + body.message());
      f.size = body->size();
      f.sha256 = sha256_hex(*body);
      f.sha1 = hex_digest(EVP_sha1(), *body);
      if (keep_content(f.path, *body)) {
        if (kept + body->size() <= limits.max_kept) {
          kept += body->size();
          f.content = std::move(*body);
          f.content_kept = true;
        } else {
          pkg.warnings.push_back(f.path + ": content not analysed (memory limit)");
        }
      }
    }
    if (f.path == "/" && f.type == "dir") return ok_status();
    pkg.files.push_back(std::move(f));
    return ok_status();
  });
}

void setup_tar(archive* a) {
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
}

// ---- Debian ----

std::vector<std::string> copyright_licenses(std::string_view text) {
  std::vector<std::string> out;
  auto paras = parse_control_paragraphs(text);
  if (paras.empty() || paras[0].count("format") == 0) return out;
  for (auto& p : paras) {
    auto it = p.find("license");
    if (it == p.end()) continue;
    // Stand-alone licence paragraphs (License without Files) only hold texts
    // referenced elsewhere; the header paragraph's License counts.
    if (p.count("files") == 0 && &p != &paras[0]) continue;
    auto first = it->second.substr(0, it->second.find('\n'));
    while (!first.empty() && first.back() == ' ') first.pop_back();
    if (!first.empty() && std::find(out.begin(), out.end(), first) == out.end()) out.push_back(first);
  }
  return out;
}

Status parse_deb(std::string_view data, Package& pkg, const ReadLimits& limits) {
  std::string debian_binary, control_tar, data_tar;
  int index = 0;
  auto st = for_each_entry(
      data, [](archive* a) { archive_read_support_format_ar(a); },
      [&](archive* a, archive_entry* e) -> Status {
        std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
        ++index;
        if (index == 1 && name != "debian-binary") return make_error("first ar member is \"" + name + "\", not debian-binary");
        auto body = read_entry_data(a, limits.max_member);
        if (!body) return make_error(name + ": " + body.message());
        if (name == "debian-binary") debian_binary = std::move(*body);
        else if (name.rfind("control.tar", 0) == 0) control_tar = std::move(*body);
        else if (name.rfind("data.tar", 0) == 0) data_tar = std::move(*body);
        else if (name.empty() || name[0] != '_') pkg.warnings.push_back("unexpected ar member \"" + name + "\"");
        return ok_status();
      });
  if (!st) return st;
  if (debian_binary.rfind("2.", 0) != 0) return make_error("not a Debian binary package (debian-binary is not 2.x)");
  if (control_tar.empty()) return make_error("no control.tar member");
  if (data_tar.empty()) return make_error("no data.tar member");

  std::string control;
  st = for_each_entry(control_tar, setup_tar, [&](archive* a, archive_entry* e) -> Status {
    auto name = normalise_path(archive_entry_pathname(e));
    if (archive_entry_filetype(e) != AE_IFREG) return ok_status();
    auto body = read_entry_data(a, 16 << 20);
    if (!body) return make_error("control.tar" + name + ": " + body.message());
    if (name == "/control") control = std::move(*body);
    else if (name == "/preinst" || name == "/postinst" || name == "/prerm" || name == "/postrm" || name == "/config")
      pkg.scripts[name.substr(1)] = std::move(*body);
    else pkg.fields["control-file:" + name.substr(1)] = std::to_string(body->size()) + " bytes";
    return ok_status();
  });
  if (!st) return make_error("control.tar: " + st.message());
  if (control.empty()) return make_error("control.tar has no control file");
  auto paras = parse_control_paragraphs(control);
  if (paras.empty()) return make_error("control file is empty");
  if (paras.size() > 1) pkg.warnings.push_back("control file has more than one paragraph");
  pkg.fields.insert(paras[0].begin(), paras[0].end());
  auto get = [&](const char* k) { auto it = paras[0].find(k); return it == paras[0].end() ? std::string() : it->second; };
  pkg.name = get("package");
  pkg.version = get("version");
  pkg.architecture = get("architecture");
  pkg.maintainer = get("maintainer");
  pkg.summary = get("description").substr(0, get("description").find('\n'));
  pkg.homepage = get("homepage");
  pkg.source = get("source");
  std::vector<std::string> errors;
  for (const char* f : {"pre-depends", "depends"}) {
    auto groups = parse_deb_relations(get(f), errors);
    pkg.depends.insert(pkg.depends.end(), groups.begin(), groups.end());
  }
  for (const char* f : {"provides", "conflicts"}) {
    for (auto& g : parse_deb_relations(get(f), errors))
      for (auto& d : g) (std::string(f) == "provides" ? pkg.provides : pkg.conflicts).push_back(d);
  }
  for (auto& e : errors) pkg.warnings.push_back("control: " + e);
  if (auto lic = get("license"); !lic.empty()) {
    pkg.license = lic;
    pkg.license_origin = "control License field";
  }

  st = read_payload(data_tar, setup_tar, pkg, limits);
  if (!st) return make_error("data.tar: " + st.message());
  if (pkg.license.empty() && !pkg.name.empty()) {
    auto path = "/usr/share/doc/" + pkg.name + "/copyright";
    if (auto* f = pkg.file(path); f && f->content_kept) {
      auto lics = copyright_licenses(f->content);
      if (!lics.empty()) {
        pkg.license = lics[0];
        for (std::size_t i = 1; i < lics.size(); ++i) pkg.license += "\n" + lics[i];
        pkg.license_origin = "debian/copyright (DEP-5)";
      } else {
        pkg.fields["copyright-file"] = path + " (not machine-readable DEP-5)";
      }
    }
  }
  return ok_status();
}

// ---- RPM ----

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

struct RpmValue {
  std::uint32_t type = 0;
  std::vector<std::string> strings;
  std::vector<std::uint64_t> ints;
};
using RpmHeader = std::map<std::uint32_t, RpmValue>;

// One header structure at `off`; returns the offset just past it.
Result<std::size_t> parse_rpm_header(std::span<const unsigned char> d, std::size_t off, RpmHeader& out,
                                     const char* what) {
  static const unsigned char k_magic[] = {0x8e, 0xad, 0xe8, 0x01};
  if (off > d.size() || d.size() - off < 16) return make_error(std::string(what) + " header truncated");
  if (std::memcmp(d.data() + off, k_magic, 4) != 0) return make_error(std::string(what) + " header magic missing");
  std::uint32_t nindex = be32(d.data() + off + 8), hsize = be32(d.data() + off + 12);
  if (nindex > 0x10000) return make_error(std::string(what) + " header has too many tags");
  if (hsize > (256u << 20)) return make_error(std::string(what) + " header data too large");
  std::size_t index = off + 16;
  std::size_t store = index + std::size_t{nindex} * 16;
  std::size_t end = store + hsize;
  if (end > d.size()) return make_error(std::string(what) + " header truncated");
  const unsigned char* s = d.data() + store;
  for (std::uint32_t i = 0; i < nindex; ++i) {
    const unsigned char* e = d.data() + index + std::size_t{i} * 16;
    std::uint32_t tag = be32(e), type = be32(e + 4), offset = be32(e + 8), count = be32(e + 12);
    if (offset > hsize) return make_error(std::string(what) + " header: tag " + std::to_string(tag) + " outside the data");
    RpmValue v;
    v.type = type;
    if (type == 6 || type == 8 || type == 9) {
      if (count > hsize) return make_error(std::string(what) + " header: tag " + std::to_string(tag) + " count too large");
      std::size_t p = offset;
      for (std::uint32_t k = 0; k < count; ++k) {
        const void* nul = p < hsize ? std::memchr(s + p, 0, hsize - p) : nullptr;
        if (!nul) return make_error(std::string(what) + " header: unterminated string in tag " + std::to_string(tag));
        auto len = static_cast<std::size_t>(static_cast<const unsigned char*>(nul) - (s + p));
        v.strings.emplace_back(reinterpret_cast<const char*>(s + p), len);
        p += len + 1;
      }
    } else if (type >= 2 && type <= 5) {
      std::size_t w = type == 2 ? 1 : type == 3 ? 2 : type == 4 ? 4 : 8;
      if (std::uint64_t{count} * w > hsize - offset) return make_error(std::string(what) + " header: tag " + std::to_string(tag) + " overruns the data");
      for (std::uint32_t k = 0; k < count; ++k) {
        std::uint64_t x = 0;
        for (std::size_t b = 0; b < w; ++b) x = (x << 8) | s[offset + k * w + b];
        v.ints.push_back(x);
      }
    } else if (type == 1 || type == 7) {
      if (count > hsize - offset) return make_error(std::string(what) + " header: tag " + std::to_string(tag) + " overruns the data");
    } else if (type != 0) {
      return make_error(std::string(what) + " header: tag " + std::to_string(tag) + " has unknown type " + std::to_string(type));
    }
    out[tag] = std::move(v);
  }
  return end;
}

std::string rpm_str(const RpmHeader& h, std::uint32_t tag) {
  auto it = h.find(tag);
  if (it == h.end() || it->second.strings.empty()) return "";
  return it->second.strings[0];
}

std::vector<std::string> rpm_strs(const RpmHeader& h, std::uint32_t tag) {
  auto it = h.find(tag);
  return it == h.end() ? std::vector<std::string>{} : it->second.strings;
}

std::vector<std::uint64_t> rpm_ints(const RpmHeader& h, std::uint32_t tag) {
  auto it = h.find(tag);
  return it == h.end() ? std::vector<std::uint64_t>{} : it->second.ints;
}

std::string sense_op(std::uint64_t flags) {
  bool lt = flags & 2, gt = flags & 4, eq = flags & 8;
  if (lt && eq) return "<=";
  if (gt && eq) return ">=";
  if (lt) return "<";
  if (gt) return ">";
  if (eq) return "=";
  return "";
}

std::vector<Dependency> rpm_relations(const RpmHeader& h, std::uint32_t name_tag, std::uint32_t flag_tag,
                                      std::uint32_t ver_tag, Package& pkg, bool skip_rpmlib) {
  auto names = rpm_strs(h, name_tag);
  auto flags = rpm_ints(h, flag_tag);
  auto vers = rpm_strs(h, ver_tag);
  if ((!flags.empty() && flags.size() != names.size()) || (!vers.empty() && vers.size() != names.size()))
    pkg.warnings.push_back("rpm header: dependency tag " + std::to_string(name_tag) + " arrays differ in length");
  std::vector<Dependency> out;
  // rpm repeats a relation once per script phase that needs it (a
  // Requires(pre) and a Requires(post) on /bin/sh are two entries that differ
  // only in flag bits we do not report): keep the first of equal ones.
  std::set<std::string> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::uint64_t f = i < flags.size() ? flags[i] : 0;
    if (skip_rpmlib && (f & (1u << 24))) continue;  // RPMSENSE_RPMLIB: rpm's own features
    Dependency d;
    d.name = names[i];
    d.version = i < vers.size() ? vers[i] : "";
    d.op = d.version.empty() ? "" : sense_op(f);
    if (d.op.empty()) d.version.clear();
    if (!seen.insert(d.name + '\0' + d.op + '\0' + d.version).second) continue;
    out.push_back(std::move(d));
  }
  return out;
}

// Name, version, licence, scripts and relations from a main header.
void fill_rpm_metadata(const RpmHeader& hdr, bool source, Package& pkg) {
  pkg.name = rpm_str(hdr, 1000);
  auto ver = rpm_str(hdr, 1001), rel = rpm_str(hdr, 1002);
  auto epoch = rpm_ints(hdr, 1003);
  pkg.version = (epoch.empty() ? "" : std::to_string(epoch[0]) + ":") + ver + (rel.empty() ? "" : "-" + rel);
  pkg.summary = rpm_str(hdr, 1004);
  pkg.license = rpm_str(hdr, 1014);
  if (!pkg.license.empty()) pkg.license_origin = "rpm License tag";
  pkg.maintainer = rpm_str(hdr, 1015);
  if (pkg.maintainer.empty()) pkg.maintainer = rpm_str(hdr, 1011);
  pkg.homepage = rpm_str(hdr, 1020);
  pkg.architecture = source ? "src" : rpm_str(hdr, 1022);
  pkg.source = rpm_str(hdr, 1044);
  for (auto [tag, key] : std::initializer_list<std::pair<std::uint32_t, const char*>>{
           {1000, "name"}, {1001, "version"}, {1002, "release"}, {1004, "summary"}, {1011, "vendor"},
           {1014, "license"}, {1015, "packager"}, {1016, "group"}, {1020, "url"}, {1021, "os"},
           {1022, "arch"}, {1044, "sourcerpm"}, {1124, "payloadformat"}, {1125, "payloadcompressor"}})
    if (auto v = rpm_str(hdr, tag); !v.empty()) pkg.fields[key] = v;
  // Scripts: %pre/%post/%preun/%postun under the Debian names, so every
  // check speaks one vocabulary.
  for (auto [tag, prog, key] : std::initializer_list<std::tuple<std::uint32_t, std::uint32_t, const char*>>{
           {1023, 1085, "preinst"}, {1024, 1086, "postinst"}, {1025, 1087, "prerm"}, {1026, 1088, "postrm"}}) {
    auto body = rpm_str(hdr, tag);
    if (!body.empty()) pkg.scripts[key] = body;
    if (auto p = rpm_strs(hdr, prog); !p.empty()) pkg.fields[std::string(key) + "-interpreter"] = p[0];
  }
  for (auto& r : rpm_relations(hdr, 1049, 1048, 1050, pkg, true)) pkg.depends.push_back({r});
  pkg.provides = rpm_relations(hdr, 1047, 1112, 1113, pkg, false);
  pkg.conflicts = rpm_relations(hdr, 1054, 1053, 1055, pkg, false);
}

Status parse_rpm(std::span<const unsigned char> d, Package& pkg, const ReadLimits& limits) {
  if (d.size() < 96) return make_error("rpm lead truncated");
  if (d[4] < 3 || d[4] > 4) pkg.warnings.push_back("rpm lead: unusual major version " + std::to_string(d[4]));
  bool source = d[7] == 1;
  RpmHeader sig, hdr;
  auto end = parse_rpm_header(d, 96, sig, "signature");
  if (!end) return make_error(end.message());
  std::size_t off = (*end + 7) & ~std::size_t{7};
  auto hend = parse_rpm_header(d, off, hdr, "main");
  if (!hend) return make_error(hend.message());
  fill_rpm_metadata(hdr, source, pkg);
  if (rpm_str(hdr, 1124) != "" && rpm_str(hdr, 1124) != "cpio")
    return make_error("unsupported rpm payload format \"" + rpm_str(hdr, 1124) + "\"");
  std::string_view payload(reinterpret_cast<const char*>(d.data() + *hend), d.size() - *hend);
  if (payload.empty()) return make_error("rpm payload missing (truncated file)");
  auto st = read_payload(payload, [](archive* a) {
    archive_read_support_filter_all(a);
    archive_read_support_format_cpio(a);
  }, pkg, limits);
  if (!st) return make_error("rpm payload: " + st.message());
  // Ghost files and directories owned but not shipped come from the header.
  auto basenames = rpm_strs(hdr, 1117), dirnames = rpm_strs(hdr, 1118);
  auto dirindexes = rpm_ints(hdr, 1116);
  if (basenames.size() != dirindexes.size())
    pkg.warnings.push_back("rpm header: file name arrays differ in length");
  std::size_t listed = std::min(basenames.size(), dirindexes.size());
  for (std::size_t i = 0; i < listed; ++i) {
    if (dirindexes[i] >= dirnames.size()) {
      pkg.warnings.push_back("rpm header: directory index out of range");
      break;
    }
    auto path = dirnames[dirindexes[i]] + basenames[i];
    if (!pkg.file(path)) pkg.fields["ghost:" + path] = "listed in the header, not in the payload";
  }
  return ok_status();
}

}  // namespace

const char* format_name(PackageFormat f) { return f == PackageFormat::deb ? "deb" : "rpm"; }

const PackageFile* Package::file(std::string_view path) const {
  for (const auto& f : files)
    if (f.path == path) return &f;
  return nullptr;
}

std::vector<std::map<std::string, std::string>> parse_control_paragraphs(std::string_view text) {
  std::vector<std::map<std::string, std::string>> out;
  std::map<std::string, std::string> cur;
  std::string last;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
    if (blank) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      last.clear();
      if (nl == text.size()) break;
      continue;
    }
    if (line[0] == '#') continue;
    if (line[0] == ' ' || line[0] == '\t') {
      if (!last.empty()) {
        auto cont = line.substr(1);
        cur[last] += "\n" + std::string(cont == "." ? "" : cont);
      }
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    last = lower(std::string(line.substr(0, colon)));
    auto v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    cur[last] = std::string(v);
    if (nl == text.size()) break;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<std::string> decompress(std::string_view data, std::uint64_t max_out) {
  ArchivePtr a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  archive_read_support_format_empty(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    return make_error(std::string("decompress: ") + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "unreadable"));
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a.get(), &e);
  if (r == ARCHIVE_EOF) return std::string();
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return make_error(std::string("decompress: ") + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "corrupt"));
  return read_entry_data(a.get(), max_out);
}

Result<Package> parse_rpm_db_header(std::span<const unsigned char> blob) {
  // headerExport leaves out the 8 bytes of magic and reserved space that a
  // header in a package file starts with; put them back and read it as one.
  static const unsigned char k_prefix[8] = {0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0};
  std::vector<unsigned char> d(k_prefix, k_prefix + 8);
  d.insert(d.end(), blob.begin(), blob.end());
  RpmHeader hdr;
  auto end = parse_rpm_header(d, 0, hdr, "rpmdb");
  if (!end) return make_error(end.message());
  if (*end != d.size()) return make_error("rpmdb header: " + std::to_string(d.size() - *end) + " bytes after the data");
  Package pkg;
  pkg.format = PackageFormat::rpm;
  fill_rpm_metadata(hdr, false, pkg);
  if (pkg.name.empty()) return make_error("rpmdb header: no package name");
  return pkg;
}

Result<std::vector<Package>> parse_rpm_header_stream(std::span<const unsigned char> data) {
  std::vector<Package> out;
  std::size_t off = 0;
  while (off < data.size()) {
    RpmHeader hdr;
    auto end = parse_rpm_header(data, off, hdr, ("header " + std::to_string(out.size() + 1)).c_str());
    if (!end) return make_error(end.message());
    off = *end;
    Package pkg;
    pkg.format = PackageFormat::rpm;
    fill_rpm_metadata(hdr, false, pkg);
    if (pkg.name.empty()) return make_error("header " + std::to_string(out.size() + 1) + ": no package name");
    out.push_back(std::move(pkg));
  }
  return out;
}

Result<Package> parse_package(std::span<const unsigned char> data, const ReadLimits& limits) {
  Package pkg;
  pkg.size = data.size();
  std::string_view sv(reinterpret_cast<const char*>(data.data()), data.size());
  pkg.sha256 = sha256_hex(sv);
  Status st = ok_status();
  if (data.size() >= 8 && std::memcmp(data.data(), "!<arch>\n", 8) == 0) {
    pkg.format = PackageFormat::deb;
    st = parse_deb(sv, pkg, limits);
  } else if (data.size() >= 4 && data[0] == 0xed && data[1] == 0xab && data[2] == 0xee && data[3] == 0xdb) {
    pkg.format = PackageFormat::rpm;
    st = parse_rpm(data, pkg, limits);
  } else {
    return make_error("not a .deb or .rpm package (unknown magic)");
  }
  if (!st) return make_error(std::string(format_name(pkg.format)) + ": " + st.message());
  return pkg;
}

Result<Package> read_package(const std::filesystem::path& path, const ReadLimits& limits) {
  auto data = read_file(path, 4ull << 30);
  if (!data) return make_error(data.message());
  auto pkg = parse_package(std::span(reinterpret_cast<const unsigned char*>(data->data()), data->size()), limits);
  if (!pkg) return make_error(path.string() + ": " + pkg.message());
  return pkg;
}

}  // namespace certify::swcompat
