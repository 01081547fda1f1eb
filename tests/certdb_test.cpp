// certdb core: review rules and profile criteria, the audit chain against
// tampering (direct SQL on the sqlite file), the store's accounts, ingest,
// review workflow with N reviewers and certificate records, migrations.
#include <doctest/doctest.h>
#include <functional>
#include <atomic>
#include <map>
#include <thread>

#include "certdb/audit.hpp"
#include "certdb/copy.hpp"
#include "certdb/diff.hpp"
#include "certdb/migrations.hpp"
#include "certdb/review.hpp"
#include "certdb/store.hpp"
#include "certdb_testutil.hpp"
#include "core/files.hpp"
#include "testutil.hpp"

using namespace certify;
using namespace certify::certdb;
using nlohmann::json;

namespace {

Actor actor(Role r, std::string org = "ReviewOrg") { return {1, "someone", std::move(org), r}; }

}  // namespace

TEST_CASE("review rules: roles, organisations and states") {
  ReviewContext ctx;
  ctx.org = "Contoso";
  // Administrators and auditors never review.
  for (auto a : {Action::claim, Action::comment, Action::approve, Action::reject, Action::request_changes}) {
    CHECK(decide(actor(Role::admin), a, "x", ctx).refusal().status == 403);
    CHECK(decide(actor(Role::auditor), a, "x", ctx).refusal().status == 403);
  }
  // Nobody reviews their own organisation's submission.
  CHECK(decide(actor(Role::reviewer, "Contoso"), Action::claim, "", ctx).refusal().status == 403);
  CHECK(decide(actor(Role::reviewer, "Contoso"), Action::comment, "hi", ctx).refusal().status == 403);
  // Submitters comment and send versions for their own organisation only.
  CHECK(decide(actor(Role::submitter, "Contoso"), Action::comment, "answer", ctx).ok());
  CHECK(decide(actor(Role::submitter, "Contoso"), Action::approve, "", ctx).refusal().status == 403);
  CHECK(decide(actor(Role::submitter, "Fabrikam"), Action::comment, "x", ctx).refusal().status == 403);
  // Deciding needs a claim and the in-review state.
  CHECK(decide(actor(Role::reviewer), Action::approve, "", ctx).refusal().status == 409);
  auto claim = decide(actor(Role::reviewer), Action::claim, "", ctx);
  REQUIRE(claim.ok());
  CHECK(claim->next == State::in_review);
  CHECK(claim->add_claim);
  ctx.state = State::in_review;
  ctx.actor_claimed = true;
  CHECK(decide(actor(Role::reviewer), Action::claim, "", ctx).refusal().status == 409);
  CHECK(decide(actor(Role::reviewer), Action::request_changes, "", ctx).refusal().status == 400);
  CHECK(decide(actor(Role::reviewer), Action::request_changes, "fix the NIC log", ctx)->next ==
        State::changes_requested);
  CHECK(decide(actor(Role::reviewer), Action::reject, "bad", ctx)->next == State::rejected);
  // Changes requested → a new version puts it back in review.
  ctx.state = State::changes_requested;
  CHECK(decide(actor(Role::submitter, "Contoso"), Action::new_version, "", ctx)->next == State::in_review);
  CHECK(decide(actor(Role::reviewer), Action::approve, "", ctx).refusal().status == 409);
  // Final states take nothing.
  ctx.state = State::approved;
  CHECK(decide(actor(Role::reviewer), Action::comment, "late", ctx).refusal().status == 409);
  CHECK(decide(actor(Role::submitter, "Contoso"), Action::new_version, "", ctx).refusal().status == 409);
}

TEST_CASE("review rules: N reviewers and the profile criteria") {
  ReviewContext ctx;
  ctx.org = "Contoso";
  ctx.state = State::in_review;
  ctx.actor_claimed = true;
  ctx.reviewers_required = 2;
  auto first = decide(actor(Role::reviewer), Action::approve, "", ctx);
  REQUIRE(first.ok());
  CHECK(first->record_approval);
  CHECK(first->next == State::in_review);
  CHECK_FALSE(first->issue_certificate);
  ctx.approvals = 1;
  auto second = decide(actor(Role::reviewer), Action::approve, "", ctx);
  CHECK(second->next == State::approved);
  CHECK(second->issue_certificate);
  ctx.actor_approved = true;
  CHECK(decide(actor(Role::reviewer), Action::approve, "", ctx).refusal().status == 409);
  ctx.actor_approved = false;
  ctx.criteria_failures = {"nic: blocking test nic.link@x is fail"};
  auto refused = decide(actor(Role::reviewer), Action::approve, "", ctx);
  CHECK(refused.refusal().status == 422);
  CHECK(refused.refusal().message.find("nic.link@x") != std::string::npos);
}

