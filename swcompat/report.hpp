// A compatibility report: checks with pass/warn/fail/skip and evidence, and
// its text, HTML and JSON renderings (shared by sw-check, kabi-check and
// os-diff).
#pragma once

#include <nlohmann/json.hpp>

#include <deque>
#include <string>
#include <vector>

namespace certify::swcompat {

enum class CheckStatus { pass, warn, fail, skip };
const char* status_name(CheckStatus s);

struct Check {
  std::string id;        // "licence", "elf-abi", ...
  std::string title;
  CheckStatus status = CheckStatus::pass;
  std::string summary;   // one line
  std::vector<std::string> evidence;
  nlohmann::json data = nlohmann::json::object();  // machine-readable details
};

struct Report {
  std::string kind;      // "sw-check", "kabi-check", "os-diff"
  std::string subject;   // package file, module, "A -> B"
  nlohmann::json meta = nlohmann::json::object();
  std::deque<Check> checks;  // deque: add() keeps earlier references valid
  nlohmann::json extra = nlohmann::json::object();  // e.g. the SBOM, the requirements

  // fail if any check failed, else warn if any warned, else pass.
  CheckStatus overall() const;
  Check& add(std::string id, std::string title);
};

// Now, as ISO 8601 UTC ("2026-11-29T17:40:00Z"): report and snapshot times.
std::string utc_timestamp();

nlohmann::json report_to_json(const Report& r);
std::string report_to_text(const Report& r);
std::string report_to_html(const Report& r);
// Renders several reports (one per package) in one format.
std::string render_reports(const std::vector<Report>& reports, const std::string& format);

}  // namespace certify::swcompat
