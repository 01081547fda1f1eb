// SMBIOS decoder (see smbios.hpp for why it is ours). Field names, order,
// length conditions and enum names follow the DMTF SMBIOS specification
// (DSP0134 3.x) as dmidecode 3.4 prints them, so tests compare field by field
// with `dmidecode --from-dump`.
#include "probe/smbios.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>

#include <strings.h>

namespace certify::probe::smbios {

using nlohmann::json;

namespace {

constexpr const char* k_out_of_spec = "<OUT OF SPEC>";
constexpr const char* k_bad_index = "<BAD INDEX>";

std::string fmt(const char* f, auto... args) {
  char buf[128];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

std::uint8_t checksum(std::span<const std::uint8_t> d) {
  std::uint8_t sum = 0;
  for (auto b : d) sum = static_cast<std::uint8_t>(sum + b);
  return sum;
}

std::uint16_t le16(std::span<const std::uint8_t> d, std::size_t off) {
  return static_cast<std::uint16_t>(d[off] | d[off + 1] << 8);
}
std::uint32_t le32(std::span<const std::uint8_t> d, std::size_t off) {
  return static_cast<std::uint32_t>(le16(d, off)) | static_cast<std::uint32_t>(le16(d, off + 2)) << 16;
}
std::uint64_t le64(std::span<const std::uint8_t> d, std::size_t off) {
  return static_cast<std::uint64_t>(le32(d, off)) | static_cast<std::uint64_t>(le32(d, off + 4)) << 32;
}

// A name from a table indexed by code - first; out of range: "<OUT OF SPEC>".
template <std::size_t N>
const char* pick(const std::array<const char*, N>& names, unsigned code, unsigned first = 1) {
  if (code < first || code - first >= N || names[code - first] == nullptr) return k_out_of_spec;
  return names[code - first];
}

// Names of the set bits `from`..`from+N-1` of code (bit i -> names[i - from]).
template <std::size_t N>
std::vector<std::string> bits(const std::array<const char*, N>& names, std::uint64_t code,
                              unsigned from = 0) {
  std::vector<std::string> out;
  for (unsigned i = 0; i < N; ++i)
    if (names[i] && (code >> (from + i) & 1)) out.emplace_back(names[i]);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- entry point

std::uint16_t EntryPoint::version() const {
  return static_cast<std::uint16_t>((major & 0xFF) << 8 | (minor & 0xFF));
}

std::string EntryPoint::version_text() const {
  if (kind == Kind::smbios3) return fmt("%d.%d.%d", major, minor, docrev);
  return fmt("%d.%d", major, minor);
}

Result<EntryPoint> parse_entry_point(std::span<const std::uint8_t> d, std::vector<std::string>& warnings) {
  auto starts = [&](std::string_view anchor) {
    return d.size() >= anchor.size() &&
           std::equal(anchor.begin(), anchor.end(), d.begin(),
                      [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; });
  };
  EntryPoint ep;
  if (starts("_SM3_")) {
    if (d.size() < 0x18) return make_error("SMBIOS 3 entry point truncated (" + std::to_string(d.size()) + " bytes)");
    ep.kind = EntryPoint::Kind::smbios3;
    std::size_t len = d[0x06];
    if (len < 0x18 || len > d.size()) {
      warnings.push_back("SMBIOS 3 entry point length " + std::to_string(len) + " is invalid");
      len = 0x18;
    }
    if (checksum(d.first(len)) != 0) warnings.push_back("SMBIOS 3 entry point checksum is wrong");
    ep.major = d[0x07];
    ep.minor = d[0x08];
    ep.docrev = d[0x09];
    ep.table_length = le32(d, 0x0C);
    ep.table_address = le64(d, 0x10);
    return ep;
  }
  if (starts("_SM_")) {
    if (d.size() < 0x1F) return make_error("SMBIOS entry point truncated (" + std::to_string(d.size()) + " bytes)");
    ep.kind = EntryPoint::Kind::smbios2;
    std::size_t len = d[0x05];
    if (len < 0x1E || len > d.size()) {
      warnings.push_back("SMBIOS entry point length " + std::to_string(len) + " is invalid");
      len = 0x1F;
    }
    if (checksum(d.first(len)) != 0) warnings.push_back("SMBIOS entry point checksum is wrong");
    if (d[0x10] != '_' || d[0x11] != 'D' || d[0x12] != 'M' || d[0x13] != 'I' || d[0x14] != '_')
      warnings.push_back("SMBIOS entry point has no _DMI_ anchor at offset 0x10");
    if (checksum(d.subspan(0x10, 0x0F)) != 0) warnings.push_back("SMBIOS intermediate checksum is wrong");
    ep.major = d[0x06];
    ep.minor = d[0x07];
    // Known firmware mistakes, corrected the way dmidecode does.
    if (ep.major == 2 && (ep.minor == 0x1F || ep.minor == 0x21)) ep.minor = 3;
    else if (ep.major == 2 && ep.minor == 0x33) ep.minor = 6;
  } else if (starts("_DMI_")) {
    if (d.size() < 0x0F) return make_error("DMI entry point truncated (" + std::to_string(d.size()) + " bytes)");
    ep.kind = EntryPoint::Kind::legacy_dmi;
    if (checksum(d.first(0x0F)) != 0) warnings.push_back("DMI entry point checksum is wrong");
    ep.major = d[0x0E] >> 4;
    ep.minor = d[0x0E] & 0x0F;
  } else {
    return make_error("no SMBIOS entry point anchor (_SM_, _SM3_ or _DMI_)");
  }
  std::size_t dmi = ep.kind == EntryPoint::Kind::legacy_dmi ? 0 : 0x10;
  ep.table_length = le16(d, dmi + 0x06);
  ep.table_address = le32(d, dmi + 0x08);
  ep.structure_count = le16(d, dmi + 0x0C);
  return ep;
}

// ---------------------------------------------------------------- structures

std::uint8_t Structure::byte(std::size_t off) const { return off < data.size() ? data[off] : 0; }
std::uint16_t Structure::word(std::size_t off) const {
  return off + 2 <= data.size() ? le16(data, off) : 0;
}
std::uint32_t Structure::dword(std::size_t off) const {
  return off + 4 <= data.size() ? le32(data, off) : 0;
}
std::uint64_t Structure::qword(std::size_t off) const {
  return off + 8 <= data.size() ? le64(data, off) : 0;
}

std::vector<Structure> walk(std::span<const std::uint8_t> table, const EntryPoint& ep,
                            std::vector<std::string>& warnings) {
  std::vector<Structure> out;
  const bool v3 = ep.kind == EntryPoint::Kind::smbios3;
  std::size_t len = table.size();
  if (v3 && ep.table_length < len) {
    warnings.push_back("DMI table is " + std::to_string(len) + " bytes, more than the " +
                       std::to_string(ep.table_length) + " the entry point allows; reading that much");
    len = ep.table_length;
  } else if (!v3 && ep.table_length != len) {
    warnings.push_back("entry point says the DMI table is " + std::to_string(ep.table_length) +
                       " bytes, the file has " + std::to_string(len));
    len = std::min<std::size_t>(len, ep.table_length);
  }
  const std::size_t count = v3 ? 0 : ep.structure_count.value_or(0);
  std::set<std::uint16_t> handles;
  std::size_t pos = 0;
  bool saw_end = false, broken = false;
  while ((count == 0 || out.size() < count) && pos + 4 <= len) {
    std::uint8_t type = table[pos], length = table[pos + 1];
    std::uint16_t handle = le16(table, pos + 2);
    if (length < 4) {
      warnings.push_back(fmt("structure at offset %zu has length %u, shorter than its header; table is broken, stopping",
                             pos, length));
      broken = true;
      break;
    }
    // The string set ends with two NULs; it starts right after the formatted area.
    std::size_t next = pos + length;
    while (next + 1 < len && (table[next] != 0 || table[next + 1] != 0)) ++next;
    next += 2;
    if (next > len) {
      warnings.push_back(fmt("structure type %u handle 0x%04X at offset %zu runs past the end of the table (truncated)",
                             type, handle, pos));
      broken = true;
      break;
    }
    Structure s;
    s.type = type;
    s.length = length;
    s.handle = handle;
    s.data = table.subspan(pos, length);
    for (std::size_t p = pos + length; p < next;) {
      std::size_t e = p;
      while (e < next && table[e] != 0) ++e;
      if (e == p) break;
      s.strings.emplace_back(reinterpret_cast<const char*>(table.data() + p), e - p);
      p = e + 1;
    }
    if (!handles.insert(handle).second)
      warnings.push_back(fmt("handle 0x%04X appears more than once", handle));
    out.push_back(std::move(s));
    pos = next;
    if (type == 127) {
      saw_end = true;
      if (v3) break;  // SMBIOS 3 requires stopping at End-of-Table
    }
  }
  if (!broken && pos < len && pos + 4 > len && (count == 0 || out.size() < count) && !(v3 && saw_end))
    warnings.push_back(fmt("table ends %zu bytes into a structure header (truncated)", len - pos));
  if (count != 0 && out.size() != count)
    warnings.push_back("entry point announces " + std::to_string(count) + " structures, the table holds " +
                       std::to_string(out.size()));
  if (v3 && !saw_end) warnings.push_back("SMBIOS 3 table has no End-of-Table structure");
  return out;
}

// ---------------------------------------------------------------- formatting

std::string size_text(std::uint64_t v, int shift) {
  static constexpr const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB"};
  std::uint64_t split[7];
  for (int i = 0; i < 6; ++i) split[i] = (v >> (10 * i)) & 0x3FF;
  split[6] = v >> 60;
  int i = 6;
  while (i > 0 && !split[i]) --i;
  std::uint64_t cap;
  if (i > 0 && split[i - 1]) {
    --i;
    cap = split[i] + (split[i + 1] << 10);
  } else {
    cap = split[i];
  }
  return std::to_string(cap) + " " + units[std::min(i + shift, 7)];
}

namespace {

// Builds a Record: each call adds dmidecode's line and, when there is a
// fact, the typed value under `key` (empty key: printed only).
class Builder {
 public:
  Builder(const Structure& s, Record& r) : s_(s), r_(r) {}

  // The string at index i, ASCII-filtered as dmidecode prints it.
  std::optional<std::string> string(std::uint8_t i) const {
    if (i == 0 || i > s_.strings.size()) return std::nullopt;
    std::string v = s_.strings[i - 1];
    for (auto& c : v)
      if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) >= 127) c = '.';
    return v;
  }
  std::string string_text(std::uint8_t i) const {
    if (i == 0) return "Not Specified";
    auto v = string(i);
    return v ? *v : k_bad_index;
  }

  void str(const char* label, const char* key, std::size_t off) {
    std::uint8_t i = s_.byte(off);
    add(label, string_text(i));
    if (auto v = string(i); v && key) r_.facts[key] = *v;
  }
  void add(const char* label, std::string text, const char* key = nullptr, json value = nullptr) {
    r_.fields.push_back({label, std::move(text), {}});
    if (key && !value.is_null()) r_.facts[key] = std::move(value);
  }
  // A list line: "Label: None" when empty (if none_text), else "Label:" + items.
  void list(const char* label, std::vector<std::string> items, const char* key,
            const char* none_text = "None") {
    if (key) r_.facts[key] = items;
    if (items.empty() && none_text) r_.fields.push_back({label, none_text, {}});
    else r_.fields.push_back({label, "", std::move(items)});
  }
  void fact(const char* key, json value) { r_.facts[key] = std::move(value); }
  Record& record() { return r_; }

 private:
  const Structure& s_;
  Record& r_;
};

std::string handle_text(std::uint16_t h) { return fmt("0x%04X", h); }

// ---- type 0: BIOS

void decode_bios(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 29> chars = {
      "BIOS characteristics not supported", "ISA is supported", "MCA is supported",
      "EISA is supported", "PCI is supported", "PC Card (PCMCIA) is supported", "PNP is supported",
      "APM is supported", "BIOS is upgradeable", "BIOS shadowing is allowed", "VLB is supported",
      "ESCD support is available", "Boot from CD is supported", "Selectable boot is supported",
      "BIOS ROM is socketed", "Boot from PC Card (PCMCIA) is supported", "EDD is supported",
      "Japanese floppy for NEC 9800 1.2 MB is supported (int 13h)",
      "Japanese floppy for Toshiba 1.2 MB is supported (int 13h)",
      "5.25\"/360 kB floppy services are supported (int 13h)",
      "5.25\"/1.2 MB floppy services are supported (int 13h)",
      "3.5\"/720 kB floppy services are supported (int 13h)",
      "3.5\"/2.88 MB floppy services are supported (int 13h)",
      "Print screen service is supported (int 5h)", "8042 keyboard services are supported (int 9h)",
      "Serial services are supported (int 14h)", "Printer services are supported (int 17h)",
      "CGA/mono video services are supported (int 10h)", "NEC PC-98"};
  static constexpr std::array<const char*, 8> x1 = {
      "ACPI is supported", "USB legacy is supported", "AGP is supported", "I2O boot is supported",
      "LS-120 boot is supported", "ATAPI Zip drive boot is supported", "IEEE 1394 boot is supported",
      "Smart battery is supported"};
  static constexpr std::array<const char*, 7> x2 = {
      "BIOS boot specification is supported", "Function key-initiated network boot is supported",
      "Targeted content distribution is supported", "UEFI is supported", "System is a virtual machine",
      "Manufacturing mode is supported", "Manufacturing mode is enabled"};
  if (s.length < 0x12) return;
  b.str("Vendor", "vendor", 0x04);
  b.str("Version", "version", 0x05);
  b.str("Release Date", "release_date", 0x08);
  if (std::uint16_t seg = s.word(0x06)) {
    b.add("Address", fmt("0x%04X0", seg), "address", fmt("0x%04X0", seg));
    std::uint32_t rt = (0x10000u - seg) << 4;
    b.add("Runtime Size", rt & 0x3FF ? fmt("%u bytes", rt) : fmt("%u kB", rt >> 10), "runtime_size_bytes", rt);
  }
  std::uint8_t rom = s.byte(0x09);
  if (rom != 0xFF) {
    std::uint64_t kb = static_cast<std::uint64_t>(rom + 1) << 6;
    b.add("ROM Size", size_text(kb, 1), "rom_size_bytes", kb * 1024);
  } else {
    std::uint16_t ext = s.length < 0x1A ? 16 : s.word(0x18);
    static constexpr const char* units[] = {"MB", "GB", k_out_of_spec, k_out_of_spec};
    std::uint64_t n = ext & 0x3FFF;
    b.add("ROM Size", fmt("%u %s", static_cast<unsigned>(n), units[ext >> 14]));
    if (ext >> 14 < 2) b.fact("rom_size_bytes", n << (ext >> 14 ? 30 : 20));
  }
  std::uint64_t c = s.qword(0x0A);
  std::vector<std::string> items;
  if (c & (1u << 3)) {
    items.emplace_back(chars[0]);  // "not supported": the other bits mean nothing
  } else {
    for (unsigned i = 4; i <= 31; ++i)
      if (c >> i & 1) items.emplace_back(chars[i - 3]);
  }
  if (s.length >= 0x13) for (auto& v : bits(x1, s.byte(0x12))) items.push_back(v);
  if (s.length >= 0x14) for (auto& v : bits(x2, s.byte(0x13))) items.push_back(v);
  b.list("Characteristics", items, "characteristics", nullptr);
  if (s.length < 0x18) return;
  if (s.byte(0x14) != 0xFF && s.byte(0x15) != 0xFF) {
    auto v = fmt("%u.%u", s.byte(0x14), s.byte(0x15));
    b.add("BIOS Revision", v, "bios_revision", v);
  }
  if (s.byte(0x16) != 0xFF && s.byte(0x17) != 0xFF) {
    auto v = fmt("%u.%u", s.byte(0x16), s.byte(0x17));
    b.add("Firmware Revision", v, "firmware_revision", v);
  }
}

// ---- type 1: system

void decode_system(const Structure& s, Builder& b, std::uint16_t ver) {
  static constexpr std::array<const char*, 9> wake = {
      "Reserved", "Other", "Unknown", "APM Timer", "Modem Ring", "LAN Remote", "Power Switch",
      "PCI PME#", "AC Power Restored"};
  if (s.length < 0x08) return;
  b.str("Manufacturer", "manufacturer", 0x04);
  b.str("Product Name", "product_name", 0x05);
  b.str("Version", "version", 0x06);
  b.str("Serial Number", "serial_number", 0x07);
  if (s.length < 0x19) return;
  auto p = s.data.subspan(0x08, 16);
  bool all_ff = std::all_of(p.begin(), p.end(), [](auto x) { return x == 0xFF; });
  bool all_00 = std::all_of(p.begin(), p.end(), [](auto x) { return x == 0x00; });
  if (all_ff) {
    b.add("UUID", "Not Present");
  } else if (all_00) {
    b.add("UUID", "Not Settable");
  } else {
    // SMBIOS 2.6 made the first three fields little-endian; older tables
    // are printed in wire order (dmidecode does the same).
    std::array<int, 8> order = ver >= 0x0206 ? std::array<int, 8>{3, 2, 1, 0, 5, 4, 7, 6}
                                             : std::array<int, 8>{0, 1, 2, 3, 4, 5, 6, 7};
    std::string u;
    for (int i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) u += '-';
      u += fmt("%02x", p[i < 8 ? order[i] : i]);
    }
    b.add("UUID", u, "uuid", u);
  }
  b.add("Wake-up Type", pick(wake, s.byte(0x18), 0), "wake_up_type", pick(wake, s.byte(0x18), 0));
  if (s.length < 0x1B) return;
  b.str("SKU Number", "sku_number", 0x19);
  b.str("Family", "family", 0x1A);
}

// ---- type 2: baseboard

constexpr std::array<const char*, 13> k_board_types = {
    "Unknown", "Other", "Server Blade", "Connectivity Switch", "System Management Module",
    "Processor Module", "I/O Module", "Memory Module", "Daughter Board", "Motherboard",
    "Processor+Memory Module", "Processor+I/O Module", "Interconnect Board"};

void decode_baseboard(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 5> features = {
      "Board is a hosting board", "Board requires at least one daughter board", "Board is removable",
      "Board is replaceable", "Board is hot swappable"};
  if (s.length < 0x08) return;
  b.str("Manufacturer", "manufacturer", 0x04);
  b.str("Product Name", "product_name", 0x05);
  b.str("Version", "version", 0x06);
  b.str("Serial Number", "serial_number", 0x07);
  if (s.length < 0x09) return;
  b.str("Asset Tag", "asset_tag", 0x08);
  if (s.length < 0x0A) return;
  b.list("Features", bits(features, s.byte(0x09)), "features");
  if (s.length < 0x0E) return;
  b.str("Location In Chassis", "location_in_chassis", 0x0A);
  b.add("Chassis Handle", handle_text(s.word(0x0B)), "chassis_handle", handle_text(s.word(0x0B)));
  b.add("Type", pick(k_board_types, s.byte(0x0D)), "type", pick(k_board_types, s.byte(0x0D)));
  if (s.length < 0x0F) return;
  unsigned n = s.byte(0x0E);
  if (s.length < 0x0F + n * 2) return;
  std::vector<std::string> hs;
  for (unsigned i = 0; i < n; ++i) hs.push_back(handle_text(s.word(0x0F + 2 * i)));
  b.record().fields.push_back({"Contained Object Handles", std::to_string(n), hs});
  b.fact("contained_object_handles", hs);
}

// ---- type 3: chassis

constexpr std::array<const char*, 47> k_structure_names = {
    "BIOS", "System", "Base Board", "Chassis", "Processor", "Memory Controller", "Memory Module",
    "Cache", "Port Connector", "System Slots", "On Board Devices", "OEM Strings",
    "System Configuration Options", "BIOS Language", "Group Associations", "System Event Log",
    "Physical Memory Array", "Memory Device", "32-bit Memory Error", "Memory Array Mapped Address",
    "Memory Device Mapped Address", "Built-in Pointing Device", "Portable Battery", "System Reset",
    "Hardware Security", "System Power Controls", "Voltage Probe", "Cooling Device",
    "Temperature Probe", "Electrical Current Probe", "Out-of-band Remote Access",
    "Boot Integrity Services", "System Boot", "64-bit Memory Error", "Management Device",
    "Management Device Component", "Management Device Threshold Data", "Memory Channel",
    "IPMI Device", "Power Supply", "Additional Information", "Onboard Device",
    "Management Controller Host Interface", "TPM Device", "Processor", "Firmware", "String Property"};

constexpr std::array<const char*, 36> k_chassis_types = {
      "Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower",
      "Portable", "Laptop", "Notebook", "Hand Held", "Docking Station", "All In One", "Sub Notebook",
      "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis", "Sub Chassis",
      "Bus Expansion Chassis", "Peripheral Chassis", "RAID Chassis", "Rack Mount Chassis",
      "Sealed-case PC", "Multi-system", "CompactPCI", "AdvancedTCA", "Blade", "Blade Enclosing",
      "Tablet", "Convertible", "Detachable", "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC"};

void decode_chassis(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 6> states = {"Other", "Unknown", "Safe", "Warning",
                                                        "Critical", "Non-recoverable"};
  static constexpr std::array<const char*, 5> security = {
      "Other", "Unknown", "None", "External Interface Locked Out", "External Interface Enabled"};
  if (s.length < 0x09) return;
  b.str("Manufacturer", "manufacturer", 0x04);
  const char* type = pick(k_chassis_types, s.byte(0x05) & 0x7F);
  b.add("Type", type, "type", type);
  const char* lock = s.byte(0x05) & 0x80 ? "Present" : "Not Present";
  b.add("Lock", lock, "lock", lock);
  b.str("Version", "version", 0x06);
  b.str("Serial Number", "serial_number", 0x07);
  b.str("Asset Tag", "asset_tag", 0x08);
  if (s.length < 0x0D) return;
  b.add("Boot-up State", pick(states, s.byte(0x09)), "boot_up_state", pick(states, s.byte(0x09)));
  b.add("Power Supply State", pick(states, s.byte(0x0A)), "power_supply_state", pick(states, s.byte(0x0A)));
  b.add("Thermal State", pick(states, s.byte(0x0B)), "thermal_state", pick(states, s.byte(0x0B)));
  b.add("Security Status", pick(security, s.byte(0x0C)), "security_status", pick(security, s.byte(0x0C)));
  if (s.length < 0x11) return;
  b.add("OEM Information", fmt("0x%08X", s.dword(0x0D)), "oem_information", fmt("0x%08X", s.dword(0x0D)));
  if (s.length < 0x13) return;
  unsigned h = s.byte(0x11), cords = s.byte(0x12);
  b.add("Height", h ? fmt("%u U", h) : "Unspecified", "height_u", h ? json(h) : json());
  b.add("Number Of Power Cords", cords ? std::to_string(cords) : "Unspecified", "power_cords",
        cords ? json(cords) : json());
  if (s.length < 0x15) return;
  unsigned n = s.byte(0x13), m = s.byte(0x14);
  if (s.length < 0x15 + n * m) return;
  std::vector<std::string> items;
  for (unsigned i = 0; i < n && m >= 3; ++i) {
    std::uint8_t t = s.byte(0x15 + i * m), lo = s.byte(0x16 + i * m), hi = s.byte(0x17 + i * m);
    std::string name = t & 0x80 ? pick(k_structure_names, t & 0x7F, 0) : pick(k_board_types, t & 0x7F);
    items.push_back(name + " (" + (lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi)) + ")");
  }
  b.record().fields.push_back({"Contained Elements", std::to_string(n), items});
  b.fact("contained_elements", items);
  if (s.length < 0x16 + n * m) return;
  b.str("SKU Number", "sku_number", 0x15 + n * m);
}

// ---- type 4: processor

struct FamilyName {
  std::uint16_t code;
  const char* name;
};
// DSP0134 7.5.2, names as dmidecode 3.4 prints them.
constexpr FamilyName k_families[] = {
    {0x01, "Other"}, {0x02, "Unknown"}, {0x03, "8086"}, {0x04, "80286"}, {0x05, "80386"},
    {0x06, "80486"}, {0x07, "8087"}, {0x08, "80287"}, {0x09, "80387"}, {0x0A, "80487"},
    {0x0B, "Pentium"}, {0x0C, "Pentium Pro"}, {0x0D, "Pentium II"}, {0x0E, "Pentium MMX"},
    {0x0F, "Celeron"}, {0x10, "Pentium II Xeon"}, {0x11, "Pentium III"}, {0x12, "M1"}, {0x13, "M2"},
    {0x14, "Celeron M"}, {0x15, "Pentium 4 HT"}, {0x18, "Duron"}, {0x19, "K5"}, {0x1A, "K6"},
    {0x1B, "K6-2"}, {0x1C, "K6-3"}, {0x1D, "Athlon"}, {0x1E, "AMD29000"}, {0x1F, "K6-2+"},
    {0x20, "Power PC"}, {0x21, "Power PC 601"}, {0x22, "Power PC 603"}, {0x23, "Power PC 603+"},
    {0x24, "Power PC 604"}, {0x25, "Power PC 620"}, {0x26, "Power PC x704"}, {0x27, "Power PC 750"},
    {0x28, "Core Duo"}, {0x29, "Core Duo Mobile"}, {0x2A, "Core Solo Mobile"}, {0x2B, "Atom"},
    {0x2C, "Core M"}, {0x2D, "Core m3"}, {0x2E, "Core m5"}, {0x2F, "Core m7"}, {0x30, "Alpha"},
    {0x31, "Alpha 21064"}, {0x32, "Alpha 21066"}, {0x33, "Alpha 21164"}, {0x34, "Alpha 21164PC"},
    {0x35, "Alpha 21164a"}, {0x36, "Alpha 21264"}, {0x37, "Alpha 21364"},
    {0x38, "Turion II Ultra Dual-Core Mobile M"}, {0x39, "Turion II Dual-Core Mobile M"},
    {0x3A, "Athlon II Dual-Core M"}, {0x3B, "Opteron 6100"}, {0x3C, "Opteron 4100"},
    {0x3D, "Opteron 6200"}, {0x3E, "Opteron 4200"}, {0x3F, "FX"}, {0x40, "MIPS"},
    {0x41, "MIPS R4000"}, {0x42, "MIPS R4200"}, {0x43, "MIPS R4400"}, {0x44, "MIPS R4600"},
    {0x45, "MIPS R10000"}, {0x46, "C-Series"}, {0x47, "E-Series"}, {0x48, "A-Series"},
    {0x49, "G-Series"}, {0x4A, "Z-Series"}, {0x4B, "R-Series"}, {0x4C, "Opteron 4300"},
    {0x4D, "Opteron 6300"}, {0x4E, "Opteron 3300"}, {0x4F, "FirePro"}, {0x50, "SPARC"},
    {0x51, "SuperSPARC"}, {0x52, "MicroSPARC II"}, {0x53, "MicroSPARC IIep"}, {0x54, "UltraSPARC"},
    {0x55, "UltraSPARC II"}, {0x56, "UltraSPARC IIi"}, {0x57, "UltraSPARC III"},
    {0x58, "UltraSPARC IIIi"}, {0x60, "68040"}, {0x61, "68xxx"}, {0x62, "68000"}, {0x63, "68010"},
    {0x64, "68020"}, {0x65, "68030"}, {0x66, "Athlon X4"}, {0x67, "Opteron X1000"},
    {0x68, "Opteron X2000"}, {0x69, "Opteron A-Series"}, {0x6A, "Opteron X3000"}, {0x6B, "Zen"},
    {0x70, "Hobbit"}, {0x78, "Crusoe TM5000"}, {0x79, "Crusoe TM3000"}, {0x7A, "Efficeon TM8000"},
    {0x80, "Weitek"}, {0x82, "Itanium"}, {0x83, "Athlon 64"}, {0x84, "Opteron"}, {0x85, "Sempron"},
    {0x86, "Turion 64"}, {0x87, "Dual-Core Opteron"}, {0x88, "Athlon 64 X2"}, {0x89, "Turion 64 X2"},
    {0x8A, "Quad-Core Opteron"}, {0x8B, "Third-Generation Opteron"}, {0x8C, "Phenom FX"},
    {0x8D, "Phenom X4"}, {0x8E, "Phenom X2"}, {0x8F, "Athlon X2"}, {0x90, "PA-RISC"},
    {0x91, "PA-RISC 8500"}, {0x92, "PA-RISC 8000"}, {0x93, "PA-RISC 7300LC"}, {0x94, "PA-RISC 7200"},
    {0x95, "PA-RISC 7100LC"}, {0x96, "PA-RISC 7100"}, {0xA0, "V30"}, {0xA1, "Quad-Core Xeon 3200"},
    {0xA2, "Dual-Core Xeon 3000"}, {0xA3, "Quad-Core Xeon 5300"}, {0xA4, "Dual-Core Xeon 5100"},
    {0xA5, "Dual-Core Xeon 5000"}, {0xA6, "Dual-Core Xeon LV"}, {0xA7, "Dual-Core Xeon ULV"},
    {0xA8, "Dual-Core Xeon 7100"}, {0xA9, "Quad-Core Xeon 5400"}, {0xAA, "Quad-Core Xeon"},
    {0xAB, "Dual-Core Xeon 5200"}, {0xAC, "Dual-Core Xeon 7200"}, {0xAD, "Quad-Core Xeon 7300"},
    {0xAE, "Quad-Core Xeon 7400"}, {0xAF, "Multi-Core Xeon 7400"}, {0xB0, "Pentium III Xeon"},
    {0xB1, "Pentium III Speedstep"}, {0xB2, "Pentium 4"}, {0xB3, "Xeon"}, {0xB4, "AS400"},
    {0xB5, "Xeon MP"}, {0xB6, "Athlon XP"}, {0xB7, "Athlon MP"}, {0xB8, "Itanium 2"},
    {0xB9, "Pentium M"}, {0xBA, "Celeron D"}, {0xBB, "Pentium D"}, {0xBC, "Pentium EE"},
    {0xBD, "Core Solo"}, {0xBF, "Core 2 Duo"}, {0xC0, "Core 2 Solo"}, {0xC1, "Core 2 Extreme"},
    {0xC2, "Core 2 Quad"}, {0xC3, "Core 2 Extreme Mobile"}, {0xC4, "Core 2 Duo Mobile"},
    {0xC5, "Core 2 Solo Mobile"}, {0xC6, "Core i7"}, {0xC7, "Dual-Core Celeron"}, {0xC8, "IBM390"},
    {0xC9, "G4"}, {0xCA, "G5"}, {0xCB, "ESA/390 G6"}, {0xCC, "z/Architecture"}, {0xCD, "Core i5"},
    {0xCE, "Core i3"}, {0xCF, "Core i9"}, {0xD2, "C7-M"}, {0xD3, "C7-D"}, {0xD4, "C7"},
    {0xD5, "Eden"}, {0xD6, "Multi-Core Xeon"}, {0xD7, "Dual-Core Xeon 3xxx"},
    {0xD8, "Quad-Core Xeon 3xxx"}, {0xD9, "Nano"}, {0xDA, "Dual-Core Xeon 5xxx"},
    {0xDB, "Quad-Core Xeon 5xxx"}, {0xDD, "Dual-Core Xeon 7xxx"}, {0xDE, "Quad-Core Xeon 7xxx"},
    {0xDF, "Multi-Core Xeon 7xxx"}, {0xE0, "Multi-Core Xeon 3400"}, {0xE4, "Opteron 3000"},
    {0xE5, "Sempron II"}, {0xE6, "Embedded Opteron Quad-Core"}, {0xE7, "Phenom Triple-Core"},
    {0xE8, "Turion Ultra Dual-Core Mobile"}, {0xE9, "Turion Dual-Core Mobile"},
    {0xEA, "Athlon Dual-Core"}, {0xEB, "Sempron SI"}, {0xEC, "Phenom II"}, {0xED, "Athlon II"},
    {0xEE, "Six-Core Opteron"}, {0xEF, "Sempron M"}, {0xFA, "i860"}, {0xFB, "i960"},
    {0x100, "ARMv7"}, {0x101, "ARMv8"}, {0x104, "SH-3"}, {0x105, "SH-4"}, {0x118, "ARM"},
    {0x119, "StrongARM"}, {0x12C, "6x86"}, {0x12D, "MediaGX"}, {0x12E, "MII"}, {0x140, "WinChip"},
    {0x15E, "DSP"}, {0x1F4, "Video Processor"}, {0x200, "RV32"}, {0x201, "RV64"}, {0x202, "RV128"},
};

bool has_prefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool has_intel(std::string_view m) {
  return m.find("Intel") != std::string_view::npos || (m.size() >= 5 && strncasecmp(m.data(), "Intel", 5) == 0);
}
bool has_amd(std::string_view m) {
  return m.find("AMD") != std::string_view::npos || (m.size() >= 3 && strncasecmp(m.data(), "AMD", 3) == 0);
}

std::uint16_t family_code(const Structure& s) {
  return s.byte(0x06) == 0xFE && s.length >= 0x2A ? s.word(0x28) : s.byte(0x06);
}

std::string family_name(const Structure& s, const Builder& b, std::uint16_t ver) {
  std::string manufacturer = b.string_text(s.byte(0x07));
  if (ver == 0x0200 && s.byte(0x06) == 0x30 && has_intel(manufacturer)) return "Pentium Pro";
  std::uint16_t code = family_code(s);
  if (code == 0xBE) {  // ambiguous in the specification: decided by manufacturer
    if (has_intel(manufacturer)) return "Core 2";
    if (has_amd(manufacturer)) return "K7";
    return "Core 2 or K7";
  }
  for (const auto& f : k_families)
    if (f.code == code) return f.name;
  return k_out_of_spec;
}

void processor_id(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 32> flags = {
      "FPU (Floating-point unit on-chip)", "VME (Virtual mode extension)", "DE (Debugging extension)",
      "PSE (Page size extension)", "TSC (Time stamp counter)", "MSR (Model specific registers)",
      "PAE (Physical address extension)", "MCE (Machine check exception)",
      "CX8 (CMPXCHG8 instruction supported)", "APIC (On-chip APIC hardware supported)", nullptr,
      "SEP (Fast system call)", "MTRR (Memory type range registers)", "PGE (Page global enable)",
      "MCA (Machine check architecture)", "CMOV (Conditional move instruction supported)",
      "PAT (Page attribute table)", "PSE-36 (36-bit page size extension)",
      "PSN (Processor serial number present and enabled)", "CLFSH (CLFLUSH instruction supported)",
      nullptr, "DS (Debug store)", "ACPI (ACPI supported)", "MMX (MMX technology supported)",
      "FXSR (FXSAVE and FXSTOR instructions supported)", "SSE (Streaming SIMD extensions)",
      "SSE2 (Streaming SIMD extensions 2)", "SS (Self-snoop)", "HTT (Multi-threading)",
      "TM (Thermal monitor supported)", nullptr, "PBE (Pending break enabled)"};
  std::string id;
  for (int i = 0; i < 8; ++i) id += fmt(i ? " %02X" : "%02X", s.byte(0x08 + i));
  b.add("ID", id, "id", id);
  std::uint16_t type = family_code(s);
  std::uint32_t eax = s.dword(0x08), edx = s.dword(0x0C);
  int sig = 0;
  if (type == 0x05) {  // 80386
    std::uint16_t dx = s.word(0x08);
    auto v = fmt("Type %u, Family %u, Major Stepping %u, Minor Stepping %u", dx >> 12, (dx >> 8) & 0xF,
                 (dx >> 4) & 0xF, dx & 0xF);
    b.add("Signature", v, "signature", v);
    return;
  }
  if (type == 0x06) {  // 80486: CPUID only on some
    std::uint16_t dx = s.word(0x08);
    if ((dx & 0x0F00) == 0x0400 && ((dx & 0x00F0) == 0x0040 || (dx & 0x00F0) >= 0x0070) &&
        (dx & 0x000F) >= 0x0003) {
      sig = 1;
    } else {
      auto v = fmt("Type %u, Family %u, Model %u, Stepping %u", (dx >> 12) & 0x3, (dx >> 8) & 0xF,
                   (dx >> 4) & 0xF, dx & 0xF);
      b.add("Signature", v, "signature", v);
      return;
    }
  } else if ((type >= 0x100 && type <= 0x101) || (type >= 0x118 && type <= 0x119)) {
    std::uint32_t midr = eax;
    if (midr == 0) return;  // format undefined before SMBIOS 3.1
    auto v = fmt("Implementor 0x%02x, Variant 0x%x, Architecture %u, Part 0x%03x, Revision %u", midr >> 24,
                 (midr >> 20) & 0xF, (midr >> 16) & 0xF, (midr >> 4) & 0xFFF, midr & 0xF);
    b.add("Signature", v, "signature", v);
    return;
  } else if ((type >= 0x0B && type <= 0x15) || (type >= 0x28 && type <= 0x2F) ||
             (type >= 0xA1 && type <= 0xB3) || type == 0xB5 || (type >= 0xB9 && type <= 0xC7) ||
             (type >= 0xCD && type <= 0xCF) || (type >= 0xD2 && type <= 0xDB) ||
             (type >= 0xDD && type <= 0xE0)) {
    sig = 1;
  } else if ((type >= 0x18 && type <= 0x1D) || type == 0x1F || (type >= 0x38 && type <= 0x3F) ||
             (type >= 0x46 && type <= 0x4F) || (type >= 0x66 && type <= 0x6B) ||
             (type >= 0x83 && type <= 0x8F) || (type >= 0xB6 && type <= 0xB7) ||
             (type >= 0xE4 && type <= 0xEF)) {
    sig = 2;
  } else if (type == 0x01 || type == 0x02) {
    // Family "Other"/"Unknown": the version string tells an x86 with CPUID.
    std::string v = b.string_text(s.byte(0x10));
    if (has_prefix(v, "Pentium III MMX") || has_prefix(v, "Intel(R) Core(TM)2") ||
        has_prefix(v, "Intel(R) Pentium(R)") || v == "Genuine Intel(R) CPU U1400")
      sig = 1;
    else if (has_prefix(v, "AMD Athlon(TM)") || has_prefix(v, "AMD Opteron(tm)") ||
             has_prefix(v, "Dual-Core AMD Opteron(tm)"))
      sig = 2;
    else
      return;
  } else {
    return;
  }
  std::string v;
  if (sig == 1)
    v = fmt("Type %u, Family %u, Model %u, Stepping %u", (eax >> 12) & 0x3,
            ((eax >> 20) & 0xFF) + ((eax >> 8) & 0x0F), ((eax >> 12) & 0xF0) + ((eax >> 4) & 0x0F),
            eax & 0xF);
  else
    v = fmt("Family %u, Model %u, Stepping %u",
            ((eax >> 8) & 0xF) + (((eax >> 8) & 0xF) == 0xF ? (eax >> 20) & 0xFF : 0),
            ((eax >> 4) & 0xF) | (((eax >> 8) & 0xF) == 0xF ? (eax >> 12) & 0xF0 : 0), eax & 0xF);
  b.add("Signature", v, "signature", v);
  if ((edx & 0xBFEFFBFF) == 0) b.list("Flags", {}, "flags");
  else b.list("Flags", bits(flags, edx), "flags");
}

void decode_processor(const Structure& s, Builder& b, std::uint16_t ver) {
  static constexpr std::array<const char*, 6> types = {"Other", "Unknown", "Central Processor",
                                                       "Math Processor", "DSP Processor", "Video Processor"};
  static constexpr std::array<const char*, 8> status = {
      "Unknown", "Enabled", "Disabled By User", "Disabled By BIOS", "Idle", k_out_of_spec, k_out_of_spec, "Other"};
  static constexpr std::array<const char*, 63> upgrades = {
      "Other", "Unknown", "Daughter Board", "ZIF Socket", "Replaceable Piggy Back", "None",
      "LIF Socket", "Slot 1", "Slot 2", "370-pin Socket", "Slot A", "Slot M", "Socket 423",
      "Socket A (Socket 462)", "Socket 478", "Socket 754", "Socket 940", "Socket 939",
      "Socket mPGA604", "Socket LGA771", "Socket LGA775", "Socket S1", "Socket AM2",
      "Socket F (1207)", "Socket LGA1366", "Socket G34", "Socket AM3", "Socket C32",
      "Socket LGA1156", "Socket LGA1567", "Socket PGA988A", "Socket BGA1288", "Socket rPGA988B",
      "Socket BGA1023", "Socket BGA1224", "Socket BGA1155", "Socket LGA1356", "Socket LGA2011",
      "Socket FS1", "Socket FS2", "Socket FM1", "Socket FM2", "Socket LGA2011-3",
      "Socket LGA1356-3", "Socket LGA1150", "Socket BGA1168", "Socket BGA1234", "Socket BGA1364",
      "Socket AM4", "Socket LGA1151", "Socket BGA1356", "Socket BGA1440", "Socket BGA1515",
      "Socket LGA3647-1", "Socket SP3", "Socket SP3r2", "Socket LGA2066", "Socket BGA1392",
      "Socket BGA1510", "Socket BGA1528", "Socket LGA4189", "Socket LGA1200", "Socket LGA4677"};
  static constexpr std::array<const char*, 8> chars = {
      "64-bit capable", "Multi-Core", "Hardware Thread", "Execute Protection",
      "Enhanced Virtualization", "Power/Performance Control", "128-bit Capable", "Arm64 SoC ID"};
  if (s.length < 0x1A) return;
  b.str("Socket Designation", "socket_designation", 0x04);
  b.add("Type", pick(types, s.byte(0x05)), "type", pick(types, s.byte(0x05)));
  auto family = family_name(s, b, ver);
  b.add("Family", family, "family", family);
  b.str("Manufacturer", "manufacturer", 0x07);
  processor_id(s, b);
  b.str("Version", "version", 0x10);
  std::uint8_t volt = s.byte(0x11);
  if (volt & 0x80) {
    double v = (volt & 0x7F) / 10.0;
    b.add("Voltage", fmt("%.1f V", v), "voltage_v", v);
  } else {
    static constexpr std::array<const char*, 3> legacy = {"5.0 V", "3.3 V", "2.9 V"};
    auto vs = bits(legacy, volt);
    std::string t;
    for (const auto& v : vs) t += (t.empty() ? "" : " ") + v;
    b.add("Voltage", (volt & 0x07) == 0 ? std::string("Unknown") : t);
  }
  auto mhz = [&](const char* label, const char* key, std::size_t off) {
    std::uint16_t v = s.word(off);
    b.add(label, v ? fmt("%u MHz", v) : "Unknown", key, v ? json(v) : json());
  };
  mhz("External Clock", "external_clock_mhz", 0x12);
  mhz("Max Speed", "max_speed_mhz", 0x14);
  mhz("Current Speed", "current_speed_mhz", 0x16);
  std::uint8_t st = s.byte(0x18);
  bool populated = st & (1 << 6);
  b.add("Status", populated ? std::string("Populated, ") + status[st & 7] : "Unpopulated", "status",
        populated ? status[st & 7] : "Unpopulated");
  b.fact("populated", populated);
  b.add("Upgrade", pick(upgrades, s.byte(0x19)), "upgrade", pick(upgrades, s.byte(0x19)));
  if (s.length < 0x20) return;
  const char* levels[] = {"L1", "L2", "L3"};
  const char* keys[] = {"l1_cache_handle", "l2_cache_handle", "l3_cache_handle"};
  for (int i = 0; i < 3; ++i) {
    std::uint16_t h = s.word(0x1A + 2 * i);
    std::string label = std::string(levels[i]) + " Cache Handle";
    std::string text = h != 0xFFFF ? handle_text(h) : ver >= 0x0203 ? "Not Provided" : fmt("No %s Cache", levels[i]);
    b.record().fields.push_back({label, text, {}});
    if (h != 0xFFFF) b.fact(keys[i], handle_text(h));
  }
  if (s.length < 0x23) return;
  b.str("Serial Number", "serial_number", 0x20);
  b.str("Asset Tag", "asset_tag", 0x21);
  b.str("Part Number", "part_number", 0x22);
  if (s.length < 0x28) return;
  auto count = [&](const char* label, const char* key, std::size_t off, std::size_t ext_off) {
    unsigned v = s.byte(off);
    if (v == 0) return;
    if (s.length >= ext_off + 2 && v == 0xFF) v = s.word(ext_off);
    b.add(label, std::to_string(v), key, v);
  };
  count("Core Count", "core_count", 0x23, 0x2A);
  count("Core Enabled", "core_enabled", 0x24, 0x2C);
  count("Thread Count", "thread_count", 0x25, 0x2E);
  std::uint16_t c = s.word(0x26);
  b.list("Characteristics", (c & 0xFC) ? bits(chars, c, 2) : std::vector<std::string>{}, "characteristics");
}

// ---- type 7: cache

void decode_cache(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 4> modes = {"Write Through", "Write Back",
                                                       "Varies With Memory Address", "Unknown"};
  static constexpr std::array<const char*, 4> locations = {"Internal", "External", k_out_of_spec, "Unknown"};
  static constexpr std::array<const char*, 7> sram = {"Other", "Unknown", "Non-burst", "Burst",
                                                      "Pipeline Burst", "Synchronous", "Asynchronous"};
  static constexpr std::array<const char*, 6> ecc = {"Other", "Unknown", "None", "Parity",
                                                     "Single-bit ECC", "Multi-bit ECC"};
  static constexpr std::array<const char*, 5> systypes = {"Other", "Unknown", "Instruction", "Data", "Unified"};
  static constexpr std::array<const char*, 14> assoc = {
      "Other", "Unknown", "Direct Mapped", "2-way Set-associative", "4-way Set-associative",
      "Fully Associative", "8-way Set-associative", "16-way Set-associative",
      "12-way Set-associative", "24-way Set-associative", "32-way Set-associative",
      "48-way Set-associative", "64-way Set-associative", "20-way Set-associative"};
  if (s.length < 0x0F) return;
  b.str("Socket Designation", "socket_designation", 0x04);
  std::uint16_t cfg = s.word(0x05);
  bool enabled = cfg & 0x80, socketed = cfg & 0x08;
  unsigned level = (cfg & 7) + 1;
  b.add("Configuration", fmt("%s, %s, Level %u", enabled ? "Enabled" : "Disabled",
                             socketed ? "Socketed" : "Not Socketed", level));
  b.fact("enabled", enabled);
  b.fact("socketed", socketed);
  b.fact("level", level);
  b.add("Operational Mode", modes[(cfg >> 8) & 3], "operational_mode", modes[(cfg >> 8) & 3]);
  b.add("Location", locations[(cfg >> 5) & 3], "location", locations[(cfg >> 5) & 3]);
  // Sizes in kB; bit 15 (31 in the 3.1 fields) means 64 kB granularity.
  auto size = [&](const char* label, const char* key, std::uint32_t code) {
    std::uint64_t kb = code & 0x80000000u ? static_cast<std::uint64_t>(code & 0x7FFFFFFFu) << 6 : code;
    b.add(label, size_text(kb, 1), key, kb * 1024);
  };
  auto code16 = [](std::uint16_t c) { return (static_cast<std::uint32_t>(c & 0x8000) << 16) | (c & 0x7FFFu); };
  size("Installed Size", "installed_size_bytes", s.length >= 0x1B ? s.dword(0x17) : code16(s.word(0x09)));
  size("Maximum Size", "maximum_size_bytes", s.length >= 0x17 ? s.dword(0x13) : code16(s.word(0x07)));
  std::uint16_t sup = s.word(0x0B), inst = s.word(0x0D);
  b.list("Supported SRAM Types", (sup & 0x7F) ? bits(sram, sup) : std::vector<std::string>{}, "supported_sram_types");
  {
    auto v = bits(sram, inst);
    std::string t;
    for (const auto& x : v) t += (t.empty() ? "" : " ") + x;
    b.add("Installed SRAM Type", (inst & 0x7F) ? t : "None", "installed_sram_type", (inst & 0x7F) ? json(t) : json());
  }
  if (s.length < 0x13) return;
  std::uint8_t speed = s.byte(0x0F);
  b.add("Speed", speed ? fmt("%u ns", speed) : "Unknown", "speed_ns", speed ? json(speed) : json());
  b.add("Error Correction Type", pick(ecc, s.byte(0x10)), "error_correction_type", pick(ecc, s.byte(0x10)));
  b.add("System Type", pick(systypes, s.byte(0x11)), "system_type", pick(systypes, s.byte(0x11)));
  b.add("Associativity", pick(assoc, s.byte(0x12)), "associativity", pick(assoc, s.byte(0x12)));
}

// ---- type 9: system slots

const char* slot_type(std::uint8_t code) {
  static constexpr std::array<const char*, 40> low = {
      "Other", "Unknown", "ISA", "MCA", "EISA", "PCI", "PC Card (PCMCIA)", "VLB", "Proprietary",
      "Processor Card", "Proprietary Memory Card", "I/O Riser Card", "NuBus", "PCI-66", "AGP",
      "AGP 2x", "AGP 4x", "PCI-X", "AGP 8x", "M.2 Socket 1-DP", "M.2 Socket 1-SD", "M.2 Socket 2",
      "M.2 Socket 3", "MXM Type I", "MXM Type II", "MXM Type III", "MXM Type III-HE", "MXM Type IV",
      "MXM 3.0 Type A", "MXM 3.0 Type B", "PCI Express 2 SFF-8639 (U.2)",
      "PCI Express 3 SFF-8639 (U.2)", "PCI Express Mini 52-pin with bottom-side keep-outs",
      "PCI Express Mini 52-pin without bottom-side keep-outs", "PCI Express Mini 76-pin",
      "PCI Express 4 SFF-8639 (U.2)", "PCI Express 5 SFF-8639 (U.2)",
      "OCP NIC 3.0 Small Form Factor (SFF)", "OCP NIC 3.0 Large Form Factor (LFF)",
      "OCP NIC Prior to 3.0"};
  static constexpr std::array<const char*, 39> high = {
      "PC-98/C20", "PC-98/C24", "PC-98/E", "PC-98/Local Bus", "PC-98/Card", "PCI Express",
      "PCI Express x1", "PCI Express x2", "PCI Express x4", "PCI Express x8", "PCI Express x16",
      "PCI Express 2", "PCI Express 2 x1", "PCI Express 2 x2", "PCI Express 2 x4",
      "PCI Express 2 x8", "PCI Express 2 x16", "PCI Express 3", "PCI Express 3 x1",
      "PCI Express 3 x2", "PCI Express 3 x4", "PCI Express 3 x8", "PCI Express 3 x16", nullptr,
      "PCI Express 4", "PCI Express 4 x1", "PCI Express 4 x2", "PCI Express 4 x4",
      "PCI Express 4 x8", "PCI Express 4 x16", "PCI Express 5", "PCI Express 5 x1",
      "PCI Express 5 x2", "PCI Express 5 x4", "PCI Express 5 x8", "PCI Express 5 x16",
      "PCI Express 6+", "EDSFF E1", "EDSFF E3"};
  if (code == 0x30) return "CXL FLexbus 1.0";  // sic: dmidecode 3.4's spelling
  if (code >= 0xA0) return pick(high, code, 0xA0);
  return pick(low, code);
}

std::string bus_address(std::uint16_t seg, std::uint8_t bus, std::uint8_t devfn) {
  return fmt("%04x:%02x:%02x.%x", seg, bus, devfn >> 3, devfn & 7);
}

void decode_slot(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 14> widths = {
      "", "", "8-bit ", "16-bit ", "32-bit ", "64-bit ", "128-bit ", "x1 ", "x2 ", "x4 ", "x8 ",
      "x12 ", "x16 ", "x32 "};
  static constexpr std::array<const char*, 5> usage = {"Other", "Unknown", "Available", "In Use", "Unavailable"};
  static constexpr std::array<const char*, 6> lengths = {"Other", "Unknown", "Short", "Long",
                                                         "2.5\" drive form factor", "3.5\" drive form factor"};
  static constexpr std::array<const char*, 7> c1 = {
      "5.0 V is provided", "3.3 V is provided", "Opening is shared", "PC Card-16 is supported",
      "Cardbus is supported", "Zoom Video is supported", "Modem ring resume is supported"};
  static constexpr std::array<const char*, 7> c2 = {
      "PME signal is supported", "Hot-plug devices are supported", "SMBus signal is supported",
      "PCIe slot bifurcation is supported", "Async/surprise removal is supported",
      "Flexbus slot, CXL 1.0 capable", "Flexbus slot, CXL 2.0 capable"};
  if (s.length < 0x0C) return;
  b.str("Designation", "designation", 0x04);
  std::uint8_t type = s.byte(0x05);
  std::string width = pick(widths, s.byte(0x06));
  if (width == k_out_of_spec) width += ' ';
  std::string t = width + slot_type(type);
  b.add("Type", t, "type", t);
  b.add("Current Usage", pick(usage, s.byte(0x07)), "current_usage", pick(usage, s.byte(0x07)));
  b.add("Length", pick(lengths, s.byte(0x08)), "length", pick(lengths, s.byte(0x08)));
  std::uint8_t id1 = s.byte(0x09), id2 = s.byte(0x0A);
  bool numeric_id = type == 0x04 || type == 0x05 || type == 0x06 || type == 0x0E ||
                    (type >= 0x0F && type <= 0x13) || (type >= 0x1F && type <= 0x23) ||
                    (type >= 0xA5 && type <= 0xB6) || (type >= 0xB8 && type <= 0xC4);
  if (numeric_id) b.add("ID", std::to_string(id1), "id", id1);
  else if (type == 0x07) b.add("ID", fmt("Adapter %u, Socket %u", id1, id2), "id", fmt("Adapter %u, Socket %u", id1, id2));
  std::uint8_t ch1 = s.byte(0x0B), ch2 = s.length < 0x0D ? 0 : s.byte(0x0C);
  if (ch1 & 1) {
    b.add("Characteristics", "Unknown");
  } else {
    auto items = bits(c1, ch1, 1);
    for (auto& v : bits(c2, ch2)) items.push_back(v);
    b.list("Characteristics", items, "characteristics");
  }
  if (s.length < 0x11) return;
  std::uint16_t seg = s.word(0x0D);
  std::uint8_t bus = s.byte(0x0F), devfn = s.byte(0x10);
  if (!(seg == 0xFFFF && bus == 0xFF && devfn == 0xFF))
    b.add("Bus Address", bus_address(seg, bus, devfn), "bus_address", bus_address(seg, bus, devfn));
}

// ---- type 16: physical memory array

constexpr std::array<const char*, 7> k_array_ecc = {"Other", "Unknown", "None", "Parity",
                                                    "Single-bit ECC", "Multi-bit ECC", "CRC"};

std::string error_handle_text(std::uint16_t h) {
  return h == 0xFFFE ? "Not Provided" : h == 0xFFFF ? "No Error" : handle_text(h);
}

void decode_memory_array(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 10> loc = {
      "Other", "Unknown", "System Board Or Motherboard", "ISA Add-on Card", "EISA Add-on Card",
      "PCI Add-on Card", "MCA Add-on Card", "PCMCIA Add-on Card", "Proprietary Add-on Card", "NuBus"};
  static constexpr std::array<const char*, 5> loc_a0 = {"PC-98/C20 Add-on Card", "PC-98/C24 Add-on Card",
                                                        "PC-98/E Add-on Card", "PC-98/Local Bus Add-on Card",
                                                        "CXL Flexbus 1.0"};
  static constexpr std::array<const char*, 7> use = {"Other", "Unknown", "System Memory", "Video Memory",
                                                     "Flash Memory", "Non-volatile RAM", "Cache Memory"};
  if (s.length < 0x0F) return;
  std::uint8_t l = s.byte(0x04);
  const char* location = l >= 0xA0 ? pick(loc_a0, l, 0xA0) : pick(loc, l);
  b.add("Location", location, "location", location);
  b.add("Use", pick(use, s.byte(0x05)), "use", pick(use, s.byte(0x05)));
  b.add("Error Correction Type", pick(k_array_ecc, s.byte(0x06)), "error_correction_type",
        pick(k_array_ecc, s.byte(0x06)));
  std::uint32_t cap = s.dword(0x07);
  if (cap == 0x80000000u) {
    if (s.length < 0x17) {
      b.add("Maximum Capacity", "Unknown");
    } else {
      std::uint64_t bytes = s.qword(0x0F);
      b.add("Maximum Capacity", size_text(bytes, 0), "maximum_capacity_bytes", bytes);
    }
  } else {
    b.add("Maximum Capacity", size_text(cap, 1), "maximum_capacity_bytes", static_cast<std::uint64_t>(cap) * 1024);
  }
  b.add("Error Information Handle", error_handle_text(s.word(0x0B)));
  b.add("Number Of Devices", std::to_string(s.word(0x0D)), "number_of_devices", s.word(0x0D));
}

// ---- type 17: memory device

void decode_memory_device(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 16> form = {
      "Other", "Unknown", "SIMM", "SIP", "Chip", "DIP", "ZIP", "Proprietary Card", "DIMM", "TSOP",
      "Row Of Chips", "RIMM", "SODIMM", "SRIMM", "FB-DIMM", "Die"};
  static constexpr std::array<const char*, 35> types = {
      "Other", "Unknown", "DRAM", "EDRAM", "VRAM", "SRAM", "RAM", "ROM", "Flash", "EEPROM",
      "FEPROM", "EPROM", "CDRAM", "3DRAM", "SDRAM", "SGRAM", "RDRAM", "DDR", "DDR2",
      "DDR2 FB-DIMM", "Reserved", "Reserved", "Reserved", "DDR3", "FBD2", "DDR4", "LPDDR",
      "LPDDR2", "LPDDR3", "LPDDR4", "Logical non-volatile device", "HBM", "HBM2", "DDR5", "LPDDR5"};
  static constexpr std::array<const char*, 15> detail = {
      "Other", "Unknown", "Fast-paged", "Static Column", "Pseudo-static", "RAMBus", "Synchronous",
      "CMOS", "EDO", "Window DRAM", "Cache DRAM", "Non-Volatile", "Registered (Buffered)",
      "Unbuffered (Unregistered)", "LRDIMM"};
  if (s.length < 0x15) return;
  b.add("Array Handle", handle_text(s.word(0x04)), "array_handle", handle_text(s.word(0x04)));
  b.add("Error Information Handle", error_handle_text(s.word(0x06)));
  auto width = [&](const char* label, const char* key, std::uint16_t w) {
    bool known = w != 0xFFFF && w != 0;
    b.add(label, known ? fmt("%u bits", w) : "Unknown", key, known ? json(w) : json());
  };
  width("Total Width", "total_width_bits", s.word(0x08));
  width("Data Width", "data_width_bits", s.word(0x0A));
  std::uint16_t sz = s.word(0x0C);
  if (s.length >= 0x20 && sz == 0x7FFF) {
    std::uint64_t mb = s.dword(0x1C) & 0x7FFFFFFFu;
    std::string t = mb & 0x3FF ? fmt("%lu MB", static_cast<unsigned long>(mb))
                    : mb & 0xFFC00 ? fmt("%lu GB", static_cast<unsigned long>(mb >> 10))
                                   : fmt("%lu TB", static_cast<unsigned long>(mb >> 20));
    b.add("Size", t, "size_bytes", mb << 20);
  } else if (sz == 0) {
    b.add("Size", "No Module Installed", "size_bytes", 0);
  } else if (sz == 0xFFFF) {
    b.add("Size", "Unknown");
  } else {
    std::uint64_t kb = sz & 0x8000 ? (sz & 0x7FFFu) : static_cast<std::uint64_t>(sz) << 10;
    b.add("Size", size_text(kb, 1), "size_bytes", kb * 1024);
  }
  b.add("Form Factor", pick(form, s.byte(0x0E)), "form_factor", pick(form, s.byte(0x0E)));
  std::uint8_t set = s.byte(0x0F);
  b.add("Set", set == 0 ? std::string("None") : set == 0xFF ? std::string("Unknown") : std::to_string(set), "set",
        set == 0 || set == 0xFF ? json() : json(set));
  b.str("Locator", "locator", 0x10);
  b.str("Bank Locator", "bank_locator", 0x11);
  b.add("Type", pick(types, s.byte(0x12)), "type", pick(types, s.byte(0x12)));
  std::uint16_t td = s.word(0x13);
  {
    auto v = bits(detail, td, 1);
    std::string t;
    for (const auto& x : v) t += (t.empty() ? "" : " ") + x;
    b.add("Type Detail", (td & 0xFFFE) ? t : "None");
    b.fact("type_detail", v);
  }
  if (sz == 0) return;  // empty slot: the remaining fields describe no module
  if (s.length < 0x17) return;
  // 0xFFFF: the 3.3+ extended speed holds it, read only from structures
  // long enough for both extended speeds (0x5C), as dmidecode does.
  auto speed = [&](const char* label, const char* key, std::size_t off, std::size_t ext_off) {
    std::uint32_t v = s.word(off);
    if (v == 0xFFFF) v = s.length >= 0x5C ? s.dword(ext_off) : 0;
    b.add(label, v ? fmt("%u MT/s", v) : "Unknown", key, v ? json(v) : json());
  };
  speed("Speed", "speed_mts", 0x15, 0x54);
  if (s.length < 0x1B) return;
  b.str("Manufacturer", "manufacturer", 0x17);
  b.str("Serial Number", "serial_number", 0x18);
  b.str("Asset Tag", "asset_tag", 0x19);
  b.str("Part Number", "part_number", 0x1A);
  if (s.length < 0x1C) return;
  unsigned rank = s.byte(0x1B) & 0x0F;
  b.add("Rank", rank ? std::to_string(rank) : "Unknown", "rank", rank ? json(rank) : json());
  if (s.length < 0x22) return;
  speed("Configured Memory Speed", "configured_speed_mts", 0x20, 0x58);
  if (s.length < 0x28) return;
  auto volt = [&](const char* label, const char* key, std::uint16_t mv) {
    if (mv == 0) return b.add(label, "Unknown");
    b.add(label, fmt(mv % 100 ? "%g V" : "%.1f V", mv / 1000.0), key, mv / 1000.0);
  };
  volt("Minimum Voltage", "minimum_voltage_v", s.word(0x22));
  volt("Maximum Voltage", "maximum_voltage_v", s.word(0x24));
  volt("Configured Voltage", "configured_voltage_v", s.word(0x26));
  if (s.length < 0x34) return;
  // SMBIOS 3.2: memory technology, operating modes, firmware, JEDEC IDs.
  static constexpr std::array<const char*, 7> technology = {
      "Other", "Unknown", "DRAM", "NVDIMM-N", "NVDIMM-F", "NVDIMM-P", "Intel Optane DC persistent memory"};
  static constexpr std::array<const char*, 5> modes = {
      "Other", "Unknown", "Volatile memory", "Byte-accessible persistent memory",
      "Block-accessible persistent memory"};
  b.add("Memory Technology", pick(technology, s.byte(0x28)), "memory_technology", pick(technology, s.byte(0x28)));
  {
    std::uint16_t m = s.word(0x29);
    auto v = bits(modes, m, 1);
    std::string t;
    for (const auto& x : v) t += (t.empty() ? "" : " ") + x;
    b.add("Memory Operating Mode Capability", (m & 0xFFFE) ? t : "None");
    b.fact("operating_mode_capability", v);
  }
  b.str("Firmware Version", "firmware_version", 0x2B);
  // JEDEC JEP106: low byte = continuation codes (bank - 1) with odd parity
  // in bit 7, high byte = the manufacturer code in that bank.
  auto jedec = [&](const char* label, const char* key, std::uint16_t code) {
    if (code == 0) return b.add(label, "Unknown");
    auto t = fmt("Bank %d, Hex 0x%02X", (code & 0x7F) + 1, code >> 8);
    b.add(label, t, key, t);
  };
  auto product = [&](const char* label, const char* key, std::uint16_t code) {
    if (code == 0) return b.add(label, "Unknown");
    b.add(label, fmt("0x%04X", code), key, fmt("0x%04X", code));
  };
  jedec("Module Manufacturer ID", "module_manufacturer_id", s.word(0x2C));
  product("Module Product ID", "module_product_id", s.word(0x2E));
  jedec("Memory Subsystem Controller Manufacturer ID", "subsystem_controller_manufacturer_id", s.word(0x30));
  product("Memory Subsystem Controller Product ID", "subsystem_controller_product_id", s.word(0x32));
  // Sizes of the module's regions in bytes: all ones unknown, zero none.
  auto region = [&](const char* label, const char* key, std::size_t off) {
    std::uint64_t v = s.qword(off);
    if (v == ~std::uint64_t{0}) return b.add(label, "Unknown");
    if (v == 0) return b.add(label, "None", key, 0);
    b.add(label, size_text(v, 0), key, v);
  };
  if (s.length < 0x3C) return;
  region("Non-Volatile Size", "non_volatile_size_bytes", 0x34);
  if (s.length < 0x44) return;
  region("Volatile Size", "volatile_size_bytes", 0x3C);
  if (s.length < 0x4C) return;
  region("Cache Size", "cache_size_bytes", 0x44);
  if (s.length < 0x54) return;
  region("Logical Size", "logical_size_bytes", 0x4C);
  // SMBIOS 3.7 (DDR5): power management IC and registering clock driver
  // (0x54..0x5B are the 3.3 extended speeds, printed with Speed above).
  // dmidecode 3.4 predates them; the revision is the SPD byte, 0xFF00 unknown.
  if (s.length < 0x64) return;
  auto revision = [&](const char* label, const char* key, std::uint16_t code) {
    if (code == 0xFF00) return b.add(label, "Unknown");
    b.add(label, fmt("0x%02X", code & 0xFF), key, fmt("0x%02X", code & 0xFF));
  };
  jedec("PMIC0 Manufacturer ID", "pmic0_manufacturer_id", s.word(0x5C));
  revision("PMIC0 Revision Number", "pmic0_revision", s.word(0x5E));
  jedec("RCD Manufacturer ID", "rcd_manufacturer_id", s.word(0x60));
  revision("RCD Revision Number", "rcd_revision", s.word(0x62));
}

// ---- type 19: memory array mapped address

void decode_mapped_address(const Structure& s, Builder& b) {
  if (s.length < 0x0F) return;
  if (s.length >= 0x1F && s.dword(0x04) == 0xFFFFFFFFu) {
    std::uint64_t start = s.qword(0x0F), end = s.qword(0x17);
    // The 64-bit fields are in bytes; dmidecode still prints a "k" after them.
    b.add("Starting Address", fmt("0x%016llXk", static_cast<unsigned long long>(start)), "start_address", start);
    b.add("Ending Address", fmt("0x%016llXk", static_cast<unsigned long long>(end)), "end_address", end);
    if (start == end) b.add("Range Size", "Invalid");
    else b.add("Range Size", size_text(end - start + 1, 0), "range_size_bytes", end - start + 1);
  } else {
    std::uint64_t start = static_cast<std::uint64_t>(s.dword(0x04)) << 10;
    std::uint64_t end = (static_cast<std::uint64_t>(s.dword(0x08)) << 10) + 0x3FF;
    b.add("Starting Address", fmt("0x%08X%03X", s.dword(0x04) >> 2, (s.dword(0x04) & 3) << 10), "start_address", start);
    b.add("Ending Address", fmt("0x%08X%03X", s.dword(0x08) >> 2, ((s.dword(0x08) & 3) << 10) + 0x3FF),
          "end_address", end);
    std::uint32_t kb = s.dword(0x08) - s.dword(0x04) + 1;
    if (kb == 0) b.add("Range Size", "Invalid");
    else b.add("Range Size", size_text(kb, 1), "range_size_bytes", static_cast<std::uint64_t>(kb) * 1024);
  }
  b.add("Physical Array Handle", handle_text(s.word(0x0C)), "array_handle", handle_text(s.word(0x0C)));
  b.add("Partition Width", std::to_string(s.byte(0x0E)), "partition_width", s.byte(0x0E));
}

// ---- type 38: IPMI

void decode_ipmi(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 5> types = {
      "Unknown", "KCS (Keyboard Control Style)", "SMIC (Server Management Interface Chip)",
      "BT (Block Transfer)", "SSIF (SMBus System Interface)"};
  static constexpr std::array<const char*, 4> spacing = {"Successive Byte Boundaries", "32-bit Boundaries",
                                                         "16-byte Boundaries", k_out_of_spec};
  if (s.length < 0x10) return;
  std::uint8_t type = s.byte(0x04);
  b.add("Interface Type", pick(types, type, 0), "interface_type", pick(types, type, 0));
  auto spec = fmt("%u.%u", s.byte(0x05) >> 4, s.byte(0x05) & 0x0F);
  b.add("Specification Version", spec, "specification_version", spec);
  auto i2c = fmt("0x%02x", s.byte(0x06) >> 1);
  b.add("I2C Slave Address", i2c, "i2c_slave_address", i2c);
  if (s.byte(0x07) != 0xFF)
    b.add("NV Storage Device Address", std::to_string(s.byte(0x07)), "nv_storage_device_address", s.byte(0x07));
  else
    b.add("NV Storage Device", "Not Present");
  std::string base;
  if (type == 0x04) {
    base = fmt("0x%02X (SMBus)", s.byte(0x08) >> 1);
  } else {
    std::uint64_t a = s.qword(0x08);
    unsigned lsb = s.length < 0x11 ? 0 : (s.byte(0x10) >> 4) & 1;
    base = fmt("0x%016llX (%s)", static_cast<unsigned long long>((a & ~1ull) | lsb),
               a & 1 ? "I/O" : "Memory-mapped");
  }
  b.add("Base Address", base, "base_address", base);
  if (s.length < 0x12) return;
  std::uint8_t m = s.byte(0x10);
  if (type != 0x04) {
    b.add("Register Spacing", spacing[m >> 6], "register_spacing", spacing[m >> 6]);
    if (m & (1 << 3)) {
      const char* pol = m & 2 ? "Active High" : "Active Low";
      const char* trig = m & 1 ? "Level" : "Edge";
      b.add("Interrupt Polarity", pol, "interrupt_polarity", pol);
      b.add("Interrupt Trigger Mode", trig, "interrupt_trigger_mode", trig);
    }
  }
  if (s.byte(0x11) != 0) b.add("Interrupt Number", std::to_string(s.byte(0x11)), "interrupt_number", s.byte(0x11));
}

// ---- type 41: onboard device

void decode_onboard(const Structure& s, Builder& b) {
  static constexpr std::array<const char*, 17> types = {
      "Other", "Unknown", "Video", "SCSI Controller", "Ethernet", "Token Ring", "Sound",
      "PATA Controller", "SATA Controller", "SAS Controller", "Wireless LAN", "Bluetooth", "WWAN",
      "eMMC", "NVMe Controller", "UFS Controller", nullptr};
  if (s.length < 0x0B) return;
  b.str("Reference Designation", "reference_designation", 0x04);
  const char* type = pick(types, s.byte(0x05) & 0x7F);
  b.add("Type", type, "type", type);
  bool enabled = s.byte(0x05) & 0x80;
  b.add("Status", enabled ? "Enabled" : "Disabled", "enabled", enabled);
  b.add("Type Instance", std::to_string(s.byte(0x06)), "type_instance", s.byte(0x06));
  std::uint16_t seg = s.word(0x07);
  std::uint8_t bus = s.byte(0x09), devfn = s.byte(0x0A);
  if (!(seg == 0xFFFF && bus == 0xFF && devfn == 0xFF))
    b.add("Bus Address", bus_address(seg, bus, devfn), "bus_address", bus_address(seg, bus, devfn));
}

struct TypeInfo {
  std::uint8_t type;
  const char* name;
};
constexpr TypeInfo k_types[] = {
    {0, "BIOS Information"}, {1, "System Information"}, {2, "Base Board Information"},
    {3, "Chassis Information"}, {4, "Processor Information"}, {7, "Cache Information"},
    {9, "System Slot Information"}, {16, "Physical Memory Array"}, {17, "Memory Device"},
    {19, "Memory Array Mapped Address"}, {38, "IPMI Device Information"}, {41, "Onboard Device"}};

}  // namespace

