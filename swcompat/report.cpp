// Report rendering: JSON is the contract; text and HTML are views of it.
#include "swcompat/report.hpp"

#include <chrono>
#include <ctime>
#include <sstream>

#include "certify_config.h"
#include "core/text.hpp"

namespace certify::swcompat {

using nlohmann::json;

const char* status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass: return "pass";
    case CheckStatus::warn: return "warn";
    case CheckStatus::fail: return "fail";
    case CheckStatus::skip: return "skip";
  }
  return "?";
}

CheckStatus Report::overall() const {
  CheckStatus o = CheckStatus::pass;
  for (auto& c : checks) {
    if (c.status == CheckStatus::fail) return CheckStatus::fail;
    if (c.status == CheckStatus::warn) o = CheckStatus::warn;
  }
  return o;
}

Check& Report::add(std::string id, std::string title) {
  checks.push_back(Check{std::move(id), std::move(title), CheckStatus::pass, "", {}, json::object()});
  return checks.back();
}

std::string utc_timestamp() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json report_to_json(const Report& r) {
  json checks = json::array();
  for (auto& c : r.checks)
    checks.push_back({{"id", c.id}, {"title", c.title}, {"status", status_name(c.status)}, {"summary", c.summary},
                      {"evidence", c.evidence}, {"data", c.data}});
  json j = {{"kind", r.kind}, {"subject", r.subject}, {"tool", std::string("certify ") + CERTIFY_VERSION},
            {"status", status_name(r.overall())}, {"meta", r.meta}, {"checks", checks}};
  for (auto& [k, v] : r.extra.items()) j[k] = v;
  return j;
}

std::string report_to_text(const Report& r) {
  std::ostringstream os;
  os << r.kind << ": " << r.subject << "  [" << status_name(r.overall()) << "]\n";
  for (auto& [k, v] : r.meta.items()) os << "  " << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << '\n';
  for (auto& c : r.checks) {
    std::string st = status_name(c.status);
    for (auto& ch : st) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    os << "  " << st << std::string(5 - st.size(), ' ') << c.title << ": " << c.summary << '\n';
    for (auto& e : c.evidence) os << "        " << e << '\n';
  }
  return os.str();
}

namespace {

std::string html_body(const Report& r) {
  std::ostringstream os;
  os << "<section class=\"report\"><h2>" << html_escape(r.kind) << ": " << html_escape(r.subject)
     << " <span class=\"st "
     << status_name(r.overall()) << "\">" << status_name(r.overall()) << "</span></h2>\n<dl>";
  for (auto& [k, v] : r.meta.items())
    os << "<dt>" << html_escape(k) << "</dt><dd>" << html_escape(v.is_string() ? v.get<std::string>() : v.dump())
       << "</dd>";
  os << "</dl>\n<table><tr><th>check</th><th>status</th><th>summary</th><th>evidence</th></tr>\n";
  for (auto& c : r.checks) {
    os << "<tr><td>" << html_escape(c.title) << "</td><td class=\"st " << status_name(c.status) << "\">"
       << status_name(c.status) << "</td><td>" << html_escape(c.summary) << "</td><td>";
    if (!c.evidence.empty()) {
      os << "<ul>";
      for (auto& e : c.evidence) os << "<li>" << html_escape(e) << "</li>";
      os << "</ul>";
    }
    os << "</td></tr>\n";
  }
  os << "</table></section>\n";
  return os.str();
}

}  // namespace

std::string report_to_html(const Report& r) { return render_reports({r}, "html"); }

std::string render_reports(const std::vector<Report>& reports, const std::string& format) {
  if (format == "json") {
    if (reports.size() == 1) return report_to_json(reports[0]).dump(2) + "\n";
    json arr = json::array();
    for (auto& r : reports) arr.push_back(report_to_json(r));
    return json{{"reports", arr}}.dump(2) + "\n";
  }
  if (format == "html") {
    std::ostringstream os;
    os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>certify "
       << html_escape(reports.empty() ? "report" : reports[0].kind) << "</title>\n<style>"
       << "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
       << "padding:4px;vertical-align:top;text-align:left}.pass{color:#070}.warn{color:#a60}.fail{color:#b00}"
       << ".skip{color:#666}</style></head><body>\n";
    for (auto& r : reports) os << html_body(r);
    os << "</body></html>\n";
    return os.str();
  }
  std::string out;
  for (auto& r : reports) out += report_to_text(r);
  return out;
}

}  // namespace certify::swcompat
