// Progress: a live bar on a terminal (done/total, running jobs, elapsed,
// ETA), plain lines otherwise, JSON event lines for tooling.
#pragma once

#include <ostream>

#include "runner/run.hpp"

namespace certify::runner {

enum class ProgressMode { bar, lines, json, quiet };

class Progress {
 public:
  Progress(std::ostream& out, ProgressMode mode, int width = 80) : out_(out), mode_(mode), width_(width) {}
  void operator()(const RunEvent& e);
  void close();  // ends the bar's line

 private:
  std::ostream& out_;
  ProgressMode mode_;
  int width_;
  bool bar_shown_ = false;
  double last_draw_s_ = 0;  // elapsed_s of the last frame
  void draw_bar(const RunEvent& e);
};

std::string format_duration(double seconds);
// One --json event line (schemas/run-events.schema.json).
nlohmann::json to_json(const RunEvent& e);

}  // namespace certify::runner
