// The real and crafted packages of the software-compatibility tests
// (tests/tools/make-test-packages.sh: real .deb files from the apt cache,
// crafted .deb and .rpm files), made once per build tree and shared by every
// test executable that needs them.
#pragma once

#include <filesystem>
#include <stdexcept>

#include "tests/testutil.hpp"

namespace certify::test {

inline std::filesystem::path test_packages() {
  static const std::filesystem::path dir = [] {
    auto out = build_path("test-packages");
    auto r = run_command({source_path("tests/tools/make-test-packages.sh").string(), out.string()});
    if (r.exit_code != 0) throw std::runtime_error("make-test-packages.sh failed: " + r.err);
    return out;
  }();
  return dir;
}

}  // namespace certify::test
