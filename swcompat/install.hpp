// Install/uninstall test: the package goes into a throwaway root with
// dpkg --root or rpm --root, is removed (purged) again, and every file left
// behind is reported.
#pragma once

#include <filesystem>
#include <string>

#include "swcompat/package.hpp"
#include "swcompat/process.hpp"
#include "swcompat/report.hpp"

namespace certify::swcompat {

struct InstallOptions {
  // Copied as the base of the root (e.g. a debootstrap tree); empty: a
  // minimal root with busybox as /bin/sh so maintainer scripts can run.
  std::filesystem::path base;
  std::filesystem::path busybox = "/bin/busybox";
  int timeout_seconds = 300;
  ProcessRunner runner;  // default: run_process with timeout_seconds
  bool keep_root = false;
};

struct InstallOutcome {
  bool attempted = false;
  std::string skip_reason;       // why it did not run (no dpkg, not root, ...)
  bool installed = false, removed = false;
  std::vector<std::string> missing_after_install;  // package files absent after install
  std::vector<std::string> leftovers;              // files present after removal that were not before
  std::string log;               // tool output
  std::filesystem::path root;    // when keep_root
};

InstallOutcome install_test(const Package& pkg, const std::filesystem::path& file, const InstallOptions& options);

// Runs install_test and records the "install" check in the report.
void add_install_check(const Package& pkg, const std::filesystem::path& file, const std::filesystem::path& base,
                       Report& report);

}  // namespace certify::swcompat
