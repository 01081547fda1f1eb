// certify kabi-check: a kernel module's (or a package's modules') imports and
// CRCs against the target kernel (snapshot, sysroot or Module.symvers).
#include <iostream>

#include "cli/commands.hpp"
#include "core/files.hpp"
#include "swcompat/kabi.hpp"
#include "swcompat/package.hpp"

namespace certify::cli {

namespace {

struct KabiArgs {
  std::vector<std::string> inputs;
  std::string target, sysroot, symvers, allow_list, kernel_release;
  std::string format = "text";
  std::string output;
};

void run(const KabiArgs& a, int& exit_code) {
  swcompat::KabiTarget t;
  if (!a.symvers.empty()) {
    auto raw = read_file(a.symvers, 256u << 20);
    if (!raw) throw CommandError(raw.message());
    auto text = swcompat::decompress(*raw, 512u << 20);
    if (!text) throw CommandError(a.symvers + ": " + text.message());
    std::vector<std::string> errors;
    t.symbols = swcompat::parse_module_symvers(*text, errors);
    if (t.symbols.empty()) throw CommandError(a.symvers + ": no symbols (not a Module.symvers file?)");
    for (auto& e : errors) std::cerr << "warning: " << a.symvers << ": " << e << '\n';
    t.source = a.symvers;
    t.have_crcs = true;
  } else {
    nlohmann::json snap;
    if (!a.target.empty()) {
      auto s = swcompat::load_snapshot(a.target);
      if (!s) throw CommandError(s.message());
      snap = std::move(*s);
    } else {
      probe::Sysroot root(a.sysroot.empty() ? "/" : a.sysroot);
      if (!root.valid()) throw CommandError("sysroot " + a.sysroot + " is not a directory");
      swcompat::SnapshotOptions o;
      o.dimensions = {"kabi"};
      snap = swcompat::take_snapshot(root, o);
    }
    t = swcompat::kabi_target_from_snapshot(snap);
  }
  if (!a.kernel_release.empty()) t.kernel_release = a.kernel_release;
  if (!a.allow_list.empty()) {
    auto text = read_file(a.allow_list, 64u << 20);
    if (!text) throw CommandError(text.message());
    t.allow_list = swcompat::parse_kabi_allow_list(*text);
    t.have_allow_list = true;
  }
  std::vector<swcompat::KernelModule> modules;
  for (auto& in : a.inputs) {
    auto m = swcompat::load_kernel_modules(in);
    if (!m) throw CommandError(m.message());
    for (auto& x : *m) modules.push_back(std::move(x));
  }
  auto r = swcompat::kabi_check(modules, t);
  auto text = swcompat::render_reports({r}, a.format);
  if (a.output.empty() || a.output == "-") std::cout << text;
  else if (auto st = write_file_atomic(a.output, text); !st) throw CommandError(st.message());
  exit_code = r.overall() == swcompat::CheckStatus::fail ? k_exit_failed : k_exit_ok;
}

}  // namespace

void add_kabicheck_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<KabiArgs>();
  auto* cmd = app.add_subcommand("kabi-check", "Check kernel modules against the target kernel's exported symbols");
  cmd->add_option("modules", a->inputs, "MODULE.ko[.xz|.zst] or a .deb/.rpm holding modules")->required()->check(CLI::ExistingFile);
  auto* tg = cmd->add_option("--target", a->target, "Target OS snapshot (its kabi dimension)");
  auto* sr = cmd->add_option("--sysroot", a->sysroot, "Target OS root (Module.symvers or /proc/kallsyms inside)");
  cmd->add_option("--symvers", a->symvers, "The target kernel's Module.symvers (or symvers.gz)")->excludes(tg)->excludes(sr);
  tg->excludes(sr);
  cmd->add_option("--allow-list", a->allow_list, "kABI allow-list (one symbol per line)");
  cmd->add_option("--kernel-release", a->kernel_release, "Target kernel release (default: from the target)");
  cmd->add_option("--format,-f", a->format, "Report format")->check(CLI::IsMember({"text", "json", "html"}))->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Write the report to FILE");
  cmd->callback([a, &exit_code] { run(*a, exit_code); });
}

}  // namespace certify::cli