TEST_CASE("profile criteria: blockers and required tests per claimed class") {
  auto results = test::sample_results({{"nic.link@a", "nic.link", "nic", "pass", true},
                                       {"nic.perf@a", "nic.perf", "nic", "skip", false},
                                       {"nvme.identify@b", "nvme.identify", "nvme", "pass", true}});
  auto classes = claimed_classes(results);
  CHECK(classes == std::vector<std::string>{"nic", "nvme"});
  Profile p;
  CHECK(criteria_failures(p, results, classes).empty());
  p.required["nic"] = {"nic.perf"};
  auto f = criteria_failures(p, results, classes);
  REQUIRE(f.size() == 1);
  CHECK(f[0].find("nic.perf@a did not pass (skip)") != std::string::npos);
  p.required["nic"] = {"nic.sriov"};
  CHECK(criteria_failures(p, results, classes).at(0).find("nic.sriov was not run") != std::string::npos);
  auto failing = test::sample_results({{"nvme.identify@b", "nvme.identify", "nvme", "fail", true}});
  CHECK(criteria_failures(Profile{}, failing, claimed_classes(failing)).size() == 1);
  CHECK_FALSE(criteria_failures(Profile{}, json::object(), {}).empty());

  auto parsed = parse_profile(json::parse(R"({"name":"v1","reviewers":2,"classes":{"nic":{"required":["nic.link"]}}})"));
  REQUIRE(parsed.ok());
  CHECK(parsed->reviewers == 2);
  CHECK(parsed->required.at("nic") == std::vector<std::string>{"nic.link"});
  CHECK_FALSE(parse_profile(json::parse(R"({"reviewers":0})")).ok());
  CHECK_FALSE(parse_profile(json::parse(R"({"classes":{"nic":{}}})")).ok());
  CHECK(parse_profile(json::parse(R"({"typo":1})")).message().find("unknown key") != std::string::npos);
}

TEST_CASE("audit chain: altered, removed, reordered and truncated entries are found") {
  std::vector<AuditEntry> log;
  std::string prev = k_genesis_hash;
  for (int i = 1; i <= 5; ++i) {
    AuditEntry e;
    e.seq = i;
    e.time = "2026-01-01T00:00:0" + std::to_string(i) + "Z";
    e.actor = "alice";
    e.action = "user.add";
    e.object = "u" + std::to_string(i);
    e.detail = {{"n", i}};
    e.prev_hash = prev;
    e.hash = audit_hash(e);
    prev = e.hash;
    log.push_back(e);
  }
  auto head = std::make_pair(std::int64_t{5}, log.back().hash);
  CHECK(verify_chain(log, head).ok);
  auto altered = log;
  altered[2].object = "mallory";
  CHECK_FALSE(verify_chain(altered, head).ok);
  auto removed = log;
  removed.erase(removed.begin() + 1);
  CHECK_FALSE(verify_chain(removed, head).ok);
  auto reordered = log;
  std::swap(reordered[1], reordered[2]);
  CHECK_FALSE(verify_chain(reordered, head).ok);
  auto truncated = log;
  truncated.pop_back();
  CHECK_FALSE(verify_chain(truncated, head).ok);
  // Rewriting the chain from an edit onwards still differs from an anchored head.
  CHECK(verify_chain(truncated, std::make_pair(std::int64_t{4}, truncated.back().hash)).ok);
}

TEST_CASE("store: accounts, tokens hashed at rest, keys, audit of every change") {
  test::TempDir tmp;
  auto db = (tmp / "certdb.sqlite").string();
  Store store(db, {});
  CHECK(store.schema_version() == latest_schema_version());
  REQUIRE(store.add_user("cli:root", "vendor1", "Contoso", Role::submitter).ok());
  CHECK(store.add_user("cli:root", "vendor1", "Contoso", Role::submitter).refusal().status == 409);
  CHECK(store.add_user("cli:root", "bad name", "Contoso", Role::submitter).refusal().status == 400);
  auto token = store.issue_token("cli:root", "vendor1", "ci");
  REQUIRE(token.ok());
  auto who = store.authenticate(*token);
  REQUIRE(who);
  CHECK(who->name == "vendor1");
  CHECK_FALSE(store.authenticate(*token + "x"));
  // Only the hash is stored: the token text appears nowhere in the file.
  auto raw = read_file(db);
  REQUIRE(raw.ok());
  CHECK(raw->find(*token) == std::string::npos);
  CHECK(store.issue_token("cli:root", "nobody", "x").refusal().status == 404);
  REQUIRE(store.revoke_tokens("cli:root", "vendor1", "ci").ok());
  CHECK_FALSE(store.authenticate(*token));
  REQUIRE(store.add_user("cli:root", "rev1", "SIG", Role::reviewer).ok());
  CHECK(store.add_key("cli:root", "rev1", {"SHA256:aa", "ed25519", "pem", "", ""}).refusal().status == 409);
  REQUIRE(store.add_key("cli:root", "vendor1", {"SHA256:aa", "ed25519", "pem", "", ""}).ok());
  CHECK(store.keys("vendor1").size() == 1);
  REQUIRE(store.set_role("cli:root", "rev1", Role::auditor).ok());
  CHECK(store.user("rev1")->role == Role::auditor);
  auto log = store.audit();
  std::vector<std::string> actions;
  for (const auto& e : log) actions.push_back(e.action);
  CHECK(actions == std::vector<std::string>{"user.add", "token.issue", "token.revoke", "user.add", "key.add",
                                            "user.role"});
  CHECK(store.verify_audit().ok);
}

