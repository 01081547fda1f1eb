// sw-check checks and the SPDX SBOM.
#include "swcompat/swcheck.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <regex>
#include <set>

#include "certify_config.h"
#include "core/files.hpp"
#include "core/text.hpp"
#include "swcompat/rpmdb.hpp"
#include "swcompat/elf.hpp"
#include "swcompat/snapshot.hpp"

namespace certify::swcompat {

using nlohmann::json;

namespace {

int compare_dotted(const std::string& a, const std::string& b) { return compare_versions(a, b, VersionScheme::rpm); }

std::string target_arch(const json& target) {
  if (target.contains("os") && target["os"].contains("arch")) return canonical_arch(target["os"]["arch"].get<std::string>());
  return "";
}

// ---- metadata ----

void check_metadata(const Package& pkg, Report& r) {
  auto& c = r.add("metadata", "Metadata and control/SPEC sanity");
  std::vector<std::string> problems, notes;
  auto need = [&](const std::string& v, const char* what) {
    if (v.empty()) problems.push_back(std::string("missing ") + what);
  };
  need(pkg.name, "package name");
  need(pkg.version, "version");
  need(pkg.architecture, "architecture");
  need(pkg.maintainer, pkg.format == PackageFormat::deb ? "Maintainer" : "Packager/Vendor");
  need(pkg.summary, "description/summary");
  if (!pkg.name.empty()) {
    static const std::regex deb_name("[a-z0-9][a-z0-9+.-]+");
    static const std::regex rpm_name("[A-Za-z0-9_+.-]+");
    if (!std::regex_match(pkg.name, pkg.format == PackageFormat::deb ? deb_name : rpm_name))
      problems.push_back("package name \"" + pkg.name + "\" has invalid characters");
  }
  if (!pkg.version.empty()) {
    auto v = pkg.version.substr(pkg.version.find(':') == std::string::npos ? 0 : pkg.version.find(':') + 1);
    if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0])))
      problems.push_back("version \"" + pkg.version + "\" does not start with a digit");
  }
  if (pkg.format == PackageFormat::deb && !pkg.maintainer.empty() && pkg.maintainer.find('@') == std::string::npos)
    problems.push_back("Maintainer has no e-mail address");
  for (auto& [name, body] : pkg.scripts) {
    auto interp_key = name + "-interpreter";
    bool has_interp = pkg.fields.count(interp_key) || body.rfind("#!", 0) == 0;
    if (pkg.format == PackageFormat::deb && body.rfind("#!", 0) != 0)
      problems.push_back(name + " has no #! interpreter line");
    else if (!has_interp)
      notes.push_back(name + ": no interpreter recorded");
    bool shell = body.rfind("#!/bin/sh", 0) == 0 || body.rfind("#!/bin/bash", 0) == 0 ||
                 (pkg.fields.count(interp_key) && pkg.fields.at(interp_key).find("sh") != std::string::npos);
    if (pkg.format == PackageFormat::deb && shell && body.find("set -e") == std::string::npos)
      notes.push_back(name + ": shell script without \"set -e\" (errors are ignored)");
    for (const char* net : {"wget ", "curl "})
      if (body.find(net) != std::string::npos) notes.push_back(name + ": downloads at install time (" + std::string(net) + ")");
  }
  for (auto& w : pkg.warnings) notes.push_back(w);
  c.data = {{"name", pkg.name}, {"version", pkg.version}, {"architecture", pkg.architecture},
            {"maintainer", pkg.maintainer}, {"summary", pkg.summary}, {"scripts", json::array()}};
  for (auto& [n, b] : pkg.scripts) c.data["scripts"].push_back(n);
  c.evidence = problems;
  c.evidence.insert(c.evidence.end(), notes.begin(), notes.end());
  if (!problems.empty()) {
    c.status = CheckStatus::fail;
    c.summary = std::to_string(problems.size()) + " problem(s) in the package metadata";
  } else if (!notes.empty()) {
    c.status = CheckStatus::warn;
    c.summary = pkg.name + " " + pkg.version + " (" + pkg.architecture + "): " + std::to_string(notes.size()) + " note(s)";
  } else {
    c.summary = pkg.name + " " + pkg.version + " (" + pkg.architecture + "), " + std::to_string(pkg.scripts.size()) +
                " maintainer script(s)";
  }
}

