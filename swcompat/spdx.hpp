// SPDX licence identifiers and licence expressions (SPDX 2.3 Annex D), and
// the translation of Debian DEP-5 copyright short names into SPDX.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace certify::swcompat {

// The licence and exception id lists (hwdata/spdx-licenses, spdx-exceptions)
// and the DEP-5 name map (hwdata/dep5-licenses). Ids match case-insensitively.
class LicenseList {
 public:
  // Loads the three files from `hwdata_dir`; a malformed line is an error
  // naming file and line.
  static Result<LicenseList> load(const std::filesystem::path& hwdata_dir);

  // Canonical spelling of a licence id, or "" when unknown.
  std::string license(std::string_view id) const;
  bool deprecated(std::string_view canonical_id) const { return deprecated_.count(std::string(canonical_id)) > 0; }
  std::string exception(std::string_view id) const;
  // DEP-5 short name ("GPL-2+", "Expat") -> SPDX id; "" when unknown.
  std::string from_dep5(std::string_view name) const;

  std::size_t license_count() const { return licenses_.size(); }

 private:
  std::map<std::string, std::string> licenses_;    // lower-case -> canonical
  std::set<std::string> deprecated_;                // canonical
  std::map<std::string, std::string> exceptions_;   // lower-case -> canonical
  std::map<std::string, std::pair<std::string, std::string>> dep5_;  // lower -> (exact, plus)
};

// Outcome of parsing an SPDX licence expression.
struct LicenseExpression {
  bool valid = false;
  std::string error;                  // with the character offset, when invalid
  std::string normalized;             // canonical ids, operators upper-case
  std::vector<std::string> licenses;  // ids used (LicenseRef-* included)
  std::vector<std::string> exceptions;
  std::vector<std::string> warnings;  // deprecated ids, lower-case operators
};

// Parses `text` against the list: ids, "+", WITH, AND, OR (precedence
// WITH > AND > OR), parentheses, LicenseRef-/DocumentRef- references.
LicenseExpression parse_license_expression(std::string_view text, const LicenseList& list);

// Turns a DEP-5 License value ("BSD-3-clause or GPL-2", "GPL-2+ with
// OpenSSL exception") into an SPDX expression; unknown names are returned in
// `unknown` and written as LicenseRef-<name>.
struct Dep5Translation {
  std::string expression;
  std::vector<std::string> unknown;
};
Dep5Translation dep5_to_spdx(std::string_view dep5, const LicenseList& list);

// Where hwdata lives: $CERTIFY_HWDATA, else the source tree, else the
// installed data directory.
std::filesystem::path hwdata_dir();

}  // namespace certify::swcompat
