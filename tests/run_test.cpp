// certify run end to end on sample suites: parallelism, locks, ordering,
// timeouts that kill whole process groups, output capture, skip reasons,
// resume after kill -9 (torture), corrupted journals, reports.
#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/files.hpp"
#include "runner/report.hpp"
#include "runner/scheduler.hpp"
#include "testutil.hpp"

using namespace certify;
using certify::test::fixture;
using certify::test::run_command;
using certify::test::TempDir;

namespace {

struct Interval {
  long long start, end;
  std::string job;
};

std::string certify_bin() { return certify::test::build_path("cli/certify").string(); }

std::vector<std::string> run_args(const TempDir& d, const std::string& inventory, const std::string& only,
                                  const std::string& jobs, const std::string& run_id = "r") {
  return {certify_bin(), "run", "--inventory", (fixture("suites") / inventory).string(), "--suites",
          (fixture("suites") / "run").string(), "--only", only, "--results", (d / "results").string(), "--run-id",
          run_id, "-j", jobs, "--grace", "0.5"};
}

std::vector<Interval> intervals(const TempDir& d) {
  std::ifstream in(d / "log/intervals");
  std::vector<Interval> out;
  Interval i;
  while (in >> i.start >> i.end >> i.job) out.push_back(i);
  return out;
}

bool overlap(const Interval& a, const Interval& b) { return a.start < b.end && b.start < a.end; }

// The most intervals open at one moment.
int max_concurrency(const std::vector<Interval>& v) {
  std::vector<std::pair<long long, int>> ev;
  for (const auto& i : v) {
    ev.emplace_back(i.start, 1);
    ev.emplace_back(i.end, -1);
  }
  std::sort(ev.begin(), ev.end());  // ends (-1) sort before starts at the same time
  int cur = 0, best = 0;
  for (auto [t, d] : ev) best = std::max(best, cur += d);
  return best;
}

std::string device_of(const std::string& job) { return job.substr(job.find('@') + 1); }

nlohmann::json results_of(const TempDir& d, const std::string& run_id = "r") {
  auto t = read_file(d / "results" / run_id / "results.json");
  REQUIRE(t.ok());
  return nlohmann::json::parse(*t);
}

std::map<std::string, nlohmann::json> by_test(const nlohmann::json& r) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& j : r["jobs"]) m[j["test"].get<std::string>()] = j;
  return m;
}