namespace {

// The whole submission life cycle on one backend (sqlite file or PostgreSQL URL).
void store_workflow(const std::string& url) {
  StoreOptions opt;
  opt.profile.reviewers = 2;
  Store store(url, opt);
  auto vendor = *store.add_user("cli:root", "vendor1", "Contoso", Role::submitter);
  auto other = *store.add_user("cli:root", "vendor2", "Fabrikam", Role::submitter);
  auto r1 = *store.add_user("cli:root", "rev1", "SIG", Role::reviewer);
  auto r2 = *store.add_user("cli:root", "rev2", "Linaro", Role::reviewer);
  auto own = *store.add_user("cli:root", "rev3", "Contoso", Role::reviewer);
  std::vector<CertificateChange> heard;
  store.on_certificate_change([&](const CertificateChange& c) { heard.push_back(c); });

  auto in = test::sample_ingest("bundle-v1", {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true}});
  auto first = store.ingest(vendor, in);
  REQUIRE(first.ok());
  CHECK(first->id == "SUB-000001");
  CHECK_FALSE(first->duplicate);
  auto again = store.ingest(vendor, in);
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->id == first->id);
  CHECK(store.ingest(other, in).refusal().status == 409);
  CHECK(store.ingest(r1, in).refusal().status == 403);
  CHECK(store.submissions({})->submissions.size() == 1);

  auto id = first->id;
  CHECK(store.review(own, id, Action::claim, "").refusal().status == 403);
  CHECK(store.review(other, id, Action::comment, "hi").refusal().status == 404);
  REQUIRE(store.review(r1, id, Action::claim, "").ok());
  CHECK(store.queue()->entries.at(0).claimed_by == std::vector<std::string>{"rev1"});
  REQUIRE(store.review(r1, id, Action::request_changes, "attach the NIC firmware log").ok());
  CHECK(store.submission(id)->state == State::changes_requested);
  REQUIRE(store.review(vendor, id, Action::comment, "will do").ok());
  auto v2 = store.add_version(vendor, id, test::sample_ingest("bundle-v2", {{"nic.link@0000:09:00.0", "nic.link",
                                                                               "nic", "pass", true},
                                                                              {"nic.fw@0000:09:00.0", "nic.fw", "nic",
                                                                               "pass", false}}));
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  CHECK(v2->state == State::in_review);
  auto approved1 = store.review(r1, id, Action::approve, "");
  REQUIRE(approved1.ok());
  CHECK(approved1->state == State::in_review);  // one of two approvals
  CHECK(heard.empty());
  CHECK(store.review(r2, id, Action::approve, "").refusal().status == 409);  // not claimed
  REQUIRE(store.review(r2, id, Action::claim, "").ok());
  auto approved = store.review(r2, id, Action::approve, "looks good");
  REQUIRE(approved.ok());
  CHECK(approved->state == State::approved);
  REQUIRE_FALSE(approved->certificate_id.empty());
  CHECK(store.review(r1, id, Action::reject, "late").refusal().status == 409);

  auto certs = store.certificates();
  REQUIRE(certs.size() == 1);
  const auto& c = certs[0];
  CHECK(c["id"] == approved->certificate_id);
  CHECK(c["submission_id"] == id);
  CHECK(c["bundle_sha256"] == sha256_hex("bundle-v2"));
  CHECK(c["status"] == "active");
  CHECK(c["vendor"] == "Contoso");
  CHECK(c["product"] == "HWLab-1000");
  CHECK(c["model"] == "HWL-1000-2U");
  CHECK(c["classes"] == json::array({"nic"}));
  CHECK(c["os"]["id"] == "openeuler");
  CHECK(c["os"]["id_like"] == json::array({"rhel", "fedora"}));
  CHECK(c["arch"] == "x86_64");
  CHECK(c["hardware"]["devices"].size() == 1);
  CHECK(c["hardware"]["devices"][0]["vendor_id"] == "8086");
  CHECK(c["tests"].size() == 2);
  CHECK(c["summary"]["pass"] == 2);
  REQUIRE(heard.size() == 1);
  CHECK(heard[0].kind == "issued");
  CHECK(heard[0].record["id"] == c["id"]);

  auto withdrawn = c;
  withdrawn["status"] = "withdrawn";
  withdrawn["withdrawn"] = {{"reason", "firmware recall"}, {"by", "rev1"}, {"date", "2026-02-01"}};
  REQUIRE(store.update_certificate("rev1", "withdrawn", withdrawn).ok());
  CHECK(store.certificate(c["id"].get<std::string>())->at("status") == "withdrawn");
  auto forged = c;
  forged["bundle_sha256"] = sha256_hex("other");
  CHECK(store.update_certificate("rev1", "updated", forged).refusal().status == 409);
  CHECK(heard.size() == 2);

  auto verdict = store.verify_audit();
  CHECK(verdict.ok);
  CHECK(verdict.entries >= 14);
  auto d = version_diff(store.version_documents(id, 1)->first, store.version_documents(id, 1)->second,
                        store.version_documents(id, 2)->first, store.version_documents(id, 2)->second);
  CHECK(d["tests"]["added"].size() == 1);
  CHECK(d["tests"]["added"][0]["id"] == "nic.fw@0000:09:00.0");
}

}  // namespace

