// certify os-snapshot: record an OS (packages, kABI, kconfig, sysctl, boot
// parameters, modules, syscalls, services, commands, environment, ports,
// shared libraries) as versioned JSON.
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "core/files.hpp"
#include "swcompat/snapshot.hpp"

namespace certify::cli {

namespace {

struct SnapArgs {
  std::string sysroot = "/";
  std::string output;
  std::vector<std::string> dimensions;
  std::string created;
};

void run(const SnapArgs& a, int& exit_code) {
  probe::Sysroot root(a.sysroot);
  if (!root.valid()) throw CommandError("sysroot " + a.sysroot + " is not a directory");
  swcompat::SnapshotOptions o;
  o.created = a.created;
  for (auto& item : a.dimensions) {
    std::stringstream ss(item);
    std::string d;
    while (std::getline(ss, d, ',')) {
      if (d.empty()) continue;
      auto& all = swcompat::snapshot_dimensions();
      if (std::find(all.begin(), all.end(), d) == all.end()) throw CommandError("unknown dimension \"" + d + "\"");
      o.dimensions.push_back(d);
    }
  }
  auto snap = swcompat::take_snapshot(root, o);
  auto text = snap.dump(1) + "\n";
  if (a.output.empty() || a.output == "-") std::cout << text;
  else if (auto st = write_file_atomic(a.output, text); !st) throw CommandError(st.message());
  for (auto& w : snap["warnings"]) std::cerr << "warning: " << w.get<std::string>() << '\n';
  exit_code = k_exit_ok;
}

}  // namespace

void add_ossnapshot_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SnapArgs>();
  auto* cmd = app.add_subcommand("os-snapshot", "Record what an OS offers to software (JSON)");
  cmd->add_option("--sysroot", a->sysroot, "Root directory of the OS to record")->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Write to FILE instead of standard output");
  cmd->add_option("--dimensions,-d", a->dimensions, "Comma-separated dimensions (default: all)");
  cmd->add_option("--created", a->created, "Time stamp to record (default: now)");
  cmd->callback([a, &exit_code] { run(*a, exit_code); });
}

}  // namespace certify::cli
