// The run loop with a fake process runner and a fake clock: timeouts,
// SIGTERM -> grace -> SIGKILL, parallelism and interruption, without
// sleeping or spawning anything.
#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <future>
#include <latch>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "core/files.hpp"
#include "runner/deferred_sync.hpp"
#include "runner/launch_maker.hpp"
#include "runner/progress.hpp"
#include "runner/run.hpp"
#include "testutil.hpp"

using namespace certify;
using namespace certify::runner;
using namespace std::chrono;

namespace {

class FakeClock : public Clock {
 public:
  steady_clock::time_point now() const override { return t; }
  system_clock::time_point wall() const override { return system_clock::time_point(duration_cast<system_clock::duration>(t.time_since_epoch())); }
  steady_clock::time_point t{};
};

// Each program "runs" for the duration named in its CERTIFY_PARAM_MS and
// exits with CERTIFY_PARAM_EXIT; CERTIFY_PARAM_TERM=ignore ignores SIGTERM.
class FakeProcs : public ProcessRunner {
 public:
  explicit FakeProcs(FakeClock& c) : clock(c) {}
  struct Proc {
    steady_clock::time_point end;
    int exit_code = 0, signal = 0;
    bool ignore_term = false;
    std::string job;
  };
  Result<int> start(const Launch& l) override {
    Proc p;
    int ms = 0;
    for (const auto& e : l.env) {
      if (e.rfind("CERTIFY_PARAM_MS=", 0) == 0) ms = std::stoi(e.substr(17));
      if (e.rfind("CERTIFY_PARAM_EXIT=", 0) == 0) p.exit_code = std::stoi(e.substr(19));
      if (e == "CERTIFY_PARAM_TERM=ignore") p.ignore_term = true;
      if (e.rfind("CERTIFY_JOB=", 0) == 0) p.job = e.substr(12);
    }
    p.end = clock.now() + milliseconds(ms);
    int pid = next_pid++;
    procs[pid] = p;
    starts.emplace_back(p.job, clock.now());
    envs[p.job] = l.env;
    max_running = std::max<std::size_t>(max_running, procs.size());
    return pid;
  }
  std::vector<Exit> wait(milliseconds max) override {
    auto limit = clock.now() + max;
    auto first = procs.end();
    for (auto it = procs.begin(); it != procs.end(); ++it)
      if (first == procs.end() || it->second.end < first->second.end) first = it;
    if (first == procs.end() || first->second.end > limit) {
      clock.t = limit;
      if (interrupt_at && clock.t >= *interrupt_at) stop = true;
      return {};
    }
    clock.t = std::max(clock.t, first->second.end);
    Exit e{first->first, first->second.signal ? -1 : first->second.exit_code, first->second.signal};
    procs.erase(first);
    return {e};
  }
  void signal_group(int pid, int sig) override {
    signals.emplace_back(pid, sig);
    auto it = procs.find(pid);
    if (it == procs.end()) return;
    if (sig == SIGTERM && it->second.ignore_term) return;
    it->second.end = clock.now();
    it->second.signal = sig;
  }
  bool interrupted() const override { return stop; }

  FakeClock& clock;
  std::map<int, Proc> procs;
  int next_pid = 100;
  std::vector<std::pair<std::string, steady_clock::time_point>> starts;
  std::vector<std::pair<int, int>> signals;
  std::map<std::string, std::vector<std::string>> envs;  // job -> environment it got
  std::size_t max_running = 0;
  std::optional<steady_clock::time_point> interrupt_at;
  bool stop = false;
};

Job job(const std::string& id, int ms, int timeout_s, std::map<std::string, std::string> extra = {}) {
  Job j;
  j.id = j.test_id = id;
  j.suite_id = "fake";
  j.cls = "system";
  j.device_id = "system";
  j.test.id = id;
  j.test.run = "exec:fake.sh";
  j.test.timeout_s = timeout_s;
  j.test.description = "fake";
  j.test.params = std::move(extra);
  j.test.params["ms"] = std::to_string(ms);
  return j;
}

// Run options for `jobs` workers in d.
RunOptions options(int jobs, const certify::test::TempDir& d) {
  RunOptions o;
  o.jobs = jobs;
  o.run_dir = d.path();
  return o;
}

// A journal at d/journal.db holding the plan's jobs, all pending.
Result<Journal> journal_for(const Plan& plan, const certify::test::TempDir& d) {
  auto j = Journal::create(d / "journal.db");
  REQUIRE(j.ok());
  REQUIRE(j->add_jobs(journal_records(plan)).ok());
  return j;
}

}  // namespace

TEST_CASE("run loop (fakes): workers, timeout with SIGTERM then SIGKILL, statuses") {
  certify::test::TempDir d;
  Plan plan;
  for (int i = 0; i < 6; ++i) plan.jobs.push_back(job("ok." + std::to_string(i), 1000, 60));
  plan.jobs.push_back(job("slow", 100000, 2));
  plan.jobs.push_back(job("stubborn", 100000, 2, {{"term", "ignore"}}));
  plan.jobs.push_back(job("skip", 10, 60, {{"exit", "77"}}));
  auto j = journal_for(plan, d);
  FakeClock clock;
  FakeProcs procs(clock);
  auto o = options(3, d);
  o.grace = milliseconds(1500);
  std::vector<std::string> finished;
  auto sum = execute(plan, *j, procs, clock, o, [&](const RunEvent& e) {
    if (e.kind == RunEvent::Kind::job_end) finished.push_back(e.job_id + "=" + e.status);
  });
  REQUIRE(sum.ok());
  CHECK(procs.max_running == 3);
  CHECK(sum->pass == 6);
  CHECK(sum->timeout == 2);
  CHECK(sum->skip == 1);
  CHECK_FALSE(sum->all_passed());
  std::map<std::string, JobRecord> rec;
  for (auto& r : j->jobs()) rec[r.id] = r;
  CHECK(rec["slow"].status == "timeout");
  CHECK(rec["slow"].duration_s == doctest::Approx(2.0).epsilon(0.01));
  // The stubborn job got SIGTERM at 2 s and SIGKILL after the 1.5 s grace.
  CHECK(rec["stubborn"].status == "timeout");
  CHECK(rec["stubborn"].duration_s == doctest::Approx(3.5).epsilon(0.01));
  int terms = 0, kills = 0;
  for (auto [pid, sig] : procs.signals) {
    terms += sig == SIGTERM;
    kills += sig == SIGKILL;
  }
  CHECK(terms == 2);
  CHECK(kills >= 2);  // the stubborn group, and every group once its leader ended
  CHECK(rec["skip"].status == "skip");
  CHECK(rec["skip"].reason == "(the test gave no reason)");
  CHECK(finished.size() == 9);
}

