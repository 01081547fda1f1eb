// Journal on sqlite: WAL, synchronous=NORMAL. A commit is in the WAL (the
// kernel's page cache) when it returns, so a kill -9 or a crash of certify
// never loses or corrupts one; only a kernel crash or a power cut can roll
// back the last commits, which reruns those jobs. Syncing every commit
// (FULL) would cost an fsync per state change on the scheduler's path; it is
// done only where the kernel may go down next: before a job that expects a
// reboot or holds the system lock (mark_running with durable).
#include "runner/journal.hpp"

#include <algorithm>
#include <memory>

namespace certify::runner {

namespace {

const char* k_schema = R"(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE jobs(
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, test TEXT NOT NULL, suite TEXT NOT NULL,
  class TEXT NOT NULL, device TEXT NOT NULL, def_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('pending','running','done','interrupted')),
  status TEXT, reason TEXT, started TEXT, finished TEXT, duration REAL,
  exit_code INTEGER, signal INTEGER, metrics TEXT, attempts INTEGER NOT NULL DEFAULT 0, boot_id TEXT);
)";

// A checkpoint (two fsyncs) runs inside the commit that crosses the
// threshold, on the scheduler's path; at sqlite's default of 1,000 pages
// that was once every ~500 jobs. At 32 MiB of WAL (32,768 pages of a new
// journal, 8,192 of one made with 4 KiB pages) a run of several thousand
// jobs checkpoints once, when it closes the journal.
constexpr long k_autocheckpoint_bytes = 32L << 20;

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

std::string col_text(sqlite3_stmt* s, int i) {
  auto p = sqlite3_column_text(s, i);
  return p ? reinterpret_cast<const char*>(p) : "";
}

}  // namespace

Journal::~Journal() {
  sqlite3_finalize(running_stmt_);
  sqlite3_finalize(done_stmt_);
  if (db_) sqlite3_close(db_);
}

sqlite3_stmt* Journal::prepared(sqlite3_stmt*& slot, const char* sql) {
  if (!slot && sqlite3_prepare_v2(db_, sql, -1, &slot, nullptr) != SQLITE_OK) {
    sqlite3_finalize(slot);
    slot = nullptr;
    return nullptr;
  }
  sqlite3_reset(slot);
  sqlite3_clear_bindings(slot);
  return slot;
}

Status Journal::err(const std::string& what) const {
  return make_error(file_.string() + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status Journal::exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return make_error(file_.string() + ": " + m);
  }
  return ok_status();
}

Result<Journal> Journal::create(const std::filesystem::path& file, bool synced) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec))
    return make_error(file.string() + ": a journal already exists; refusing to overwrite it");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE, nullptr) !=
      SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(file.string() + ": " + m);
  }
  Journal j(db, file);
  sqlite3_busy_timeout(db, 5000);
  // synchronous first: switching to WAL writes the file in a transaction of its own.
  // The page size before anything is written (it is fixed then): every
  // state change appends the pages it changed to the WAL, one table leaf
  // page or two; at 1 KiB instead of 4 KiB a 600-job run's WAL is 2.1 MB
  // instead of 6.0 MB (tests/run_loop_test.cpp), which the checkpoint at
  // close syncs (~8 ms for 3.3 MB here) and deletes.
  for (const char* sql : {"PRAGMA page_size=1024", synced ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=OFF",
                          "PRAGMA journal_mode=WAL"})
    if (auto st = j.exec(sql); !st) return st.error();
  if (auto st = j.set_autocheckpoint(); !st) return st.error();
  if (auto st = j.exec(std::string("BEGIN;") + k_schema + "COMMIT;"); !st) return st.error();
  if (auto st = j.set_meta("schema_version", std::to_string(k_journal_schema_version)); !st) return st.error();
  return j;
}