TEST_CASE("store: ingest, dedupe, review with two reviewers, certificate record and notification") {
  test::TempDir tmp;
  store_workflow((tmp / "certdb.sqlite").string());
}

TEST_CASE("store: approval refused while the profile's criteria fail") {
  test::TempDir tmp;
  Store store((tmp / "certdb.sqlite").string(), {});
  auto vendor = *store.add_user("cli:root", "vendor1", "Contoso", Role::submitter);
  auto rev = *store.add_user("cli:root", "rev1", "SIG", Role::reviewer);
  auto in = test::sample_ingest("b", {{"nvme.identify@n0", "nvme.identify", "nvme", "fail", true}});
  auto id = store.ingest(vendor, in)->id;
  REQUIRE(store.review(rev, id, Action::claim, "").ok());
  auto r = store.review(rev, id, Action::approve, "");
  CHECK(r.refusal().status == 422);
  CHECK(store.submission(id)->state == State::in_review);
  CHECK(store.certificates().empty());
}

namespace {

// Tampering by direct SQL (the database owner's power) must be detected.
void audit_tampering(const std::function<std::string()>& fresh_db) {
  struct Case {
    const char* what;
    const char* sql;
  };
  const Case cases[] = {
      {"altered", "UPDATE audit SET actor = 'mallory' WHERE seq = 2"},
      {"removed", "DELETE FROM audit WHERE seq = 2"},
      {"reordered", "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; "
                    "UPDATE audit SET seq = 3 WHERE seq = -1"},
      {"truncated", "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)"},
      {"detail altered", "UPDATE audit SET detail = '{\"role\":\"admin\"}' WHERE seq = 1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto db = fresh_db();
    {
      Store store(db, {});
      for (auto n : {"a", "b", "c", "d"}) REQUIRE(store.add_user("cli:root", n, "Org", Role::reviewer).ok());
      REQUIRE(store.verify_audit().ok);
    }
    open_connection(db)->exec_script(c.sql);
    Store store(db, {});
    auto v = store.verify_audit();
    CHECK_FALSE(v.ok);
    CHECK_FALSE(v.problems.empty());
  }
}

}  // namespace

TEST_CASE("audit verify on the database: tampering by direct SQL is detected") {
  test::TempDir tmp;
  int n = 0;
  audit_tampering([&] { return (tmp / ("t" + std::to_string(++n) + ".sqlite")).string(); });
}

TEST_CASE("migrations: versioned, idempotent, newer schema refused") {
  test::TempDir tmp;
  auto db = (tmp / "m.sqlite").string();
  auto c = open_connection(db);
  CHECK(schema_version(*c) == 0);
  CHECK(migrate(*c) == latest_schema_version());
  CHECK(migrate(*c) == latest_schema_version());
  auto mode = c->query("PRAGMA journal_mode");
  CHECK(mode.at(0).text(0) == "wal");
  c->execute("INSERT INTO schema_migrations (version, what, applied) VALUES (999, 'future', 'x')");
  CHECK_THROWS_AS(migrate(*c), DbError);
}

namespace {

// certdb copy from a populated database to an empty one: every row, the
// stored bundles byte for byte, tokens still authenticate, the audit chain
// verifies, and the target keeps working (serial ids moved past the copies).
void copy_roundtrip(const std::string& src, const std::string& dst, const std::string& dst2) {
  store_workflow(src);
  std::string token;
  {
    Store s(src, {});
    auto t = s.issue_token("cli:root", "vendor1", "after");
    REQUIRE(t.ok());
    token = *t;
  }
  auto rep = copy_database(src, dst);
  REQUIRE_MESSAGE(rep.ok(), rep.message());
  auto a = open_connection(src), b = open_connection(dst);
  for (const char* t : {"users", "tokens", "keys", "bundles", "counters", "submissions", "versions", "events",
                        "claims", "certificates", "audit", "audit_head"}) {
    CAPTURE(t);
    auto n = a->query(std::string("SELECT COUNT(*) FROM ") + t).at(0).integer(0);
    CHECK(b->query(std::string("SELECT COUNT(*) FROM ") + t).at(0).integer(0) == n);
    CHECK(rep->rows.at(t) == n);
  }
  CHECK(rep->rows.at("bundles") > 0);
  CHECK(rep->rows.at("audit") > 5);
  auto blobs = [](Connection& c) {
    std::vector<std::string> out;
    for (const auto& r : c.query("SELECT sha256, data FROM bundles ORDER BY sha256")) out.push_back(r.text(0) + r.text(1));
    return out;
  };
  CHECK(blobs(*a) == blobs(*b));
  Store copied(dst, {});
  CHECK(copied.verify_audit().ok);
  REQUIRE(copied.authenticate(token));
  CHECK(copied.authenticate(token)->name == "vendor1");
  CHECK(copied.certificates().size() == Store(src, {}).certificates().size());
  // New rows after the copy get fresh ids and extend the same audit chain.
  REQUIRE(copied.add_user("cli:root", "newcomer", "Org", Role::auditor).ok());
  CHECK(copied.verify_audit().ok);
  // A target that holds data is refused, and nothing is added to it.
  auto users_before = b->query("SELECT COUNT(*) FROM users").at(0).integer(0);
  auto again = copy_database(src, dst);
  REQUIRE_FALSE(again.ok());
  CHECK(again.message().find("already holds data") != std::string::npos);
  CHECK(b->query("SELECT COUNT(*) FROM users").at(0).integer(0) == users_before);
  // Copying back the other way works too (PostgreSQL -> sqlite in the PG run).
  auto back = copy_database(dst, dst2);
  REQUIRE_MESSAGE(back.ok(), back.message());
  CHECK(Store(dst2, {}).verify_audit().ok);
  CHECK(copy_database(src, src).message().find("same database") != std::string::npos);
}

}  // namespace

TEST_CASE("certdb copy: sqlite to sqlite keeps every row, bundle, token and the audit chain") {
  test::TempDir tmp;
  copy_roundtrip((tmp / "a.sqlite").string(), (tmp / "b.sqlite").string(), (tmp / "c.sqlite").string());
}

TEST_CASE("certdb copy: not a certdb database, or an older schema, is refused") {
  test::TempDir tmp;
  auto empty = (tmp / "empty.sqlite").string();
  auto r = copy_database(empty, (tmp / "t.sqlite").string());
  REQUIRE_FALSE(r.ok());
  CHECK(r.message().find("not a certdb database") != std::string::npos);
}

// PostgreSQL: the same store, workflow and tamper checks against a real
// server (tests/certdb_postgres.sh starts a throwaway one and runs these).
TEST_CASE("postgres: store workflow, audit tampering, migrations" * doctest::test_suite("postgres") * doctest::skip()) {
  store_workflow(test::fresh_postgres_db());
  audit_tampering([] { return test::fresh_postgres_db(); });
  auto url = test::fresh_postgres_db();
  auto c = open_connection(url);
  CHECK(c->dialect() == Dialect::postgres);
  CHECK(migrate(*c) == latest_schema_version());
  CHECK(migrate(*c) == latest_schema_version());
  Store store(url, {});
  REQUIRE(store.add_user("cli:root", "v", "Org", Role::submitter).ok());
  auto t = store.issue_token("cli:root", "v", "x");
  REQUIRE(t.ok());
  CHECK(store.authenticate(*t)->name == "v");
  CHECK(store.add_user("cli:root", "v", "Org", Role::submitter).refusal().status == 409);
}

TEST_CASE("postgres: certdb copy from sqlite to PostgreSQL and back" * doctest::test_suite("postgres") * doctest::skip()) {
  test::TempDir tmp;
  copy_roundtrip((tmp / "src.sqlite").string(), test::fresh_postgres_db(), (tmp / "back.sqlite").string());
}

namespace {

// A clock the test moves by hand.
struct HandClock : Clock {
  std::chrono::system_clock::time_point t = std::chrono::system_clock::from_time_t(1767225600);  // 2026-01-01
  std::chrono::system_clock::time_point now() override { return t; }
};

// Every page of the queue (limit `n`): ids in order, and no page longer than n.
std::vector<std::string> walk_queue(Store& store, int n, std::int64_t* total = nullptr,
                                    std::map<std::string, std::vector<std::string>>* claims = nullptr) {
  std::vector<std::string> ids;
  std::string after;
  for (int pages = 0; pages < 1000; ++pages) {
    auto p = store.queue(n, after);
    REQUIRE(p.ok());
    CHECK(p->entries.size() <= static_cast<std::size_t>(n));
    for (const auto& e : p->entries) {
      ids.push_back(e.submission.id);
      if (claims) (*claims)[e.submission.id] = e.claimed_by;
    }
    if (total) *total = p->total;
    if (p->next.empty()) return ids;
    CHECK(p->entries.size() == static_cast<std::size_t>(n));  // only the last page is short
    after = p->next;
  }
  FAIL("the queue's pages never end");
  return ids;
}

std::vector<std::string> walk_submissions(Store& store, SubmissionFilter f) {
  std::vector<std::string> ids;
  for (int pages = 0; pages < 1000; ++pages) {
    auto p = store.submissions(f);
    REQUIRE(p.ok());
    CHECK(p->submissions.size() <= static_cast<std::size_t>(f.limit));
    for (const auto& s : p->submissions) ids.push_back(s.id);
    if (p->next.empty()) return ids;
    f.after = p->next;
  }
  FAIL("the listing's pages never end");
  return ids;
}

// Paged queue and listing on one backend: order (ties in the creation
// second broken by id), claims and approvals per page, the total, entries
// added while paging, filters, and malformed cursors.
void paging_workflow(const std::string& url) {
  auto clock = std::make_shared<HandClock>();
  StoreOptions opt;
  opt.profile.reviewers = 2;
  Store store(url, opt, clock);
  auto contoso = *store.add_user("cli:root", "vendor1", "Contoso", Role::submitter);
  auto fabrikam = *store.add_user("cli:root", "vendor2", "Fabrikam", Role::submitter);
  auto r1 = *store.add_user("cli:root", "rev1", "SIG", Role::reviewer);
  auto r2 = *store.add_user("cli:root", "rev2", "Linaro", Role::reviewer);
  const std::vector<test::SampleJob> jobs = {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true}};
  std::vector<std::string> ids;  // in creation order
  for (int i = 0; i < 23; ++i) {
    // Groups of three share a second: the id orders them.
    if (i % 3 == 0) clock->t += std::chrono::seconds(7);
    auto r = store.ingest(i % 4 == 3 ? fabrikam : contoso, test::sample_ingest("paged-" + std::to_string(i), jobs));
    REQUIRE(r.ok());
    ids.push_back(r->id);
  }
  // Take some out of the queue and mark others.
  REQUIRE(store.review(r1, ids[4], Action::claim, "").ok());
  REQUIRE(store.review(r2, ids[4], Action::claim, "").ok());
  for (auto [who, i] : {std::pair{r1, 9}, std::pair{r1, 10}, std::pair{r2, 10}, std::pair{r1, 15}, std::pair{r1, 16}})
    REQUIRE(store.review(who, ids[i], Action::claim, "").ok());
  REQUIRE(store.review(r1, ids[9], Action::approve, "").ok());  // 1 of 2 approvals: still open
  REQUIRE(store.review(r1, ids[10], Action::approve, "").ok());
  REQUIRE(store.review(r2, ids[10], Action::approve, "").ok());   // approved: leaves the queue
  REQUIRE(store.review(r1, ids[15], Action::reject, "no").ok());  // rejected: leaves the queue
  REQUIRE(store.review(r1, ids[16], Action::request_changes, "logs").ok());  // still open