TEST_CASE("run loop (fakes): an interrupt stops cleanly and marks running jobs interrupted") {
  certify::test::TempDir d;
  Plan plan;
  for (int i = 0; i < 4; ++i) plan.jobs.push_back(job("long." + std::to_string(i), 10000, 60));
  auto j = journal_for(plan, d);
  FakeClock clock;
  FakeProcs procs(clock);
  procs.interrupt_at = clock.t + milliseconds(3000);
  auto o = options(2, d);
  auto sum = execute(plan, *j, procs, clock, o, nullptr);
  REQUIRE(sum.ok());
  CHECK(sum->was_interrupted);
  CHECK(sum->interrupted == 4);
  std::map<std::string, std::string> state;
  for (auto& r : j->jobs()) state[r.id] = r.state;
  CHECK(state["long.0"] == "interrupted");
  CHECK(state["long.1"] == "interrupted");
  CHECK(state["long.2"] == "pending");
  CHECK(procs.starts.size() == 2);
}

TEST_CASE("run loop (fakes): a needs-root test is skipped with the reason when not root, run when root") {
  for (bool root : {false, true}) {
    CAPTURE(root);
    certify::test::TempDir d;
    Plan plan;
    plan.jobs.push_back(job("plain", 10, 60));
    plan.jobs.push_back(job("privileged", 10, 60));
    plan.jobs.back().test.needs_root = true;
    plan.jobs.push_back(job("later", 10, 60));
    plan.jobs.back().after = {"privileged"};
    auto j = journal_for(plan, d);
    FakeClock clock;
    FakeProcs procs(clock);
    auto o = options(2, d);
    o.is_root = root;
    auto sum = execute(plan, *j, procs, clock, o, nullptr);
    REQUIRE(sum.ok());
    std::map<std::string, JobRecord> rec;
    for (auto& r : j->jobs()) rec[r.id] = r;
    bool started = false;
    for (const auto& [id, t] : procs.starts) started |= id == "privileged";
    CHECK(started == root);
    CHECK(rec["privileged"].status == (root ? "pass" : "skip"));
    if (!root) CHECK(rec["privileged"].reason.find("needs root") != std::string::npos);
    CHECK(rec["later"].status == "pass");  // ordering still releases what follows
    CHECK(sum->skip == (root ? 0u : 1u));
  }
}

TEST_CASE("run loop (fakes): a reboot under an expects-reboot test reruns it as its post-reboot check") {
  auto has = [](const std::vector<std::string>& env, const std::string& v) {
    return std::find(env.begin(), env.end(), v) != env.end();
  };
  certify::test::TempDir d;
  Plan plan;
  plan.jobs.push_back(job("crash", 10, 60));
  plan.jobs.back().test.expects_reboot = true;
  plan.jobs.push_back(job("ordinary", 10, 60));
  auto j = journal_for(plan, d);
  // Both were running when the machine went down in boot A.
  REQUIRE(j->mark_running("crash", "2026-11-29T10:00:00Z", "boot-A").ok());
  REQUIRE(j->mark_running("ordinary", "2026-11-29T10:00:00Z", "boot-A").ok());
  FakeClock clock;
  FakeProcs procs(clock);
  auto o = options(2, d);
  o.boot_id = "boot-B";
  auto sum = execute(plan, *j, procs, clock, o, nullptr);
  REQUIRE(sum.ok());
  CHECK(has(procs.envs["crash"], "CERTIFY_AFTER_REBOOT=1"));
  CHECK_FALSE(has(procs.envs["ordinary"], "CERTIFY_AFTER_REBOOT=1"));  // an ordinary job just reruns
  CHECK(sum->pass == 2);

  // Resumed in the same boot (a kill, not a reboot): no post-reboot flag.
  certify::test::TempDir d2;
  auto j2 = Journal::create(d2 / "journal.db");
  REQUIRE(j2.ok());
  REQUIRE(j2->add_jobs(journal_records(plan)).ok());
  REQUIRE(j2->mark_running("crash", "2026-11-29T10:00:00Z", "boot-B").ok());
  FakeProcs procs2(clock);
  o.run_dir = d2.path();
  REQUIRE(execute(plan, *j2, procs2, clock, o, nullptr).ok());
  CHECK_FALSE(has(procs2.envs["crash"], "CERTIFY_AFTER_REBOOT=1"));
}

namespace {

// A sqlite VFS over the default one that watches write-ahead logs: `dirty`
// when a frame was written to a WAL since its last xSync. A job's start
// with a clean WAL means every commit before it, its own "running" state
// included, reached the disk (synchronous=NORMAL leaves commits unsynced).
struct SyncCounter {
  struct File {
    sqlite3_file base;
    sqlite3_file* real;  // follows this struct in the same allocation
    bool wal;
  };
  static inline sqlite3_vfs* parent = nullptr;
  static inline bool dirty = false;
  static inline int wal_syncs = 0;
  sqlite3_vfs vfs{};
  sqlite3_io_methods io{};

