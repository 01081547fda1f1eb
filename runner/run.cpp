// The run loop: start what the scheduler allows, watch deadlines, reap,
// record every change in the journal.
#include "runner/run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "certify_config.h"
#include "core/files.hpp"
#include "runner/launch_maker.hpp"
#include "runner/scheduler.hpp"

namespace certify::runner {

namespace {

using namespace std::chrono;

struct Running {
  std::size_t index;
  int pid;
  steady_clock::time_point start, deadline;
  std::optional<steady_clock::time_point> kill_at;  // SIGKILL when set and reached
  system_clock::time_point wall_start;
  bool timed_out = false, interrupted = false;
};

std::string upper(std::string s) {
  for (auto& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : (c == '-' || c == '.' ? '_' : c);
  return s;
}

// Last non-empty line of a log, bounded, as the reason when a test gave none.
std::string last_line(const std::filesystem::path& p) {
  std::error_code ec;
  auto size = std::filesystem::file_size(p, ec);
  if (ec || size == 0) return "";
  auto text = read_file(p, std::size_t{1} << 30);
  if (!text) return "";
  std::string s = text->size() > 4096 ? text->substr(text->size() - 4096) : *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  auto nl = s.rfind('\n');
  s = nl == std::string::npos ? s : s.substr(nl + 1);
  return s.size() > 300 ? s.substr(0, 300) : s;
}

// A job's launch: its log folder with both log files made (so a launch made
// ahead of its start takes the inode allocations off the start's path),
// a stale result.json removed, argv and the environment.
Result<Launch> make_launch(const Job& j, const RunOptions& o, bool after_reboot) {
  auto dir = o.run_dir / "logs" / j.id;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(dir.string() + ": cannot create: " + ec.message());
  std::filesystem::remove(dir / "result.json", ec);
  if (ec) return make_error((dir / "result.json").string() + ": cannot remove: " + ec.message());
  Launch l;
  if (j.test.is_builtin()) l.argv = {o.self_exe.string(), "builtin", j.test.target()};
  else l.argv = {(j.suite_dir / j.test.target()).string()};
  l.env = o.base_env;
  l.env.push_back("CERTIFY_DEVICE=" + j.device_id);
  l.env.push_back("CERTIFY_DEVICE_JSON=" + j.device.dump());
  l.env.push_back("CERTIFY_WORKDIR=" + std::filesystem::absolute(dir).string());
  l.env.push_back("CERTIFY_SYSROOT=" + o.sysroot.string());
  l.env.push_back(std::string("CERTIFY_DESTRUCTIVE=") + (o.destructive ? "1" : "0"));
  l.env.push_back("CERTIFY_JOB=" + j.id);
  l.env.push_back("CERTIFY_TIMEOUT=" + std::to_string(j.test.timeout_s));
  if (after_reboot) l.env.push_back("CERTIFY_AFTER_REBOOT=1");
  for (const auto& [k, v] : j.test.params) l.env.push_back("CERTIFY_PARAM_" + upper(k) + "=" + v);
  l.env.insert(l.env.end(), o.param_env.begin(), o.param_env.end());  // later entries win
  l.cwd = dir;
  l.stdout_path = dir / "stdout.log";
  l.stderr_path = dir / "stderr.log";
  // Kept when they exist (a rerun's old logs): the start truncates them.
  for (const auto& f : {l.stdout_path, l.stderr_path}) {
    int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return make_error(f.string() + ": cannot create: " + std::strerror(errno));
    ::close(fd);
  }
  return l;
}

}  // namespace

std::string status_for_exit(int exit_code, int signal) {
  if (signal) return "error";
  switch (exit_code) {
    case 0: return "pass";
    case 1: return "fail";
    case 77: return "skip";
    default: return "error";
  }
}

std::vector<JobRecord> journal_records(const Plan& plan) {
  std::vector<JobRecord> out;
  int seq = 0;
  for (const auto& j : plan.jobs) {
    JobRecord r;
    r.id = j.id;
    r.seq = seq++;
    r.test = j.test_id;
    r.suite = j.suite_id;
    r.cls = j.cls;
    r.device = j.device_id;
    r.def_hash = j.definition_hash();
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> changed_definitions(const Plan& plan, const Journal& journal) {
  std::map<std::string, std::string> have;
  for (const auto& r : journal.jobs()) have[r.id] = r.def_hash;
  std::vector<std::string> out;
  for (const auto& j : plan.jobs) {
    auto it = have.find(j.id);
    auto now = j.definition_hash();
    if (it != have.end() && it->second != now)
      out.push_back(j.id + ": was " + it->second.substr(0, 12) + ", now " + now.substr(0, 12));
  }
  return out;
}

Result<RunSummary> execute(const Plan& plan, Journal& journal, ProcessRunner& procs, const Clock& clock,
                           const RunOptions& o, const EventSink& events) {
  return execute(plan, journal, journal.jobs(), procs, clock, o, events);
}

Result<RunSummary> execute(const Plan& plan, Journal& journal, std::vector<JobRecord> rows, ProcessRunner& procs,
                           const Clock& clock, const RunOptions& o, const EventSink& events) {
  return execute(plan, [&journal]() -> Result<Journal*> { return &journal; }, std::move(rows), procs, clock, o, events);
}

Result<RunSummary> execute(const Plan& plan, const JournalSource& source, std::vector<JobRecord> rows,
                           ProcessRunner& procs, const Clock& clock, const RunOptions& o, const EventSink& events) {
  Journal* journal = nullptr;  // from `source`, when the run first records
  auto ensure_journal = [&]() -> Status {
    if (journal) return ok_status();
    auto j = source();
    if (!j) return j.error();
    journal = *j;
    return ok_status();
  };
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < plan.jobs.size(); ++i) index[plan.jobs[i].id] = i;
  std::vector<SchedJob> sj;
  for (const auto& j : plan.jobs) {
    SchedJob s;
    s.locks = j.locks;
    for (const auto& a : j.after)
      if (auto it = index.find(a); it != index.end()) s.after.push_back(it->second);
    sj.push_back(std::move(s));
  }
  Scheduler sched(std::move(sj), o.jobs);
  std::map<std::string, JobRecord> records;
  for (auto& r : rows) records[r.id] = std::move(r);
  std::vector<bool> after_reboot(plan.jobs.size(), false);
  std::size_t done = 0;
  for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
    auto it = records.find(plan.jobs[i].id);
    if (it == records.end()) return make_error("job " + plan.jobs[i].id + " is missing from the journal");
    if (it->second.state == "done") {
      sched.skip(i);
      ++done;
    } else if (it->second.state == "running" && plan.jobs[i].test.expects_reboot && !o.boot_id.empty() &&
               !it->second.boot_id.empty() && it->second.boot_id != o.boot_id) {
      after_reboot[i] = true;  // the machine rebooted under it: run its post-reboot check
    }
  }
  RunSummary sum;
  sum.total = plan.jobs.size();
  std::map<int, Running> running;
  const auto t0 = clock.now();
  double busy_s = 0;  // sum of finished durations, for the ETA
  std::size_t finished_here = 0;

  const std::string run_id = o.run_dir.filename().string();
  // An event with the counters filled in; job events add the job.
  auto event = [&](RunEvent::Kind kind) {
    RunEvent e;
    e.kind = kind;
    e.time = iso_time(clock.wall());
    e.run_id = run_id;
    e.done = done;
    e.total = plan.jobs.size();
    e.running = running.size();
    for (const auto& [pid, r] : running) e.running_ids.push_back(plan.jobs[r.index].id);
    e.elapsed_s = duration<double>(clock.now() - t0).count();
    if (finished_here > 0) {
      double per = busy_s / static_cast<double>(finished_here);
      auto left = static_cast<double>(plan.jobs.size() - done);
      e.eta_s = per * left / std::max(1, o.jobs);
    }
    return e;
  };
  auto job_event = [&](RunEvent::Kind kind, const JobRecord& rec) {
    if (!events) return;
    RunEvent e = event(kind);
    e.job_id = rec.id;
    e.test = rec.test;
    e.device = rec.device;
    e.attempt = rec.attempts;
    if (kind == RunEvent::Kind::job_end) {
      e.status = rec.status;
      e.reason = rec.reason;
      e.duration_s = rec.duration_s;
      e.exit_code = rec.exit_code;
      e.signal = rec.signal;
    }
    events(e);
  };
  if (events) {
    RunEvent e = event(RunEvent::Kind::run_start);
    e.workers = std::max(1, o.jobs);
    for (const auto& [id, r] : records) e.resumed = e.resumed || r.attempts > 0 || r.state != "pending";
    events(e);
  }

  // A job whose process ended: its record waits until the jobs that can
  // start in its place have started.
  struct Ended {
    Running r;
    Exit exit;
    steady_clock::time_point end;
    system_clock::time_point wall_end;
  };
  // After the job's start is recorded (record() marks the started first):
  // its record says running, with this attempt counted.
  auto finish = [&](const Ended& e) -> Status {
    const auto& r = e.r;
    const auto& j = plan.jobs[r.index];
    JobRecord rec = records[j.id];
    rec.exit_code = e.exit.signal ? std::nullopt : std::optional<int>(e.exit.exit_code);
    rec.signal = e.exit.signal ? std::optional<int>(e.exit.signal) : std::nullopt;
    rec.finished = iso_time(e.wall_end);
    rec.started = iso_time(r.wall_start);
    rec.duration_s = duration<double>(e.end - r.start).count();
    auto dir = o.run_dir / "logs" / j.id;
    auto rj = read_file(dir / "result.json", 16 << 20);
    nlohmann::json result = rj ? nlohmann::json::parse(*rj, nullptr, false) : nlohmann::json();
    if (result.is_object() && result.contains("metrics") && result["metrics"].is_object())
      rec.metrics = result["metrics"];
    std::string reported = result.is_object() && result.contains("reason") && result["reason"].is_string()
                               ? result["reason"].get<std::string>()
                               : "";
    if (r.interrupted) {
      rec.state = "interrupted";
      rec.status = "interrupted";
      rec.reason = "the run was interrupted";
    } else if (r.timed_out) {
      rec.state = "done";
      rec.status = "timeout";
      rec.reason = "exceeded its timeout of " + std::to_string(j.test.timeout_s) + " s; process group killed";
    } else {
      rec.state = "done";
      rec.status = status_for_exit(rec.exit_code.value_or(-1), rec.signal.value_or(0));
      if (!reported.empty()) rec.reason = reported;
      else if (rec.signal) rec.reason = "killed by signal " + std::to_string(*rec.signal);
      else if (rec.status == "error" && rec.exit_code == 127) rec.reason = "could not execute the test program";
      else if (rec.status == "error" && rec.exit_code != 2) rec.reason = "unexpected exit code " + std::to_string(*rec.exit_code);
      else if (rec.status != "pass") {
        rec.reason = last_line(dir / "stderr.log");
        if (rec.reason.empty()) rec.reason = "(the test gave no reason)";
      }
    }
    if (auto st = ensure_journal(); !st) return st;
    if (auto st = journal->mark_done(rec); !st) return st;
    records[j.id] = rec;
    if (o.recorded) o.recorded(rec);
    if (rec.state == "done") {
      ++done;
      ++finished_here;
      busy_s += rec.duration_s;
    }
    job_event(RunEvent::Kind::job_end, rec);
    return ok_status();
  };

  auto mark_running = [&](std::size_t i, system_clock::time_point wall, bool durable) -> Status {
    const auto& j = plan.jobs[i];
    auto started = iso_time(wall);
    if (auto st = ensure_journal(); !st) return st;
    if (auto st = journal->mark_running(j.id, started, o.boot_id, durable); !st) return st;
    // As the journal's row now is (Journal::mark_running).
    auto& rec = records[j.id];
    rec.state = "running";
    rec.started = std::move(started);
    rec.boot_id = o.boot_id;
    rec.attempts += 1;
    rec.status.clear();
    rec.reason.clear();
    rec.finished.clear();
    if (o.recorded) o.recorded(rec);
    return ok_status();
  };

  // A job that ends without a process (skipped before start, or could not start).
  auto end_unstarted = [&](std::size_t i, const std::string& status, const std::string& reason,
                           system_clock::time_point wall) -> Status {
    JobRecord rec = records[plan.jobs[i].id];
    rec.state = "done";
    rec.status = status;
    rec.reason = reason;
    rec.started = rec.finished = iso_time(wall);
    if (auto st = ensure_journal(); !st) return st;
    if (auto st = journal->mark_done(rec); !st) return st;
    records[rec.id] = rec;
    if (o.recorded) o.recorded(rec);
    ++done;
    sched.finish(i);
    job_event(RunEvent::Kind::job_end, rec);
    return ok_status();
  };

  // The critical path of a run is, for each worker, one job's end to the
  // next job's start: every millisecond there is lost once per job. So the
  // loop starts the next jobs before it records the ended ones and the
  // started ones in the journal, and launches (log folder and files,
  // environment) are made ahead on a thread (LaunchMaker). A crash between a
  // start or an end and its record loses nothing a resume cannot redo: an
  // ended job not yet recorded still says running and a started one still
  // says pending, and both run again, as any job in flight at a crash does.
  // A job that may take the kernel down (it expects a reboot or holds the
  // system lock) is the exception: everything before it, and its own
  // "running", is committed and synced before it starts.
  std::vector<Ended> ended;
  std::vector<std::pair<std::size_t, system_clock::time_point>> unrecorded;  // started, not yet marked running
  LaunchMaker launches([&](std::size_t i) { return make_launch(plan.jobs[i], o, after_reboot[i]); });
  // Starts first: a test that ended in the turns that started it (a quick
  // one, see below) is among both.
  auto record = [&]() -> Status {
    for (const auto& [i, wall] : unrecorded) {
      if (auto st = mark_running(i, wall, false); !st) return st;
      job_event(RunEvent::Kind::job_start, records[plan.jobs[i].id]);
    }
    unrecorded.clear();
    for (const auto& e : ended)
      if (auto st = finish(e); !st) return st;
    ended.clear();
    return ok_status();
  };
  // On an error nothing the run started may outlive it.
  auto fail = [&](const Status& st) -> Result<RunSummary> {
    for (const auto& [pid, r] : running) procs.signal_group(pid, SIGKILL);
    return st.error();
  };
  const auto ahead = static_cast<std::size_t>(std::max(1, o.jobs));
  // Tests that ended: their workers and locks are free; their records wait in `ended`.
  auto take_exits = [&](const std::vector<Exit>& exits) {
    std::size_t n = 0;
    for (const auto& e : exits) {
      auto it = running.find(e.pid);
      if (it == running.end()) continue;  // a grandchild reparented to us, or a stray
      // The test ended: nothing of its group may outlive it.
      procs.signal_group(e.pid, SIGKILL);
      ended.push_back({it->second, e, clock.now(), clock.wall()});
      sched.finish(it->second.index);  // its worker and locks are free now
      running.erase(it);  // its job_end event counts it out
      ++n;
    }
    return n;
  };

  bool stopping = false;
  std::size_t quick_turns = 0;  // turns in a row that started tests and recorded nothing
  auto last_tick = clock.now();
  while (true) {
    if (procs.interrupted() && !stopping) {
      stopping = true;
      sum.was_interrupted = true;
      for (auto& [pid, r] : running) {
        r.interrupted = true;
        procs.signal_group(pid, SIGTERM);
        r.kill_at = clock.now() + o.grace;
      }
    }
    // Start what may start.
    while (!stopping) {
      auto next = sched.next();
      if (!next) break;
      const auto& j = plan.jobs[*next];
      auto started_wall = clock.wall();
      if (j.test.needs_root && !o.is_root) {
        if (auto st = end_unstarted(*next, "skip", "needs root: run certify as root to include this test",
                                    started_wall);
            !st)
          return fail(st);
        continue;
      }
      bool durable = j.test.expects_reboot ||
                     std::find(j.locks.begin(), j.locks.end(), "system") != j.locks.end();
      if (durable) {
        if (auto st = record(); !st) return fail(st);
        // Made first: what before_durable syncs includes the journal.
        if (auto st = ensure_journal(); !st) return fail(st);
        if (o.before_durable)
          if (auto st = o.before_durable(); !st) return fail(st);
        if (auto st = mark_running(*next, started_wall, true); !st) return fail(st);
      }
      Result<Launch> launch = launches.take(*next);
      Result<int> pid = launch ? procs.start(*launch) : Result<int>(launch.error());
      if (!pid) {
        if (!durable)
          if (auto st = mark_running(*next, started_wall, false); !st) return fail(st);  // the attempt counts
        if (auto st = end_unstarted(*next, "error", "cannot start: " + pid.message(), started_wall); !st)
          return fail(st);
        continue;
      }
      Running r{*next, *pid, clock.now(), clock.now() + seconds(j.test.timeout_s), std::nullopt, started_wall};
      running.emplace(*pid, r);
      if (durable) job_event(RunEvent::Kind::job_start, records[j.id]);
      else unrecorded.emplace_back(*next, started_wall);
    }
    // Tests that ended while the loop started others (a start waits ~0.5 ms
    // for the new test's exec here, more when the CPUs are busy, and 8
    // workers' ends come close together): their successors start first,
    // and all of them are recorded after. A few turns at most, so records
    // never lag far behind a stream of short tests.
    if (!stopping && quick_turns < ahead && take_exits(procs.wait(milliseconds(0))) > 0) {
      ++quick_turns;
      continue;
    }
    quick_turns = 0;
    if (auto st = record(); !st) return fail(st);
    if (running.empty()) {
      if (stopping || sched.done()) break;
      auto stuck = sched.stuck();
      if (!stuck.empty()) {
        // An ordering cycle: record it rather than wait forever.
        for (auto i : stuck) {
          JobRecord rec = records[plan.jobs[i].id];
          rec.state = "done";
          rec.status = "error";
          rec.reason = "never ready: its after= ordering forms a cycle";
          if (auto st = ensure_journal(); !st) return fail(st);
          if (auto st = journal->mark_done(rec); !st) return fail(st);
          records[rec.id] = rec;
          if (o.recorded) o.recorded(rec);
          sched.skip(i);
          ++done;
          job_event(RunEvent::Kind::job_end, rec);
        }
        continue;
      }
    }
    // The upcoming launches are made on the maker's thread, a batch at a
    // time: when one per worker is left, the next 4 per worker.
    if (!stopping && launches.outstanding() <= ahead) {
      auto next = sched.upcoming(4 * ahead);
      std::erase_if(next, [&](std::size_t i) { return plan.jobs[i].test.needs_root && !o.is_root; });
      launches.want(next);
    }
    // The caller's own work, a piece per turn (results.json's parts); then
    // look again without blocking.
    bool more_idle_work = o.idle && o.idle();
    // Wait until a child ends or the nearest deadline.
    auto now = clock.now();
    auto wake = now + milliseconds(500);
    for (const auto& [pid, r] : running) wake = std::min(wake, r.kill_at ? *r.kill_at : r.deadline);
    auto ms = more_idle_work ? 0 : std::max<milliseconds::rep>(0, duration_cast<milliseconds>(wake - now).count() + 1);
    take_exits(procs.wait(milliseconds(ms)));
    now = clock.now();
    for (auto& [pid, r] : running) {
      if (r.kill_at && now >= *r.kill_at) {
        procs.signal_group(pid, SIGKILL);
        r.kill_at = now + seconds(3600);  // once; the reap follows
      } else if (!r.kill_at && now >= r.deadline) {
        r.timed_out = true;
        procs.signal_group(pid, SIGTERM);
        r.kill_at = now + o.grace;
      }
    }
    if (now - last_tick >= milliseconds(500) && events && !running.empty()) {
      last_tick = now;
      events(event(RunEvent::Kind::progress));
    }
  }
  // Launches prepared for jobs an interrupt kept from starting: their empty
  // log folders go, so the run's logs are those of jobs that ran.
  for (const auto& l : launches.stop()) {
    std::error_code ec;
    for (const auto& f : {l.stdout_path, l.stderr_path})
      if (std::filesystem::file_size(f, ec) == 0 && !ec) std::filesystem::remove(f, ec);
    std::filesystem::remove(l.cwd, ec);  // only when empty
  }
  for (const auto& [id, r] : records) {
    if (r.state != "done" && r.state != "interrupted") continue;
    if (r.state == "interrupted") ++sum.interrupted;
    else if (r.status == "pass") ++sum.pass;
    else if (r.status == "fail") ++sum.fail;
    else if (r.status == "skip") ++sum.skip;
    else if (r.status == "timeout") ++sum.timeout;
    else ++sum.error;
  }
  if (stopping) {
    for (const auto& [id, r] : records)
      if (r.state == "pending" || r.state == "running") ++sum.interrupted;
  }
  return sum;
}

namespace {

// One job of results.json, at the depth dump(2) puts it (4 spaces: in
// "jobs", in the document); a JSON text has a newline only between its
// tokens.
std::string print_job(const JobRecord& r, const Job* job) {
  nlohmann::json j = {{"id", r.id}, {"test", r.test}, {"suite", r.suite}, {"class", r.cls}, {"device", r.device}};
  if (job) {
    j["blocker"] = job->test.blocker;
    j["description"] = job->test.description;
  }
  if (r.state == "done" || r.state == "interrupted") {
    j["status"] = r.status;
    j["reason"] = r.reason;
  } else {
    j["status"] = "interrupted";
    j["reason"] = r.state == "running" ? "the runner stopped while it ran" : "not started";
  }
  j["started"] = r.started.empty() ? nullptr : nlohmann::json(r.started);
  j["finished"] = r.finished.empty() ? nullptr : nlohmann::json(r.finished);
  j["duration_s"] = r.duration_s;
  j["exit_code"] = r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json(nullptr);
  j["signal"] = r.signal ? nlohmann::json(*r.signal) : nlohmann::json(nullptr);
  j["attempts"] = r.attempts;
  j["metrics"] = r.metrics;
  auto logs = "logs/" + r.id;
  j["logs"] = {{"stdout", logs + "/stdout.log"}, {"stderr", logs + "/stderr.log"}, {"result", logs + "/result.json"}};
  std::string text = j.dump(2), out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += "    ";
  }
  return out;
}

}  // namespace

ResultsDocument::ResultsDocument(const Plan& plan, std::vector<JobRecord> records)
    : records_(std::move(records)), jobs_(records_.size(), nullptr), printed_(records_.size()) {
  for (std::size_t i = 0; i < records_.size(); ++i) position_[records_[i].id] = i;
  for (const auto& j : plan.jobs)
    if (auto it = position_.find(j.id); it != position_.end()) jobs_[it->second] = &j;
}

void ResultsDocument::print(std::size_t i) { printed_[i] = print_job(records_[i], jobs_[i]); }

void ResultsDocument::update(const JobRecord& record) {
  auto it = position_.find(record.id);
  if (it == position_.end()) return;
  records_[it->second] = record;
  printed_[it->second].clear();
  // A final record is printed ahead (print_one); any other at the end,
  // where it may have changed again.
  if (record.state == "done" || record.state == "interrupted") unprinted_.push_back(it->second);
}

bool ResultsDocument::print_one() {
  while (!unprinted_.empty()) {
    auto i = unprinted_.back();
    unprinted_.pop_back();
    if (!printed_[i].empty()) continue;
    print(i);
    return true;
  }
  return false;
}

std::string ResultsDocument::text(const nlohmann::json& inventory, const std::string& run_id) {
  std::string first, last;
  std::size_t size = 0;
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const auto& r = records_[i];
    if (printed_[i].empty()) print(i);
    size += printed_[i].size() + 6;
    if (!r.started.empty() && (first.empty() || r.started < first)) first = r.started;
    if (!r.finished.empty() && r.finished > last) last = r.finished;
  }
  nlohmann::json host = {{"system", inventory.value("system", nlohmann::json::object())},
                         {"os", inventory.value("os", nlohmann::json::object())},
                         {"cpu", inventory.value("cpu", nlohmann::json::object())}};
  nlohmann::json head_json = {{"schema_version", k_results_schema_version},
                              {"run_id", run_id},
                              {"tool_version", CERTIFY_VERSION},
                              {"started", first.empty() ? nlohmann::json(nullptr) : nlohmann::json(first)},
                              {"finished", last.empty() ? nlohmann::json(nullptr) : nlohmann::json(last)},
                              {"host", host},
                              {"jobs", nlohmann::json::array()}};
  auto head = head_json.dump(2);
  // The document's own "jobs" (indented 2; what host holds is indented 4+),
  // printed empty: the jobs go between its brackets.
  const std::string slot = "\n  \"jobs\": []";
  auto at = head.find(slot) + slot.size() - 1;
  std::string out;
  out.reserve(head.size() + size + 8);
  out.append(head, 0, at);
  for (std::size_t i = 0; i < printed_.size(); ++i) {
    out += i ? ",\n    " : "\n    ";
    out += printed_[i];
  }
  if (!printed_.empty()) out += "\n  ";
  out.append(head, at, std::string::npos);
  out += '\n';
  return out;
}

std::string results_json_text(const Plan& plan, const Journal& journal, const nlohmann::json& inventory,
                              const std::string& run_id) {
  return ResultsDocument(plan, journal.jobs()).text(inventory, run_id);
}

}  // namespace certify::runner
