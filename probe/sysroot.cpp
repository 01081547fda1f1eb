// Sysroot: the one door through which every probe reads sysfs, procfs, /etc
// and the DMI tables.
#include "probe/sysroot.hpp"

#include "core/text.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <utility>

namespace certify::probe {

namespace fs = std::filesystem;

namespace {

// The host path as a plain string: the probes make thousands of these, and
// a std::filesystem::path splits itself into components on every build.
std::string host_string(const fs::path& root, std::string_view abs) {
  while (!abs.empty() && abs.front() == '/') abs.remove_prefix(1);
  std::string out;
  out.reserve(root.native().size() + abs.size() + 1);
  out = root.native();  // "/" on the live system
  if (out.empty() || out.back() != '/') out += '/';
  out += abs;
  return out;
}

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// In the device tree of sysfs a short read is the end: an attribute is
// one record of at most a page, returned whole, a binary attribute gives
// what it has, and a recorded file is a regular file. Not so in /proc or
// in the file systems mounted under /sys/kernel and /sys/fs (tracefs'
// trace, cgroup files), where a seq_file returns a buffer's worth at a
// time: there, read to EOF.
bool in_device_tree(std::string_view abs) {
  return abs.rfind("/sys/devices/", 0) == 0 || abs.rfind("/sys/bus/", 0) == 0 ||
         abs.rfind("/sys/class/", 0) == 0 || abs.rfind("/sys/block/", 0) == 0 ||
         abs.rfind("/sys/module/", 0) == 0;
}

// `path` relative to `dirfd` (AT_FDCWD: absolute); the Sysroot and SysDir
// calls below share these.
std::optional<std::string> read_at(int dirfd, const char* path, std::size_t max_bytes, bool device_tree) {
  Fd f(::openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (f.fd < 0) return std::nullopt;
  std::string out;
  char buf[16384];
  bool failed = false;
  while (out.size() < max_bytes) {
    std::size_t want = std::min(sizeof buf, max_bytes - out.size());
    ssize_t n = ::read(f.fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed = true;
      break;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (device_tree && static_cast<std::size_t>(n) < want && n < 4096) break;
  }
  if (failed && out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> attr_at(int dirfd, const char* path) {
  Fd f(::openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (f.fd < 0) return std::nullopt;
  // One read: a sysfs attribute is a single record of at most a page that
  // the kernel returns whole, and a short read of a regular file is its
  // end. Only a full buffer reads on (to 64 KiB).
  char buf[4096];
  ssize_t n;
  do n = ::read(f.fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return std::nullopt;
  std::string s(buf, static_cast<std::size_t>(n));
  while (n == static_cast<ssize_t>(sizeof buf) && s.size() < 65536) {
    n = ::read(f.fd, buf, std::min(sizeof buf, 65536 - s.size()));
    if (n < 0 && errno == EINTR) {
      n = sizeof buf;
      continue;
    }
    if (n > 0) s.append(buf, static_cast<std::size_t>(n));
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\0'))
    s.pop_back();
  if (s.empty()) return std::nullopt;
  // Attributes end up in JSON; a damaged or hostile tree must not make
  // the output invalid (or throw when it is serialised).
  if (is_valid_utf8(s)) return s;  // the common case: no copy
  return valid_utf8(s);
}

std::optional<std::int64_t> parse_int(const std::optional<std::string>& s, int base) {
  if (!s) return std::nullopt;
  std::string_view v = *s;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  bool neg = false;
  if (!v.empty() && v.front() == '-') {
    neg = true;
    v.remove_prefix(1);
  }
  if (base == 0) {
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
      base = 16;
      v.remove_prefix(2);
    } else {
      base = 10;
    }
  } else if (base == 16 && v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    v.remove_prefix(2);
  }
  std::uint64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out, base);
  if (ec != std::errc() || ptr == v.data()) return std::nullopt;
  auto val = static_cast<std::int64_t>(out);
  return neg ? -val : val;
}

std::optional<std::string> link_target_at(int dirfd, const char* path) {
  // One readlink (std::filesystem::read_symlink lstat()s first to size its buffer).
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(dirfd, path, buf, sizeof buf);
  if (n <= 0 || n == static_cast<ssize_t>(sizeof buf)) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

// What std::filesystem::path::filename() gives, by string: empty for a
// target ending in '/' (and then nullopt).
std::optional<std::string> last_component(std::optional<std::string> target) {
  if (!target) return std::nullopt;
  auto slash = target->rfind('/');
  if (slash != std::string::npos) target->erase(0, slash + 1);
  if (target->empty()) return std::nullopt;
  return target;
}

// The entry names of an open directory, sorted unless asked not to; closes it.
std::vector<std::string> entries(DIR* d, bool sorted = true) {
  std::vector<std::string> out;
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  if (sorted) std::sort(out.begin(), out.end());
  return out;
}

bool exists_at(int dirfd, const char* path) {
  struct stat st {};
  return ::fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace

Sysroot::Sysroot(fs::path root) : root_(std::move(root)) {
  // An existing root (every probe's) resolved by realpath(), which
  // fs::weakly_canonical() calls for it after a few hundred blocks of
  // path handling a TCG guest translates on every run; a missing one the
  // weakly canonical way.
  if (char* real = ::realpath(root_.c_str(), nullptr)) {
    root_ = real;
    std::free(real);
  } else {
    std::error_code ec;
    auto canon = fs::weakly_canonical(root_, ec);
    if (!ec) root_ = canon;
  }
  live_ = root_.native() == "/";
}

bool Sysroot::valid() const {
  struct stat st {};
  return ::stat(root_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

fs::path Sysroot::host_path(std::string_view abs) const {
  while (!abs.empty() && abs.front() == '/') abs.remove_prefix(1);
  if (live_) return fs::path("/") / abs;
  return root_ / abs;
}

std::optional<std::string> Sysroot::read(std::string_view abs, std::size_t max_bytes) const {
  return read_at(AT_FDCWD, host_string(root_, abs).c_str(), max_bytes, in_device_tree(abs));
}

std::optional<std::string> Sysroot::attr(std::string_view abs) const {
  return attr_at(AT_FDCWD, host_string(root_, abs).c_str());
}

std::optional<std::int64_t> Sysroot::attr_int(std::string_view abs, int base) const {
  return parse_int(attr(abs), base);
}

std::vector<std::string> Sysroot::list(std::string_view abs_dir) const {
  return entries(::opendir(host_string(root_, abs_dir).c_str()));
}

bool Sysroot::exists(std::string_view abs) const { return exists_at(AT_FDCWD, host_string(root_, abs).c_str()); }

bool Sysroot::is_dir(std::string_view abs) const {
  struct stat st {};
  return ::stat(host_string(root_, abs).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> Sysroot::link_target(std::string_view abs) const {
  return link_target_at(AT_FDCWD, host_string(root_, abs).c_str());
}

std::optional<std::string> Sysroot::link_name(std::string_view abs) const {
  return last_component(link_target(abs));
}

std::optional<std::string> Sysroot::resolve(std::string_view abs) const {
  // The kernel resolves the path once (open with O_PATH) and names what it
  // found (/proc/self/fd): three system calls, where std::filesystem::canonical
  // lstat()s and readlink()s component by component (~20 in sysfs).
  const std::string host = host_string(root_, abs);
  std::string p;
  if (Fd f(::open(host.c_str(), O_PATH | O_CLOEXEC)); f.fd >= 0) {
    char self[32], buf[PATH_MAX];
    std::snprintf(self, sizeof self, "/proc/self/fd/%d", f.fd);
    ssize_t n = ::readlink(self, buf, sizeof buf);
    if (n > 0 && n < static_cast<ssize_t>(sizeof buf) && buf[0] == '/') p.assign(buf, static_cast<std::size_t>(n));
  } else {
    return std::nullopt;
  }
  if (p.empty()) {  // no /proc on the host
    std::error_code ec;
    auto c = fs::canonical(host, ec);
    if (ec) return std::nullopt;
    p = c.string();
  }
  if (live_) return p;
  std::string_view r = root_.native();
  while (r.size() > 1 && r.back() == '/') r.remove_suffix(1);
  if (p == r) return std::string("/");
  if (p.size() <= r.size() || p.compare(0, r.size(), r) != 0 || p[r.size()] != '/')
    return std::nullopt;  // outside the sysroot
  return p.substr(r.size());
}

SysDir Sysroot::dir(std::string_view abs) const {
  // O_PATH: the directory is only named by the reads under it, never read.
  return SysDir(::open(host_string(root_, abs).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), in_device_tree(abs));
}

SysDir::SysDir(SysDir&& o) noexcept : fd_(std::exchange(o.fd_, -1)), device_tree_(o.device_tree_) {}

SysDir& SysDir::operator=(SysDir&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    device_tree_ = o.device_tree_;
  }
  return *this;
}

SysDir::~SysDir() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string> SysDir::read(std::string_view name, std::size_t max_bytes) const {
  if (fd_ < 0) return std::nullopt;
  return read_at(fd_, std::string(name).c_str(), max_bytes, device_tree_);
}

std::optional<std::string> SysDir::attr(std::string_view name) const {
  if (fd_ < 0) return std::nullopt;
  return attr_at(fd_, std::string(name).c_str());
}

std::optional<std::int64_t> SysDir::attr_int(std::string_view name, int base) const {
  return parse_int(attr(name), base);
}

bool SysDir::exists(std::string_view name) const { return fd_ >= 0 && exists_at(fd_, std::string(name).c_str()); }

bool SysDir::is_dir(std::string_view name) const {
  struct stat st {};
  return fd_ >= 0 && ::fstatat(fd_, std::string(name).c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode);
}

namespace {

std::optional<std::vector<std::string>> list_at(int dirfd, std::string_view name, bool sorted) {
  if (dirfd < 0) return std::nullopt;
  int fd = ::openat(dirfd, std::string(name).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  DIR* d = ::fdopendir(fd);  // owns fd from here on
  if (!d) {
    ::close(fd);
    return std::nullopt;
  }
  return entries(d, sorted);
}

}  // namespace

std::vector<std::string> SysDir::list(std::string_view name) const {
  return list_at(fd_, name, true).value_or(std::vector<std::string>());
}

std::optional<std::vector<std::string>> SysDir::list_in_order(std::string_view name) const {
  return list_at(fd_, name, false);
}

std::optional<std::string> SysDir::link_name(std::string_view name) const {
  if (fd_ < 0) return std::nullopt;
  return last_component(link_target_at(fd_, std::string(name).c_str()));
}

SysDir SysDir::dir(std::string_view name) const {
  if (fd_ < 0) return SysDir(-1, device_tree_);
  return SysDir(::openat(fd_, std::string(name).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), device_tree_);
}

std::string join(std::string_view a, std::string_view b) {
  std::string out(a);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out += '/';
  out += b;
  return out;
}

}  // namespace certify::probe
