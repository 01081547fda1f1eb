// Whole-file reads and crash-safe writes used by every module.
#include "core/files.hpp"

#include "certify_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace certify {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text(const std::filesystem::path& path, std::string_view what) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return make_error(errno_text(path, "cannot open"));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(errno_text(path, "cannot read"));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes)
      return make_error(path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;  // no progress: never loop on it
    if (n <= 0) return make_error(errno_text(path, "cannot write"));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok_status();
}

bool is_special_file(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode) {
  if (is_special_file(path)) {
    Fd f(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (f.fd < 0) return make_error(errno_text(path, "cannot open"));
    return write_all(f.fd, data, path);
  }
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    Fd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (f.fd < 0) return make_error(errno_text(tmp, "cannot create"));
    if (auto st = write_all(f.fd, data, tmp); !st) {
      ::unlink(tmp.c_str());
      return st;
    }
    if (::fsync(f.fd) != 0) {
      auto e = errno_text(tmp, "cannot fsync");
      ::unlink(tmp.c_str());
      return make_error(e);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = errno_text(path, "cannot rename into");
    ::unlink(tmp.c_str());
    return make_error(e);
  }
  // Make the rename itself durable.
  auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd >= 0) ::fsync(d.fd);
  return ok_status();
}

std::string path_join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("CERTIFY_DATADIR"); env && *env) return env;
  // <prefix>/bin/certify -> <prefix>/share/certify, by string (see path_join).
  auto is_dir = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  };
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf);
  if (n > 0 && n < static_cast<ssize_t>(sizeof buf) && buf[0] == '/') {
    std::string prefix(buf, static_cast<std::size_t>(n));
    for (int up = 0; up < 2; ++up) {  // parent_path() twice
      auto slash = prefix.find_last_of('/');
      prefix.resize(slash == 0 ? 1 : slash);
    }
    auto candidate = path_join(path_join(prefix, "share"), "certify");
    if (is_dir(path_join(candidate, "hwdata"))) return candidate;
  }
  if (is_dir(path_join(CERTIFY_DATADIR, "hwdata"))) return CERTIFY_DATADIR;
  return CERTIFY_SOURCE_DIR;
}

}  // namespace certify
