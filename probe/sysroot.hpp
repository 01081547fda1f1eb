// Sysroot: the one door through which every probe reads sysfs, procfs, /etc
// and the DMI tables. A recorded fixture directory replays exactly like "/".
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certify::probe {

class SysDir;

class Sysroot {
 public:
  // root: the directory that stands for "/" (default: the live system).
  explicit Sysroot(std::filesystem::path root = "/");

  const std::filesystem::path& root() const { return root_; }
  bool is_live() const { return live_; }
  bool valid() const;  // root exists and is a directory

  // Host path of an absolute in-sysroot path ("/sys/class/net" -> root/sys/class/net).
  std::filesystem::path host_path(std::string_view abs) const;

  // Whole file, at most max_bytes (sysfs attributes are small; DMI <= 64 KiB).
  std::optional<std::string> read(std::string_view abs, std::size_t max_bytes = 4 << 20) const;
  // A sysfs attribute: content with trailing whitespace/newlines stripped;
  // nullopt when missing, unreadable or empty.
  std::optional<std::string> attr(std::string_view abs) const;
  // Attribute parsed as an integer (base 0: "0x10de", "42", "-1").
  std::optional<std::int64_t> attr_int(std::string_view abs, int base = 0) const;

  // Entry names of a directory, sorted; empty when missing.
  std::vector<std::string> list(std::string_view abs_dir) const;
  bool exists(std::string_view abs) const;
  bool is_dir(std::string_view abs) const;

  // Raw target of a symlink.
  std::optional<std::string> link_target(std::string_view abs) const;
  // Last path component of a symlink's target (e.g. ".../driver" -> "nvme").
  std::optional<std::string> link_name(std::string_view abs) const;
  // Canonical in-sysroot absolute path after following links; nullopt when
  // missing or when the result would leave the sysroot.
  std::optional<std::string> resolve(std::string_view abs) const;

  // The directory held open, for many reads under it (see SysDir); one
  // that cannot be opened reads as empty.
  SysDir dir(std::string_view abs) const;

 private:
  std::filesystem::path root_;
  bool live_;
};

// A directory of a sysroot held open: its reads take names relative to it,
// and the kernel walks only those. A sysfs device is reached through links
// (/sys/bus/pci/devices/X -> ../../../devices/pci0000:00/...) that an
// absolute path walks again on every open: in a TCG guest that walk was
// most of an attribute read's cost. Same results as the Sysroot calls on
// the joined path.
class SysDir {
 public:
  SysDir(SysDir&& o) noexcept;
  SysDir& operator=(SysDir&& o) noexcept;
  SysDir(const SysDir&) = delete;
  SysDir& operator=(const SysDir&) = delete;
  ~SysDir();

  std::optional<std::string> read(std::string_view name, std::size_t max_bytes = 4 << 20) const;
  std::optional<std::string> attr(std::string_view name) const;
  std::optional<std::int64_t> attr_int(std::string_view name, int base = 0) const;
  bool exists(std::string_view name) const;
  bool is_dir(std::string_view name) const;  // following links, as Sysroot::is_dir
  // Entry names of the directory `name` under this one ("." for itself), sorted.
  std::vector<std::string> list(std::string_view name) const;
  // The same in the order the directory gives them (readdir), for a caller
  // that keeps a library's order of them (probe/pci.cpp); nullopt when the
  // directory cannot be opened.
  std::optional<std::vector<std::string>> list_in_order(std::string_view name) const;
  std::optional<std::string> link_name(std::string_view name) const;
  // The directory `name` under this one, held open in its turn.
  SysDir dir(std::string_view name) const;

 private:
  friend class Sysroot;
  SysDir(int fd, bool device_tree) : fd_(fd), device_tree_(device_tree) {}
  int fd_ = -1;  // owned; -1 when the directory could not be opened
  bool device_tree_ = false;  // under sysfs' device tree (a short read is the end)
};

// Joins in-sysroot path parts with single slashes.
std::string join(std::string_view a, std::string_view b);

}  // namespace certify::probe
