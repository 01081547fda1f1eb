// os-snapshot collectors: one function per dimension, all reads through
// the Sysroot. Volatile counters (entropy, inode counts) are left out so two
// snapshots of one system compare equal.
#include "swcompat/snapshot.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <set>
#include <sstream>

#include "certify_config.h"
#include "core/files.hpp"
#include "core/text.hpp"
#include "probe/probe.hpp"
#include "swcompat/elf.hpp"
#include "swcompat/package.hpp"
#include "swcompat/report.hpp"
#include "swcompat/rpmdb.hpp"

namespace certify::swcompat {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Ctx {
  const probe::Sysroot& root;
  json& snap;
  std::string kernel_release;
  void warn(const std::string& dim, const std::string& msg) { snap["warnings"].push_back(dim + ": " + msg); }
  void source(const std::string& dim, const std::string& what) { snap["sources"][dim] = what; }
  json& dim(const std::string& name) { return snap["dimensions"][name]; }
};

std::vector<std::string> words_of(std::string_view line) {
  std::istringstream is{std::string(line)};
  std::vector<std::string> out;
  std::string w;
  while (is >> w) out.push_back(w);
  return out;
}

// ---- os ----
void collect_os(Ctx& c) {
  json os = json::object();
  auto rel = c.root.read("/etc/os-release", 65536);
  if (!rel) rel = c.root.read("/usr/lib/os-release", 65536);
  if (rel) os = probe::parse_os_release(*rel);
  else c.warn("os", "no /etc/os-release or /usr/lib/os-release");
  if (auto v = c.root.attr("/proc/sys/kernel/osrelease")) os["kernel_release"] = *v;
  if (auto v = c.root.attr("/proc/sys/kernel/arch")) os["arch"] = *v;
  c.snap["os"] = os;
  c.kernel_release = os.value("kernel_release", "");
}

// ---- packages (dpkg status database, rpm database) ----
void collect_packages(Ctx& c) {
  auto& d = c.dim("packages");
  d = json::object();
  auto status = c.root.read("/var/lib/dpkg/status", 256u << 20);
  if (status) {
    c.source("packages", "/var/lib/dpkg/status");
    for (auto& p : parse_control_paragraphs(*status)) {
      auto st = words_of(p["status"]);
      if (st.size() != 3 || (st[2] != "installed" && st[2] != "half-configured" && st[2] != "triggers-pending" &&
                             st[2] != "triggers-awaited"))
        continue;
      std::vector<std::string> errs;
      json provides = json::array(), requires_ = json::array();
      for (auto& g : parse_deb_relations(p["provides"], errs))
        for (auto& dep : g) provides.push_back(dep.text());
      for (const char* f : {"pre-depends", "depends"})
        for (auto& g : parse_deb_relations(p[f], errs)) {
          std::string alt;
          for (auto& dep : g) alt += (alt.empty() ? "" : " | ") + dep.text();
          requires_.push_back(alt);
        }
      std::string key = p["package"];
      // Multi-Arch: same packages are installed once per architecture.
      if (d.contains(key)) key += ":" + p["architecture"];
      d[key] = {{"version", p["version"]}, {"arch", p["architecture"]}, {"format", "deb"},
                {"provides", provides}, {"requires", requires_}};
    }
  }
  auto rpm_at = find_rpmdb(c.root);
  if (rpm_at) {
    auto db = read_rpmdb(c.root, *rpm_at);
    if (!db) {
      c.warn("packages", "rpm database " + db.message());
    } else {
      auto where = db->location.dir + " (" + db->location.backend + ", read with " + db->reader + ")";
      c.source("packages", status ? "/var/lib/dpkg/status and " + where : where);
      for (auto& w : db->warnings) c.warn("packages", db->location.dir + ": " + w);
      for (auto& p : db->packages) {
        json provides = json::array(), requires_ = json::array();
        for (auto& dep : p.provides) provides.push_back(rpm_relation_text(dep));
        for (auto& g : p.depends)
          for (auto& dep : g) requires_.push_back(rpm_relation_text(dep));
        std::string key = p.name;
        // Multilib: one name, several architectures (x86_64 and i686).
        if (d.contains(key)) key += ":" + p.architecture;
        d[key] = {{"version", p.version}, {"arch", p.architecture}, {"format", "rpm"},
                  {"provides", provides}, {"requires", requires_}};
      }
    }
  }
  if (!status && !rpm_at)
    c.warn("packages", "no package database (/var/lib/dpkg/status, /var/lib/rpm, /usr/lib/sysimage/rpm)");
}

// ---- kernel ABI ----
void collect_kabi(Ctx& c) {
  auto& d = c.dim("kabi");
  d = json::object();
  const auto& rel = c.kernel_release;
  std::vector<std::string> candidates;
  if (!rel.empty()) {
    candidates = {"/lib/modules/" + rel + "/build/Module.symvers", "/usr/src/linux-headers-" + rel + "/Module.symvers",
                  "/boot/symvers-" + rel + ".gz", "/lib/modules/" + rel + "/symvers.gz"};
  }
  for (const auto& path : candidates) {
    auto raw = c.root.read(path, 64u << 20);
    if (!raw) continue;
    auto text = decompress(*raw, 256u << 20);
    if (!text) {
      c.warn("kabi", path + ": " + text.message());
      continue;
    }
    std::vector<std::string> errs;
    auto syms = parse_module_symvers(*text, errs);
    for (auto& e : errs) c.warn("kabi", path + ": " + e);
    for (auto& [name, s] : syms) d[name] = {{"crc", s.crc}, {"module", s.module}, {"export", s.export_type}};
    c.source("kabi", path);
    return;
  }
  if (auto ks = c.root.read("/proc/kallsyms", 256u << 20)) {
    auto syms = parse_kallsyms_exports(*ks);
    for (auto& [name, s] : syms) d[name] = {{"module", s.module}};
    c.source("kabi", "/proc/kallsyms (exported names, no CRCs)");
    if (syms.empty()) c.warn("kabi", "/proc/kallsyms lists no __ksymtab_ entries (CONFIG_KALLSYMS_ALL off?) and no Module.symvers found");
    return;
  }
  c.warn("kabi", "no Module.symvers and no /proc/kallsyms");
}

// ---- kernel config ----
void collect_kconfig(Ctx& c) {
  auto& d = c.dim("kconfig");
  d = json::object();
  std::vector<std::string> candidates;
  if (!c.kernel_release.empty())
    candidates = {"/boot/config-" + c.kernel_release, "/lib/modules/" + c.kernel_release + "/config"};
  candidates.push_back("/proc/config.gz");
  for (const auto& path : candidates) {
    auto raw = c.root.read(path, 16u << 20);
    if (!raw) continue;
    auto text = decompress(*raw, 64u << 20);
    if (!text) {
      c.warn("kconfig", path + ": " + text.message());
      continue;
    }
    for (auto& line : split_lines(*text)) {
      if (line.rfind("CONFIG_", 0) == 0) {
        auto eq = line.find('=');
        if (eq != std::string::npos) d[line.substr(0, eq)] = line.substr(eq + 1);
      } else if (line.rfind("# CONFIG_", 0) == 0 && line.size() > 13 &&
                 line.compare(line.size() - 11, 11, " is not set") == 0) {
        d[line.substr(2, line.size() - 13)] = "n";
      }
    }
    c.source("kconfig", path);
    return;
  }
  c.warn("kconfig", "no kernel config (/boot/config-<release>, /proc/config.gz)");
}

// ---- sysctl ----
bool volatile_sysctl(const std::string& key) {
  static const char* k_prefixes[] = {"kernel.random.", "fs.dentry-state", "fs.inode-nr", "fs.inode-state",
                                     "fs.file-nr", "kernel.ns_last_pid", "kernel.pty.nr", "fs.quota.",
                                     "net.netfilter.nf_conntrack_count", "kernel.sched_domain.", "fs.aio-nr",
                                     "kernel.tainted", "vm.stat_refresh", "kernel.hostname", "kernel.domainname",
                                     "fs.binfmt_misc."};
  for (auto* p : k_prefixes)
    if (key.rfind(p, 0) == 0) return true;
  return false;
}

void collect_sysctl(Ctx& c) {
  auto& d = c.dim("sysctl");
  d = json::object();
  auto base = c.root.host_path("/proc/sys");
  std::error_code ec;
  if (!fs::is_directory(base, ec)) {
    c.warn("sysctl", "no /proc/sys");
    return;
  }
  std::size_t count = 0;
  for (auto it = fs::recursive_directory_iterator(base, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0 || !(st.st_mode & S_IRUSR)) continue;
    auto rel = it->path().lexically_relative(base).string();
    std::string key = rel;
    std::replace(key.begin(), key.end(), '/', '.');
    if (volatile_sysctl(key)) continue;
    auto v = read_file(it->path(), 1 << 16);
    if (!v) continue;
    std::string val;
    for (char ch : *v) {
      char x = (ch == '\t' || ch == '\n') ? ' ' : ch;
      if (x == ' ' && (val.empty() || val.back() == ' ')) continue;
      val += x;
    }
    while (!val.empty() && val.back() == ' ') val.pop_back();
    d[key] = val;
    if (++count > 50000) {
      c.warn("sysctl", "more than 50000 entries; stopped");
      break;
    }
  }
  c.source("sysctl", "/proc/sys");
}

// ---- boot parameters ----
void collect_boot_params(Ctx& c) {
  auto& d = c.dim("boot_params");
  d = json::object();
  auto cmd = c.root.attr("/proc/cmdline");
  if (!cmd) {
    c.warn("boot_params", "no /proc/cmdline");
    return;
  }
  for (auto& [k, v] : split_cmdline(*cmd)) d[k] = v;
  c.source("boot_params", "/proc/cmdline");
}

// ---- modules ----
std::string module_name(std::string path) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos) path = path.substr(slash + 1);
  auto ko = path.find(".ko");
  if (ko != std::string::npos) path = path.substr(0, ko);
  std::replace(path.begin(), path.end(), '-', '_');
  return path;
}