// ---- licence ----

void check_license(const Package& pkg, const LicenseList& list, const DeclaredLicense& lic, Report& r) {
  auto& c = r.add("licence", "Licence declared, valid SPDX expression");
  c.evidence = lic.notes;
  if (!lic.translated_from.empty()) c.evidence.push_back(lic.translated_from);
  if (lic.expression.empty() && pkg.fields.count("copyright-file")) {
    // A free-text copyright file declares a licence, but not in a form
    // that can be validated: a reviewer has to read it.
    c.status = CheckStatus::warn;
    c.summary = "licence only as free text, not machine-readable: " + pkg.fields.at("copyright-file");
    return;
  }
  if (lic.expression.empty()) {
    c.status = CheckStatus::fail;
    c.summary = "no licence declared";
    if (pkg.format == PackageFormat::deb) c.evidence.push_back("no License field and no machine-readable /usr/share/doc/" + pkg.name + "/copyright");
    else c.evidence.push_back("rpm header has no License tag");
    return;
  }
  c.data = {{"declared", pkg.license}, {"origin", pkg.license_origin}, {"expression", lic.expression},
            {"valid", lic.parsed.valid}, {"licenses", lic.parsed.licenses}, {"exceptions", lic.parsed.exceptions}};
  if (!lic.parsed.valid) {
    c.status = CheckStatus::fail;
    c.summary = "\"" + lic.expression + "\" is not a valid SPDX expression: " + lic.parsed.error;
    return;
  }
  c.data["normalized"] = lic.parsed.normalized;
  for (auto& w : lic.parsed.warnings) c.evidence.push_back(w);
  bool refs = std::any_of(lic.parsed.licenses.begin(), lic.parsed.licenses.end(),
                          [](const std::string& l) { return l.find("LicenseRef-") != std::string::npos; });
  c.status = (lic.parsed.warnings.empty() && !refs && lic.notes.empty()) ? CheckStatus::pass : CheckStatus::warn;
  if (refs) c.evidence.push_back("LicenseRef-* ids are not on the SPDX License List; review the licence text");
  c.summary = lic.parsed.normalized + " (" + pkg.license_origin + ", SPDX list of " + std::to_string(list.license_count()) + " ids)";
}

// ---- target index for dependencies ----

struct TargetIndex {
  std::map<std::string, std::vector<std::string>> provided;  // name -> versions ("" unversioned)
  std::map<std::string, const json*> libraries;               // "arch/soname" -> entry
  std::set<std::string> files;                                // commands and library paths
  std::set<std::string> commands;                             // command names
  std::string arch;
  bool has_packages = false, has_libraries = false;
};

TargetIndex index_target(const json& t) {
  TargetIndex ix;
  ix.arch = target_arch(t);
  if (!t.contains("dimensions")) return ix;
  auto& dims = t["dimensions"];
  if (dims.contains("packages")) {
    for (auto& [key, v] : dims["packages"].items()) {
      ix.has_packages = true;
      auto name = key.substr(0, key.find(':'));
      ix.provided[name].push_back(v.value("version", ""));
      if (v.contains("provides") && v.value("format", "") == "rpm") {
        for (auto& p : v["provides"]) {
          auto d = parse_rpm_relation_text(p.get<std::string>());
          ix.provided[d.name].push_back(d.op == "=" ? d.version : "");
        }
      } else if (v.contains("provides"))
        for (auto& p : v["provides"]) {
          std::vector<std::string> errs;
          for (auto& g : parse_deb_relations(p.get<std::string>(), errs))
            for (auto& d : g) ix.provided[d.name].push_back(d.op == "=" ? d.version : "");
        }
    }
  }
  if (dims.contains("libraries")) {
    for (auto& [key, v] : dims["libraries"].items()) {
      ix.has_libraries = true;
      ix.libraries[key] = &v;
      ix.files.insert(v.value("path", ""));
    }
  }
  if (dims.contains("commands"))
    for (auto& [k, v] : dims["commands"].items()) {
      ix.files.insert(v.get<std::string>());
      ix.commands.insert(k);
    }
  return ix;
}

