// certdb API against the real server on 127.0.0.1: an authorisation matrix
// (every endpoint × every role), hostile uploads (forged signature, unknown
// key, replay, changed file, oversize, malformed JSON) that must get the
// right 4xx and change nothing, the review flow end to end, and crash safety
// (kill -9 during 100 concurrent uploads).
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "certdb/db.hpp"

#include <atomic>
#include <ostream>
#include <map>
#include <mutex>
#include <thread>

#include "certdb_server.hpp"
#include "core/files.hpp"

using namespace certify;
using namespace certify::test;
using nlohmann::json;

namespace {

const std::vector<SampleJob> k_good_jobs = {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true},
                                            {"nic.perf@0000:09:00.0", "nic.perf", "nic", "skip", false}};

// A database with one account per role (and a second submitting organisation).
struct World {
  TempDir dir;
  std::string db;
  std::map<std::string, std::string> tokens;  // role name → token ("" = anonymous)
  SigningKey alice_key = make_key(), fabian_key = make_key();

  explicit World(std::string url = {}) : db(url.empty() ? (dir / "certdb.sqlite").string() : std::move(url)) {
    struct U {
      const char *name, *org, *role, *as;
    };
    for (auto u : {U{"alice", "Contoso", "submitter", "submitter"}, U{"fabian", "Fabrikam", "submitter", "other-org"},
                   U{"rita", "SIG", "reviewer", "reviewer"}, U{"adam", "Ops", "admin", "admin"},
                   U{"aude", "Audit", "auditor", "auditor"}}) {
      certdb_cli(db, {"user", "add", u.name, "--org", u.org, "--role", u.role});
      auto out = certdb_cli(db, {"user", "token", u.name});
      tokens[u.as] = out.substr(0, out.find('\n'));
    }
    tokens["anonymous"] = "";
    auto pa = dir / "alice.pub", pf = dir / "fabian.pub";
    REQUIRE(write_file_atomic(pa, alice_key.public_pem).ok());
    REQUIRE(write_file_atomic(pf, fabian_key.public_pem).ok());
    CHECK(certdb_cli(db, {"user", "key", "alice", pa.string()}).find(alice_key.fingerprint) != std::string::npos);
    certdb_cli(db, {"user", "key", "fabian", pf.string()});
  }
};

httplib::Headers auth(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

std::string srv_url_https(const CertdbServer& srv) { return "https://127.0.0.1:" + std::to_string(srv.port()); }

int status_of(const httplib::Result& r) { return r ? r->status : -1; }

json body_of(const httplib::Result& r) {
  REQUIRE(r);
  auto j = json::parse(r->body, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r->body);
  return j;
}

// What must not change when a request is refused: every row of every table
// (accounts, tokens, keys, the content-addressed bundle store, submissions,
// versions, events, claims, certificates, the audit log and its head), as a
// digest per table, plus row counts for readable failures. Read through the
// storage interface, so it works on sqlite and PostgreSQL alike.
struct Snapshot {
  std::int64_t submissions = 0, versions = 0, bundles = 0, events = 0, audit = 0, certificates = 0;
  std::map<std::string, std::string> digests;  // table → SHA-256 of its rows in key order
  bool operator==(const Snapshot&) const = default;
};
Snapshot snapshot(const std::string& db) {
  auto c = certdb::open_connection(db);
  Snapshot s;
  for (const char* table : {"users", "tokens", "keys", "bundles", "counters", "submissions", "versions", "events",
                            "claims", "certificates", "audit", "audit_head"}) {
    std::string all;
    std::int64_t rows = 0;
    for (const auto& r : c->query(std::string("SELECT * FROM ") + table + " ORDER BY 1, 2")) {
      ++rows;
      for (std::size_t i = 0; i < r.cols.size(); ++i) all += (r.is_null(i) ? std::string("\x01NULL") : r.text(i)) + '\x1f';
      all += '\x1e';
    }
    s.digests[table] = std::to_string(rows) + ":" + sha256_hex(all);
    std::string t = table;
    if (t == "submissions") s.submissions = rows;
    if (t == "versions") s.versions = rows;
    if (t == "bundles") s.bundles = rows;
    if (t == "events") s.events = rows;
    if (t == "audit") s.audit = rows;
    if (t == "certificates") s.certificates = rows;
  }
  return s;
}

std::ostream& operator<<(std::ostream& os, const Snapshot& s) {
  for (const auto& [t, d] : s.digests) os << t << "=" << d.substr(0, d.find(':') + 9) << " ";
  return os;
}

}  // namespace

