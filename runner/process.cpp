// The real supervisor: clone/exec into a new process group, output to files,
// rlimits, the parent dies -> the child gets SIGKILL.
#include "runner/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
  // What a child resets before it unblocks signals and execs: every signal
  // this process handles or ignores now (an ignored one would stay ignored
  // in the test, e.g. SIGPIPE or SIGHUP under nohup), ours above, and those
  // a fault in the child itself could raise. Asked once here, not in every
  // child: 64 sigaction calls were ~0.13 ms of each start on a VM.
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction old {};
    bool faults = s == SIGSEGV || s == SIGBUS || s == SIGFPE || s == SIGILL || s == SIGSYS || s == SIGTRAP ||
                  s == SIGABRT;
    if (s == SIGKILL || s == SIGSTOP) continue;
    if (faults || (::sigaction(s, nullptr, &old) == 0 && old.sa_handler != SIG_DFL)) reset_.push_back(s);
  }
}

PosixProcessRunner::~PosixProcessRunner() {
  if (null_in_ >= 0) ::close(null_in_);
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
}

bool PosixProcessRunner::interrupted() const { return g_interrupted != 0; }

namespace {

// What the child needs between clone() and execve(), prepared by the parent.
// The child shares the parent's memory (CLONE_VM) while the parent waits
// (CLONE_VFORK), so it only makes system calls and reports an execve error
// through exec_errno.
struct ChildSetup {
  const int* reset;  // signals to set to SIG_DFL
  std::size_t resets;
  char** argv;
  char** envp;
  int in, out, err;
  const char* cwd;  // nullptr: stay
  pid_t parent;
  rlim_t max_open_files;
  bool core_dumps;
  int exec_errno = 0;
  const char* failed_step = nullptr;
};

int child_main(void* arg) {
  auto* c = static_cast<ChildSetup*>(arg);
  // Every signal is blocked here (the parent blocked them before clone):
  // first give the child default handlers, then unblock, so no handler of
  // the runner ever runs on this shared memory. Only the signals the parent
  // handles or ignores (ChildSetup::reset) can have another disposition;
  // any other signal is at its default already (as when the runner was made).
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  for (std::size_t i = 0; i < c->resets; ++i) ::sigaction(c->reset[i], &sa, nullptr);
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != c->parent) ::_exit(127);  // the runner died before prctl
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  auto fail = [c](const char* step) {
    c->exec_errno = errno;
    c->failed_step = step;
    ::_exit(127);
  };
  if (::dup2(c->in, 0) < 0 || ::dup2(c->out, 1) < 0 || ::dup2(c->err, 2) < 0) fail("dup2");
  if (!c->core_dumps) {
    struct rlimit r {0, 0};
    if (::setrlimit(RLIMIT_CORE, &r) != 0) fail("setrlimit(RLIMIT_CORE)");
  }
  if (c->max_open_files) {
    struct rlimit r {c->max_open_files, c->max_open_files};
    if (::setrlimit(RLIMIT_NOFILE, &r) != 0) fail("setrlimit(RLIMIT_NOFILE)");
  }
  if (c->cwd && ::chdir(c->cwd) != 0) fail("chdir");
  ::execve(c->argv[0], c->argv, c->envp);
  fail("execve");
  return 127;
}

// A log for a child to write, emptied. Truncated only when it is not empty
// (a rerun's): ext4 takes the truncation of a file to zero for a
// replace-by-truncate and writes the file out when it is closed
// (auto_da_alloc), and the last close is the test's exit, the run's critical
// path: a block allocation and a disk write per log that was written.
int open_log(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_size != 0 && ::ftruncate(fd, 0) != 0)) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

// clone(CLONE_VM | CLONE_VFORK) as posix_spawn does, not fork(): fork copies
// the page tables of a large process and every page the runner writes
// afterwards takes a copy-on-write fault with a TLB shootdown. That was most
// of the runner's CPU per job. posix_spawn itself cannot set rlimits or the
// parent-death signal, hence our own child function.
Result<int> PosixProcessRunner::start(const Launch& l) {
  if (l.argv.empty()) return make_error("empty command");
  std::vector<char*> argv, envp;
  for (const auto& a : l.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : l.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  Fd out{open_log(l.stdout_path)};
  if (out.fd < 0) return make_error(l.stdout_path.string() + ": " + std::strerror(errno));
  Fd err{open_log(l.stderr_path)};
  if (err.fd < 0) return make_error(l.stderr_path.string() + ": " + std::strerror(errno));
  if (null_in_ < 0 && (null_in_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    return make_error(std::string("/dev/null: ") + std::strerror(errno));
  ChildSetup c{reset_.data(), reset_.size(), argv.data(), envp.data(), null_in_, out.fd, err.fd, l.cwd.empty() ? nullptr : l.cwd.c_str(),
               ::getpid(), l.max_open_files, l.core_dumps};
  if (stack_.empty()) stack_.resize(256 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  // The stack grows down on every architecture we build for.
  pid_t pid = ::clone(child_main, stack_.data() + stack_.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
  int saved = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return make_error(std::string("clone: ") + std::strerror(saved));
  if (c.failed_step) {
    // It never became the test: reap it here so no exit of it is reported.
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return make_error(l.argv[0] + ": " + c.failed_step + ": " + std::strerror(c.exec_errno));
  }
  // CLONE_VFORK: the child is in its own group already (it ran setpgid
  // before execve), so no signal to the group can miss it.
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