  SyncCounter() {
    parent = sqlite3_vfs_find(nullptr);
    vfs = *parent;
    vfs.zName = "certify-sync-counter";
    vfs.szOsFile = static_cast<int>(sizeof(File)) + parent->szOsFile;
    vfs.xOpen = &open;
    dirty = false;
    wal_syncs = 0;
    sqlite3_vfs_register(&vfs, 1);
  }
  ~SyncCounter() {
    sqlite3_vfs_unregister(&vfs);
    sqlite3_vfs_register(parent, 1);
  }
  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }
  static int open(sqlite3_vfs* self, const char* name, sqlite3_file* f, int flags, int* out) {
    auto* file = reinterpret_cast<File*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(file + 1);
    file->wal = (flags & SQLITE_OPEN_WAL) != 0;
    int rc = parent->xOpen(parent, name, file->real, flags, out);
    if (rc != SQLITE_OK || !file->real->pMethods) {
      f->pMethods = nullptr;
      return rc;
    }
    static sqlite3_io_methods io = [] {
      sqlite3_io_methods m{};
      m.iVersion = 3;
      m.xClose = [](sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); };
      m.xRead = [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return real(f)->pMethods->xRead(real(f), b, n, o); };
      m.xWrite = [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
        if (reinterpret_cast<File*>(f)->wal) dirty = true;
        return real(f)->pMethods->xWrite(real(f), b, n, o);
      };
      m.xTruncate = [](sqlite3_file* f, sqlite3_int64 n) { return real(f)->pMethods->xTruncate(real(f), n); };
      m.xSync = [](sqlite3_file* f, int flags) {
        int rc = real(f)->pMethods->xSync(real(f), flags);
        if (rc == SQLITE_OK && reinterpret_cast<File*>(f)->wal) {
          dirty = false;
          ++wal_syncs;
        }
        return rc;
      };
      m.xFileSize = [](sqlite3_file* f, sqlite3_int64* n) { return real(f)->pMethods->xFileSize(real(f), n); };
      m.xLock = [](sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); };
      m.xUnlock = [](sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); };
      m.xCheckReservedLock = [](sqlite3_file* f, int* r) { return real(f)->pMethods->xCheckReservedLock(real(f), r); };
      m.xFileControl = [](sqlite3_file* f, int op, void* a) { return real(f)->pMethods->xFileControl(real(f), op, a); };
      m.xSectorSize = [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); };
      m.xDeviceCharacteristics = [](sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); };
      m.xShmMap = [](sqlite3_file* f, int i, int sz, int ext, void volatile** p) {
        return real(f)->pMethods->xShmMap(real(f), i, sz, ext, p);
      };
      m.xShmLock = [](sqlite3_file* f, int o, int n, int fl) { return real(f)->pMethods->xShmLock(real(f), o, n, fl); };
      m.xShmBarrier = [](sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); };
      m.xShmUnmap = [](sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); };
      m.xFetch = [](sqlite3_file* f, sqlite3_int64 o, int n, void** p) { return real(f)->pMethods->xFetch(real(f), o, n, p); };
      m.xUnfetch = [](sqlite3_file* f, sqlite3_int64 o, void* p) { return real(f)->pMethods->xUnfetch(real(f), o, p); };
      return m;
    }();
    (void)self;
    f->pMethods = &io;
    return rc;
  }
};

// Whether the WAL was synced when each job started, and what the journal
// said then of every job.
class SyncRecordingProcs : public FakeProcs {
 public:
  SyncRecordingProcs(FakeClock& c, const Journal& j) : FakeProcs(c), journal(j) {}
  Result<int> start(const Launch& l) override {
    auto pid = FakeProcs::start(l);
    synced_at_start[starts.back().first] = !SyncCounter::dirty;
    auto& states = states_at_start[starts.back().first];
    for (const auto& r : journal.jobs()) states[r.id] = r.state;
    return pid;
  }
  const Journal& journal;
  std::map<std::string, bool> synced_at_start;
  std::map<std::string, std::map<std::string, std::string>> states_at_start;
};

}  // namespace

TEST_CASE("run loop (fakes): the journal is synced to disk before a job that expects a reboot or holds the system lock") {
  SyncCounter counter;
  certify::test::TempDir d;
  Plan plan;
  plan.jobs.push_back(job("a", 10, 60));
  plan.jobs.push_back(job("b", 10, 60));
  plan.jobs.push_back(job("crash", 10, 60));
  plan.jobs.back().test.expects_reboot = true;
  plan.jobs.push_back(job("c", 10, 60));
  plan.jobs.push_back(job("inject", 10, 60));
  plan.jobs.back().locks = {"system"};
  plan.jobs.push_back(job("d", 10, 60));
  auto j = journal_for(plan, d);
  FakeClock clock;
  SyncRecordingProcs procs(clock, *j);
  auto o = options(1, d);  // one at a time: each start follows the previous job's end
  SyncCounter::wal_syncs = 0;
  std::vector<std::size_t> before_durable;  // jobs started when it was called
  o.before_durable = [&] {
    before_durable.push_back(procs.starts.size());
    return ok_status();
  };
  auto sum = execute(plan, *j, procs, clock, o, nullptr);
  REQUIRE(sum.ok());
  CHECK(sum->pass == 6);
  // What the run and its tests wrote is made durable before each job that may take the kernel down.
  CHECK(before_durable == std::vector<std::size_t>{2, 4});
  REQUIRE(procs.synced_at_start.size() == 6);
  CHECK(procs.synced_at_start["crash"]);
  CHECK(procs.synced_at_start["inject"]);
  // Ordinary jobs commit without an fsync (synchronous=NORMAL): the only
  // syncs are the two durable starts'.
  CHECK(SyncCounter::wal_syncs == 2);
  // The synced commit is the job's own "running" state, after the previous
  // job's result: after a reboot the journal says the job was running, so
  // its post-reboot check completes it.
  CHECK(procs.states_at_start["crash"]["crash"] == "running");
  CHECK(procs.states_at_start["crash"]["b"] == "done");
  CHECK(procs.states_at_start["inject"]["inject"] == "running");
  CHECK(procs.states_at_start["inject"]["c"] == "done");
  for (auto& r : j->jobs())
    if (r.id == "crash") CHECK(r.attempts == 1);
  // An ordinary job starts first and is recorded after: its own "running"
  // and the previous job's result are committed once it runs (a crash in
  // between reruns both, as any job in flight).
  CHECK(procs.states_at_start["b"]["b"] == "pending");
  CHECK(procs.states_at_start["b"]["a"] == "running");
  CHECK(procs.states_at_start["d"]["d"] == "pending");
  CHECK(procs.states_at_start["d"]["inject"] == "running");
  for (auto& r : j->jobs()) {
    CHECK(r.state == "done");
    CHECK(r.attempts == 1);
  }
}