bool process_gone(int pid) {
  for (int i = 0; i < 50; ++i) {
    std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
    if (!st) return true;
    std::string pidf, comm, state;
    st >> pidf >> comm >> state;
    if (state == "Z" || state == "X") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::vector<std::string> with_log(const TempDir& d) {
  std::filesystem::create_directories(d / "log");
  return {"RUNNER_TEST_LOG=" + (d / "log").string()};
}

}  // namespace

TEST_CASE("scheduler: workers, locks, system lock and ordering") {
  using runner::SchedJob;
  runner::Scheduler s({SchedJob{{"device:a"}, {}}, SchedJob{{"device:a"}, {}}, SchedJob{{}, {0}},
                       SchedJob{{"system"}, {}}, SchedJob{{}, {}}},
                      2);
  auto a = s.next();
  REQUIRE(a);
  CHECK(*a == 0);
  // 1 shares device:a, 2 waits for 0, 3 needs the system lock: it drains,
  // so 4 must wait behind it.
  CHECK_FALSE(s.next());
  s.finish(0);
  auto b = s.next();
  REQUIRE(b);
  CHECK(*b == 1);
  auto c = s.next();
  REQUIRE(c);
  CHECK(*c == 2);
  CHECK_FALSE(s.next());  // two workers busy
  s.finish(1);
  s.finish(2);
  auto d = s.next();
  REQUIRE(d);
  CHECK(*d == 3);
  CHECK_FALSE(s.next());  // system lock held
  s.finish(3);
  CHECK(s.next() == std::optional<std::size_t>(4));
  s.finish(4);
  CHECK(s.done());

  runner::Scheduler cyc({SchedJob{{}, {1}}, SchedJob{{}, {0}}}, 4);
  CHECK_FALSE(cyc.next());
  CHECK(cyc.stuck().size() == 2);
}

TEST_CASE("run: parallelism honoured, locks never overlap, ordering kept") {
  TempDir d;
  auto out = run_command(run_args(d, "run-inventory.json", "par.*,lock.*,order.*", "3"), with_log(d));
  INFO(out.err);
  REQUIRE(out.exit_code == 0);
  auto iv = intervals(d);
  REQUIRE(iv.size() == 6 * 6 + 1);
  std::vector<Interval> par;
  for (const auto& i : iv)
    if (i.job.rfind("par.", 0) == 0) par.push_back(i);
  CHECK(max_concurrency(iv) <= 3);
  // Six 0.4 s sleepers with nothing else able to keep the workers busy: at
  // some moment three of them ran at once.
  CHECK(max_concurrency(iv) == 3);
  for (const auto& a : iv)
    for (const auto& b : iv) {
      if (&a == &b) continue;
      bool a_dev = a.job.rfind("lock.a", 0) == 0 || a.job.rfind("lock.b", 0) == 0;
      bool b_dev = b.job.rfind("lock.a", 0) == 0 || b.job.rfind("lock.b", 0) == 0;
      if (a_dev && b_dev && device_of(a.job) == device_of(b.job)) CHECK_MESSAGE(!overlap(a, b), a.job << " / " << b.job);
      if (a.job.rfind("lock.bus", 0) == 0 && b.job.rfind("lock.bus", 0) == 0) CHECK_MESSAGE(!overlap(a, b), a.job << " / " << b.job);
      if (a.job.rfind("lock.sys", 0) == 0) CHECK_MESSAGE(!overlap(a, b), a.job << " / " << b.job);
      if (a.job.rfind("order.first", 0) == 0 && b.job.rfind("order.second", 0) == 0 && device_of(a.job) == device_of(b.job))
        CHECK_MESSAGE(a.end <= b.start, a.job << " / " << b.job);
    }
  auto r = results_of(d);
  CHECK(r["jobs"].size() == 37);
  auto err = certify::test::schema_errors(r, "schemas/results.schema.json");
  CHECK_MESSAGE(err.empty(), err);
  for (const auto& j : r["jobs"]) CHECK(j["status"] == "pass");
}

TEST_CASE("run: timeouts kill grandchildren and SIGTERM-ignorers; large output; skip and fail reasons") {
  TempDir d;
  auto out = run_command(run_args(d, "run-inventory.json", "kill.*,outcome.*", "4"), with_log(d));
  INFO(out.err);
  CHECK(out.exit_code == 1);
  auto r = results_of(d);
  auto t = by_test(r);
  CHECK(t["kill.forker"]["status"] == "timeout");
  CHECK(t["kill.ignorer"]["status"] == "timeout");
  CHECK(t["kill.ignorer"]["duration_s"].get<double>() < 10);
  auto gc = read_file(d / "log/grandchild.pid");
  REQUIRE(gc.ok());
  CHECK(process_gone(std::stoi(*gc)));
  auto ig = read_file(d / "log/ignorer.pid");
  REQUIRE(ig.ok());
  CHECK(process_gone(std::stoi(*ig)));
  CHECK(t["kill.big-output"]["status"] == "pass");
  auto run = d / "results/r";
  CHECK(std::filesystem::file_size(run / t["kill.big-output"]["logs"]["stdout"].get<std::string>()) == 25165824u);
  CHECK(std::filesystem::file_size(run / t["kill.big-output"]["logs"]["stderr"].get<std::string>()) == 1048576u);
  CHECK(t["outcome.pass"]["status"] == "pass");
  CHECK(t["outcome.skip-builtin"]["status"] == "skip");
  CHECK(t["outcome.skip-builtin"]["reason"] == "asked to skip by CERTIFY_PARAM_OUTCOME");
  CHECK(t["outcome.skip-script"]["status"] == "skip");
  CHECK(t["outcome.skip-script"]["reason"] == "EINJ not present in firmware");
  CHECK(t["outcome.fail"]["status"] == "fail");
  CHECK(t["outcome.fail"]["reason"] == "link trained at 2.5 GT/s, expected 8.0 GT/s");
  CHECK(t["outcome.fail"]["metrics"]["speed_gts"] == 2.5);
  CHECK(t["outcome.crash"]["status"] == "error");
  CHECK(t["outcome.crash"]["signal"] == SIGSEGV);
  auto err = certify::test::schema_errors(r, "schemas/results.schema.json");
  CHECK_MESSAGE(err.empty(), err);

  // Reports in every format.
  for (std::string f : {"text", "html", "json", "junit"}) {
    auto rep = run_command({certify_bin(), "report", run.string(), "--format", f});
    INFO(f << ": " << rep.err);
    REQUIRE(rep.exit_code == 0);
    CHECK(rep.out.find("kill.forker") != std::string::npos);
    if (f == "html") {
      CHECK(rep.out.find("<!DOCTYPE html>") == 0);
      CHECK(rep.out.find("<style>") != std::string::npos);
      CHECK(rep.out.find("<script src") == std::string::npos);
      CHECK(rep.out.find("<link") == std::string::npos);
      CHECK(rep.out.find("href=\"logs/kill.forker@system/stderr.log\"") != std::string::npos);
    }
    if (f == "junit") {
      CHECK(rep.out.find("<skipped message=\"EINJ not present in firmware\"/>") != std::string::npos);
      std::ofstream(d / "junit.xml") << rep.out;
      CHECK(run_command({"xmllint", "--noout", (d / "junit.xml").string()}).exit_code == 0);
    }
    if (f == "text") CHECK(rep.out.find("2 pass 1 fail 2 skip 1 error 2 timeout 0 interrupted") != std::string::npos);
  }
  CHECK(run_command({certify_bin(), "report", (d / "log").string()}).exit_code == 2);
}

TEST_CASE("run: exit codes and --help documents them") {
  TempDir d;
  auto ok = run_command(run_args(d, "run-inventory.json", "outcome.pass", "2", "ok"));
  CHECK(ok.exit_code == 0);
  auto fail = run_command(run_args(d, "run-inventory.json", "outcome.fail", "2", "fail"));
  CHECK(fail.exit_code == 1);
  auto usage = run_command({certify_bin(), "run", "--jobs", "0"});
  CHECK(usage.exit_code == 2);
  auto help = run_command({certify_bin(), "run", "--help"});
  CHECK(help.out.find("0  every job passed") != std::string::npos);
  CHECK(help.out.find("2  usage or setup error") != std::string::npos);
  // A finished run is not resumed: --resume has nothing to do.
  auto again = run_command({certify_bin(), "run", "--resume", "--results", (d / "results").string()});
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("nothing to resume") != std::string::npos);
}

