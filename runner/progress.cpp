// Progress rendering.
#include "runner/progress.hpp"

#include <cmath>
#include <cstdio>

namespace certify::runner {

std::string format_duration(double s) {
  if (s < 0) return "?";
  auto t = static_cast<long>(std::lround(s));
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

void Progress::operator()(const RunEvent& e) {
  const char* kinds[] = {"start", "finish", "tick"};
  switch (mode_) {
    case ProgressMode::quiet: return;
    case ProgressMode::json: {
      nlohmann::json j = {{"event", kinds[static_cast<int>(e.kind)]}, {"done", e.done}, {"total", e.total},
                          {"running", e.running}, {"elapsed_s", e.elapsed_s}};
      if (!e.job_id.empty()) j["job"] = e.job_id;
      if (e.kind == RunEvent::Kind::finish) {
        j["status"] = e.status;
        j["reason"] = e.reason;
        j["duration_s"] = e.duration_s;
      }
      if (e.eta_s >= 0) j["eta_s"] = e.eta_s;
      out_ << j.dump() << '\n' << std::flush;
      return;
    }
    case ProgressMode::lines:
      if (e.kind == RunEvent::Kind::finish)
        out_ << "[" << e.done << "/" << e.total << "] " << e.status << " " << e.job_id << " ("
             << format_duration(e.duration_s) << ")" << (e.reason.empty() ? "" : ": " + e.reason) << '\n'
             << std::flush;
      return;
    case ProgressMode::bar: {
      if (e.kind == RunEvent::Kind::finish && e.status != "pass" && e.status != "skip") {
        out_ << "\r\033[K" << e.status << " " << e.job_id << (e.reason.empty() ? "" : ": " + e.reason) << '\n';
      }
      int cells = 30;
      int filled = e.total ? static_cast<int>(cells * e.done / e.total) : cells;
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar += std::string(static_cast<std::size_t>(cells - filled), '.');
      std::string line = "[" + bar + "] " + std::to_string(e.done) + "/" + std::to_string(e.total) + " running " +
                         std::to_string(e.running) + " elapsed " + format_duration(e.elapsed_s) + " ETA " +
                         format_duration(e.eta_s);
      if (!e.running_ids.empty()) line += "  " + e.running_ids.front() + (e.running_ids.size() > 1 ? " ..." : "");
      if (static_cast<int>(line.size()) > width_ - 1) line.resize(static_cast<std::size_t>(width_ - 1));
      out_ << "\r\033[K" << line << std::flush;
      bar_shown_ = true;
      return;
    }
  }
}

void Progress::close() {
  if (bar_shown_) out_ << '\n' << std::flush;
  bar_shown_ = false;
}

}  // namespace certify::runner