TEST_CASE("run loop (fakes): tests that end together are all replaced before their ends are recorded") {
  certify::test::TempDir d;
  Plan plan;
  for (const char* id : {"a", "b", "c", "d", "e", "f", "g"}) plan.jobs.push_back(job(id, 10, 60));
  auto j = journal_for(plan, d);
  FakeClock clock;
  SyncRecordingProcs procs(clock, *j);
  auto sum = execute(plan, *j, procs, clock, options(3, d), nullptr);
  REQUIRE(sum.ok());
  CHECK(sum->pass == 7);
  // a, b and c end at 10 ms: d, e and f start in their places one after the
  // other, with nothing recorded in between (a start waits for the new
  // test's exec, and each record for the journal).
  auto& at_f = procs.states_at_start["f"];
  CHECK(at_f["a"] == "running");
  CHECK(at_f["b"] == "running");
  CHECK(at_f["c"] == "running");
  CHECK(at_f["d"] == "pending");
  CHECK(at_f["e"] == "pending");
  // Then all six are recorded, before the next wait: g starts when d, e
  // and f end, with a, b and c done and d, e, f running in the journal.
  auto& at_g = procs.states_at_start["g"];
  CHECK(at_g["a"] == "done");
  CHECK(at_g["c"] == "done");
  CHECK(at_g["d"] == "running");
  CHECK(at_g["f"] == "running");
  for (auto& r : j->jobs()) CHECK(r.state == "done");
}

TEST_CASE("run loop (fakes): a test that ends before its start was recorded is recorded started, then done") {
  certify::test::TempDir d;
  Plan plan;
  for (const char* id : {"x", "y"}) plan.jobs.push_back(job(id, 0, 60));
  plan.jobs.push_back(job("z", 10, 60));
  auto j = journal_for(plan, d);
  FakeClock clock;
  FakeProcs procs(clock);
  std::vector<std::string> events;
  auto sum = execute(plan, *j, procs, clock, options(2, d), [&](const RunEvent& e) {
    if (e.kind == RunEvent::Kind::job_start) events.push_back(e.job_id + " start " + std::to_string(e.attempt));
    if (e.kind == RunEvent::Kind::job_end) events.push_back(e.job_id + " " + e.status);
  });
  REQUIRE(sum.ok());
  CHECK(sum->pass == 3);
  // x and y ended at once; z took x's place before anything was recorded.
  CHECK(events == std::vector<std::string>{"x start 1", "y start 1", "z start 1", "x pass", "y pass", "z pass"});
  for (auto& r : j->jobs()) {
    CAPTURE(r.id);
    CHECK(r.state == "done");
    CHECK(r.status == "pass");
    CHECK(r.attempts == 1);
    CHECK_FALSE(r.started.empty());
  }
}

TEST_CASE("run loop (fakes): 600 ordinary jobs never sync the journal on the scheduler's path (no checkpoint mid-run)") {
  SyncCounter counter;
  certify::test::TempDir d;
  Plan plan;
  for (int i = 0; i < 600; ++i) plan.jobs.push_back(job("j" + std::to_string(i), 10, 60));
  auto j = journal_for(plan, d);
  FakeClock clock;
  FakeProcs procs(clock);
  auto o = options(8, d);
  SyncCounter::wal_syncs = 0;
  auto sum = execute(plan, *j, procs, clock, o, nullptr);
  REQUIRE(sum.ok());
  CHECK(sum->pass == 600);
  // 1,200 commits: sqlite's default autocheckpoint (1,000 pages) would have
  // synced and checkpointed the WAL in the middle of the run.
  CHECK(SyncCounter::wal_syncs == 0);
  // Each commit appends the pages it changed: with 1 KiB pages the WAL that
  // the close syncs and deletes is ~2.1 MB here (1.7 KiB per state change);
  // 4 KiB pages made it 6.0 MB.
  auto wal = std::filesystem::file_size(d / "journal.db-wal");
  MESSAGE("WAL after 1,200 commits: " << wal << " bytes");
  CHECK(wal < 1200 * 2048);
}

TEST_CASE("run loop (fakes): a new run's journal is made once, after its first jobs started, before anything is recorded") {
  certify::test::TempDir d;
  Plan plan;
  for (int i = 0; i < 5; ++i) plan.jobs.push_back(job("j" + std::to_string(i), 10, 60));
  FakeClock clock;
  FakeProcs procs(clock);
  std::optional<Journal> made;
  std::vector<std::size_t> started_when_made;
  JournalSource source = [&]() -> Result<Journal*> {
    started_when_made.push_back(procs.starts.size());
    made.emplace(journal_for(plan, d).value());
    return &*made;
  };
  std::vector<std::string> order;
  auto o = options(3, d);
  o.recorded = [&](const JobRecord& r) { order.push_back(r.id + "=" + r.state); };
  auto sum = execute(plan, source, journal_records(plan), procs, clock, o, nullptr);
  REQUIRE(sum.ok());
  CHECK(sum->pass == 5);
  CHECK(started_when_made == std::vector<std::size_t>{3});  // the first three were running
  REQUIRE(order.size() == 10);
  CHECK(order[0] == "j0=running");
  for (auto& r : made->jobs()) {
    CHECK(r.state == "done");
    CHECK(r.attempts == 1);
  }

  SUBCASE("a plan without jobs never asks for it") {
    Plan empty;
    started_when_made.clear();
    auto none = execute(empty, source, {}, procs, clock, o, nullptr);
    REQUIRE(none.ok());
    CHECK(none->total == 0);
    CHECK(started_when_made.empty());
  }
}