Result<Journal> Journal::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(file.string() + ": cannot open the journal: " + m);
  }
  Journal j(db, file);
  sqlite3_busy_timeout(db, 5000);
  auto bad = [&](const std::string& why) {
    return make_error(file.string() + ": not a sound certify journal (" + why +
                      "); it is left as it is: move it away, or start a new run with --fresh");
  };
  std::string ic = j.integrity_check();
  if (ic != "ok") return bad(ic);
  auto v = j.meta("schema_version");
  if (!v) return bad("no schema_version");
  if (*v != std::to_string(k_journal_schema_version)) return bad("schema_version " + *v + " is not supported");
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"})
    if (auto st = j.exec(sql); !st) return st.error();
  if (auto st = j.set_autocheckpoint(); !st) return st.error();
  return j;
}

Status Journal::set_autocheckpoint() {
  Stmt s;
  if (sqlite3_prepare_v2(db_, "PRAGMA page_size", -1, &s.s, nullptr) != SQLITE_OK || sqlite3_step(s.s) != SQLITE_ROW)
    return err("page size");
  long page = std::max<long>(512, sqlite3_column_int(s.s, 0));
  return exec("PRAGMA wal_autocheckpoint=" + std::to_string(k_autocheckpoint_bytes / page));
}

std::string Journal::integrity_check() const {
  Stmt s;
  if (sqlite3_prepare_v2(db_, "PRAGMA integrity_check", -1, &s.s, nullptr) != SQLITE_OK) return sqlite3_errmsg(db_);
  std::string out;
  int rc;
  while ((rc = sqlite3_step(s.s)) == SQLITE_ROW) out += (out.empty() ? "" : "; ") + col_text(s.s, 0);
  if (rc != SQLITE_DONE) return sqlite3_errmsg(db_);
  return out;
}

Status Journal::set_meta(const std::string& key, const std::string& value) {
  Stmt s;
  if (sqlite3_prepare_v2(db_, "INSERT INTO meta(key,value) VALUES(?1,?2) ON CONFLICT(key) DO UPDATE SET value=?2", -1,
                         &s.s, nullptr) != SQLITE_OK)
    return err("prepare");
  sqlite3_bind_text(s.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s.s, 2, value.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s.s) != SQLITE_DONE) return err("set " + key);
  return ok_status();
}

std::optional<std::string> Journal::meta(const std::string& key) const {
  Stmt s;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key=?1", -1, &s.s, nullptr) != SQLITE_OK) return std::nullopt;
  sqlite3_bind_text(s.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s.s) != SQLITE_ROW) return std::nullopt;
  return col_text(s.s, 0);
}

Status Journal::add_jobs(const std::vector<JobRecord>& jobs) {
  if (auto st = exec("BEGIN IMMEDIATE"); !st) return st;
  Stmt s;
  if (sqlite3_prepare_v2(db_,
                         "INSERT OR IGNORE INTO jobs(id,seq,test,suite,class,device,def_hash,state) "
                         "VALUES(?1,?2,?3,?4,?5,?6,?7,'pending')",
                         -1, &s.s, nullptr) != SQLITE_OK) {
    (void)exec("ROLLBACK");
    return err("prepare");
  }
  for (const auto& j : jobs) {
    sqlite3_reset(s.s);
    sqlite3_bind_text(s.s, 1, j.id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s.s, 2, j.seq);
    sqlite3_bind_text(s.s, 3, j.test.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.s, 4, j.suite.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.s, 5, j.cls.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.s, 6, j.device.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.s, 7, j.def_hash.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s.s) != SQLITE_DONE) {
      auto e = err("add job " + j.id);
      (void)exec("ROLLBACK");
      return e;
    }
  }
  return exec("COMMIT");
}

Status Journal::replace_definition(const std::string& id, const std::string& hash) {
  Stmt s;
  if (sqlite3_prepare_v2(db_, "UPDATE jobs SET def_hash=?2, state='pending', status=NULL, reason=NULL WHERE id=?1", -1,
                         &s.s, nullptr) != SQLITE_OK)
    return err("prepare");
  sqlite3_bind_text(s.s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s.s, 2, hash.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s.s) != SQLITE_DONE) return err("update " + id);
  return ok_status();
}

