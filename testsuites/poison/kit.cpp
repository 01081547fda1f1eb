// Poison kit: forked children, an armed SIGBUS handler, a reporting pipe,
// a bystander process, and the requirement gate of the poison tests.
#include "testsuites/poison/kit.hpp"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>

namespace certify::suites::poison {

namespace {

// Signal handler state. A signal handler can only reach globals; these exist
// in kit children only (the handler is installed after fork).
sigjmp_buf g_jump;
volatile sig_atomic_t g_armed = 0;
SigbusInfo g_info;

void on_sigbus(int sig, siginfo_t* si, void*) {
  if (!g_armed) _exit(k_exit_unexpected_sigbus);
  g_info.signo = sig;
  g_info.code = si->si_code;
  g_info.addr = reinterpret_cast<std::uintptr_t>(si->si_addr);
  g_info.addr_lsb = si->si_addr_lsb;
  g_armed = 0;
  siglongjmp(g_jump, 1);
}

void install_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, nullptr);
}

bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string bus_code_name(int code) {
  switch (code) {
    case BUS_ADRALN: return "BUS_ADRALN";
    case BUS_ADRERR: return "BUS_ADRERR";
    case BUS_OBJERR: return "BUS_OBJERR";
    case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
    case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
    default: return "si_code " + std::to_string(code);
  }
}

std::optional<SigbusInfo> touch(volatile char* p, bool write) {
  if (sigsetjmp(g_jump, 1) == 0) {
    g_armed = 1;
    if (write) *p = 0x5a;
    else (void)*p;
    g_armed = 0;
    return std::nullopt;
  }
  return g_info;
}

void Report::put(std::string_view key, std::string_view value) {
  std::string line(key);
  line += '=';
  for (char c : value) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  write_all(fd_, line);
}

void Report::put_sigbus(std::string_view prefix, const SigbusInfo& s) {
  std::string p(prefix);
  put(p + "signo", static_cast<std::uint64_t>(s.signo));
  put(p + "code", static_cast<std::uint64_t>(s.code));
  put(p + "addr", ras::hex(s.addr));
  put(p + "lsb", static_cast<std::uint64_t>(s.addr_lsb));
}

std::string ChildResult::get(const std::string& k, const std::string& fallback) const {
  auto it = kv.find(k);
  return it == kv.end() ? fallback : it->second;
}