TEST_CASE("run loop (fakes): a journal that cannot be made stops the run and kills what it started; "
          "a job that may take the kernel down waits for it") {
  certify::test::TempDir d;
  Plan plan;
  for (int i = 0; i < 4; ++i) plan.jobs.push_back(job("j" + std::to_string(i), 10, 60));
  FakeClock clock;
  FakeProcs procs(clock);
  int calls = 0;
  JournalSource broken = [&]() -> Result<Journal*> {
    ++calls;
    return make_error(d.path().string() + "/journal.db.new: disk I/O error");
  };
  auto sum = execute(plan, broken, journal_records(plan), procs, clock, options(2, d), nullptr);
  REQUIRE_FALSE(sum.ok());
  CHECK(sum.message() == d.path().string() + "/journal.db.new: disk I/O error");
  CHECK(calls == 1);
  REQUIRE(procs.starts.size() == 2);
  std::vector<std::pair<int, int>> kills{{100, SIGKILL}, {101, SIGKILL}};
  CHECK(procs.signals == kills);

  // The first job expects a reboot: the journal is made, and the run's files
  // synced, before it starts.
  plan.jobs.front().test.expects_reboot = true;
  FakeProcs later(clock);
  std::optional<Journal> made;
  std::vector<std::string> steps;
  JournalSource source = [&]() -> Result<Journal*> {
    steps.push_back("journal made, " + std::to_string(later.starts.size()) + " started");
    made.emplace(journal_for(plan, d).value());
    return &*made;
  };
  auto o = options(2, d);
  o.before_durable = [&] {
    steps.push_back("synced, " + std::to_string(later.starts.size()) + " started");
    return ok_status();
  };
  auto ran = execute(plan, source, journal_records(plan), later, clock, o, nullptr);
  REQUIRE(ran.ok());
  CHECK(ran->pass == 4);
  CHECK(steps == std::vector<std::string>{"journal made, 0 started", "synced, 0 started"});
}

TEST_CASE("run loop (fakes): a failed sync of the run's files stops the run before a job that may take the kernel down") {
  certify::test::TempDir d;
  Plan plan;
  plan.jobs.push_back(job("a", 10, 60));
  plan.jobs.push_back(job("crash", 10, 60));
  plan.jobs.back().test.expects_reboot = true;
  plan.jobs.push_back(job("b", 10, 60));
  auto j = journal_for(plan, d);
  FakeClock clock;
  FakeProcs procs(clock);
  auto o = options(1, d);
  o.before_durable = [] { return Status(make_error("plan.json: cannot fsync: Input/output error")); };
  auto sum = execute(plan, *j, procs, clock, o, nullptr);
  REQUIRE_FALSE(sum.ok());
  CHECK(sum.message() == "plan.json: cannot fsync: Input/output error");
  REQUIRE(procs.starts.size() == 1);
  CHECK(procs.starts[0].first == "a");
  for (const auto& r : j->jobs()) {
    if (r.id == "a") CHECK(r.state == "done");  // what ended before is recorded
    if (r.id == "crash") CHECK(r.state == "pending");
  }
}

TEST_CASE("deferred sync: syncs files and folders on its thread; a missing one is an error naming it; "
          "write_file_replace replaces whole; sync_file_system") {
  certify::test::TempDir d;
  REQUIRE(write_file_replace(d / "a.json", "{\"v\": 1}\n").ok());
  REQUIRE(write_file_replace(d / "a.json", "{\"v\": 2}\n").ok());
  CHECK(*certify::read_file(d / "a.json") == "{\"v\": 2}\n");
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(d.path())) entries += e.path().filename() == "a.json" ? 1 : 100;
  CHECK(entries == 1);  // no temporary left
  CHECK_FALSE(write_file_replace(d / "no-such-dir" / "b.json", "x").ok());
  {
    DeferredSync ok({{d / "a.json"}, {d.path()}});
    CHECK(ok.wait().ok());
    CHECK(ok.wait().ok());  // again: the same answer
  }
  DeferredSync bad({{d / "a.json"}, {d / "gone.json"}, {d.path()}});
  auto st = bad.wait();
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find((d / "gone.json").string()) != std::string::npos);
  // A file with content is made on the thread, then synced; one that cannot
  // be written stops the rest and names itself.
  std::thread::id made_on;
  {
    DeferredSync made({{d / "p.json", [&] { made_on = std::this_thread::get_id(); return std::string("{}\n"); }},
                       {d.path()}});
    CHECK(made.wait().ok());
  }
  CHECK(*certify::read_file(d / "p.json") == "{}\n");
  CHECK(made_on != std::thread::id());
  CHECK(made_on != std::this_thread::get_id());
  bool later_called = false;
  DeferredSync unwritable({{d / "no-such-dir" / "p.json", [] { return std::string("{}"); }},
                           {d / "q.json", [&] { later_called = true; return std::string("{}"); }}});
  auto st2 = unwritable.wait();
  REQUIRE_FALSE(st2.ok());
  CHECK(st2.message().find((d / "no-such-dir").string()) != std::string::npos);
  CHECK_FALSE(later_called);
  CHECK_FALSE(std::filesystem::exists(d / "q.json"));
  // The file system of a path, whole (before a job that may take the kernel down).
  CHECK(sync_file_system(d.path()).ok());
  auto st3 = sync_file_system(d / "gone");
  REQUIRE_FALSE(st3.ok());
  CHECK(st3.message() == (d / "gone").string() + ": cannot open to sync: No such file or directory");
}