TEST_CASE("run: a corrupted journal is an error and is never overwritten") {
  TempDir d;
  std::filesystem::create_directories(d / "results/r");
  std::string junk(8192, 'x');
  REQUIRE(write_file_atomic(d / "results/r/journal.db", junk).ok());
  auto out = run_command(run_args(d, "run-inventory.json", "outcome.pass", "2"));
  CHECK(out.exit_code == 2);
  CHECK(out.err.find((d / "results/r/journal.db").string()) != std::string::npos);
  CHECK(out.err.find("not") != std::string::npos);
  auto after = read_file(d / "results/r/journal.db");
  REQUIRE(after.ok());
  CHECK(*after == junk);
  // Without --run-id the unfinished-run search meets it too.
  out = run_command({certify_bin(), "run", "--results", (d / "results").string()});
  CHECK(out.exit_code == 2);
  CHECK(*read_file(d / "results/r/journal.db") == junk);
}

TEST_CASE("run: resume refuses changed test definitions unless --force-changed") {
  TempDir d;
  std::filesystem::create_directories(d / "suites");
  std::filesystem::copy(fixture("suites/run/outcome"), d / "suites/outcome", std::filesystem::copy_options::recursive);
  auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {certify_bin(), "run", "--inventory", (fixture("suites") / "run-inventory.json").string(),
                                  "--suites", (d / "suites").string(), "--only", "outcome.pass,outcome.skip-script",
                                  "--results", (d / "results").string(), "--run-id", "r"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  REQUIRE(run_command(args({})).exit_code == 0);
  // Mark the run unfinished as if it had been killed, then change a test.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((d / "results/r/journal.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE meta SET value='0' WHERE key='finished'; UPDATE jobs SET state='running' WHERE test='outcome.pass'",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto xml = read_file(d / "suites/outcome/suite.xml");
  REQUIRE(xml.ok());
  auto changed = *xml;
  changed.replace(changed.find("timeout=\"30\""), 12, "timeout=\"31\"");
  REQUIRE(write_file_atomic(d / "suites/outcome/suite.xml", changed).ok());
  auto out = run_command(args({}));
  CHECK(out.exit_code == 2);
  CHECK(out.err.find("test definitions changed") != std::string::npos);
  CHECK(out.err.find("outcome.pass@system") != std::string::npos);
  out = run_command(args({"--force-changed"}));
  INFO(out.err);
  CHECK(out.exit_code == 0);
  auto r = by_test(results_of(d));
  CHECK(r["outcome.pass"]["status"] == "pass");
  CHECK(r["outcome.pass"]["attempts"] == 2);
  CHECK(r["outcome.skip-script"]["attempts"] == 1);  // finished jobs keep their results
}

TEST_CASE("torture: kill -9 the runner at 20+ random moments; every job ends with one result") {
  TempDir d;
  auto args = run_args(d, "torture-inventory.json", "torture.*", "8", "t");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::filesystem::create_directories(d / "log");
  std::string logenv = "RUNNER_TEST_LOG=" + (d / "log").string();
  std::mt19937 rng(12345);
  int kills = 0;
  for (int round = 0; round < 60 && kills < 24; ++round) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::putenv(logenv.data());
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    REQUIRE(pid > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 60)(rng)));
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      REQUIRE(WIFEXITED(st));
      REQUIRE(WEXITSTATUS(st) == 0);
      break;  // finished before the kill
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    ++kills;
  }
  CHECK(kills >= 20);
  auto last = run_command(args, {logenv});
  INFO(last.err);
  REQUIRE(last.exit_code == 0);
  auto r = results_of(d, "t");
  REQUIRE(r["jobs"].size() == 200);
  std::set<std::string> ids;
  int attempts = 0;
  for (const auto& j : r["jobs"]) {
    ids.insert(j["id"].get<std::string>());
    CHECK(j["status"] == "pass");
    attempts += j["attempts"].get<int>();
  }
  CHECK(ids.size() == 200);
  CHECK(attempts >= 200);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((d / "results/t/journal.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "ok");
  sqlite3_finalize(s);
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*), count(DISTINCT id), sum(state='done') FROM jobs", -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  CHECK(sqlite3_column_int(s, 0) == 200);
  CHECK(sqlite3_column_int(s, 1) == 200);
  CHECK(sqlite3_column_int(s, 2) == 200);
  sqlite3_finalize(s);
  sqlite3_close(db);
}
