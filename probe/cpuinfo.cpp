// /proc/cpuinfo in every architecture's format, CPU lists, and the
// hwdata/cpu-parts table: pure text parsers (fuzzed by fuzz/cpuinfo.cpp).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "probe/cpu.hpp"

namespace certify::probe {

using nlohmann::json;

namespace {

std::string_view trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != ',') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

template <class T>
std::optional<T> to_num(std::string_view s, int base = 10) {
  s = trim(s);
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Leading decimal number of "2299.998", "3800.000000MHz", "1.848Ghz".
std::optional<double> leading_double(std::string_view s) {
  s = trim(s);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data()) return std::nullopt;
  return v;
}

std::string hex(std::uint64_t v, int width) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[v & 0xf]);
    v >>= 4;
  } while (v != 0);
  while (static_cast<int>(out.size()) < width) out.insert(out.begin(), '0');
  return "0x" + out;
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// A view over the first processor block, then the global fields.
struct Fields {
  const Cpuinfo& info;
  const std::string* get(std::string_view key) const {
    if (!info.processors.empty())
      if (auto* v = cpuinfo_get(info.processors.front(), key)) return v;
    return cpuinfo_get(info.global, key);
  }
  std::string str(std::string_view key) const {
    auto* v = get(key);
    return v ? *v : std::string();
  }
};

void put_str(json& j, const char* key, const std::string* v) {
  if (v && !v->empty()) j[key] = *v;
}
void put_int(json& j, const char* key, const std::string* v, int base = 10) {
  if (!v) return;
  if (auto n = to_num<long long>(*v, base)) j[key] = *n;
}
void put_double(json& j, const char* key, const std::string* v) {
  if (!v) return;
  if (auto d = leading_double(*v); d && *d >= 0) j[key] = *d;
}
void put_flags(json& j, const std::string* v) {
  if (!v) return;
  json flags = json::array();
  for (auto& w : split_words(*v)) flags.push_back(w);
  j["flags"] = std::move(flags);
}

// Vendor IDs of x86 CPUs (CPUID leaf 0). Sources: Intel SDM vol. 2A (CPUID),
// AMD APM vol. 3, Linux arch/x86/kernel/cpu/{hygon,zhaoxin,centaur}.c.
struct X86Vendor {
  std::string_view id, name;
};
constexpr X86Vendor k_x86_vendors[] = {
    {"GenuineIntel", "Intel"},  // Intel SDM, CPUID leaf 0
    {"AuthenticAMD", "AMD"},    // AMD APM vol. 3
    {"HygonGenuine", "Hygon"},  // Linux arch/x86/kernel/cpu/hygon.c (c_ident)
    {"Shanghai", "Zhaoxin"},    // Linux arch/x86/kernel/cpu/zhaoxin.c ("  Shanghai  ")
};

// RISC-V mvendorid (JEDEC). Source: Linux arch/riscv/include/asm/vendorid_list.h.
struct RiscvVendor {
  std::uint64_t id;
  std::string_view name, uarch_prefix;
};
constexpr RiscvVendor k_riscv_vendors[] = {
    {0x31e, "Andes", "andestech,"},  // ANDES_VENDOR_ID
    {0x489, "SiFive", "sifive,"},    // SIFIVE_VENDOR_ID
    {0x5b7, "T-Head", "thead,"},     // THEAD_VENDOR_ID
};

// IBM Z machine types (cpuinfo "machine = NNNN"). Source: IBM product
// documentation and Redbooks (z13 SG24-8251, z14 SG24-8451, z15 SG24-8851,
// z16 SG24-8951).
struct S390Machine {
  std::string_view type, name;
};
constexpr S390Machine k_s390_machines[] = {
    {"2964", "IBM z13"},          {"2965", "IBM z13s"},         {"3906", "IBM z14"},
    {"3907", "IBM z14 ZR1"},      {"8561", "IBM z15 T01"},      {"8562", "IBM z15 T02"},
    {"3931", "IBM z16 A01"},      {"3932", "IBM z16 A02"},
};

// POWER processor version (upper half of the PVR). Source: Linux
// arch/powerpc/include/asm/reg.h (PVR_POWER8E ... PVR_POWER11).
struct PowerPvr {
  std::uint32_t version;
  std::string_view name;
};
constexpr PowerPvr k_power_pvrs[] = {
    {0x004b, "POWER8E"}, {0x004c, "POWER8NVL"}, {0x004d, "POWER8"},
    {0x004e, "POWER9"},  {0x0080, "POWER10"},   {0x0082, "Power11"},
};

