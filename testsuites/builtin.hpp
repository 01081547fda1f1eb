// Built-in tests: C++ test functions registered by name and run by the
// runner in a child process (`certify builtin NAME`), with the same contract
// as external tests: context from CERTIFY_* environment variables, outcome by
// exit code (0 pass, 1 fail, 77 skip) plus result.json in the work directory.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace certify::suites {

enum class Outcome { pass, fail, skip, error };

std::string_view outcome_name(Outcome o);
// Exit code for an outcome: pass 0, fail 1, skip 77, error 2.
int outcome_exit_code(Outcome o);

struct TestContext {
  nlohmann::json device = nlohmann::json::object();  // the inventory device (CERTIFY_DEVICE_JSON)
  std::string device_id;                              // CERTIFY_DEVICE
  std::filesystem::path workdir = ".";                // CERTIFY_WORKDIR: scratch and result.json
  std::filesystem::path sysroot = "/";                // CERTIFY_SYSROOT
  bool destructive = false;                           // CERTIFY_DESTRUCTIVE=1
  bool after_reboot = false;                          // CERTIFY_AFTER_REBOOT=1: the machine rebooted under this job
  std::map<std::string, std::string> params;          // CERTIFY_PARAM_<NAME> (lower-cased names)
  std::ostream* log = nullptr;                        // the job's log (stdout of the child)

  std::ostream& out() const;
  // The device's "props" object; an empty object when it has none or it is
  // not an object (an inventory edited by hand), so value() never throws.
  const nlohmann::json& props() const;
  std::string param(const std::string& name, const std::string& fallback = {}) const;
};

struct TestResult {
  Outcome outcome = Outcome::error;
  std::string reason;                                   // required for skip, fail and error
  nlohmann::json metrics = nlohmann::json::object();    // numbers with units in the key ("mbps")
  std::vector<std::string> messages;

  static TestResult pass(std::string why = {}) { return {Outcome::pass, std::move(why), nlohmann::json::object(), {}}; }
  static TestResult fail(std::string why) { return {Outcome::fail, std::move(why), nlohmann::json::object(), {}}; }
  static TestResult skip(std::string why) { return {Outcome::skip, std::move(why), nlohmann::json::object(), {}}; }
  static TestResult error(std::string why) { return {Outcome::error, std::move(why), nlohmann::json::object(), {}}; }
};

using BuiltinFn = TestResult (*)(TestContext&);

struct Builtin {
  std::string_view name;     // as in suite.xml: run="builtin:NAME"
  std::string_view summary;  // one line
  BuiltinFn fn;
};

// Every built-in test (builtins.cpp: the one list).
std::span<const Builtin> builtins();
const Builtin* find_builtin(std::string_view name);

// Context from the CERTIFY_* environment of the current process.
TestContext context_from_env();

// result.json as written to the work directory (schemas/results.schema.json, "test_result").
nlohmann::json to_json(const TestResult& r);

// Runs one built-in in this process: reads the environment, runs the test
// (exceptions become Outcome::error), writes result.json, returns the exit code.
int run_builtin(std::string_view name, std::ostream& log);

}  // namespace certify::suites
