// certify: the command users run. `certify probe` runs here, in a statically
// linked executable that holds only what probing needs, so that a probe
// starts fast (bench/probe.sh prints the start-up of each executable). It
// reads probe's command line itself (probe_run.hpp), without CLI11 or
// iostreams; a line it does not take (--help, a usage error, anything
// unusual) goes to certify-full, whose CLI11 parser answers it, and so does
// a probe that needs what this executable is linked without (libpci for a
// sysroot without uevent, the hash of --anonymize: front_delegated.cpp).
// Every other command line goes, unchanged and in the same process (exec),
// to a sibling executable in libexec:
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
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "certify_config.h"
#include "cli/errors.hpp"
#include "cli/probe_run.hpp"
#include "probe/probe.hpp"

namespace {

void print_error(const std::string& text) {
  // One write; nothing more to do if standard error is gone.
  [[maybe_unused]] auto n = ::write(2, text.data(), text.size());
}

// As run_app() maps a subcommand's errors to exit codes. Sets *delegate
// (nothing printed) when the probe needs what this executable lacks.
int run_probe_line(const certify::cli::ProbeArgs& args, bool* delegate) {
  using namespace certify::cli;
  try {
    run_probe(args);
    return k_exit_ok;
  } catch (const certify::probe::NotInThisExecutable&) {
    // Thrown before anything is written (output and warnings come after
    // the probe): certify-full runs the same command line from the start.
    *delegate = true;
    return k_exit_ok;
  } catch (const CommandError& e) {
    print_error(std::string("certify: ") + e.what() + '\n');
    return e.code;
  } catch (const std::exception& e) {
    print_error(std::string("certify: ") + e.what() + '\n');
    return k_exit_usage;
  }
}

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
  print_error(std::string("certify: cannot run ") + name + ", which holds " + holds + " (" + tried +
              (err == ENOENT ? ": not found" : "") + ")\n");
  return err == ENOENT ? 127 : 126;  // the shell's codes for "not found" and "cannot execute"
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::string text = std::string("certify ") + CERTIFY_VERSION + '\n';  // as CLI11's version flag prints it
    return ::write(1, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : certify::cli::k_exit_usage;
  }
  if (argc >= 2 && std::string_view(argv[1]) == "probe") {
    auto args = certify::cli::parse_probe_arguments(argc - 2, argv + 2);
    if (!args) return exec_sibling("certify-full", "probe's help and usage errors", argv);
    // Linked statically, the front has not the hash (front_delegated.cpp):
    // certify-full at once, not after a probe.
    if (CERTIFY_FRONT_STATIC && args->anonymize)
      return exec_sibling("certify-full", "probe --anonymize (its hash, OpenSSL's)", argv);
    bool delegate = false;
    int status = run_probe_line(*args, &delegate);
    if (delegate) return exec_sibling("certify-full", "libpci, which this sysroot needs (a PCI function without uevent)", argv);
    return status;
  }
  if (argc >= 2 && (std::string_view(argv[1]) == "run" || std::string_view(argv[1]) == "builtin"))
    return exec_sibling("certify-run", "run and builtin", argv);
  return exec_sibling("certify-full", "every subcommand but probe, run and builtin", argv);
}