const json* find_library(const TargetIndex& ix, const std::string& arch, const std::string& soname) {
  if (!arch.empty()) {
    auto it = ix.libraries.find(arch + "/" + soname);
    return it == ix.libraries.end() ? nullptr : it->second;
  }
  for (auto& [k, v] : ix.libraries)
    if (v->value("soname", "") == soname) return v;
  return nullptr;
}

bool library_has_version(const json& lib, const std::string& ver) {
  if (!lib.contains("versions")) return false;
  for (auto& v : lib["versions"])
    if (v == ver) return true;
  return false;
}

std::string max_glibc(const json& lib) {
  std::string best;
  if (!lib.contains("versions")) return best;
  for (auto& v : lib["versions"]) {
    auto g = glibc_version_of(v.get<std::string>());
    if (!g.empty() && (best.empty() || compare_dotted(g, best) > 0)) best = g;
  }
  return best;
}

// rpm's automatic soname dependencies: "libc.so.6(GLIBC_2.34)(64bit)".
bool resolve_soname_dep(const TargetIndex& ix, const std::string& name, const std::string& arch, std::string& why) {
  auto paren = name.find('(');
  if (paren == std::string::npos || name.find(".so") > paren) return false;
  auto soname = name.substr(0, paren);
  auto close = name.find(')', paren);
  std::string ver = close == std::string::npos ? "" : name.substr(paren + 1, close - paren - 1);
  auto* lib = find_library(ix, arch, soname);
  if (!lib) {
    why = soname + " not found on the target";
    return false;
  }
  if (!ver.empty() && !library_has_version(*lib, ver)) {
    why = soname + " on the target has no version " + ver;
    return false;
  }
  return true;
}

bool resolve_dep(const TargetIndex& ix, const json& dep, const std::set<std::string>& self, const std::string& arch,
                 VersionScheme scheme, std::string& why) {
  Dependency d{dep.value("name", ""), dep.value("op", ""), dep.value("version", "")};
  if (self.count(d.name)) return true;
  if (d.name.empty()) return false;
  if (d.name[0] == '/') {
    if (ix.files.count(d.name)) return true;
    // /bin/sh on a merged-/usr system is listed once, as /usr/bin/sh: a
    // file in a PATH directory counts when the command exists.
    auto slash = d.name.rfind('/');
    auto dir = d.name.substr(0, slash), base = d.name.substr(slash + 1);
    static const std::set<std::string> k_path_dirs = {"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"};
    if (k_path_dirs.count(dir) && ix.commands.count(base)) return true;
    why = "file " + d.name + " not found among the target's commands and libraries";
    return false;
  }
  if (d.name == "rtld(GNU_HASH)") {
    // rpm's name for "the dynamic loader understands DT_GNU_HASH": any glibc loader does.
    for (auto& [k, v] : ix.libraries)
      if (v->value("soname", "").rfind("ld-linux", 0) == 0) return true;
    why = "no glibc dynamic loader (ld-linux*) on the target";
    return false;
  }
  if (d.name.find(".so") != std::string::npos && d.name.find('(') != std::string::npos)
    return resolve_soname_dep(ix, d.name, arch, why);
  auto it = ix.provided.find(d.name);
  if (it == ix.provided.end()) {
    why = d.name + " is not installed or provided on the target";
    return false;
  }
  for (auto& v : it->second) {
    if (d.op.empty()) return true;
    if (v.empty()) {
      if (scheme == VersionScheme::rpm) return true;
      continue;  // dpkg: an unversioned Provides never satisfies a versioned relation
    }
    if (version_satisfies(v, d, scheme)) return true;
  }
  std::string have;
  for (auto& v : it->second) have += (have.empty() ? "" : ", ") + (v.empty() ? "(unversioned)" : v);
  why = d.text() + " not satisfied: target has " + have;
  return false;
}

std::string dep_text(const json& d) {
  Dependency x{d.value("name", ""), d.value("op", ""), d.value("version", "")};
  return x.text();
}

}  // namespace

