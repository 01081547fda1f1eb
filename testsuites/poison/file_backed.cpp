// poison.file-backed: page-cache pages of a file on a disk file system.
// A clean page is dropped without a kill (the next access reads it back
// from disk); a dirty page's data is lost: touching its mapping raises
// SIGBUS BUS_MCEERR_AR and fsync() reports EIO.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "testsuites/poison/kit.hpp"

namespace certify::suites {

namespace {

// File systems whose pages are not the cache of a disk: memory failure
// treats them like anonymous memory, so this test cannot prove anything there.
std::string memory_fs_name(long type) {
  switch (static_cast<unsigned long>(type)) {
    case 0x01021994: return "tmpfs";
    case 0x858458f6: return "ramfs";
    case 0x73717368: return "squashfs";
    case 0x28cd3d45: return "cramfs";
    default: return "";
  }
}

}  // namespace

TestResult poison_file_backed(TestContext& ctx) {
  using namespace poison;
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  if (auto why = requirements(root, r); !why.empty()) return TestResult::skip(why);
  std::filesystem::path dir = ctx.param("dir", ctx.workdir.string());
  struct statfs sf {};
  if (::statfs(dir.c_str(), &sf) != 0) return TestResult::error("statfs " + dir.string() + ": " + ras::errno_text(errno));
  if (auto fs = memory_fs_name(sf.f_type); !fs.empty())
    return TestResult::skip("needs a file on a disk file system; " + dir.string() + " is on " + fs +
                            " (run with --results on a disk, or set the dir parameter)");
  r.metrics["fs_magic"] = ras::hex(static_cast<unsigned long>(sf.f_type));
  const std::size_t page = page_size();
  auto before = ras::hardware_corrupted_kb(root);
  if (!before) return TestResult::error("cannot read HardwareCorrupted from /proc/meminfo");
  std::string path = (dir / "file-backed.dat").string();

  auto child = run_child([&](Report& rep) {
    ras::Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return rep.put("error", "create " + path + ": " + ras::errno_text(errno)), 3;
    // Two pages on disk: page 0 stays clean, page 1 is dirtied before poisoning.
    std::vector<char> data(2 * page);
    fill(data.data(), data.size(), 31);
    if (::pwrite(fd.get(), data.data(), data.size(), 0) != static_cast<ssize_t>(data.size()) || ::fsync(fd.get()) != 0)
      return rep.put("error", "writing " + path + ": " + ras::errno_text(errno)), 3;
    char* m = static_cast<char*>(::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
    if (m == MAP_FAILED) return rep.put("error", "mmap: " + ras::errno_text(errno)), 3;
    volatile char sink = m[0];
    (void)sink;
    std::fill(m + page, m + 2 * page, 'D');  // dirty page 1 through the mapping

    // Clean page.
    auto pfn_clean = ras::pfn_of(m);
    if (!pfn_clean) return rep.put("error", pfn_clean.message()), 3;
    rep.put("pfn_clean", *pfn_clean);
    if (::madvise(m, page, MADV_HWPOISON) != 0) return rep.put("madvise_error", ras::errno_text(errno)), 4;
    auto s = touch(m, false);
    rep.put("clean_sigbus", s ? bus_code_name(s->code) : "none");
    rep.put("clean_mapping_intact", std::equal(m, m + page, data.data()) ? "1" : "0");
    std::vector<char> back(page);
    ssize_t n = ::pread(fd.get(), back.data(), page, 0);
    rep.put("clean_read_ok", n == static_cast<ssize_t>(page) && std::equal(back.begin(), back.end(), data.data()) ? "1" : "0");

    // Dirty page.
    auto pfn_dirty = ras::pfn_of(m + page);
    if (!pfn_dirty) return rep.put("error", pfn_dirty.message()), 3;
    rep.put("pfn_dirty", *pfn_dirty);
    rep.put("dirty_page", ras::hex(reinterpret_cast<std::uintptr_t>(m + page)));
    if (::madvise(m + page, page, MADV_HWPOISON) != 0) return rep.put("madvise_error", ras::errno_text(errno)), 4;
    auto d = touch(m + page, false);
    if (d) rep.put_sigbus("dirty_", *d);
    else rep.put("dirty_code", "none");
    errno = 0;
    int fs = ::fsync(fd.get());
    rep.put("fsync_errno", std::to_string(fs == 0 ? 0 : errno));
    return 0;
  }, 60);
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (!child) return TestResult::error(child.message());
  auto& c = *child;
  log_child(ctx, c);
  if (c.kv.count("madvise_error")) return TestResult::skip("madvise(MADV_HWPOISON) rejected: " + c.get("madvise_error"));
  if (c.exit_code != 0)
    return TestResult::fail("child: " + c.describe() + (c.kv.count("error") ? ": " + c.get("error") : ""));

  std::vector<std::string> bad;
  if (c.get("clean_sigbus") != "none") bad.push_back("touching the dropped clean page raised " + c.get("clean_sigbus"));
  if (c.get("clean_mapping_intact") != "1") bad.push_back("the clean page did not read back from disk through the mapping");
  if (c.get("clean_read_ok") != "1") bad.push_back("read() of the clean page did not return the file's data");
  auto code = c.get("dirty_code");
  r.metrics["dirty_si_code"] = code;
  if (code == "none") bad.push_back("touching the poisoned dirty page raised no SIGBUS");
  else if (static_cast<int>(c.num("dirty_code").value_or(0)) != BUS_MCEERR_AR)
    bad.push_back("dirty page: si_code " + bus_code_name(static_cast<int>(c.num("dirty_code").value_or(0))) + ", expected BUS_MCEERR_AR");
  else if (c.num("dirty_addr") != c.num("dirty_page"))
    bad.push_back("dirty page: si_addr " + c.get("dirty_addr") + " is not the poisoned page " + c.get("dirty_page"));
  int fe = static_cast<int>(c.num("fsync_errno").value_or(0));
  r.metrics["fsync_errno"] = fe;
  if (fe != EIO) bad.push_back("fsync after losing a dirty page returned " + (fe ? ras::errno_text(fe) : std::string("success")) + ", expected EIO");
  auto after = ras::hardware_corrupted_kb(root).value_or(-1);
  if (auto w = check_corrupted_delta(*before, after, {static_cast<std::int64_t>(2 * page / 1024)}, r); !w.empty()) bad.push_back(w);
  for (const char* k : {"pfn_clean", "pfn_dirty"})
    if (auto pfn = c.num(k)) unpoison(root, *pfn, *before, r);
  return verdict(std::move(r), bad,
                 "clean page dropped without a signal and re-read from disk; dirty page: SIGBUS BUS_MCEERR_AR and fsync EIO");
}

}  // namespace certify::suites