namespace {

void authorisation_matrix(World& w) {
  auto bundle = make_bundle(w.dir.path(), w.alice_key, k_good_jobs);
  auto second_pem = make_key().public_pem;
  CertdbServer srv(w.db);
  auto c = srv.client();
  auto created = post_bundle(c, w.tokens["submitter"], bundle);
  REQUIRE(status_of(created) == 201);
  auto id = body_of(created)["id"].get<std::string>();

  const std::vector<std::string> roles = {"anonymous", "submitter", "other-org", "reviewer", "admin", "auditor"};
  struct Row {
    std::string method, path, body;
    std::vector<int> expect;  // in the order of `roles`
  };
  // 401 without a token; 403 for a role that may not; 404 for another
  // organisation's submission (its existence is not revealed).
  const std::string sub = "/api/v1/submissions/" + id;
  const std::vector<Row> matrix = {
      {"GET", "/api/v1/whoami", "", {401, 200, 200, 200, 200, 200}},
      {"GET", "/api/v1/submissions", "", {401, 200, 200, 200, 403, 200}},
      {"GET", sub, "", {401, 200, 404, 200, 403, 200}},
      {"GET", sub + "/bundle", "", {401, 200, 404, 200, 403, 200}},
      {"GET", sub + "/diff?from=1&to=1", "", {401, 200, 404, 200, 403, 200}},
      {"POST", "/api/v1/submissions", "BUNDLE", {401, 200, 422, 403, 403, 403}},
      {"POST", sub + "/versions", "BUNDLE", {401, 200, 404, 403, 403, 403}},
      {"POST", sub + "/review", R"({"action":"comment","comment":"matrix"})", {401, 200, 404, 200, 403, 403}},
      {"POST", sub + "/review", R"({"action":"claim"})", {401, 403, 404, 200, 403, 403}},
      {"GET", "/api/v1/queue", "", {401, 403, 403, 200, 403, 403}},
      {"GET", "/api/v1/audit", "", {401, 403, 403, 403, 403, 200}},
      {"GET", "/api/v1/audit/verify", "", {401, 403, 403, 403, 403, 200}},
      {"GET", "/api/v1/users", "", {401, 403, 403, 403, 200, 403}},
      {"POST", "/api/v1/users", R"({"name":"matrix","org":"X","role":"reviewer"})", {401, 403, 403, 403, 201, 403}},
      {"POST", "/api/v1/users/alice/role", R"({"role":"submitter"})", {401, 403, 403, 403, 200, 403}},
      {"POST", "/api/v1/users/alice/tokens", R"({"label":"matrix"})", {401, 403, 403, 403, 201, 403}},
      {"POST", "/api/v1/users/alice/keys", json{{"pem", second_pem}}.dump(), {401, 403, 403, 403, 201, 403}},
  };
  for (const auto& row : matrix) {
    for (std::size_t i = 0; i < roles.size(); ++i) {
      CAPTURE(row.method + " " + row.path + " as " + roles[i]);
      auto token = w.tokens[roles[i]];
      auto before = snapshot(w.db);
      auto r = row.method == "GET"    ? c.Get(row.path, auth(token))
               : row.body == "BUNDLE" ? post_bundle(c, token, bundle, row.path)
                                      : c.Post(row.path, auth(token), row.body, "application/json");
      CHECK(status_of(r) == row.expect[i]);
      if (r && r->status >= 400) {
        CHECK(body_of(r).contains("error"));
        CHECK(snapshot(w.db) == before);  // a refused request changes nothing
      }
    }
  }
}

void hostile_uploads(World& w) {
  auto c_dir = w.dir / "bundles";
  std::filesystem::create_directories(c_dir);
  auto good = make_bundle(c_dir, w.alice_key, k_good_jobs);
  CertdbServer srv(w.db, {"--max-bundle-mib", "1"});
  auto c = srv.client();
  auto token = w.tokens["submitter"];
  auto first = post_bundle(c, token, good);
  REQUIRE(status_of(first) == 201);
  auto id = body_of(first)["id"].get<std::string>();
  auto before = snapshot(w.db);

  SUBCASE("replayed upload: the same submission, flagged duplicate, nothing new") {
    auto r = post_bundle(c, token, good);
    CHECK(status_of(r) == 200);
    auto j = body_of(r);
    CHECK(j["id"] == id);
    CHECK(j["duplicate"] == true);
    CHECK(snapshot(w.db) == before);
  }
  SUBCASE("unknown key: signed by a key registered to nobody") {
    auto stranger = make_key();
    auto r = post_bundle(c, token, make_bundle(c_dir, stranger, k_good_jobs));
    CHECK(status_of(r) == 422);
    CHECK(body_of(r)["error"].get<std::string>().find("verification failed") != std::string::npos);
  }
  SUBCASE("another organisation's key: verifies only against the uploader's keys") {
    auto r = post_bundle(c, token, make_bundle(c_dir, w.fabian_key, k_good_jobs, "fab"));
    CHECK(status_of(r) == 422);
  }
  SUBCASE("forged signature: claims alice's key, signed by another") {
    auto mallory = make_key();
    auto tar = bundle_to_tar(c_dir, make_bundle(c_dir, mallory, k_good_jobs, "forged"));
    auto pos = tar.find(mallory.fingerprint);
    REQUIRE(pos != std::string::npos);
    tar.replace(pos, mallory.fingerprint.size(), w.alice_key.fingerprint);
    auto r = post_bundle(c, token, tar_to_bundle(c_dir, tar));
    CHECK(status_of(r) == 422);
  }
  SUBCASE("changed file: one byte of a log differs from the manifest") {
    auto tar = bundle_to_tar(c_dir, make_bundle(c_dir, w.alice_key, k_good_jobs, "changed"));
    auto pos = tar.find("output of nic.link");
    REQUIRE(pos != std::string::npos);
    tar[pos] = 'O';
    auto r = post_bundle(c, token, tar_to_bundle(c_dir, tar));
    CHECK(status_of(r) == 422);
  }
  SUBCASE("declared hash differs from the body") {
    auto other = make_bundle(c_dir, w.alice_key, k_good_jobs, "hash");
    auto r = c.Post("/api/v1/submissions",
                    {{"Authorization", "Bearer " + token}, {"X-Certify-Bundle-SHA256", sha256_hex("x")}}, other,
                    "application/vnd.certify.bundle");
    CHECK(status_of(r) == 400);
  }
  SUBCASE("oversize upload") {
    std::string big(std::size_t{2} << 20, 'x');
    auto r = post_bundle(c, token, big);
    CHECK(status_of(r) == 413);
  }
  SUBCASE("not a bundle at all") {
    auto r = post_bundle(c, token, "{\"this\": \"is json\"}");
    CHECK(status_of(r) == 422);
    auto empty = post_bundle(c, token, "");
    CHECK(status_of(empty) == 400);
  }
  SUBCASE("wrong media type") {
    auto r = c.Post("/api/v1/submissions", auth(token), good, "text/plain");
    CHECK(status_of(r) == 415);
  }
  SUBCASE("malformed JSON and bad review requests") {
    auto rev = w.tokens["reviewer"];
    CHECK(status_of(c.Post("/api/v1/submissions/" + id + "/review", auth(rev), "{not json", "application/json")) == 400);
    CHECK(status_of(c.Post("/api/v1/submissions/" + id + "/review", auth(rev), "[1,2]", "application/json")) == 400);
    CHECK(status_of(c.Post("/api/v1/submissions/" + id + "/review", auth(rev), R"({"action":"bless"})",
                           "application/json")) == 400);
    CHECK(status_of(c.Post("/api/v1/submissions/" + id + "/review", auth(rev), R"({"action":"comment","comment":7})",
                           "application/json")) == 400);
    CHECK(status_of(c.Post("/api/v1/submissions/SUB-999999/review", auth(rev), R"({"action":"claim"})",
                           "application/json")) == 404);
    auto admin = w.tokens["admin"];
    CHECK(status_of(c.Post("/api/v1/users", auth(admin), "{\"name\":", "application/json")) == 400);
    CHECK(status_of(c.Post("/api/v1/users", auth(admin), R"({"name":"x","org":"y","role":"god"})",
                           "application/json")) == 400);
    CHECK(status_of(c.Post("/api/v1/users/alice/keys", auth(admin), R"({"pem":"not a key"})", "application/json")) ==
          400);
    CHECK(status_of(c.Get("/api/v1/submissions?state=nonsense", auth(rev))) == 400);
    CHECK(status_of(c.Get("/api/v1/audit?after=abc", auth(w.tokens["auditor"]))) == 400);
  }
  SUBCASE("revoked or garbage tokens") {
    CHECK(status_of(post_bundle(c, "cdb_" + std::string(64, '0'), good)) == 401);
    CHECK(status_of(c.Get("/api/v1/whoami", {{"Authorization", "Basic abc"}})) == 401);
  }
  CHECK(snapshot(w.db) == before);
  srv.stop();
  CHECK(certdb_cli(w.db, {"audit", "verify"}).find("audit log OK") != std::string::npos);
}

}  // namespace

