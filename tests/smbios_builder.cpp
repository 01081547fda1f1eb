// SMBIOS table builder for tests and fuzz seeds (see smbios_builder.hpp).
#include "tests/smbios_builder.hpp"

#include <algorithm>

namespace certify::test::smbios_build {

void Table::add(std::uint8_t type, std::uint16_t handle, const Bytes& formatted,
                const std::vector<std::string>& strings) {
  offsets.push_back(bytes.size());
  bytes.push_back(type);
  bytes.push_back(static_cast<std::uint8_t>(formatted.size() + 4));
  bytes.push_back(static_cast<std::uint8_t>(handle));
  bytes.push_back(static_cast<std::uint8_t>(handle >> 8));
  bytes.insert(bytes.end(), formatted.begin(), formatted.end());
  for (const auto& s : strings) {
    bytes.insert(bytes.end(), s.begin(), s.end());
    bytes.push_back(0);
  }
  if (strings.empty()) bytes.push_back(0);
  bytes.push_back(0);
  ++count;
}

void Table::end(std::uint16_t handle) { add(127, handle, {}); }

Area& Area::b(std::size_t off, std::uint8_t v) {
  b_.at(off - 4) = v;
  return *this;
}
Area& Area::w(std::size_t off, std::uint16_t v) { return b(off, v & 0xFF).b(off + 1, v >> 8); }
Area& Area::d(std::size_t off, std::uint32_t v) { return w(off, v & 0xFFFF).w(off + 2, v >> 16); }
Area& Area::q(std::size_t off, std::uint64_t v) { return d(off, v & 0xFFFFFFFF).d(off + 4, v >> 32); }

void fix_checksum(Bytes& b, std::size_t start, std::size_t len, std::size_t at) {
  b[at] = 0;
  std::uint8_t sum = 0;
  for (std::size_t i = start; i < start + len; ++i) sum = static_cast<std::uint8_t>(sum + b[i]);
  b[at] = static_cast<std::uint8_t>(-sum);
}

Bytes entry_point_2(const Table& t, int major, int minor) {
  Bytes ep(0x1F, 0);
  std::copy_n("_SM_", 4, ep.begin());
  ep[0x05] = 0x1F;
  ep[0x06] = static_cast<std::uint8_t>(major);
  ep[0x07] = static_cast<std::uint8_t>(minor);
  ep[0x08] = 0xFF;  // maximum structure size
  std::copy_n("_DMI_", 5, ep.begin() + 0x10);
  ep[0x16] = static_cast<std::uint8_t>(t.bytes.size());
  ep[0x17] = static_cast<std::uint8_t>(t.bytes.size() >> 8);
  ep[0x18] = 0x00;
  ep[0x19] = 0x10;
  ep[0x1A] = 0x0F;  // 0x000F1000, like SeaBIOS
  ep[0x1C] = static_cast<std::uint8_t>(t.count);
  ep[0x1D] = static_cast<std::uint8_t>(t.count >> 8);
  ep[0x1E] = static_cast<std::uint8_t>(major << 4 | (minor & 0x0F));
  fix_checksum(ep, 0x10, 0x0F, 0x15);
  fix_checksum(ep, 0, 0x1F, 0x04);
  return ep;
}

Bytes entry_point_3(const Table& t, int major, int minor, int docrev) {
  Bytes ep(0x18, 0);
  std::copy_n("_SM3_", 5, ep.begin());
  ep[0x06] = 0x18;
  ep[0x07] = static_cast<std::uint8_t>(major);
  ep[0x08] = static_cast<std::uint8_t>(minor);
  ep[0x09] = static_cast<std::uint8_t>(docrev);
  ep[0x0A] = 1;
  auto n = static_cast<std::uint32_t>(t.bytes.size());
  for (int i = 0; i < 4; ++i) ep[0x0C + i] = static_cast<std::uint8_t>(n >> (8 * i));
  ep[0x11] = 0x10;  // table at 0x1000
  fix_checksum(ep, 0, 0x18, 0x05);
  return ep;
}

Bytes system_info() {
  Area a(0x1B);
  a.b(0x04, 1).b(0x05, 2).b(0x06, 3).b(0x07, 4).b(0x18, 6).b(0x19, 5).b(0x1A, 6);
  for (int i = 0; i < 16; ++i) a.b(0x08 + static_cast<std::size_t>(i), static_cast<std::uint8_t>(i * 0x11));
  return a;
}

namespace {

Bytes processor(std::uint8_t family, std::uint16_t family2, std::uint32_t eax, std::uint32_t edx,
                std::uint8_t cores, std::uint16_t cores2, std::uint8_t status = 0x41) {
  return Area(0x30)
      .b(0x04, 1).b(0x05, 3).b(0x06, family).b(0x07, 2).d(0x08, eax).d(0x0C, edx).b(0x10, 3)
      .b(0x11, 0x8B).w(0x12, 100).w(0x14, 3800).w(0x16, 2100).b(0x18, status).b(0x19, 0x3D)
      .w(0x1A, 0x0700).w(0x1C, 0x0701).w(0x1E, 0xFFFF).b(0x20, 4).b(0x21, 5).b(0x22, 6)
      .b(0x23, cores).b(0x24, cores).b(0x25, cores == 0xFF ? 0xFF : static_cast<std::uint8_t>(cores * 2))
      .w(0x26, 0x00FC).w(0x28, family2).w(0x2A, cores2).w(0x2C, cores2).w(0x2E, static_cast<std::uint16_t>(cores2 * 2));
}

Bytes cache(std::uint16_t cfg, std::uint16_t max16, std::uint16_t inst16, std::uint32_t max32,
            std::uint32_t inst32, std::uint8_t assoc) {
  return Area(0x1B)
      .b(0x04, 1).w(0x05, cfg).w(0x07, max16).w(0x09, inst16).w(0x0B, 0x0020).w(0x0D, 0x0020)
      .b(0x0F, 0).b(0x10, 5).b(0x11, 5).b(0x12, assoc).d(0x13, max32).d(0x17, inst32);
}

Bytes slot(std::uint8_t type, std::uint8_t width, std::uint8_t usage, std::uint8_t c1, std::uint8_t c2,
           std::uint16_t seg, std::uint8_t bus, std::uint8_t devfn) {
  return Area(0x11)
      .b(0x04, 1).b(0x05, type).b(0x06, width).b(0x07, usage).b(0x08, 4).w(0x09, 7).b(0x0B, c1).b(0x0C, c2)
      .w(0x0D, seg).b(0x0F, bus).b(0x10, devfn);
}


}  // namespace

Bytes memory_device(std::size_t length, std::uint16_t size, std::uint32_t ext_size, std::uint16_t speed,
                    std::uint32_t ext_speed, std::uint8_t type, std::uint16_t detail) {
  Area a(length);
  a.w(0x04, 0x1000).w(0x06, 0xFFFE).w(0x08, 72).w(0x0A, 64).w(0x0C, size).b(0x0E, 0x09).b(0x0F, 0)
      .b(0x10, 1).b(0x11, 2).b(0x12, type).w(0x13, detail);
  if (length >= 0x17) a.w(0x15, speed);
  if (length >= 0x1B) a.b(0x17, 3).b(0x18, 4).b(0x19, 5).b(0x1A, 6);
  if (length >= 0x1C) a.b(0x1B, 2);
  if (length >= 0x20) a.d(0x1C, ext_size);
  if (length >= 0x22) a.w(0x20, speed);
  if (length >= 0x28) a.w(0x22, 1100).w(0x24, 1250).w(0x26, 1200);
  if (length >= 0x5C) a.d(0x54, ext_speed).d(0x58, ext_speed);
  return a;
}

Table full_table(std::uint16_t version) {
  Table t;
  std::uint16_t h = 0;
  // 0: BIOS, 3.1 layout with the extended ROM size (32 MB), UEFI + VM bits.
  t.add(0, h++, Area(0x1A).b(0x04, 1).b(0x05, 2).w(0x06, 0xE800).b(0x08, 3).b(0x09, 0xFF)
                    .q(0x0A, 0x000000000BDA9E80ull).b(0x12, 0x83).b(0x13, 0x1D).b(0x14, 2).b(0x15, 7)
                    .b(0x16, 1).b(0x17, 4).w(0x18, 32),
        {"Contoso BIOS", "CB-2.7.1", "03/14/2025"});
  // 1: system.
  t.add(1, h++, system_info(), {"Contoso", "Model-9", "Rev B", "SYS-SN-9", "SKU-9", "Servers"});
  // 2: baseboard with two contained handles.
  t.add(2, h++, Area(0x13).b(0x04, 1).b(0x05, 2).b(0x06, 3).b(0x07, 4).b(0x08, 5).b(0x09, 0x09).b(0x0A, 6)
                    .w(0x0B, 3).b(0x0D, 0x0A).b(0x0E, 2).w(0x0F, 4).w(0x11, 5),
        {"Contoso", "Board-9", "B1", "MB-SN-9", "MB-AT-9", "Slot 0"});
  // 3: chassis, rack mount, locked, two contained elements, SKU.
  t.add(3, h++, Area(0x15 + 2 * 3 + 1).b(0x04, 1).b(0x05, 0x97).b(0x06, 2).b(0x07, 3).b(0x08, 4).b(0x09, 3)
                    .b(0x0A, 3).b(0x0B, 4).b(0x0C, 3).d(0x0D, 0x12345678).b(0x11, 2).b(0x12, 2).b(0x13, 2)
                    .b(0x14, 3).b(0x15, 0x0A).b(0x16, 1).b(0x17, 1).b(0x18, 0x91).b(0x19, 1).b(0x1A, 2).b(0x1B, 5),
        {"Contoso", "CH-2", "CH-SN-9", "CH-AT-9", "CH-SKU-9"});
  // 4: processors: Intel Xeon (signature + flags, 300 cores in the
  // extended count), AMD Zen, ARMv8 (MIDR signature via family 0xFE).
  t.add(4, h++, processor(0xB3, 0, 0x000606A6, 0xBFEBFBFF, 0xFF, 300),
        {"CPU0", "Intel(R) Corporation", "Intel(R) Xeon(R) Gold 6338", "SN-CPU0", "AT-CPU0", "PN-CPU0"});
  t.add(4, h++, processor(0x6B, 0, 0x00A00F11, 0x178BFBFF, 64, 64, 0x41),
        {"CPU1", "Advanced Micro Devices, Inc.", "AMD EPYC 7763", "SN-CPU1", "AT-CPU1", "PN-CPU1"});
  t.add(4, h++, processor(0xFE, 0x101, 0x481FD010, 0, 48, 48, 0x00),
        {"CPU2", "HiSilicon", "Kunpeng 920", "SN-CPU2", "AT-CPU2", "PN-CPU2"});
  // 7: caches: 16-bit sizes with 64K granularity, 3.1 sizes (32 MB installed).
  t.add(7, h++, cache(0x0180, 0x0030, 0x0030, 0x30, 0x30, 0x07), {"L1 Cache"});
  t.add(7, h++, cache(0x0181, 0x8010, 0x8010, 0x80000010, 0x80000010, 0x08), {"L2 Cache"});
  t.add(7, h++, cache(0x0182, 0xFFFF, 0xFFFF, 0x80000200, 0x80000200, 0x0E), {"L3 Cache"});
  // 9: slots: PCIe 4 x16 in use with bus address, PCI, empty OCP slot.
  t.add(9, h++, slot(0xBD, 0x0D, 4, 0x04, 0x03, 0, 0x3B, 0x00), {"PCIE1"});
  t.add(9, h++, slot(0x06, 0x05, 3, 0x06, 0x00, 0xFFFF, 0xFF, 0xFF), {"PCI2"});
  t.add(9, h++, slot(0x26, 0x0A, 3, 0x01, 0x00, 1, 0x80, 0x0A), {"OCP"});
  // 16: arrays: 8 TiB extended capacity; 512 GB plain.
  std::uint16_t array1 = h;
  t.add(16, h++, Area(0x17).b(0x04, 3).b(0x05, 3).b(0x06, 6).d(0x07, 0x80000000).w(0x0B, 0xFFFE).w(0x0D, 16)
                     .q(0x0F, 8ull << 40));
  t.add(16, h++, Area(0x17).b(0x04, 3).b(0x05, 3).b(0x06, 3).d(0x07, 512u << 20).w(0x0B, 0xFFFE).w(0x0D, 8));
  // 17: DIMMs: 64 GB DDR5 (extended size, 4800 MT/s), an empty slot, a
  // 16 GB DDR4 (plain fields), 512 kB (kB unit), 3.3 length with extended speed.
  auto dimm = memory_device(0x28, 0x7FFF, 65536, 4800, 0, 0x22, 0x2080);
  t.add(17, h++, dimm, {"DIMM_A1", "P0_Node0_Channel0_Dimm0", "Samsung", "DIMM-SN-A1", "DIMM-AT-A1", "M321R8GA0BB0-CQKZJ"});
  t.add(17, h++, memory_device(0x28, 0, 0, 0, 0, 0x02, 0x0004), {"DIMM_A2", "BANK 1"});
  t.add(17, h++, memory_device(0x28, 16384, 0, 3200, 0, 0x1A, 0x4080),
        {"DIMM_B1", "BANK 2", "Micron", "SN-B1", "AT-B1", "36ASF2G72PZ-3G2"});
  t.add(17, h++, memory_device(0x22, 0x8200, 0, 800, 0, 0x13, 0x0080), {"DIMM_C1", "BANK 3", "M", "S", "A", "P"});
  t.add(17, h++, memory_device(0x5C, 0x7FFF, 0x7FFFFFFF & (3u << 20), 0xFFFF, 70000, 0x22, 0x2080),
        {"DIMM_D1", "BANK 4", "SK Hynix", "SN-D1", "AT-D1", "HMCG94AEBRA"});
  // 19: mapped ranges: 64 GiB extended, 2 GiB plain.
  t.add(19, h++, Area(0x1F).d(0x04, 0xFFFFFFFF).d(0x08, 0xFFFFFFFF).w(0x0C, array1).b(0x0E, 2)
                     .q(0x0F, 0).q(0x17, (64ull << 30) - 1));
  t.add(19, h++, Area(0x1F).d(0x04, 0x100000).d(0x08, 0x17FFFF).w(0x0C, array1).b(0x0E, 1));
  // 38: IPMI KCS at I/O 0xCA2 with interrupt info, and SSIF.
  t.add(38, h++, Area(0x12).b(0x04, 1).b(0x05, 0x20).b(0x06, 0x20).b(0x07, 0xFF).q(0x08, 0xCA3).b(0x10, 0x1B).b(0x11, 10));
  t.add(38, h++, Area(0x12).b(0x04, 4).b(0x05, 0x20).b(0x06, 0x20).b(0x07, 0x02).q(0x08, 0x20).b(0x10, 0).b(0x11, 0));
  // 41: onboard NIC and video.
  t.add(41, h++, Area(0x0B).b(0x04, 1).b(0x05, 0x85).b(0x06, 1).w(0x07, 0).b(0x09, 0x3B).b(0x0A, 0x00), {"Onboard LAN 1"});
  t.add(41, h++, Area(0x0B).b(0x04, 1).b(0x05, 0x03).b(0x06, 1).w(0x07, 0xFFFF).b(0x09, 0xFF).b(0x0A, 0xFF), {"VGA"});
  // A type we do not decode is walked over.
  t.add(11, h++, Area(0x05).b(0x04, 1), {"OEM string"});
  (void)version;
  t.end();
  return t;
}

Table sweep_table() {
  Table t;
  std::uint16_t h = 0;
  for (unsigned c = 0; c < 64; ++c)
    t.add(0, h++, Area(0x18).b(0x04, 1).w(0x06, static_cast<std::uint16_t>(0xE000 + c * 0x40)).b(0x09, static_cast<std::uint8_t>(c * 4))
                      .q(0x0A, 1ull << c).b(0x12, static_cast<std::uint8_t>(1u << (c % 8))).b(0x13, static_cast<std::uint8_t>(1u << (c % 8)))
                      .b(0x14, c % 3 ? 0xFF : 5).b(0x15, 1).b(0x16, 3).b(0x17, c % 5 ? 0xFF : 2),
          {"V"});
  for (unsigned c = 0; c < 4; ++c)
    for (std::uint16_t n : {1, 16, 0x3FFF})
      t.add(0, h++, Area(0x1A).b(0x09, 0xFF).w(0x18, static_cast<std::uint16_t>(c << 14 | n)));
  for (unsigned c = 0; c < 256; ++c) {
    auto s = system_info();
    s[0x18 - 4] = static_cast<std::uint8_t>(c);
    t.add(1, h++, s, {"M"});
    t.add(2, h++, Area(0x0F).b(0x09, static_cast<std::uint8_t>(c)).b(0x0D, static_cast<std::uint8_t>(c)));
    t.add(3, h++, Area(0x16).b(0x05, static_cast<std::uint8_t>(c)).b(0x09, static_cast<std::uint8_t>(c))
                      .b(0x0A, static_cast<std::uint8_t>(255 - c)).b(0x0B, 3).b(0x0C, static_cast<std::uint8_t>(c))
                      .b(0x11, static_cast<std::uint8_t>(c)).b(0x12, static_cast<std::uint8_t>(c)));
    t.add(3, h++, Area(0x15 + 3 + 1).b(0x13, 1).b(0x14, 3).b(0x15, static_cast<std::uint8_t>(c)).b(0x16, 1).b(0x17, static_cast<std::uint8_t>(c % 4 + 1)));
    // processor: type, family byte, status, upgrade, voltage, characteristics
    auto p = processor(static_cast<std::uint8_t>(c), 0, 0x00050654 + c, 0x1000000u << (c % 8), static_cast<std::uint8_t>(c),
                       static_cast<std::uint16_t>(c * 3), static_cast<std::uint8_t>(c));
    p[0x05 - 4] = static_cast<std::uint8_t>(c);
    p[0x19 - 4] = static_cast<std::uint8_t>(c);
    p[0x11 - 4] = static_cast<std::uint8_t>(c);
    p[0x26 - 4] = static_cast<std::uint8_t>(c);
    p[0x27 - 4] = static_cast<std::uint8_t>(c & 3);
    t.add(4, h++, p, {"S", c % 3 == 0 ? "Intel" : c % 3 == 1 ? "AMD" : "Other", "Ver"});
    t.add(7, h++, cache(static_cast<std::uint16_t>(c | (c << 2 & 0x300)), static_cast<std::uint16_t>(c * 0x101),
                        static_cast<std::uint16_t>(c * 0x81), 0x80000000u | c << 8, c << 12, static_cast<std::uint8_t>(c)),
          {"C"});
    auto ca = cache(0, 1, 1, 1, 1, 1);
    ca[0x0B - 4] = ca[0x0D - 4] = static_cast<std::uint8_t>(c);
    ca[0x0F - 4] = ca[0x10 - 4] = ca[0x11 - 4] = static_cast<std::uint8_t>(c);
    t.add(7, h++, ca);
    t.add(9, h++, slot(static_cast<std::uint8_t>(c), 0x0D, static_cast<std::uint8_t>(c), static_cast<std::uint8_t>(c),
                       static_cast<std::uint8_t>(c), static_cast<std::uint16_t>(c), static_cast<std::uint8_t>(c),
                       static_cast<std::uint8_t>(c)),
          {"SL"});
    auto sl = slot(0xA5, static_cast<std::uint8_t>(c), 1, 0, 0, 0, 0, 0);
    sl[0x08 - 4] = static_cast<std::uint8_t>(c);
    sl[0x09 - 4] = static_cast<std::uint8_t>(c);
    t.add(9, h++, sl);
    t.add(9, h++, slot(0x07, 1, 1, 0, 0, 0, 0, 0));
    t.add(16, h++, Area(0x17).b(0x04, static_cast<std::uint8_t>(c)).b(0x05, static_cast<std::uint8_t>(c))
                       .b(0x06, static_cast<std::uint8_t>(c)).d(0x07, c << (c % 24)).w(0x0B, static_cast<std::uint16_t>(0xFF00 + c))
                       .w(0x0D, static_cast<std::uint16_t>(c)));
    auto md = memory_device(0x28, static_cast<std::uint16_t>(c << (c % 9)), 0, static_cast<std::uint16_t>(c * 37),
                            0, static_cast<std::uint8_t>(c), static_cast<std::uint16_t>(1u << (c % 16)));
    md[0x0E - 4] = static_cast<std::uint8_t>(c);
    md[0x0F - 4] = static_cast<std::uint8_t>(c);
    md[0x1B - 4] = static_cast<std::uint8_t>(c);
    md[0x08 - 4] = static_cast<std::uint8_t>(c);
    md[0x09 - 4] = c % 2 ? 0xFF : 0;
    md[0x22 - 4] = md[0x24 - 4] = static_cast<std::uint8_t>(c);
    md[0x26 - 4] = static_cast<std::uint8_t>(c * 10);
    md[0x27 - 4] = static_cast<std::uint8_t>(c % 5);
    t.add(17, h++, md, {"L", "B", "M", "S", "A", "P"});
    t.add(17, h++, memory_device(c % 2 ? 0x15 : 0x1B, 0xFFFF, 0, 0, 0, 1, 0), {"L"});
    t.add(17, h++, memory_device(0x5C, 0x7FFF, c << (c % 23), 0xFFFF, c * 1000, 1, 0));
    // SMBIOS 3.2-3.7 fields: technology, operating modes, firmware version,
    // JEDEC IDs, region sizes (none, unknown, bytes to exabytes), PMIC/RCD;
    // lengths cut at each boundary dmidecode checks.
    static constexpr std::size_t k_lengths[] = {0x34, 0x3C, 0x44, 0x4C, 0x54, 0x5C, 0x64};
    auto nv = memory_device(k_lengths[c % 7], 0x4000, 0, 4800, 0, static_cast<std::uint8_t>(0x18 + c % 20), 0x2080);
    auto put = [&nv](std::size_t off, std::uint64_t v, int bytes) {
      for (int i = 0; i < bytes && off - 4 + i < nv.size(); ++i) nv[off - 4 + i] = static_cast<std::uint8_t>(v >> (8 * i));
    };
    auto region = [c](unsigned k) -> std::uint64_t {
      unsigned x = (c + k * 3) % 8;
      return x == 0 ? 0 : x == 1 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(c + 1) << ((c * 7 + k * 13) % 60);
    };
    put(0x28, c, 1);
    put(0x29, static_cast<std::uint16_t>(c * 0x0101u), 2);
    put(0x2B, c % 3 ? 7 : 0, 1);
    put(0x2C, c % 5 ? (c * 0x0103u) & 0xFFFF : 0, 2);
    put(0x2E, c % 4 ? c * 0x1F1u : 0, 2);
    put(0x30, c % 6 ? (c * 0x0209u) & 0xFFFF : 0, 2);
    put(0x32, c % 7 ? c * 0x0123u : 0, 2);
    put(0x34, region(0), 8);
    put(0x3C, region(1), 8);
    put(0x44, region(2), 8);
    put(0x4C, region(3), 8);
    put(0x5C, c % 3 ? (c * 0x0105u) & 0xFFFF : 0, 2);
    put(0x5E, c % 4 ? c : 0xFF00, 2);
    put(0x60, c % 5 ? (c * 0x0307u) & 0xFFFF : 0, 2);
    put(0x62, c % 2 ? c * 3 : 0xFF00, 2);
    t.add(17, h++, nv, {"L", "B", "M", "S", "A", "P", "FW-1.2"});
    t.add(19, h++, Area(0x0F).d(0x04, c << 12).d(0x08, (c << 14) + c).w(0x0C, static_cast<std::uint16_t>(c)).b(0x0E, static_cast<std::uint8_t>(c)));
    t.add(19, h++, Area(0x1F).d(0x04, 0xFFFFFFFF).q(0x0F, static_cast<std::uint64_t>(c) << 30)
                       .q(0x17, (static_cast<std::uint64_t>(c) << 34) + 0x3FF));
    t.add(38, h++, Area(0x12).b(0x04, static_cast<std::uint8_t>(c)).b(0x05, static_cast<std::uint8_t>(c))
                       .b(0x06, static_cast<std::uint8_t>(c)).b(0x07, static_cast<std::uint8_t>(c))
                       .q(0x08, 0xFED40000ull + c).b(0x10, static_cast<std::uint8_t>(c)).b(0x11, static_cast<std::uint8_t>(c)));
    t.add(38, h++, Area(0x10).b(0x04, static_cast<std::uint8_t>(c % 6)).q(0x08, c));
    t.add(41, h++, Area(0x0B).b(0x04, 1).b(0x05, static_cast<std::uint8_t>(c)).b(0x06, static_cast<std::uint8_t>(c))
                       .w(0x07, static_cast<std::uint16_t>(c)).b(0x09, static_cast<std::uint8_t>(c)).b(0x0A, static_cast<std::uint8_t>(c)),
          {"D"});
  }
  // Every processor family code reachable through the 16-bit field.
  for (unsigned f = 0; f < 0x300; ++f)
    t.add(4, h++, processor(0xFE, static_cast<std::uint16_t>(f), 0x000806F8, 0xBFEBFBFF, 4, 4),
          {"S", f % 2 ? "GenuineIntel" : "AuthenticAMD", "Ver"});
  // Family "Other" processors recognised by their version string.
  for (const char* v : {"Pentium III MMX", "Intel(R) Core(TM)2 Duo", "Intel(R) Pentium(R) 4", "Genuine Intel(R) CPU U1400",
                        "AMD Athlon(TM) 64", "AMD Opteron(tm) 250", "Dual-Core AMD Opteron(tm) 2218", "Other CPU"})
    t.add(4, h++, processor(0x01, 0, 0x00000F48, 0x078BFBFF, 1, 1), {"S", "M", v});
  // 80386 and 80486 signatures, ARM MIDR zero and not.
  for (std::uint32_t eax : {0x0000u, 0x0435u, 0x0480u, 0x0472u, 0x2345u})
    for (std::uint8_t fam : {0x05, 0x06})
      t.add(4, h++, processor(fam, 0, eax, 0x00000001, 1, 1), {"S", "M", "V"});
  for (std::uint16_t fam : {0x100, 0x101, 0x118, 0x119})
    for (std::uint32_t midr : {0u, 0x413FD0C1u})
      t.add(4, h++, processor(0xFE, fam, midr, 0, 1, 1), {"S", "M", "V"});
  t.end();
  return t;
}

}  // namespace certify::test::smbios_build
