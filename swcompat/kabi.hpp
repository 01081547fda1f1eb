// kabi-check: a third-party kernel module's imported symbols and their
// modversions CRCs against the target kernel's exports and a kABI allow-list.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "swcompat/elf.hpp"
#include "swcompat/report.hpp"
#include "swcompat/snapshot.hpp"

namespace certify::swcompat {

struct KabiTarget {
  std::map<std::string, KernelSymbol> symbols;  // exported by the kernel and its modules
  std::string source;                           // where they came from
  std::string kernel_release;                   // "" when unknown
  bool have_crcs = false;
  bool have_allow_list = false;
  std::set<std::string> allow_list;
};

// A kABI stable/allow list: one symbol per line; "[section]" headers,
// comments (#) and indentation are ignored (RHEL kabi_stablelist format).
std::set<std::string> parse_kabi_allow_list(std::string_view text);

// The kernel's exports from an os-snapshot's kabi dimension.
KabiTarget kabi_target_from_snapshot(const nlohmann::json& snapshot);

struct KernelModule {
  std::string name;  // file name or path inside the package
  ElfInfo elf;
};

// Reads .ko (also .ko.xz/.ko.zst/.ko.gz) files, or every module inside a
// .deb/.rpm package.
Result<std::vector<KernelModule>> load_kernel_modules(const std::string& path);

Report kabi_check(const std::vector<KernelModule>& modules, const KabiTarget& target);

}  // namespace certify::swcompat
