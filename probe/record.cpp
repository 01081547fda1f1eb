// Fixture recorder: copies what the probes read (and nothing with side
// effects) from a live machine or another sysroot into a replayable directory.
#include "probe/record.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>
#include <system_error>

namespace certify::probe {

namespace fs = std::filesystem;

namespace {

// Single files (and their link chains) the os, cpu, memory and system probes read.
constexpr std::string_view k_files[] = {
    "/etc/os-release",          "/usr/lib/os-release",        "/proc/cpuinfo",
    "/proc/meminfo",            "/proc/cmdline",              "/proc/sys/kernel/osrelease",
    "/proc/sys/kernel/version", "/proc/sys/kernel/arch",      "/proc/sys/kernel/hostname",
};

// Whole trees, followed when they are links (/sys/class/dmi/id is one).
constexpr std::string_view k_trees[] = {
    "/sys/firmware/dmi/tables", "/sys/class/dmi/id",        "/sys/devices/system/cpu",
    "/sys/devices/system/node", "/sys/kernel/mm/hugepages", "/sys/bus/pci/slots",
    "/proc/driver/nvidia/gpus",
};

// Directories of links to devices: every entry is followed and the device
// directory it points to is copied with its children. Buses first, so the
// PCI trees are whole before class links point into them.
constexpr std::string_view k_link_dirs[] = {
    "/sys/bus/pci/devices",      "/sys/bus/usb/devices",       "/sys/class/net",
    "/sys/class/nvme",           "/sys/class/nvme-subsystem",  "/sys/class/block",
    "/sys/block",                "/sys/class/scsi_host",       "/sys/class/scsi_device",
    "/sys/class/scsi_disk",      "/sys/class/sas_host",        "/sys/class/sas_phy",
    "/sys/class/sas_port",       "/sys/class/sas_device",      "/sys/class/sas_end_device",
    "/sys/class/fc_host",        "/sys/class/fc_remote_ports", "/sys/class/iscsi_host",
    "/sys/class/infiniband",     "/sys/class/drm",             "/sys/class/accel",
    "/sys/class/ata_port",       "/sys/class/ata_link",        "/sys/class/ata_device",
};

// Files that act when written or cost more than a read should: never opened.
constexpr std::string_view k_skip_files[] = {
    "remove",   "rescan",          "reset",            "bind",              "unbind",
    "new_id",   "remove_id",       "rom",              "delete",            "scan",
    "vpd",      "reset_controller", "delete_controller", "rescan_controller", "issue_lip",
    "host_reset",
};
// Subtrees with no facts for us: runtime PM state and blktrace knobs.
constexpr std::string_view k_skip_dirs[] = {"power", "trace"};

bool is_bar_file(std::string_view n) {
  // resource0..5, resource0_wc, resource2_resize: memory-mapped BARs.
  if (n.rfind("resource", 0) != 0 || n.size() == 8) return false;
  std::size_t i = 8;
  if (i >= n.size() || !std::isdigit(static_cast<unsigned char>(n[i]))) return false;
  while (i < n.size() && std::isdigit(static_cast<unsigned char>(n[i]))) ++i;
  auto rest = n.substr(i);
  return rest.empty() || rest == "_wc" || rest == "_resize";
}

bool skip_file(std::string_view n) {
  for (auto s : k_skip_files)
    if (n == s) return true;
  return is_bar_file(n);
}

bool skip_dir(std::string_view n) {
  for (auto s : k_skip_dirs)
    if (n == s) return true;
  return false;
}

std::string parent_of(std::string_view abs) {
  auto p = abs.rfind('/');
  if (p == std::string_view::npos || p == 0) return "/";
  return std::string(abs.substr(0, p));
}

class Recorder {
 public:
  Recorder(const Sysroot& src, fs::path dest, const RecordOptions& o)
      : src_(src), dest_(std::move(dest)), o_(o) {}

  void run() {
    for (auto f : k_files) follow(std::string(f), false);
    for (auto t : k_trees) follow(std::string(t), false);
    for (auto d : k_link_dirs) link_dir(std::string(d));
    if (!o_.hostname.empty() && fs::exists(out("/proc/sys/kernel/hostname")))
      write(out("/proc/sys/kernel/hostname"), o_.hostname + "\n");
  }

  RecordStats& stats() { return st_; }

 private:
  fs::path out(std::string_view abs) const {
    while (!abs.empty() && abs.front() == '/') abs.remove_prefix(1);
    return dest_ / abs;
  }

  bool budget() {
    if (++entries_ <= o_.max_entries) return true;
    if (!limit_noted_) {
      st_.notes.push_back("stopped after " + std::to_string(o_.max_entries) + " entries");
      limit_noted_ = true;
    }
    return false;
  }

