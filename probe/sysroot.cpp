// Sysroot: the one door through which every probe reads sysfs, procfs, /etc
// and the DMI tables.
#include "probe/sysroot.hpp"

#include "core/text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>

namespace certify::probe {

namespace fs = std::filesystem;

Sysroot::Sysroot(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  auto canon = fs::weakly_canonical(root_, ec);
  if (!ec) root_ = canon;
  live_ = root_ == fs::path("/");
}

bool Sysroot::valid() const {
  std::error_code ec;
  return fs::is_directory(root_, ec);
}

fs::path Sysroot::host_path(std::string_view abs) const {
  while (!abs.empty() && abs.front() == '/') abs.remove_prefix(1);
  if (live_) return fs::path("/") / abs;
  return root_ / abs;
}

std::optional<std::string> Sysroot::read(std::string_view abs, std::size_t max_bytes) const {
  auto p = host_path(abs);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[16384];
  bool failed = false;
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      failed = true;
      break;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (failed && out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> Sysroot::attr(std::string_view abs) const {
  auto s = read(abs, 65536);
  if (!s) return std::nullopt;
  while (!s->empty() && (s->back() == '\n' || s->back() == ' ' || s->back() == '\t' ||
                         s->back() == '\r' || s->back() == '\0'))
    s->pop_back();
  if (s->empty()) return std::nullopt;
  // Attributes end up in JSON; a damaged or hostile tree must not make
  // the output invalid (or throw when it is serialised).
  if (is_valid_utf8(*s)) return s;  // the common case: no copy
  return valid_utf8(*s);
}

std::optional<std::int64_t> Sysroot::attr_int(std::string_view abs, int base) const {
  auto s = attr(abs);
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

std::vector<std::string> Sysroot::list(std::string_view abs_dir) const {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(host_path(abs_dir), ec);
  if (ec) return out;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Sysroot::exists(std::string_view abs) const {
  std::error_code ec;
  return fs::exists(fs::symlink_status(host_path(abs), ec));
}

bool Sysroot::is_dir(std::string_view abs) const {
  std::error_code ec;
  return fs::is_directory(host_path(abs), ec);
}

std::optional<std::string> Sysroot::link_target(std::string_view abs) const {
  std::error_code ec;
  auto t = fs::read_symlink(host_path(abs), ec);
  if (ec) return std::nullopt;
  return t.string();
}

std::optional<std::string> Sysroot::link_name(std::string_view abs) const {
  auto t = link_target(abs);
  if (!t) return std::nullopt;
  auto name = fs::path(*t).filename().string();
  if (name.empty()) return std::nullopt;
  return name;
}

std::optional<std::string> Sysroot::resolve(std::string_view abs) const {
  std::error_code ec;
  auto p = fs::canonical(host_path(abs), ec);
  if (ec) return std::nullopt;
  if (live_) return p.string();
  auto rel = p.lexically_relative(root_);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  if (rel == ".") return std::string("/");
  return "/" + rel.string();
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