DeclaredLicense declared_license(const Package& pkg, const LicenseList& list) {
  DeclaredLicense out;
  if (pkg.license.empty()) return out;
  if (pkg.license_origin == "debian/copyright (DEP-5)") {
    std::vector<std::string> parts;
    for (auto view : split_lines(pkg.license)) {
      std::string line(view);
      if (line.empty()) continue;
      auto t = dep5_to_spdx(line, list);
      out.notes.push_back("DEP-5 \"" + line + "\" -> " + t.expression);
      for (auto& u : t.unknown) out.notes.push_back("DEP-5 name \"" + u + "\" has no SPDX equivalent");
      auto e = t.expression;
      if (e.find(" OR ") != std::string::npos) e = "(" + e + ")";
      if (std::find(parts.begin(), parts.end(), e) == parts.end()) parts.push_back(e);
    }
    for (auto& p : parts) out.expression += (out.expression.empty() ? "" : " AND ") + p;
    // Notes about the mapping itself are informational; only unknown names warn.
    std::vector<std::string> keep;
    for (auto& n : out.notes)
      if (n.find("no SPDX equivalent") != std::string::npos) keep.push_back(n);
    out.parsed = parse_license_expression(out.expression, list);
    out.notes = keep;
    std::string flat = pkg.license;
    std::replace(flat.begin(), flat.end(), '\n', ';');
    out.translated_from = "DEP-5 licence names \"" + flat + "\" translated to SPDX";
    return out;
  }
  out.expression = pkg.license;
  out.parsed = parse_license_expression(out.expression, list);
  return out;
}

json package_requirements(const Package& pkg) {
  json req = {{"format", "certify-requirements"}, {"format_version", 1}, {"package", pkg.name},
              {"version", pkg.version}, {"package_format", format_name(pkg.format)},
              {"architecture", canonical_arch(pkg.architecture)}, {"depends", json::array()},
              {"self_provides", json::array()}, {"elf", json::array()}, {"bundled_libraries", json::object()}};
  std::set<std::string> seen_groups;
  for (auto& g : pkg.depends) {
    std::string key;
    for (auto& d : g) key += d.text() + "|";
    if (!seen_groups.insert(key).second) continue;  // a control file may repeat a relation
    json alts = json::array();
    for (auto& d : g) alts.push_back({{"name", d.name}, {"op", d.op}, {"version", d.version}});
    req["depends"].push_back(alts);
  }
  std::set<std::string> self = {pkg.name};
  for (auto& p : pkg.provides) self.insert(p.name);
  std::string min_glibc;
  std::map<std::string, json> elf_by_file;
  for (auto& f : pkg.files) {
    if (f.type == "file" || f.type == "symlink") self.insert(f.path);
    if (!f.content_kept || !is_elf(f.content)) continue;
    auto info = parse_elf(f.content);
    if (!info) {
      req["elf"].push_back({{"file", f.path}, {"error", info.message()}});
      continue;
    }
    if (info->type == "rel") continue;  // kernel modules and objects: kabi-check
    if (!info->soname.empty()) {
      auto vers = info->version_defs;
      req["bundled_libraries"][info->arch + "/" + info->soname] = vers;
    }
    json needs = json::object();
    for (auto& [lib, vers] : info->version_needs) {
      needs[lib] = vers;
      for (auto& v : vers) {
        auto g = glibc_version_of(v);
        if (!g.empty() && (min_glibc.empty() || compare_dotted(g, min_glibc) > 0)) min_glibc = g;
      }
    }
    req["elf"].push_back({{"file", f.path}, {"arch", info->arch}, {"type", info->type}, {"soname", info->soname},
                          {"needed", info->needed}, {"version_needs", needs}, {"interpreter", info->interpreter}});
  }
  for (auto& s : self) req["self_provides"].push_back(s);
  req["min_glibc"] = min_glibc;
  return req;
}

