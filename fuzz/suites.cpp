// Fuzz target for the suites' parsers of device and kernel data: the first
// byte picks the parser (kmsg record, NVMe SMART log, firmware slot log,
// Identify Namespace, ACPI table, fio JSON, crash dump header, perftest
// report, the record kept across a reboot and RDMA rates); the rest is its input.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "testsuites/common/kernel_log.hpp"
#include "testsuites/nvme/nvme.hpp"
#include "testsuites/rdma/rdma.hpp"
#include "testsuites/system/reboot.hpp"
#include "testsuites/system/system.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace certify::suites;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  switch (data[0] % 9) {
    case 0: {
      auto r = parse_kmsg_record(text);
      if (r) {
        std::vector<KmsgRecord> v{*r};
        (void)scan_kernel_log(v);
      }
      break;
    }
    case 1:
      if (auto s = nvme::parse_smart_log(rest)) (void)nvme::check_smart(*s);
      break;
    case 2:
      if (auto f = nvme::parse_fw_log(rest)) (void)nvme::check_fw_log(*f, "1.0");
      break;
    case 3:
      (void)nvme::parse_identify_ns(1, rest);
      break;
    case 4:
      (void)system::acpi_table_problem(rest.size() >= 4 ? std::string_view(text.substr(0, 4)) : std::string_view("DSDT"), rest);
      break;
    case 5:
      if (auto p = nvme::parse_fio_json(1, std::string(text))) (void)nvme::check_sweep({*p});
      break;
    case 6: {
      // A dump header must name a release or an error, never both empty.
      auto h = system::parse_dump_header(rest);
      if (h.error.empty() && h.release.empty()) __builtin_trap();
      break;
    }
    case 7: {
      std::string out(text);
      // The input's length stands in for the port's packet counter: both sides of the per-message check.
      (void)rdma::check_bandwidth({{"ib_write_bw", 0, out, "", true, 0, out, "", text.size(), {}}}, rdma::parse_rate_gbps(text), false, 50);
      break;
    }
    case 8: {
      std::string err;
      if (auto b = system::read_before_reboot(std::string(text), err)) {
        system::WatchdogResetFacts f;
        f.before = *b;
        f.boot_id.push_back('x');  // not = "x": after inlining, GCC 12 gives a false -Wrestrict warning
        f.btime = 1;
        (void)system::check_watchdog_reset(f);
      }
      break;
    }
  }
  return 0;
}
