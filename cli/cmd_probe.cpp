// certify probe: enumerate the machine (or a recorded sysroot) and print the
// inventory as JSON, XML or a table.
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "cli/commands.hpp"
#include "core/files.hpp"
#include "probe/probe.hpp"
#include "probe/record.hpp"

namespace certify::cli {

namespace {

struct ProbeArgs {
  std::string sysroot = "/";
  std::string format = "json";
  std::vector<std::string> classes;
  bool anonymize = false;
  std::string salt;
  std::string output;
  std::string ids_dir = "/usr/share/misc";
  bool list_classes = false;
  bool no_live = false;
  std::string record;
};

std::vector<std::string> split_classes(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& item : in) {
    std::stringstream ss(item);
    std::string c;
    while (std::getline(ss, c, ','))
      if (!c.empty()) out.push_back(c);
  }
  return out;
}

std::string random_salt() {
  std::random_device rd;
  std::ostringstream os;
  for (int i = 0; i < 4; ++i) os << std::hex << rd();
  return os.str();
}

// --record DIR: copy the probed subset of the sysroot into a new fixture.
void record(const probe::Sysroot& root, const ProbeArgs& a) {
  probe::RecordOptions ro;
  // Fixtures are shared: the host name is the one personal fact a sysroot
  // copy carries outside DMI serials, which tests need verbatim.
  if (a.anonymize) ro.hostname = "certify-fixture";
  auto st = probe::record_sysroot(root, a.record, ro);
  if (!st) throw CommandError(st.message());
  for (const auto& n : st->notes) std::cerr << "note: " << n << '\n';
  std::cerr << "recorded " << st->files << " files, " << st->links << " links into " << a.record
            << " (" << st->unreadable << " unreadable, " << st->too_large << " too large, skipped)\n";
}

void run_probe(const ProbeArgs& a, int& exit_code) {
  if (a.list_classes) {
    for (const auto& p : probe::class_probes())
      std::cout << p.name << std::string(10 - std::min<std::size_t>(p.name.size(), 9), ' ')
                << p.summary << '\n';
    return;
  }
  probe::Sysroot root(a.sysroot);
  if (!a.record.empty()) {
    record(root, a);
    exit_code = k_exit_ok;
    return;
  }
  probe::ProbeOptions opts;
  opts.classes = split_classes(a.classes);
  opts.ids_dir = a.ids_dir;
  opts.live_queries = !a.no_live;
  auto inv = probe::probe_all(root, opts);
  if (!inv) throw CommandError(inv.message());
  nlohmann::json j = probe::to_json(*inv);
  if (a.anonymize) probe::anonymize(j, a.salt.empty() ? random_salt() : a.salt);
  std::string text;
  if (a.format == "json") {
    // Strings are made valid UTF-8 where they are read; replace stays as
    // the last guard so output never throws.
    text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (a.format == "xml") {
    text = probe::to_xml(j);
  } else {
    // The table is built from the (possibly anonymised) JSON.
    auto back = probe::inventory_from_json(j);
    if (!back) throw CommandError(back.message());
    text = probe::to_table(*back);
  }
  if (a.output.empty() || a.output == "-") {
    std::cout << text;
  } else if (auto st = write_file_atomic(a.output, text); !st) {
    throw CommandError(st.message());
  }
  // One write for all warnings (unbuffered std::cerr writes each piece).
  std::string warnings;
  for (const auto& w : inv->warnings) warnings += "warning: " + w.source + ": " + w.message + '\n';
  std::cerr << warnings;
  exit_code = k_exit_ok;
}

}  // namespace

void add_probe_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ProbeArgs>();
  auto* cmd = app.add_subcommand("probe", "Enumerate CPU, memory, devices and system facts");
  cmd->add_option("--sysroot", args->sysroot, "Root directory to read sysfs/procfs/etc from")
      ->capture_default_str();
  cmd->add_option("--format,-f", args->format, "Output format")
      ->check(CLI::IsMember({"json", "xml", "table"}))
      ->capture_default_str();
  cmd->add_option("--class,-c", args->classes, "Comma-separated probes/classes to run (see --list-classes)");
  cmd->add_flag("--anonymize", args->anonymize, "Hash serials, MACs, WWPNs and UUIDs with a per-run salt");
  cmd->add_option("--salt", args->salt, "Salt for --anonymize (default: random per run)");
  cmd->add_option("-o,--output", args->output, "Write to FILE instead of standard output");
  cmd->add_option("--ids-dir", args->ids_dir, "Directory holding pci.ids and usb.ids")
      ->capture_default_str();
  cmd->add_flag("--no-live", args->no_live, "Do not use ioctls (ethtool, NVMe identify) even on the live system");
  cmd->add_option("--record", args->record,
                  "Copy the sysfs/procfs/etc subset the probes read into a new fixture DIR "
                  "(with --anonymize: host name replaced)");
  cmd->add_flag("--list-classes", args->list_classes, "List the probes and exit");
  cmd->callback([args, &exit_code] { run_probe(*args, exit_code); });
}

}  // namespace certify::cli
