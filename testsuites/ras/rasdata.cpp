// RAS data readers: meminfo, kernel config, EINJ types, AER counters, EDAC
// tree, SMBIOS type 17, mce trace lines and kmsg records.
#include "testsuites/ras/rasdata.hpp"

#include <sys/utsname.h>
#include <zlib.h>

#include <cctype>
#include <charconv>

namespace certify::suites::ras {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Splits on '\n'; the last line may lack its newline.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

template <class T>
std::optional<T> to_num(std::string_view s, int base = 10) {
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty()) return std::nullopt;
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// gunzip of /proc/config.gz; nullopt on a corrupt stream. Bounded output.
std::optional<std::string> gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK && out.size() < (std::size_t{64} << 20)) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

std::string attr_or(const probe::Sysroot& root, const std::string& path) {
  return root.attr(path).value_or("");
}

std::int64_t int_attr(const probe::Sysroot& root, const std::string& path, std::vector<std::string>& warn) {
  auto s = root.attr(path);
  if (!s) {
    warn.push_back(path + ": missing");
    return 0;
  }
  auto v = to_num<std::int64_t>(trim(*s));
  if (!v) {
    warn.push_back(path + ": not a number: '" + s->substr(0, 40) + "'");
    return 0;
  }
  return *v;
}

}  // namespace

std::optional<std::int64_t> meminfo_kb(std::string_view meminfo, std::string_view key) {
  for (auto line : lines_of(meminfo)) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos || line.substr(0, colon) != key) continue;
    auto rest = trim(line.substr(colon + 1));
    auto sp = rest.find(' ');
    auto num = rest.substr(0, sp);
    if (sp != std::string_view::npos && trim(rest.substr(sp)) != "kB") return std::nullopt;
    return to_num<std::int64_t>(num);
  }
  return std::nullopt;
}

std::optional<std::string> kconfig_value(std::string_view config, std::string_view option) {
  for (auto line : lines_of(config)) {
    line = trim(line);
    if (line.size() > option.size() && line.substr(0, option.size()) == option && line[option.size()] == '=')
      return std::string(line.substr(option.size() + 1));
    if (line.rfind("# ", 0) == 0) {
      auto rest = line.substr(2);
      if (rest.size() > option.size() && rest.substr(0, option.size()) == option &&
          rest.substr(option.size()) == " is not set")
        return std::string("n");
    }
  }
  return std::nullopt;
}

KconfigLookup kernel_config(const probe::Sysroot& root, std::string_view option) {
  KconfigLookup r;
  if (auto gz = root.read("/proc/config.gz", 16 << 20); gz && !gz->empty()) {
    if (auto text = gunzip(*gz)) {
      r.found_config = true;
      r.source = "/proc/config.gz";
      r.value = kconfig_value(*text, option);
      return r;
    }
  }
  // The release of the kernel the sysroot describes.
  std::string release = attr_or(root, "/proc/sys/kernel/osrelease");
  if (release.empty() && root.is_live()) {
    struct utsname u {};
    if (::uname(&u) == 0) release = u.release;
  }
  std::string boot = "/boot/config-" + release;
  if (!release.empty())
    if (auto text = root.read(boot, 16 << 20); text && !text->empty()) {
      r.found_config = true;
      r.source = boot;
      r.value = kconfig_value(*text, option);
      return r;
    }
  r.source = "/proc/config.gz, " + (release.empty() ? std::string("/boot/config-*") : boot);
  return r;
}

Result<std::vector<EinjType>> parse_einj_types(std::string_view text) {
  std::vector<EinjType> out;
  int n = 0;
  for (auto raw : lines_of(text)) {
    ++n;
    auto line = trim(raw);
    if (line.empty()) continue;
    auto sep = line.find_first_of(" \t");
    auto num = line.substr(0, sep);
    if (num.size() < 3 || num[0] != '0' || (num[1] != 'x' && num[1] != 'X'))
      return make_error("line " + std::to_string(n) + ": expected a hex error type, got '" +
                        std::string(num.substr(0, 40)) + "'");
    auto v = to_num<std::uint32_t>(num, 16);
    if (!v) return make_error("line " + std::to_string(n) + ": bad hex number '" + std::string(num.substr(0, 40)) + "'");
    std::string name = sep == std::string_view::npos ? "" : std::string(trim(line.substr(sep)));
    if (name.empty()) return make_error("line " + std::to_string(n) + ": error type without a name");
    out.push_back({*v, std::move(name)});
  }
  return out;
}

