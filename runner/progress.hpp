// Progress: a live bar on a terminal, plain lines otherwise, JSON event
// lines for tooling.
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
};

std::string format_duration(double seconds);

}  // namespace certify::runner