  std::vector<std::string> open;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (i != 10 && i != 15) open.push_back(ids[i]);
  for (int n : {1, 4, 7, 21, 100}) {
    CAPTURE(n);
    std::int64_t total = 0;
    std::map<std::string, std::vector<std::string>> claims;
    CHECK(walk_queue(store, n, &total, &claims) == open);
    CHECK(total == 21);
    CHECK(claims[ids[4]] == std::vector<std::string>{"rev1", "rev2"});
    CHECK(claims[ids[5]].empty());
  }
  auto first = store.queue(5);
  REQUIRE(first.ok());
  CHECK(first->entries[4].submission.id == ids[4]);
  CHECK(first->entries[4].claimed_by.size() == 2);
  auto approvals_of = [&](const std::string& id) {
    auto p = store.queue(100);
    REQUIRE(p.ok());
    for (const auto& e : p->entries)
      if (e.submission.id == id) return e.approvals;
    return -1;
  };
  CHECK(approvals_of(ids[9]) == 1);
  CHECK(approvals_of(ids[8]) == 0);
  CHECK(approvals_of(ids[16]) == 0);

  // An entry added while a reviewer pages appears once, at the end.
  auto p1 = store.queue(10);
  REQUIRE(p1.ok());
  clock->t += std::chrono::seconds(60);
  auto late = store.ingest(contoso, test::sample_ingest("paged-late", jobs));
  REQUIRE(late.ok());
  std::vector<std::string> seen;
  for (const auto& e : p1->entries) seen.push_back(e.submission.id);
  for (std::string after = p1->next; !after.empty();) {
    auto p = store.queue(10, after);
    REQUIRE(p.ok());
    for (const auto& e : p->entries) seen.push_back(e.submission.id);
    after = p->next;
  }
  auto expect = open;
  expect.push_back(late->id);
  CHECK(seen == expect);
  ids.push_back(late->id);

