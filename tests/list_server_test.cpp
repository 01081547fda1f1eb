// The public list inside the real `certdb serve` (issue 10): the catalog is
// fed from the database at start and by the store's change notification;
// filters, paging and exports against a brute-force filter over the same
// records; reviewer actions (extend, withdraw) with their role checks, audit
// entries and effect on the list; `certdb publish --db`.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "certdb/generate.hpp"
#include "certdb_server.hpp"
#include "core/files.hpp"

using namespace certify;
using namespace certify::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

httplib::Headers auth(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

int status_of(const httplib::Result& r) { return r ? r->status : -1; }

json body_of(const httplib::Result& r) {
  REQUIRE(r);
  auto j = json::parse(r->body, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r->body);
  return j;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Accounts: a submitter of Contoso, reviewers of SIG and of Contoso, an
// admin and an auditor.
struct World {
  TempDir dir;
  std::string db = (dir / "certdb.sqlite").string();
  std::map<std::string, std::string> tokens;
  SigningKey alice_key = make_key();

  World() {
    struct U {
      const char *name, *org, *role;
    };
    for (auto u : {U{"alice", "Contoso", "submitter"}, U{"rita", "SIG", "reviewer"}, U{"carl", "Contoso", "reviewer"},
                   U{"adam", "Ops", "admin"}, U{"aude", "Audit", "auditor"}}) {
      certdb_cli(db, {"user", "add", u.name, "--org", u.org, "--role", u.role});
      auto out = certdb_cli(db, {"user", "token", u.name});
      tokens[u.name] = out.substr(0, out.find('\n'));
    }
    auto pa = dir / "alice.pub";
    REQUIRE(write_file_atomic(pa, alice_key.public_pem).ok());
    certdb_cli(db, {"user", "key", "alice", pa.string()});
  }

  // Certificate records written straight into the database, as if issued
  // earlier (the server reads them at start).
  void insert(const std::vector<json>& records) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h,
                               "INSERT INTO certificates (id, submission_id, bundle_sha256, status, vendor, product, "
                               "model, os_id, os_version, arch, classes, issued, record) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK);
    for (const auto& r : records) {
      std::string classes = ",";
      for (const auto& c : r["classes"]) classes += c.get<std::string>() + ",";
      std::vector<std::string> v = {r["id"], "SUB-GEN-" + r["id"].get<std::string>(), std::string(64, 'a'),
                                    r["status"], r["vendor"], r["product"], r.value("model", ""), r["os"]["id"],
                                    r["os"]["version_id"], r["arch"], classes, r["issued"], r.dump()};
      for (std::size_t i = 0; i < v.size(); ++i)
        sqlite3_bind_text(st, static_cast<int>(i + 1), v[i].c_str(), -1, SQLITE_TRANSIENT);
      REQUIRE(sqlite3_step(st) == SQLITE_DONE);
      sqlite3_reset(st);
    }
    REQUIRE(sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_finalize(st);
    sqlite3_close(h);
  }
};

// Every page of /api/v1/list for `query`, in order.
std::vector<std::string> all_pages(httplib::Client& c, const std::string& query, std::size_t per_page,
                                   std::size_t* total = nullptr) {
  std::vector<std::string> ids;
  for (int page = 1; page < 10000; ++page) {
    auto j = body_of(c.Get("/api/v1/list?" + query + (query.empty() ? "" : "&") + "per_page=" +
                           std::to_string(per_page) + "&page=" + std::to_string(page)));
    if (total) *total = j["total"].get<std::size_t>();
    for (const auto& e : j["entries"]) ids.push_back(e["id"]);
    if (j["entries"].size() < per_page) break;
  }
  return ids;
}

bool tested_or_extended_os(const json& r, const std::string& os, const std::string& version) {
  auto match = [&](const json& o) {
    return (os.empty() || lower(o["id"]) == os) && (version.empty() || o["version_id"] == version);
  };
  if (match(r["os"])) return true;
  for (const auto& x : r["extensions"])
    if (x["kind"] == "os" && match(x["os"])) return true;
  return false;
}

}  // namespace

TEST_CASE("certdb serve: the list of the database's certificates, filtered, sorted and paged") {
  World w;
  std::vector<json> records;
  certdb::generate_certificates(500, 11, [&](const json& r) { records.push_back(r); });
  w.insert(records);
  CertdbServer srv(w.db);
  auto c = srv.client();
  CHECK(srv.log().find("public list: 500 certificate(s)") != std::string::npos);

  // Brute force over the records: the expected ids, in id order.
  auto expect = [&](auto pred) {
    std::vector<std::string> ids;
    for (const auto& r : records)
      if (pred(r)) ids.push_back(r["id"]);
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const json& probe = records[123];
  const std::string os = probe["os"]["id"], version = probe["os"]["version_id"], arch = probe["arch"];
  const std::string cls = probe["classes"][0], vendor = probe["vendor"];

  SUBCASE("OS and version, tested or extended") {
    auto want = expect([&](const json& r) { return tested_or_extended_os(r, lower(os), version); });
    REQUIRE(want.size() > 1);
    std::size_t total = 0;
    CHECK(sorted(all_pages(c, "os=" + os + "&os_version=" + version, 7, &total)) == want);
    CHECK(total == want.size());
  }
  SUBCASE("architecture, class and vendor together") {
    auto want = expect([&](const json& r) {
      bool has = std::find(r["classes"].begin(), r["classes"].end(), cls) != r["classes"].end();
      return r["arch"] == arch && has && lower(r["vendor"]) == lower(vendor);
    });
    REQUIRE(!want.empty());
    CHECK(sorted(all_pages(c, "arch=" + arch + "&class=" + cls + "&vendor=" + httplib::detail::encode_query_param(vendor), 3)) ==
          want);
  }
  SUBCASE("model text and a date range") {
    std::string model = probe["model"];
    std::string needle = lower(model.substr(0, std::min<std::size_t>(model.size(), 4)));
    auto want = expect([&](const json& r) {
      std::string names = lower(r["product"].get<std::string>() + "\t" + r.value("model", ""));
      for (const auto& x : r["extensions"])
        if (x["kind"] == "product") names += "\t" + lower(x["product"].get<std::string>() + "\t" + x.value("model", ""));
      return names.find(needle) != std::string::npos && r["issued"] >= "2022-01-01" && r["issued"] <= "2024-06-30";
    });
    REQUIRE(!want.empty());
    CHECK(sorted(all_pages(c, "model=" + httplib::detail::encode_query_param(needle) +
                                  "&issued_from=2022-01-01&issued_to=2024-06-30",
                           50)) == want);
  }
  SUBCASE("sort orders and pages are consistent with the full export") {
    auto full = body_of(c.Get("/api/v1/list.json?sort=vendor"));
    REQUIRE(full["entries"].size() == records.size());
    std::vector<std::string> by_vendor;
    for (std::size_t i = 0; i < full["entries"].size(); ++i) {
      by_vendor.push_back(full["entries"][i]["id"]);
      if (i) CHECK(full["entries"][i - 1]["vendor"].get<std::string>() <= full["entries"][i]["vendor"].get<std::string>());
    }
    CHECK(all_pages(c, "sort=vendor", 33) == by_vendor);
    auto desc = all_pages(c, "sort=-issued", 100);
    REQUIRE(desc.size() == records.size());
    auto csv = c.Get("/api/v1/list.csv?class=" + cls);
    REQUIRE(status_of(csv) == 200);
    auto want = expect([&](const json& r) {
      return std::find(r["classes"].begin(), r["classes"].end(), cls) != r["classes"].end();
    });
    CHECK(static_cast<std::size_t>(std::count(csv->body.begin(), csv->body.end(), '\n')) == want.size() + 1);
  }
  SUBCASE("one certificate, and errors") {
    auto one = c.Get("/api/v1/certificates/" + probe["id"].get<std::string>());
    REQUIRE(status_of(one) == 200);
    CHECK(body_of(one) == probe);
    CHECK(status_of(c.Get("/api/v1/certificates/CERT-1999-000001")) == 404);
    CHECK(status_of(c.Get("/api/v1/list?sort=price")) == 400);
    CHECK(status_of(c.Get("/api/v1/list?issued_from=2024-13-01")) == 400);
    CHECK(status_of(c.Get("/api/v1/list?per_page=100000")) == 400);
  }
}

TEST_CASE("certdb serve: reviewers extend and withdraw certificates; the list and the audit log follow") {
  World w;
  CertdbServer srv(w.db, {"--reviewers", "1"});
  auto c = srv.client();
  auto bundle = make_bundle(w.dir.path(), w.alice_key, {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true}});
  auto created = post_bundle(c, w.tokens["alice"], bundle);
  REQUIRE(status_of(created) == 201);
  std::string sub = body_of(created)["id"];
  auto review = [&](json body) {
    return c.Post("/api/v1/submissions/" + sub + "/review", auth(w.tokens["rita"]), body.dump(), "application/json");
  };
  REQUIRE(status_of(review({{"action", "claim"}})) == 200);
  auto approved = review({{"action", "approve"}, {"comment", "ok"}});
  REQUIRE(status_of(approved) == 200);
  std::string id = body_of(approved)["certificate_id"];

  // Approval reaches the live list through the store's notification.
  auto listed = body_of(c.Get("/api/v1/list?q=" + id));
  REQUIRE(listed["total"] == 1);
  CHECK(listed["entries"][0]["status"] == "active");
  CHECK(listed["entries"][0]["os"]["id"] == "openeuler");
  auto record = body_of(c.Get("/api/v1/certificates/" + id));
  CHECK(record["submission_id"] == sub);

  const std::string base = "/api/v1/certificates/" + id;
  auto post = [&](const std::string& who, const std::string& path, const json& body) {
    return c.Post(base + path, auth(who.empty() ? "" : w.tokens[who]), body.dump(), "application/json");
  };
  const json product = {{"kind", "product"}, {"product", "HWLab-1100"}, {"model", "HWL-1100-1U"},
                        {"board", "HWB-10"}, {"basis", "same chassis family, 1U variant"}};
  const json os = {{"kind", "os"}, {"os", {{"id", "openEuler"}, {"version_id", "24.09"}}},
                   {"basis", "same kernel series and drivers"}};

  SUBCASE("roles: reviewers only, and not of the submitting organisation") {
    CHECK(status_of(post("", "/extend", product)) == 401);
    CHECK(status_of(post("alice", "/extend", product)) == 403);
    CHECK(status_of(post("adam", "/extend", product)) == 403);
    CHECK(status_of(post("aude", "/extend", product)) == 403);
    CHECK(status_of(post("alice", "/withdraw", {{"reason", "x"}})) == 403);
    auto own = post("carl", "/extend", product);
    CHECK(status_of(own) == 403);
    CHECK(body_of(own)["error"].get<std::string>().find("own organisation") != std::string::npos);
    // Nothing changed.
    CHECK(body_of(c.Get(base)) == record);
  }
  SUBCASE("malformed and impossible requests") {
    CHECK(status_of(c.Post(base + "/extend", auth(w.tokens["rita"]), "not json", "application/json")) == 400);
    CHECK(status_of(post("rita", "/extend", {{"kind", "product"}, {"product", "X"}, {"board", "HWB-10"}})) == 422);
    auto wrong_board = product;
    wrong_board["board"] = "HWB-99";
    auto r = post("rita", "/extend", wrong_board);
    CHECK(status_of(r) == 422);
    CHECK(body_of(r)["error"].get<std::string>().find("not the tested board") != std::string::npos);
    CHECK(status_of(post("rita", "/withdraw", json::object())) == 422);
    CHECK(status_of(c.Post("/api/v1/certificates/CERT-1999-000001/withdraw", auth(w.tokens["rita"]),
                           R"({"reason":"x"})", "application/json")) == 404);
    CHECK(body_of(c.Get(base)) == record);
  }
  SUBCASE("extension, then withdrawal, recorded and listed") {
    auto x1 = post("rita", "/extend", product);
    REQUIRE_MESSAGE(status_of(x1) == 200, x1->body);
    auto x2 = post("rita", "/extend", os);
    REQUIRE_MESSAGE(status_of(x2) == 200, x2->body);
    CHECK(status_of(post("rita", "/extend", os)) == 409);  // already extended

    // Found by the extended product's model and by the extended OS version,
    // marked as extensions with their basis.
    auto by_model = body_of(c.Get("/api/v1/list?model=HWL-1100"));
    REQUIRE(by_model["total"] == 1);
    const auto& e = by_model["entries"][0];
    REQUIRE(e["extended_products"].size() == 1);
    CHECK(e["extended_products"][0]["basis"] == "same chassis family, 1U variant (same board HWB-10)");
    auto by_os = body_of(c.Get("/api/v1/list?os=openeuler&os_version=24.09"));
    REQUIRE(by_os["total"] == 1);
    CHECK(by_os["entries"][0]["os"]["version_id"] == "24.03");  // tested on
    CHECK(by_os["entries"][0]["os_extended"][0]["version_id"] == "24.09");
    CHECK(by_os["entries"][0]["os_extended"][0]["basis"] == "same kernel series and drivers");

    auto wd = post("rita", "/withdraw", {{"reason", "firmware defect found after release"}});
    REQUIRE(status_of(wd) == 200);
    CHECK(status_of(post("rita", "/withdraw", {{"reason", "again"}})) == 409);
    CHECK(status_of(post("rita", "/extend", {{"kind", "os"}, {"os", {{"id", "rhel"}, {"version_id", "9"}}},
                                             {"basis", "x"}})) == 409);
    auto active = body_of(c.Get("/api/v1/list?q=" + id));
    REQUIRE(active["total"] == 1);  // never dropped from the list
    CHECK(active["entries"][0]["status"] == "withdrawn");
    CHECK(active["entries"][0]["withdrawn"]["reason"] == "firmware defect found after release");
    CHECK(body_of(c.Get("/api/v1/list?status=active&q=" + id))["total"] == 0);
    auto after = body_of(c.Get(base));
    CHECK(after["withdrawn"]["by"] == "rita");
    CHECK(after["extensions"].size() == 2);

    // Each action is in the audit log, and the chain verifies.
    auto audit = body_of(c.Get("/api/v1/audit", auth(w.tokens["aude"])))["entries"];
    std::vector<std::string> actions;
    for (const auto& a : audit)
      if (a["object"] == id) actions.push_back(a["action"]);
    CHECK(actions == std::vector<std::string>{"certificate.issue", "certificate.extended", "certificate.extended",
                                              "certificate.withdrawn"});
    CHECK(body_of(c.Get("/api/v1/audit/verify", auth(w.tokens["aude"])))["ok"] == true);

    // A restarted server lists the stored state.
    srv.stop();
    CertdbServer again(w.db);
    auto c2 = again.client();
    auto reloaded = body_of(c2.Get("/api/v1/list?status=withdrawn"));
    REQUIRE(reloaded["total"] == 1);
    CHECK(reloaded["entries"][0]["id"] == id);
    again.stop();

    // certdb publish --db: the static site carries the same state and proves it.
    TempDir site_dir;
    auto key = site_dir / "key.pem";
    REQUIRE(run_command({"openssl", "genpkey", "-algorithm", "ed25519", "-out", key.string()}).exit_code == 0);
    auto site = site_dir / "site";
    auto pub = run_command({build_path("certdb/certdb").string(), "publish", "--db", w.db, "--out", site.string(),
                            "--key", key.string(), "--json"});
    REQUIRE_MESSAGE(pub.exit_code == 0, pub.err);
    CHECK(json::parse(pub.out)["certificates"] == 1);
    auto ver = run_command({build_path("certdb/certdb").string(), "verify-published", "--site", site.string(), id});
    CHECK_MESSAGE(ver.exit_code == 0, ver.err);
    auto block = read_file(site / "list/00000.jsonl");
    REQUIRE(block.ok());
    CHECK(json::parse(*block)["withdrawn"]["reason"] == "firmware defect found after release");
  }
}

TEST_CASE("certdb publish --db: clear errors") {
  TempDir d;
  auto key = d / "key.pem";
  REQUIRE(run_command({"openssl", "genpkey", "-algorithm", "ed25519", "-out", key.string()}).exit_code == 0);
  auto certdb = build_path("certdb/certdb").string();
  auto missing = run_command({certdb, "publish", "--db", (d / "none.sqlite").string(), "--out", (d / "s").string(),
                              "--key", key.string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("no such database") != std::string::npos);
  CHECK_FALSE(fs::exists(d / "none.sqlite"));
  auto neither = run_command({certdb, "publish", "--out", (d / "s").string(), "--key", key.string()});
  CHECK(neither.exit_code == 2);
  CHECK(neither.err.find("--records FILE, --db DB or --changes FILE") != std::string::npos);
}
