// selftest.echo: proves the builtin plumbing end to end. Passes when it was
// given a work directory; CERTIFY_PARAM_OUTCOME=fail|skip makes it fail or
// skip so the runner's handling of each outcome can be tested.
#include "testsuites/builtin.hpp"

namespace certify::suites {

TestResult selftest_echo(TestContext& ctx) {
  ctx.out() << "device=" << ctx.device_id << " workdir=" << ctx.workdir.string()
            << " sysroot=" << ctx.sysroot.string() << '\n';
  auto want = ctx.param("outcome", "pass");
  TestResult r = want == "fail"   ? TestResult::fail("asked to fail by CERTIFY_PARAM_OUTCOME")
                 : want == "skip" ? TestResult::skip("asked to skip by CERTIFY_PARAM_OUTCOME")
                                  : TestResult::pass();
  r.metrics["device_json_keys"] = ctx.device.size();
  return r;
}

}  // namespace certify::suites
