// ras.rasdaemon: when rasdaemon records events, its sqlite database holds
// the errors injected here: a poisoned page (memory_failure_event) and a
// correctable PCIe error through aer_inject (aer_event). Read from the
// database, never from logs.
#include <sys/mman.h>

#include <cstring>

#include "testsuites/builtin.hpp"
#include "testsuites/poison/kit.hpp"
#include "testsuites/ras/host.hpp"
#include "testsuites/ras/rasdb.hpp"

namespace certify::suites {

TestResult ras_rasdaemon(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  std::string file = ctx.param("db", ras::k_rasdaemon_db);
  bool installed = root.exists("/usr/sbin/rasdaemon") || root.exists("/usr/bin/rasdaemon");
  std::string host_file = root.host_path(file).string();
  std::error_code ec;
  if (!std::filesystem::exists(host_file, ec))
    return TestResult::skip(installed ? "rasdaemon is installed but has no database at " + file + " (start it with --record)"
                                      : "rasdaemon is not installed (no /usr/sbin/rasdaemon, no " + file + ")");
  auto db = ras::RasDb::open(host_file);
  if (!db) return TestResult::fail("rasdaemon database unreadable: " + db.message());
  auto tables = db->tables();
  if (!tables) return TestResult::fail("rasdaemon database: " + tables.message());
  std::map<std::string, std::int64_t> max_id;
  for (const auto& t : *tables) {
    ctx.out() << t.name << ": " << t.rows << " rows\n";
    r.metrics[t.name + "_rows"] = t.rows;
    max_id[t.name] = t.max_id;
  }
  if (!root.is_live()) {
    r.reason = "database read (" + std::to_string(tables->size()) + " event tables); no injection into a sysroot";
    return TestResult{Outcome::skip, r.reason, r.metrics, r.messages};
  }
  if (!ras::process_running(root, "rasdaemon"))
    return TestResult{Outcome::skip, "rasdaemon is not running: nothing records the events of this run", r.metrics, r.messages};
  if (auto w = ras::need_root("injecting the events rasdaemon should record"); !w.empty())
    return TestResult{Outcome::skip, w, r.metrics, r.messages};

  std::vector<std::string> injected, why_not, bad;
  std::uint64_t pfn = 0;
  std::int64_t hc0 = ras::hardware_corrupted_kb(root).value_or(0);
  std::string evidence;
  if (!max_id.count("memory_failure_event")) {
    why_not.push_back("rasdaemon records no memory_failure_event table");
  } else if (auto w = ras::need_memory_failure(root, evidence); !w.empty()) {
    why_not.push_back(w);
  } else {
    auto c = poison::run_child([&](poison::Report& rep) {
      const std::size_t page = poison::page_size();
      char* m = static_cast<char*>(::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      if (m == MAP_FAILED) return rep.put("error", "mmap: " + ras::errno_text(errno)), 3;
      std::memset(m, 1, page);
      auto f = ras::pfn_of(m);
      if (!f) return rep.put("error", f.message()), 3;
      rep.put("pfn", *f);
      if (::madvise(m, page, MADV_HWPOISON) != 0) return rep.put("error", "madvise: " + ras::errno_text(errno)), 4;
      return 0;
    }, 30);
    if (c && c->exit_code == 0 && c->num("pfn")) {
      pfn = *c->num("pfn");
      injected.push_back("memory_failure_event");
    } else {
      why_not.push_back("page poisoning failed: " + (c ? c->describe() + " " + c->get("error") : c.message()));
    }
  }
  std::string target = ctx.param("aer-target");
  if (target.empty())
    for (const auto& d : ras::read_aer_devices(root))
      if (!d.root_port && d.correctable) {
        target = d.bdf;
        break;
      }
  if (!max_id.count("aer_event")) why_not.push_back("rasdaemon records no aer_event table");
  else if (target.empty()) why_not.push_back("no device with AER to inject into");
  else if (auto st = ras::aer_inject(root, target, ras::k_aer_cor_receiver_error, 0); !st) why_not.push_back(st.message());
  else injected.push_back("aer_event");
  for (const auto& w : why_not) r.messages.push_back("not injected: " + w);
  if (injected.empty()) {
    std::string why;
    for (const auto& w : why_not) why += (why.empty() ? "" : "; ") + w;
    return TestResult{Outcome::skip, "no event could be injected for rasdaemon to record: " + why, r.metrics, r.messages};
  }
  std::map<std::string, bool> seen;
  ras::wait_until(
      [&] {
        for (const auto& t : injected) {
          if (seen[t]) continue;
          auto ev = db->events_after(t, max_id[t]);
          if (!ev) continue;
          for (const auto& e : *ev) {
            if (t == "aer_event" && e.fields.at("dev_name").find(target) != std::string::npos &&
                e.fields.at("err_type").find("Corrected") != std::string::npos)
              seen[t] = true;
            if (t == "memory_failure_event") {
              auto v = std::strtoull(e.fields.at("pfn").c_str(), nullptr, 0);
              if (v == pfn) seen[t] = true;
            }
          }
        }
        for (const auto& t : injected)
          if (!seen[t]) return false;
        return true;
      },
      std::chrono::seconds(10));
  for (const auto& t : injected) {
    r.metrics[t + "_recorded"] = seen[t];
    if (!seen[t]) bad.push_back("the injected " + t + " is not in " + file);
  }
  if (pfn) poison::unpoison(root, pfn, hc0, r);
  std::string list;
  for (const auto& t : injected) list += (list.empty() ? "" : ", ") + t;
  return poison::verdict(std::move(r), bad, "rasdaemon recorded the injected events (" + list + ")");
}

}  // namespace certify::suites
