// Test suites: testsuites/<class>/suite.xml (schemas/suite.xsd) parsed with
// pugixml into plain structs. Errors name the file and line.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace certify::runner {

inline constexpr int k_suite_schema_version = 1;

// One condition of <requires>: a device (or, for machine-wide suites, the
// sysroot) must satisfy it for the suite to apply.
struct Requirement {
  enum class Kind { driver, prop, file, vendor_id };
  Kind kind = Kind::driver;
  std::string name;   // driver name, prop name, file path (in the sysroot), vendor id
  std::string value;  // prop: expected value ("" = present and not false/0/empty)
  std::string describe() const;
};

struct TestDef {
  std::string id;            // "nvme.identify"
  std::string run;           // "builtin:NAME" or "exec:relative/script"
  bool per_device = true;    // per="device" (else "once")
  int timeout_s = 300;
  std::vector<std::string> locks;  // "device", "system" or named locks
  std::vector<std::string> after;  // test ids
  bool destructive = false, needs_root = false, expects_reboot = false;
  bool blocker = true;        // certification status
  std::string description;    // the pass criterion
  std::map<std::string, std::string> params;
  int line = 0;               // in the suite file

  bool is_builtin() const { return run.rfind("builtin:", 0) == 0; }
  std::string target() const { return run.substr(run.find(':') + 1); }
  // Stable hash of everything that defines the test (journal: refuse to
  // resume over a changed definition).
  std::string definition_hash() const;
};

struct Suite {
  int schema_version = k_suite_schema_version;
  std::string id, cls, version, description;
  std::vector<Requirement> requires_;
  std::vector<TestDef> tests;
  std::filesystem::path file;  // suite.xml
  std::filesystem::path dir() const { return file.parent_path(); }
  // system, cpu and memory suites match the machine once, not devices.
  bool machine_wide() const { return cls == "system" || cls == "cpu" || cls == "memory"; }
};

// Parses one suite.xml; checks what the XSD cannot (unknown builtins,
// missing or non-executable scripts, duplicate ids).
Result<Suite> parse_suite_text(const std::string& text, const std::filesystem::path& file);
Result<Suite> load_suite(const std::filesystem::path& file);
// Every <dir>/*/suite.xml, sorted by path. The first bad file is an error.
Result<std::vector<Suite>> load_suites(const std::filesystem::path& dir);

nlohmann::json to_json(const TestDef& t);

}  // namespace certify::runner