TEST_CASE("run loop (fakes): events come in order with consistent counters; a resume says so") {
  certify::test::TempDir d;
  Plan plan;
  for (int i = 0; i < 5; ++i) plan.jobs.push_back(job("j." + std::to_string(i), 800 + 300 * i, 60));
  plan.jobs.push_back(job("bad", 100, 60, {{"exit", "1"}}));
  auto j = journal_for(plan, d);
  FakeClock clock;
  FakeProcs procs(clock);
  RunOptions o;
  o.jobs = 2;
  o.run_dir = d / "run-7";
  std::vector<RunEvent> ev;
  auto sum = execute(plan, *j, procs, clock, o, [&](const RunEvent& e) { ev.push_back(e); });
  REQUIRE(sum.ok());
  REQUIRE(ev.size() >= 1 + 2 * plan.jobs.size());
  CHECK(ev.front().kind == RunEvent::Kind::run_start);
  CHECK(ev.front().workers == 2);
  CHECK_FALSE(ev.front().resumed);
  CHECK(ev.front().done == 0);
  std::map<std::string, int> state;  // 0 never seen, 1 started, 2 ended
  std::size_t done = 0, progress = 0;
  double elapsed = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    const auto& e = ev[i];
    CAPTURE(i);
    CHECK(e.run_id == "run-7");
    CHECK(e.total == plan.jobs.size());
    CHECK(e.running <= 2);
    CHECK(e.elapsed_s >= elapsed);
    elapsed = e.elapsed_s;
    CHECK(e.done >= done);
    done = e.done;
    if (i > 0) CHECK(e.kind != RunEvent::Kind::run_start);
    CHECK(e.kind != RunEvent::Kind::run_end);  // the caller sends it
    if (e.kind == RunEvent::Kind::job_start) {
      CHECK(state[e.job_id] == 0);
      state[e.job_id] = 1;
      CHECK(e.attempt == 1);
      CHECK(e.test == e.job_id);
      CHECK(e.device == "system");
    } else if (e.kind == RunEvent::Kind::job_end) {
      CHECK(state[e.job_id] == 1);
      state[e.job_id] = 2;
      CHECK(e.status == (e.job_id == "bad" ? "fail" : "pass"));
      CHECK(e.exit_code == (e.job_id == "bad" ? 1 : 0));
      CHECK(e.eta_s >= 0);
      // Not counted among the running any more.
      CHECK(std::find(e.running_ids.begin(), e.running_ids.end(), e.job_id) == e.running_ids.end());
    } else if (e.kind == RunEvent::Kind::progress) {
      ++progress;
      CHECK(e.running > 0);
      CHECK(e.running_ids.size() == e.running);
    }
  }
  CHECK(done == plan.jobs.size());
  CHECK(progress >= 2);  // 6 jobs over ~3.7 s of fake time: a tick every 500 ms
  for (const auto& jb : plan.jobs) CHECK_MESSAGE(state[jb.id] == 2, jb.id);
  CHECK(ev.back().kind == RunEvent::Kind::job_end);
  CHECK(ev.back().eta_s == doctest::Approx(0));

  // Resumed with two jobs pending: the run says so and counts what was done.
  certify::test::TempDir d2;
  auto j2 = Journal::create(d2 / "journal.db");
  REQUIRE(j2.ok());
  REQUIRE(j2->add_jobs(journal_records(plan)).ok());
  for (auto& r : j2->jobs()) {
    if (r.id == "j.3" || r.id == "j.4") continue;
    r.state = "done";
    r.status = "pass";
    REQUIRE(j2->mark_done(r).ok());
  }
  FakeProcs procs2(clock);
  o.run_dir = d2 / "run-8";
  ev.clear();
  REQUIRE(execute(plan, *j2, procs2, clock, o, [&](const RunEvent& e) { ev.push_back(e); }).ok());
  REQUIRE(ev.size() >= 5);
  CHECK(ev.front().resumed);
  CHECK(ev.front().done == 4);
  CHECK(procs2.starts.size() == 2);
  CHECK(ev.back().done == 6);
}

TEST_CASE("progress: bar frames (throttled), plain lines, JSON lines") {
  auto ev = [](RunEvent::Kind k, std::size_t done, double t, const std::string& id = "", const std::string& status = "") {
    RunEvent e;
    e.kind = k;
    e.run_id = "r";
    e.time = "2026-11-29T10:00:00.000Z";
    e.done = done;
    e.total = 40;
    e.running = 3;
    e.running_ids = {"a@x", "b@x", "c@x"};
    e.elapsed_s = t;
    e.eta_s = done ? 12.0 : -1;
    e.workers = 4;
    e.job_id = id;
    e.status = status;
    return e;
  };
  std::ostringstream bar;
  Progress p(bar, ProgressMode::bar, 100);
  p(ev(RunEvent::Kind::run_start, 0, 0));
  for (std::size_t i = 1; i <= 39; ++i) p(ev(RunEvent::Kind::job_end, i, 0.001 * static_cast<double>(i), "j" + std::to_string(i), "pass"));
  p(ev(RunEvent::Kind::job_end, 39, 0.05, "broken@x", "fail"));
  p(ev(RunEvent::Kind::job_end, 40, 0.06, "j40", "pass"));
  p(ev(RunEvent::Kind::run_end, 40, 0.07));
  auto s = bar.str();
  auto frames = [&] {
    std::size_t n = 0;
    for (auto pos = s.find("\r\033[K["); pos != std::string::npos; pos = s.find("\r\033[K[", pos + 1)) ++n;
    return n;
  }();
  // The first frame, one after the failure line, the last: not one per job.
  CHECK(frames == 3);
  CHECK(s.find("] 0/40 running 3 elapsed 0.0s ETA ?  a@x ...") != std::string::npos);
  CHECK(s.find("\r\033[Kfail broken@x\n") != std::string::npos);
  CHECK(s.find("[" + std::string(30, '#') + "] 40/40 running 3") != std::string::npos);
  CHECK(s.find("ETA 12.0s") != std::string::npos);
  CHECK(s.back() == '\n');  // run_end closes the bar's line
  // Frames never exceed the terminal width.
  std::ostringstream narrow;
  Progress q(narrow, ProgressMode::bar, 40);
  q(ev(RunEvent::Kind::job_end, 3, 1, "j", "pass"));
  CHECK(narrow.str().size() == std::string("\r\033[K").size() + 39);

  std::ostringstream lines;
  Progress l(lines, ProgressMode::lines);
  l(ev(RunEvent::Kind::run_start, 0, 0));
  l(ev(RunEvent::Kind::job_start, 0, 0, "j1"));
  auto fail = ev(RunEvent::Kind::job_end, 1, 2, "j1", "fail");
  fail.reason = "link down";
  fail.duration_s = 1.25;
  l(fail);
  l(ev(RunEvent::Kind::progress, 1, 2.5));
  l(ev(RunEvent::Kind::run_end, 1, 3));
  CHECK(lines.str() == "[1/40] fail j1 (1.2s): link down\n");

  std::ostringstream js;
  Progress jp(js, ProgressMode::json);
  jp(ev(RunEvent::Kind::run_start, 0, 0));
  jp(fail);
  auto end = ev(RunEvent::Kind::run_end, 40, 9);
  end.summary.pass = 39;
  end.summary.fail = 1;
  end.exit_status = 1;
  end.cpu_user_s = 0.5;
  end.max_rss_kib = 2048;
  jp(end);
  std::istringstream in(js.str());
  std::vector<nlohmann::json> got;
  for (std::string line; std::getline(in, line);) got.push_back(nlohmann::json::parse(line));
  REQUIRE(got.size() == 3);
  CHECK(got[0]["event"] == "run_start");
  CHECK(got[0]["eta_s"].is_null());
  CHECK(got[1]["event"] == "job_end");
  CHECK(got[1]["status"] == "fail");
  CHECK(got[1]["reason"] == "link down");
  CHECK(got[1]["exit_code"].is_null());
  CHECK(got[2]["counts"]["fail"] == 1);
  CHECK(got[2]["exit_status"] == 1);
  CHECK(got[2]["runner"] == nlohmann::json{{"cpu_user_s", 0.5}, {"max_rss_kib", 2048}});
  for (const auto& g : got) {
    auto err = certify::test::schema_errors(g, "schemas/run-events.schema.json");
    CHECK_MESSAGE(err.empty(), err);
  }
}