  // Listings: newest first, every filter, pages of any size.
  std::vector<std::string> newest(ids.rbegin(), ids.rend());
  for (int n : {1, 5, 24, 1000}) {
    SubmissionFilter f;
    f.limit = n;
    CHECK(walk_submissions(store, f) == newest);
  }
  SubmissionFilter by_org;
  by_org.org = "Fabrikam";
  by_org.limit = 2;
  std::vector<std::string> fab;
  for (const auto& id : newest)
    if (store.submission(id)->org == "Fabrikam") fab.push_back(id);
  CHECK(fab.size() == 5);
  CHECK(walk_submissions(store, by_org) == fab);
  SubmissionFilter by_state;
  by_state.state = State::in_review;
  by_state.limit = 1;
  CHECK(walk_submissions(store, by_state) == std::vector<std::string>{ids[9], ids[4]});
  SubmissionFilter by_vendor;
  by_vendor.vendor = "Contoso";
  by_vendor.limit = 3;
  CHECK(walk_submissions(store, by_vendor) == newest);  // every sample bundle names Contoso as the vendor
  by_vendor.vendor = "Nobody";
  CHECK(walk_submissions(store, by_vendor).empty());

  // Malformed cursors are refused, not read as "from the start".
  for (const auto& bad : std::vector<std::string>{"garbage", "_SUB-000001", "2026-01-01T00:00:07Z_", "2026-01-01T00:00:07Z_SUB-1'--",
                          "x' OR 1=1 --_SUB-000001", std::string(200, '1') + "_SUB-1"}) {
    CAPTURE(bad);
    CHECK(store.queue(10, bad).refusal().status == 400);
    SubmissionFilter f;
    f.after = bad;
    CHECK(store.submissions(f).refusal().status == 400);
  }
  CHECK(store.verify_audit().ok);
}

}  // namespace