Status Journal::mark_running(const std::string& id, const std::string& started, const std::string& boot_id,
                             bool durable) {
  if (durable) {
    if (auto st = exec("PRAGMA synchronous=FULL"); !st) return st;
  }
  auto st = update_running(id, started, boot_id);
  if (durable) {
    if (auto back = exec("PRAGMA synchronous=NORMAL"); !back && st) return back;
  }
  return st;
}

Status Journal::update_running(const std::string& id, const std::string& started, const std::string& boot_id) {
  auto* s = prepared(running_stmt_,
                     "UPDATE jobs SET state='running', started=?2, boot_id=?3, attempts=attempts+1, status=NULL, "
                     "reason=NULL, finished=NULL WHERE id=?1");
  if (!s) return err("prepare");
  sqlite3_bind_text(s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, started.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 3, boot_id.c_str(), -1, SQLITE_TRANSIENT);
  auto rc = sqlite3_step(s);
  sqlite3_reset(s);  // ends the statement's transaction now, not at the next use
  if (rc != SQLITE_DONE) return err("start " + id);
  return ok_status();
}

Status Journal::mark_done(const JobRecord& r) {
  auto* s = prepared(done_stmt_,
                     "UPDATE jobs SET state=?2, status=?3, reason=?4, started=?5, finished=?6, duration=?7, "
                     "exit_code=?8, signal=?9, metrics=?10 WHERE id=?1");
  if (!s) return err("prepare");
  sqlite3_bind_text(s, 1, r.id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, r.state.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 3, r.status.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 4, r.reason.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 5, r.started.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 6, r.finished.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(s, 7, r.duration_s);
  if (r.exit_code) sqlite3_bind_int(s, 8, *r.exit_code); else sqlite3_bind_null(s, 8);
  if (r.signal) sqlite3_bind_int(s, 9, *r.signal); else sqlite3_bind_null(s, 9);
  auto m = r.metrics.dump();
  sqlite3_bind_text(s, 10, m.c_str(), -1, SQLITE_TRANSIENT);
  auto rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return err("finish " + r.id);
  return ok_status();
}

std::vector<JobRecord> Journal::jobs() const {
  std::vector<JobRecord> out;
  Stmt s;
  if (sqlite3_prepare_v2(db_,
                         "SELECT id,seq,test,suite,class,device,def_hash,state,status,reason,started,finished,duration,"
                         "exit_code,signal,metrics,attempts,boot_id FROM jobs ORDER BY seq",
                         -1, &s.s, nullptr) != SQLITE_OK)
    return out;
  while (sqlite3_step(s.s) == SQLITE_ROW) {
    JobRecord r;
    r.id = col_text(s.s, 0);
    r.seq = sqlite3_column_int(s.s, 1);
    r.test = col_text(s.s, 2);
    r.suite = col_text(s.s, 3);
    r.cls = col_text(s.s, 4);
    r.device = col_text(s.s, 5);
    r.def_hash = col_text(s.s, 6);
    r.state = col_text(s.s, 7);
    r.status = col_text(s.s, 8);
    r.reason = col_text(s.s, 9);
    r.started = col_text(s.s, 10);
    r.finished = col_text(s.s, 11);
    r.duration_s = sqlite3_column_double(s.s, 12);
    if (sqlite3_column_type(s.s, 13) != SQLITE_NULL) r.exit_code = sqlite3_column_int(s.s, 13);
    if (sqlite3_column_type(s.s, 14) != SQLITE_NULL) r.signal = sqlite3_column_int(s.s, 14);
    // NULL until the job is done: parsing "" fails slowly (an error message is made).
    if (sqlite3_column_type(s.s, 15) != SQLITE_NULL) {
      r.metrics = nlohmann::json::parse(col_text(s.s, 15), nullptr, false);
      if (r.metrics.is_discarded() || !r.metrics.is_object()) r.metrics = nlohmann::json::object();
    }
    r.attempts = sqlite3_column_int(s.s, 16);
    r.boot_id = col_text(s.s, 17);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace certify::runner