void collect_modules(Ctx& c) {
  auto& d = c.dim("modules");
  d = json::object();
  std::string srcs;
  if (!c.kernel_release.empty()) {
    auto dir = "/lib/modules/" + c.kernel_release;
    if (auto dep = c.root.read(dir + "/modules.dep", 64u << 20)) {
      for (auto& line : split_lines(*dep)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        d[module_name(std::string(line.substr(0, colon)))] = {{"available", true}, {"builtin", false}, {"loaded", false}};
      }
      srcs += dir + "/modules.dep ";
    }
    if (auto b = c.root.read(dir + "/modules.builtin", 64u << 20)) {
      for (auto& line : split_lines(*b))
        if (!line.empty()) d[module_name(std::string(line))] = {{"available", true}, {"builtin", true}, {"loaded", true}};
      srcs += dir + "/modules.builtin ";
    }
  }
  if (auto m = c.root.read("/proc/modules", 16u << 20)) {
    for (auto& line : split_lines(*m)) {
      auto w = words_of(line);
      if (w.empty()) continue;
      auto& e = d[w[0]];
      if (!e.is_object()) e = {{"available", false}, {"builtin", false}};
      e["loaded"] = true;
    }
    srcs += "/proc/modules";
  }
  if (srcs.empty()) c.warn("modules", "no modules.dep for the running kernel and no /proc/modules");
  else c.source("modules", srcs);
}

