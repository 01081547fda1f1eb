// certify probe's work, shared by its CLI11 subcommand (cmd_probe.cpp) and
// the probe front (front.cpp), which reads the common command lines without
// CLI11: in a TCG lab guest each run translates every block of code it
// executes, and CLI11's set-up and parse were ~1,400 of a full probe's
// ~12,300 blocks of certify's own code, with the iostream and locale
// initialisation its header brings (bench/probe.sh).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace certify::cli {

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

// One option of `certify probe`, as cmd_probe.cpp gives it to CLI11, and
// the ProbeArgs member it sets: exactly one of value, list and flag.
struct ProbeOption {
  enum class Kind { value, list, flag };
  const char* long_name;   // "--format"
  const char* short_name;  // "-f" or nullptr
  std::string ProbeArgs::*value = nullptr;
  std::vector<std::string> ProbeArgs::*list = nullptr;
  bool ProbeArgs::*flag = nullptr;
  Kind kind() const { return flag ? Kind::flag : list ? Kind::list : Kind::value; }
};
// Every option of `certify probe` (the test compares it with CLI11's help).
extern const ProbeOption k_probe_options[10];
// --format's values, for CLI11's IsMember and the front's reader.
extern const char* const k_probe_formats[3];

// The arguments after `certify probe` read by the rules CLI11 applies to
// them, for the plain command lines: each option once (--class any number
// of times), a value in the next argument or after "--name=", a format
// among k_probe_formats. nullopt for anything else (--help, an unknown or
// repeated option, a missing or odd value, a positional argument): the
// front hands those to CLI11 in certify-full, which gives the same result
// or its own message.
std::optional<ProbeArgs> parse_probe_arguments(int argc, const char* const* argv);

// Probes and prints (or records); throws CommandError for the user.
void run_probe(const ProbeArgs& a);

}  // namespace certify::cli
