// rasdaemon database reader (sqlite3, read-only).
#include "testsuites/ras/rasdb.hpp"

#include <sqlite3.h>

#include <set>

namespace certify::suites::ras {

const std::map<std::string, std::vector<std::string>>& RasDb::schema() {
  static const std::map<std::string, std::vector<std::string>> s = {
      {"mc_event", {"id", "timestamp", "err_count", "err_type", "err_msg", "label", "mc", "address"}},
      {"aer_event", {"id", "timestamp", "dev_name", "err_type", "err_msg"}},
      {"mce_record", {"id", "timestamp", "status", "addr", "cpu", "bank", "error_msg"}},
      {"memory_failure_event", {"id", "timestamp", "pfn", "page_type", "action_result"}},
  };
  return s;
}

Result<RasDb> RasDb::open(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return make_error(file.string() + ": no such database");
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return make_error(file.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db, 2000);
  // Touch the schema now so a non-database file fails here.
  if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    return make_error(file.string() + ": " + msg);
  }
  RasDb r;
  r.db_ = db;
  return r;
}

RasDb::RasDb(RasDb&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }

RasDb::~RasDb() {
  if (db_) sqlite3_close(db_);
}

namespace {

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

std::string text(sqlite3_stmt* s, int col) {
  auto* t = sqlite3_column_text(s, col);
  return t ? reinterpret_cast<const char*>(t) : "";
}

}  // namespace

Result<std::vector<RasTable>> RasDb::tables() const {
  std::vector<RasTable> out;
  for (const auto& [name, cols] : schema()) {
    Stmt info;
    // Table names come from our own list, never from input.
    if (sqlite3_prepare_v2(db_, ("PRAGMA table_info(" + name + ")").c_str(), -1, &info.s, nullptr) != SQLITE_OK)
      return make_error(std::string("reading the schema: ") + sqlite3_errmsg(db_));
    std::set<std::string> have;
    int rc;
    while ((rc = sqlite3_step(info.s)) == SQLITE_ROW) have.insert(text(info.s, 1));
    if (rc != SQLITE_DONE) return make_error(std::string("reading the schema: ") + sqlite3_errmsg(db_));
    if (have.empty()) continue;  // rasdaemon built without this event
    for (const auto& c : cols)
      if (!have.count(c)) return make_error("table " + name + " lacks column " + c + " (not rasdaemon's schema)");
    Stmt cnt;
    if (sqlite3_prepare_v2(db_, ("SELECT count(*), coalesce(max(id), 0) FROM " + name).c_str(), -1, &cnt.s, nullptr) != SQLITE_OK ||
        sqlite3_step(cnt.s) != SQLITE_ROW)
      return make_error("counting " + name + ": " + sqlite3_errmsg(db_));
    out.push_back({name, sqlite3_column_int64(cnt.s, 0), sqlite3_column_int64(cnt.s, 1)});
  }
  return out;
}

Result<std::vector<RasEvent>> RasDb::events_after(const std::string& table, std::int64_t after_id) const {
  auto it = schema().find(table);
  if (it == schema().end()) return make_error("unknown rasdaemon table " + table);
  std::string cols;
  for (const auto& c : it->second) cols += (cols.empty() ? "" : ", ") + c;
  Stmt q;
  std::string sql = "SELECT " + cols + " FROM " + table + " WHERE id > ? ORDER BY id LIMIT 1000";
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &q.s, nullptr) != SQLITE_OK)
    return make_error("reading " + table + ": " + sqlite3_errmsg(db_));
  sqlite3_bind_int64(q.s, 1, after_id);
  std::vector<RasEvent> out;
  int rc;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    RasEvent e;
    e.id = sqlite3_column_int64(q.s, 0);
    for (std::size_t i = 1; i < it->second.size(); ++i) e.fields[it->second[i]] = text(q.s, static_cast<int>(i));
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return make_error("reading " + table + ": " + sqlite3_errmsg(db_));
  return out;
}

}  // namespace certify::suites::ras