// ---- system calls ----
void collect_syscalls(Ctx& c) {
  auto& d = c.dim("syscalls");
  d = json::object();
  auto ks = c.root.read("/proc/kallsyms", 256u << 20);
  if (!ks) {
    c.warn("syscalls", "no /proc/kallsyms");
    return;
  }
  static const char* k_prefixes[] = {"__x64_sys_", "__arm64_sys_", "__riscv_sys_", "__s390x_sys_", "__s390_sys_", "sys_"};
  for (auto& line : split_lines(*ks)) {
    auto w = words_of(line);
    if (w.size() < 3 || (w[1] != "T" && w[1] != "t") || w.size() > 3) continue;  // modules' symbols have [mod]
    for (auto* p : k_prefixes) {
      if (w[2].rfind(p, 0) != 0) continue;
      auto name = w[2].substr(std::char_traits<char>::length(p));
      if (name.empty() || name == "ni_syscall" || name.find('.') != std::string::npos) break;
      d[name] = w[2];
      break;
    }
  }
  c.source("syscalls", "/proc/kallsyms (system call entry points)");
  if (d.empty()) c.warn("syscalls", "no system call entry points in /proc/kallsyms");
}

// ---- services ----
void collect_services(Ctx& c) {
  auto& d = c.dim("services");
  d = json::object();
  static const char* k_dirs[] = {"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"};
  std::set<std::string> enabled;
  for (auto& sub : c.root.list("/etc/systemd/system")) {
    if (sub.size() > 6 && (sub.ends_with(".wants") || sub.ends_with(".requires")))
      for (auto& u : c.root.list("/etc/systemd/system/" + sub)) enabled.insert(u);
  }
  bool any = false;
  for (auto* dir : k_dirs) {
    for (auto& unit : c.root.list(dir)) {
      if (!(unit.ends_with(".service") || unit.ends_with(".socket") || unit.ends_with(".timer"))) continue;
      if (d.contains(unit)) continue;
      any = true;
      auto path = std::string(dir) + "/" + unit;
      std::string state;
      auto target = c.root.link_target(path);
      if (target && *target == "/dev/null") state = "masked";
      else if (enabled.count(unit)) state = "enabled";
      else if (auto text = c.root.read(path, 1 << 20); text && text->find("[Install]") != std::string::npos)
        state = "disabled";
      else state = "static";
      d[unit] = {{"manager", "systemd"}, {"state", state}};
    }
  }
  for (auto& script : c.root.list("/etc/init.d")) {
    if (script == "README" || script == "rcS" || script == "rc") continue;
    any = true;
    std::string key = script + " (sysv)";
    bool on = false;
    for (const char* rc : {"/etc/rc2.d", "/etc/rc3.d", "/etc/rc5.d", "/etc/rcS.d"})
      for (auto& l : c.root.list(rc))
        if (l.size() > 3 && l[0] == 'S' && l.substr(3) == script) on = true;
    d[key] = {{"manager", "sysv"}, {"state", on ? "enabled" : "disabled"}};
  }
  if (!any) c.warn("services", "no systemd unit files and no /etc/init.d scripts");
  c.source("services", "systemd unit directories, /etc/init.d");
}

