// os-diff: per dimension, what B removed, added or changed relative to A,
// and a compatibility score (share of A's entries B keeps compatibly).
#pragma once

#include <nlohmann/json.hpp>

#include "swcompat/report.hpp"

namespace certify::swcompat {

struct DimensionDiff {
  std::string name;
  std::vector<std::string> removed, added;
  std::vector<std::string> changed_compatible, changed_incompatible;
  std::size_t total_a = 0, total_b = 0;
  double score = 100.0;  // percent; 100 when A has no entries
  bool empty = false;    // A has no entries (nothing to compare)
};

std::vector<DimensionDiff> diff_snapshots(const nlohmann::json& a, const nlohmann::json& b);

// The whole comparison as a report: one check per dimension (pass when the
// score is 100, warn from 90, fail below), plus derivative recognition
// (ID, ID_LIKE, PLATFORM_ID) and the overall score.
Report os_diff_report(const nlohmann::json& a, const nlohmann::json& b, std::size_t max_items = 50);

}  // namespace certify::swcompat
