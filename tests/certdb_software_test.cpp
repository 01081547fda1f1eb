// A software certification end to end (issue 11's profile "software"):
// `certify sw-check --results` writes a run folder, libcertify-submit bundles
// and signs it like a hardware run, the real certdb server ingests it, its
// profile blocks approval while a blocking check (the install test) has not
// passed, and the approved submission becomes a certificate of kind
// "software" naming the package.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "certdb_server.hpp"
#include "core/files.hpp"
#include "submit/bundle.hpp"
#include "tests/testpackages.hpp"

using namespace certify;
using namespace certify::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {


json read_json_file(const fs::path& p) {
  auto t = read_file(p);
  REQUIRE_MESSAGE(t.ok(), t.message());
  return json::parse(*t);
}

// sw-check of one package into results/<run_id>, then the signed bundle.
std::string software_bundle(const fs::path& work, const SigningKey& key, const std::string& run_id,
                            const std::string& package, bool install) {
  std::vector<std::string> argv = {build_path("cli/certify").string(), "sw-check", "--target",
                                   fixture("swcompat/snapshot-host.json").string(), "--results",
                                   (work / "results").string(), "--run-id", run_id, "-f", "json",
                                   (test_packages() / "crafted" / package).string()};
  if (install) argv.push_back("--install");
  auto r = run_command(argv);
  INFO(r.out, r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  auto run = work / "results" / run_id;
  REQUIRE(fs::is_regular_file(run / "results.json"));
  submit::BundleOptions opt;
  opt.results = run;
  opt.output = work / (run_id + ".cbundle");
  opt.threads = 1;
  opt.sign_with = {key.key};
  auto b = submit::write_bundle(opt);
  REQUIRE_MESSAGE(b.ok(), b.message());
  auto bytes = read_file(opt.output);
  REQUIRE(bytes.ok());
  return *bytes;
}

}  // namespace

TEST_CASE("software: sw-check --results makes a run folder that validates and reports like a hardware run") {
  TempDir t;
  auto r = run_command({build_path("cli/certify").string(), "sw-check", "--target",
                        fixture("swcompat/snapshot-host.json").string(), "--results", (t / "results").string(),
                        "--run-id", "sw-1", (test_packages() / "crafted/good.deb").string(),
                        (test_packages() / "crafted/badsymver.deb").string()});
  CHECK(r.exit_code == 1);  // badsymver fails
  auto run = t / "results/sw-1";
  auto results = read_json_file(run / "results.json");
  auto inventory = read_json_file(run / "inventory.json");
  CHECK(schema_errors(results, "schemas/results.schema.json") == "");
  CHECK(schema_errors(inventory, "schemas/inventory.schema.json") == "");
  CHECK(results["profile"] == "software");
  std::map<std::string, json> jobs;
  for (auto& j : results["jobs"]) jobs[j["id"]] = j;
  REQUIRE(jobs.count("sw.elf-abi@certify-badsymver"));
  CHECK(jobs["sw.elf-abi@certify-badsymver"]["status"] == "fail");
  CHECK(jobs["sw.elf-abi@certify-badsymver"]["blocker"] == true);
  CHECK(jobs["sw.elf-abi@certify-good"]["status"] == "pass");
  CHECK(jobs["sw.install@certify-good"]["status"] == "skip");
  CHECK(jobs["sw.install@certify-good"]["reason"] == "not requested (--install)");
  // Every log a job names exists; the result.json agrees with results.json.
  for (auto& [id, j] : jobs) {
    for (const char* k : {"stdout", "stderr", "result"}) CHECK(fs::exists(run / j["logs"][k].get<std::string>()));
    CHECK(read_json_file(run / j["logs"]["result"].get<std::string>())["status"] == j["status"]);
  }
  CHECK(fs::exists(run / "sbom/certify-good.spdx.json"));
  CHECK(read_json_file(run / "reports/certify-badsymver.json")["status"] == "fail");
  REQUIRE(inventory["devices"].size() == 2);
  CHECK(inventory["devices"][0]["class"] == "software");

  auto junit = run_command({build_path("cli/certify").string(), "report", run.string(), "--format", "junit"});
  INFO(junit.err);
  CHECK(junit.out.find("sw.elf-abi@certify-badsymver") != std::string::npos);
  CHECK(junit.out.find("<failure") != std::string::npos);

  // A run folder is never overwritten.
  auto again = run_command({build_path("cli/certify").string(), "sw-check", "--target",
                            fixture("swcompat/snapshot-host.json").string(), "--results", (t / "results").string(),
                            "--run-id", "sw-1", (test_packages() / "crafted/good.deb").string()});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("never overwritten") != std::string::npos);
}