TEST_CASE("results.json printed a job at a time: every job's outcome, the host, and dump(2)'s text byte for byte") {
  certify::test::TempDir d;
  Plan plan;
  for (const char* id : {"pass", "fail", "running", "pending", "interrupted", "signal"}) plan.jobs.push_back(job(id, 10, 60));
  plan.jobs[0].test.description = "line one\nline \"two\"";  // escaped: no newline in the text
  auto j = journal_for(plan, d);
  auto records = j->jobs();
  auto done = [&](std::size_t i, const std::string& state, const std::string& status, std::optional<int> exit_code,
                  std::optional<int> signal) {
    JobRecord r = records[i];
    r.state = state;
    r.status = status;
    r.reason = status == "pass" ? "" : "why: " + status;
    r.started = "2026-11-30T05:0" + std::to_string(i) + ":00.000Z";
    r.finished = "2026-11-30T05:0" + std::to_string(i) + ":01.500Z";
    r.duration_s = 1.5;
    r.exit_code = exit_code;
    r.signal = signal;
    r.attempts = 1;
    if (i == 0) r.metrics = {{"gbps", 9.41}, {"samples", {1, 2, 3}}, {"empty", nlohmann::json::array()}};
    REQUIRE(j->mark_done(r).ok());
  };
  done(0, "done", "pass", 0, std::nullopt);
  done(1, "done", "fail", 1, std::nullopt);
  REQUIRE(j->mark_running("running", "2026-11-30T05:09:00.000Z", "boot", false).ok());
  done(4, "interrupted", "interrupted", std::nullopt, 15);
  done(5, "done", "error", std::nullopt, 9);
  // The host parts may hold empty arrays, and even a key named "jobs".
  nlohmann::json inventory = {{"system", {{"vendor", "QEMU"}}},
                              {"os", {{"id", "debian"}, {"jobs", nlohmann::json::array()}}},
                              {"cpu", {{"flags", nlohmann::json::array()}, {"sockets", 1}}}};
  auto text = results_json_text(plan, *j, inventory, "run-1");
  auto doc = nlohmann::json::parse(text);
  CHECK(text == doc.dump(2) + "\n");  // what dump(2) of the whole document prints
  CHECK(doc["run_id"] == "run-1");
  CHECK(doc["started"] == "2026-11-30T05:00:00.000Z");
  CHECK(doc["finished"] == "2026-11-30T05:05:01.500Z");
  CHECK(doc["host"] == inventory);
  REQUIRE(doc["jobs"].size() == 6);
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& job : doc["jobs"]) by_id[job["id"].get<std::string>()] = job;
  CHECK(by_id["pass"]["status"] == "pass");
  CHECK(by_id["pass"]["description"] == "line one\nline \"two\"");
  CHECK(by_id["pass"]["metrics"]["samples"] == nlohmann::json{1, 2, 3});
  CHECK(by_id["pass"]["exit_code"] == 0);
  CHECK(by_id["fail"]["reason"] == "why: fail");
  CHECK(by_id["running"]["status"] == "interrupted");
  CHECK(by_id["running"]["reason"] == "the runner stopped while it ran");
  CHECK(by_id["pending"]["reason"] == "not started");
  CHECK(by_id["pending"]["started"].is_null());
  CHECK(by_id["interrupted"]["signal"] == 15);
  CHECK(by_id["signal"]["status"] == "error");
  CHECK(by_id["signal"]["exit_code"].is_null());
  CHECK(by_id["signal"]["logs"]["stderr"] == "logs/signal/stderr.log");
  // No jobs at all: the empty array stays.
  certify::test::TempDir e;
  Plan none;
  auto empty = journal_for(none, e);
  auto none_text = results_json_text(none, *empty, inventory, "run-2");
  auto none_doc = nlohmann::json::parse(none_text);
  CHECK(none_text == none_doc.dump(2) + "\n");
  CHECK(none_doc["jobs"] == nlohmann::json::array());
  CHECK(none_doc["started"].is_null());
}