Report check_requirements(const json& req, const json& target) {
  Report r;
  r.kind = "requirements";
  r.subject = req.value("package", "?") + " " + req.value("version", "");
  auto ix = index_target(target);
  VersionScheme scheme = req.value("package_format", "deb") == "rpm" ? VersionScheme::rpm : VersionScheme::deb;
  std::string pkg_arch = req.value("architecture", "");

  // Architecture.
  {
    auto& c = r.add("architecture", "Architecture matches the target");
    c.data = {{"package", pkg_arch}, {"target", ix.arch}};
    if (ix.arch.empty()) {
      c.status = CheckStatus::warn;
      c.summary = "target architecture unknown";
    } else if (pkg_arch.empty()) {
      c.summary = "architecture-independent package";
    } else if (pkg_arch != ix.arch) {
      c.status = CheckStatus::fail;
      c.summary = "package is built for " + pkg_arch + ", target is " + ix.arch;
    } else {
      c.summary = pkg_arch;
    }
  }
  std::set<std::string> self;
  for (auto& s : req["self_provides"]) self.insert(s.get<std::string>());
  std::string arch = pkg_arch.empty() ? ix.arch : pkg_arch;

  // Dependencies.
  {
    auto& c = r.add("dependencies", "Dependencies resolvable on the target");
    if (!ix.has_packages && !ix.has_libraries) {
      c.status = CheckStatus::skip;
      c.summary = "target snapshot has no package database and no library list";
    } else {
      int ok = 0, bad = 0;
      json unresolved = json::array();
      for (auto& group : req["depends"]) {
        std::string why, text;
        bool sat = false;
        for (auto& d : group) {
          text += (text.empty() ? "" : " | ") + dep_text(d);
          std::string w;
          if (resolve_dep(ix, d, self, arch, scheme, w)) {
            sat = true;
            break;
          }
          why += (why.empty() ? "" : "; ") + w;
        }
        if (sat) {
          ++ok;
        } else {
          ++bad;
          c.evidence.push_back(text + ": " + why);
          unresolved.push_back(text);
        }
      }
      c.data = {{"resolved", ok}, {"unresolved", unresolved}};
      c.status = bad ? CheckStatus::fail : CheckStatus::pass;
      c.summary = std::to_string(ok) + " of " + std::to_string(ok + bad) + " dependencies resolvable";
      if (!ix.has_packages) c.evidence.push_back("target has no package database: only soname and file dependencies can resolve");
    }
  }

  // ELF ABI.
  {
    auto& c = r.add("elf-abi", "ELF ABI: sonames and symbol versions on the target");
    int objects = 0, sonames = 0, versions = 0, bad = 0;
    std::set<std::string> missing_libs;
    for (auto& e : req["elf"]) {
      auto file = e.value("file", "");
      if (e.contains("error")) {
        ++bad;
        c.evidence.push_back(file + ": unreadable ELF: " + e["error"].get<std::string>());
        continue;
      }
      ++objects;
      auto earch = e.value("arch", "");
      if (!ix.arch.empty() && earch != ix.arch) {
        ++bad;
        c.evidence.push_back(file + ": built for " + (earch.empty() ? "an unknown machine" : earch) + ", target is " + ix.arch);
        continue;
      }
      if (!ix.has_libraries) continue;
      auto lookup = [&](const std::string& soname) -> const json* {
        if (auto* l = find_library(ix, earch, soname)) return l;
        auto b = req["bundled_libraries"].find(earch + "/" + soname);
        if (b != req["bundled_libraries"].end()) return nullptr;
        return nullptr;
      };
      auto bundled = [&](const std::string& soname) { return req["bundled_libraries"].contains(earch + "/" + soname); };
      for (auto& n : e["needed"]) {
        auto soname = n.get<std::string>();
        ++sonames;
        if (!lookup(soname) && !bundled(soname)) {
          ++bad;
          missing_libs.insert(soname);
          c.evidence.push_back(file + ": needs " + soname + ", not found on the target");
        }
      }
      for (auto& [soname, vers] : e["version_needs"].items()) {
        const json* lib = lookup(soname);
        json bundled_vers = bundled(soname) ? req["bundled_libraries"][earch + "/" + soname] : json::array();
        for (auto& v : vers) {
          ++versions;
          auto ver = v.get<std::string>();
          bool have = (lib && library_has_version(*lib, ver)) ||
                      std::find(bundled_vers.begin(), bundled_vers.end(), v) != bundled_vers.end();
          if (have || (!lib && !bundled(soname))) continue;  // a missing library was reported above
          ++bad;
          std::string provides = lib ? max_glibc(*lib) : "";
          c.evidence.push_back(file + ": needs " + ver + " from " + soname + ", not provided by the target" +
                               (provides.empty() ? "" : " (it has up to GLIBC_" + provides + ")"));
        }
      }
    }
    auto min_glibc = req.value("min_glibc", "");
    std::string target_glibc;
    if (auto* libc = find_library(ix, arch, "libc.so.6")) target_glibc = max_glibc(*libc);
    c.data = {{"objects", objects}, {"sonames_checked", sonames}, {"versions_checked", versions},
              {"min_glibc", min_glibc}, {"target_glibc", target_glibc}};
    if (objects == 0 && bad == 0) {
      c.summary = "no ELF objects in the package";
    } else if (!ix.has_libraries && bad == 0) {
      c.status = CheckStatus::skip;
      c.summary = "target snapshot has no library list";
    } else {
      c.status = bad ? CheckStatus::fail : CheckStatus::pass;
      c.summary = std::to_string(objects) + " ELF object(s), " + std::to_string(sonames) + " needed sonames, " +
                  std::to_string(versions) + " symbol versions; " + std::to_string(bad) + " problem(s)" +
                  (min_glibc.empty() ? "" : "; needs glibc >= " + min_glibc) +
                  (target_glibc.empty() ? "" : ", target has " + target_glibc);
    }
  }
  return r;
}