  void ensure_dir(std::string_view abs) {
    std::error_code ec;
    auto p = out(abs);
    if (fs::is_directory(fs::symlink_status(p, ec))) return;
    fs::create_directories(p, ec);
    if (ec) note("cannot create " + p.string() + ": " + ec.message());
    else ++st_.dirs;
  }

  void note(std::string s) {
    if (st_.notes.size() < 40) st_.notes.push_back(std::move(s));
  }

  void write(const fs::path& p, std::string_view data) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      note("cannot write " + p.string() + ": " + std::strerror(errno));
      return;
    }
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(fd, data.data() + off, data.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        note("short write " + p.string());
        break;
      }
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }

  // Bounded copy: O_NONBLOCK (a FIFO or a device node does not stall us),
  // never more than the limit plus one byte read.
  void copy_file(const std::string& abs) {
    if (!copied_files_.insert(abs).second) return;
    std::size_t limit = abs.rfind("/sys/", 0) == 0 ? o_.max_sysfs_bytes : o_.max_proc_bytes;
    auto host = src_.host_path(abs);
    int fd = ::open(host.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      ++st_.unreadable;
      note("unreadable " + abs + ": " + std::strerror(errno));
      return;
    }
    struct stat sb {};
    if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
      ::close(fd);
      return;
    }
    // Binary sysfs attributes report their true size (BARs, option ROMs).
    if (static_cast<std::size_t>(sb.st_size) > limit) {
      ::close(fd);
      ++st_.too_large;
      return;
    }
    std::string data;
    char buf[16384];
    bool failed = false;
    int err = 0;
    while (data.size() <= limit) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        failed = true;
        err = errno;
        break;
      }
      if (n == 0) break;
      data.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (failed) {
      // EINVAL/ENODATA are how sysfs says "no value now" (speed of a down
      // link): the probe sees the same absence on replay.
      ++st_.unreadable;
      note("unreadable " + abs + ": " + std::strerror(err));
      return;
    }
    if (data.size() > limit) {
      ++st_.too_large;
      return;
    }
    ensure_dir(parent_of(abs));
    write(out(abs), data);
    ++st_.files;
  }

  // Recreates the link as a relative link with the same meaning.
  void copy_link(const std::string& abs) {
    if (!copied_links_.insert(abs).second) return;
    auto t = src_.link_target(abs);
    if (!t) return;
    fs::path target(*t);
    if (target.is_absolute()) {
      // Only in hand-made sysroots: an absolute link would point at the host.
      target = target.lexically_relative(fs::path(parent_of(abs)));
      if (target.empty()) return;
    }
    ensure_dir(parent_of(abs));
    std::error_code ec;
    auto p = out(abs);
    fs::remove(p, ec);
    fs::create_symlink(target, p, ec);
    if (ec) note("cannot link " + p.string() + ": " + ec.message());
    else ++st_.links;
  }

  bool is_link(const std::string& abs) const {
    std::error_code ec;
    return fs::is_symlink(fs::symlink_status(src_.host_path(abs), ec));
  }

  // A path that is a file, a directory or a link to either: copies the link
  // chain's first hop, then the target with its ancestors' attributes.
  void follow(const std::string& abs, bool report_missing) {
    if (!src_.exists(abs)) {
      if (report_missing) note("missing " + abs);
      return;
    }
    if (is_link(abs)) copy_link(abs);
    auto canon = src_.resolve(abs);
    if (!canon) {
      note("dangling link " + abs);
      return;
    }
    if (canon->rfind("/sys/devices/", 0) == 0) ancestors(*canon);
    std::error_code ec;
    auto st = fs::status(src_.host_path(*canon), ec);
    if (fs::is_directory(st)) copy_tree(*canon);
    else if (fs::is_regular_file(st)) copy_file(*canon);
  }

  bool inside_full_copy(const std::string& abs) const {
    for (std::string p = abs; p.size() > 1; p = parent_of(p))
      if (full_dirs_.count(p)) return true;
    return false;
  }

  // Attributes (files and links, no subdirectories) of each directory above
  // a device below /sys/devices: the PCI function above a net device, ...
  void ancestors(const std::string& canon) {
    std::vector<std::string> chain;
    for (std::string p = parent_of(canon); p != "/sys/devices" && p.size() > 1; p = parent_of(p))
      chain.push_back(p);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      if (inside_full_copy(*it) || !shallow_dirs_.insert(*it).second) continue;
      ensure_dir(*it);
      for (const auto& name : src_.list(*it)) {
        std::string child = join(*it, name);
        std::error_code ec;
        auto st = fs::symlink_status(src_.host_path(child), ec);
        if (fs::is_symlink(st)) {
          copy_link(child);
          if (name == "driver") driver(child);
        } else if (fs::is_regular_file(st) && !skip_file(name)) {
          if (!budget()) return;
          copy_file(child);
        }
      }
    }
  }

  // A directory with everything below it, unless a copy of it or of an
  // ancestor is already made.
  void copy_tree(const std::string& dir) {
    if (inside_full_copy(dir)) return;
    full_dirs_.insert(dir);
    walk(dir, 0);
  }

  void walk(const std::string& dir, int depth) {
    if (depth > 32) return;
    ensure_dir(dir);
    auto names = src_.list(dir);
    if (names.size() > o_.max_entries_per_dir) {
      note(dir + ": " + std::to_string(names.size()) + " entries, first " +
           std::to_string(o_.max_entries_per_dir) + " recorded");
      names.resize(o_.max_entries_per_dir);
    }
    for (const auto& name : names) {
      if (!budget()) return;
      std::string child = join(dir, name);
      std::error_code ec;
      auto st = fs::symlink_status(src_.host_path(child), ec);
      if (ec) continue;  // vanished while we walked
      if (fs::is_symlink(st)) {
        copy_link(child);
        if (name == "driver") driver(child);
      } else if (fs::is_directory(st)) {
        if (!skip_dir(name)) walk(child, depth + 1);
      } else if (fs::is_regular_file(st)) {
        if (!skip_file(name)) copy_file(child);
      }
    }
  }

  // The driver directory itself is full of bind/unbind/new_id and links to
  // every bound device: keep only its `module` link and the module version.
  void driver(const std::string& link) {
    auto canon = src_.resolve(link);
    if (!canon || !drivers_.insert(*canon).second) return;
    ensure_dir(*canon);
    std::string mod = join(*canon, "module");
    if (!is_link(mod)) {
      // A built-in driver has nothing readable in its directory, and git
      // drops empty directories: the `driver` links of a cloned fixture
      // would dangle (libpci then reports no driver). Nothing lists driver
      // directories, so a marker file is invisible to the probes.
      write(out(join(*canon, ".certify-keep")), "");
      return;
    }
    copy_link(mod);
    auto mcanon = src_.resolve(mod);
    if (!mcanon) return;
    ensure_dir(*mcanon);
    for (const char* f : {"version", "srcversion", "initstate"})
      if (src_.exists(join(*mcanon, f))) copy_file(join(*mcanon, f));
  }

  void link_dir(const std::string& dir) {
    if (!src_.is_dir(dir)) return;
    ensure_dir(dir);
    for (const auto& name : src_.list(dir)) {
      if (!budget()) return;
      std::string child = join(dir, name);
      std::error_code ec;
      auto st = fs::symlink_status(src_.host_path(child), ec);
      if (fs::is_symlink(st)) follow(child, false);
      else if (fs::is_regular_file(st) && !skip_file(name)) copy_file(child);  // /sys/class/drm/version
      else if (fs::is_directory(st)) copy_tree(child);
    }
  }

  const Sysroot& src_;
  fs::path dest_;
  const RecordOptions& o_;
  RecordStats st_;
  std::set<std::string> full_dirs_, shallow_dirs_, drivers_, copied_files_, copied_links_;
  std::size_t entries_ = 0;
  bool limit_noted_ = false;
};

}  // namespace