TEST_CASE("store: paged queue and listings") {
  test::TempDir tmp;
  paging_workflow((tmp / "certdb.sqlite").string());
}

TEST_CASE("postgres: paged queue and listings" * doctest::test_suite("postgres") * doctest::skip()) {
  auto url = test::fresh_postgres_db();
  paging_workflow(url);
  // The planner can answer a queue page from the partial index (a handful of
  // rows makes a sequential scan cheaper, so that is switched off to ask
  // whether the index applies at all).
  auto c = open_connection(url);
  Transaction txn(*c, false);
  c->exec_script("SET LOCAL enable_seqscan = off");
  for (const auto& after : {PageCursor{}, PageCursor{"2026-01-01T00:00:00Z", "SUB-000001"}}) {
    auto q = queue_page_queries(Dialect::postgres, after, 101).at(0);
    std::string plan;
    for (const auto& r : c->query("EXPLAIN " + q.sql, q.params)) plan += r.text(0) + "\n";
    CAPTURE(plan);
    // Whether it then walks the index in order or sorts the few rows is the
    // planner's cost choice at this size; that the index applies is the point.
    CHECK(plan.find("submissions_open") != std::string::npos);
  }
}

TEST_CASE("listing plans (sqlite): index range scans in page order, no sort of the table, no query per row") {
  test::TempDir tmp;
  auto db = (tmp / "certdb.sqlite").string();
  { Store store(db, {}); }
  auto c = open_connection(db);
  auto plan = [&](const Query& q) {
    std::string out;
    for (const auto& r : c->query("EXPLAIN QUERY PLAN " + q.sql, q.params)) out += r.text(3) + "\n";
    return out;
  };
  PageCursor cursor{"2026-01-01T00:00:00Z", "SUB-000001"};
  for (const auto& after : {PageCursor{}, cursor}) {
    CAPTURE(after.id);
    auto qs = queue_page_queries(Dialect::sqlite, after, 101);
    REQUIRE(qs.size() == 3);
    auto page = plan(qs[0]);
    CAPTURE(page);
    CHECK(page.find("USING INDEX submissions_open") != std::string::npos);
    CHECK(page.find("TEMP B-TREE") == std::string::npos);  // rows come in page order: LIMIT stops the walk
    CHECK(page.find("USING COVERING INDEX events_approvals") != std::string::npos);
    if (!after.id.empty()) CHECK(page.find("(created,id)>(?,?)") != std::string::npos);
    auto claims = plan(qs[1]);
    CAPTURE(claims);
    CHECK(claims.find("SEARCH c USING INDEX") != std::string::npos);
    CHECK(claims.find("USING INDEX submissions_open") != std::string::npos);
    auto total = plan(qs[2]);
    CHECK_MESSAGE(total.find("COVERING INDEX") != std::string::npos, total);

    SubmissionFilter all, by_state, by_org, by_vendor;
    by_state.state = State::submitted;
    by_org.org = "Contoso";
    by_vendor.vendor = "Contoso";
    for (const auto& [f, index] : {std::pair{all, "submissions_created"}, std::pair{by_state, "submissions_state"},
                                   std::pair{by_org, "submissions_org"}, std::pair{by_vendor, "submissions_vendor"}}) {
      auto p = plan(submissions_page_query(f, after, 101));
      CAPTURE(p);
      CHECK(p.find(std::string("USING INDEX ") + index) != std::string::npos);
      CHECK(p.find("TEMP B-TREE") == std::string::npos);
      CHECK(p.find("SCAN s\n") == std::string::npos);  // never the whole table without an index
    }
  }
}

