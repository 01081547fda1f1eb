// Deferred fsyncs on a thread (deferred_sync.hpp).
#include "runner/deferred_sync.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace certify::runner {

namespace {

// `sync` (fsync or syncfs) on `p` opened for it; what failed names `p`.
std::optional<std::string> sync_opened(const std::filesystem::path& p, int (*sync)(int), std::string_view failed) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return p.string() + ": cannot open to sync: " + std::strerror(errno);
  int rc = sync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return p.string() + ": " + std::string(failed) + ": " + std::strerror(err);
  return std::nullopt;
}

std::optional<std::string> sync_path(const std::filesystem::path& p) { return sync_opened(p, ::fsync, "cannot fsync"); }

}  // namespace

DeferredSync::DeferredSync(std::vector<DeferredFile> files) : files_(std::move(files)) {
  thread_ = std::thread([this] {
    // Below the run's other work: the first jobs start while this thread
    // prints and syncs, and on two CPUs it took one from their start-up
    // (the eighth job began ~29 ms after the first instead of ~13 ms). It
    // still gets its share when the CPUs are busy for long; wait() is where
    // the run needs it done. A thread's nice value is its own on Linux.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
    for (const auto& f : files_) {
      if (f.content)
        if (auto st = write_file_replace(f.path, f.content()); !st) {
          error_ = st.message();
          return;
        }
      if (auto e = sync_path(f.path)) {
        error_ = std::move(e);
        return;
      }
    }
  });
}

DeferredSync::~DeferredSync() { (void)wait(); }

Status DeferredSync::wait() {
  std::call_once(joined_, [this] { thread_.join(); });
  if (error_) return make_error(*error_);
  return ok_status();
}

Status sync_file_system(const std::filesystem::path& path) {
  if (auto e = sync_opened(path, ::syncfs, "cannot sync its file system")) return make_error(*e);
  return ok_status();
}

Status write_file_replace(const std::filesystem::path& path, std::string_view data) {
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(tmp.string() + ": cannot create: " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto e = tmp.string() + ": cannot write: " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(e);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    auto e = tmp.string() + ": cannot write: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = path.string() + ": cannot rename into place: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(e);
  }
  return ok_status();
}

}  // namespace certify::runner
