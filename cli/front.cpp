// certify: the command users run. `certify probe` runs here, in an executable
// that loads only what probing needs (libpci, pugixml, libstdc++), so that a
// probe starts fast (bench/probe.sh prints the start-up of each executable).
// Every other command line goes, unchanged and in the same process (exec), to
// a sibling executable in libexec:
//  - certify-run: `run` and the built-in tests a run starts (`builtin`). It
//    links sqlite and libcrypto statically and loads only libdrm more than
//    the front: a run and each built-in test start without the ~50 libraries
//    of certify-full (~45 ms of CPU each, bench/runner.sh). Kept out of this
//    front because those two libraries made it 2.1 -> 9.0 MB and four times
//    the relocations, which every probe paid for (most in the TCG lab guest).
//  - certify-full: everything else (libcurl, libarchive, sqlite, libelf,
//    OpenSSL and their ~40 dependencies).
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

constexpr certify::cli::Registrar k_front_commands[] = {certify::cli::add_probe_command};

// `name` (certify-run or certify-full): beside this executable (build tree);
// else where the install put it relative to this one (a relocated install,
// e.g. dpkg --root); else in the configured libexec directory.
int exec_sibling(const char* name, const char* holds, char** argv) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> candidates;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(self.parent_path() / name);
    candidates.push_back(self.parent_path() / CERTIFY_LIBEXEC_FROM_BIN / name);
  }
  candidates.push_back(fs::path(CERTIFY_LIBEXECDIR) / name);
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
  std::cerr << "certify: cannot run " << name << ", which holds " << holds << " (" << tried
            << (err == ENOENT ? ": not found" : "") << ")\n";
  return err == ENOENT ? 127 : 126;  // the shell's codes for "not found" and "cannot execute"
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version")
    return certify::cli::run_app(k_front_commands, argc, argv);
  if (argc >= 2 && std::string_view(argv[1]) == "probe")
    return certify::cli::run_app(k_front_commands, argc, argv);
  if (argc >= 2 && (std::string_view(argv[1]) == "run" || std::string_view(argv[1]) == "builtin"))
    return exec_sibling("certify-run", "run and builtin", argv);
  return exec_sibling("certify-full", "every subcommand but probe, run and builtin", argv);
}