Result<AerCounters> parse_aer_counters(std::string_view text) {
  AerCounters out;
  int n = 0;
  for (auto raw : lines_of(text)) {
    ++n;
    auto line = trim(raw);
    if (line.empty()) continue;
    auto sp = line.find_last_of(" \t");
    if (sp == std::string_view::npos) return make_error("line " + std::to_string(n) + ": expected 'NAME COUNT'");
    auto name = trim(line.substr(0, sp));
    auto v = to_num<std::uint64_t>(line.substr(sp + 1));
    if (name.empty() || !v)
      return make_error("line " + std::to_string(n) + ": expected 'NAME COUNT', got '" +
                        std::string(line.substr(0, 60)) + "'");
    if (!out.emplace(std::string(name), *v).second)
      return make_error("line " + std::to_string(n) + ": counter " + std::string(name) + " repeated");
  }
  if (out.empty()) return make_error("no counters");
  return out;
}

std::vector<AerDevice> read_aer_devices(const probe::Sysroot& root) {
  std::vector<AerDevice> out;
  for (const auto& bdf : root.list("/sys/bus/pci/devices")) {
    std::string dir = "/sys/bus/pci/devices/" + bdf;
    AerDevice d;
    d.bdf = bdf;
    bool any = false;
    auto load = [&](const char* file, std::optional<AerCounters>& slot) {
      std::string p = dir + "/" + file;
      if (!root.exists(p)) return;
      any = true;
      auto text = root.read(p, 65536);
      if (!text) {
        d.errors.push_back(std::string(file) + ": unreadable");
        return;
      }
      auto c = parse_aer_counters(*text);
      if (!c) {
        d.errors.push_back(std::string(file) + ": " + c.message());
        return;
      }
      slot = std::move(*c);
    };
    load("aer_dev_correctable", d.correctable);
    load("aer_dev_fatal", d.fatal);
    load("aer_dev_nonfatal", d.nonfatal);
    for (const char* f : {"total_err_cor", "total_err_fatal", "total_err_nonfatal"}) {
      std::string p = dir + "/aer_rootport_" + f;
      if (!root.exists(p)) continue;
      any = true;
      d.root_port = true;
      auto s = root.attr(p);
      auto v = s ? to_num<std::uint64_t>(trim(*s)) : std::nullopt;
      if (!v) d.errors.push_back(std::string("aer_rootport_") + f + ": not a number");
      else d.rootport[f] = *v;
    }
    if (any) out.push_back(std::move(d));
  }
  return out;
}

bool pcie_has_ext_cap(std::span<const std::uint8_t> config, std::uint16_t cap_id) {
  std::size_t pos = 0x100;
  for (int hops = 0; hops < 480 && pos >= 0x100 && pos + 4 <= config.size(); ++hops) {
    std::uint32_t hdr = config[pos] | (config[pos + 1] << 8) | (config[pos + 2] << 16) |
                        (static_cast<std::uint32_t>(config[pos + 3]) << 24);
    if (hdr == 0 || hdr == 0xffffffff) return false;
    if ((hdr & 0xffff) == cap_id) return true;
    std::size_t next = (hdr >> 20) & 0xffc;
    if (next <= pos) return false;  // capability lists only move forward
    pos = next;
  }
  return false;
}

std::int64_t EdacSnapshot::total_ce() const {
  std::int64_t n = 0;
  for (const auto& m : mcs) n += m.ce_count;
  return n;
}
std::int64_t EdacSnapshot::total_ue() const {
  std::int64_t n = 0;
  for (const auto& m : mcs) n += m.ue_count;
  return n;
}