TEST_CASE("run loop (fakes): results.json kept up to date from the records is the journal's, byte for byte") {
  // Every way a record changes: started and done, a timeout, a skip before
  // start (needs root), an ordering cycle, and an interrupt that leaves a
  // job interrupted and one never started.
  for (bool interrupt : {false, true}) {
    CAPTURE(interrupt);
    certify::test::TempDir d;
    Plan plan;
    for (int i = 0; i < 5; ++i) plan.jobs.push_back(job("ok." + std::to_string(i), 1000 + 100 * i, 60));
    plan.jobs.push_back(job("slow", 100000, 2));
    plan.jobs.push_back(job("root", 10, 60));
    plan.jobs.back().test.needs_root = true;
    plan.jobs.push_back(job("cycle.a", 10, 60));
    plan.jobs.push_back(job("cycle.b", 10, 60));
    plan.jobs[7].after = {"cycle.b"};
    plan.jobs[8].after = {"cycle.a"};
    plan.jobs.push_back(job("metrics", 10, 60));
    auto j = journal_for(plan, d);
    FakeClock clock;
    FakeProcs procs(clock);
    if (interrupt) procs.interrupt_at = clock.t + milliseconds(1500);
    auto o = options(2, d);
    o.boot_id = "boot-1";
    ResultsDocument doc(plan, journal_records(plan));
    int updates = 0, printed = 0;
    o.recorded = [&](const JobRecord& r) {
      ++updates;
      doc.update(r);
    };
    o.idle = [&] {
      bool did = doc.print_one();
      printed += did;
      return did;
    };
    // The rows given as certify run does for a new run: the plan's records.
    auto sum = execute(plan, *j, journal_records(plan), procs, clock, o, nullptr);
    REQUIRE(sum.ok());
    CHECK(sum->was_interrupted == interrupt);
    nlohmann::json inventory = {{"system", {{"vendor", "QEMU"}}}};
    auto kept = doc.text(inventory, "run-1");
    CHECK(kept == results_json_text(plan, *j, inventory, "run-1"));
    auto parsed = nlohmann::json::parse(kept);
    std::map<std::string, nlohmann::json> by_id;
    for (const auto& job : parsed["jobs"]) by_id[job["id"].get<std::string>()] = job;
    if (interrupt) {  // at 1.5 s: ok.0 and ok.1 ended, ok.2 and ok.3 running
      CHECK(by_id["ok.1"]["status"] == "pass");
      CHECK(by_id["ok.2"]["status"] == "interrupted");
      CHECK(by_id["ok.2"]["reason"] == "the run was interrupted");
      CHECK(by_id["ok.2"]["attempts"] == 1);
      CHECK(by_id["ok.4"]["reason"] == "not started");
      CHECK(by_id["root"]["reason"] == "not started");
    } else {
      CHECK(by_id["root"]["status"] == "skip");
      CHECK(by_id["ok.4"]["status"] == "pass");
      CHECK(by_id["slow"]["status"] == "timeout");
      CHECK(by_id["cycle.a"]["reason"] == "never ready: its after= ordering forms a cycle");
      CHECK(updates == 2 * 7 + 3);  // 7 started and ended, 3 ended without a start
      // Printed while jobs ran: all but the last job's record and the cycle's
      // two, made when nothing runs any more (text() prints those).
      CHECK(printed == 7);
    }
  }
}

TEST_CASE("launch maker: made ahead on its thread; one not begun is made by take() on the caller's thread, one being "
          "made is waited for; each made once; errors pass through; stop() returns the ones never taken") {
  std::mutex m;
  std::map<std::size_t, int> calls;
  std::map<std::size_t, std::thread::id> made_on;
  std::latch zero_begun(1), zero_may_end(1), seven_begun(1), seven_may_end(1);
  LaunchMaker maker([&](std::size_t i) -> Result<Launch> {
    {
      std::lock_guard lock(m);
      ++calls[i];
      made_on[i] = std::this_thread::get_id();
    }
    if (i == 0) {
      zero_begun.count_down();
      zero_may_end.wait();
    }
    if (i == 7) {
      seven_begun.count_down();
      seven_may_end.wait();
    }
    if (i == 3) return make_error("job 3: cannot create its log folder");
    Launch l;
    l.argv = {"job" + std::to_string(i)};
    return l;
  });
  auto caller = std::this_thread::get_id();
  maker.want({0, 1, 2, 3});
  maker.want({1, 0});  // known ones are not queued again
  zero_begun.wait();   // the thread holds 0; 1, 2 and 3 wait in the queue
  CHECK(maker.outstanding() == 4);
  auto one = maker.take(1);  // not begun: made here
  REQUIRE(one.ok());
  CHECK(one->argv[0] == "job1");
  CHECK(made_on[1] == caller);
  CHECK(maker.outstanding() == 3);
  auto zero = std::async(std::launch::async, [&] { return maker.take(0); });
  CHECK(zero.wait_for(milliseconds(50)) == std::future_status::timeout);  // waits for the thread's
  zero_may_end.count_down();
  auto z = zero.get();
  REQUIRE(z.ok());
  CHECK(z->argv[0] == "job0");
  CHECK(made_on[0] != caller);
  auto three = maker.take(3);  // an error, made on either thread, is the take's
  REQUIRE_FALSE(three.ok());
  CHECK(three.message() == "job 3: cannot create its log folder");
  auto five = maker.take(5);  // never wanted: made here
  REQUIRE(five.ok());
  CHECK(made_on[5] == caller);
  // 2 was made on the thread (in order, before 7) and never taken; 7 is being made when stop() comes.
  maker.want({7});
  seven_begun.wait();
  auto stopped = std::async(std::launch::async, [&] { return maker.stop(); });
  CHECK(stopped.wait_for(milliseconds(50)) == std::future_status::timeout);  // finishes 7 first
  seven_may_end.count_down();
  auto left = stopped.get();
  std::vector<std::string> names;
  for (const auto& l : left) names.push_back(l.argv[0]);
  CHECK(names == std::vector<std::string>{"job2", "job7"});
  for (const auto& [i, n] : calls) CHECK_MESSAGE(n == 1, "job ", i, " made ", n, " times");
  CHECK(maker.outstanding() == 0);
  maker.want({9});  // after stop(): nothing is made
  CHECK(maker.outstanding() == 0);
}
