// certify: the command users run. `certify probe` runs here, in an executable
// that loads only what probing needs (libpci, libusb, pugixml, libstdc++);
// so do `certify run` and the built-in tests a run starts (`certify builtin`),
// which add sqlite, libcrypto (both linked in) and libdrm (bench/runner.sh).
// Every other command line goes, unchanged and in the same process (exec),
// to certify-full, which links what the other subcommands need: libcurl,
// libarchive, sqlite, libelf, OpenSSL and their ~40 dependencies. Loading and
// relocating those took longer than a whole probe of a small machine
// (bench/probe.sh prints both executables' start-up cost).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <filesystem>
#include <vector>

#include "certify_config.h"
#include "cli/app.hpp"

namespace {

constexpr certify::cli::Registrar k_front_commands[] = {certify::cli::add_probe_command, certify::cli::add_run_command,
                                                       certify::cli::add_builtin_command};

// certify-full: beside this executable (build tree); else where the install
// put it relative to this one (a relocated install, e.g. dpkg --root); else
// in the configured libexec directory.
int exec_full(char** argv) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> candidates;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(self.parent_path() / "certify-full");
    candidates.push_back(self.parent_path() / CERTIFY_LIBEXEC_FROM_BIN / "certify-full");
  }
  candidates.push_back(fs::path(CERTIFY_LIBEXECDIR) / "certify-full");
  std::string tried;
  int err = ENOENT;
  for (const auto& c : candidates) {
    ::execv(c.c_str(), argv);
    err = errno;  // execv returns only on failure
    if (err != ENOENT) {
      tried = c.string() + ": " + std::strerror(err);
      break;
    }
    tried += (tried.empty() ? "" : ", ") + c.lexically_normal().string();
  }
  std::cerr << "certify: cannot run certify-full, which holds every subcommand but probe (" << tried
            << (err == ENOENT ? ": not found" : "") << ")\n";
  return err == ENOENT ? 127 : 126;  // the shell's codes for "not found" and "cannot execute"
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version")
    return certify::cli::run_app(k_front_commands, argc, argv);
  if (argc >= 2 && std::string_view(argv[1]) == "probe")
    return certify::cli::run_app(k_front_commands, argc, argv);
  // run, and the built-in tests a run starts through /proc/self/exe.
  if (argc >= 2 && (std::string_view(argv[1]) == "run" || std::string_view(argv[1]) == "builtin"))
    return certify::cli::run_app(k_front_commands, argc, argv);
  return exec_full(argv);
}
