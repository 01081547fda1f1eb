// Package versions and dependency relations: dpkg and rpm ordering, Debian
// relationship fields, and "does version V satisfy (op, W)".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace certify::swcompat {

enum class VersionScheme { deb, rpm };

// <0, 0, >0 like strcmp. deb: epoch:upstream-revision with "~" sorting
// before everything (deb-version(7)); rpm: rpmvercmp segments, "~" and "^".
int compare_versions(std::string_view a, std::string_view b, VersionScheme scheme);

// One relation: name, operator ("" when unversioned; "<", "<=", "=", ">=",
// ">"; Debian's "<<"/">>" are normalised) and version.
struct Dependency {
  std::string name;
  std::string op;
  std::string version;
  std::string text() const;
};
// Alternatives: any one satisfies the group ("a | b").
using DependencyGroup = std::vector<Dependency>;

// Parses a Debian relationship field ("libc6 (>= 2.34), a | b:any [amd64]").
// Architecture qualifiers, restriction lists and build profiles are dropped.
// Malformed relations are skipped and reported in `errors`.
std::vector<DependencyGroup> parse_deb_relations(std::string_view field, std::vector<std::string>& errors);

// True when `version` satisfies (op, wanted); an unversioned relation is
// satisfied by any version.
bool version_satisfies(std::string_view version, const Dependency& dep, VersionScheme scheme);

}  // namespace certify::swcompat
