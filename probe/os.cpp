// os: os-release (with ID_LIKE and PLATFORM_ID), kernel release, version and
// command line, and the machine architecture.
#include <string>

#include "probe/probe.hpp"

namespace certify::probe {

namespace {

// os-release is shell-like KEY=value with optional quotes and backslash
// escapes (os-release(5)); unknown or malformed lines are skipped.
std::string unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    char q = v.front();
    v = v.substr(1, v.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (q == '"' && v[i] == '\\' && i + 1 < v.size()) {
        out += v[++i];
      } else {
        out += v[i];
      }
    }
    return out;
  }
  return std::string(v);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

nlohmann::json parse_os_release(std::string_view text) {
  nlohmann::json j = nlohmann::json::object();
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    auto key = line.substr(0, eq);
    bool valid = true;
    for (char c : key)
      if (!(std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
        valid = false;
    if (!valid) continue;
    j[lower(std::string(key))] = unquote(line.substr(eq + 1));
  }
  return j;
}

void probe_os(ProbeContext& ctx) {
  auto& os = ctx.inv.os;
  auto rel = ctx.root.read("/etc/os-release", 65536);
  if (!rel) rel = ctx.root.read("/usr/lib/os-release", 65536);
  if (rel) {
    os = parse_os_release(*rel);
    if (!os.contains("id")) ctx.warn("os", "os-release has no ID field");
  } else {
    ctx.warn("os", "no /etc/os-release or /usr/lib/os-release");
  }
  if (auto v = ctx.root.attr("/proc/sys/kernel/osrelease")) os["kernel_release"] = *v;
  else ctx.warn("os", "cannot read /proc/sys/kernel/osrelease");
  if (auto v = ctx.root.attr("/proc/sys/kernel/version")) os["kernel_version"] = *v;
  if (auto v = ctx.root.attr("/proc/cmdline")) os["cmdline"] = *v;
  if (auto v = ctx.root.attr("/proc/sys/kernel/arch")) os["arch"] = *v;
  if (auto v = ctx.root.attr("/proc/sys/kernel/hostname")) os["hostname"] = *v;
  if (auto v = ctx.root.attr("/proc/sys/kernel/tainted")) os["kernel_tainted"] = *v;
}

}  // namespace certify::probe
