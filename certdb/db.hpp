// certdb's storage interface: a SQL connection (sqlite or PostgreSQL), a pool
// of them, and RAII transactions. SQL is written once with $1..$n parameters
// (numbered in order of first use) and runs on both backends; only DDL is
// translated per dialect (migrations.cpp).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace certify::certdb {

enum class Dialect { sqlite, postgres };

// A database failure (I/O, constraint, lost connection). Thrown: the caller is
// at a request or command boundary and turns it into a 500 or an exit code.
struct DbError : std::runtime_error {
  using std::runtime_error::runtime_error;
  bool unique_violation = false;  // a UNIQUE / PRIMARY KEY constraint failed
};

// Binary data bound as BLOB (sqlite) / BYTEA (PostgreSQL). Borrowed.
struct Blob {
  std::string_view bytes;
};
using Param = std::variant<std::nullptr_t, std::int64_t, std::string, Blob>;

// One result row: every column as text (BLOB/BYTEA as raw bytes), NULL as nullopt.
struct Row {
  std::vector<std::optional<std::string>> cols;
  const std::string& text(std::size_t i) const;  // "" for NULL
  std::int64_t integer(std::size_t i) const;     // 0 for NULL
  bool is_null(std::size_t i) const { return !cols.at(i).has_value(); }
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // Runs one or more statements without parameters (DDL, PRAGMA).
  virtual void exec_script(std::string_view sql) = 0;
  // Runs one statement; rows it returns (SELECT, ... RETURNING).
  virtual std::vector<Row> query(std::string_view sql, const std::vector<Param>& params = {}) = 0;
  // Runs one statement; number of rows changed.
  virtual std::int64_t execute(std::string_view sql, const std::vector<Param>& params = {}) = 0;
  // A write transaction: writers are serialised (sqlite BEGIN IMMEDIATE,
  // PostgreSQL a transaction-scoped advisory lock), so the audit chain and
  // id counters never race.
  virtual void begin_write() = 0;
  virtual void begin_read() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
};

// Opens `url`: "postgresql://..." or "postgres://..." → PostgreSQL (when
// built with libpq), anything else is a sqlite file path (WAL mode).
std::unique_ptr<Connection> open_connection(const std::string& url);
bool is_postgres_url(std::string_view url);

// A fixed-size pool; lease() blocks until a connection is free.
class Pool {
 public:
  Pool(std::string url, std::size_t size);
  const std::string& url() const { return url_; }
  Dialect dialect();

  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<Connection> c) : pool_(&pool), c_(std::move(c)) {}
    Lease(Lease&& o) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() { return *c_; }
    Connection* operator->() { return c_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> c_;
  };
  Lease lease();

 private:
  friend class Lease;
  void give_back(std::unique_ptr<Connection> c);
  std::string url_;
  std::size_t size_;
  std::size_t opened_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// Rolls back unless commit() was called.
class Transaction {
 public:
  Transaction(Connection& c, bool write) : c_(c) {
    if (write) c_.begin_write();
    else c_.begin_read();
  }
  ~Transaction() {
    if (!done_) {
      try {
        c_.rollback();
      } catch (const DbError&) {
        // The connection is already broken; the transaction did not commit.
      }
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    c_.commit();
    done_ = true;
  }

 private:
  Connection& c_;
  bool done_ = false;
};

}  // namespace certify::certdb