void identify_x86(const Fields& f, json& j, std::vector<std::string>& warnings) {
  auto raw = f.str("vendor_id");
  j["vendor_id"] = raw;
  std::string vendor = raw;
  for (const auto& v : k_x86_vendors)
    if (raw == v.id) vendor = std::string(v.name);
  put_int(j, "family", f.get("cpu family"));
  put_int(j, "model", f.get("model"));
  put_int(j, "stepping", f.get("stepping"));
  put_str(j, "microcode", f.get("microcode"));
  put_str(j, "model_name", f.get("model name"));
  if (raw == "CentaurHauls") {
    // VIA and Zhaoxin share this ID; Zhaoxin parts are family 7 (and the
    // later family-6 ones say ZHAOXIN in the brand string).
    bool zx = contains_ci(f.str("model name"), "zhaoxin") ||
              (j.contains("family") && j["family"].get<long long>() >= 7);
    vendor = zx ? "Zhaoxin" : "Centaur";
  }
  if (raw.empty()) warnings.push_back("cpuinfo has no vendor_id");
  j["vendor"] = vendor;
  put_flags(j, f.get("flags"));
  put_double(j, "mhz", f.get("cpu MHz"));
  put_double(j, "bogomips", f.get("bogomips"));
  put_str(j, "address_sizes", f.get("address sizes"));
}

void identify_arm(const Cpuinfo& info, const Fields& f, const CpuPartTable& parts, json& j,
                  std::vector<std::string>& warnings) {
  auto impl_s = f.get("CPU implementer");
  auto part_s = f.get("CPU part");
  std::optional<std::uint32_t> impl, part;
  if (impl_s) impl = to_num<std::uint32_t>(*impl_s, 16);
  if (part_s) part = to_num<std::uint32_t>(*part_s, 16);
  if (impl) j["implementer"] = hex(*impl, 2);
  if (part) j["part"] = hex(*part, 3);
  if (auto* v = f.get("CPU variant"))
    if (auto n = to_num<std::uint32_t>(*v, 16)) j["variant"] = hex(*n, 1);
  put_int(j, "revision", f.get("CPU revision"));
  put_int(j, "architecture", f.get("CPU architecture"));
  put_str(j, "cpuinfo_model_name", f.get("model name"));
  put_flags(j, f.get("Features"));
  put_double(j, "bogomips", f.get("BogoMIPS"));
  if (!impl) {
    warnings.push_back("cpuinfo has no readable 'CPU implementer'");
    if (auto* m = f.get("model name")) j["model_name"] = *m;
    return;
  }
  j["vendor_id"] = hex(*impl, 2);
  auto it = parts.implementers.find(*impl);
  if (it == parts.implementers.end()) {
    warnings.push_back("CPU implementer " + hex(*impl, 2) + " is not in hwdata/cpu-parts");
    j["vendor"] = hex(*impl, 2);
  } else {
    j["vendor"] = it->second.name;
    const CpuPart* p = nullptr;
    if (part) {
      std::uint32_t id = part.value_or(0);
      if (auto pi = it->second.parts.find(id); pi != it->second.parts.end()) p = &pi->second;
    }
    if (p) {
      j["model_name"] = p->name;
      if (!p->core.empty()) j["core_name"] = p->core;
    } else if (part) {
      warnings.push_back("CPU part " + hex(*part, 3) + " of " + it->second.name +
                         " is not in hwdata/cpu-parts");
    }
  }
  if (!j.contains("model_name"))
    if (auto* m = f.get("model name")) j["model_name"] = *m;
  // big.LITTLE and other mixes: list every distinct core type.
  std::set<std::pair<std::string, std::string>> types;
  for (const auto& b : info.processors) {
    auto* i = cpuinfo_get(b, "CPU implementer");
    auto* p = cpuinfo_get(b, "CPU part");
    if (i && p) types.insert({*i, *p});
  }
  if (types.size() > 1) {
    json arr = json::array();
    for (const auto& [i, p] : types) {
      json t = {{"implementer", i}, {"part", p}};
      auto ii = to_num<std::uint32_t>(i, 16);
      auto pp = to_num<std::uint32_t>(p, 16);
      if (ii && pp) {
        if (auto im = parts.implementers.find(*ii); im != parts.implementers.end())
          if (auto pa = im->second.parts.find(*pp); pa != im->second.parts.end())
            t["name"] = pa->second.name;
      }
      arr.push_back(std::move(t));
    }
    j["core_types"] = std::move(arr);
  }
}