json make_sbom(const Package& pkg, const DeclaredLicense& lic, const std::string& created) {
  std::string ts = created.empty() ? utc_timestamp() : created;
  std::string pkg_id = "SPDXRef-Package-" + std::string(format_name(pkg.format)) + "-0";
  std::string purl_type = pkg.format == PackageFormat::deb ? "deb" : "rpm";
  std::string license = lic.parsed.valid ? lic.parsed.normalized : "NOASSERTION";
  json files = json::array(), rels = json::array();
  rels.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"}, {"relationshipType", "DESCRIBES"}, {"relatedSpdxElement", pkg_id}});
  std::vector<std::string> sha1s;
  int n = 0;
  for (auto& f : pkg.files) {
    if (f.type != "file") continue;
    std::string id = "SPDXRef-File-" + std::to_string(++n);
    files.push_back({{"fileName", "." + f.path},
                     {"SPDXID", id},
                     {"checksums", json::array({{{"algorithm", "SHA1"}, {"checksumValue", f.sha1}},
                                                {{"algorithm", "SHA256"}, {"checksumValue", f.sha256}}})},
                     {"licenseConcluded", "NOASSERTION"},
                     {"copyrightText", "NOASSERTION"}});
    rels.push_back({{"spdxElementId", pkg_id}, {"relationshipType", "CONTAINS"}, {"relatedSpdxElement", id}});
    sha1s.push_back(f.sha1);
  }
  // Package verification code (SPDX 2.3 clause 7.9): SHA1 over the sorted
  // file SHA1s concatenated.
  std::sort(sha1s.begin(), sha1s.end());
  std::string cat;
  for (auto& s : sha1s) cat += s;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_Digest(cat.data(), cat.size(), md, &mdlen, EVP_sha1(), nullptr);
  std::string code;
  static const char* k_hex = "0123456789abcdef";
  for (unsigned i = 0; i < mdlen; ++i) {
    code += k_hex[md[i] >> 4];
    code += k_hex[md[i] & 15];
  }
  std::string supplier = pkg.maintainer.empty() ? "NOASSERTION" : "Organization: " + pkg.maintainer;
  json main_pkg = {{"name", pkg.name},
                   {"SPDXID", pkg_id},
                   {"versionInfo", pkg.version},
                   {"supplier", supplier},
                   {"downloadLocation", "NOASSERTION"},
                   {"filesAnalyzed", true},
                   {"packageVerificationCode", {{"packageVerificationCodeValue", code}}},
                   {"checksums", json::array({{{"algorithm", "SHA256"}, {"checksumValue", pkg.sha256}}})},
                   {"licenseConcluded", "NOASSERTION"},
                   {"licenseDeclared", license},
                   {"copyrightText", "NOASSERTION"},
                   {"summary", pkg.summary},
                   {"externalRefs", json::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                                                  {"referenceType", "purl"},
                                                  {"referenceLocator", "pkg:" + purl_type + "/" + pkg.name + "@" +
                                                                           pkg.version + "?arch=" + pkg.architecture}}})}};
  if (!pkg.homepage.empty()) main_pkg["homepage"] = pkg.homepage;
  json packages = json::array({main_pkg});
  int d = 0;
  for (auto& g : pkg.depends) {
    if (g.empty()) continue;
    std::string id = "SPDXRef-Dependency-" + std::to_string(++d);
    json dp = {{"name", g[0].name}, {"SPDXID", id}, {"downloadLocation", "NOASSERTION"}, {"filesAnalyzed", false},
               {"licenseConcluded", "NOASSERTION"}, {"licenseDeclared", "NOASSERTION"}, {"copyrightText", "NOASSERTION"}};
    if (g[0].op == "=" ) dp["versionInfo"] = g[0].version;
    if (g.size() > 1 || !g[0].op.empty()) {
      std::string t;
      for (auto& x : g) t += (t.empty() ? "" : " | ") + x.text();
      dp["comment"] = "relation: " + t;
    }
    packages.push_back(dp);
    rels.push_back({{"spdxElementId", pkg_id}, {"relationshipType", "DEPENDS_ON"}, {"relatedSpdxElement", id}});
  }
  return {{"spdxVersion", "SPDX-2.3"},
          {"dataLicense", "CC0-1.0"},
          {"SPDXID", "SPDXRef-DOCUMENT"},
          {"name", pkg.name + "-" + pkg.version},
          {"documentNamespace", "https://spdx.org/spdxdocs/certify/" + pkg.name + "-" + pkg.version + "-" + pkg.sha256},
          {"creationInfo", {{"created", ts}, {"creators", json::array({std::string("Tool: certify-") + CERTIFY_VERSION})}}},
          {"packages", packages},
          {"files", files},
          {"relationships", rels}};
}