// ---- commands on PATH ----
void collect_commands(Ctx& c) {
  auto& d = c.dim("commands");
  d = json::object();
  static const char* k_path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};
  for (auto* dir : k_path) {
    for (auto& name : c.root.list(dir)) {
      if (d.contains(name)) continue;
      std::error_code ec;
      auto host = c.root.host_path(std::string(dir) + "/" + name);
      auto st = fs::status(host, ec);
      if (ec || !fs::is_regular_file(st)) continue;
      if ((st.permissions() & (fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec)) == fs::perms::none) continue;
      d[name] = std::string(dir) + "/" + name;
    }
  }
  if (d.empty()) c.warn("commands", "no executables in the standard PATH directories");
  c.source("commands", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

// ---- environment ----
void collect_environment(Ctx& c) {
  auto& d = c.dim("environment");
  d = json::object();
  std::string srcs;
  auto add_lines = [&](const std::string& path) {
    auto t = c.root.read(path, 1 << 20);
    if (!t) return;
    srcs += path + " ";
    for (auto& line : split_lines(*t)) {
      if (line.empty() || line[0] == '#') continue;
      if (line.rfind("export ", 0) == 0) line = line.substr(7);
      auto eq = line.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      auto v = line.substr(eq + 1);
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
      if (!d.contains(line.substr(0, eq))) d[line.substr(0, eq)] = v;
    }
  };
  add_lines("/etc/environment");
  add_lines("/etc/default/locale");
  if (auto e = c.root.read("/proc/1/environ", 1 << 20)) {
    srcs += "/proc/1/environ";
    std::size_t pos = 0;
    while (pos < e->size()) {
      auto end = e->find('\0', pos);
      if (end == std::string::npos) end = e->size();
      auto kv = e->substr(pos, end - pos);
      pos = end + 1;
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      if (!d.contains(kv.substr(0, eq))) d[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  if (srcs.empty()) c.warn("environment", "no /etc/environment, /etc/default/locale or /proc/1/environ");
  else c.source("environment", srcs);
}

// ---- listening ports ----
std::string decode_addr(const std::string& hex, bool v6) {
  unsigned char b[16] = {};
  std::size_t n = v6 ? 16 : 4;
  if (hex.size() != n * 2) return "";
  for (std::size_t i = 0; i < n; ++i) {
    unsigned v = 0;
    if (std::sscanf(hex.c_str() + i * 2, "%2x", &v) != 1) return "";
    b[i] = static_cast<unsigned char>(v);
  }
  // The kernel prints each 32-bit word in host order (little endian here).
  for (std::size_t w = 0; w < n; w += 4) {
    std::swap(b[w], b[w + 3]);
    std::swap(b[w + 1], b[w + 2]);
  }
  char out[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, b, out, sizeof out)) return "";
  return out;
}

void collect_ports(Ctx& c) {
  auto& d = c.dim("ports");
  d = json::object();
  bool any = false;
  for (const char* proto : {"tcp", "tcp6", "udp", "udp6"}) {
    auto t = c.root.read(std::string("/proc/net/") + proto, 16u << 20);
    if (!t) continue;
    any = true;
    bool tcp = proto[0] == 't', v6 = std::string(proto).ends_with("6");
    auto lines = split_lines(*t);
    for (std::size_t i = 1; i < lines.size(); ++i) {
      auto w = words_of(lines[i]);
      if (w.size() < 4) continue;
      auto colon = w[1].find(':');
      if (colon == std::string::npos) continue;
      bool listening = tcp ? w[3] == "0A" : w[3] == "07";
      if (!listening) continue;
      auto addr = decode_addr(w[1].substr(0, colon), v6);
      unsigned port = 0;
      if (addr.empty() || std::sscanf(w[1].c_str() + colon + 1, "%x", &port) != 1) continue;
      std::string p = tcp ? "tcp" : "udp";
      std::string key = p + "/" + (v6 ? "[" + addr + "]" : addr) + ":" + std::to_string(port);
      d[key] = {{"proto", p}, {"address", addr}, {"port", port}};
    }
  }
  if (!any) c.warn("ports", "no /proc/net/{tcp,udp}[6]");
  else c.source("ports", "/proc/net/tcp, tcp6, udp, udp6");
}

// ---- shared libraries ----
std::vector<std::string> library_dirs(Ctx& c) {
  std::vector<std::string> dirs;
  std::function<void(const std::string&, int)> read_conf = [&](const std::string& path, int depth) {
    auto t = c.root.read(path, 1 << 20);
    if (!t || depth > 4) return;
    for (auto& line : split_lines(*t)) {
      auto w = words_of(line.substr(0, line.find('#')));
      if (w.empty()) continue;
      if (w[0] == "include" && w.size() >= 2) {
        // Only the "DIR/*.conf" glob form that distributions use.
        auto pat = w[1];
        auto slash = pat.rfind('/');
        if (slash == std::string::npos) continue;
        auto dir = pat.substr(0, slash), glob = pat.substr(slash + 1);
        auto suffix = glob.rfind("*", 0) == 0 ? glob.substr(1) : glob;
        for (auto& f : c.root.list(dir))
          if (glob == f || (glob[0] == '*' && f.ends_with(suffix))) read_conf(dir + "/" + f, depth + 1);
      } else if (w[0][0] == '/') {
        dirs.push_back(w[0]);
      }
    }
  };
  read_conf("/etc/ld.so.conf", 0);
  // ld.so's built-in directories: the plain ones and, on Debian-style
  // systems without an ld.so.conf, the multiarch ones.
  for (const char* d : {"/lib", "/usr/lib", "/lib64", "/usr/lib64"}) dirs.emplace_back(d);
  for (const char* t : {"x86_64-linux-gnu", "aarch64-linux-gnu", "riscv64-linux-gnu", "loongarch64-linux-gnu",
                        "powerpc64le-linux-gnu", "s390x-linux-gnu", "i386-linux-gnu"})
    for (const char* base : {"/lib/", "/usr/lib/"})
      if (std::find(dirs.begin(), dirs.end(), base + std::string(t)) == dirs.end() && c.root.is_dir(base + std::string(t)))
        dirs.push_back(base + std::string(t));
  return dirs;
}

void collect_libraries(Ctx& c) {
  auto& d = c.dim("libraries");
  d = json::object();
  std::set<std::string> seen_real;
  std::size_t bad = 0;
  for (auto& dir : library_dirs(c)) {
    for (auto& name : c.root.list(dir)) {
      if (name.find(".so") == std::string::npos) continue;
      auto path = dir + "/" + name;
      std::error_code ec;
      auto host = c.root.host_path(path);
      if (!fs::is_regular_file(host, ec)) continue;
      auto real = fs::canonical(host, ec).string();
      if (ec || !seen_real.insert(real).second) continue;
      auto info = parse_elf_file(real);
      if (!info) {
        // Linker scripts (libc.so) and other non-ELF files are normal here.
        ++bad;
        continue;
      }
      if (info->type != "dyn" || info->soname.empty()) continue;
      auto key = info->arch + "/" + info->soname;
      if (d.contains(key)) continue;
      auto vers = info->version_defs;
      std::sort(vers.begin(), vers.end());
      vers.erase(std::unique(vers.begin(), vers.end()), vers.end());
      d[key] = {{"soname", info->soname}, {"arch", info->arch}, {"path", path}, {"versions", vers}};
    }
  }
  if (d.empty()) c.warn("libraries", "no shared libraries found in the ld.so directories");
  c.source("libraries", "ld.so.conf directories and /lib, /usr/lib, /lib64, /usr/lib64");
}

using Collector = void (*)(Ctx&);
struct Dimension {
  const char* name;
  Collector fn;
};
// Report order; "os" is always collected first (others need the release).
constexpr Dimension k_dimensions[] = {
    {"packages", collect_packages}, {"kabi", collect_kabi},         {"kconfig", collect_kconfig},
    {"sysctl", collect_sysctl},     {"boot_params", collect_boot_params}, {"modules", collect_modules},
    {"syscalls", collect_syscalls}, {"services", collect_services}, {"commands", collect_commands},
    {"environment", collect_environment}, {"ports", collect_ports}, {"libraries", collect_libraries},
};

}  // namespace

const std::vector<std::string>& snapshot_dimensions() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (auto& d : k_dimensions) v.emplace_back(d.name);
    return v;
  }();
  return names;
}

