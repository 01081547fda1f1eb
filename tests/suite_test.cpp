// Suite parser and planner: sample suites, every shipped suite.xml against
// schemas/suite.xsd, and bad input naming file and line.
#include <doctest/doctest.h>

#include <fstream>

#include "core/files.hpp"
#include "runner/plan.hpp"
#include "runner/suite.hpp"
#include "testutil.hpp"

using namespace certify;
using namespace certify::runner;
using certify::test::fixture;
using certify::test::TempDir;

namespace {

nlohmann::json sample_inventory() {
  auto text = read_file(fixture("suites") / "inventory.json");
  REQUIRE(text.ok());
  return nlohmann::json::parse(*text);
}

std::string parse_error(const std::string& xml, const std::filesystem::path& file = "/tmp/x/suite.xml") {
  auto r = parse_suite_text(xml, file);
  REQUIRE_FALSE(r.ok());
  return r.message();
}

const Job* find_job(const Plan& p, const std::string& id) {
  for (const auto& j : p.jobs)
    if (j.id == id) return &j;
  return nullptr;
}

}  // namespace

TEST_CASE("sample suites parse with every attribute") {
  auto suites = load_suites(fixture("suites") / "plan");
  REQUIRE_MESSAGE(suites.ok(), (suites.ok() ? "" : suites.message()));
  REQUIRE(suites->size() == 4);
  const Suite* nvme = nullptr;
  for (const auto& s : *suites)
    if (s.id == "nvme-sample") nvme = &s;
  REQUIRE(nvme);
  CHECK(nvme->cls == "nvme");
  REQUIRE(nvme->requires_.size() == 1);
  CHECK(nvme->requires_[0].describe() == "driver nvme");
  REQUIRE(nvme->tests.size() == 3);
  const auto& io = nvme->tests[1];
  CHECK(io.id == "sample.nvme.io");
  CHECK(io.destructive);
  CHECK(io.timeout_s == 600);
  CHECK(io.locks == std::vector<std::string>{"device"});
  CHECK(io.after == std::vector<std::string>{"sample.nvme.identify"});
  CHECK(io.blocker);
  CHECK(io.line == 7);
  CHECK(io.description == "Data written reads back identical.");
  CHECK_FALSE(nvme->tests[2].per_device);
  // The definition hash changes with any attribute.
  auto changed = io;
  changed.timeout_s = 601;
  CHECK(changed.definition_hash() != io.definition_hash());
}

TEST_CASE("plan: suites chosen and left out with reasons, locks and ordering resolved") {
  auto suites = load_suites(fixture("suites") / "plan");
  REQUIRE(suites.ok());
  PlanOptions opt;
  auto plan = make_plan(sample_inventory(), *suites, opt, "/");
  auto text = to_text(plan);
  INFO(text);
  // nvme: the controller on vfio-pci is left out, with the reason.
  CHECK(text.find("- nvme-sample on pci:0000:02:00.0: driver is vfio-pci, requires nvme") != std::string::npos);
  CHECK(text.find("+ nvme-sample on pci:0000:01:00.0") != std::string::npos);
  CHECK(text.find("- nic-sample on pci:0000:04:00.0: prop sriov_totalvfs is absent") != std::string::npos);
  CHECK(text.find("- gpu-sample: no device of class gpu in the inventory") != std::string::npos);
  CHECK(text.find("sample.nvme.io: destructive (run with --destructive)") != std::string::npos);
  CHECK(plan.jobs.size() == 4);
  // The definition hash, made once per test, is each job's own.
  for (const auto& j : plan.jobs) {
    CHECK(j.def_hash.size() == 64);
    CHECK(j.def_hash == j.test.definition_hash());
  }
  const Job* id = find_job(plan, "sample.nvme.identify@pci-0000-01-00.0");
  REQUIRE(id);
  CHECK(id->device["driver"] == "nvme");
  const Job* summary = find_job(plan, "sample.nvme.summary");
  REQUIRE(summary);
  CHECK(summary->after == std::vector<std::string>{"sample.nvme.identify@pci-0000-01-00.0"});
  CHECK(summary->device["devices"].size() == 1);
  const Job* sriov = find_job(plan, "sample.nic.sriov@pci-0000-03-00.0");
  REQUIRE(sriov);
  CHECK(sriov->locks == std::vector<std::string>{"device:pci:0000:03:00.0", "pcie-bus"});
  const Job* einj = find_job(plan, "sample.system.einj@system");
  REQUIRE(einj);
  CHECK(einj->locks == std::vector<std::string>{"system"});

  opt.destructive = true;
  plan = make_plan(sample_inventory(), *suites, opt, "/");
  const Job* io = find_job(plan, "sample.nvme.io@pci-0000-01-00.0");
  REQUIRE(io);
  CHECK(io->locks == std::vector<std::string>{"device:pci:0000:01:00.0"});
  CHECK(io->after == std::vector<std::string>{"sample.nvme.identify@pci-0000-01-00.0"});

  auto j = to_json(plan);
  CHECK(j["schema_version"] == 1);
  CHECK(j["jobs"].size() == 5);
  CHECK(j["decisions"].size() >= 6);
}

