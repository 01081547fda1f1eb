// Builds SMBIOS tables and entry points byte by byte for tests and fuzz
// seeds: a table covering every decoded type (SMBIOS 2.x or 3.x layouts) and
// a sweep of every enum code, laid out per DSP0134.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace certify::test::smbios_build {

using Bytes = std::vector<std::uint8_t>;

struct Table {
  Bytes bytes;
  std::vector<std::size_t> offsets;  // where each structure starts
  std::size_t count = 0;

  // formatted: the bytes after the 4-byte header; strings: the string set.
  void add(std::uint8_t type, std::uint16_t handle, const Bytes& formatted,
           const std::vector<std::string>& strings = {});
  void end(std::uint16_t handle = 0xFEFF);  // type 127, End-of-Table
};

// Formatted area of `length` bytes (header included) addressed by the
// specification's absolute offsets.
class Area {
 public:
  explicit Area(std::size_t length) : b_(length - 4, 0) {}
  Area& b(std::size_t off, std::uint8_t v);
  Area& w(std::size_t off, std::uint16_t v);
  Area& d(std::size_t off, std::uint32_t v);
  Area& q(std::size_t off, std::uint64_t v);
  operator const Bytes&() const { return b_; }  // NOLINT: used as Table::add's argument

 private:
  Bytes b_;
};

// Sets b[at] so that b[start, start+len) sums to 0 mod 256.
void fix_checksum(Bytes& b, std::size_t start, std::size_t len, std::size_t at);
// "_SM_" + "_DMI_" entry point (31 bytes) announcing `t`.
Bytes entry_point_2(const Table& t, int major, int minor);
// "_SM3_" entry point (24 bytes) with the table's size as maximum.
Bytes entry_point_3(const Table& t, int major, int minor, int docrev);

// Type 17 formatted area of `length` bytes: array 0x1000, widths 72/64,
// strings 1-6 (locator, bank, manufacturer, serial, asset tag, part), rank 2,
// 1.1/1.25/1.2 V; fields beyond `length` left out.
Bytes memory_device(std::size_t length, std::uint16_t size, std::uint32_t ext_size, std::uint16_t speed,
                    std::uint32_t ext_speed, std::uint8_t type, std::uint16_t detail);

// Type 1 formatted area (0x1B bytes): strings 1-6, UUID 00 11 .. FF, power switch.
Bytes system_info();

// Every decoded type, several variants each (extended sizes, speeds and
// counts, signatures of Intel/AMD/ARM processors, empty DIMM slot, ...).
Table full_table(std::uint16_t version);
// Every code of every enum field we decode, one structure each.
Table sweep_table();

}  // namespace certify::test::smbios_build