json take_snapshot(const probe::Sysroot& root, const SnapshotOptions& options) {
  json snap = {{"format", k_snapshot_format},
               {"format_version", k_snapshot_format_version},
               {"tool", std::string("certify ") + CERTIFY_VERSION},
               {"created", options.created.empty() ? utc_timestamp() : options.created},
               {"sysroot", root.root().string()},
               {"dimensions", json::object()},
               {"sources", json::object()},
               {"warnings", json::array()}};
  Ctx c{root, snap, {}};
  collect_os(c);
  for (auto& d : k_dimensions) {
    if (!options.dimensions.empty() &&
        std::find(options.dimensions.begin(), options.dimensions.end(), d.name) == options.dimensions.end())
      continue;
    d.fn(c);
  }
  // Without /proc/sys/kernel/arch (older kernels, some sysroots), the
  // architecture of the C library stands for the system's.
  if (!snap["os"].contains("arch") && snap["dimensions"].contains("libraries")) {
    for (auto& [k, v] : snap["dimensions"]["libraries"].items())
      if (v.value("soname", "") == "libc.so.6" || v.value("soname", "").rfind("libc.musl", 0) == 0) {
        snap["os"]["arch"] = v["arch"];
        break;
      }
  }
  return snap;
}

Status validate_snapshot(const json& s) {
  if (!s.is_object() || s.value("format", "") != k_snapshot_format)
    return make_error("not a certify OS snapshot (\"format\" is not \"" + std::string(k_snapshot_format) + "\")");
  if (!s.contains("format_version") || !s["format_version"].is_number_integer())
    return make_error("snapshot has no integer format_version");
  int v = s["format_version"].get<int>();
  if (v > k_snapshot_format_version)
    return make_error("snapshot format version " + std::to_string(v) + " is newer than this certify understands (" +
                      std::to_string(k_snapshot_format_version) + "); upgrade certify to read it");
  if (v < 1) return make_error("snapshot format version " + std::to_string(v) + " is invalid");
  if (!s.contains("dimensions") || !s["dimensions"].is_object()) return make_error("snapshot has no \"dimensions\" object");
  for (auto& [k, v2] : s["dimensions"].items())
    if (!v2.is_object()) return make_error("snapshot dimension \"" + k + "\" is not an object");
  if (s.contains("os") && !s["os"].is_object()) return make_error("snapshot \"os\" is not an object");
  return ok_status();
}