TEST_CASE("plan: --only and --skip globs") {
  auto suites = load_suites(fixture("suites") / "plan");
  REQUIRE(suites.ok());
  PlanOptions opt;
  opt.only = {"sample.nvme.*"};
  auto plan = make_plan(sample_inventory(), *suites, opt, "/");
  REQUIRE(plan.jobs.size() == 2);
  for (const auto& j : plan.jobs) CHECK(j.test_id.rfind("sample.nvme.", 0) == 0);
  opt.only.clear();
  opt.skip = {"*@system", "sample.nic.*"};
  plan = make_plan(sample_inventory(), *suites, opt, "/");
  CHECK(plan.jobs.size() == 2);
  CHECK_FALSE(find_job(plan, "sample.system.einj@system"));
}

TEST_CASE("malformed suites: errors name file and line") {
  CHECK(parse_error("<suite schema_version=\"1\" id=\"a\" class=\"nvme\">\n<test id=\"x\"\n") .find("/tmp/x/suite.xml:") == 0);
  auto e = parse_error("<?xml version=\"1.0\"?>\n<suite schema_version=\"1\" id=\"a\" class=\"nvme\">\n\n  <test id=\"t\" run=\"builtin:selftest.echo\"></tset>\n</suite>\n");
  CHECK(e.find("/tmp/x/suite.xml:4: malformed XML") == 0);
  e = parse_error("<suite schema_version=\"1\" id=\"a\" class=\"nvme\">\n  <test id=\"t\" run=\"builtin:no.such.test\"><description>d</description></test>\n</suite>");
  CHECK(e == "/tmp/x/suite.xml:2: test t: unknown built-in test \"no.such.test\" (see `certify builtin --list`)");
  e = parse_error("<suite schema_version=\"1\" id=\"a\" class=\"nvme\">\n\n<test id=\"t\" run=\"builtin:selftest.echo\" timeout=\"-3\"><description>d</description></test></suite>");
  CHECK(e.find("/tmp/x/suite.xml:3: test t: timeout=\"-3\"") == 0);
  e = parse_error("<suite schema_version=\"1\" id=\"a\" class=\"nvme\"><test id=\"t\" run=\"builtin:selftest.echo\"/></suite>");
  CHECK(e.find("<description> with the pass criterion is required") != std::string::npos);
  e = parse_error("<suite schema_version=\"2\" id=\"a\" class=\"nvme\"/>");
  CHECK(e.find("schema_version 2 is not supported") != std::string::npos);
  e = parse_error("<suite schema_version=\"1\" id=\"a\" class=\"nvme\"><test id=\"t\" run=\"shell:x\"><description>d</description></test></suite>");
  CHECK(e.find("must start with builtin: or exec:") != std::string::npos);
  e = parse_error("<suite schema_version=\"1\" id=\"a\" class=\"nvme\"><test id=\"t\" run=\"builtin:selftest.echo\" destructive=\"yes\"><description>d</description></test></suite>");
  CHECK(e.find("destructive=\"yes\" is not true or false") != std::string::npos);
  e = parse_error("<suite schema_version=\"1\" id=\"a\" class=\"nvme\"><test id=\"t\" run=\"builtin:selftest.echo\"><description>d</description></test>\n<test id=\"t\" run=\"builtin:selftest.echo\"><description>d</description></test></suite>");
  CHECK(e.find(":2: duplicate test id t") != std::string::npos);
  e = parse_error("<suite schema_version=\"1\" id=\"a\" class=\"nvme\"><requires><kernel name=\"6\"/></requires></suite>");
  CHECK(e.find("unknown requirement <kernel>") != std::string::npos);
}

