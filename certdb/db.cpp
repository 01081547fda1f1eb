// Row accessors, the connection pool and the backend switch.
#include "certdb/db.hpp"

#include <charconv>

#include "certdb/db_backends.hpp"

namespace certify::certdb {

const std::string& Row::text(std::size_t i) const {
  static const std::string empty;
  const auto& c = cols.at(i);
  return c ? *c : empty;
}

std::int64_t Row::integer(std::size_t i) const {
  const auto& c = cols.at(i);
  if (!c || c->empty()) return 0;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(c->data(), c->data() + c->size(), v);
  if (ec != std::errc()) throw DbError("column " + std::to_string(i) + " is not an integer: " + *c);
  return v;
}

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::unique_ptr<Connection> open_connection(const std::string& url) {
  if (is_postgres_url(url)) return open_postgres(url);
  return open_sqlite(url);
}

Pool::Pool(std::string url, std::size_t size) : url_(std::move(url)), size_(size ? size : 1) {}

Dialect Pool::dialect() { return is_postgres_url(url_) ? Dialect::postgres : Dialect::sqlite; }

Pool::Lease Pool::lease() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || opened_ < size_; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(c));
  }
  ++opened_;
  lock.unlock();
  try {
    return Lease(*this, open_connection(url_));
  } catch (...) {
    std::lock_guard relock(mu_);
    --opened_;
    cv_.notify_one();
    throw;
  }
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mu_);
  if (c) idle_.push_back(std::move(c));
  else --opened_;
  cv_.notify_one();
}

Pool::Lease::~Lease() {
  if (pool_ && c_) pool_->give_back(std::move(c_));
}

}  // namespace certify::certdb
