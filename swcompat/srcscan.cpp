// Source scan. Patterns are one table; macro names are the predefined
// macros documented by GCC and Clang for each architecture.
#include "swcompat/srcscan.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <memory>
#include <set>

#include "core/files.hpp"
#include "core/text.hpp"

namespace certify::swcompat {

namespace fs = std::filesystem;

namespace {

struct Pattern {
  const char* needle;
  const char* kind;
};
// Sources: GCC "x86 Built-in Functions" and Intel intrinsics guide header
// names; GCC/Clang predefined architecture macros.
constexpr Pattern k_patterns[] = {
    {"__asm__", "inline-asm"}, {"asm volatile", "inline-asm"}, {"asm(", "inline-asm"}, {"__asm ", "inline-asm"},
    {"<immintrin.h>", "x86-intrinsics-header"}, {"<xmmintrin.h>", "x86-intrinsics-header"},
    {"<emmintrin.h>", "x86-intrinsics-header"}, {"<pmmintrin.h>", "x86-intrinsics-header"},
    {"<tmmintrin.h>", "x86-intrinsics-header"}, {"<smmintrin.h>", "x86-intrinsics-header"},
    {"<nmmintrin.h>", "x86-intrinsics-header"}, {"<wmmintrin.h>", "x86-intrinsics-header"},
    {"<avxintrin.h>", "x86-intrinsics-header"}, {"<x86intrin.h>", "x86-intrinsics-header"},
    {"<cpuid.h>", "x86-intrinsics-header"}, {"<ia32intrin.h>", "x86-intrinsics-header"},
    {"_mm_", "x86-intrinsic"}, {"_mm256_", "x86-intrinsic"}, {"_mm512_", "x86-intrinsic"},
    {"__builtin_ia32_", "x86-intrinsic"}, {"__rdtsc", "x86-intrinsic"},
    {"__x86_64__", "x86-guard"}, {"__i386__", "x86-guard"}, {"_M_X64", "x86-guard"}, {"_M_IX86", "x86-guard"},
    {"__SSE2__", "x86-guard"}, {"__AVX2__", "x86-guard"}, {"__AVX__", "x86-guard"}, {"__AVX512F__", "x86-guard"},
};
constexpr Pattern k_build_flags[] = {{"-msse", "x86-build-flag"}, {"-mavx", "x86-build-flag"},
                                     {"-march=x86", "x86-build-flag"}, {"-march=haswell", "x86-build-flag"},
                                     {"-march=skylake", "x86-build-flag"}, {"-mfpmath=sse", "x86-build-flag"}};
// Port targets and the macros that show a branch for them.
constexpr std::pair<const char*, const char*> k_ports[] = {
    {"aarch64", "__aarch64__"}, {"loongarch64", "__loongarch"}, {"riscv64", "__riscv"}};

bool ends_with(const std::string& s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

bool c_like(const std::string& n) {
  for (auto* e : {".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx", ".inl", ".ipp"})
    if (ends_with(n, e)) return true;
  return false;
}
bool asm_file(const std::string& n) { return ends_with(n, ".S") || ends_with(n, ".s") || ends_with(n, ".asm"); }
bool build_file(const std::string& n) {
  auto base = n.substr(n.rfind('/') == std::string::npos ? 0 : n.rfind('/') + 1);
  return base == "Makefile" || base == "CMakeLists.txt" || base == "meson.build" || base == "configure.ac" ||
         ends_with(base, ".mk") || ends_with(base, ".am") || ends_with(base, ".cmake");
}

struct Blockers {
  std::map<std::string, std::set<std::string>> by_port;
};

bool is_archive_name(const std::string& n) {
  for (auto* e : {".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst", ".zip"})
    if (ends_with(n, e)) return true;
  return false;
}

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

Status scan_archive_data(const std::string& label, std::string_view data, SourceScan& out, int depth) {
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    return make_error(label + ": not a readable archive");
  archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return make_error(label + ": " + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "corrupt"));
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    bool nested = depth == 0 && is_archive_name(name);
    if (!nested && !c_like(name) && !asm_file(name) && !build_file(name)) continue;
    if (archive_entry_size(e) > (64 << 20)) continue;
    std::string body;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) body.append(buf, static_cast<std::size_t>(n));
    if (n < 0) return make_error(label + ": " + name + ": read error");
    if (nested) {
      if (auto st = scan_archive_data(name, body, out, depth + 1); !st) return st;
    } else {
      scan_source_text(name, body, out);
    }
  }
  return ok_status();
}

}  // namespace

