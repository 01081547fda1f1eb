// kabi-check: what the kernel's module loader would say (unknown symbol,
// "disagrees about version of symbol", GPL-only export to a non-GPL
// module), decided before the module ships.
#include "swcompat/kabi.hpp"

#include <algorithm>
#include <sstream>

#include "core/files.hpp"
#include "swcompat/package.hpp"

namespace certify::swcompat {

namespace {

bool ends_with(const std::string& s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

bool is_module_name(const std::string& n) {
  return ends_with(n, ".ko") || ends_with(n, ".ko.xz") || ends_with(n, ".ko.zst") || ends_with(n, ".ko.gz");
}

// Licences the kernel treats as GPL-compatible (include/linux/license.h).
bool gpl_compatible(const std::string& l) {
  static const char* k_ok[] = {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"};
  for (auto* x : k_ok)
    if (l == x) return true;
  return false;
}

std::string hex_crc(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

Result<KernelModule> module_from_bytes(const std::string& name, const std::string& raw) {
  std::string image = raw;
  if (!is_elf(raw)) {
    auto d = decompress(raw, 512u << 20);
    if (!d) return make_error(name + ": " + d.message());
    image = std::move(*d);
  }
  auto info = parse_elf(image);
  if (!info) return make_error(name + ": " + info.message());
  if (info->type != "rel") return make_error(name + ": not a kernel module (ELF type " + info->type + ", expected relocatable)");
  return KernelModule{name, std::move(*info)};
}

}  // namespace

std::set<std::string> parse_kabi_allow_list(std::string_view text) {
  std::set<std::string> out;
  std::istringstream is{std::string(text)};
  std::string line;
  while (std::getline(is, line)) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (line[0] == '#' || line[0] == '[') continue;
    auto end = line.find_first_of(" \t#");
    out.insert(line.substr(0, end));
  }
  return out;
}

KabiTarget kabi_target_from_snapshot(const nlohmann::json& s) {
  KabiTarget t;
  if (s.contains("os")) t.kernel_release = s["os"].value("kernel_release", "");
  if (s.contains("sources")) t.source = s["sources"].value("kabi", "");
  if (!s.contains("dimensions") || !s["dimensions"].contains("kabi")) return t;
  for (auto& [name, v] : s["dimensions"]["kabi"].items()) {
    KernelSymbol k{v.value("crc", ""), v.value("module", ""), v.value("export", "")};
    if (!k.crc.empty()) t.have_crcs = true;
    t.symbols[name] = k;
  }
  return t;
}

Result<std::vector<KernelModule>> load_kernel_modules(const std::string& path) {
  auto raw = read_file(path, 2ull << 30);
  if (!raw) return make_error(raw.message());
  std::vector<KernelModule> out;
  bool package = raw->rfind("!<arch>\n", 0) == 0 || (raw->size() > 4 && static_cast<unsigned char>((*raw)[0]) == 0xed &&
                                                     static_cast<unsigned char>((*raw)[1]) == 0xab);
  if (!package) {
    auto m = module_from_bytes(path, *raw);
    if (!m) return make_error(m.message());
    out.push_back(std::move(*m));
    return out;
  }
  auto pkg = parse_package(std::span(reinterpret_cast<const unsigned char*>(raw->data()), raw->size()));
  if (!pkg) return make_error(path + ": " + pkg.message());
  for (auto& f : pkg->files) {
    if (f.type != "file" || !is_module_name(f.path)) continue;
    if (!f.content_kept) return make_error(f.path + ": module content not kept (memory limit)");
    auto m = module_from_bytes(f.path, f.content);
    if (!m) return make_error(m.message());
    out.push_back(std::move(*m));
  }
  if (out.empty()) return make_error(path + ": package contains no kernel modules (.ko)");
  return out;
}

Report kabi_check(const std::vector<KernelModule>& modules, const KabiTarget& t) {
  Report r;
  r.kind = "kabi-check";
  r.subject = modules.size() == 1 ? modules[0].name : std::to_string(modules.size()) + " modules";
  r.meta = {{"kernel_release", t.kernel_release.empty() ? "unknown" : t.kernel_release},
            {"kernel_symbols", std::to_string(t.symbols.size()) + " from " + (t.source.empty() ? "?" : t.source)},
            {"allow_list", t.have_allow_list ? std::to_string(t.allow_list.size()) + " symbols" : "none"}};
  // Symbols the modules export to each other ride along: a symbol defined by
  // one module of the set is not needed from the kernel.
  std::set<std::string> provided_by_set;
  for (auto& m : modules)
    for (auto& [k, v] : m.elf.modinfo)
      if (k == "name") provided_by_set.insert(v);

  for (auto& m : modules) {
    std::string license, vermagic, modname;
    for (auto& [k, v] : m.elf.modinfo) {
      if (k == "license") license = v;
      else if (k == "vermagic") vermagic = v;
      else if (k == "name") modname = v;
    }
    std::string tag = m.name + ": ";
    // vermagic.
    {
      auto& c = r.add("vermagic", tag + "vermagic");
      c.data = {{"vermagic", vermagic}, {"kernel_release", t.kernel_release}};
      auto release = vermagic.substr(0, vermagic.find(' '));
      if (vermagic.empty()) {
        c.status = CheckStatus::fail;
        c.summary = "module has no vermagic (.modinfo missing): the kernel refuses it";
      } else if (t.kernel_release.empty()) {
        c.status = CheckStatus::skip;
        c.summary = "target kernel release unknown; module built for " + release;
      } else if (release != t.kernel_release) {
        bool modversions = vermagic.find("modversions") != std::string::npos;
        c.status = CheckStatus::warn;
        c.summary = "built for " + release + ", target runs " + t.kernel_release +
                    (modversions ? " (modversions: loading is decided by the CRCs)" : " (no modversions: the kernel refuses it)");
        if (!modversions) c.status = CheckStatus::fail;
      } else {
        c.summary = "built for " + release;
      }
    }
    // Symbols and CRCs.
    auto& sc = r.add("symbols", tag + "imported symbols exported by the kernel");
    auto& cc = r.add("crcs", tag + "modversions CRCs match the kernel");
    auto& gc = r.add("gpl-only", tag + "GPL-only exports vs module licence");
    nlohmann::json missing = nlohmann::json::array(), mismatched = nlohmann::json::array(), gpl = nlohmann::json::array();
    std::size_t checked = 0, crc_checked = 0;
    auto undefined = m.elf.undefined;
    std::sort(undefined.begin(), undefined.end());
    undefined.erase(std::unique(undefined.begin(), undefined.end()), undefined.end());
    for (auto& sym : undefined) {
      ++checked;
      auto it = t.symbols.find(sym);
      if (it == t.symbols.end()) {
        missing.push_back(sym);
        sc.evidence.push_back("unknown symbol " + sym);
        continue;
      }
      if (it->second.export_type.find("GPL") != std::string::npos && !gpl_compatible(license)) {
        gpl.push_back(sym);
        gc.evidence.push_back(sym + " is " + it->second.export_type + ", module licence is \"" + license + "\"");
      }
    }
    for (auto& [sym, crc] : m.elf.modversions) {
      auto it = t.symbols.find(sym);
      if (it == t.symbols.end() || it->second.crc.empty()) continue;
      ++crc_checked;
      std::uint32_t want = 0;
      try {
        want = static_cast<std::uint32_t>(std::stoul(it->second.crc, nullptr, 16));
      } catch (const std::exception&) {
        cc.evidence.push_back(sym + ": target CRC \"" + it->second.crc + "\" unreadable");
        continue;
      }
      if (want != crc) {
        mismatched.push_back(sym);
        cc.evidence.push_back("disagrees about version of symbol " + sym + ": module " + hex_crc(crc) + ", kernel " + hex_crc(want));
      }
    }
    sc.data = {{"imported", checked}, {"missing", missing}};
    if (t.symbols.empty()) {
      sc.status = CheckStatus::skip;
      sc.summary = "target kernel exports unknown (no Module.symvers/kallsyms in the target)";
    } else {
      sc.status = missing.empty() ? CheckStatus::pass : CheckStatus::fail;
      sc.summary = std::to_string(checked - missing.size()) + " of " + std::to_string(checked) + " imported symbols exported by the target";
    }
    cc.data = {{"module_crcs", m.elf.modversions.size()}, {"checked", crc_checked}, {"mismatched", mismatched}};
    if (m.elf.modversions.empty()) {
      cc.status = CheckStatus::warn;
      cc.summary = "module has no __versions section (built without CONFIG_MODVERSIONS)";
    } else if (!t.have_crcs) {
      cc.status = CheckStatus::skip;
      cc.summary = "target CRCs unknown (kallsyms has none; give Module.symvers)";
    } else {
      cc.status = mismatched.empty() ? CheckStatus::pass : CheckStatus::fail;
      cc.summary = std::to_string(crc_checked - mismatched.size()) + " of " + std::to_string(crc_checked) + " CRCs match";
    }
    gc.data = {{"license", license}, {"gpl_only_used", gpl}};
    gc.status = gpl.empty() ? CheckStatus::pass : CheckStatus::fail;
    gc.summary = gpl.empty() ? "licence \"" + license + "\": no GPL-only export misused"
                             : std::to_string(gpl.size()) + " GPL-only symbol(s) used by a \"" + license + "\" module";
    // Allow-list.
    auto& ac = r.add("allow-list", tag + "imports on the kABI allow-list");
    if (!t.have_allow_list) {
      ac.status = CheckStatus::skip;
      ac.summary = "no kABI allow-list given";
    } else {
      nlohmann::json outside = nlohmann::json::array();
      for (auto& sym : undefined)
        if (!t.allow_list.count(sym)) {
          outside.push_back(sym);
          ac.evidence.push_back(sym + " is not on the kABI allow-list");
        }
      ac.data = {{"outside", outside}};
      ac.status = outside.empty() ? CheckStatus::pass : CheckStatus::fail;
      ac.summary = std::to_string(undefined.size() - outside.size()) + " of " + std::to_string(undefined.size()) + " imports on the allow-list";
    }
  }
  (void)provided_by_set;
  return r;
}

}  // namespace certify::swcompat