EdacSnapshot read_edac(const probe::Sysroot& root) {
  EdacSnapshot s;
  const std::string base = "/sys/devices/system/edac/mc";
  for (const auto& name : root.list(base)) {
    if (name.rfind("mc", 0) != 0 || !to_num<int>(std::string_view(name).substr(2))) continue;
    std::string dir = base + "/" + name;
    EdacMc mc;
    mc.name = name;
    mc.mc_name = attr_or(root, dir + "/mc_name");
    mc.size_mb = int_attr(root, dir + "/size_mb", s.warnings);
    mc.ce_count = int_attr(root, dir + "/ce_count", s.warnings);
    mc.ue_count = int_attr(root, dir + "/ue_count", s.warnings);
    mc.ce_noinfo_count = int_attr(root, dir + "/ce_noinfo_count", s.warnings);
    mc.ue_noinfo_count = int_attr(root, dir + "/ue_noinfo_count", s.warnings);
    mc.seconds_since_reset = int_attr(root, dir + "/seconds_since_reset", s.warnings);
    for (const auto& d : root.list(dir)) {
      bool dimm = d.rfind("dimm", 0) == 0 && to_num<int>(std::string_view(d).substr(4));
      bool rank = d.rfind("rank", 0) == 0 && to_num<int>(std::string_view(d).substr(4));
      if (!dimm && !rank) continue;
      std::string dd = dir + "/" + d;
      EdacDimm x;
      x.name = d;
      x.label = attr_or(root, dd + "/dimm_label");
      x.location = attr_or(root, dd + "/dimm_location");
      x.mem_type = attr_or(root, dd + "/dimm_mem_type");
      x.size_mb = int_attr(root, dd + "/size", s.warnings);
      x.ce_count = int_attr(root, dd + "/dimm_ce_count", s.warnings);
      x.ue_count = int_attr(root, dd + "/dimm_ue_count", s.warnings);
      mc.dimms.push_back(std::move(x));
    }
    s.mcs.push_back(std::move(mc));
  }
  return s;
}

Result<SmbiosDimm> parse_smbios_type17(std::span<const std::uint8_t> raw) {
  if (raw.size() < 4) return make_error("structure shorter than its header");
  if (raw[0] != 17) return make_error("not a type 17 structure (type " + std::to_string(raw[0]) + ")");
  std::size_t len = raw[1];
  if (len < 0x15 || len > raw.size()) return make_error("formatted length " + std::to_string(len) + " out of range");
  auto word = [&](std::size_t off) { return static_cast<unsigned>(raw[off] | (raw[off + 1] << 8)); };
  // The string table follows the formatted area: NUL-terminated strings, ended by an empty one.
  std::vector<std::string> strings;
  std::size_t p = len;
  while (p < raw.size() && raw[p] != 0) {
    std::size_t e = p;
    while (e < raw.size() && raw[e] != 0) ++e;
    strings.emplace_back(reinterpret_cast<const char*>(raw.data() + p), e - p);
    p = e + 1;
  }
  auto str = [&](std::size_t idx_off) -> std::string {
    unsigned i = raw[idx_off];
    return i >= 1 && i <= strings.size() ? strings[i - 1] : "";
  };
  SmbiosDimm d;
  unsigned size = word(0x0C);
  if (size == 0 || size == 0xFFFF) {
    d.populated = false;
  } else if (size == 0x7FFF) {
    if (len < 0x20) return make_error("extended size flagged but structure too short");
    std::uint32_t ext = raw[0x1C] | (raw[0x1D] << 8) | (raw[0x1E] << 16) | (static_cast<std::uint32_t>(raw[0x1F]) << 24);
    d.populated = true;
    d.size_mb = ext & 0x7FFFFFFF;
  } else {
    d.populated = true;
    d.size_mb = (size & 0x8000) ? (size & 0x7FFF) / 1024 : size;  // bit 15: KB granularity
  }
  d.locator = str(0x10);
  d.bank_locator = str(0x11);
  return d;
}