Report sw_check(const Package& pkg, const std::string& file, const json& target, const LicenseList& licenses,
                const SwCheckOptions& options) {
  Report r;
  r.kind = "sw-check";
  r.subject = file;
  r.meta = {{"package", pkg.name}, {"version", pkg.version}, {"format", format_name(pkg.format)},
            {"architecture", pkg.architecture}, {"sha256", pkg.sha256}};
  // Who stands behind the package: rpm's Vendor tag, else the maintainer.
  auto vendor_it = pkg.fields.find("vendor");
  auto vendor = vendor_it != pkg.fields.end() ? vendor_it->second : pkg.maintainer;
  if (!vendor.empty()) r.meta["vendor"] = vendor;
  if (target.contains("os")) {
    auto& os = target["os"];
    r.meta["target"] = os.value("pretty_name", os.value("id", "unknown")) + " (" + os.value("arch", "?") + ")";
    if (os.contains("id_like")) r.meta["target_id_like"] = os["id_like"];
    if (os.contains("platform_id")) r.meta["target_platform_id"] = os["platform_id"];
  }
  check_metadata(pkg, r);
  auto lic = declared_license(pkg, licenses);
  check_license(pkg, licenses, lic, r);
  auto req = package_requirements(pkg);
  auto rr = check_requirements(req, target);
  for (auto& c : rr.checks) r.checks.push_back(std::move(c));
  auto sbom = make_sbom(pkg, lic, options.created);
  auto& s = r.add("sbom", "SBOM (SPDX 2.3 JSON)");
  s.summary = std::to_string(sbom["files"].size()) + " files, " + std::to_string(sbom["packages"].size() - 1) +
              " dependencies, licenseDeclared " + sbom["packages"][0]["licenseDeclared"].get<std::string>();
  r.extra["requirements"] = req;
  r.extra["sbom"] = sbom;
  return r;
}

}  // namespace certify::swcompat
