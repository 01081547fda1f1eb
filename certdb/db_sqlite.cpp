// sqlite backend: one connection per pool slot, statements cached, $n
// parameters bound by name so the same SQL runs on PostgreSQL.
#include <sqlite3.h>

#include <map>

#include "certdb/db_backends.hpp"

namespace certify::certdb {

namespace {

class SqliteConnection : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw DbError("cannot open database " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 30000);
    exec_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  }
  ~SqliteConnection() override {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    sqlite3_close(db_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  void exec_script(std::string_view sql) override {
    char* err = nullptr;
    std::string s(sql);
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw error(msg);
    }
  }

  std::vector<Row> query(std::string_view sql, const std::vector<Param>& params) override {
    std::vector<Row> rows;
    run(sql, params, &rows);
    return rows;
  }

  std::int64_t execute(std::string_view sql, const std::vector<Param>& params) override {
    run(sql, params, nullptr);
    return sqlite3_changes(db_);
  }

  void begin_write() override { exec_script("BEGIN IMMEDIATE"); }
  void begin_read() override { exec_script("BEGIN"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) exec_script("ROLLBACK");
  }

 private:
  DbError error(const std::string& msg) {
    DbError e("sqlite: " + msg);
    int ext = sqlite3_extended_errcode(db_);
    e.unique_violation = ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY;
    return e;
  }

  sqlite3_stmt* prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, key.c_str(), static_cast<int>(key.size()), &st, nullptr) != SQLITE_OK)
      throw error(std::string(sqlite3_errmsg(db_)) + " in: " + key);
    cache_.emplace(std::move(key), st);
    return st;
  }

  void run(std::string_view sql, const std::vector<Param>& params, std::vector<Row>* rows) {
    sqlite3_stmt* st = prepare(sql);
    struct Reset {
      sqlite3_stmt* st;
      ~Reset() {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
      }
    } reset{st};
    int n = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= n; ++i) {
      const char* name = sqlite3_bind_parameter_name(st, i);
      std::size_t idx = name && name[0] == '$' ? std::stoul(name + 1) : static_cast<std::size_t>(i);
      if (idx == 0 || idx > params.size())
        throw DbError("sqlite: parameter " + std::to_string(idx) + " not given in: " + std::string(sql));
      const Param& p = params[idx - 1];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::nullptr_t>(p)) rc = sqlite3_bind_null(st, i);
      else if (auto* v = std::get_if<std::int64_t>(&p)) rc = sqlite3_bind_int64(st, i, *v);
      else if (auto* s = std::get_if<std::string>(&p))
        rc = sqlite3_bind_text64(st, i, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      else {
        auto b = std::get<Blob>(p).bytes;
        rc = sqlite3_bind_blob64(st, i, b.empty() ? "" : b.data(), b.size(), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) throw error(sqlite3_errmsg(db_));
    }
    for (;;) {
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) throw error(sqlite3_errmsg(db_));
      if (!rows) continue;
      Row r;
      int cols = sqlite3_column_count(st);
      r.cols.reserve(cols);
      for (int c = 0; c < cols; ++c) {
        int type = sqlite3_column_type(st, c);
        if (type == SQLITE_NULL) {
          r.cols.emplace_back(std::nullopt);
        } else if (type == SQLITE_BLOB) {
          const void* data = sqlite3_column_blob(st, c);
          int len = sqlite3_column_bytes(st, c);
          r.cols.emplace_back(std::string(static_cast<const char*>(data), static_cast<std::size_t>(len)));
        } else {
          const unsigned char* text = sqlite3_column_text(st, c);
          int len = sqlite3_column_bytes(st, c);
          r.cols.emplace_back(std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(len)));
        }
      }
      rows->push_back(std::move(r));
    }
  }

  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path) {
  return std::make_unique<SqliteConnection>(path);
}

}  // namespace certify::certdb
