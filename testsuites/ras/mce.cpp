// ras.mce: x86 machine-check reporting. A corrected error injected with the
// mce-inject module (software injection: the record goes through the
// kernel's machine-check log path) shows up in the mce_record trace event
// and the kernel log. Other architectures skip with the reason.
#include <sys/utsname.h>
#include <unistd.h>

#include "testsuites/builtin.hpp"
#include "testsuites/ras/host.hpp"

namespace certify::suites {

TestResult ras_mce(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  std::string arch;
  if (struct utsname u {}; ::uname(&u) == 0) arch = u.machine;
  const std::string mc = "/sys/devices/system/machinecheck/machinecheck0";
  if (!root.exists(mc)) {
    if (arch != "x86_64" && arch.rfind("i", 0) != 0)
      return TestResult::skip("machine-check architecture is x86-only; " + arch +
                              " reports hardware errors through APEI GHES/SEA (see ras.einj and ras.edac)");
    return TestResult::skip("no " + mc + ": machine-check support disabled (mce=off or no CONFIG_X86_MCE)");
  }
  int banks = 0;
  for (const auto& e : root.list(mc))
    if (e.rfind("bank", 0) == 0) ++banks;
  r.metrics["banks"] = banks;
  if (auto w = ras::need_live(root); !w.empty()) return TestResult::skip("injection " + w);
  if (auto w = ras::need_root("mce-inject in debugfs"); !w.empty()) return TestResult::skip(w);
  if (auto w = ras::need_debugfs(root); !w.empty()) return TestResult::skip(w);
  const std::string inj = "/sys/kernel/debug/mce-inject";
  if (auto st = ras::load_module(root, "mce-inject", inj + "/bank"); !st) return TestResult::skip("no mce-inject: " + st.message());

  // The trace event records the injected bank registers; enable it for the test.
  std::string tracing = root.exists("/sys/kernel/tracing/events/mce") ? "/sys/kernel/tracing" : "/sys/kernel/debug/tracing";
  std::string enable = tracing + "/events/mce/mce_record/enable";
  auto was = root.attr(enable);
  bool traced = false;
  if (was) traced = static_cast<bool>(ras::write_attr(root.host_path(enable), "1"));
  else r.messages.push_back("no mce_record trace event (" + enable + "): checking the kernel log only");

  // A tag in the address register finds our record among others.
  const std::uint64_t status = 0x9000000000000000ull;  // VAL | EN, not UC: corrected
  const std::uint64_t tag = 0x1234000ull + (static_cast<std::uint64_t>(::getpid() & 0xfff) << 12);
  const int bank = banks > 1 ? 1 : 0;
  ras::KmsgCursor kmsg;
  for (auto [file, value] : {std::pair<std::string, std::string>{"flags", "sw"}, {"status", ras::hex(status)},
                             {"misc", "0"}, {"addr", ras::hex(tag)}, {"synd", "0"}, {"cpu", "0"},
                             {"bank", std::to_string(bank)}}) {
    if (!root.exists(inj + "/" + file) && file != "bank") continue;  // older kernels lack synd/ipid
    // mce-inject's flags parser replaces the last byte written: end every value with a newline.
    if (auto st = ras::write_attr(root.host_path(inj + "/" + file), value + "\n"); !st) {
      if (was) (void)ras::write_attr(root.host_path(enable), *was);
      return TestResult::skip("mce-inject rejected the injection: " + st.message());
    }
  }
  r.metrics["injected_status"] = ras::hex(status);
  r.metrics["injected_addr"] = ras::hex(tag);
  bool in_trace = false, in_log = false;
  ras::wait_until(
      [&] {
        for (const auto& rec : kmsg.read_new()) {
          ctx.out() << "kmsg: " << rec.message << '\n';
          if (rec.message.find("Machine check events logged") != std::string::npos ||
              (rec.message.find("Hardware Error") != std::string::npos && rec.message.find("Bank " + std::to_string(bank)) != std::string::npos))
            in_log = true;
        }
        if (traced) {
          auto text = root.read(tracing + "/trace", 32 << 20).value_or("");
          std::size_t pos = 0;
          while (!in_trace && pos < text.size()) {
            auto nl = text.find('\n', pos);
            auto line = std::string_view(text).substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            pos = nl == std::string::npos ? text.size() : nl + 1;
            auto m = ras::parse_mce_trace_line(line);
            if (m && m->addr == tag && m->status == status && m->bank == bank) {
              in_trace = true;
              ctx.out() << "trace: " << line << '\n';
            }
          }
        }
        return in_trace && in_log;
      },
      std::chrono::seconds(8));
  if (was) (void)ras::write_attr(root.host_path(enable), *was);
  r.metrics["in_trace"] = in_trace;
  r.metrics["in_kernel_log"] = in_log;
  if (!in_trace && !in_log)
    return TestResult{Outcome::fail, "the injected corrected machine check (bank " + std::to_string(bank) + ", ADDR " + ras::hex(tag) +
                                         ") reached neither the mce_record trace event nor the kernel log",
                      r.metrics, r.messages};
  if (traced && !in_trace)
    return TestResult{Outcome::fail, "the injected machine check is in the kernel log but not in the mce_record trace event", r.metrics, r.messages};
  r.reason = std::string("corrected machine check injected with mce-inject on bank ") + std::to_string(bank) + " reported in " +
             (in_trace ? "the mce_record trace event" : "") + (in_trace && in_log ? " and " : "") + (in_log ? "the kernel log" : "");
  return r;
}

}  // namespace certify::suites