std::vector<SmbiosDimm> read_smbios_dimms(const probe::Sysroot& root, std::vector<std::string>& warnings) {
  std::vector<SmbiosDimm> out;
  for (const auto& e : root.list("/sys/firmware/dmi/entries")) {
    if (e.rfind("17-", 0) != 0) continue;
    std::string p = "/sys/firmware/dmi/entries/" + e + "/raw";
    auto raw = root.read(p, 65536);
    if (!raw) {
      warnings.push_back(p + ": unreadable");
      continue;
    }
    auto d = parse_smbios_type17({reinterpret_cast<const std::uint8_t*>(raw->data()), raw->size()});
    if (!d) {
      warnings.push_back(p + ": " + d.message());
      continue;
    }
    out.push_back(std::move(*d));
  }
  return out;
}

std::optional<MceTrace> parse_mce_trace_line(std::string_view line) {
  MceTrace m;
  // "MC<bank>: <status>" — the bank register, not "MCGc/s:".
  std::size_t at = 0;
  bool found = false;
  while ((at = line.find("MC", at)) != std::string_view::npos) {
    std::size_t p = at + 2, q = p;
    while (q < line.size() && line[q] >= '0' && line[q] <= '9') ++q;
    if (q > p && q + 1 < line.size() && line[q] == ':' && line[q + 1] == ' ') {
      auto bank = to_num<int>(line.substr(p, q - p));
      std::size_t h = q + 2, e = h;
      while (e < line.size() && std::isxdigit(static_cast<unsigned char>(line[e]))) ++e;
      auto status = to_num<std::uint64_t>(line.substr(h, e - h), 16);
      if (bank && status) {
        m.bank = *bank;
        m.status = *status;
        found = true;
        break;
      }
    }
    at += 2;
  }
  if (!found) return std::nullopt;
  if (auto a = line.find("ADDR/MISC"); a != std::string_view::npos) {
    auto colon = line.find(": ", a);
    if (colon != std::string_view::npos) {
      std::size_t h = colon + 2, e = h;
      while (e < line.size() && std::isxdigit(static_cast<unsigned char>(line[e]))) ++e;
      if (auto v = to_num<std::uint64_t>(line.substr(h, e - h), 16)) m.addr = *v;
      if (e < line.size() && line[e] == '/') {
        std::size_t h2 = e + 1, e2 = h2;
        while (e2 < line.size() && std::isxdigit(static_cast<unsigned char>(line[e2]))) ++e2;
        if (auto v = to_num<std::uint64_t>(line.substr(h2, e2 - h2), 16)) m.misc = *v;
      }
    }
  }
  if (auto c = line.find("CPU: "); c != std::string_view::npos) {
    std::size_t h = c + 5, e = h;
    while (e < line.size() && line[e] >= '0' && line[e] <= '9') ++e;
    if (auto v = to_num<int>(line.substr(h, e - h))) m.cpu = *v;
  }
  return m;
}

std::optional<KmsgRecord> parse_kmsg_record(std::string_view record) {
  auto semi = record.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  auto head = record.substr(0, semi);
  std::vector<std::string_view> f;
  while (true) {
    auto c = head.find(',');
    f.push_back(head.substr(0, c));
    if (c == std::string_view::npos) break;
    head.remove_prefix(c + 1);
  }
  if (f.size() < 3) return std::nullopt;
  auto prio = to_num<int>(f[0]);
  auto seq = to_num<std::uint64_t>(f[1]);
  auto usec = to_num<std::uint64_t>(f[2]);
  if (!prio || !seq || !usec) return std::nullopt;
  KmsgRecord r;
  r.priority = *prio;
  r.seq = *seq;
  r.usec = *usec;
  auto msg = record.substr(semi + 1);
  r.message = std::string(msg.substr(0, msg.find('\n')));  // continuation lines are dictionary
  return r;
}

}  // namespace certify::suites::ras