TEST_CASE("api: authorisation matrix, every endpoint x every role") {
  World w;
  authorisation_matrix(w);
}

TEST_CASE("api: hostile uploads get the right 4xx and change nothing") {
  World w;
  hostile_uploads(w);
}

TEST_CASE("postgres: authorisation matrix and hostile uploads on PostgreSQL" * doctest::test_suite("postgres") *
          doctest::skip()) {
  SUBCASE("matrix") {
    World w(fresh_postgres_db());
    authorisation_matrix(w);
  }
  SUBCASE("hostile uploads") {
    World w(fresh_postgres_db());
    hostile_uploads(w);
  }
}

namespace {

void review_flow(World& w) {
  auto dir = w.dir.path();
  CertdbServer srv(w.db, {"--reviewers", "1"});
  auto c = srv.client();
  auto sub = w.tokens["submitter"], rev = w.tokens["reviewer"];
  auto v1 = make_bundle(dir, w.alice_key, {{"nic.link@0000:09:00.0", "nic.link", "nic", "fail", true}});
  auto created = body_of(post_bundle(c, sub, v1));
  auto id = created["id"].get<std::string>();
  CHECK(created["state"] == "submitted");
  CHECK(created["duplicate"] == false);

  auto review = [&](const std::string& token, json body) {
    return c.Post("/api/v1/submissions/" + id + "/review", auth(token), body.dump(), "application/json");
  };
  auto queue = body_of(c.Get("/api/v1/queue", auth(rev)))["queue"];
  REQUIRE(queue.size() == 1);
  CHECK(queue[0]["claimed"] == false);
  CHECK(status_of(review(rev, {{"action", "claim"}})) == 200);
  CHECK(body_of(c.Get("/api/v1/queue", auth(rev)))["queue"][0]["claimed_by"] == json::array({"rita"}));
  // A failed blocker: the profile forbids approval.
  auto refused = review(rev, {{"action", "approve"}});
  CHECK(status_of(refused) == 422);
  CHECK(body_of(refused)["error"].get<std::string>().find("nic.link@0000:09:00.0") != std::string::npos);
  CHECK(status_of(review(rev, {{"action", "request-changes"}, {"comment", "the link test failed"}})) == 200);
  CHECK(body_of(c.Get("/api/v1/submissions/" + id, auth(sub)))["state"] == "changes-requested");
  CHECK(status_of(review(sub, {{"action", "comment"}, {"comment", "cable replaced, rerun attached"}})) == 200);
  auto v2 = make_bundle(dir, w.alice_key, {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true}});
  auto nv = post_bundle(c, sub, v2, "/api/v1/submissions/" + id + "/versions");
  REQUIRE(status_of(nv) == 201);
  CHECK(body_of(nv)["version"] == 2);
  CHECK(body_of(nv)["state"] == "in-review");
  auto diff = body_of(c.Get("/api/v1/submissions/" + id + "/diff?from=1&to=2", auth(rev)));
  REQUIRE(diff["tests"]["changed"].size() == 1);
  CHECK(diff["tests"]["changed"][0]["from"] == "fail");
  CHECK(diff["tests"]["changed"][0]["to"] == "pass");
  auto approved = review(rev, {{"action", "approve"}, {"comment", "ok"}});
  REQUIRE(status_of(approved) == 200);
  auto j = body_of(approved);
  CHECK(j["state"] == "approved");
  REQUIRE(j.contains("certificate_id"));
  auto detail = body_of(c.Get("/api/v1/submissions/" + id, auth(w.tokens["auditor"])));
  CHECK(detail["versions"].size() == 2);
  std::vector<std::string> actions;
  for (const auto& e : detail["events"]) actions.push_back(e["action"]);
  CHECK(actions == std::vector<std::string>{"claim", "request-changes", "comment", "new-version", "approve"});
  auto bundle = c.Get("/api/v1/submissions/" + id + "/bundle?version=2", auth(rev));
  REQUIRE(status_of(bundle) == 200);
  CHECK(bundle->body == v2);
  auto audit = body_of(c.Get("/api/v1/audit/verify", auth(w.tokens["auditor"])));
  CHECK(audit["ok"] == true);
}

}  // namespace

