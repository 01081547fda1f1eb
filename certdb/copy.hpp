// certdb copy: moves a whole certdb database from one backend to another
// (sqlite -> PostgreSQL when a deployment grows, or back, or sqlite ->
// sqlite as a compacted copy). Every table, row for row, in one transaction
// on the target, so the audit chain and the stored bundles come across
// unchanged and verify the same on both sides.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/result.hpp"

namespace certify::certdb {

struct CopyReport {
  std::map<std::string, std::int64_t> rows;  // table -> rows copied
  int schema_version = 0;
};

// Copies `from` into `to` (sqlite paths or postgresql:// URLs). The target
// is migrated to the source's schema version first and must hold no data;
// the source must be at the latest schema version (run `certdb migrate` on
// it). On any error nothing is committed on the target.
Result<CopyReport> copy_database(const std::string& from, const std::string& to);

}  // namespace certify::certdb
