// What changed between two bundle versions of a submission: machine facts,
// devices (by id) and test results (by job id).
#pragma once

#include <nlohmann/json.hpp>

namespace certify::certdb {

// {"facts": [{"field", "from", "to"}], "devices": {"added": [...], "removed": [...]},
//  "tests": {"added": [{"id","status"}], "removed": [...], "changed": [{"id","from","to"}]}}
nlohmann::json version_diff(const nlohmann::json& inventory_a, const nlohmann::json& results_a,
                            const nlohmann::json& inventory_b, const nlohmann::json& results_b);

}  // namespace certify::certdb