Result<json> load_snapshot(const fs::path& path) {
  auto text = read_file(path, 1u << 30);
  if (!text) return make_error(text.message());
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return make_error(path.string() + ": not valid JSON");
  if (auto st = validate_snapshot(j); !st) return make_error(path.string() + ": " + st.message());
  return j;
}

std::map<std::string, KernelSymbol> parse_module_symvers(std::string_view text, std::vector<std::string>& errors) {
  std::map<std::string, KernelSymbol> out;
  int no = 0;
  for (auto& line : split_lines(text)) {
    ++no;
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::size_t pos = 0;
    while (pos <= line.size()) {
      auto tab = line.find('\t', pos);
      if (tab == std::string::npos) tab = line.size();
      cols.emplace_back(line.substr(pos, tab - pos));
      pos = tab + 1;
    }
    if (cols.size() < 4 || cols[0].rfind("0x", 0) != 0 || cols[1].empty()) {
      if (errors.size() < 20) errors.push_back("line " + std::to_string(no) + ": not \"CRC<TAB>symbol<TAB>module<TAB>export\"");
      continue;
    }
    out[cols[1]] = {cols[0], cols[2], cols[3]};
  }
  return out;
}

std::map<std::string, KernelSymbol> parse_kallsyms_exports(std::string_view text) {
  std::map<std::string, KernelSymbol> out;
  for (auto& line : split_lines(text)) {
    auto w = words_of(line);
    if (w.size() < 3 || w[2].rfind("__ksymtab_", 0) != 0) continue;
    auto name = w[2].substr(10);
    if (name.empty()) continue;
    std::string mod = "vmlinux";
    if (w.size() >= 4 && w[3].size() > 2 && w[3].front() == '[') mod = w[3].substr(1, w[3].size() - 2);
    out[name] = {"", mod, ""};
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> split_cmdline(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    if (i >= s.size()) break;
    std::string word;
    bool quoted = false;
    while (i < s.size() && (quoted || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n'))) {
      if (s[i] == '"') quoted = !quoted;
      else word += s[i];
      ++i;
    }
    auto eq = word.find('=');
    if (eq == std::string::npos) out.emplace_back(word, "");
    else out.emplace_back(word.substr(0, eq), word.substr(eq + 1));
  }
  return out;
}

std::string canonical_arch(std::string_view a) {
  static const std::pair<const char*, const char*> k_map[] = {
      {"amd64", "x86_64"},   {"x86_64", "x86_64"},   {"arm64", "aarch64"},     {"aarch64", "aarch64"},
      {"i386", "i686"},      {"i686", "i686"},       {"i586", "i686"},         {"riscv64", "riscv64"},
      {"ppc64el", "ppc64le"}, {"ppc64le", "ppc64le"}, {"s390x", "s390x"},       {"loong64", "loongarch64"},
      {"loongarch64", "loongarch64"}, {"sw_64", "sw_64"}, {"sw64", "sw_64"},   {"armhf", "arm"},
      {"armel", "arm"},      {"armv7hl", "arm"},     {"mips64el", "mips64el"}, {"mipsel", "mipsel"}};
  if (a == "all" || a == "noarch" || a == "any" || a.empty()) return "";
  for (auto& [k, v] : k_map)
    if (a == k) return v;
  return std::string(a);
}

}  // namespace certify::swcompat