TEST_CASE("software: a signed sw-check bundle through certdb to a software certificate") {
  TempDir t;
  auto db = (t / "certdb.sqlite").string();
  std::map<std::string, std::string> tokens;
  for (auto [name, org, role] : {std::tuple{"alice", "Contoso", "submitter"}, {"rita", "SIG", "reviewer"}}) {
    certdb_cli(db, {"user", "add", name, "--org", org, "--role", role});
    auto out = certdb_cli(db, {"user", "token", name});
    tokens[name] = out.substr(0, out.find('\n'));
  }
  auto key = make_key();
  REQUIRE(write_file_atomic(t / "alice.pub", key.public_pem).ok());
  certdb_cli(db, {"user", "key", "alice", (t / "alice.pub").string()});

  CertdbServer srv(db, {"--reviewers", "1"});
  auto c = srv.client();
  auto bearer = [&](const std::string& who) { return httplib::Headers{{"Authorization", "Bearer " + tokens[who]}}; };
  auto v1 = software_bundle(t.path(), key, "sw-v1", "good.deb", false);
  auto created = post_bundle(c, tokens["alice"], v1);
  REQUIRE(created);
  REQUIRE_MESSAGE(created->status == 201, created->body);
  auto id = json::parse(created->body)["id"].get<std::string>();
  auto review = [&](json body) {
    return c.Post("/api/v1/submissions/" + id + "/review", bearer("rita"), body.dump(), "application/json");
  };
  REQUIRE(review({{"action", "claim"}})->status == 200);
  // The install test is a blocker: skipped, it refuses approval.
  auto refused = review({{"action", "approve"}});
  REQUIRE(refused);
  CHECK(refused->status == 422);
  CHECK(refused->body.find("sw.install@certify-good") != std::string::npos);
  REQUIRE(review({{"action", "request-changes"}, {"comment", "run the install test"}})->status == 200);

  auto v2 = software_bundle(t.path(), key, "sw-v2", "good.deb", true);
  auto nv = post_bundle(c, tokens["alice"], v2, "/api/v1/submissions/" + id + "/versions");
  REQUIRE(nv);
  REQUIRE_MESSAGE(nv->status == 201, nv->body);
  auto approved = review({{"action", "approve"}, {"comment", "installs and removes cleanly"}});
  REQUIRE(approved);
  REQUIRE_MESSAGE(approved->status == 200, approved->body);
  auto cert_id = json::parse(approved->body)["certificate_id"].get<std::string>();
  // The public list has it at once.
  auto listed = c.Get("/api/v1/certificates/" + cert_id);
  REQUIRE(listed);
  CHECK(listed->status == 200);
  CHECK(json::parse(listed->body, nullptr, false).value("kind", "") == "software");
  srv.stop();

  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "SELECT record FROM certificates WHERE id = ?", -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_text(st, 1, cert_id.c_str(), -1, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  auto record = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(h);
  INFO(record.dump(2));
  CHECK(record["kind"] == "software");
  CHECK(record["product"] == "certify-good");
  CHECK(record["vendor"] == "Certify Tests");
  CHECK(record["model"] == "1.0-1");
  CHECK(record["classes"] == json::array({"software"}));
  CHECK(record["os"]["id"] == "debian");
  CHECK(record["arch"] == "x86_64");
  REQUIRE(record["hardware"]["devices"].size() == 1);
  CHECK(record["hardware"]["devices"][0]["version"] == "1.0-1");
  bool install_passed = false;
  for (auto& j : record["tests"]) install_passed |= j["id"] == "sw.install@certify-good" && j["status"] == "pass";
  CHECK(install_passed);
}
