// certify doctor: checks what a certification run needs on this machine (or a
// recorded sysroot) and says how to fix each gap. Exit 1 when a blocker is
// found, so scripts can stop before a long run that would not count.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "probe/probe.hpp"

namespace certify::cli {

namespace {

enum class Level { ok, info, warning, blocker };

const char* level_name(Level l) {
  switch (l) {
    case Level::ok: return "ok";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::blocker: return "blocker";
  }
  return "?";
}

struct Finding {
  std::string check;
  Level level;
  std::string detail;
  std::string fix;  // empty when nothing to do
};

struct DoctorArgs {
  std::string sysroot = "/";
  std::string results = "results";
  std::string peer;
  bool json = false;
  double min_free_gib = 1.0;
};

struct Doctor {
  const probe::Sysroot& root;
  const DoctorArgs& args;
  std::vector<Finding> out;
  std::string kernel_release;
  std::string kconfig;  // text of the kernel config, empty when not found
  bool rpm_family = false;

  void add(std::string check, Level l, std::string detail, std::string fix = {}) {
    out.push_back({std::move(check), l, std::move(detail), std::move(fix)});
  }
  std::string install_hint(const std::string& deb, const std::string& rpm) const {
    return rpm_family ? "dnf install " + rpm : "apt-get install " + deb;
  }
};

std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return {};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK && out.size() < (64u << 20)) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

// "y", "m" or "" (not set) for CONFIG_<name>.
std::string kconfig_value(const std::string& config, const std::string& name) {
  std::string key = "\n" + name + "=";
  auto p = ("\n" + config).find(key);
  if (p == std::string::npos) return {};
  auto start = p + key.size() - 1;
  auto end = config.find('\n', start);
  return config.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

void check_identity(Doctor& d) {
  d.kernel_release = d.root.attr("/proc/sys/kernel/osrelease").value_or("");
  std::string like;
  if (auto rel = d.root.read("/etc/os-release", 65536)) {
    auto j = probe::parse_os_release(*rel);
    like = j.value("id", "") + " " + j.value("id_like", "");
  }
  for (const char* f : {"rhel", "fedora", "centos", "openeuler", "anolis", "suse", "kylin"})
    if (like.find(f) != std::string::npos) d.rpm_family = true;
}

void check_root(Doctor& d) {
  if (!d.root.is_live()) {
    d.add("root", Level::info, "not checked on a recorded sysroot");
    return;
  }
  if (::geteuid() == 0) d.add("root", Level::ok, "running as root");
  else
    d.add("root", Level::blocker,
          "not running as root: hotplug, error injection and raw device tests need it",
          "run 'sudo certify run ...'");
}

void check_results_dir(Doctor& d) {
  namespace fs = std::filesystem;
  fs::path dir = d.args.results;
  std::error_code ec;
  fs::path probe_dir = dir;
  while (!probe_dir.empty() && !fs::exists(probe_dir, ec)) probe_dir = probe_dir.parent_path();
  if (probe_dir.empty()) probe_dir = ".";
  if (::access(probe_dir.c_str(), W_OK) != 0) {
    d.add("results-dir", Level::blocker, probe_dir.string() + " is not writable",
          "choose a writable --results DIR");
    return;
  }
  struct statvfs vfs {};
  if (::statvfs(probe_dir.c_str(), &vfs) != 0) {
    d.add("results-dir", Level::warning, "cannot stat " + probe_dir.string() + ": " + std::strerror(errno));
    return;
  }
  double free_gib = static_cast<double>(vfs.f_bavail) * vfs.f_frsize / (1024.0 * 1024 * 1024);
  std::ostringstream os;
  os.precision(1);
  os << std::fixed << free_gib << " GiB free under " << probe_dir.string();
  if (free_gib < d.args.min_free_gib)
    d.add("results-dir", Level::blocker, os.str() + " (logs of a full run need at least " +
                                              std::to_string(static_cast<int>(d.args.min_free_gib)) + " GiB)",
          "free space or point --results at a larger file system");
  else
    d.add("results-dir", Level::ok, os.str());
}

void load_kconfig(Doctor& d) {
  if (!d.kernel_release.empty())
    if (auto c = d.root.read("/boot/config-" + d.kernel_release, 16 << 20)) d.kconfig = *c;
  if (d.kconfig.empty())
    if (auto gz = d.root.read("/proc/config.gz", 4 << 20)) d.kconfig = gunzip(*gz);
  if (d.kconfig.empty())
    d.add("kernel-config", Level::warning,
          "kernel configuration not found (/boot/config-" + d.kernel_release + ", /proc/config.gz)",
          "install the kernel's config file or 'modprobe configs'");
  else
    d.add("kernel-config", Level::ok, "kernel configuration found");
}

void check_kernel_features(Doctor& d) {
  if (d.kconfig.empty()) return;
  struct Feature {
    const char* option;
    const char* needed_by;
  };
  static constexpr Feature k_features[] = {
      {"CONFIG_MEMORY_FAILURE", "poison suite (page-poison recovery)"},
      {"CONFIG_HWPOISON_INJECT", "poison suite (unpoison through debugfs)"},
      {"CONFIG_ACPI_APEI_EINJ", "ras.einj (firmware error injection)"},
      {"CONFIG_PCIEAER", "ras.aer (PCIe error reporting)"},
      {"CONFIG_PCIEAER_INJECT", "ras.aer injection"},
      {"CONFIG_EDAC", "ras.edac (memory error counters)"},
      {"CONFIG_DEBUG_FS", "error injection interfaces"},
      {"CONFIG_CRASH_DUMP", "system.kdump"},
  };
  for (const auto& f : k_features) {
    auto v = kconfig_value(d.kconfig, f.option);
    if (v == "y" || v == "m")
      d.add(std::string("kconfig:") + f.option, Level::ok, std::string(f.option) + "=" + v);
    else
      d.add(std::string("kconfig:") + f.option, Level::warning,
            std::string(f.option) + " is not set: " + f.needed_by + " will skip",
            "use a kernel built with " + std::string(f.option));
  }
}

void check_debugfs(Doctor& d) {
  auto mounts = d.root.read("/proc/mounts", 1 << 20).value_or("");
  if (mounts.find(" debugfs ") != std::string::npos)
    d.add("debugfs", Level::ok, "debugfs is mounted");
  else
    d.add("debugfs", Level::warning, "debugfs is not mounted: injection tests will skip",
          "mount -t debugfs none /sys/kernel/debug");
}

void check_einj(Doctor& d) {
  if (d.root.exists("/sys/firmware/acpi/tables/EINJ"))
    d.add("einj", Level::ok, "ACPI EINJ table present");
  else
    d.add("einj", Level::warning, "no ACPI EINJ table: firmware error injection (ras.einj) will skip",
          "enable error injection (WHEA/EINJ) in the firmware setup");
}

void check_modules(Doctor& d) {
  std::string dep = d.kernel_release.empty()
                        ? std::string()
                        : d.root.read("/lib/modules/" + d.kernel_release + "/modules.dep", 16 << 20).value_or("");
  auto have = [&](const char* name, const char* option) {
    return d.root.exists(std::string("/sys/module/") + name) ||
           dep.find(std::string("/") + name + ".ko") != std::string::npos ||
           kconfig_value(d.kconfig, option) == "y";
  };
  if (have("aer_inject", "CONFIG_PCIEAER_INJECT"))
    d.add("aer-inject", Level::ok, "aer_inject is available");
  else
    d.add("aer-inject", Level::warning, "aer_inject module not available: AER injection will skip",
          "install the kernel's extra modules package");
  if (!d.root.list("/sys/devices/system/edac/mc").empty())
    d.add("edac", Level::ok, "EDAC memory controller registered");
  else
    d.add("edac", Level::warning, "no EDAC memory controller: memory error counters cannot be read",
          "load the platform's EDAC driver (e.g. modprobe skx_edac, i10nm_edac, amd64_edac)");
}

void check_tools(Doctor& d) {
  struct Tool {
    const char* binary;
    const char* deb;
    const char* rpm;
    const char* used_by;
  };
  static constexpr Tool k_tools[] = {
      {"fio", "fio", "fio", "nvme/disk/hba performance"},
      {"ethtool", "ethtool", "ethtool", "nic suite"},
      {"ipmitool", "ipmitool", "ipmitool", "system.ipmi"},
      {"nvme", "nvme-cli", "nvme-cli", "nvme suite (logs, reset)"},
      {"ib_write_bw", "perftest", "perftest", "RDMA bandwidth"},
      {"smartctl", "smartmontools", "smartmontools", "disk SMART"},
  };
  static constexpr const char* k_path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                           "/usr/bin",        "/sbin",           "/bin"};
  for (const auto& t : k_tools) {
    std::string found;
    for (const char* dir : k_path) {
      std::string p = std::string(dir) + "/" + t.binary;
      if (d.root.exists(p)) {
        found = p;
        break;
      }
    }
    if (!found.empty())
      d.add(std::string("tool:") + t.binary, Level::ok, found);
    else
      d.add(std::string("tool:") + t.binary, Level::warning,
            std::string(t.binary) + " not found: " + t.used_by + " will skip", d.install_hint(t.deb, t.rpm));
  }
}

void check_kdump(Doctor& d) {
  auto size = d.root.attr_int("/sys/kernel/kexec_crash_size", 10);
  if (size && *size > 0)
    d.add("kdump", Level::ok, "crash kernel reserved (" + std::to_string(*size >> 20) + " MiB)");
  else
    d.add("kdump", Level::warning, "no crash kernel memory reserved: system.kdump will fail",
          "add crashkernel=auto (or crashkernel=512M) to the kernel command line and reboot");
}

void check_clock(Doctor& d) {
  if (d.root.is_live()) {
    struct timex tx {};
    int state = ::adjtimex(&tx);
    if (state == TIME_ERROR || (tx.status & STA_UNSYNC))
      d.add("clock", Level::warning, "system clock is not synchronised: result times may be wrong",
            "enable chronyd or systemd-timesyncd");
    else
      d.add("clock", Level::ok, "system clock is synchronised");
    return;
  }
  if (d.root.exists("/run/systemd/timesync/synchronized"))
    d.add("clock", Level::ok, "systemd-timesyncd reports synchronised");
  else
    d.add("clock", Level::info, "clock synchronisation cannot be read from a recorded sysroot");
}

// TCP connect with a bounded wait: the peer's certify service must answer.
void check_peer(Doctor& d) {
  if (d.args.peer.empty()) {
    d.add("peer", Level::info, "no --peer given: NIC throughput tests against a peer will skip",
          "start 'certify peer --listen' on a second machine and pass --peer HOST");
    return;
  }
  std::string host = d.args.peer, port = "7788";
  if (auto c = host.rfind(':'); c != std::string::npos && host.find(']') == std::string::npos) {
    port = host.substr(c + 1);
    host = host.substr(0, c);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    d.add("peer", Level::blocker, "cannot resolve peer " + host + ": " + gai_strerror(rc),
          "check the peer's name or use its address");
    return;
  }
  bool ok = false;
  std::string why = "no address";
  for (auto* a = res; a && !ok; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 3000) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        ok = err == 0;
        if (!ok) why = std::strerror(err);
      } else {
        why = "no answer within 3 s";
      }
    } else {
      why = std::strerror(errno);
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (ok) d.add("peer", Level::ok, "peer " + host + ":" + port + " answers");
  else
    d.add("peer", Level::blocker, "peer " + host + ":" + port + " unreachable: " + why,
          "start 'certify peer --listen' there and open TCP port " + port);
}