TEST_CASE("api: review flow to a certificate, with a new version and a diff") {
  World w;
  review_flow(w);
}

TEST_CASE("postgres: the server's review flow on PostgreSQL" * doctest::test_suite("postgres") * doctest::skip()) {
  World w(fresh_postgres_db());
  review_flow(w);
  // Replays and refusals behave the same.
  CertdbServer srv(w.db);
  auto c = srv.client();
  auto b = make_bundle(w.dir.path(), w.alice_key, k_good_jobs, "pg");
  auto first = post_bundle(c, w.tokens["submitter"], b);
  REQUIRE(status_of(first) == 201);
  auto again = post_bundle(c, w.tokens["submitter"], b);
  CHECK(status_of(again) == 200);
  CHECK(body_of(again)["duplicate"] == true);
  CHECK(status_of(post_bundle(c, w.tokens["other-org"], b)) == 422);
  CHECK(status_of(c.Get("/api/v1/queue", auth(w.tokens["admin"]))) == 403);
}

TEST_CASE("api: /queue and /submissions are paged by limit and cursor") {
  World w;
  CertdbServer srv(w.db);
  auto c = srv.client();
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 5; ++i) {
    auto r = post_bundle(c, w.tokens["submitter"], make_bundle(w.dir.path(), w.alice_key, k_good_jobs, "page" + std::to_string(i)));
    REQUIRE(status_of(r) == 201);
    ids.push_back(body_of(r)["id"]);
  }
  auto fab = post_bundle(c, w.tokens["other-org"], make_bundle(w.dir.path(), w.fabian_key, k_good_jobs, "pagefab"));
  REQUIRE(status_of(fab) == 201);
  ids.push_back(body_of(fab)["id"]);
  auto rev = w.tokens["reviewer"];

  // Walks every page of `path` with ?limit=2; the array is under `key`.
  auto walk = [&](const std::string& token, const std::string& path, const std::string& key) {
    std::vector<std::string> seen;
    std::string after;
    for (int pages = 0; pages < 20; ++pages) {
      auto url = path + (path.find('?') == std::string::npos ? "?" : "&") + "limit=2" +
                 (after.empty() ? "" : "&after=" + httplib::detail::encode_query_param(after));
      auto j = body_of(c.Get(url, auth(token)));
      REQUIRE(j[key].is_array());
      CHECK(j[key].size() <= 2);
      for (const auto& e : j[key]) seen.push_back(e["id"]);
      if (j["next"].is_null()) return seen;
      REQUIRE(j["next"].is_string());
      after = j["next"];
    }
    FAIL("pages never end");
    return seen;
  };
  CHECK(walk(rev, "/api/v1/queue", "queue") == ids);
  auto q = body_of(c.Get("/api/v1/queue?limit=4", auth(rev)));
  CHECK(q["total"] == 6);
  CHECK(q["queue"].size() == 4);
  CHECK(q["next"].is_string());
  CHECK(body_of(c.Get("/api/v1/queue", auth(rev)))["next"].is_null());  // 6 fit the default page
  std::vector<std::string> newest(ids.rbegin(), ids.rend());
  CHECK(walk(rev, "/api/v1/submissions", "submissions") == newest);
  // A submitter's pages hold only their organisation's submissions.
  std::vector<std::string> contoso(newest.begin() + 1, newest.end());
  CHECK(walk(w.tokens["submitter"], "/api/v1/submissions", "submissions") == contoso);
  CHECK(walk(w.tokens["other-org"], "/api/v1/submissions?state=submitted", "submissions") ==
        std::vector<std::string>{ids.back()});

  for (const auto& bad : std::vector<std::string>{"limit=0", "limit=1001", "limit=abc", "limit=5x", "limit=-1", "after=garbage",
                                "after=" + httplib::detail::encode_query_param("2026-01-01T00:00:00Z_SUB-1' OR 1=1")}) {
    CAPTURE(bad);
    for (const std::string path : {"/api/v1/queue?", "/api/v1/submissions?"}) {
      auto r = c.Get(path + bad, auth(rev));
      CHECK(status_of(r) == 400);
      CHECK(body_of(r).contains("error"));
    }
  }
}

