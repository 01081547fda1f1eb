// Helpers for tests: fixture paths, temporary directories, running the real
// binaries, golden files and JSON Schema validation.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace certify::test {

// tests/fixtures/<name> in the source tree.
std::filesystem::path fixture(const std::string& name);
// Path of a file in the source tree ("schemas/inventory.schema.json").
std::filesystem::path source_path(const std::string& rel);
// Path of a built binary ("cli/certify").
std::filesystem::path build_path(const std::string& rel);

// A fresh directory removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

struct CommandOutput {
  int exit_code = -1;   // exit status, or 128+signal
  std::string out, err;
};
// Runs argv (no shell), capturing stdout and stderr; stdin is /dev/null.
CommandOutput run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env = {});

// Compares `actual` with the golden JSON file; with CERTIFY_UPDATE_GOLDEN=1
// rewrites it instead. A top-level "sysroot" key (a checkout path) is ignored. Returns an empty string on match, else a diff summary.
std::string check_golden(const nlohmann::json& actual, const std::filesystem::path& golden);

// Validates a JSON document against a JSON Schema (python3-jsonschema);
// returns an empty string when valid, else the validator's message.
std::string schema_errors(const nlohmann::json& doc, const std::string& schema_rel);

}  // namespace certify::test
