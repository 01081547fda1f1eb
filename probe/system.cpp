// system: fills inventory.system from the SMBIOS tables (BIOS, system,
// baseboard, chassis, processors, caches, slots, onboard devices, IPMI);
// without tables, from /sys/class/dmi/id with a warning saying so.
#include <string>

#include "probe/cpu.hpp"
#include "probe/probe.hpp"
#include "probe/smbios.hpp"

namespace certify::probe {

using nlohmann::json;

namespace {

constexpr std::string_view k_entry_point = "/sys/firmware/dmi/tables/smbios_entry_point";
constexpr std::string_view k_table = "/sys/firmware/dmi/tables/DMI";
constexpr std::size_t k_table_max = std::size_t{16} << 20;  // SMBIOS 3 allows a DWORD; real tables are KiB

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// /sys/class/dmi/id: the kernel's copy of a few SMBIOS strings (types 0-3).
struct DmiIdKey {
  const char* section;
  const char* key;
  const char* file;
};
constexpr DmiIdKey k_dmi_id[] = {
    {"bios", "vendor", "bios_vendor"},           {"bios", "version", "bios_version"},
    {"bios", "release_date", "bios_date"},       {"bios", "bios_revision", "bios_release"},
    {"system", "manufacturer", "sys_vendor"},    {"system", "product_name", "product_name"},
    {"system", "version", "product_version"},    {"system", "serial_number", "product_serial"},
    {"system", "uuid", "product_uuid"},          {"system", "sku_number", "product_sku"},
    {"system", "family", "product_family"},      {"baseboard", "manufacturer", "board_vendor"},
    {"baseboard", "product_name", "board_name"}, {"baseboard", "version", "board_version"},
    {"baseboard", "serial_number", "board_serial"}, {"baseboard", "asset_tag", "board_asset_tag"},
    {"chassis", "manufacturer", "chassis_vendor"}, {"chassis", "version", "chassis_version"},
    {"chassis", "serial_number", "chassis_serial"}, {"chassis", "asset_tag", "chassis_asset_tag"},
};

void from_dmi_id(ProbeContext& ctx) {
  auto& sys = ctx.inv.system;
  for (const auto& k : k_dmi_id) {
    auto v = ctx.root.attr(std::string("/sys/class/dmi/id/") + k.file);
    if (v) sys[k.section][k.key] = *v;
  }
  if (auto t = ctx.root.attr_int("/sys/class/dmi/id/chassis_type", 10))
    sys["chassis"]["type"] = smbios::chassis_type_name(static_cast<std::uint8_t>(*t & 0x7F));
  if (!sys.empty()) sys["source"] = "dmi-id";
}

std::optional<smbios::Tables> decode_smbios(ProbeContext& ctx) {
  auto ep = ctx.root.read(k_entry_point, 4096);
  auto table = ctx.root.read(k_table, k_table_max);
  if (!ep || !table) return std::nullopt;
  auto tables = smbios::decode_tables(bytes(*ep), bytes(*table));
  if (!tables) {
    ctx.warn("smbios", std::string(k_entry_point) + ": " + tables.message());
    return std::nullopt;
  }
  if (table->size() >= k_table_max)
    ctx.warn("smbios", std::string(k_table) + " is larger than 16 MiB; read only that much");
  // Each irregularity once, however often the table repeats it.
  for (auto& w : tables->warnings) {
    bool seen = false;
    for (const auto& old : ctx.inv.warnings) seen = seen || (old.source == "smbios" && old.message == w);
    if (!seen) ctx.warn("smbios", std::move(w));
  }
  return std::move(tables).value();
}

}  // namespace

const std::optional<smbios::Tables>& read_smbios(ProbeContext& ctx) {
  if (!ctx.smbios) ctx.smbios = std::make_shared<const std::optional<smbios::Tables>>(decode_smbios(ctx));
  return *ctx.smbios;
}

void probe_system(ProbeContext& ctx) {
  auto& sys = ctx.inv.system;
  const auto& tables = read_smbios(ctx);
  if (!tables) {
    from_dmi_id(ctx);
    if (sys.empty())
      ctx.warn("system", "no SMBIOS tables (" + std::string(k_table) + ") and no /sys/class/dmi/id: system facts unknown");
    else
      ctx.warn("system", "no readable SMBIOS tables under /sys/firmware/dmi/tables; system facts from "
                         "/sys/class/dmi/id (BIOS, system, board and chassis strings only)");
    return;
  }
  sys["source"] = "smbios";
  const auto& ep = tables->entry_point;
  sys["smbios"] = {{"version", ep.version_text()},
                   {"entry_point", ep.kind == smbios::EntryPoint::Kind::smbios3 ? "64-bit (_SM3_)"
                                   : ep.kind == smbios::EntryPoint::Kind::smbios2 ? "32-bit (_SM_)"
                                                                                  : "legacy (_DMI_)"},
                   {"structures", tables->structure_count}};
  // One object for the types a machine has once; a list for the others.
  // Extra copies of the single ones are kept too, never dropped.
  struct Place {
    std::uint8_t type;
    const char* key;
    bool single;
  };
  constexpr Place places[] = {{0, "bios", true},       {1, "system", true},   {2, "baseboard", true},
                              {3, "chassis", true},    {4, "processors", false}, {7, "caches", false},
                              {9, "slots", false},     {38, "ipmi", true},    {41, "onboard_devices", false}};
  for (const auto& r : tables->records) {
    for (const auto& p : places) {
      if (p.type != r.type) continue;
      if (!p.single) {
        sys[p.key].push_back(r.facts);
      } else if (!sys.contains(p.key)) {
        sys[p.key] = r.facts;
      } else {
        sys[std::string("other_") + p.key].push_back(r.facts);
      }
    }
  }
  for (const char* must : {"bios", "system"})
    if (!sys.contains(must))
      ctx.warn("system", std::string("SMBIOS table has no ") + (must == std::string("bios") ? "BIOS (type 0)" : "System (type 1)") +
                             " structure");
}

}  // namespace certify::probe
