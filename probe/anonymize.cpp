// --anonymize: serials, MACs, WWPNs, UUIDs and asset tags hashed with a salt.
// In a file of its own for the hash it needs (OpenSSL's, core/sha256.cpp):
// the probe front (cli/front.cpp) is linked without OpenSSL and leaves
// --anonymize to certify-full (cli/front_delegated.cpp).
#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

#include "core/files.hpp"
#include "probe/inventory.hpp"

namespace certify::probe {

namespace {

using nlohmann::json;

constexpr std::string_view k_private_keys[] = {
    "address_mac", "asset_tag", "board_serial", "eui", "fabric_name", "gid0", "hostname", "mac",
    "nguid", "node_guid", "node_name", "perm_addr", "permanent_mac", "port_guid", "port_name",
    "serial", "serial_number", "sys_image_guid", "uuid", "wwid", "wwnn", "wwpn"};
static_assert(std::is_sorted(std::begin(k_private_keys), std::end(k_private_keys)));

bool private_key(std::string_view key) {
  return std::binary_search(std::begin(k_private_keys), std::end(k_private_keys), key);
}

void anonymize_node(json& j, std::string_view salt) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.value().is_string() && private_key(it.key())) {
        auto v = it.value().get<std::string>();
        // The first 16 hex digits of SHA-256(salt NUL value): equal values
        // stay equal within one inventory, and nothing shorter is guessable.
        if (!v.empty()) it.value() = "anon:" + sha256_hex(std::string(salt) + '\0' + v).substr(0, 16);
      } else {
        anonymize_node(it.value(), salt);
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) anonymize_node(e, salt);
  }
}

}  // namespace

void anonymize(json& inventory_json, std::string_view salt) { anonymize_node(inventory_json, salt); }

}  // namespace certify::probe
