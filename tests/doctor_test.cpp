// certify doctor on constructed sysroots: each gap flips exactly its check.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include "tests/testutil.hpp"

using namespace certify::test;
namespace fs = std::filesystem;

namespace {

const char* k_config =
    "CONFIG_MEMORY_FAILURE=y\nCONFIG_HWPOISON_INJECT=m\nCONFIG_ACPI_APEI_EINJ=m\nCONFIG_PCIEAER=y\n"
    "CONFIG_PCIEAER_INJECT=m\nCONFIG_EDAC=y\nCONFIG_DEBUG_FS=y\nCONFIG_CRASH_DUMP=y\n";

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A sysroot where every check passes.
void healthy(const fs::path& r) {
  write(r / "etc/os-release", "ID=openeuler\nVERSION_ID=\"22.03\"\nID_LIKE=\"rhel fedora\"\n");
  write(r / "proc/sys/kernel/osrelease", "5.10.0-test\n");
  write(r / "boot/config-5.10.0-test", k_config);
  write(r / "proc/mounts", "sysfs /sys sysfs rw 0 0\ndebugfs /sys/kernel/debug debugfs rw 0 0\n");
  write(r / "sys/firmware/acpi/tables/EINJ", "EINJ");
  write(r / "lib/modules/5.10.0-test/modules.dep", "kernel/drivers/pci/pcie/aer_inject.ko:\n");
  write(r / "sys/devices/system/edac/mc/mc0/ce_count", "0\n");
  for (const char* t : {"fio", "ethtool", "ipmitool", "nvme", "ib_write_bw", "smartctl"})
    write(r / "usr/bin" / t, "#!/bin/sh\n");
  write(r / "sys/kernel/kexec_crash_size", "536870912\n");
  write(r / "run/systemd/timesync/synchronized", "");
}

nlohmann::json doctor(const fs::path& root, const std::vector<std::string>& extra = {}, int* rc = nullptr) {
  TempDir results;
  std::vector<std::string> argv = {build_path("cli/certify").string(), "doctor", "--json",
                                   "--sysroot", root.string(), "--results", results.path().string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = run_command(argv);
  if (rc) *rc = r.exit_code;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), (r.out + r.err));
  return j;
}

std::string level_of(const nlohmann::json& j, const std::string& check) {
  for (const auto& c : j["checks"])
    if (c["check"] == check) return c["level"];
  return "absent";
}

}  // namespace

TEST_CASE("doctor: a healthy sysroot has no blocker and no warning") {
  TempDir t;
  healthy(t.path());
  int rc = -1;
  auto j = doctor(t.path(), {}, &rc);
  CHECK(rc == 0);
  CHECK(j["blockers"] == 0);
  CHECK(j["warnings"] == 0);
  CHECK(level_of(j, "kconfig:CONFIG_MEMORY_FAILURE") == "ok");
  CHECK(level_of(j, "tool:fio") == "ok");
  CHECK(level_of(j, "peer") == "info");
}

TEST_CASE("doctor: each gap is reported with its fix") {
  struct Gap {
    const char* what;
    std::function<void(const fs::path&)> make;
    const char* check;
    const char* fix_part;
  };
  std::vector<Gap> gaps = {
      {"no memory failure", [](const fs::path& r) {
         std::string c = k_config;
         c.erase(0, c.find('\n') + 1);  // drop CONFIG_MEMORY_FAILURE=y
         write(r / "boot/config-5.10.0-test", c);
       },
       "kconfig:CONFIG_MEMORY_FAILURE", "CONFIG_MEMORY_FAILURE"},
      {"no kernel config", [](const fs::path& r) { fs::remove(r / "boot/config-5.10.0-test"); },
       "kernel-config", "config"},
      {"no debugfs", [](const fs::path& r) { write(r / "proc/mounts", "sysfs /sys sysfs rw 0 0\n"); }, "debugfs",
       "mount -t debugfs"},
      {"no EINJ", [](const fs::path& r) { fs::remove(r / "sys/firmware/acpi/tables/EINJ"); }, "einj", "firmware"},
      {"no aer_inject",
       [](const fs::path& r) {
         write(r / "lib/modules/5.10.0-test/modules.dep", "");
       },
       "aer-inject", "modules"},
      {"no EDAC", [](const fs::path& r) { fs::remove_all(r / "sys/devices/system/edac"); }, "edac", "edac"},
      {"no fio", [](const fs::path& r) { fs::remove(r / "usr/bin/fio"); }, "tool:fio", "dnf install fio"},
      {"no crash kernel", [](const fs::path& r) { write(r / "sys/kernel/kexec_crash_size", "0\n"); }, "kdump",
       "crashkernel"},
  };
  for (const auto& g : gaps) {
    CAPTURE(g.what);
    TempDir t;
    healthy(t.path());
    g.make(t.path());
    int rc = -1;
    auto j = doctor(t.path(), {}, &rc);
    CHECK(rc == 0);  // warnings only
    CHECK(j["warnings"] == 1);
    CHECK(level_of(j, g.check) == "warning");
    for (const auto& c : j["checks"])
      if (c["check"] == g.check) CHECK(c["fix"].get<std::string>().find(g.fix_part) != std::string::npos);
  }
}

TEST_CASE("doctor: an unreachable peer and a full results disk are blockers; a live peer is ok") {
  TempDir t;
  healthy(t.path());
  // A listening socket on 127.0.0.1 stands for the peer.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  int rc = -1;
  auto ok = doctor(t.path(), {"--peer", "127.0.0.1:" + std::to_string(port)}, &rc);
  CHECK(rc == 0);
  CHECK(level_of(ok, "peer") == "ok");
  ::close(fd);  // now nothing listens on that port
  auto down = doctor(t.path(), {"--peer", "127.0.0.1:" + std::to_string(port)}, &rc);
  CHECK(rc == 1);
  CHECK(level_of(down, "peer") == "blocker");
  auto full = doctor(t.path(), {"--min-free-gib", "1000000000"}, &rc);
  CHECK(rc == 1);
  CHECK(level_of(full, "results-dir") == "blocker");
}

TEST_CASE("doctor: a missing sysroot is a usage error") {
  auto r = run_command({build_path("cli/certify").string(), "doctor", "--sysroot", "/nonexistent/x"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("does not exist") != std::string::npos);
}