Result<RecordStats> record_sysroot(const Sysroot& src, const fs::path& dest,
                                   const RecordOptions& options) {
  if (!src.valid())
    return make_error("source " + src.root().string() + " does not exist or is not a directory");
  std::error_code ec;
  bool created = false;
  if (fs::exists(dest, ec)) {
    if (!fs::is_directory(dest, ec) || !fs::is_empty(dest, ec))
      return make_error(dest.string() + " exists and is not an empty directory");
  } else if (!fs::create_directories(dest, ec) || ec) {
    return make_error("cannot create " + dest.string() + ": " + ec.message());
  } else {
    created = true;
  }
  auto canon_dest = fs::weakly_canonical(dest, ec);
  auto canon_src = fs::weakly_canonical(src.root(), ec);
  auto rel = canon_dest.lexically_relative(canon_src);
  if (!src.is_live() && !rel.empty() && *rel.begin() != "..") {
    if (created) fs::remove_all(dest, ec);
    return make_error("cannot record " + src.root().string() + " into a directory inside it");
  }
  Recorder r(src, dest, options);
  r.run();
  if (r.stats().files == 0) {
    if (created) fs::remove_all(dest, ec);
    return make_error("nothing could be read under " + src.root().string());
  }
  return std::move(r.stats());
}

}  // namespace certify::probe
