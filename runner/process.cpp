// The real supervisor: fork/exec into a new process group, output to files,
// rlimits, the parent dies -> the child gets SIGKILL.
#include "runner/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace certify::runner {

namespace {

int g_pipe[2] = {-1, -1};
volatile sig_atomic_t g_interrupted = 0;

void on_signal(int sig) {
  int saved = errno;
  if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) g_interrupted = 1;
  char c = static_cast<char>(sig);
  if (g_pipe[1] >= 0) [[maybe_unused]] auto n = ::write(g_pipe[1], &c, 1);
  errno = saved;
}

}  // namespace

PosixProcessRunner::PosixProcessRunner() {
  if (g_pipe[0] < 0 && ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_pipe[0] = g_pipe[1] = -1;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
}

PosixProcessRunner::~PosixProcessRunner() {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
}

bool PosixProcessRunner::interrupted() const { return g_interrupted != 0; }

Result<int> PosixProcessRunner::start(const Launch& l) {
  if (l.argv.empty()) return make_error("empty command");
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> argv, envp;
  for (const auto& a : l.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : l.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int out = ::open(l.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return make_error(l.stdout_path.string() + ": " + std::strerror(errno));
  int err = ::open(l.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err < 0) {
    ::close(out);
    return make_error(l.stderr_path.string() + ": " + std::strerror(errno));
  }
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const char* cwd = l.cwd.c_str();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the runner died before prctl
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::sigaction(s, &sa, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (!l.core_dumps) {
      struct rlimit r {0, 0};
      ::setrlimit(RLIMIT_CORE, &r);
    }
    if (l.max_open_files) {
      struct rlimit r {l.max_open_files, l.max_open_files};
      ::setrlimit(RLIMIT_NOFILE, &r);
    }
    if (!l.cwd.empty() && ::chdir(cwd) != 0) ::_exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    const char msg[] = "certify: cannot execute the test program\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  int saved = errno;
  ::close(out);
  ::close(err);
  if (in >= 0) ::close(in);
  if (pid < 0) return make_error(std::string("fork: ") + std::strerror(saved));
  ::setpgid(pid, pid);  // also here: no window where a signal to the group misses it
  return static_cast<int>(pid);
}

std::vector<Exit> PosixProcessRunner::wait(std::chrono::milliseconds max) {
  auto reap = [] {
    std::vector<Exit> out;
    for (;;) {
      int st = 0;
      pid_t p = ::waitpid(-1, &st, WNOHANG);
      if (p <= 0) break;
      Exit e;
      e.pid = p;
      if (WIFEXITED(st)) e.exit_code = WEXITSTATUS(st);
      else if (WIFSIGNALED(st)) e.signal = WTERMSIG(st);
      out.push_back(e);
    }
    return out;
  };
  auto out = reap();
  // A signal that came before poll() left a byte in the pipe, so poll returns at once.
  if (!out.empty()) return out;
  struct pollfd pfd {g_pipe[0], POLLIN, 0};
  ::poll(&pfd, 1, static_cast<int>(max.count()));
  char buf[64];
  while (::read(g_pipe[0], buf, sizeof buf) > 0) {
  }
  return reap();
}

void PosixProcessRunner::signal_group(int pid, int sig) { ::kill(-pid, sig); }

std::string iso_time(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace certify::runner