void identify_loongarch(const Fields& f, json& j) {
  put_str(j, "cpu_family", f.get("CPU Family"));
  put_str(j, "model_name", f.get("Model Name"));
  put_str(j, "revision", f.get("CPU Revision"));
  put_str(j, "fpu_revision", f.get("FPU Revision"));
  put_str(j, "prid", f.get("PRID"));
  put_str(j, "isa", f.get("ISA"));
  put_str(j, "address_sizes", f.get("Address Sizes"));
  put_flags(j, f.get("Features"));
  put_double(j, "mhz", f.get("CPU MHz"));
  put_double(j, "bogomips", f.get("BogoMIPS"));
  auto fam = f.str("CPU Family"), model = f.str("Model Name");
  if (starts_with(fam, "Loongson") || starts_with(model, "Loongson")) j["vendor"] = "Loongson";
  else if (!fam.empty()) j["vendor"] = fam;
}

// "rv64imafdc_zicsr_zifencei" -> ["i","m","a","f","d","c","zicsr","zifencei"].
json riscv_extensions(std::string_view isa) {
  json out = json::array();
  if (isa.size() < 4 || !(starts_with(isa, "rv64") || starts_with(isa, "rv32"))) return out;
  isa.remove_prefix(4);
  auto us = isa.find('_');
  auto single = isa.substr(0, us);
  // Single-letter extensions are ASCII letters; anything else (a damaged
  // file's bytes) would split multi-byte characters, so it is skipped.
  for (char c : single)
    if (std::isalpha(static_cast<unsigned char>(c))) out.push_back(std::string(1, c));
  while (us != std::string_view::npos) {
    isa.remove_prefix(us + 1);
    us = isa.find('_');
    auto ext = isa.substr(0, us);
    if (!ext.empty()) out.push_back(std::string(ext));
  }
  return out;
}

void identify_riscv(const Fields& f, json& j) {
  put_str(j, "isa", f.get("isa"));
  if (auto* isa = f.get("isa")) j["flags"] = riscv_extensions(*isa);
  put_str(j, "mmu", f.get("mmu"));
  put_str(j, "uarch", f.get("uarch"));
  put_str(j, "mvendorid", f.get("mvendorid"));
  put_str(j, "marchid", f.get("marchid"));
  put_str(j, "mimpid", f.get("mimpid"));
  put_str(j, "model_name", f.get("uarch"));
  auto uarch = f.str("uarch");
  if (auto* mv = f.get("mvendorid")) {
    j["vendor_id"] = *mv;
    if (auto id = to_num<std::uint64_t>(*mv, 16))
      for (const auto& v : k_riscv_vendors)
        if (v.id == *id) j["vendor"] = std::string(v.name);
  }
  if (!j.contains("vendor"))
    for (const auto& v : k_riscv_vendors)
      if (starts_with(uarch, v.uarch_prefix)) j["vendor"] = std::string(v.name);
  if (auto* freq = f.get("cpu-freq")) {
    // T-Head vendor kernels: "1.848Ghz".
    if (auto d = leading_double(*freq)) j["mhz"] = contains_ci(*freq, "ghz") ? *d * 1000 : *d;
  }
}

void identify_ppc(const Fields& f, json& j) {
  auto cpu = f.str("cpu");
  if (!cpu.empty()) j["model_name"] = cpu;
  j["vendor"] = "IBM";
  // "POWER9 (raw), altivec supported" -> flags ["altivec"]
  json flags = json::array();
  if (auto comma = cpu.find(','); comma != std::string::npos) {
    for (auto& w : split_words(std::string_view(cpu).substr(comma + 1)))
      if (w != "supported") flags.push_back(w);
  }
  j["flags"] = std::move(flags);
  put_double(j, "mhz", f.get("clock"));
  auto rev = f.str("revision");
  if (!rev.empty()) j["revision"] = rev;
  // "2.2 (pvr 004e 1202)"
  if (auto p = rev.find("pvr "); p != std::string::npos) {
    auto words = split_words(std::string_view(rev).substr(p + 4));
    if (words.size() >= 2) {
      std::string lo = words[1];
      if (!lo.empty() && lo.back() == ')') lo.pop_back();
      auto hi = to_num<std::uint32_t>(words[0], 16);
      auto low = to_num<std::uint32_t>(lo, 16);
      if (hi && low && *hi <= 0xffff && *low <= 0xffff) {
        j["pvr"] = hex((std::uint64_t{*hi} << 16) | *low, 8);
        for (const auto& pv : k_power_pvrs)
          if (pv.version == *hi) j["generation"] = std::string(pv.name);
      }
    }
  }
  put_str(j, "platform", f.get("platform"));
  put_str(j, "machine", f.get("machine"));
  put_str(j, "model", f.get("model"));
}

