// rasdaemon's sqlite database (ras-mc_ctx.db), read-only: which event
// tables exist with the columns we rely on, and the rows after a given id.
// Schema from rasdaemon's ras-record.c (mc_event, aer_event, mce_record,
// memory_failure_event).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

struct sqlite3;

namespace certify::suites::ras {

inline constexpr const char* k_rasdaemon_db = "/var/lib/rasdaemon/ras-mc_ctx.db";

// One event row: its id and the named text columns we read.
struct RasEvent {
  std::int64_t id = 0;
  std::map<std::string, std::string> fields;
};

struct RasTable {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t max_id = 0;
};

class RasDb {
 public:
  // Opens read-only; an error when the file is missing or not an sqlite
  // database.
  static Result<RasDb> open(const std::filesystem::path& file);
  RasDb(RasDb&& o) noexcept;
  RasDb& operator=(RasDb&&) = delete;
  ~RasDb();

  // The known event tables present, with row counts. An error names a
  // known table that lacks a column of rasdaemon's schema.
  Result<std::vector<RasTable>> tables() const;
  // Rows of `table` with id > after_id, oldest first (at most 1000).
  Result<std::vector<RasEvent>> events_after(const std::string& table, std::int64_t after_id) const;

  // Columns each known table must have.
  static const std::map<std::string, std::vector<std::string>>& schema();

 private:
  RasDb() = default;
  ::sqlite3* db_ = nullptr;
};

}  // namespace certify::suites::ras
