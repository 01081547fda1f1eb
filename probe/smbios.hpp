// SMBIOS decoder: entry points (2.x "_SM_"/"_DMI_", 3.x "_SM3_"), the
// structure walk and the types certify reports (0, 1, 2, 3, 4, 7, 9, 16, 17,
// 19, 38, 41), decoded the way dmidecode prints them.
//
// Why our own: no Debian package ships dmidecode's decoder as a library
// (dmidecode is a program only; libsmbios is gone from Debian), and parsing
// dmidecode's text is what STYLE.md forbids. This works on byte buffers, so a
// sysroot, a test and a fuzzer all feed it the same way. Nothing here throws:
// a malformed table gives warnings and whatever could be decoded safely.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace certify::probe::smbios {

struct EntryPoint {
  enum class Kind { smbios2, legacy_dmi, smbios3 } kind = Kind::smbios2;
  int major = 0, minor = 0, docrev = 0;
  std::uint64_t table_address = 0;
  // 2.x: exact table length in bytes; 3.x: maximum table size in bytes.
  std::uint32_t table_length = 0;
  // 2.x only: number of structures announced (3.x has no count).
  std::optional<std::uint16_t> structure_count;

  // 0x0208 for SMBIOS 2.8 (dmidecode's comparisons use major.minor only).
  std::uint16_t version() const;
  // "2.8" or "3.2.0", as dmidecode prints it after "SMBIOS".
  std::string version_text() const;
};

// The smbios_entry_point file. Bad checksums and odd lengths are warnings;
// an unknown anchor or a buffer too short for the fields is an error.
Result<EntryPoint> parse_entry_point(std::span<const std::uint8_t> data,
                                     std::vector<std::string>& warnings);

// One structure of the table. `data` views the formatted area (header
// included) inside the caller's table buffer, which must outlive it.
struct Structure {
  std::uint8_t type = 0;
  std::uint8_t length = 0;
  std::uint16_t handle = 0;
  std::span<const std::uint8_t> data;
  std::vector<std::string> strings;  // the string set, raw bytes, 1-based in SMBIOS

  // Bounds-checked little-endian reads of the formatted area: 0 past its end.
  std::uint8_t byte(std::size_t off) const;
  std::uint16_t word(std::size_t off) const;
  std::uint32_t dword(std::size_t off) const;
  std::uint64_t qword(std::size_t off) const;
};

// Walks the table (the DMI file). Stops at a structure shorter than its
// header, at one whose string set runs past the end, at the announced count
// (2.x) or at End-of-Table (3.x); each irregularity is a warning.
std::vector<Structure> walk(std::span<const std::uint8_t> table, const EntryPoint& ep,
                            std::vector<std::string>& warnings);

// One line of dmidecode's output for a structure: "\tLabel: text", and for
// lists the indented items under it.
struct Field {
  std::string label;
  std::string text;
  std::vector<std::string> items;
};

struct Record {
  std::uint8_t type = 0;
  std::uint16_t handle = 0;
  std::uint8_t length = 0;
  std::string name;           // dmidecode's heading ("Memory Device")
  std::vector<Field> fields;  // in dmidecode's order
  // Typed facts for the inventory: strings as printed, sizes in bytes,
  // speeds in MHz or MT/s, absent when the firmware says "Not Specified"/"Unknown".
  nlohmann::json facts = nlohmann::json::object();

  const Field* field(std::string_view label) const;
};

// Decodes one structure of a decoded type; nullopt for the other types.
// `version` is EntryPoint::version().
std::optional<Record> decode(const Structure& s, std::uint16_t version);

// Chassis type name (DSP0134 7.4.1) for a type code, lock bit ignored.
const char* chassis_type_name(std::uint8_t code);

// Types decode() understands.
bool is_decoded_type(std::uint8_t type);

struct Tables {
  EntryPoint entry_point;
  std::size_t structure_count = 0;  // structures walked, all types
  std::vector<Record> records;      // decoded types only, in table order
  std::vector<std::string> warnings;
};

// Entry point + table buffers -> decoded records. An error only when the
// entry point cannot be read at all.
Result<Tables> decode_tables(std::span<const std::uint8_t> entry_point,
                             std::span<const std::uint8_t> table);

// dmidecode's size text: value in bytes (shift 0) or kB (shift 1), printed in
// the largest unit that keeps it exact over two 1024 steps ("2 GB", "1536 MB").
std::string size_text(std::uint64_t value, int shift);

}  // namespace certify::probe::smbios
