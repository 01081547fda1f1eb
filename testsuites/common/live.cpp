// Live-system helpers shared by built-in tests.
#include "testsuites/common/live.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace certify::suites {

std::optional<TestResult> require_live(const TestContext& ctx, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::equivalent(ctx.sysroot, "/", ec)) return std::nullopt;
  return TestResult::error(what + " acts on the live system; the sysroot is " + ctx.sysroot.string());
}

std::string write_sysfs(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  ssize_t n = ::write(fd, value.data(), value.size());
  int e = errno;
  ::close(fd);
  if (n < 0) return "writing '" + value + "' to " + path + ": " + std::strerror(e);
  if (static_cast<std::size_t>(n) != value.size()) return "short write to " + path;
  return "";
}

std::string run_on_cpu(int cpu, const std::function<void()>& fn, int& ran_on) {
  std::string err;
  ran_on = -1;
  std::thread t([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) {
      err = "sched_setaffinity(cpu " + std::to_string(cpu) + "): " + std::strerror(errno);
      return;
    }
    fn();
    ran_on = ::sched_getcpu();
  });
  t.join();
  return err;
}

long param_long(const TestContext& ctx, const std::string& name, long fallback, long min, long max) {
  auto s = ctx.param(name);
  if (s.empty()) return fallback;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0' || v < min || v > max) {
    throw std::invalid_argument("parameter " + name + "=\"" + s + "\" is not a whole number in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

}  // namespace certify::suites

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>

extern char** environ;

namespace certify::suites {

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= p.size()) {
    auto end = p.find(':', start);
    auto dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty()) {
      auto f = dir + "/" + name;
      if (::access(f.c_str(), X_OK) == 0) return f;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

ProgramRun run_program(const std::vector<std::string>& argv, int timeout_s, bool with_stderr) {
  ProgramRun r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) { r.error = std::string("pipe: ") + std::strerror(errno); return r; }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  if (with_stderr) posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    r.error = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char buf[4096];
  bool killed = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got <= 0) break;
    if (r.output.size() < (16u << 20)) r.output.append(buf, static_cast<std::size_t>(got));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) r.error = argv[0] + " exceeded " + std::to_string(timeout_s) + " s and was killed";
  else if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else r.error = argv[0] + " died of signal " + std::to_string(WTERMSIG(status));
  return r;
}

}  // namespace certify::suites
