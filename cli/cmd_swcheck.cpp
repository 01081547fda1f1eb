// certify sw-check: check .deb/.rpm packages against a target OS (a sysroot
// or an os-snapshot file) and report in text, HTML or JSON.
#include <iostream>

#include "cli/commands.hpp"
#include "core/files.hpp"
#include "swcompat/install.hpp"
#include "swcompat/runfolder.hpp"
#include "swcompat/snapshot.hpp"
#include "swcompat/srcscan.hpp"
#include "swcompat/swcheck.hpp"

namespace certify::cli {

namespace {

struct SwCheckArgs {
  std::vector<std::string> packages;
  std::string sysroot = "/";
  std::string target;
  std::string format = "text";
  std::string output;
  std::string sbom;
  std::string requirements;
  std::string source;
  bool install = false;
  std::string install_base;
  std::string results;
  std::string run_id;
};

void write_out(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return;
  }
  if (auto st = write_file_atomic(path, text); !st) throw CommandError(st.message());
}

void run(const SwCheckArgs& a, int& exit_code) {
  auto hw = swcompat::hwdata_dir();
  auto licenses = swcompat::LicenseList::load(hw);
  if (!licenses) throw CommandError("licence list: " + licenses.message());
  nlohmann::json target;
  if (!a.target.empty()) {
    auto snap = swcompat::load_snapshot(a.target);
    if (!snap) throw CommandError(snap.message());
    target = std::move(*snap);
  } else {
    probe::Sysroot root(a.sysroot);
    if (!root.valid()) throw CommandError("sysroot " + a.sysroot + " is not a directory");
    swcompat::SnapshotOptions so;
    so.dimensions = {"packages", "libraries", "commands"};
    target = swcompat::take_snapshot(root, so);
  }
  if ((!a.sbom.empty() || !a.requirements.empty()) && a.packages.size() != 1)
    throw CommandError("--sbom and --requirements-out take exactly one package");
  std::vector<swcompat::Report> reports;
  bool failed = false;
  auto started = swcompat::utc_timestamp();
  for (const auto& file : a.packages) {
    auto pkg = swcompat::read_package(file);
    if (!pkg) throw CommandError(pkg.message());
    auto r = swcompat::sw_check(*pkg, file, target, *licenses, {});
    if (a.install) swcompat::add_install_check(*pkg, file, a.install_base, r);
    else {
      auto& c = r.add("install", "Install and uninstall in a throwaway root");
      c.status = swcompat::CheckStatus::skip;
      c.summary = "not requested (--install)";
    }
    if (!a.source.empty()) swcompat::add_source_scan_check(a.source, r);
    if (!a.sbom.empty()) write_out(a.sbom, r.extra["sbom"].dump(2) + "\n");
    if (!a.requirements.empty()) write_out(a.requirements, r.extra["requirements"].dump(2) + "\n");
    if (r.overall() == swcompat::CheckStatus::fail) failed = true;
    reports.push_back(std::move(r));
  }
  if (!a.results.empty()) {
    swcompat::SoftwareRun run{a.run_id, started, swcompat::utc_timestamp(), target, reports};
    auto dir = swcompat::write_software_run(run, a.results);
    if (!dir) throw CommandError(dir.message());
    std::cerr << "certify: results in " << dir->string() << " (certify bundle --results " << dir->string() << ")\n";
  }
  write_out(a.output, swcompat::render_reports(reports, a.format));
  exit_code = failed ? k_exit_failed : k_exit_ok;
}

}  // namespace

void add_swcheck_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SwCheckArgs>();
  auto* cmd = app.add_subcommand("sw-check", "Check .deb/.rpm packages against a target OS");
  cmd->add_option("packages", a->packages, "Package files (.deb, .rpm)")->required()->check(CLI::ExistingFile);
  auto* sys = cmd->add_option("--sysroot", a->sysroot, "Target OS root directory")->capture_default_str();
  cmd->add_option("--target", a->target, "Target OS snapshot (certify os-snapshot)")->excludes(sys);
  cmd->add_option("--format,-f", a->format, "Report format")->check(CLI::IsMember({"text", "json", "html"}))->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Write the report to FILE");
  cmd->add_option("--sbom", a->sbom, "Write the SPDX 2.3 JSON SBOM to FILE");
  cmd->add_option("--requirements-out", a->requirements, "Write the package's OS requirements (for os-diff --requirements)");
  cmd->add_option("--source", a->source, "Source tree or tarball to scan for architecture-specific code");
  cmd->add_flag("--install", a->install, "Install and remove the package in a throwaway root (dpkg/rpm --root)");
  cmd->add_option("--install-base", a->install_base, "Directory (e.g. made by debootstrap) copied as the base of the throwaway root");
  cmd->add_option("--results", a->results,
                  "Also write a run folder of profile \"software\" into DIR (for certify report, bundle, submit)");
  cmd->add_option("--run-id", a->run_id, "Name of that run folder (default: sw-<UTC time>)")->needs("--results");
  cmd->callback([a, &exit_code] { run(*a, exit_code); });
}

}  // namespace certify::cli
