// poison.hugetlb: a poisoned huge page raises SIGBUS BUS_MCEERR_AR with
// si_addr_lsb of the huge page size in the process that touches it, and is
// taken out of service. Reserves one huge page when none is free, and gives
// the pool back its size afterwards.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "testsuites/poison/kit.hpp"

namespace certify::suites {

TestResult poison_hugetlb(TestContext& ctx) {
  using namespace poison;
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  if (auto why = requirements(root, r); !why.empty()) return TestResult::skip(why);
  auto meminfo = root.read("/proc/meminfo", 1 << 20).value_or("");
  auto huge_kb = ras::meminfo_kb(meminfo, "Hugepagesize");
  if (!huge_kb || *huge_kb <= 0) return TestResult::skip("no huge page support (no Hugepagesize in /proc/meminfo: CONFIG_HUGETLBFS)");
  const std::string nr_path = "/proc/sys/vm/nr_hugepages";
  auto nr = root.attr_int(nr_path);
  if (!nr) return TestResult::skip("no " + nr_path + " (CONFIG_HUGETLB_PAGE)");
  auto free_pages = [&] {
    return ras::meminfo_kb(root.read("/proc/meminfo", 1 << 20).value_or(""), "HugePages_Free").value_or(0);
  };
  // HugePages_Free has no unit: meminfo_kb reads the number all the same.
  bool raised = false;
  if (free_pages() < 1) {
    if (auto st = ras::write_attr(root.host_path(nr_path), std::to_string(*nr + 1)); !st)
      return TestResult::skip("no free huge page and cannot reserve one: " + st.message());
    raised = true;
    if (free_pages() < 1) {
      (void)ras::write_attr(root.host_path(nr_path), std::to_string(*nr));
      return TestResult::skip("no free huge page: the kernel could not reserve one (memory fragmented)");
    }
    r.messages.push_back("reserved one huge page (nr_hugepages " + std::to_string(*nr) + " -> " + std::to_string(*nr + 1) + ")");
  }
  const std::size_t page = page_size();
  const std::size_t huge = static_cast<std::size_t>(*huge_kb) * 1024;
  r.metrics["huge_page_kb"] = *huge_kb;
  auto before = ras::hardware_corrupted_kb(root);
  if (!before) return TestResult::error("cannot read HardwareCorrupted from /proc/meminfo");

  auto child = run_child([&](Report& rep) {
    char* m = static_cast<char*>(::mmap(nullptr, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0));
    if (m == MAP_FAILED) return rep.put("map_error", "mmap(MAP_HUGETLB): " + ras::errno_text(errno)), 4;
    fill(m, page, 41);
    auto pfn = ras::pfn_of(m);
    if (!pfn) return rep.put("error", pfn.message()), 3;
    rep.put("pfn", *pfn);
    rep.put("base", ras::hex(reinterpret_cast<std::uintptr_t>(m)));
    if (::madvise(m, page, MADV_HWPOISON) != 0) return rep.put("madvise_error", ras::errno_text(errno)), 4;
    char* at = m + 3 * page + 64;  // inside the huge page, away from the poisoned head
    rep.put("touched", ras::hex(reinterpret_cast<std::uintptr_t>(at)));
    auto s = touch(at, false);
    if (!s) return rep.put("error", "reading the poisoned huge page raised no SIGBUS"), 5;
    rep.put_sigbus("sig_", *s);
    return 0;
  }, 60);
  auto restore = [&] {
    if (!raised) return;
    if (auto st = ras::write_attr(root.host_path(nr_path), std::to_string(*nr)); !st)
      r.messages.push_back("could not restore nr_hugepages to " + std::to_string(*nr) + ": " + st.message());
  };
  if (!child) {
    restore();
    return TestResult::error(child.message());
  }
  auto& c = *child;
  log_child(ctx, c);
  if (c.kv.count("map_error") || c.kv.count("madvise_error")) {
    restore();
    return TestResult::skip(c.get("map_error", "madvise(MADV_HWPOISON) on a huge page rejected: " + c.get("madvise_error")));
  }
  std::vector<std::string> bad;
  if (c.exit_code != 0) {
    bad.push_back("child: " + c.describe() + (c.kv.count("error") ? ": " + c.get("error") : ""));
  } else {
    int code = static_cast<int>(c.num("sig_code").value_or(0));
    int lsb = static_cast<int>(c.num("sig_lsb").value_or(0));
    auto addr = c.num("sig_addr").value_or(0), touched = c.num("touched").value_or(1), base = c.num("base").value_or(1);
    r.metrics["si_code"] = code;
    r.metrics["si_addr_lsb"] = lsb;
    if (code != BUS_MCEERR_AR) bad.push_back("si_code is " + bus_code_name(code) + ", expected BUS_MCEERR_AR");
    if (lsb != log2_exact(huge)) bad.push_back("si_addr_lsb " + std::to_string(lsb) + ", expected " + std::to_string(log2_exact(huge)) + " (huge page)");
    // The faulting address, or the huge page it lies in (architectures differ).
    if (addr != touched && addr != base)
      bad.push_back("si_addr " + ras::hex(addr) + " is neither the touched address " + ras::hex(touched) + " nor the huge page " + ras::hex(base));
  }
  auto after = ras::hardware_corrupted_kb(root).value_or(-1);
  // Kernels count a poisoned huge page as one base page or as all of it.
  if (auto w = check_corrupted_delta(*before, after, {static_cast<std::int64_t>(page / 1024), *huge_kb}, r); !w.empty())
    bad.push_back(w);
  if (auto pfn = c.num("pfn")) unpoison(root, *pfn, *before, r);
  restore();
  return verdict(std::move(r), bad, "SIGBUS BUS_MCEERR_AR with si_addr_lsb " + std::to_string(log2_exact(huge)) + " on a poisoned " +
                                        std::to_string(*huge_kb) + " kB huge page");
}

}  // namespace certify::suites
