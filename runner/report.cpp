// Report rendering. The HTML report inlines its style and links logs by
// relative path, so the run folder opens offline as it is.
#include "runner/report.hpp"

#include <map>
#include <sstream>

#include "core/text.hpp"
#include "runner/progress.hpp"

namespace certify::runner {

namespace {

std::string str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// class -> device -> jobs
using Groups = std::map<std::string, std::map<std::string, std::vector<const nlohmann::json*>>>;

Groups group(const nlohmann::json& r) {
  Groups g;
  for (const auto& j : r["jobs"]) g[str(j, "class")][str(j, "device")].push_back(&j);
  return g;
}

std::map<std::string, int> counts(const nlohmann::json& r) {
  std::map<std::string, int> c;
  for (const auto& j : r["jobs"]) ++c[str(j, "status")];
  return c;
}

std::string text(const nlohmann::json& r) {
  std::ostringstream os;
  os << "certify run " << str(r, "run_id") << " (certify " << str(r, "tool_version") << ")\n";
  os << "started " << str(r, "started") << ", finished " << str(r, "finished") << "\n";
  auto c = counts(r);
  os << r["jobs"].size() << " jobs:";
  for (const char* s : {"pass", "fail", "skip", "error", "timeout", "interrupted"}) os << " " << c[s] << " " << s;
  os << "\n";
  for (const auto& [cls, devs] : group(r)) {
    os << "\n" << cls << "\n";
    for (const auto& [dev, jobs] : devs) {
      os << "  " << (dev.empty() ? "(all devices)" : dev) << "\n";
      for (const auto* j : jobs) {
        os << "    " << str(*j, "status") << std::string(12 - std::min<std::size_t>(11, str(*j, "status").size()), ' ')
           << str(*j, "test") << "  " << format_duration((*j)["duration_s"].get<double>());
        if (!str(*j, "reason").empty()) os << "  " << str(*j, "reason");
        os << "\n";
        if (str(*j, "status") != "pass") os << "                log: " << str((*j)["logs"], "stderr") << "\n";
      }
    }
  }
  return os.str();
}

std::string html(const nlohmann::json& r) {
  std::ostringstream os;
  auto c = counts(r);
  os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>certify run " << html_escape(str(r, "run_id"))
     << "</title>\n<style>\n"
        "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#eee}"
        ".pass{background:#d8f5d0}.fail,.error,.timeout{background:#f8d0d0}.skip{background:#f3f0c8}"
        ".interrupted{background:#e0e0f0}.summary span{margin-right:1em;padding:.2em .5em}\n"
        "</style></head><body>\n";
  os << "<h1>certify run " << html_escape(str(r, "run_id")) << "</h1>\n<p>certify " << html_escape(str(r, "tool_version"))
     << ", started " << html_escape(str(r, "started")) << ", finished " << html_escape(str(r, "finished")) << "</p>\n";
  const auto& host = r.value("host", nlohmann::json::object());
  os << "<p>Host: <code>" << html_escape(host.value("system", nlohmann::json::object()).dump()) << "</code></p>\n";
  os << "<p class=\"summary\">";
  for (const char* s : {"pass", "fail", "skip", "error", "timeout", "interrupted"})
    os << "<span class=\"" << s << "\">" << c[s] << " " << s << "</span>";
  os << "</p>\n";
  for (const auto& [cls, devs] : group(r)) {
    os << "<h2>" << html_escape(cls) << "</h2>\n";
    for (const auto& [dev, jobs] : devs) {
      os << "<h3>" << html_escape(dev.empty() ? "(all devices)" : dev) << "</h3>\n<table><tr><th>test</th><th>status</th>"
         << "<th>reason</th><th>duration</th><th>logs</th></tr>\n";
      for (const auto* j : jobs) {
        auto st = str(*j, "status");
        const auto& logs = (*j)["logs"];
        os << "<tr class=\"" << html_escape(st) << "\"><td title=\"" << html_escape(str(*j, "description")) << "\">"
           << html_escape(str(*j, "test")) << "</td><td>" << html_escape(st) << "</td><td>" << html_escape(str(*j, "reason")) << "</td><td>"
           << format_duration((*j)["duration_s"].get<double>()) << "</td><td><a href=\"" << html_escape(str(logs, "stdout"))
           << "\">stdout</a> <a href=\"" << html_escape(str(logs, "stderr")) << "\">stderr</a></td></tr>\n";
      }
      os << "</table>\n";
    }
  }
  os << "</body></html>\n";
  return os.str();
}

std::string junit(const nlohmann::json& r) {
  std::ostringstream os;
  auto g = group(r);
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"certify " << html_escape(str(r, "run_id")) << "\">\n";
  std::map<std::string, std::vector<const nlohmann::json*>> by_suite;
  for (const auto& j : r["jobs"]) by_suite[str(j, "suite")].push_back(&j);
  for (const auto& [suite, jobs] : by_suite) {
    int fails = 0, errors = 0, skips = 0;
    double time = 0;
    for (const auto* j : jobs) {
      auto st = str(*j, "status");
      fails += st == "fail";
      errors += st == "error" || st == "timeout" || st == "interrupted";
      skips += st == "skip";
      time += (*j)["duration_s"].get<double>();
    }
    os << "  <testsuite name=\"" << html_escape(suite) << "\" tests=\"" << jobs.size() << "\" failures=\"" << fails
       << "\" errors=\"" << errors << "\" skipped=\"" << skips << "\" time=\"" << time << "\">\n";
    for (const auto* j : jobs) {
      auto st = str(*j, "status");
      os << "    <testcase classname=\"" << html_escape(str(*j, "class")) << "." << html_escape(str(*j, "device")) << "\" name=\""
         << html_escape(str(*j, "test")) << "\" time=\"" << (*j)["duration_s"].get<double>() << "\"";
      if (st == "pass") {
        os << "/>\n";
        continue;
      }
      os << ">\n      ";
      auto reason = html_escape(str(*j, "reason"));
      if (st == "fail") os << "<failure message=\"" << reason << "\"/>";
      else if (st == "skip") os << "<skipped message=\"" << reason << "\"/>";
      else os << "<error type=\"" << html_escape(st) << "\" message=\"" << reason << "\"/>";
      os << "\n      <system-out>see " << html_escape(str((*j)["logs"], "stdout")) << "</system-out>\n    </testcase>\n";
    }
    os << "  </testsuite>\n";
  }
  os << "</testsuites>\n";
  return os.str();
}

}  // namespace

Result<std::string> render_report(const nlohmann::json& results, const std::string& format) {
  if (!results.is_object() || !results.contains("jobs") || !results["jobs"].is_array())
    return make_error("not a certify results.json (no jobs array)");
  for (const auto& j : results["jobs"])
    if (!j.is_object() || !j.contains("duration_s") || !j["duration_s"].is_number() || !j.contains("logs") ||
        !j["logs"].is_object())
      return make_error("not a certify results.json (a job lacks duration_s or logs)");
  if (format == "text") return text(results);
  if (format == "html") return html(results);
  if (format == "json") return results.dump(2) + "\n";
  if (format == "junit") return junit(results);
  return make_error("unknown report format " + format);
}

}  // namespace certify::runner
