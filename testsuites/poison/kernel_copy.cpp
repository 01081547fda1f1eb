// poison.kernel-copy: a poisoned user buffer handed to write() or read()
// makes the kernel's user copy fail with EFAULT (or stop short before the
// poisoned page) instead of panicking; the caller gets no signal.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "testsuites/poison/kit.hpp"

namespace certify::suites {

TestResult poison_kernel_copy(TestContext& ctx) {
  using namespace poison;
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  if (auto why = requirements(root, r); !why.empty()) return TestResult::skip(why);
  const std::size_t page = page_size();
  auto before = ras::hardware_corrupted_kb(root);
  if (!before) return TestResult::error("cannot read HardwareCorrupted from /proc/meminfo");
  std::string tmpl = (ctx.workdir / "kernel-copy.XXXXXX").string();

  auto child = run_child([&](Report& rep) {
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return rep.put("error", "mkstemp in " + ctx.workdir.string() + ": " + ras::errno_text(errno)), 3;
    ::unlink(tmpl.c_str());
    // Page 0 clean, page 1 poisoned.
    char* m = static_cast<char*>(::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (m == MAP_FAILED) return rep.put("error", "mmap: " + ras::errno_text(errno)), 3;
    fill(m, 2 * page, 9);
    if (::pwrite(fd, m, page, 0) != static_cast<ssize_t>(page)) return rep.put("error", "seed write: " + ras::errno_text(errno)), 3;
    auto pfn = ras::pfn_of(m + page);
    if (!pfn) return rep.put("error", pfn.message()), 3;
    rep.put("pfn", *pfn);
    if (::madvise(m + page, page, MADV_HWPOISON) != 0) return rep.put("madvise_error", ras::errno_text(errno)), 4;
    // The handler is armed only inside touch(): a SIGBUS here exits 42.
    errno = 0;
    ssize_t w = ::pwrite(fd, m + page, page, page);
    rep.put("write_poisoned_ret", std::to_string(w));
    rep.put("write_poisoned_errno", std::to_string(w < 0 ? errno : 0));
    errno = 0;
    ssize_t wp = ::pwrite(fd, m, 2 * page, 2 * page);
    rep.put("write_straddle_ret", std::to_string(wp));
    rep.put("write_straddle_errno", std::to_string(wp < 0 ? errno : 0));
    errno = 0;
    ssize_t rd = ::pread(fd, m + page, page, 0);
    rep.put("read_into_poisoned_ret", std::to_string(rd));
    rep.put("read_into_poisoned_errno", std::to_string(rd < 0 ? errno : 0));
    rep.put("clean_page_intact", intact(m, page, 9) ? "1" : "0");
    ::close(fd);
    return 0;
  }, 60);
  if (!child) return TestResult::error(child.message());
  auto& c = *child;
  log_child(ctx, c);
  if (c.kv.count("madvise_error")) return TestResult::skip("madvise(MADV_HWPOISON) rejected: " + c.get("madvise_error"));
  if (c.exit_code != 0)
    return TestResult::fail("child: " + c.describe() + (c.kv.count("error") ? ": " + c.get("error") : ""));

  std::vector<std::string> bad;
  auto sret = [&](const std::string& k) { return std::stoll(c.get(k + "_ret", "0")); };
  auto serr = [&](const std::string& k) { return static_cast<int>(std::stoll(c.get(k + "_errno", "0"))); };
  // A copy from/to only the poisoned page: nothing can be copied, so -1 EFAULT.
  for (std::string k : {"write_poisoned", "read_into_poisoned"}) {
    r.metrics[k + "_ret"] = sret(k);
    r.metrics[k + "_errno"] = serr(k);
    if (!(sret(k) == -1 && serr(k) == EFAULT))
      bad.push_back(k + " returned " + std::to_string(sret(k)) + (serr(k) ? " " + ras::errno_text(serr(k)) : "") +
                    ", expected -1 EFAULT");
  }
  // Clean page then poisoned page: the documented partial count (one page)
  // or EFAULT; never the full length.
  auto sp = sret("write_straddle");
  r.metrics["write_straddle_ret"] = sp;
  if (!((sp == -1 && serr("write_straddle") == EFAULT) || sp == static_cast<long long>(page)))
    bad.push_back("a write of a clean and a poisoned page returned " + std::to_string(sp) + ", expected " +
                  std::to_string(page) + " (stopped at the poison) or -1 EFAULT");
  if (c.get("clean_page_intact") != "1") bad.push_back("the clean page of the buffer changed");
  auto after = ras::hardware_corrupted_kb(root).value_or(-1);
  if (auto w = check_corrupted_delta(*before, after, {static_cast<std::int64_t>(page / 1024)}, r); !w.empty()) bad.push_back(w);
  if (auto pfn = c.num("pfn")) unpoison(root, *pfn, *before, r);
  return verdict(std::move(r), bad,
                 "write() and read() on a poisoned buffer failed with EFAULT, a straddling write returned " +
                     std::to_string(sp) + ", no signal, kernel up");
}

}  // namespace certify::suites