TEST_CASE("crash safety: kill -9 during 100 concurrent uploads loses nothing acknowledged") {
  World w;
  auto dir = w.dir / "bundles";
  std::filesystem::create_directories(dir);
  std::vector<std::string> bundles;
  for (int i = 0; i < 100; ++i) bundles.push_back(make_bundle(dir, w.alice_key, k_good_jobs, "crash" + std::to_string(i)));
  auto token = w.tokens["submitter"];
  std::mutex mu;
  std::map<std::string, std::string> acknowledged;  // sha256 → submission id
  {
    CertdbServer srv(w.db, {"--threads", "16"});
    std::atomic<int> next{0};
    std::atomic<int> acks{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 10; ++t)
      clients.emplace_back([&] {
        auto c = srv.client();
        c.set_connection_timeout(2, 0);
        for (int i = next++; i < 100; i = next++) {
          auto r = post_bundle(c, token, bundles[i]);
          if (r && r->status == 201) {
            auto j = json::parse(r->body);
            std::lock_guard lock(mu);
            acknowledged[sha256_hex(bundles[i])] = j["id"];
            ++acks;
          }
        }
      });
    while (acks < 30) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    srv.kill9();
    for (auto& t : clients) t.join();
  }
  MESSAGE("acknowledged before the kill: " << acknowledged.size());
  CHECK(acknowledged.size() >= 30);
  CHECK(acknowledged.size() < 100);

  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(w.db.c_str(), &h) == SQLITE_OK);
  auto scalar = [&](const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  };
  CHECK(scalar("PRAGMA integrity_check") == "ok");
  // None half-stored: every submission has its version and its bundle bytes.
  CHECK(scalar("SELECT COUNT(*) FROM submissions s LEFT JOIN versions v ON v.submission_id = s.id "
               "LEFT JOIN bundles b ON b.sha256 = v.bundle_sha256 WHERE b.sha256 IS NULL") == "0");
  CHECK(scalar("SELECT COUNT(*) FROM bundles WHERE sha256 NOT IN (SELECT bundle_sha256 FROM versions)") == "0");
  sqlite3_close(h);

  CertdbServer again(w.db);
  auto c = again.client();
  for (const auto& [sha, id] : acknowledged) {
    auto r = c.Get("/api/v1/submissions/" + id, auth(token));
    REQUIRE(status_of(r) == 200);
    CHECK(body_of(r)["versions"][0]["bundle_sha256"] == sha);
  }
  // Uploads that were cut off can be retried and land once.
  auto had = snapshot(w.db).submissions;
  int created = 0;
  for (const auto& b : bundles) {
    auto r = post_bundle(c, token, b);
    REQUIRE((status_of(r) == 200 || status_of(r) == 201));
    if (r->status == 201) ++created;
  }
  CHECK(created == 100 - had);
  CHECK(snapshot(w.db).submissions == 100);
  again.stop();
  CHECK(certdb_cli(w.db, {"audit", "verify"}).find("audit log OK") != std::string::npos);
}

