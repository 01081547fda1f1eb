// PostgreSQL backend (libpq): text parameters except BYTEA (binary), text
// results with BYTEA decoded, writers serialised by an advisory lock.
#include <libpq-fe.h>

#include <cstring>
#include <memory>

#include "certdb/db_backends.hpp"

namespace certify::certdb {

namespace {

constexpr unsigned k_bytea_oid = 17;
// Arbitrary, fixed: every certdb writer takes this transaction-scoped lock.
constexpr const char* k_write_lock = "SELECT pg_advisory_xact_lock(724311)";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class PgConnection : public Connection {
 public:
  explicit PgConnection(const std::string& url) {
    conn_ = PQconnectdb(url.c_str());
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
      PQfinish(conn_);
      conn_ = nullptr;
      throw DbError("cannot connect to PostgreSQL: " + trim(msg));
    }
    exec_script("SET client_min_messages = warning");
  }
  ~PgConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::postgres; }

  void exec_script(std::string_view sql) override {
    std::string s(sql);
    ResultPtr r(PQexec(conn_, s.c_str()));
    check(r.get());
  }

  std::vector<Row> query(std::string_view sql, const std::vector<Param>& params) override {
    auto r = run(sql, params);
    std::vector<Row> rows;
    int n = PQntuples(r.get()), cols = PQnfields(r.get());
    rows.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      Row row;
      row.cols.reserve(static_cast<std::size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(r.get(), i, c)) {
          row.cols.emplace_back(std::nullopt);
          continue;
        }
        const char* v = PQgetvalue(r.get(), i, c);
        if (PQftype(r.get(), c) == k_bytea_oid) {
          std::size_t len = 0;
          unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &len);
          if (!raw) throw DbError("postgresql: cannot decode bytea");
          row.cols.emplace_back(std::string(reinterpret_cast<char*>(raw), len));
          PQfreemem(raw);
        } else {
          row.cols.emplace_back(std::string(v, static_cast<std::size_t>(PQgetlength(r.get(), i, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::int64_t execute(std::string_view sql, const std::vector<Param>& params) override {
    auto r = run(sql, params);
    const char* n = PQcmdTuples(r.get());
    return n && *n ? std::stoll(n) : 0;
  }

  void begin_write() override {
    exec_script("BEGIN");
    exec_script(k_write_lock);
  }
  // One snapshot for every statement of the transaction (a queue page, its
  // claims and the total; a whole copy), as a sqlite read transaction has.
  void begin_read() override { exec_script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) exec_script("ROLLBACK");
  }

 private:
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  void check(PGresult* r) {
    auto st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    DbError e("postgresql: " + trim(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    e.unique_violation = state && std::strcmp(state, "23505") == 0;
    throw e;
  }

  ResultPtr run(std::string_view sql, const std::vector<Param>& params) {
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size()), formats(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Param& p = params[i];
      if (std::holds_alternative<std::nullptr_t>(p)) {
        values[i] = nullptr;
      } else if (auto* v = std::get_if<std::int64_t>(&p)) {
        text[i] = std::to_string(*v);
        values[i] = text[i].c_str();
      } else if (auto* s = std::get_if<std::string>(&p)) {
        values[i] = s->c_str();
      } else {
        auto b = std::get<Blob>(p).bytes;
        values[i] = b.data();
        lengths[i] = static_cast<int>(b.size());
        formats[i] = 1;
      }
    }
    std::string s(sql);
    ResultPtr r(PQexecParams(conn_, s.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                             lengths.data(), formats.data(), 0));
    check(r.get());
    return r;
  }

  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> open_postgres(const std::string& url) {
  return std::make_unique<PgConnection>(url);
}

}  // namespace certify::certdb
