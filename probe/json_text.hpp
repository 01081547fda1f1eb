// JSON text in the layout of nlohmann::json's dump(2), written straight from
// the values: the probe prints its inventory without building a second copy
// of it as one JSON document first (json_text.cpp says why).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "probe/inventory.hpp"

namespace certify::probe {

// Appends `v` as v.dump(2, ' ', false, error_handler_t::replace) prints it
// nested `level` deep (its first line not indented, the others 2 * level
// spaces more): invalid UTF-8 replaced by U+FFFD, as nlohmann does it.
void append_json(std::string& out, const nlohmann::json& v, int level = 0);

// The inventory's JSON text, byte for byte
// to_json(inv).dump(2, ' ', false, error_handler_t::replace) + "\n".
std::string inventory_json_text(const Inventory& inv);

}  // namespace certify::probe
