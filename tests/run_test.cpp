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

namespace {

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    CHECK_MESSAGE(!j.is_discarded(), "not JSON: " << line);
    if (!j.is_discarded()) out.push_back(j);
  }
  return out;
}

}  // namespace

TEST_CASE("run --json: every line is an event; the sequence and counters hold; run_end matches results.json") {
  TempDir d;
  auto args = run_args(d, "run-inventory.json", "outcome.*,par.*", "3");
  args.push_back("--json");
  auto out = run_command(args, with_log(d));
  INFO(out.err);
  CHECK(out.exit_code == 1);  // outcome.fail and outcome.crash
  auto ev = json_lines(out.out);
  REQUIRE(ev.size() >= 2 + 2 * 11);
  CHECK(ev.front()["event"] == "run_start");
  CHECK(ev.front()["workers"] == 3);
  CHECK(ev.front()["resumed"] == false);
  CHECK(ev.back()["event"] == "run_end");
  std::map<std::string, std::string> seen;  // job -> last event
  std::set<std::string> kinds;
  std::map<std::string, nlohmann::json> one_of_each;
  long long done = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    const auto& e = ev[i];
    CAPTURE(e.dump());
    auto kind = e["event"].get<std::string>();
    one_of_each.emplace(kind, e);
    CHECK(e["run_id"] == "r");
    CHECK(e["total"] == 11);
    CHECK(e["running"].get<int>() <= 3);
    CHECK(e["done"].get<long long>() >= done);
    done = e["done"].get<long long>();
    if (kind == "run_start") CHECK(i == 0);
    if (kind == "run_end") CHECK(i == ev.size() - 1);
    if (kind == "job_start") {
      CHECK(seen.count(e["job"].get<std::string>()) == 0);
      seen[e["job"]] = kind;
      CHECK(e["attempt"] == 1);
    }
    if (kind == "job_end") {
      CHECK(seen[e["job"]] == "job_start");
      seen[e["job"]] = kind;
    }
  }
  CHECK(seen.size() == 11);
  for (const auto& [job, last] : seen) CHECK_MESSAGE(last == "job_end", job);
  // Every kind validates against the schema (one of each: a validator per line is slow).
  CHECK(one_of_each.size() == 5);  // par.* sleep 0.4 s, so progress ticks come
  for (const auto& [kind, e] : one_of_each) {
    auto err = certify::test::schema_errors(e, "schemas/run-events.schema.json");
    CHECK_MESSAGE(err.empty(), kind << ": " << err);
  }
  // run_end agrees with results.json and with the exit status.
  const auto& end = ev.back();
  CHECK(end["status"] == "finished");
  CHECK(end["exit_status"] == out.exit_code);
  CHECK(end["done"] == 11);
  auto r = results_of(d);
  std::map<std::string, int> counts;
  for (const auto& j : r["jobs"]) ++counts[j["status"].get<std::string>()];
  for (const auto& [status, n] : end["counts"].items()) CHECK_MESSAGE(n == counts[status], status);
  CHECK(end["results"] == std::filesystem::absolute(d / "results/r/results.json").string());
  CHECK(end["runner"]["max_rss_kib"].get<long>() > 0);
  CHECK(end["runner"]["cpu_user_s"].get<double>() + end["runner"]["cpu_sys_s"].get<double>() > 0);
  // job_end carries what results.json has.
  for (const auto& e : ev) {
    if (e["event"] != "job_end") continue;
    for (const auto& j : r["jobs"])
      if (j["id"] == e["job"]) {
        CHECK(e["status"] == j["status"]);
        CHECK(e["reason"] == j["reason"]);
        CHECK(e["exit_code"] == j["exit_code"]);
        CHECK(e["signal"] == j["signal"]);
      }
  }
  // Nothing but events on standard output; the summary stays on stderr.
  CHECK(out.err.find("11 jobs: 7 pass") != std::string::npos);
}

