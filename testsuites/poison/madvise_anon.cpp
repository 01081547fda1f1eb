// poison.madvise-anon: an anonymous page poisoned with MADV_HWPOISON kills
// only the process that touches it, with SIGBUS BUS_MCEERR_AR at the page;
// the parent and a sibling are unaffected; HardwareCorrupted grows by a page.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "testsuites/poison/kit.hpp"

namespace certify::suites {

TestResult poison_madvise_anon(TestContext& ctx) {
  using namespace poison;
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  if (auto why = requirements(root, r); !why.empty()) return TestResult::skip(why);
  const std::size_t page = page_size();
  auto before = ras::hardware_corrupted_kb(root);
  if (!before) return TestResult::error("cannot read HardwareCorrupted from /proc/meminfo");

  std::vector<char> mine(page * 4);
  fill(mine.data(), mine.size(), 11);
  auto sibling = Sibling::start(page * 4);
  if (!sibling) return TestResult::error(sibling.message());

  auto child = run_child([&](Report& rep) {
    char* m = static_cast<char*>(::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (m == MAP_FAILED) return rep.put("error", "mmap: " + ras::errno_text(errno)), 3;
    fill(m, 2 * page, 5);
    auto pfn = ras::pfn_of(m);
    if (!pfn) return rep.put("error", pfn.message()), 3;
    rep.put("pfn", *pfn);
    rep.put("page_addr", ras::hex(reinterpret_cast<std::uintptr_t>(m)));
    if (::madvise(m, page, MADV_HWPOISON) != 0) return rep.put("madvise_error", ras::errno_text(errno)), 4;
    auto s = touch(m, false);
    if (!s) return rep.put("error", "reading the poisoned page raised no SIGBUS"), 5;
    rep.put_sigbus("sig_", *s);
    // fill() wrote both pages as one sequence: compare the second page with it.
    std::vector<char> ref(2 * page);
    fill(ref.data(), ref.size(), 5);
    rep.put("other_page_intact", std::equal(m + page, m + 2 * page, ref.data() + page) ? "1" : "0");
    return 0;
  }, 60);
  if (!child) return TestResult::error(child.message());
  auto& c = *child;
  log_child(ctx, c);
  auto sib = sibling->finish();

  if (c.kv.count("madvise_error"))
    return TestResult::skip("madvise(MADV_HWPOISON) rejected: " + c.get("madvise_error"));
  if (c.exit_code != 0)
    return TestResult::fail("poisoning child: " + c.describe() + (c.kv.count("error") ? ": " + c.get("error") : ""));

  std::vector<std::string> bad;
  auto code = static_cast<int>(c.num("sig_code").value_or(0));
  auto addr = c.num("sig_addr").value_or(0);
  auto want_addr = c.num("page_addr").value_or(1);
  auto lsb = static_cast<int>(c.num("sig_lsb").value_or(0));
  r.metrics["si_code"] = code;
  r.metrics["si_addr_lsb"] = lsb;
  r.metrics["si_addr_matches"] = addr == want_addr;
  if (c.num("sig_signo").value_or(0) != SIGBUS) bad.push_back("signal " + c.get("sig_signo") + " is not SIGBUS");
  if (code != BUS_MCEERR_AR) bad.push_back("si_code is " + bus_code_name(code) + ", expected BUS_MCEERR_AR");
  if (addr != want_addr) bad.push_back("si_addr " + ras::hex(addr) + " is not the poisoned page " + ras::hex(want_addr));
  if (lsb != log2_exact(page)) bad.push_back("si_addr_lsb " + std::to_string(lsb) + ", expected " + std::to_string(log2_exact(page)));
  if (c.get("other_page_intact") != "1") bad.push_back("the unpoisoned page of the same mapping lost its data");
  if (!intact(mine.data(), mine.size(), 11)) bad.push_back("the parent's memory changed");
  if (!sib) bad.push_back("sibling: " + sib.message());
  else if (!*sib) bad.push_back("the sibling's memory changed");
  auto after = ras::hardware_corrupted_kb(root).value_or(-1);
  if (auto w = check_corrupted_delta(*before, after, {static_cast<std::int64_t>(page / 1024)}, r); !w.empty()) bad.push_back(w);

  if (auto pfn = c.num("pfn")) unpoison(root, *pfn, *before, r);
  return verdict(std::move(r), bad,
                 "SIGBUS BUS_MCEERR_AR at the poisoned page (lsb " + std::to_string(lsb) +
                     "), parent and sibling unaffected, HardwareCorrupted +" + std::to_string(page / 1024) + " kB");
}

}  // namespace certify::suites