namespace {

// A self-signed certificate for 127.0.0.1 and its key, made by openssl(1).
void make_tls_pair(const std::filesystem::path& cert, const std::filesystem::path& key, const std::string& cn) {
  auto r = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key.string(), "-out", cert.string(), "-days", "2", "-subj", "/CN=" + cn,
                        "-addext", "subjectAltName=IP:127.0.0.1"});
  REQUIRE_MESSAGE(r.exit_code == 0, "openssl req: " << r.err);
}

// `certdb serve` that is expected to refuse to start; bounded by timeout(1)
// so a server that starts anyway fails the test instead of hanging it.
CommandOutput serve_refused(const std::string& db, std::vector<std::string> extra) {
  std::vector<std::string> argv = {"timeout", "20", build_path("certdb/certdb").string(), "serve", "--db", db,
                                   "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_command(argv);
}

}  // namespace

TEST_CASE("tls: HTTPS with --tls-cert/--tls-key; plain HTTP to it fails; bad key files stop the start") {
  World w;
  auto cert = w.dir / "cert.pem", key = w.dir / "key.pem";
  make_tls_pair(cert, key, "127.0.0.1");

  SUBCASE("served over TLS, verified against the certificate as CA") {
    CertdbServer srv(w.db, {"--tls-cert", cert.string(), "--tls-key", key.string()});
    CHECK(srv.log().find("listening on https://127.0.0.1:") != std::string::npos);
    httplib::SSLClient tls("127.0.0.1", srv.port());
    tls.set_ca_cert_path(cert.string());
    tls.enable_server_certificate_verification(true);
    auto who = tls.Get("/api/v1/whoami", auth(w.tokens["reviewer"]));
    REQUIRE_MESSAGE(who, "TLS request failed: " << httplib::to_string(who.error()));
    CHECK(who->status == 200);
    CHECK(body_of(who)["name"] == "rita");
    // A real upload over TLS: verified, stored, visible.
    auto bundle = make_bundle(w.dir.path(), w.alice_key, k_good_jobs, "tls");
    httplib::Headers h = {{"X-Certify-Bundle-SHA256", sha256_hex(bundle)},
                          {"Authorization", "Bearer " + w.tokens["submitter"]}};
    auto up = tls.Post("/api/v1/submissions", h, bundle, "application/vnd.certify.bundle");
    REQUIRE(up);
    CHECK(up->status == 201);
    CHECK(snapshot(w.db).submissions == 1);

    // An independent client (curl) agrees: the certificate verifies for 127.0.0.1.
    auto curl = run_command({"curl", "-sS", "--max-time", "20", "--cacert", cert.string(), srv_url_https(srv) + "/healthz"});
    CHECK_MESSAGE(curl.exit_code == 0, curl.err);
    CHECK(curl.out.find("\"ok\": true") != std::string::npos);

    // Without trusting the certificate the handshake is refused: the client really verifies.
    httplib::SSLClient untrusting("127.0.0.1", srv.port());
    untrusting.set_ca_cert_path(w.dir.path().string() + "/no-such-ca.pem");
    auto refused = untrusting.Get("/healthz");
    CHECK_FALSE(refused);
    auto curl_untrusting = run_command({"curl", "-sS", "--max-time", "20", "--cacert", "/dev/null",
                                        srv_url_https(srv) + "/healthz"});
    CHECK(curl_untrusting.exit_code != 0);

    // Plain HTTP to the TLS port gets no HTTP answer.
    auto plain = srv.client();
    plain.set_read_timeout(5, 0);
    auto p = plain.Get("/healthz");
    CHECK_FALSE((p && p->status == 200));
    auto curl_plain = run_command({"curl", "-sS", "--max-time", "20", srv.url() + "/healthz"});
    CHECK(curl_plain.exit_code != 0);
    CHECK(curl_plain.out.find("\"ok\"") == std::string::npos);
    // ... and the server is still serving TLS after those failed handshakes.
    auto again = tls.Get("/healthz");
    REQUIRE(again);
    CHECK(again->status == 200);
  }

  SUBCASE("a key file that is missing, not a key, or of another certificate: a clear error, no server") {
    auto other_cert = w.dir / "other-cert.pem", other_key = w.dir / "other-key.pem";
    make_tls_pair(other_cert, other_key, "other");
    auto garbage = w.dir / "garbage.pem";
    REQUIRE(write_file_atomic(garbage, "not a PEM file\n").ok());
    struct Case {
      std::vector<std::string> args;
      std::string says;
    };
    auto missing = (w.dir / "missing.pem").string();
    const std::vector<Case> cases = {
        {{"--tls-cert", cert.string(), "--tls-key", missing}, "--tls-key"},
        {{"--tls-cert", cert.string(), "--tls-key", w.dir.path().string()}, "--tls-key"},
        {{"--tls-cert", cert.string(), "--tls-key", garbage.string()}, "not a PEM private key"},
        {{"--tls-cert", cert.string(), "--tls-key", other_key.string()}, "--tls-key " + other_key.string()},
        {{"--tls-cert", garbage.string(), "--tls-key", key.string()}, "not a PEM certificate"},
        {{"--tls-cert", missing, "--tls-key", key.string()}, "--tls-cert"},
        {{"--tls-cert", cert.string()}, "go together"},
        {{"--tls-key", key.string()}, "go together"},
    };
    for (const auto& c : cases) {
      std::string joined;
      for (const auto& a : c.args) joined += a + " ";
      CAPTURE(joined);
      auto r = serve_refused(w.db, c.args);
      CHECK(r.exit_code == 2);  // a setup error; 124 would mean it served
      CHECK_MESSAGE(r.err.find(c.says) != std::string::npos, r.err);
      CHECK(r.err.find("listening") == std::string::npos);
    }
    // The missing file is named, with the reason.
    auto r = serve_refused(w.db, {"--tls-cert", cert.string(), "--tls-key", missing});
    CHECK_MESSAGE(r.err.find(missing) != std::string::npos, r.err);
  }
}