void identify_s390(const Cpuinfo& info, const Fields& f, json& j) {
  put_str(j, "vendor_id", f.get("vendor_id"));
  j["vendor"] = "IBM";
  put_flags(j, f.get("features"));
  put_double(j, "bogomips", f.get("bogomips per cpu"));
  put_double(j, "mhz", f.get("cpu MHz static"));
  put_int(j, "cpuinfo_processors", f.get("# processors"));
  // "processor 0: version = FF,  identification = 06E276,  machine = 8561"
  for (const auto& [k, v] : info.global) {
    if (!starts_with(k, "processor ")) continue;
    auto m = v.find("machine = ");
    if (m == std::string::npos) continue;
    auto type = std::string(trim(std::string_view(v).substr(m + 10)));
    if (auto c = type.find(','); c != std::string::npos) type.resize(c);
    j["machine_type"] = type;
    for (const auto& mt : k_s390_machines)
      if (mt.type == type) j["model_name"] = std::string(mt.name);
    break;
  }
}

void identify_mips(const Fields& f, json& j) {
  auto cpu_model = f.str("cpu model");
  put_str(j, "cpu_model", f.get("cpu model"));
  put_str(j, "system_type", f.get("system type"));
  put_str(j, "model_name", f.get("model name"));
  if (!j.contains("model_name") && !cpu_model.empty()) j["model_name"] = cpu_model;
  put_str(j, "isa", f.get("isa"));
  put_flags(j, f.get("ASEs implemented"));
  put_double(j, "mhz", f.get("CPU MHz"));
  put_double(j, "bogomips", f.get("BogoMIPS"));
  if (contains_ci(cpu_model, "loongson") || contains_ci(f.str("model name"), "loongson"))
    j["vendor"] = "Loongson";
  else if (contains_ci(cpu_model, "octeon"))
    j["vendor"] = "Cavium";
  else if (!cpu_model.empty())
    j["vendor"] = split_words(cpu_model).front();
}

void identify_sw64(const Fields& f, json& j) {
  auto raw = f.str("vendor_id");
  if (!raw.empty()) j["vendor_id"] = raw;
  j["vendor"] = (raw == "sunway" || raw.empty()) ? "Sunway" : raw;
  put_int(j, "family", f.get("cpu family"));
  put_int(j, "model", f.get("model"));
  put_str(j, "variation", f.get("cpu variation"));
  put_str(j, "revision", f.get("cpu revision"));
  put_str(j, "model_name", f.get("model name"));
  put_flags(j, f.get("flags"));
  put_double(j, "mhz", f.get("cpu MHz"));
  put_double(j, "bogomips", f.get("bogomips"));
  put_str(j, "address_sizes", f.get("address sizes"));
}

std::string arch_family(std::string_view arch) {
  if (arch == "x86_64" || arch == "i386" || arch == "i486" || arch == "i586" || arch == "i686")
    return "x86";
  if (arch == "aarch64" || arch == "arm64" || starts_with(arch, "armv")) return "arm";
  if (starts_with(arch, "loongarch")) return "loongarch";
  if (starts_with(arch, "riscv")) return "riscv";
  if (starts_with(arch, "ppc")) return "ppc";
  if (starts_with(arch, "s390")) return "s390";
  if (starts_with(arch, "mips")) return "mips";
  if (arch == "sw_64" || arch == "sw64") return "sw64";
  return {};
}

}  // namespace