TEST_CASE("run progress: a live bar under a pseudo-terminal, plain lines otherwise") {
  TempDir d;
  auto args = run_args(d, "run-inventory.json", "outcome.*,par.*", "3", "tty");
  std::string cmd;
  for (const auto& a : args) cmd += (cmd.empty() ? "" : " ") + ("'" + a + "'");
  // script(1) runs the command on a new pseudo-terminal and copies it to stdout.
  auto tty = run_command({"script", "-qfec", cmd, "/dev/null"}, with_log(d));
  INFO(tty.out);
  CHECK(tty.exit_code == 1);
  CHECK(tty.out.find("\r\033[K[") != std::string::npos);
  CHECK(tty.out.find("] 0/11 running 0 elapsed") != std::string::npos);
  CHECK(tty.out.find("[" + std::string(30, '#') + "] 11/11 running 0") != std::string::npos);
  CHECK(tty.out.find(" ETA ") != std::string::npos);
  CHECK(tty.out.find("\r\033[Kfail outcome.fail@system: link trained at 2.5 GT/s") != std::string::npos);
  CHECK(tty.out.find("[1/11]") == std::string::npos);  // no plain lines on a terminal

  auto plain = run_command(run_args(d, "run-inventory.json", "outcome.*,par.*", "3", "plain"), with_log(d));
  CHECK(plain.exit_code == 1);
  CHECK(plain.err.find('\033') == std::string::npos);
  CHECK(plain.err.find('\r') == std::string::npos);
  CHECK(plain.err.find("] fail outcome.fail@system (") != std::string::npos);
  CHECK(plain.err.find("[11/11] ") != std::string::npos);
  std::size_t finished_lines = 0;
  std::istringstream in(plain.err);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("[", 0) == 0) ++finished_lines;
  CHECK(finished_lines == 11);  // one per finished job
}

