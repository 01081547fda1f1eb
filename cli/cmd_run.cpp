// certify run: plan, then run every job under the supervisor with a journal
// so that a crash, a kill or a reboot resumes where it stopped.
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/run_setup.hpp"
#include "core/files.hpp"
#include "runner/deferred_sync.hpp"
#include "runner/progress.hpp"
#include "runner/run.hpp"

extern char** environ;

namespace certify::cli {

namespace {

namespace fs = std::filesystem;

struct RunArgs {
  PlanArgs plan;
  int jobs = 0;
  bool resume = false, fresh = false, force_changed = false, json = false, quiet = false;
  std::string results = "results";
  std::string run_id;
  double grace_s = 5;
  std::vector<std::string> params;  // NAME=VALUE
  // The plan options given on the command line (resume compares them with
  // the run's own) and whether --jobs was.
  std::vector<std::string> given;
  bool jobs_given = false;
};

std::string new_run_id() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// The newest run folder whose journal says it has not finished.
std::optional<fs::path> unfinished_run(const fs::path& root) {
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (fs::exists(e.path() / "journal.db")) dirs.push_back(e.path());
  std::sort(dirs.rbegin(), dirs.rend());
  for (const auto& d : dirs) {
    auto j = runner::Journal::open(d / "journal.db");
    if (!j) throw CommandError(j.message());
    if (j->meta("finished").value_or("0") != "1") return d;
  }
  return std::nullopt;
}

std::string boot_id() {
  auto t = read_file("/proc/sys/kernel/random/boot_id", 4096);
  if (!t) return "";
  std::string s = *t;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

nlohmann::json plan_args_json(const PlanArgs& a, const fs::path& inventory) {
  return {{"inventory", inventory.string()}, {"sysroot", a.sysroot}, {"suites", a.suites}, {"only", a.only},
          {"skip", a.skip}, {"destructive", a.destructive}};
}

PlanArgs plan_args_from(const nlohmann::json& j) {
  PlanArgs a;
  a.inventory = j.value("inventory", "");
  a.sysroot = j.value("sysroot", "/");
  a.suites = j.value("suites", "");
  a.only = j.value("only", std::vector<std::string>{});
  a.skip = j.value("skip", std::vector<std::string>{});
  a.destructive = j.value("destructive", false);
  return a;
}

// --param NAME=VALUE -> CERTIFY_PARAM_NAME=VALUE.
std::vector<std::string> param_env(const std::vector<std::string>& params) {
  std::vector<std::string> out;
  for (const auto& p : params) {
    auto eq = p.find('=');
    std::string name = p.substr(0, eq);
    if (eq == std::string::npos || name.empty() ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
      throw CommandError("--param '" + p + "' must be NAME=VALUE with NAME of letters, digits and _");
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back("CERTIFY_PARAM_" + name + "=" + p.substr(eq + 1));
  }
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "(none)" : out;
}

// A resumed run keeps the plan it started with: finished jobs keep their
// results, so narrowing or widening the plan half-way would make one run
// of two plans. Plan options given again must match the run's own; any
// other value is refused (exit 2) rather than silently ignored.
void check_resume_options(const RunArgs& a, const PlanArgs& stored, const std::vector<std::string>& stored_params,
                          const fs::path& dir, bool finished) {
  auto given = [&](const char* name) { return std::find(a.given.begin(), a.given.end(), name) != a.given.end(); };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  std::vector<std::string> diffs;
  auto differ = [&](const char* name, const std::string& was, const std::string& now) {
    diffs.push_back(std::string(name) + ": the run has " + was + ", given " + now);
  };
  if (given("--only") && sorted(a.plan.only) != sorted(stored.only)) differ("--only", joined(stored.only), joined(a.plan.only));
  if (given("--skip") && sorted(a.plan.skip) != sorted(stored.skip)) differ("--skip", joined(stored.skip), joined(a.plan.skip));
  if (given("--destructive") && !stored.destructive) differ("--destructive", "no destructive tests", "--destructive");
  if (given("--suites") && fs::absolute(a.plan.suites).lexically_normal() != fs::path(stored.suites).lexically_normal())
    differ("--suites", stored.suites, fs::absolute(a.plan.suites).string());
  if (given("--sysroot") && fs::absolute(a.plan.sysroot).lexically_normal() != fs::path(stored.sysroot).lexically_normal())
    differ("--sysroot", stored.sysroot, fs::absolute(a.plan.sysroot).string());
  if (given("--param") && sorted(param_env(a.params)) != sorted(stored_params)) {
    auto names = [](std::vector<std::string> v) {
      for (auto& e : v) e = e.substr(std::string_view("CERTIFY_PARAM_").size());
      return joined(v);
    };
    differ("--param", names(stored_params), names(sorted(param_env(a.params))));
  }
  if (given("--inventory")) {
    auto mine = read_file(a.plan.inventory, 256 << 20);
    auto theirs = read_file(dir / "inventory.json", 256 << 20);
    auto parse = [](const Result<std::string>& t) {
      return t ? nlohmann::json::parse(*t, nullptr, false) : nlohmann::json(nlohmann::json::value_t::discarded);
    };
    auto m = parse(mine), t = parse(theirs);
    if (m.is_discarded() || t.is_discarded() || m != t)
      differ("--inventory", (dir / "inventory.json").string(), a.plan.inventory + " (a different inventory)");
  }
  if (diffs.empty()) return;
  std::string msg = "run " + dir.filename().string() + " in " + dir.string() +
                    (finished ? " was" : " is unfinished and was") + " planned with other options:";
  for (const auto& d : diffs) msg += "\n  " + d;
  throw CommandError(msg + "\nresume it without these options (it keeps its own), or start a new run with --fresh");
}

void write_json(const fs::path& p, const nlohmann::json& j) {
  if (auto st = write_file_atomic(p, j.dump(2) + "\n"); !st) throw CommandError(st.message());
}

void run(RunArgs& a, int& exit_code) {
  if (a.resume && a.fresh) throw CommandError("--resume and --fresh exclude each other");
  fs::path root = a.results;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw CommandError("cannot create " + root.string() + ": " + ec.message());
  fs::path dir;
  bool resuming = false;
  if (!a.run_id.empty()) {
    if (a.run_id.find('/') != std::string::npos || a.run_id == "." || a.run_id == "..")
      throw CommandError("--run-id must be a plain name");
    dir = root / a.run_id;
    resuming = fs::exists(dir / "journal.db");
    if (resuming && a.fresh) throw CommandError(dir.string() + " already holds a run; choose another --run-id");
    if (!resuming && a.resume) throw CommandError("no run " + a.run_id + " in " + root.string() + " to resume");
  } else if (!a.fresh) {
    auto u = unfinished_run(root);
    if (u) {
      dir = *u;
      resuming = true;
    } else if (a.resume) {
      std::cerr << "certify: no unfinished run in " << root.string() << "; nothing to resume\n";
      exit_code = k_exit_ok;
      return;
    }
  }
  if (dir.empty()) {
    std::string id = new_run_id();
    dir = root / id;
    for (int n = 2; fs::exists(dir); ++n) dir = root / (id + "-" + std::to_string(n));
  }
  std::string run_id = dir.filename().string();
  fs::create_directories(dir / "logs");

  // Checked before anything is created; a resumed run keeps its own.
  std::vector<std::string> params = param_env(a.params);
  RunSetup setup;
  std::optional<runner::Journal> journal;
  std::vector<runner::JobRecord> records;  // the journal's rows as the run starts
  std::optional<runner::DeferredSync> deferred;  // a new run's files, synced while its first jobs run
  std::function<Result<runner::Journal*>()> make_journal;  // a new run's, made once its first jobs started
  std::optional<runner::ResultsDocument> results_doc;  // results.json, kept a job at a time
  if (resuming) {
    auto j = runner::Journal::open(dir / "journal.db");
    if (!j) throw CommandError(j.message());
    journal.emplace(std::move(*j));
    auto pa_text = journal->meta("plan_args");
    auto pa = pa_text ? nlohmann::json::parse(*pa_text, nullptr, false) : nlohmann::json();
    if (!pa.is_object()) throw CommandError(journal->file().string() + ": no plan arguments recorded; cannot resume");
    auto args = plan_args_from(pa);
    std::vector<std::string> stored_params;
    if (auto p = journal->meta("params")) {
      auto pj = nlohmann::json::parse(*p, nullptr, false);
      if (pj.is_array())
        for (const auto& e : pj)
          if (e.is_string()) stored_params.push_back(e.get<std::string>());
    }
    check_resume_options(a, args, stored_params, dir, journal->meta("finished").value_or("0") == "1");
    a.params.clear();
    params = stored_params;
    if (auto jn = journal->meta("jobs"); jn && !a.jobs_given) a.jobs = std::atoi(jn->c_str());
    args.inventory = (dir / "inventory.json").string();
    setup = make_run_setup(args);
    a.plan = args;
    auto changed = runner::changed_definitions(setup.plan, *journal);
    if (!changed.empty()) {
      std::string msg = "test definitions changed since run " + run_id + " started:";
      for (const auto& c : changed) msg += "\n  " + c;
      if (!a.force_changed) throw CommandError(msg + "\nrerun with --force-changed to rerun those jobs, or start --fresh");
      std::cerr << "certify: " << msg << "\n(rerunning them: --force-changed)\n";
      for (const auto& c : changed) {
        auto id = c.substr(0, c.find(": was "));
        for (const auto& jb : setup.plan.jobs)
          if (jb.id == id)
            if (auto st = journal->replace_definition(jb.id, jb.definition_hash()); !st) throw CommandError(st.message());
      }
    }
    if (auto st = journal->add_jobs(runner::journal_records(setup.plan)); !st) throw CommandError(st.message());
    records = journal->jobs();
    // A kill in the first moments of a run can come before plan.json was made.
    if (!fs::exists(dir / "plan.json")) write_json(dir / "plan.json", runner::to_json(setup.plan));
    std::cerr << "certify: resuming run " << run_id << " in " << dir.string() << "\n";
  } else {
    setup = make_run_setup(a.plan);
    // Written without an fsync: `deferred` below syncs it, and the journal,
    // while the first jobs run. A resume reads it, so it is there before the
    // journal; plan.json is made on that thread (DeferredSync).
    if (auto st = runner::write_file_replace(dir / "inventory.json", setup.inventory.dump(2) + "\n"); !st)
      throw CommandError(st.message());
    records = runner::journal_records(setup.plan);
    // The journal is made when the run first records (runner::JournalSource),
    // after it started its first jobs. It is filled under a temporary name
    // and renamed into place, so a kill during creation never leaves a
    // half-made journal.db that a resume would have to refuse. A leftover
    // .new file is ours and incomplete.
    make_journal = [&]() -> Result<runner::Journal*> {
      auto rows = runner::journal_records(setup.plan);  // as `records`; made here, after the first starts
      fs::path tmp = dir / "journal.db.new";
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(tmp.string() + suffix, ec);
      {
        auto j = runner::Journal::create(tmp, false);
        if (!j) return j.error();
        auto suites = a.plan.suites.empty() ? (data_dir() / "testsuites").string() : fs::absolute(a.plan.suites).string();
        PlanArgs stored = a.plan;
        stored.suites = suites;
        stored.sysroot = fs::absolute(a.plan.sysroot).string();
        for (auto [k, v] : {std::pair<std::string, std::string>{"run_id", run_id},
                            {"plan_args", plan_args_json(stored, dir / "inventory.json").dump()},
                            {"created", runner::iso_time(std::chrono::system_clock::now())},
                            {"params", nlohmann::json(params).dump()},
                            {"jobs", std::to_string(a.jobs)},
                            {"finished", "0"}})
          if (auto st = j->set_meta(k, v); !st) return st.error();
        if (auto st = j->add_jobs(rows); !st) return st.error();
      }
      fs::rename(tmp, dir / "journal.db", ec);
      if (ec) return make_error("cannot rename " + tmp.string() + ": " + ec.message());
      auto j = runner::Journal::open(dir / "journal.db");
      if (!j) return j.error();
      journal.emplace(std::move(*j));
      // setup.plan is read on that thread while the run reads it; nobody
      // changes it, and `deferred` ends before `setup` does.
      deferred.emplace(std::vector<runner::DeferredFile>{
          {dir / "inventory.json"},
          {dir / "plan.json", [&setup] { return runner::to_json(setup.plan).dump(2) + "\n"; }},
          {dir / "journal.db"},
          {dir},
          {root}});
      // results.json starts from the same rows, when the run first records.
      results_doc.emplace(setup.plan, std::move(rows));
      return &*journal;
    };
    std::cerr << "certify: run " << run_id << ": " << setup.plan.jobs.size() << " jobs, results in " << dir.string() << "\n";
  }

  runner::RunOptions o;
  o.jobs = a.jobs > 0 ? a.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.run_dir = fs::absolute(dir);
  o.self_exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw CommandError("cannot find the certify binary (/proc/self/exe): " + ec.message());
  o.sysroot = fs::absolute(a.plan.sysroot);
  o.destructive = a.plan.destructive;
  o.is_root = ::geteuid() == 0;
  o.grace = std::chrono::milliseconds(static_cast<long>(a.grace_s * 1000));
  o.boot_id = boot_id();
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("CERTIFY_", 0) != 0) o.base_env.emplace_back(*e);
  o.param_env = params;
  // The run's own files, then the logs and results of the tests before it:
  // without this they reach the disk only with the next writeback (~30 s).
  // syncfs fails once for a write error anywhere on that file system since
  // it was last asked, which a test may cause on purpose (the memory suite
  // poisons a dirty page of a file there): the run goes on and says so; the
  // journal's own syncs fail the run.
  o.before_durable = [&]() -> Status {
    if (deferred)
      if (auto st = deferred->wait(); !st) return st;
    if (auto st = runner::sync_file_system(o.run_dir); !st)
      std::cerr << "certify: warning: " << st.message() << " (the logs of the tests before may not survive a crash)\n";
    return ok_status();
  };
  if (resuming) results_doc.emplace(setup.plan, records);  // a new run's is made with its journal
  o.recorded = [&](const runner::JobRecord& r) { results_doc->update(r); };
  o.idle = [&] { return results_doc && results_doc->print_one(); };

  runner::ProgressMode mode = a.quiet  ? runner::ProgressMode::quiet
                              : a.json ? runner::ProgressMode::json
                              : ::isatty(2) ? runner::ProgressMode::bar
                                            : runner::ProgressMode::lines;
  int width = 80;
  if (struct winsize ws {}; mode == runner::ProgressMode::bar && ::ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
    width = ws.ws_col;
  runner::Progress progress(a.json ? std::cout : std::cerr, mode, width);
  runner::PosixProcessRunner procs;
  runner::RealClock clock;
  auto t0 = clock.now();
  runner::EventSink sink;  // none when quiet: no event is even built
  if (mode != runner::ProgressMode::quiet) sink = [&](const runner::RunEvent& e) { progress(e); };
  runner::JournalSource source = [&]() -> Result<runner::Journal*> {
    if (journal) return &*journal;
    return make_journal();
  };
  auto sum = runner::execute(setup.plan, source, std::move(records), procs, clock, o, sink);
  if (!sum) {
    progress.close();
    throw CommandError(sum.message());
  }
  // A plan without jobs never recorded anything.
  if (auto j = source(); !j) throw CommandError(j.message());
  // The run's own files are on disk before it can say it finished.
  if (deferred)
    if (auto st = deferred->wait(); !st) throw CommandError(st.message());
  // results.json is synced on a thread while the journal records the end and
  // closes (sqlite checkpoints the WAL into journal.db with two fsyncs): the
  // waits overlap instead of following each other, ~8 ms of the end of every
  // run where an fsync takes 4 ms. A power cut inside that window can leave a
  // finished journal without results.json; the journal holds every result,
  // and `certify run --run-id ID` writes results.json again from it.
  auto results = dir / "results.json";
  if (auto st = runner::write_file_replace(results, results_doc->text(setup.inventory, run_id)); !st)
    throw CommandError(st.message());
  runner::DeferredSync results_synced({{results}, {dir}});
  if (!sum->was_interrupted)
    if (auto st = journal->set_meta("finished", "1"); !st) throw CommandError(st.message());
  journal.reset();
  if (auto st = results_synced.wait(); !st) throw CommandError(st.message());
  exit_code = sum->all_passed() ? k_exit_ok : k_exit_failed;

  runner::RunEvent end;
  end.kind = runner::RunEvent::Kind::run_end;
  end.time = runner::iso_time(clock.wall());
  end.run_id = run_id;
  end.total = end.done = sum->total;
  end.done -= sum->interrupted;
  end.elapsed_s = std::chrono::duration<double>(clock.now() - t0).count();
  end.summary = *sum;
  end.exit_status = exit_code;
  end.results = fs::absolute(results).string();
  // The runner's own cost, without the tests (they are its children).
  if (struct rusage ru {}; ::getrusage(RUSAGE_SELF, &ru) == 0) {
    end.cpu_user_s = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
    end.cpu_sys_s = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
    end.max_rss_kib = ru.ru_maxrss;
  }
  progress(end);
  progress.close();
  std::cerr << "certify: " << sum->total << " jobs: " << sum->pass << " pass, " << sum->fail << " fail, " << sum->skip
            << " skip, " << sum->error << " error, " << sum->timeout << " timeout, " << sum->interrupted
            << " interrupted" << (sum->was_interrupted ? " (run interrupted; `certify run` resumes it)" : "")
            << "\ncertify: results in " << results.string() << "\n";
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run the certification tests (resumes an unfinished run)");
  cmd->footer(
      "Exit status:\n"
      "  0  every job passed (skips allowed)\n"
      "  1  some job failed, errored, timed out or was interrupted\n"
      "  2  usage or setup error (bad suite, unreadable inventory, corrupted journal)\n"
      "Without --fresh, an unfinished run in the results directory is resumed: finished jobs keep\n"
      "their results, interrupted ones run again. A resumed run keeps the plan options it started\n"
      "with (--inventory, --sysroot, --suites, --only, --skip, --destructive, --param) and its --jobs;\n"
      "giving other values is a usage error (exit 2): resume without them, or start --fresh.\n"
      "Ctrl-C stops cleanly. Progress: a bar on a terminal, one line per finished job otherwise,\n"
      "JSON event lines with --json (schemas/run-events.schema.json).");
  add_plan_options(cmd, a->plan);
  cmd->add_option("--jobs,-j", a->jobs, "Jobs to run at once (default: number of CPUs)")->check(CLI::Range(1, 4096));
  cmd->add_flag("--resume", a->resume, "Only resume an unfinished run (exit 0 when there is none)");
  cmd->add_flag("--fresh", a->fresh, "Start a new run even if one is unfinished");
  cmd->add_option("--results", a->results, "Directory holding the run folders")->capture_default_str();
  cmd->add_option("--run-id", a->run_id, "Name of the run folder (default: UTC time)");
  cmd->add_option("--grace", a->grace_s, "Seconds between SIGTERM and SIGKILL on a timeout")->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_flag("--force-changed", a->force_changed, "Resume even though test definitions changed (reruns them)");
  cmd->add_flag("--json", a->json, "Progress as JSON event lines on standard output (run_start, job_start, job_end, progress, run_end)");
  cmd->add_flag("--quiet,-q", a->quiet, "No progress output");
  cmd->add_option("--param", a->params, "Test parameter NAME=VALUE for every test, over the suites' own (e.g. peer=HOST)");
  cmd->callback([a, cmd, &exit_code] {
    for (const char* name : {"--inventory", "--sysroot", "--suites", "--only", "--skip", "--destructive", "--param"})
      if (cmd->count(name) > 0) a->given.emplace_back(name);
    a->jobs_given = cmd->count("--jobs") > 0;
    run(*a, exit_code);
  });
}

}  // namespace certify::cli