TEST_CASE("malformed suites: missing and non-executable scripts") {
  TempDir d;
  std::filesystem::create_directories(d / "s");
  auto xml = "<suite schema_version=\"1\" id=\"a\" class=\"nvme\">\n<test id=\"t\" run=\"exec:t.sh\"><description>d</description></test></suite>";
  REQUIRE(write_file_atomic(d / "s/suite.xml", xml).ok());
  auto r = load_suites(d.path());
  REQUIRE_FALSE(r.ok());
  CHECK(r.message() == (d / "s/suite.xml").string() + ":2: test t: script " + (d / "s/t.sh").string() + " does not exist");
  REQUIRE(write_file_atomic(d / "s/t.sh", "#!/bin/sh\nexit 0\n", 0644).ok());
  r = load_suites(d.path());
  REQUIRE_FALSE(r.ok());
  CHECK(r.message().find("t.sh is not executable") != std::string::npos);
  REQUIRE(write_file_atomic(d / "s/t.sh", "#!/bin/sh\nexit 0\n", 0755).ok());
  r = load_suites(d.path());
  CHECK(r.ok());
  auto bad = "<suite schema_version=\"1\" id=\"a\" class=\"nvme\"><test id=\"t\" run=\"exec:../t.sh\"><description>d</description></test></suite>";
  CHECK(parse_error(bad).find("must be relative to the suite folder without ..") != std::string::npos);
}

// Every suite.xml shipped in testsuites/ (whoever added it) and every sample
// suite validates against the XSD and parses.
TEST_CASE("every suite.xml validates against schemas/suite.xsd and parses") {
  std::vector<std::filesystem::path> files;
  for (auto root : {certify::test::source_path("testsuites"), fixture("suites")})
    for (const auto& e : std::filesystem::recursive_directory_iterator(root))
      if (e.path().filename() == "suite.xml") files.push_back(e.path());
  REQUIRE(files.size() >= 5);
  for (const auto& f : files) {
    auto out = certify::test::run_command({"xmllint", "--noout", "--schema",
                                           certify::test::source_path("schemas/suite.xsd").string(), f.string()});
    INFO(f.string() << ": " << out.err);
    CHECK(out.exit_code == 0);
    auto s = load_suite(f);
    CHECK_MESSAGE(s.ok(), (s.ok() ? "" : s.message()));
  }
  // The schema rejects what it should.
  TempDir d;
  REQUIRE(write_file_atomic(d / "suite.xml", "<suite schema_version=\"1\" id=\"a\" class=\"nvme\"><test id=\"t\" run=\"perl:x\" per=\"twice\"><description>d</description></test></suite>").ok());
  auto out = certify::test::run_command({"xmllint", "--noout", "--schema",
                                         certify::test::source_path("schemas/suite.xsd").string(), (d / "suite.xml").string()});
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("suite.xml:1") != std::string::npos);
}

TEST_CASE("certify plan: text, JSON, plan.json and bad suites") {
  TempDir d;
  auto certify_bin = certify::test::build_path("cli/certify").string();
  auto out = certify::test::run_command({certify_bin, "plan", "--inventory", (fixture("suites") / "inventory.json").string(),
                                         "--suites", (fixture("suites") / "plan").string(), "-o", (d / "plan.json").string()});
  INFO(out.err);
  REQUIRE(out.exit_code == 0);
  CHECK(out.out.find("Jobs (4):") != std::string::npos);
  auto pj = read_file(d / "plan.json");
  REQUIRE(pj.ok());
  auto j = nlohmann::json::parse(*pj);
  CHECK(j["jobs"].size() == 4);
  // The shipped selftest suite plans on any machine.
  out = certify::test::run_command({certify_bin, "plan", "--inventory", (fixture("suites") / "inventory.json").string(),
                                    "--only", "selftest.*", "--format", "json"});
  REQUIRE(out.exit_code == 0);
  CHECK(nlohmann::json::parse(out.out)["jobs"].size() == 2);
  std::filesystem::create_directories(d / "bad/x");
  REQUIRE(write_file_atomic(d / "bad/x/suite.xml", "<suite>\n<test>\n</suite>\n").ok());
  out = certify::test::run_command({certify_bin, "plan", "--inventory", (fixture("suites") / "inventory.json").string(),
                                    "--suites", (d / "bad").string()});
  CHECK(out.exit_code == 2);
  CHECK(out.err.find((d / "bad/x/suite.xml").string() + ":3: malformed XML") != std::string::npos);
}
