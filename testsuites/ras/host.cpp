// Live-system helpers for the RAS and poison tests.
#include "testsuites/ras/host.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

extern char** environ;

namespace certify::suites::ras {

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

std::string errno_text(int err) {
  const char* name = strerrorname_np(err);
  return std::string(std::strerror(err)) + " (" + (name ? name : std::to_string(err)) + ")";
}

std::string hex(std::uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

Status write_attr(const std::filesystem::path& path, std::string_view text) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return make_error("cannot open " + path.string() + ": " + errno_text(errno));
  ssize_t n;
  do n = ::write(fd.get(), text.data(), text.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return make_error("writing '" + std::string(text) + "' to " + path.string() + ": " + errno_text(errno));
  if (static_cast<std::size_t>(n) != text.size())
    return make_error("short write to " + path.string() + " (" + std::to_string(n) + " bytes)");
  return ok_status();
}

std::string need_live(const probe::Sysroot& root) {
  if (root.is_live()) return "";
  return "acts on the running kernel; the sysroot is " + root.root().string() + ", not /";
}

std::string need_root(std::string_view why) {
  if (::geteuid() == 0) return "";
  return "needs root: " + std::string(why);
}

std::string need_memory_failure(const probe::Sysroot& root, std::string& evidence) {
  auto cfg = kernel_config(root, "CONFIG_MEMORY_FAILURE");
  bool sysctl = root.exists("/proc/sys/vm/memory_failure_recovery");
  if (cfg.found_config) {
    if (cfg.value.value_or("n") != "y")
      return "kernel built without CONFIG_MEMORY_FAILURE (" + cfg.source + ")";
    evidence = "CONFIG_MEMORY_FAILURE=y in " + cfg.source;
  } else if (sysctl) {
    evidence = "no kernel config (" + cfg.source + "); /proc/sys/vm/memory_failure_recovery shows memory-failure support";
  } else {
    return "CONFIG_MEMORY_FAILURE not confirmed: no kernel config (" + cfg.source +
           ") and no /proc/sys/vm/memory_failure_recovery";
  }
  if (auto rec = root.attr("/proc/sys/vm/memory_failure_recovery"); rec && *rec == "0")
    return "vm.memory_failure_recovery is 0: the kernel would panic on a poisoned page";
  if (!root.read("/proc/meminfo") || !hardware_corrupted_kb(root))
    return "/proc/meminfo has no HardwareCorrupted line";
  return "";
}

std::string need_debugfs(const probe::Sysroot& root) {
  auto mounts = root.read("/proc/mounts", 1 << 20);
  if (!mounts) return "cannot read /proc/mounts";
  std::istringstream is(*mounts);
  std::string dev, dir, type;
  std::string line;
  while (std::getline(is, line)) {
    std::istringstream ls(line);
    if ((ls >> dev >> dir >> type) && type == "debugfs" && dir == "/sys/kernel/debug") return "";
  }
  return "debugfs is not mounted at /sys/kernel/debug (mount -t debugfs none /sys/kernel/debug)";
}

Status load_module(const probe::Sysroot& root, std::string_view module, std::string_view present) {
  if (!present.empty() && root.exists(present)) return ok_status();
  if (!root.is_live()) return make_error("cannot load " + std::string(module) + " into a sysroot");
  std::string mod(module);
  // stderr of modprobe to a pipe so its message becomes ours.
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  Fd rd(p[0]), wr(p[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
  const char* argv[] = {"modprobe", mod.c_str(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, "modprobe", &fa, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return make_error("cannot run modprobe: " + errno_text(rc));
  wr = Fd();
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(rd.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && out.size() < 4096) out.append(buf, static_cast<std::size_t>(n));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return make_error("modprobe " + mod + " failed" + (out.empty() ? "" : ": " + out));
  if (!present.empty() && !wait_until([&] { return root.exists(present); }, std::chrono::seconds(3)))
    return make_error("modprobe " + mod + " succeeded but " + std::string(present) + " did not appear");
  return ok_status();
}

Result<std::uint64_t> pfn_of(const void* addr) {
  Fd fd(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  if (!fd) return make_error("cannot open /proc/self/pagemap: " + errno_text(errno));
  long page = ::sysconf(_SC_PAGESIZE);
  std::uint64_t entry = 0;
  off_t off = static_cast<off_t>(reinterpret_cast<std::uintptr_t>(addr) / static_cast<std::uintptr_t>(page) * 8);
  if (::pread(fd.get(), &entry, sizeof entry, off) != static_cast<ssize_t>(sizeof entry))
    return make_error("cannot read /proc/self/pagemap: " + errno_text(errno));
  if (!(entry >> 63)) return make_error("page not present in memory");
  std::uint64_t pfn = entry & ((std::uint64_t{1} << 55) - 1);
  if (pfn == 0) return make_error("pagemap hides the PFN (needs CAP_SYS_ADMIN)");
  return pfn;
}

std::optional<std::int64_t> hardware_corrupted_kb(const probe::Sysroot& root) {
  auto m = root.read("/proc/meminfo", 1 << 20);
  if (!m) return std::nullopt;
  return meminfo_kb(*m, "HardwareCorrupted");
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

KmsgCursor::KmsgCursor() {
  fd_ = Fd(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd_) {
    error_ = "cannot open /dev/kmsg: " + errno_text(errno);
    return;
  }
  if (::lseek(fd_.get(), 0, SEEK_END) < 0) error_ = "cannot seek /dev/kmsg: " + errno_text(errno);
}

std::vector<KmsgRecord> KmsgCursor::read_new() {
  std::vector<KmsgRecord> out;
  if (!fd_) return out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);  // one record per read
    if (n < 0) {
      if (errno == EINTR || errno == EPIPE) continue;  // EPIPE: records overwritten; go on
      break;                                          // EAGAIN: no more
    }
    if (n == 0) break;
    if (auto r = parse_kmsg_record(std::string_view(buf, static_cast<std::size_t>(n)))) out.push_back(std::move(*r));
  }
  return out;
}

std::optional<Bdf> parse_bdf(std::string_view s) {
  // dddd:bb:dd.f
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return std::nullopt;
  auto hexnum = [](std::string_view h) -> std::optional<unsigned> {
    unsigned v = 0;
    for (char c : h) {
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + static_cast<unsigned>(d);
    }
    return v;
  };
  auto dom = hexnum(s.substr(0, 4)), bus = hexnum(s.substr(5, 2)), dev = hexnum(s.substr(8, 2)), fn = hexnum(s.substr(11, 1));
  if (!dom || !bus || !dev || !fn || *dev > 31 || *fn > 7) return std::nullopt;
  return Bdf{*dom, static_cast<std::uint8_t>(*bus), static_cast<std::uint8_t>(*dev), static_cast<std::uint8_t>(*fn)};
}

Status aer_inject(const probe::Sysroot& root, std::string_view bdf, std::uint32_t cor_status, std::uint32_t uncor_status) {
  auto b = parse_bdf(bdf);
  if (!b) return make_error("not a PCI address: " + std::string(bdf));
  if (auto st = load_module(root, "aer_inject", "/dev/aer_inject"); !st) return st;
  // The module's ABI (drivers/pci/pcie/aer_inject.c), natural alignment.
  struct {
    std::uint8_t bus, dev, fn;
    std::uint32_t uncor_status, cor_status;
    std::uint32_t header_log0, header_log1, header_log2, header_log3;
    std::uint32_t domain;
  } inj{};
  static_assert(sizeof inj == 32);  // the kernel's layout: 3 bytes, padding, 7 words
  inj.bus = b->bus;
  inj.dev = b->dev;
  inj.fn = b->fn;
  inj.uncor_status = uncor_status;
  inj.cor_status = cor_status;
  inj.domain = b->domain;
  Fd fd(::open(root.host_path("/dev/aer_inject").c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return make_error("cannot open /dev/aer_inject: " + errno_text(errno));
  if (::write(fd.get(), &inj, sizeof inj) != static_cast<ssize_t>(sizeof inj))
    return make_error("aer_inject rejected the error for " + std::string(bdf) + ": " + errno_text(errno));
  return ok_status();
}

Status einj_inject(const probe::Sysroot& root, const EinjRequest& req) {
  const std::string dir(k_einj_dir);
  for (auto [file, value] : {std::pair<const char*, std::string>{"error_type", hex(req.type)},
                             {"param1", hex(req.address)},
                             {"param2", hex(req.mask)},
                             {"notrigger", req.notrigger ? "1" : "0"},
                             {"error_inject", "1"}})
    if (auto st = write_attr(root.host_path(dir + "/" + file), value); !st) return make_error("EINJ: " + st.message());
  return ok_status();
}

bool process_running(const probe::Sysroot& root, std::string_view comm) {
  for (const auto& pid : root.list("/proc")) {
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (root.attr("/proc/" + pid + "/comm").value_or("") == comm) return true;
  }
  return false;
}

}  // namespace certify::suites::ras
