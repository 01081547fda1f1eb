// sw-check reports → a run folder of profile "software".
#include "swcompat/runfolder.hpp"

#include <cctype>
#include <set>

#include "certify_config.h"
#include "core/files.hpp"

namespace certify::swcompat {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Checks whose failure refuses the certification; the others inform.
const std::set<std::string>& blocker_checks() {
  static const std::set<std::string> s = {"metadata", "licence", "dependencies", "elf-abi", "architecture", "install"};
  return s;
}

std::string safe_id(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  return out.empty() ? "_" : out;
}

// Writes one member of the run folder, making its directory.
Status put(const fs::path& dir, const std::string& rel, std::string_view text) {
  std::error_code ec;
  fs::create_directories((dir / rel).parent_path(), ec);
  if (ec) return make_error((dir / rel).parent_path().string() + ": " + ec.message());
  return write_file_atomic(dir / rel, text);
}

}  // namespace

std::string software_job_id(const std::string& check, const std::string& package) {
  return "sw." + safe_id(check) + "@" + safe_id(package);
}

Result<fs::path> write_software_run(const SoftwareRun& run, const fs::path& results_dir) {
  auto started = run.started.empty() ? utc_timestamp() : run.started;
  auto finished = run.finished.empty() ? started : run.finished;
  std::string run_id = run.run_id;
  if (run_id.empty()) {
    run_id = "sw-" + started;
    for (auto& c : run_id)
      if (c == ':') c = '-';
  }
  if (safe_id(run_id) != run_id) return make_error("run id \"" + run_id + "\": only letters, digits, '.', '_' and '-'");
  auto dir = results_dir / run_id;
  std::error_code ec;
  if (fs::exists(dir, ec)) return make_error(dir.string() + " exists: a run folder is never overwritten");
  fs::create_directories(dir / "logs", ec);
  if (ec) return make_error(dir.string() + ": " + ec.message());

  json os = run.target.value("os", json::object());
  std::string arch = os.value("arch", "");
  // The snapshot's warnings ("dimension: message") in the inventory's shape.
  json warnings = json::array();
  for (const auto& w : run.target.value("warnings", json::array())) {
    if (!w.is_string()) continue;
    auto text = w.get<std::string>();
    auto colon = text.find(": ");
    if (colon == std::string::npos) warnings.push_back({{"source", "os-snapshot"}, {"message", text}});
    else warnings.push_back({{"source", "os-snapshot " + text.substr(0, colon)}, {"message", text.substr(colon + 2)}});
  }
  json inventory = {{"schema_version", 1},
                    {"tool_version", CERTIFY_VERSION},
                    {"system", json::object()},
                    {"os", os},
                    {"cpu", arch.empty() ? json::object() : json{{"arch", arch}}},
                    {"memory", json::object()},
                    {"devices", json::array()},
                    {"warnings", warnings}};
  json jobs = json::array(), plan_jobs = json::array();
  std::set<std::string> ids;
  for (const auto& r : run.reports) {
    std::string name = r.meta.value("package", "");
    if (name.empty()) return make_error(r.subject + ": report names no package");
    std::string device = "package:" + name;
    json props = {{"file", r.subject}};
    for (const char* k : {"version", "format", "architecture", "sha256"})
      if (r.meta.contains(k)) props[k] = r.meta[k].is_string() ? r.meta[k].get<std::string>() : r.meta[k].dump();
    json dev = {{"id", device}, {"class", "software"}, {"bus", "package"}, {"model", name}, {"props", props}};
    // "Name <mail>" (a Debian maintainer) lists as the name.
    auto vendor = r.meta.value("vendor", "");
    if (auto lt = vendor.find(" <"); lt != std::string::npos && vendor.ends_with(">")) vendor.erase(lt);
    if (!vendor.empty()) dev["vendor"] = vendor;
    inventory["devices"].push_back(dev);
    auto report_file = "reports/" + safe_id(name) + ".json";
    if (auto st = put(dir, report_file, report_to_json(r).dump(2) + "\n"); !st)
      return make_error(st.message());
    if (r.extra.contains("sbom"))
      if (auto st = put(dir, "sbom/" + safe_id(name) + ".spdx.json", r.extra["sbom"].dump(2) + "\n"); !st)
        return make_error(st.message());
    for (const auto& c : r.checks) {
      auto id = software_job_id(c.id, name);
      if (!ids.insert(id).second) return make_error("two reports of package " + name + " (job " + id + " twice)");
      // results.json has no "warn": a warning passes, and says so.
      std::string status = c.status == CheckStatus::fail ? "fail" : c.status == CheckStatus::skip ? "skip" : "pass";
      std::string reason = c.status == CheckStatus::warn ? "warning: " + c.summary : c.summary;
      json metrics = c.data.is_object() ? c.data : json{{"data", c.data}};
      if (c.status == CheckStatus::warn) metrics["warning"] = true;
      auto logs = "logs/" + id;
      std::string out;
      for (const auto& e : c.evidence) out += e + "\n";
      json result = {{"status", status}, {"reason", reason}, {"metrics", metrics}, {"messages", c.evidence}};
      for (auto [file, text] : {std::pair{"/stdout.log", out}, {"/stderr.log", std::string()},
                                {"/result.json", result.dump(2) + "\n"}})
        if (auto st = put(dir, logs + file, text); !st) return make_error(st.message());
      bool blocker = blocker_checks().count(c.id) > 0;
      jobs.push_back({{"id", id}, {"test", "sw." + c.id}, {"suite", "software"}, {"class", "software"},
                      {"device", device}, {"blocker", blocker}, {"description", c.title},
                      {"status", status}, {"reason", reason}, {"started", started}, {"finished", finished},
                      {"duration_s", 0.0}, {"exit_code", nullptr}, {"signal", nullptr}, {"attempts", 1},
                      {"metrics", metrics},
                      {"logs", {{"stdout", logs + "/stdout.log"}, {"stderr", logs + "/stderr.log"},
                                {"result", logs + "/result.json"}}}});
      plan_jobs.push_back({{"id", id}, {"test", "sw." + c.id}, {"suite", "software"}, {"class", "software"},
                           {"device", device}, {"locks", json::array()}, {"after", json::array()},
                           {"report", report_file}});
    }
  }
  json results = {{"schema_version", 1},
                  {"run_id", run_id},
                  {"tool_version", CERTIFY_VERSION},
                  {"profile", "software"},
                  {"started", started},
                  {"finished", finished},
                  {"host", {{"system", json::object()}, {"os", os}, {"cpu", inventory["cpu"]}}},
                  {"jobs", jobs}};
  json plan = {{"schema_version", 1},
               {"profile", "software"},
               {"jobs", plan_jobs},
               {"decisions", json::array({{{"suite", "software"}, {"device", ""}, {"chosen", true},
                                           {"reason", "certify sw-check of " + std::to_string(run.reports.size()) +
                                                          " package(s)"}}})},
               {"left_out", json::array()}};
  for (auto [file, doc] : {std::pair{"inventory.json", &inventory}, {"plan.json", &plan}, {"results.json", &results}})
    if (auto st = put(dir, file, doc->dump(2) + "\n"); !st) return make_error(st.message());
  return dir;
}

}  // namespace certify::swcompat