void scan_source_text(const std::string& name, std::string_view text, SourceScan& out) {
  ++out.files_scanned;
  bool x86_specific = false, has_else = false;
  std::set<std::string> alternatives;
  if (asm_file(name)) {
    out.findings.push_back({name, 0, "asm-file", "assembly source file"});
    x86_specific = true;  // assembly has no generic branch; ports need their own file
  }
  bool cfile = c_like(name), bfile = build_file(name);
  int no = 0;
  for (auto line : split_lines(text)) {
    ++no;
    auto first = line.find_first_not_of(" \t");
    std::string trimmed(first == std::string_view::npos ? "" : line.substr(first));
    if (trimmed.size() > 160) trimmed = trimmed.substr(0, 160);
    if (cfile) {
      if (trimmed.rfind("#else", 0) == 0 || trimmed.rfind("# else", 0) == 0) has_else = true;
      for (auto& [port, macro] : k_ports)
        if (line.find(macro) != std::string_view::npos) alternatives.insert(port);
      for (auto& p : k_patterns) {
        if (line.find(p.needle) == std::string_view::npos) continue;
        out.findings.push_back({name, no, p.kind, trimmed});
        x86_specific = true;
        break;  // one finding per line
      }
    } else if (bfile) {
      for (auto& p : k_build_flags)
        if (line.find(p.needle) != std::string_view::npos) {
          out.findings.push_back({name, no, p.kind, trimmed});
          x86_specific = true;
          break;
        }
    }
  }
  if (!x86_specific) return;
  for (auto& [port, macro] : k_ports) {
    if (alternatives.count(port) || (cfile && has_else)) continue;
    auto it = std::find_if(out.blocking.begin(), out.blocking.end(), [&](auto& b) { return b.first == port; });
    if (it == out.blocking.end()) {
      out.blocking.emplace_back(port, std::vector<std::string>{});
      it = out.blocking.end() - 1;
    }
    it->second.push_back(name);
  }
}

Result<SourceScan> scan_sources(const fs::path& path) {
  SourceScan out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      auto rel = it->path().lexically_relative(path).string();
      if (!c_like(rel) && !asm_file(rel) && !build_file(rel)) continue;
      auto text = read_file(it->path(), 64 << 20);
      if (!text) continue;
      scan_source_text(rel, *text, out);
    }
    return out;
  }
  auto data = read_file(path, 2ull << 30);
  if (!data) return make_error(data.message());
  if (auto st = scan_archive_data(path.string(), *data, out, 0); !st) return make_error(st.message());
  return out;
}

void add_source_scan_check(const fs::path& path, Report& report) {
  auto& c = report.add("source-scan", "Source scan for architecture-specific code");
  auto scan = scan_sources(path);
  if (!scan) {
    c.status = CheckStatus::fail;
    c.summary = scan.message();
    return;
  }
  nlohmann::json findings = nlohmann::json::array(), blocking = nlohmann::json::object();
  for (auto& f : scan->findings) findings.push_back({{"file", f.file}, {"line", f.line}, {"kind", f.kind}, {"text", f.text}});
  for (auto& [port, files] : scan->blocking) blocking[port] = files;
  c.data = {{"files_scanned", scan->files_scanned}, {"findings", findings}, {"blocking", blocking}};
  for (std::size_t i = 0; i < scan->findings.size() && i < 100; ++i) {
    auto& f = scan->findings[i];
    c.evidence.push_back(f.file + ":" + std::to_string(f.line) + ": " + f.kind + ": " + f.text);
  }
  for (auto& [port, files] : scan->blocking)
    c.evidence.push_back("blocks " + port + ": " + std::to_string(files.size()) + " file(s) without a " + port + " branch or generic fallback");
  if (!scan->blocking.empty()) {
    c.status = CheckStatus::warn;
    std::string ports;
    for (auto& [p, f] : scan->blocking) ports += (ports.empty() ? "" : ", ") + p;
    c.summary = std::to_string(scan->findings.size()) + " architecture-specific finding(s); porting blocked for " + ports;
  } else {
    c.summary = std::to_string(scan->files_scanned) + " files scanned, " + std::to_string(scan->findings.size()) +
                " finding(s), all with portable alternatives";
  }
}

}  // namespace certify::swcompat
