// certify report: render a run's results.json as text, HTML, JSON or JUnit.
#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "core/files.hpp"
#include "runner/report.hpp"

namespace certify::cli {

void add_report_command(CLI::App& app, int& exit_code) {
  auto run = std::make_shared<std::string>();
  auto results = std::make_shared<std::string>("results");
  auto fmt = std::make_shared<std::string>("text");
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("report", "Show a run's results as text, HTML, JSON or JUnit XML");
  cmd->add_option("run", *run, "Run folder or results.json (default: the newest run in --results)");
  cmd->add_option("--results", *results, "Directory holding the run folders")->capture_default_str();
  cmd->add_option("--format,-f", *fmt, "Report format")
      ->check(CLI::IsMember({"text", "html", "json", "junit"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", *out, "Write to FILE instead of standard output");
  cmd->callback([=, &exit_code] {
    namespace fs = std::filesystem;
    fs::path p = *run;
    if (p.empty()) {
      std::vector<fs::path> dirs;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(*results, ec))
        if (fs::exists(e.path() / "results.json")) dirs.push_back(e.path());
      if (dirs.empty()) throw CommandError("no run with a results.json in " + *results);
      p = *std::max_element(dirs.begin(), dirs.end());
    }
    if (fs::is_directory(p)) p /= "results.json";
    auto text = read_file(p, 256 << 20);
    if (!text) throw CommandError(text.message());
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) throw CommandError(p.string() + ": not valid JSON");
    auto r = runner::render_report(j, *fmt);
    if (!r) throw CommandError(p.string() + ": " + r.message());
    if (out->empty() || *out == "-") std::cout << *r;
    else if (auto st = write_file_atomic(*out, *r); !st) throw CommandError(st.message());
    exit_code = k_exit_ok;
  });
}

}  // namespace certify::cli
