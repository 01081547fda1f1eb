// Progress rendering: the bar, plain lines, JSON event lines.
#include "runner/progress.hpp"

#include <cmath>
#include <cstdio>

namespace certify::runner {

namespace {

const char* kind_name(RunEvent::Kind k) {
  switch (k) {
    case RunEvent::Kind::run_start: return "run_start";
    case RunEvent::Kind::job_start: return "job_start";
    case RunEvent::Kind::job_end: return "job_end";
    case RunEvent::Kind::progress: return "progress";
    case RunEvent::Kind::run_end: return "run_end";
  }
  return "progress";
}

nlohmann::json opt(const std::optional<int>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

std::string format_duration(double s) {
  if (s < 0) return "?";
  auto t = static_cast<long>(std::lround(s));
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

nlohmann::json to_json(const RunEvent& e) {
  nlohmann::json j = {{"event", kind_name(e.kind)}, {"time", e.time},     {"run_id", e.run_id},
                      {"done", e.done},             {"total", e.total},   {"running", e.running},
                      {"elapsed_s", e.elapsed_s},   {"eta_s", e.eta_s >= 0 ? nlohmann::json(e.eta_s) : nlohmann::json(nullptr)}};
  switch (e.kind) {
    case RunEvent::Kind::run_start:
      j["workers"] = e.workers;
      j["resumed"] = e.resumed;
      break;
    case RunEvent::Kind::job_start:
    case RunEvent::Kind::job_end:
      j["job"] = e.job_id;
      j["test"] = e.test;
      j["device"] = e.device;
      j["attempt"] = e.attempt;
      if (e.kind == RunEvent::Kind::job_end) {
        j["status"] = e.status;
        j["reason"] = e.reason;
        j["duration_s"] = e.duration_s;
        j["exit_code"] = opt(e.exit_code);
        j["signal"] = opt(e.signal);
      }
      break;
    case RunEvent::Kind::progress: j["running_jobs"] = e.running_ids; break;
    case RunEvent::Kind::run_end: {
      const auto& s = e.summary;
      j["status"] = s.was_interrupted ? "interrupted" : "finished";
      j["counts"] = {{"pass", s.pass},       {"fail", s.fail},       {"skip", s.skip}, {"error", s.error},
                     {"timeout", s.timeout}, {"interrupted", s.interrupted}};
      j["exit_status"] = e.exit_status;
      j["results"] = e.results;
      nlohmann::json runner = nlohmann::json::object();
      if (e.cpu_user_s >= 0) runner["cpu_user_s"] = e.cpu_user_s;
      if (e.cpu_sys_s >= 0) runner["cpu_sys_s"] = e.cpu_sys_s;
      if (e.max_rss_kib >= 0) runner["max_rss_kib"] = e.max_rss_kib;
      j["runner"] = runner;
      break;
    }
  }
  return j;
}

void Progress::operator()(const RunEvent& e) {
  switch (mode_) {
    case ProgressMode::quiet: return;
    case ProgressMode::json: out_ << to_json(e).dump() << '\n' << std::flush; return;
    case ProgressMode::lines:
      if (e.kind == RunEvent::Kind::job_end)
        out_ << "[" << e.done << "/" << e.total << "] " << e.status << " " << e.job_id << " ("
             << format_duration(e.duration_s) << ")" << (e.reason.empty() ? "" : ": " + e.reason) << '\n'
             << std::flush;
      return;
    case ProgressMode::bar: draw_bar(e); return;
  }
}

void Progress::draw_bar(const RunEvent& e) {
  if (e.kind == RunEvent::Kind::run_end) {
    close();
    return;
  }
  bool failed = e.kind == RunEvent::Kind::job_end && e.status != "pass" && e.status != "skip";
  if (failed) out_ << "\r\033[K" << e.status << " " << e.job_id << (e.reason.empty() ? "" : ": " + e.reason) << '\n';
  // A terminal redrawn for every job of a fast plan costs more than the jobs:
  // at most ten frames a second, but always the first, the last and after a
  // failure line.
  bool last = e.kind == RunEvent::Kind::job_end && e.done == e.total;
  if (bar_shown_ && !failed && !last && e.elapsed_s - last_draw_s_ < 0.1) return;
  last_draw_s_ = e.elapsed_s;
  int cells = 30;
  int filled = e.total ? static_cast<int>(cells * e.done / e.total) : cells;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar += std::string(static_cast<std::size_t>(cells - filled), '.');
  std::string line = "[" + bar + "] " + std::to_string(e.done) + "/" + std::to_string(e.total) + " running " +
                     std::to_string(e.running) + " elapsed " + format_duration(e.elapsed_s) + " ETA " +
                     format_duration(e.eta_s);
  if (!e.running_ids.empty()) line += "  " + e.running_ids.front() + (e.running_ids.size() > 1 ? " ..." : "");
  if (width_ > 1 && static_cast<int>(line.size()) > width_ - 1) line.resize(static_cast<std::size_t>(width_ - 1));
  out_ << "\r\033[K" << line << std::flush;
  bar_shown_ = true;
}

void Progress::close() {
  if (bar_shown_) out_ << '\n' << std::flush;
  bar_shown_ = false;
}

}  // namespace certify::runner
