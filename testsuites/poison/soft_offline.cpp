// poison.soft-offline: soft-offlining a page in use migrates its contents to
// a new frame; the process keeps its data and gets no signal; the old frame
// is taken out of service (HardwareCorrupted) and given back afterwards.
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "testsuites/poison/kit.hpp"

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif

namespace certify::suites {

TestResult poison_soft_offline(TestContext& ctx) {
  using namespace poison;
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  if (auto why = requirements(root, r); !why.empty()) return TestResult::skip(why);
  const std::size_t page = page_size();
  auto before = ras::hardware_corrupted_kb(root);
  if (!before) return TestResult::error("cannot read HardwareCorrupted from /proc/meminfo");
  const std::string sysfs = "/sys/devices/system/memory/soft_offline_page";
  const bool use_sysfs = root.exists(sysfs);
  const std::string method = use_sysfs ? "soft_offline_page" : "MADV_SOFT_OFFLINE";
  r.metrics["method"] = method;

  auto child = run_child([&](Report& rep) {
    // Stay on one CPU so the page leaves this CPU's LRU batch below.
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(::sched_getcpu()), &set);
    ::sched_setaffinity(0, sizeof set, &set);
    char* m = static_cast<char*>(::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (m == MAP_FAILED) return rep.put("error", "mmap: " + ras::errno_text(errno)), 3;
    fill(m, page, 21);
    // Migration needs the page on the LRU list: new pages wait in a per-CPU
    // batch that the next few dozen page faults flush.
    const std::size_t more = 64 * page;
    char* f = static_cast<char*>(::mmap(nullptr, more, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (f != MAP_FAILED)
      for (std::size_t i = 0; i < more; i += page) f[i] = 1;
    auto pfn0 = ras::pfn_of(m);
    if (!pfn0) return rep.put("error", pfn0.message()), 3;
    rep.put("pfn_before", *pfn0);
    std::string err;
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (use_sysfs) {
        auto st = ras::write_attr(root.host_path(sysfs), ras::hex(*pfn0 * page));
        err = st ? "" : st.message();
      } else {
        err = ::madvise(m, page, MADV_SOFT_OFFLINE) == 0 ? "" : "madvise(MADV_SOFT_OFFLINE): " + ras::errno_text(errno);
      }
      if (err.empty() || err.find("EBUSY") == std::string::npos) break;
      for (std::size_t i = 0; f != MAP_FAILED && i < more; i += page) f[i] = static_cast<char>(attempt);
      ::usleep(100000);
    }
    if (!err.empty()) return rep.put("offline_error", err), 4;
    auto pfn1 = ras::pfn_of(m);
    rep.put("pfn_after", pfn1 ? *pfn1 : 0);
    rep.put("data_intact", intact(m, page, 21) ? "1" : "0");
    // Touch it again, writing: still no signal.
    auto s = touch(m, true);
    rep.put("sigbus_on_touch", s ? bus_code_name(s->code) : "none");
    return 0;
  }, 60);
  if (!child) return TestResult::error(child.message());
  auto& c = *child;
  log_child(ctx, c);
  if (c.kv.count("offline_error")) return TestResult::skip("soft offline rejected: " + c.get("offline_error"));
  if (c.exit_code != 0)
    return TestResult::fail("child: " + c.describe() + (c.kv.count("error") ? ": " + c.get("error") : ""));
  std::vector<std::string> bad;
  auto p0 = c.num("pfn_before").value_or(0), p1 = c.num("pfn_after").value_or(0);
  r.metrics["migrated"] = p0 != p1 && p1 != 0;
  if (p1 == 0) bad.push_back("the page is no longer present after soft offline");
  else if (p0 == p1) bad.push_back("the page still sits in frame " + ras::hex(p0) + ": not migrated");
  if (c.get("data_intact") != "1") bad.push_back("the page lost its data in the migration");
  if (c.get("sigbus_on_touch") != "none") bad.push_back("touching the migrated page raised " + c.get("sigbus_on_touch"));
  auto after = ras::hardware_corrupted_kb(root).value_or(-1);
  if (auto w = check_corrupted_delta(*before, after, {static_cast<std::int64_t>(page / 1024)}, r); !w.empty()) bad.push_back(w);
  if (p0) unpoison(root, p0, *before, r);
  return verdict(std::move(r), bad,
                 "frame " + ras::hex(p0) + " soft-offlined (" + method + "), data moved to " +
                     ras::hex(p1) + " intact, no signal");
}

}  // namespace certify::suites
