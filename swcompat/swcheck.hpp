// sw-check: a package's metadata, licence, dependencies and ELF ABI checked
// against a target OS snapshot; its SBOM (SPDX 2.3 JSON) and the
// requirements an application places on an OS.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "swcompat/package.hpp"
#include "swcompat/report.hpp"
#include "swcompat/spdx.hpp"

namespace certify::swcompat {

struct SwCheckOptions {
  std::string created;  // SBOM creation time ("" = now)
};

// Runs checks 1-4 and 7 (metadata, architecture, licence, dependencies, ELF
// ABI, SBOM). `target` is an OS snapshot (see snapshot.hpp).
Report sw_check(const Package& pkg, const std::string& file, const nlohmann::json& target,
                const LicenseList& licenses, const SwCheckOptions& options);

// The package's licence as an SPDX expression (DEP-5 translated) with the
// parse outcome; `origin_note` explains where it came from.
struct DeclaredLicense {
  std::string expression;
  LicenseExpression parsed;
  std::vector<std::string> notes;   // problems worth a warning
  std::string translated_from;       // set when DEP-5 names were translated
};
DeclaredLicense declared_license(const Package& pkg, const LicenseList& licenses);

// SPDX 2.3 JSON document for the package: the package, its files (SHA1 and
// SHA256), its dependencies, DESCRIBES/CONTAINS/DEPENDS_ON relationships.
nlohmann::json make_sbom(const Package& pkg, const DeclaredLicense& license, const std::string& created);

// What the package needs from an OS: architecture, dependencies, sonames
// with symbol versions, minimal glibc. Checked later by
// check_requirements() against any snapshot (os-diff --requirements).
nlohmann::json package_requirements(const Package& pkg);
Report check_requirements(const nlohmann::json& requirements, const nlohmann::json& target);

}  // namespace certify::swcompat
