// The install test. dpkg and rpm chroot into --root to run maintainer
// scripts, so the root needs a shell: busybox (or a debootstrap base). The
// bookkeeping directories of the package managers are not "leftovers".
#include "swcompat/install.hpp"

#include <unistd.h>

#include <cstdlib>
#include <set>

#include "core/files.hpp"

namespace certify::swcompat {

namespace fs = std::filesystem;

namespace {

bool on_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= p.size()) {
    auto c = p.find(':', pos);
    if (c == std::string::npos) c = p.size();
    auto dir = p.substr(pos, c - pos);
    pos = c + 1;
    if (!dir.empty() && ::access((dir + "/" + tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

bool bookkeeping(const std::string& rel) {
  static const char* k_prefixes[] = {"var/lib/dpkg", "var/lib/rpm", "var/log/", "var/cache/", "usr/lib/sysimage/rpm",
                                     "tmp/", "var/tmp/", "run/"};
  for (auto* p : k_prefixes)
    if (rel.rfind(p, 0) == 0) return true;
  return false;
}

std::set<std::string> tree(const fs::path& root) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    auto rel = it->path().lexically_relative(root).string();
    if (it->is_symlink(ec)) rel += " -> symlink";
    else if (it->is_directory(ec)) rel += "/";
    if (!bookkeeping(rel)) out.insert(rel);
  }
  return out;
}

Status make_minimal_root(const fs::path& root, const InstallOptions& o) {
  std::error_code ec;
  for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "var/lib/dpkg/info", "var/lib/dpkg/updates",
                        "var/lib/dpkg/triggers", "var/lib/dpkg/alternatives", "var/log", "dev", "proc"})
    fs::create_directories(root / d, ec);
  if (ec) return make_error("cannot create the throwaway root: " + ec.message());
  if (!o.base.empty()) {
    fs::copy(o.base, root, fs::copy_options::recursive | fs::copy_options::copy_symlinks | fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error("cannot copy the base root " + o.base.string() + ": " + ec.message());
  } else {
    if (!fs::exists(o.busybox, ec)) return make_error(o.busybox.string() + " not found (install busybox-static)");
    fs::copy_file(o.busybox, root / "bin/busybox", fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error("cannot copy busybox: " + ec.message());
    // The applets maintainer scripts commonly call.
    for (const char* a : {"sh", "cp", "rm", "mv", "ln", "mkdir", "rmdir", "chmod", "chown", "cat", "echo", "touch",
                          "sed", "grep", "test", "[", "true", "false", "printf", "sleep", "find", "id", "which",
                          "head", "tail", "cut", "tr", "sort", "uname", "env", "ls", "stat", "dirname", "basename",
                          "readlink", "wc", "awk", "expr"})
      fs::create_symlink("busybox", root / "bin" / a, ec);
    ec.clear();
  }
  for (const char* f : {"var/lib/dpkg/status", "var/lib/dpkg/available"})
    if (!fs::exists(root / f, ec)) (void)write_file_atomic(root / f, "");
  return ok_status();
}

}  // namespace

InstallOutcome install_test(const Package& pkg, const fs::path& file, const InstallOptions& o) {
  InstallOutcome out;
  bool deb = pkg.format == PackageFormat::deb;
  std::string tool = deb ? "dpkg" : "rpm";
  if (!on_path(tool)) {
    out.skip_reason = tool + " not found on PATH";
    return out;
  }
  // chroot() for the maintainer scripts needs root; without it a user
  // namespace (unshare -r) stands in.
  std::vector<std::string> prefix;
  if (::geteuid() != 0) {
    if (!on_path("unshare")) {
      out.skip_reason = "not root and no unshare for a user namespace";
      return out;
    }
    prefix = {"unshare", "-r", "-m"};
  }
  char tmpl[] = "/tmp/certify-install.XXXXXX";
  if (!::mkdtemp(tmpl)) {
    out.skip_reason = "mkdtemp failed";
    return out;
  }
  fs::path root = tmpl;
  auto run = o.runner ? o.runner : [&](const std::vector<std::string>& argv) { return run_process(argv, o.timeout_seconds); };
  auto cmd = [&](std::vector<std::string> argv) {
    std::vector<std::string> full = prefix;
    full.insert(full.end(), argv.begin(), argv.end());
    auto r = run(full);
    out.log += "$";
    for (auto& a : full) out.log += " " + a;
    out.log += "\n" + r.output + (r.timed_out ? "[timed out]\n" : "") + "[exit " + std::to_string(r.exit_code) + "]\n";
    return r.exit_code == 0 && !r.timed_out;
  };
  auto abs_file = fs::absolute(file).string();
  if (auto st = make_minimal_root(root, o); !st) {
    out.skip_reason = st.message();
  } else {
    out.attempted = true;
    if (!deb) cmd({"rpm", "--root", root.string(), "--initdb"});
    auto before = tree(root);
    if (deb)
      out.installed = cmd({"dpkg", "--root=" + root.string(), "--force-depends",
                           "--no-triggers", "-i", abs_file});
    else
      out.installed = cmd({"rpm", "--root", root.string(), "--force-debian", "--nodeps", "-i", abs_file});
    if (out.installed) {
      for (auto& f : pkg.files) {
        if (f.type == "dir") continue;
        std::error_code ec;
        if (!fs::exists(fs::symlink_status(root / f.path.substr(1), ec))) out.missing_after_install.push_back(f.path);
      }
      if (deb) out.removed = cmd({"dpkg", "--root=" + root.string(), "--force-depends", "--purge", pkg.name});
      else out.removed = cmd({"rpm", "--root", root.string(), "--force-debian", "--nodeps", "-e", pkg.name});
      auto after = tree(root);
      for (auto& p : after)
        if (!before.count(p)) out.leftovers.push_back("/" + p);
    }
  }
  std::error_code ec;
  if (o.keep_root) out.root = root;
  else fs::remove_all(root, ec);
  return out;
}

void add_install_check(const Package& pkg, const fs::path& file, const fs::path& base, Report& report) {
  auto& c = report.add("install", "Install and uninstall in a throwaway root");
  InstallOptions o;
  o.base = base;
  auto out = install_test(pkg, file, o);
  if (!out.attempted) {
    c.status = CheckStatus::skip;
    c.summary = out.skip_reason;
    return;
  }
  c.data = {{"installed", out.installed}, {"removed", out.removed}, {"leftovers", out.leftovers},
            {"missing_after_install", out.missing_after_install}, {"log", out.log}};
  if (!out.installed) {
    c.status = CheckStatus::fail;
    c.summary = "installation failed";
  } else if (!out.removed) {
    c.status = CheckStatus::fail;
    c.summary = "removal failed";
  } else if (!out.leftovers.empty()) {
    c.status = CheckStatus::fail;
    c.summary = std::to_string(out.leftovers.size()) + " file(s) left behind after removal";
    for (auto& l : out.leftovers) c.evidence.push_back("left behind: " + l);
  } else if (!out.missing_after_install.empty()) {
    c.status = CheckStatus::warn;
    c.summary = "installed and removed cleanly, but some files were missing after install";
  } else {
    c.summary = "installed and removed cleanly, nothing left behind";
  }
  for (auto& m : out.missing_after_install) c.evidence.push_back("missing after install: " + m);
  if (c.status == CheckStatus::fail) {
    // The tail of the tool output is the evidence of a failure.
    auto tail = out.log.size() > 2000 ? out.log.substr(out.log.size() - 2000) : out.log;
    c.evidence.push_back("log: " + tail);
  }
}

}  // namespace certify::swcompat
