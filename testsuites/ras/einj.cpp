// ras.einj: ACPI APEI error injection. Lists the error types the firmware
// offers; injects a correctable memory error at a page of this process and
// sees it reported (EDAC ce_count, kernel log, rasdaemon's database when it
// records). With --destructive, an uncorrectable non-fatal error at a page
// of a child that then reads it: the child alone gets SIGBUS.
#include <sys/mman.h>

#include <csignal>

#include <cstring>

#include "testsuites/builtin.hpp"
#include "testsuites/poison/kit.hpp"
#include "testsuites/ras/host.hpp"
#include "testsuites/ras/rasdb.hpp"

namespace certify::suites {

namespace {

bool reports_memory_error(const std::string& m) {
  for (const char* k : {"Hardware error", "Hardware Error", "EDAC", "Corrected error", "corrected error", "Memory failure"})
    if (m.find(k) != std::string::npos) return true;
  return false;
}

}  // namespace

TestResult ras_einj(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  if (!root.exists("/sys/firmware/acpi/tables/EINJ"))
    return TestResult::skip("no ACPI EINJ table (/sys/firmware/acpi/tables/EINJ): the firmware offers no error injection "
                            "(often an 'EINJ' or 'WHEA' option in the firmware setup)");
  if (auto w = ras::need_live(root); !w.empty()) return TestResult::skip("injection " + w);
  if (auto w = ras::need_root("EINJ in debugfs"); !w.empty()) return TestResult::skip(w);
  if (auto w = ras::need_debugfs(root); !w.empty()) return TestResult::skip(w);
  const std::string dir(ras::k_einj_dir);
  if (auto st = ras::load_module(root, "einj", dir + "/available_error_type"); !st)
    return TestResult::skip("EINJ table present but the einj interface is not: " + st.message());
  auto text = root.read(dir + "/available_error_type", 65536);
  if (!text) return TestResult::error("cannot read " + dir + "/available_error_type");
  auto types = ras::parse_einj_types(*text);
  if (!types) return TestResult::fail("available_error_type: " + types.message());
  std::string offered;
  bool ce = false, ue = false;
  for (const auto& t : *types) {
    offered += (offered.empty() ? "" : ", ") + ras::hex(t.mask) + " " + t.name;
    ce = ce || t.mask == ras::k_einj_mem_correctable;
    ue = ue || t.mask == ras::k_einj_mem_uncorrectable_nonfatal;
  }
  ctx.out() << "EINJ offers: " << offered << '\n';
  r.metrics["error_types"] = types->size();
  if (!ce) return TestResult::skip("EINJ offers no Memory Correctable error (offers: " + offered + ")");

  const std::size_t page = poison::page_size();
  char* m = static_cast<char*>(::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (m == MAP_FAILED) return TestResult::error("mmap: " + ras::errno_text(errno));
  std::memset(m, 0x5a, page);
  auto pfn = ras::pfn_of(m);
  if (!pfn) return TestResult::error(pfn.message());

  auto edac0 = ras::read_edac(root);
  std::optional<ras::RasDb> db;
  std::int64_t mc0 = 0;
  if (auto d = ras::RasDb::open(ras::k_rasdaemon_db); d && ras::process_running(root, "rasdaemon")) {
    db.emplace(std::move(*d));
    if (auto t = db->tables())
      for (const auto& tb : *t)
        if (tb.name == "mc_event") mc0 = tb.max_id;
  }
  ras::KmsgCursor kmsg;
  ras::EinjRequest req{ras::k_einj_mem_correctable, *pfn * page, ~static_cast<std::uint64_t>(page - 1), false};
  if (auto st = ras::einj_inject(root, req); !st) {
    ::munmap(m, page);
    return TestResult::skip("the firmware rejected the injection: " + st.message());
  }
  // Consuming the line makes platforms that report on read raise it now.
  volatile char sink = m[0];
  (void)sink;
  bool in_edac = false, in_log = false, in_db = false;
  ras::wait_until(
      [&] {
        in_edac = in_edac || ras::read_edac(root).total_ce() > edac0.total_ce();
        for (const auto& rec : kmsg.read_new()) {
          ctx.out() << "kmsg: " << rec.message << '\n';
          in_log = in_log || reports_memory_error(rec.message);
        }
        if (db)
          if (auto ev = db->events_after("mc_event", mc0); ev && !ev->empty()) in_db = true;
        return in_edac && in_log && (!db || in_db);
      },
      std::chrono::seconds(10));
  ::munmap(m, page);
  r.metrics["reported_edac"] = in_edac;
  r.metrics["reported_kernel_log"] = in_log;
  if (db) r.metrics["reported_rasdaemon"] = in_db;
  if (!in_edac && !in_log && !in_db)
    return TestResult{Outcome::fail, "correctable memory error injected at " + ras::hex(req.address) +
                                         " was reported nowhere (EDAC ce_count, kernel log, rasdaemon)",
                      r.metrics, r.messages};
  std::string where = std::string(in_edac ? "EDAC ce_count" : "") + (in_log ? std::string(in_edac ? ", " : "") + "kernel log" : "") +
                      (in_db ? ", rasdaemon mc_event" : "");

  if (ctx.destructive) {
    if (!ue) {
      r.messages.push_back("--destructive: EINJ offers no uncorrectable non-fatal memory error; not injected");
    } else {
      auto child = poison::run_child([&](poison::Report& rep) {
        char* p = static_cast<char*>(::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (p == MAP_FAILED) return rep.put("error", "mmap: " + ras::errno_text(errno)), 3;
        std::memset(p, 0x3c, page);
        auto f = ras::pfn_of(p);
        if (!f) return rep.put("error", f.message()), 3;
        ras::EinjRequest u{ras::k_einj_mem_uncorrectable_nonfatal, *f * page, ~static_cast<std::uint64_t>(page - 1), false};
        if (auto st = ras::einj_inject(root, u); !st) return rep.put("inject_error", st.message()), 4;
        auto s = poison::touch(p, false);
        if (!s) return rep.put("error", "reading the page with the injected uncorrectable error raised no SIGBUS"), 5;
        rep.put_sigbus("sig_", *s);
        return 0;
      }, 60);
      if (!child) return TestResult::error(child.message());
      poison::log_child(ctx, *child);
      if (child->kv.count("inject_error")) {
        r.messages.push_back("uncorrectable injection rejected: " + child->get("inject_error"));
      } else if (child->exit_code != 0 || static_cast<int>(child->num("sig_code").value_or(0)) != BUS_MCEERR_AR) {
        return TestResult{Outcome::fail, "uncorrectable error: child " + child->describe() + " " + child->get("error") +
                                             " si_code " + poison::bus_code_name(static_cast<int>(child->num("sig_code").value_or(0))),
                          r.metrics, r.messages};
      } else {
        where += "; uncorrectable error: SIGBUS BUS_MCEERR_AR to the consuming child only";
      }
    }
  }
  r.reason = "correctable memory error injected through EINJ reported in " + where;
  return r;
}

}  // namespace certify::suites
