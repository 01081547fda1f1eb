// certify os-diff: compare two OS snapshots per dimension with scores, or
// check an application's requirements (sw-check --requirements-out)
// against one snapshot.
#include <iostream>

#include "cli/commands.hpp"
#include "core/files.hpp"
#include "swcompat/diff.hpp"
#include "swcompat/snapshot.hpp"
#include "swcompat/swcheck.hpp"

namespace certify::cli {

namespace {

struct DiffArgs {
  std::vector<std::string> snapshots;
  std::string requirements;
  std::string format = "text";
  std::string output;
  double fail_below = -1;
};

nlohmann::json load(const std::string& path) {
  auto s = swcompat::load_snapshot(path);
  if (!s) throw CommandError(s.message());
  return *s;
}

void run(const DiffArgs& a, int& exit_code) {
  swcompat::Report r;
  if (!a.requirements.empty()) {
    if (a.snapshots.size() != 1) throw CommandError("--requirements takes exactly one snapshot");
    auto text = read_file(a.requirements, 256u << 20);
    if (!text) throw CommandError(text.message());
    auto req = nlohmann::json::parse(*text, nullptr, false);
    if (req.is_discarded() || !req.is_object() || req.value("format", "") != "certify-requirements")
      throw CommandError(a.requirements + ": not a certify requirements file (sw-check --requirements-out)");
    if (req.value("format_version", 0) > 1)
      throw CommandError(a.requirements + ": requirements format version " + std::to_string(req.value("format_version", 0)) +
                         " is newer than this certify understands (1)");
    r = swcompat::check_requirements(req, load(a.snapshots[0]));
    exit_code = r.overall() == swcompat::CheckStatus::fail ? k_exit_failed : k_exit_ok;
  } else {
    if (a.snapshots.size() != 2) throw CommandError("os-diff takes two snapshots: A B");
    r = swcompat::os_diff_report(load(a.snapshots[0]), load(a.snapshots[1]));
    exit_code = k_exit_ok;
    if (a.fail_below >= 0 && r.extra["overall_score"].is_number() && r.extra["overall_score"].get<double>() < a.fail_below)
      exit_code = k_exit_failed;
  }
  auto text = swcompat::render_reports({r}, a.format);
  if (a.output.empty() || a.output == "-") std::cout << text;
  else if (auto st = write_file_atomic(a.output, text); !st) throw CommandError(st.message());
}

}  // namespace

void add_osdiff_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<DiffArgs>();
  auto* cmd = app.add_subcommand("os-diff", "Compare two OS snapshots, or check requirements against one");
  cmd->add_option("snapshots", a->snapshots, "Snapshot files: A B (or one with --requirements)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--requirements", a->requirements, "Requirements file from sw-check --requirements-out")->check(CLI::ExistingFile);
  cmd->add_option("--format,-f", a->format, "Report format")->check(CLI::IsMember({"text", "json", "html"}))->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Write the report to FILE");
  cmd->add_option("--fail-below", a->fail_below, "Exit 1 when the overall score (percent) is below this");
  cmd->callback([a, &exit_code] { run(*a, exit_code); });
}

}  // namespace certify::cli