TEST_CASE("migrations: a version 1 database gains the paging indexes, data intact") {
  test::TempDir tmp;
  auto db = (tmp / "m.sqlite").string();
  {
    Store store(db, {});
    REQUIRE(store.add_user("cli:root", "v", "Org", Role::submitter).ok());
  }
  auto c = open_connection(db);
  // Back to the version 1 schema: migration 2's indexes as version 1 had them.
  c->exec_script("DROP INDEX submissions_open; DROP INDEX submissions_created; DROP INDEX events_approvals; "
                 "DROP INDEX submissions_state; CREATE INDEX submissions_state ON submissions(state, created); "
                 "DROP INDEX submissions_org; CREATE INDEX submissions_org ON submissions(org, created); "
                 "DROP INDEX submissions_vendor; CREATE INDEX submissions_vendor ON submissions(vendor); "
                 "DELETE FROM schema_migrations WHERE version > 1");
  CHECK(schema_version(*c) == 1);
  CHECK(migrate(*c) == 2);
  auto indexes = c->query("SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('submissions_open', "
                          "'submissions_created', 'events_approvals')");
  CHECK(indexes.size() == 3);
  Store again(db, {});
  CHECK(again.user("v").has_value());
  CHECK(again.verify_audit().ok);
}

TEST_CASE("store (sqlite): reads go on while another connection holds the write lock") {
  test::TempDir tmp;
  auto db = (tmp / "certdb.sqlite").string();
  Store store(db, {});
  auto vendor = *store.add_user("cli:root", "vendor1", "Contoso", Role::submitter);
  REQUIRE(store.ingest(vendor, test::sample_ingest("concurrent", {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true}})).ok());
  auto writer = open_connection(db);
  writer->begin_write();  // BEGIN IMMEDIATE: every other writer now waits (busy_timeout)
  writer->execute("UPDATE submissions SET updated = 'x'");
  // Readers of the store are not blocked: each runs on its own pooled connection
  // and sees the last committed state (not the writer's uncommitted change).
  std::atomic<int> done{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i)
    readers.emplace_back([&] {
      auto q = store.queue();
      auto s = store.submissions({});
      if (q.ok() && q->entries.size() == 1 && s.ok() && s->submissions.at(0).updated != "x") ++done;
    });
  for (auto& t : readers) t.join();  // a blocked reader would hang here until busy_timeout, then fail
  CHECK(done == 4);
  writer->rollback();
}
