// certify probe: its options for CLI11 (certify-full; the probe front reads
// the same options itself, probe_run.hpp). The work is in probe_run.cpp.
#include <memory>

#include "cli/commands.hpp"
#include "cli/probe_run.hpp"

namespace certify::cli {

void add_probe_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ProbeArgs>();
  auto* cmd = app.add_subcommand("probe", "Enumerate CPU, memory, devices and system facts");
  // The names and kinds here are k_probe_options' (the test compares them).
  cmd->add_option("--sysroot", args->sysroot, "Root directory to read sysfs/procfs/etc from")
      ->capture_default_str();
  cmd->add_option("--format,-f", args->format, "Output format")
      ->check(CLI::IsMember(std::vector<const char*>(std::begin(k_probe_formats), std::end(k_probe_formats))))
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
  cmd->callback([args, &exit_code] {
    run_probe(*args);
    exit_code = k_exit_ok;
  });
}

}  // namespace certify::cli