void run_doctor(const DoctorArgs& a, int& exit_code) {
  probe::Sysroot root(a.sysroot);
  if (!root.valid()) throw CommandError("sysroot " + a.sysroot + " does not exist");
  Doctor d{root, a, {}, {}, {}, false};
  check_identity(d);
  check_root(d);
  check_results_dir(d);
  load_kconfig(d);
  check_kernel_features(d);
  check_debugfs(d);
  check_einj(d);
  check_modules(d);
  check_tools(d);
  check_kdump(d);
  check_clock(d);
  check_peer(d);
  int blockers = 0, warnings = 0;
  for (const auto& f : d.out) {
    blockers += f.level == Level::blocker;
    warnings += f.level == Level::warning;
  }
  if (a.json) {
    nlohmann::json j = {{"blockers", blockers}, {"warnings", warnings}, {"checks", nlohmann::json::array()}};
    for (const auto& f : d.out)
      j["checks"].push_back({{"check", f.check}, {"level", level_name(f.level)}, {"detail", f.detail}, {"fix", f.fix}});
    std::cout << j.dump(2) << '\n';
  } else {
    for (const auto& f : d.out) {
      std::string lvl = level_name(f.level);
      lvl.resize(8, ' ');
      std::cout << lvl << f.check << ": " << f.detail << '\n';
      if (!f.fix.empty() && f.level != Level::ok) std::cout << "        fix: " << f.fix << '\n';
    }
    std::cout << blockers << " blocker(s), " << warnings << " warning(s)\n";
  }
  exit_code = blockers ? k_exit_failed : k_exit_ok;
}

}  // namespace

void add_doctor_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DoctorArgs>();
  auto* cmd = app.add_subcommand("doctor", "Check what a certification run needs and how to fix each gap");
  cmd->add_option("--sysroot", args->sysroot, "Root directory to check")->capture_default_str();
  cmd->add_option("--results", args->results, "Results directory the run will write to")->capture_default_str();
  cmd->add_option("--peer", args->peer, "Network test peer HOST[:PORT] to check (port default 7788)");
  cmd->add_option("--min-free-gib", args->min_free_gib, "Free space the results directory needs")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->footer("Exit status: 0 when no blocker was found, 1 otherwise, 2 on usage errors.");
  cmd->callback([args, &exit_code] { run_doctor(*args, exit_code); });
}

}  // namespace certify::cli