Cpuinfo parse_cpuinfo(std::string_view text) {
  Cpuinfo out;
  std::vector<CpuinfoField>* block = nullptr;  // current processor block, or null (global)
  std::size_t pos = 0, lineno = 0, bad = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineno;
    auto t = trim(line);
    if (t.empty()) {
      block = nullptr;  // a blank line ends a processor block (ppc trailer follows)
      continue;
    }
    auto colon = t.find(':');
    if (colon == std::string_view::npos) {
      if (++bad <= 10)
        out.warnings.push_back("cpuinfo line " + std::to_string(lineno) + " has no ':' separator");
      continue;
    }
    std::string key = valid_utf8(trim(t.substr(0, colon)));
    std::string value = valid_utf8(trim(t.substr(colon + 1)));
    if (key.empty()) {
      if (++bad <= 10)
        out.warnings.push_back("cpuinfo line " + std::to_string(lineno) + " has an empty key");
      continue;
    }
    // "processor : 3" (every arch but s390) or "cpu number : 3" (s390) opens a block;
    // arm32's "Processor : ARMv7 Processor rev 2" is a global description.
    if ((key == "processor" || key == "cpu number") && to_num<long>(value)) {
      out.processors.emplace_back();
      block = &out.processors.back();
    }
    (block ? *block : out.global).emplace_back(std::move(key), std::move(value));
  }
  if (bad > 10)
    out.warnings.push_back("cpuinfo: " + std::to_string(bad - 10) + " more unreadable lines");
  return out;
}

const std::string* cpuinfo_get(const std::vector<CpuinfoField>& block, std::string_view key) {
  for (const auto& [k, v] : block)
    if (k == key) return &v;
  return nullptr;
}

std::string cpuinfo_arch(const Cpuinfo& info) {
  Fields f{info};
  auto vendor = f.str("vendor_id");
  if (vendor == "IBM/S390") return "s390x";
  if (vendor == "sunway") return "sw_64";
  if (f.get("CPU implementer")) {
    auto a = f.get("CPU architecture");
    auto n = a ? to_num<int>(*a) : std::nullopt;
    return n && *n < 8 ? "armv7l" : "aarch64";
  }
  if (f.get("CPU Family") || f.get("global_id")) return "loongarch64";
  if (auto* isa = f.get("isa")) {
    if (starts_with(*isa, "rv64")) return "riscv64";
    if (starts_with(*isa, "rv32")) return "riscv32";
    if (f.get("cpu model")) return contains_ci(*isa, "mips64") ? "mips64" : "mips";
  }
  if (f.get("cpu model")) return "mips";
  // Byte order is not in cpuinfo; little-endian is what current POWER
  // distributions ship, and os.arch (when present) overrides this guess.
  if (f.get("timebase") || (f.get("cpu") && f.get("revision"))) return "ppc64le";
  if (!vendor.empty() && f.get("flags")) {
    auto flags = split_words(f.str("flags"));
    return std::find(flags.begin(), flags.end(), "lm") != flags.end() ? "x86_64" : "i686";
  }
  return {};
}

