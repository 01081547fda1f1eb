// Built-in test plumbing: registry, environment contract, exit codes, result.json.
#include <doctest/doctest.h>

#include <set>

#include "core/files.hpp"
#include "testsuites/builtin.hpp"
#include "tests/testutil.hpp"

using namespace certify;
using certify::test::run_command;

TEST_CASE("every built-in has a unique name and a summary") {
  std::set<std::string_view> names;
  for (const auto& b : suites::builtins()) {
    CHECK_MESSAGE(names.insert(b.name).second, b.name);
    CHECK_FALSE(b.summary.empty());
    CHECK(static_cast<bool>(b.fn));
  }
  CHECK(suites::find_builtin("selftest.echo") != nullptr);
  CHECK(suites::find_builtin("no.such.test") == nullptr);
}

TEST_CASE("certify builtin: exit codes and result.json follow the external-test contract") {
  auto bin = test::build_path("cli/certify").string();
  for (auto [want, code] : {std::pair{"pass", 0}, {"fail", 1}, {"skip", 77}}) {
    test::TempDir wd;
    auto r = run_command({bin, "builtin", "selftest.echo"},
                         {"CERTIFY_WORKDIR=" + wd.path().string(), std::string("CERTIFY_PARAM_OUTCOME=") + want,
                          "CERTIFY_DEVICE=pci:0000:00:03.0", R"(CERTIFY_DEVICE_JSON={"id":"pci:0000:00:03.0","class":"nic"})"});
    CHECK(r.exit_code == code);
    CHECK(r.out.find("device=pci:0000:00:03.0") != std::string::npos);
    auto text = read_file(wd / "result.json");
    REQUIRE(text.ok());
    auto j = nlohmann::json::parse(*text);
    CHECK(j["status"] == want);
    CHECK(j["metrics"]["device_json_keys"] == 2);
    if (std::string(want) != "pass") CHECK_FALSE(j["reason"].get<std::string>().empty());
  }
  auto r = run_command({bin, "builtin", "no.such.test"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown built-in test") != std::string::npos);
}

TEST_CASE("TestContext::props: the device's props, or an empty object for a device without usable ones") {
  suites::TestContext ctx;
  ctx.device = nlohmann::json::parse(R"({"id": "nic:eth0", "props": {"ifname": "eth0"}})");
  CHECK(ctx.props().value("ifname", "") == "eth0");
  // Hand-edited inventories: no props, props of the wrong type, a device that
  // is not an object. value() on any of them would throw; props() gives {}.
  for (const char* text : {R"({"id": "nic:eth0"})", R"({"props": "eth0"})", R"({"props": ["eth0"]})", R"("nic:eth0")",
                           "null"}) {
    CAPTURE(text);
    ctx.device = nlohmann::json::parse(text);
    REQUIRE(ctx.props().is_object());
    CHECK(ctx.props().empty());
    CHECK(ctx.props().value("ifname", "none") == "none");
  }
}
