// Built-in test plumbing: context from the environment, result.json, exit codes.
#include "testsuites/builtin.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>

#include "core/files.hpp"

extern char** environ;

namespace certify::suites {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::pass: return "pass";
    case Outcome::fail: return "fail";
    case Outcome::skip: return "skip";
    case Outcome::error: return "error";
  }
  return "error";
}

int outcome_exit_code(Outcome o) {
  switch (o) {
    case Outcome::pass: return 0;
    case Outcome::fail: return 1;
    case Outcome::skip: return 77;
    case Outcome::error: return 2;
  }
  return 2;
}

std::ostream& TestContext::out() const { return log ? *log : std::cout; }

const nlohmann::json& TestContext::props() const {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = device.is_object() ? device.find("props") : device.end();
  return it != device.end() && it->is_object() ? *it : empty;
}

std::string TestContext::param(const std::string& name, const std::string& fallback) const {
  auto it = params.find(name);
  return it == params.end() ? fallback : it->second;
}

const Builtin* find_builtin(std::string_view name) {
  for (const auto& b : builtins())
    if (b.name == name) return &b;
  return nullptr;
}

TestContext context_from_env() {
  TestContext c;
  auto env = [](const char* k) -> std::string {
    const char* v = std::getenv(k);
    return v ? v : "";
  };
  c.device_id = env("CERTIFY_DEVICE");
  if (auto dj = env("CERTIFY_DEVICE_JSON"); !dj.empty()) {
    auto j = nlohmann::json::parse(dj, nullptr, false);
    if (!j.is_discarded()) c.device = j;
  }
  if (auto w = env("CERTIFY_WORKDIR"); !w.empty()) c.workdir = w;
  if (auto s = env("CERTIFY_SYSROOT"); !s.empty()) c.sysroot = s;
  c.destructive = env("CERTIFY_DESTRUCTIVE") == "1";
  c.after_reboot = env("CERTIFY_AFTER_REBOOT") == "1";
  static constexpr std::string_view k_prefix = "CERTIFY_PARAM_";
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (kv.substr(0, k_prefix.size()) != k_prefix) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(kv.substr(k_prefix.size(), eq - k_prefix.size()));
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c.params[key] = std::string(kv.substr(eq + 1));
  }
  return c;
}

nlohmann::json to_json(const TestResult& r) {
  nlohmann::json j = {{"status", outcome_name(r.outcome)}, {"reason", r.reason}, {"metrics", r.metrics}};
  j["messages"] = r.messages;
  return j;
}

int run_builtin(std::string_view name, std::ostream& log) {
  const Builtin* b = find_builtin(name);
  TestResult r;
  TestContext ctx = context_from_env();
  ctx.log = &log;
  if (!b) {
    r = TestResult::error("unknown built-in test '" + std::string(name) + "'");
  } else {
    try {
      r = b->fn(ctx);
    } catch (const std::exception& e) {
      r = TestResult::error(std::string("exception: ") + e.what());
    }
  }
  if ((r.outcome != Outcome::pass) && r.reason.empty())
    r.reason = "(the test gave no reason)";
  log << "certify: " << name << ": " << outcome_name(r.outcome)
      << (r.reason.empty() ? "" : " - " + r.reason) << std::endl;
  auto st = write_file_atomic(ctx.workdir / "result.json", to_json(r).dump(2) + "\n");
  if (!st) log << "certify: cannot write result.json: " << st.message() << std::endl;
  return outcome_exit_code(r.outcome);
}

}  // namespace certify::suites