TEST_CASE("run: resuming with other plan options is a usage error; the same or none resume") {
  TempDir d;
  auto base = run_args(d, "run-inventory.json", "outcome.pass,outcome.skip-script", "2");
  REQUIRE(run_command(base).exit_code == 0);
  auto unfinish = [&] {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((d / "results/r/journal.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE meta SET value='0' WHERE key='finished'; UPDATE jobs SET state='running' WHERE test='outcome.pass'",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  };
  unfinish();
  auto results = (d / "results").string();
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {certify_bin(), "run", "--results", results};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_command(a);
  };
  auto out = with({"--only", "outcome.fail"});
  CHECK(out.exit_code == 2);
  CHECK(out.err.find("run r in " + results + "/r is unfinished and was planned with other options") != std::string::npos);
  CHECK(out.err.find("--only: the run has outcome.pass,outcome.skip-script, given outcome.fail") != std::string::npos);
  CHECK(out.err.find("--fresh") != std::string::npos);
  out = with({"--skip", "outcome.pass", "--destructive", "--param", "peer=10.0.0.2"});
  CHECK(out.exit_code == 2);
  CHECK(out.err.find("--skip: the run has (none), given outcome.pass") != std::string::npos);
  CHECK(out.err.find("--destructive") != std::string::npos);
  CHECK(out.err.find("--param: the run has (none), given PEER=10.0.0.2") != std::string::npos);
  out = with({"--suites", (fixture("suites") / "plan").string()});
  CHECK(out.exit_code == 2);
  CHECK(out.err.find("--suites: the run has " + (fixture("suites") / "run").string()) != std::string::npos);
  out = with({"--inventory", (fixture("suites") / "torture-inventory.json").string()});
  CHECK(out.exit_code == 2);
  CHECK(out.err.find("--inventory") != std::string::npos);
  // Nothing ran: the job is still unfinished.
  auto r0 = by_test(results_of(d));
  CHECK(r0["outcome.pass"]["attempts"] == 1);
  // The same options (in another order) resume it; so does no option at all.
  out = with({"--only", "outcome.skip-script,outcome.pass", "--inventory", (fixture("suites") / "run-inventory.json").string(),
              "--suites", (fixture("suites") / "run").string()});
  INFO(out.err);
  CHECK(out.exit_code == 0);
  CHECK(out.err.find("resuming run r") != std::string::npos);
  CHECK(by_test(results_of(d))["outcome.pass"]["attempts"] == 2);
  unfinish();
  out = with({"--resume"});
  CHECK(out.exit_code == 0);
  CHECK(out.err.find("resuming run r") != std::string::npos);
  auto r = by_test(results_of(d));
  CHECK(r["outcome.pass"]["attempts"] == 3);
  CHECK(r["outcome.skip-script"]["attempts"] == 1);
  CHECK(r.size() == 2);  // the plan never widened
  // A finished run named with --run-id is refused the same way.
  out = with({"--run-id", "r", "--only", "outcome.fail"});
  CHECK(out.exit_code == 2);
  CHECK(out.err.find("run r in " + results + "/r was planned with other options") != std::string::npos);
}

TEST_CASE("run --param is kept by a resumed run (a reboot resumes with no options); a missing plan.json is made again") {
  TempDir d;
  std::filesystem::create_directories(d / "suites/p");
  REQUIRE(write_file_atomic(d / "suites/p/suite.xml",
                            "<suite schema_version=\"1\" id=\"p\" class=\"system\">\n"
                            "<test id=\"p.env\" run=\"exec:env.sh\" per=\"once\" timeout=\"30\"><description>d</description></test>\n"
                            "<test id=\"p.later\" run=\"exec:env.sh\" per=\"once\" timeout=\"30\"><description>d</description></test>\n"
                            "</suite>\n").ok());
  REQUIRE(write_file_atomic(d / "suites/p/env.sh", "#!/bin/sh\necho \"$CERTIFY_PARAM_PEER\" > \"$CERTIFY_WORKDIR/peer\"\n", 0755).ok());
  auto results = (d / "results").string();
  REQUIRE(run_command({certify_bin(), "run", "--inventory", (fixture("suites") / "run-inventory.json").string(), "--suites",
                       (d / "suites").string(), "--results", results, "--run-id", "r", "--param", "peer=192.0.2.7"})
              .exit_code == 0);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((d / "results/r/journal.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE meta SET value='0' WHERE key='finished'; UPDATE jobs SET state='running' WHERE test='p.later'",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  std::filesystem::remove(d / "results/r/logs/p.later@system/peer");
  // plan.json is made on a thread while the first jobs run: a kill can come
  // before it exists. The resume makes it again, the same.
  auto plan = read_file(d / "results/r/plan.json");
  REQUIRE(plan.ok());
  CHECK(nlohmann::json::parse(*plan)["jobs"].size() == 2);
  std::filesystem::remove(d / "results/r/plan.json");
  std::filesystem::remove(d / "results/r/results.json");  // as a power cut at the very end can
  auto out = run_command({certify_bin(), "run", "--resume", "--results", results});
  INFO(out.err);
  CHECK(out.exit_code == 0);
  auto again = read_file(d / "results/r/plan.json");
  REQUIRE(again.ok());
  CHECK(*again == *plan);
  CHECK(results_of(d)["jobs"].size() == 2);
  auto peer = read_file(d / "results/r/logs/p.later@system/peer");
  REQUIRE(peer.ok());
  CHECK(*peer == "192.0.2.7\n");
}

TEST_CASE("run: bad suites are usage errors naming file and line; nothing runs") {
  TempDir d;
  auto run_with = [&](const std::string& xml, const std::string& script, int mode) {
    std::filesystem::remove_all(d / "suites");
    std::filesystem::create_directories(d / "suites/x");
    REQUIRE(write_file_atomic(d / "suites/x/suite.xml", xml).ok());
    if (!script.empty()) REQUIRE(write_file_atomic(d / "suites/x" / script, "#!/bin/sh\nexit 0\n", static_cast<mode_t>(mode)).ok());
    return run_command({certify_bin(), "run", "--inventory", (fixture("suites") / "run-inventory.json").string(), "--suites",
                        (d / "suites").string(), "--results", (d / "results").string()});
  };
  auto file = (d / "suites/x/suite.xml").string();
  auto head = std::string("<suite schema_version=\"1\" id=\"x\" class=\"system\">\n");
  auto out = run_with(head + "<test id=\"t\" run=\"builtin:nope\" per=\"once\"><description>d</description>\n</suite>\n", "", 0);
  CHECK(out.exit_code == 2);
  CHECK(out.err.find(file + ":3: malformed XML") != std::string::npos);
  out = run_with(head + "\n<test id=\"t\" run=\"builtin:no.such.test\" per=\"once\"><description>d</description></test>\n</suite>\n", "", 0);
  CHECK(out.exit_code == 2);
  CHECK(out.err.find(file + ":3: test t: unknown built-in test \"no.such.test\"") != std::string::npos);
  out = run_with(head + "<test id=\"t\" run=\"exec:gone.sh\" per=\"once\"><description>d</description></test>\n</suite>\n", "", 0);
  CHECK(out.exit_code == 2);
  CHECK(out.err.find(file + ":2: test t: script " + (d / "suites/x/gone.sh").string() + " does not exist") != std::string::npos);
  out = run_with(head + "<test id=\"t\" run=\"exec:t.sh\" per=\"once\"><description>d</description></test>\n</suite>\n", "t.sh", 0644);
  CHECK(out.exit_code == 2);
  CHECK(out.err.find(file + ":2: test t: script " + (d / "suites/x/t.sh").string() + " is not executable") != std::string::npos);
  // No run was started by any of them.
  std::size_t journals = 0;
  if (std::filesystem::exists(d / "results"))
    for (const auto& e : std::filesystem::recursive_directory_iterator(d / "results")) journals += e.path().filename() == "journal.db";
  CHECK(journals == 0);
  // A test program that cannot be executed (bad interpreter) is an error result with the reason, not a hang.
  out = run_with(head + "<test id=\"t\" run=\"exec:t.sh\" per=\"once\"><description>d</description></test>\n</suite>\n", "t.sh", 0755);
  REQUIRE(out.exit_code == 0);
  REQUIRE(write_file_atomic(d / "suites/x/t.sh", "#!/nonexistent/interpreter\nexit 0\n", 0755).ok());
  out = run_command({certify_bin(), "run", "--inventory", (fixture("suites") / "run-inventory.json").string(), "--suites",
                     (d / "suites").string(), "--results", (d / "results").string(), "--fresh", "--run-id", "badexec"});
  CHECK(out.exit_code == 1);
  auto r = by_test(results_of(d, "badexec"));
  CHECK(r["t"]["status"] == "error");
  CHECK(r["t"]["reason"].get<std::string>().find("cannot start: " + (d / "suites/x/t.sh").string() + ": execve: No such file or directory") == 0);
}

TEST_CASE("run: a journal with a damaged page is refused and left byte for byte") {
  TempDir d;
  // A real journal of a run, then one page overwritten in the middle.
  REQUIRE(run_command(run_args(d, "torture-inventory.json", "torture.a", "4")).exit_code == 0);
  auto file = d / "results/r/journal.db";
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); UPDATE meta SET value='0' WHERE key='finished'; PRAGMA wal_checkpoint(TRUNCATE)",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto text = read_file(file);
  REQUIRE(text.ok());
  REQUIRE(text->size() >= 4 * 4096);
  std::string damaged = *text;
  for (std::size_t i = 4096; i < 3 * 4096; ++i) damaged[i] = static_cast<char>(0xA5);
  REQUIRE(write_file_atomic(file, damaged).ok());
  for (auto args : {run_args(d, "torture-inventory.json", "torture.a", "4"),
                    std::vector<std::string>{certify_bin(), "run", "--results", (d / "results").string()},
                    std::vector<std::string>{certify_bin(), "run", "--resume", "--results", (d / "results").string()}}) {
    auto out = run_command(args);
    INFO(out.err);
    CHECK(out.exit_code == 2);
    CHECK(out.err.find(file.string() + ": ") != std::string::npos);
    CHECK(out.err.find("left as it is") != std::string::npos);
    CHECK(*read_file(file) == damaged);
  }
}

TEST_CASE("certify(1) and run --help document the exit statuses of run") {
  auto man = run_command({certify_bin(), "man", "--template", certify::test::source_path("docs/man/certify.1.in").string()});
  REQUIRE(man.exit_code == 0);
  auto es = man.out.substr(man.out.find(".SH EXIT STATUS"));
  es = es.substr(0, es.find(".SH ", 4));
  CHECK(es.find("every test passed (skips allowed)") != std::string::npos);
  CHECK(es.find("failed, errored, timed out or was interrupted") != std::string::npos);
  CHECK(es.find("corrupted journal") != std::string::npos);
  auto help = run_command({certify_bin(), "run", "--help"});
  CHECK(help.out.find("1  some job failed, errored, timed out or was interrupted") != std::string::npos);
}

TEST_CASE("run: Ctrl-C (SIGINT) stops cleanly, marks running jobs interrupted, and a resume finishes them; rlimits and "
          "default signal dispositions apply") {
  TempDir d;
  std::filesystem::create_directories(d / "suites/c");
  std::filesystem::create_directories(d / "log");
  std::string xml = "<suite schema_version=\"1\" id=\"c\" class=\"system\">\n"
                    "<test id=\"c.limits\" run=\"exec:limits.sh\" per=\"once\" timeout=\"30\"><description>d</description></test>\n";
  for (std::string t : {"c.long1", "c.long2"})
    xml += "<test id=\"" + t + "\" run=\"exec:long.sh\" per=\"once\" timeout=\"60\"><description>d</description></test>\n";
  for (std::string t : {"c.tail1", "c.tail2"})
    xml += "<test id=\"" + t + "\" run=\"exec:limits.sh\" per=\"once\" timeout=\"30\"><description>d</description></test>\n";
  REQUIRE(write_file_atomic(d / "suites/c/suite.xml", xml + "</suite>\n").ok());
  REQUIRE(write_file_atomic(d / "suites/c/limits.sh",
                            "#!/bin/sh\necho \"$(ulimit -n) $(ulimit -c)\" > \"$CERTIFY_WORKDIR/limits\"\n"
                            "grep -E '^Sig(Blk|Ign):' /proc/self/status | tr -d ' \\t' > \"$CERTIFY_WORKDIR/signals\"\n",
                            0755).ok());
  REQUIRE(write_file_atomic(d / "suites/c/long.sh",
                            "#!/bin/sh\n[ -e \"$RUNNER_TEST_LOG/quick\" ] || echo 'the first attempt, interrupted'\n"
                            "echo $$ > \"$RUNNER_TEST_LOG/$CERTIFY_JOB.tmp\"\n"
                            "mv \"$RUNNER_TEST_LOG/$CERTIFY_JOB.tmp\" \"$RUNNER_TEST_LOG/$CERTIFY_JOB.pid\"\n"
                            "if [ -e \"$RUNNER_TEST_LOG/quick\" ]; then echo again; else sleep 30; fi\n", 0755).ok());
  std::vector<std::string> args = {certify_bin(), "run", "--inventory", (fixture("suites") / "run-inventory.json").string(),
                                   "--suites", (d / "suites").string(), "--results", (d / "results").string(),
                                   "--run-id", "r", "-j", "2", "--grace", "5"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string logenv = "RUNNER_TEST_LOG=" + (d / "log").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::putenv(logenv.data());
    // The runner starts with signals ignored and blocked (nohup, a shell
    // without job control); its tests must not inherit either.
    for (int s : {SIGPIPE, SIGQUIT, SIGUSR2}) ::signal(s, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    ::sigprocmask(SIG_BLOCK, &block, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  REQUIRE(pid > 0);
  auto p1 = d / "log/c.long1@system.pid", p2 = d / "log/c.long2@system.pid";
  for (int i = 0; i < 600 && !(std::filesystem::exists(p1) && std::filesystem::exists(p2)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(std::filesystem::exists(p1));
  REQUIRE(std::filesystem::exists(p2));
  auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, SIGINT);
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  // SIGTERM reached the sleepers' groups: no wait for the 5 s grace.
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 1);
  for (const auto& p : {p1, p2}) CHECK(process_gone(std::stoi(*read_file(p))));
  auto r = by_test(results_of(d));
  CHECK(r["c.limits"]["status"] == "pass");
  CHECK(r["c.long1"]["status"] == "interrupted");
  CHECK(r["c.long2"]["status"] == "interrupted");
  CHECK(r["c.tail1"]["status"] == "interrupted");
  CHECK(r["c.tail1"]["reason"] == "not started");
  // The child got the runner's rlimits: 4096 open files, no core dumps.
  auto limits = read_file(d / "results/r/logs/c.limits@system/limits");
  REQUIRE(limits.ok());
  CHECK(*limits == "4096 0\n");
  auto signals = read_file(d / "results/r/logs/c.limits@system/signals");
  REQUIRE(signals.ok());
  CHECK(*signals == "SigBlk:0000000000000000\nSigIgn:0000000000000000\n");

  CHECK(*read_file(d / "results/r/logs/c.long1@system/stdout.log") == "the first attempt, interrupted\n");

  REQUIRE(write_file_atomic(d / "log/quick", "").ok());
  auto out = run_command({certify_bin(), "run", "--resume", "--results", (d / "results").string()}, {logenv});
  INFO(out.err);
  CHECK(out.exit_code == 0);
  r = by_test(results_of(d));
  for (std::string t : {"c.limits", "c.long1", "c.long2", "c.tail1", "c.tail2"}) CHECK_MESSAGE(r[t]["status"] == "pass", t);
  CHECK(r["c.limits"]["attempts"] == 1);
  CHECK(r["c.long1"]["attempts"] == 2);
  CHECK(r["c.tail2"]["attempts"] == 1);
  // A rerun's log holds its own output only: the start empties the old one.
  CHECK(*read_file(d / "results/r/logs/c.long1@system/stdout.log") == "again\n");
  CHECK(*read_file(d / "results/r/logs/c.limits@system/stdout.log") == "");
}

TEST_CASE("packaging/certify-resume.service: a valid unit whose command resumes an unfinished run") {
  auto unit = read_file(certify::test::source_path("packaging/certify-resume.service"));
  REQUIRE(unit.ok());
  auto p = unit->find("\nExecStart=");
  REQUIRE(p != std::string::npos);
  auto line = unit->substr(p + 11, unit->find('\n', p + 1) - p - 11);
  std::vector<std::string> argv;
  std::istringstream words(line);
  for (std::string w; words >> w;) argv.push_back(w);
  REQUIRE(argv.size() >= 3);
  CHECK(argv[0] == "/usr/bin/certify");
  CHECK(argv[1] == "run");
  CHECK(std::find(argv.begin(), argv.end(), "--resume") != argv.end());
  // Its command, with the built binary and a test results directory, on a run killed half-way.
  TempDir d;
  auto first = run_args(d, "run-inventory.json", "outcome.pass,outcome.skip-script", "2");
  REQUIRE(run_command(first).exit_code == 0);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((d / "results/r/journal.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE meta SET value='0' WHERE key='finished'; UPDATE jobs SET state='running' WHERE test='outcome.pass'",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  argv[0] = certify_bin();
  for (std::size_t i = 1; i + 1 < argv.size(); ++i)
    if (argv[i] == "--results") argv[i + 1] = (d / "results").string();
  auto out = run_command(argv);
  INFO(out.err);
  CHECK(out.exit_code == 0);
  CHECK(by_test(results_of(d))["outcome.pass"]["attempts"] == 2);
  out = run_command(argv);  // nothing left: exit 0, so the unit does not fail at every boot
  CHECK(out.exit_code == 0);
  CHECK(out.err.find("nothing to resume") != std::string::npos);
  // systemd accepts the unit (with the binary where it is installed here).
  std::string text = *unit;
  text.replace(text.find("/usr/bin/certify"), 16, certify_bin());
  REQUIRE(write_file_atomic(d / "certify-resume.service", text).ok());
  auto verify = run_command({"systemd-analyze", "verify", (d / "certify-resume.service").string()});
  CHECK_MESSAGE(verify.exit_code == 0, verify.out << verify.err);
}
