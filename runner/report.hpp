// Reports from results.json: text, a self-contained HTML page, JSON and JUnit XML.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/result.hpp"

namespace certify::runner {

// format: text | html | json | junit
Result<std::string> render_report(const nlohmann::json& results, const std::string& format);

}  // namespace certify::runner
