// The two Connection implementations (db_sqlite.cpp, db_postgres.cpp).
#pragma once

#include <memory>
#include <string>

#include "certdb/db.hpp"

namespace certify::certdb {

// A sqlite file in WAL mode, synchronous=FULL, foreign keys on, 30 s busy wait.
std::unique_ptr<Connection> open_sqlite(const std::string& path);
// A libpq connection; throws DbError when the build has no libpq.
std::unique_ptr<Connection> open_postgres(const std::string& url);

}  // namespace certify::certdb