std::optional<std::uint64_t> ChildResult::num(const std::string& k) const {
  auto it = kv.find(k);
  if (it == kv.end() || it->second.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(it->second.c_str(), &end, 0);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

std::string ChildResult::describe() const {
  if (term_signal) return std::string("killed by signal ") + (sigabbrev_np(term_signal) ? "SIG" : "") +
                          (sigabbrev_np(term_signal) ? sigabbrev_np(term_signal) : std::to_string(term_signal));
  if (exit_code == k_exit_unexpected_sigbus) return "exit 42 (SIGBUS outside an armed access)";
  return "exit " + std::to_string(exit_code);
}

Result<ChildResult> run_child(const std::function<int(Report&)>& body, int timeout_s) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return make_error("pipe: " + ras::errno_text(errno));
  ras::Fd rd(p[0]), wr(p[1]);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return make_error("fork: " + ras::errno_text(errno));
  if (pid == 0) {
    rd = ras::Fd();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Late kill: a poisoned page signals the process that touches it, not
    // every process that maps it, whatever vm.memory_failure_early_kill says.
    ::prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0);
    install_handler();
    ::alarm(static_cast<unsigned>(timeout_s));
    int rc = 70;
    Report rep(wr.get());
    try {
      rc = body(rep);
    } catch (const std::exception& e) {
      rep.put("exception", e.what());
    }
    _exit(rc);
  }
  wr = ras::Fd();
  ChildResult r;
  std::string buf;
  char chunk[4096];
  while (true) {
    ssize_t n = ::read(rd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (buf.size() < (1u << 20)) buf.append(chunk, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  std::size_t pos = 0;
  while (pos < buf.size()) {
    auto nl = buf.find('\n', pos);
    std::string line = buf.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? buf.size() : nl + 1;
    auto eq = line.find('=');
    if (eq != std::string::npos) r.kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return r;
}

Result<Sibling> Sibling::start(std::size_t bytes) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return make_error("pipe: " + ras::errno_text(errno));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(p[0]);
    ::close(p[1]);
    return make_error("fork: " + ras::errno_text(errno));
  }
  if (pid == 0) {
    ::close(p[1]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::alarm(600);
    void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) _exit(3);
    fill(static_cast<char*>(m), bytes, 77);
    char c;
    while (::read(p[0], &c, 1) < 0 && errno == EINTR) {
    }
    _exit(intact(static_cast<char*>(m), bytes, 77) ? 0 : 1);
  }
  ::close(p[0]);
  Sibling s;
  s.pid_ = pid;
  s.go_ = p[1];
  return s;
}

Sibling::Sibling(Sibling&& o) noexcept : pid_(o.pid_), go_(o.go_) {
  o.pid_ = -1;
  o.go_ = -1;
}

Sibling::~Sibling() {
  if (go_ >= 0) ::close(go_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

Result<bool> Sibling::finish() {
  if (pid_ <= 0) return make_error("sibling not running");
  char c = 'g';
  if (::write(go_, &c, 1) != 1) return make_error("cannot signal the sibling: " + ras::errno_text(errno));
  ::close(go_);
  go_ = -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFSIGNALED(status))
    return make_error(std::string("sibling killed by ") + (sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "a signal"));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void fill(char* p, std::size_t n, unsigned seed) {
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    p[i] = static_cast<char>(x >> 24);
  }
}

bool intact(const char* p, std::size_t n, unsigned seed) {
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    if (p[i] != static_cast<char>(x >> 24)) return false;
  }
  return true;
}

std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

int log2_exact(std::uint64_t v) {
  int n = 0;
  while (v > 1) {
    v >>= 1;
    ++n;
  }
  return n;
}

std::string requirements(const probe::Sysroot& root, TestResult& r) {
  if (auto w = ras::need_live(root); !w.empty()) return "page poisoning " + w;
  if (auto w = ras::need_root("MADV_HWPOISON and the PFNs of /proc/self/pagemap require CAP_SYS_ADMIN"); !w.empty()) return w;
  std::string evidence;
  if (auto w = ras::need_memory_failure(root, evidence); !w.empty()) return w;
  r.messages.push_back(evidence);
  return "";
}

void unpoison(const probe::Sysroot& root, std::uint64_t pfn, std::int64_t baseline_kb, TestResult& r) {
  std::string why;
  if (auto w = ras::need_debugfs(root); !w.empty()) {
    why = w;
  } else if (auto st = ras::load_module(root, "hwpoison_inject", "/sys/kernel/debug/hwpoison/unpoison-pfn"); !st) {
    why = st.message();
  } else if (auto wr = ras::write_attr(root.host_path("/sys/kernel/debug/hwpoison/unpoison-pfn"), std::to_string(pfn)); !wr) {
    why = wr.message();
  }
  if (!why.empty()) {
    r.metrics["unpoisoned"] = false;
    r.messages.push_back("page " + ras::hex(pfn) + " not unpoisoned (" + why + "); it stays out of service until reboot");
    return;
  }
  auto now = ras::hardware_corrupted_kb(root).value_or(-1);
  r.metrics["unpoisoned"] = true;
  r.metrics["hardware_corrupted_after_unpoison_kb"] = now;
  r.messages.push_back("page " + ras::hex(pfn) + " unpoisoned through debugfs hwpoison/unpoison-pfn; HardwareCorrupted " +
                       std::to_string(now) + " kB (baseline " + std::to_string(baseline_kb) + " kB)");
}

std::string check_corrupted_delta(std::int64_t before_kb, std::int64_t after_kb,
                                  const std::vector<std::int64_t>& allowed_kb, TestResult& r) {
  std::int64_t d = after_kb - before_kb;
  r.metrics["hardware_corrupted_before_kb"] = before_kb;
  r.metrics["hardware_corrupted_after_kb"] = after_kb;
  r.metrics["hardware_corrupted_delta_kb"] = d;
  for (auto a : allowed_kb)
    if (d == a) return "";
  std::string want;
  for (auto a : allowed_kb) want += (want.empty() ? "" : " or ") + std::to_string(a);
  return "HardwareCorrupted grew by " + std::to_string(d) + " kB, expected " + want + " kB";
}

TestResult verdict(TestResult r, const std::vector<std::string>& problems, std::string pass_reason) {
  if (problems.empty()) {
    r.outcome = Outcome::pass;
    r.reason = std::move(pass_reason);
    return r;
  }
  std::string why;
  for (const auto& p : problems) why += (why.empty() ? "" : "; ") + p;
  r.outcome = Outcome::fail;
  r.reason = why;
  return r;
}

void log_child(const TestContext& ctx, const ChildResult& c) {
  ctx.out() << "child: " << c.describe() << '\n';
  for (const auto& [k, v] : c.kv) ctx.out() << "  " << k << "=" << v << '\n';
}

}  // namespace certify::suites::poison