const Field* Record::field(std::string_view label) const {
  for (const auto& f : fields)
    if (f.label == label) return &f;
  return nullptr;
}

const char* chassis_type_name(std::uint8_t code) { return pick(k_chassis_types, code & 0x7F); }

bool is_decoded_type(std::uint8_t type) {
  return std::any_of(std::begin(k_types), std::end(k_types), [&](const TypeInfo& t) { return t.type == type; });
}

std::optional<Record> decode(const Structure& s, std::uint16_t version) {
  const TypeInfo* info = nullptr;
  for (const auto& t : k_types)
    if (t.type == s.type) info = &t;
  if (!info) return std::nullopt;
  Record r;
  r.type = s.type;
  r.handle = s.handle;
  r.length = s.length;
  r.name = info->name;
  r.facts["handle"] = handle_text(s.handle);
  Builder b(s, r);
  switch (s.type) {
    case 0: decode_bios(s, b); break;
    case 1: decode_system(s, b, version); break;
    case 2: decode_baseboard(s, b); break;
    case 3: decode_chassis(s, b); break;
    case 4: decode_processor(s, b, version); break;
    case 7: decode_cache(s, b); break;
    case 9: decode_slot(s, b); break;
    case 16: decode_memory_array(s, b); break;
    case 17: decode_memory_device(s, b); break;
    case 19: decode_mapped_address(s, b); break;
    case 38: decode_ipmi(s, b); break;
    case 41: decode_onboard(s, b); break;
  }
  return r;
}

Result<Tables> decode_tables(std::span<const std::uint8_t> entry_point, std::span<const std::uint8_t> table) {
  Tables t;
  auto ep = parse_entry_point(entry_point, t.warnings);
  if (!ep) return ep.error();
  t.entry_point = *ep;
  auto structures = walk(table, *ep, t.warnings);
  t.structure_count = structures.size();
  for (const auto& s : structures)
    if (auto r = decode(s, ep->version())) t.records.push_back(std::move(*r));
  return t;
}

}  // namespace certify::probe::smbios
