// The one list of built-in tests, by name as suite.xml refers to them
// (run="builtin:NAME"). Each test lives in testsuites/<class>/<name>.cpp.
#include "testsuites/builtin.hpp"

namespace certify::suites {

// Declarations of the test functions (one file each, grouped by class).
TestResult selftest_echo(TestContext& ctx);

namespace {

constexpr Builtin k_builtins[] = {
    {"selftest.echo", "Runner self-test: reports the context it was given", selftest_echo},
};

}  // namespace

std::span<const Builtin> builtins() { return k_builtins; }

}  // namespace certify::suites