Result<std::set<int>> parse_cpu_list(std::string_view text) {
  std::set<int> out;
  text = trim(text);
  if (text.empty()) return out;
  constexpr int k_max_cpu = 1 << 16;  // far above any kernel's NR_CPUS
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    item = trim(item);
    auto dash = item.find('-');
    auto a = to_num<int>(item.substr(0, dash));
    auto b = dash == std::string_view::npos ? a : to_num<int>(item.substr(dash + 1));
    if (!a || !b || *a < 0 || *b < *a || *b >= k_max_cpu)
      return make_error("malformed CPU list item '" + valid_utf8(item.substr(0, 40)) + "'");
    for (int i = *a; i <= *b; ++i) out.insert(i);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

Result<std::set<int>> parse_cpu_mask(std::string_view text) {
  text = trim(text);
  std::set<int> out;
  int bit = 0;
  // Walk from the least significant (rightmost) hex digit.
  for (std::size_t i = text.size(); i-- > 0;) {
    char c = text[i];
    if (c == ',') continue;
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return make_error("malformed CPU mask character '" + valid_utf8(std::string(1, c)) + "'");
    if (bit >= (1 << 16)) return make_error("CPU mask longer than 65536 bits");
    for (int b = 0; b < 4; ++b)
      if (v & (1 << b)) out.insert(bit + b);
    bit += 4;
  }
  return out;
}

std::string format_cpu_list(const std::set<int>& cpus) {
  std::string out;
  for (auto it = cpus.begin(); it != cpus.end();) {
    int first = *it, last = *it;
    ++it;
    while (it != cpus.end() && *it == last + 1) last = *it++;
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    if (last != first) out += '-' + std::to_string(last);
  }
  return out;
}

Result<CpuPartTable> parse_cpu_parts(std::string_view text, std::string_view source_name) {
  CpuPartTable table;
  std::size_t pos = 0, lineno = 0;
  auto fail = [&](const std::string& why) {
    return make_error(valid_utf8(std::string(source_name) + ":" + std::to_string(lineno) + ": " + why));
  };
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++lineno;
    if (line.empty() || line.front() == '#') continue;
    // Every entry names its source after ';' so the table can be re-checked.
    auto semi = line.find(';');
    if (semi == std::string_view::npos || trim(line.substr(semi + 1)).empty())
      return fail("entry without '; source'");
    auto words = split_words(line.substr(0, semi));
    if (words.empty()) return fail("empty entry");
    if (words[0] == "implementer") {
      if (words.size() < 3) return fail("expected 'implementer 0xNN Name ; source'");
      auto id = to_num<std::uint32_t>(words[1], 16);
      if (!starts_with(words[1], "0x") || !id || *id > 0xff)
        return fail("bad implementer id '" + words[1] + "'");
      if (table.implementers.count(*id)) return fail("duplicate implementer " + words[1]);
      std::string name = words[2];
      for (std::size_t i = 3; i < words.size(); ++i) name += " " + words[i];
      table.implementers[*id].name = name;
    } else if (words[0] == "part") {
      if (words.size() < 4) return fail("expected 'part 0xNN 0xNNN Name [/ Core] ; source'");
      auto impl = to_num<std::uint32_t>(words[1], 16);
      auto part = to_num<std::uint32_t>(words[2], 16);
      if (!starts_with(words[1], "0x") || !impl || *impl > 0xff)
        return fail("bad implementer id '" + words[1] + "'");
      if (!starts_with(words[2], "0x") || !part || *part > 0xfff)
        return fail("bad part id '" + words[2] + "'");
      auto it = table.implementers.find(*impl);
      if (it == table.implementers.end())
        return fail("part for implementer " + words[1] + " listed before its implementer line");
      if (it->second.parts.count(*part)) return fail("duplicate part " + words[1] + " " + words[2]);
      CpuPart p;
      std::string* target = &p.name;
      for (std::size_t i = 3; i < words.size(); ++i) {
        if (words[i] == "/") {
          if (target == &p.core) return fail("more than one '/' in part name");
          target = &p.core;
          continue;
        }
        if (!target->empty()) *target += ' ';
        *target += words[i];
      }
      if (p.name.empty() || (target == &p.core && p.core.empty()))
        return fail("empty part or core name");
      it->second.parts[*part] = std::move(p);
    } else {
      return fail("unknown entry kind '" + words[0] + "' (expected implementer or part)");
    }
  }
  return table;
}

std::optional<std::uint64_t> parse_cache_size(std::string_view text) {
  text = trim(text);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  auto unit = trim(text.substr(static_cast<std::size_t>(p - text.data())));
  std::uint64_t mul = 1;
  if (unit.empty() || unit == "B") mul = 1;
  else if (unit == "K" || unit == "KB" || unit == "KiB") mul = 1024;
  else if (unit == "M" || unit == "MB" || unit == "MiB") mul = 1024 * 1024;
  else if (unit == "G" || unit == "GB" || unit == "GiB") mul = 1024ull * 1024 * 1024;
  else return std::nullopt;
  if (v > (std::uint64_t{1} << 50) / mul) return std::nullopt;
  return v * mul;
}

json identify_cpu(const Cpuinfo& info, std::string_view arch, const CpuPartTable& parts,
                  std::vector<std::string>& warnings) {
  json j = json::object();
  std::string a = arch.empty() ? cpuinfo_arch(info) : std::string(arch);
  if (!a.empty()) j["arch"] = a;
  Fields f{info};
  auto fam = arch_family(a);
  if (fam == "x86") identify_x86(f, j, warnings);
  else if (fam == "arm") identify_arm(info, f, parts, j, warnings);
  else if (fam == "loongarch") identify_loongarch(f, j);
  else if (fam == "riscv") identify_riscv(f, j);
  else if (fam == "ppc") identify_ppc(f, j);
  else if (fam == "s390") identify_s390(info, f, j);
  else if (fam == "mips") identify_mips(f, j);
  else if (fam == "sw64") identify_sw64(f, j);
  else warnings.push_back("cpuinfo format of architecture '" + a + "' is not known");
  if (!j.contains("model_name") && !fam.empty()) warnings.push_back("cpuinfo names no CPU model");
  if (!j.contains("vendor") && !fam.empty()) warnings.push_back("cpuinfo names no CPU vendor");
  return j;
}

}  // namespace certify::probe
