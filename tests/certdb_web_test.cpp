// certdb web pages in headless Chromium: login by token, the reviewer's
// queue, submission detail (inventory, results, logs, criteria, comments),
// the diff between versions, the submitter's own list; screenshots are
// written and checked; form posts need the session's CSRF value.
#include <doctest/doctest.h>

#include <fstream>

#include "certdb_server.hpp"
#include "core/files.hpp"

using namespace certify;
using namespace certify::test;
using nlohmann::json;

namespace {

// Headless Chromium logged in as one account: every page is opened through
// the login link (/ui/login#token=...&next=PAGE), as a fresh headless run
// keeps no session cookie from the previous one.
struct Browser {
  const CertdbServer& srv;
  std::string token;
  TempDir profile;
  std::string url(const std::string& page) const { return srv.url() + "/ui/login#token=" + token + "&next=" + httplib::detail::encode_query_param(page); }
  std::string dom(const std::string& page) {
    auto url = this->url(page);
    auto r = run_command({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--user-data-dir=" + profile.path().string(), "--virtual-time-budget=8000", "--dump-dom",
                          url});
    REQUIRE_MESSAGE(r.exit_code == 0, "chromium failed (apt-get install chromium): " << r.err);
    return r.out;
  }
  std::string screenshot(const std::string& page, const std::filesystem::path& png) {
    auto url = this->url(page);
    auto r = run_command({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--user-data-dir=" + profile.path().string(), "--virtual-time-budget=8000",
                          "--window-size=1280,900", "--screenshot=" + png.string(), url});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto bytes = read_file(png);
    REQUIRE(bytes.ok());
    return *bytes;
  }
};

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("web: reviewer and submitter pages in headless Chromium") {
  TempDir dir;
  auto db = (dir / "certdb.sqlite").string();
  certdb_cli(db, {"user", "add", "alice", "--org", "Contoso", "--role", "submitter"});
  certdb_cli(db, {"user", "add", "rita", "--org", "SIG", "--role", "reviewer"});
  certdb_cli(db, {"user", "add", "carl", "--org", "Contoso", "--role", "reviewer"});
  auto first_line = [](const std::string& s) { return s.substr(0, s.find('\n')); };
  auto alice = first_line(certdb_cli(db, {"user", "token", "alice"}));
  auto rita = first_line(certdb_cli(db, {"user", "token", "rita"}));
  auto carl = first_line(certdb_cli(db, {"user", "token", "carl"}));
  auto key = make_key();
  REQUIRE(write_file_atomic(dir / "alice.pub", key.public_pem).ok());
  certdb_cli(db, {"user", "key", "alice", (dir / "alice.pub").string()});

  CertdbServer srv(db);
  auto c = srv.client();
  auto v1 = make_bundle(dir.path(), key, {{"nic.link@0000:09:00.0", "nic.link", "nic", "fail", true}}, "web1");
  auto created = post_bundle(c, alice, v1);
  REQUIRE(created);
  REQUIRE(created->status == 201);
  auto id = json::parse(created->body)["id"].get<std::string>();
  auto shots = build_path("tests/screenshots");
  std::filesystem::create_directories(shots);

  Browser reviewer{srv, rita, {}};
  auto queue = reviewer.dom("/ui/queue");
  CHECK_MESSAGE(contains(queue, "rita (reviewer, SIG)"), queue);
  CHECK(contains(queue, "data-id=\"" + id + "\""));
  CHECK(contains(queue, "unclaimed"));
  CHECK(contains(queue, "Contoso HWLab-1000"));
  auto png = reviewer.screenshot("/ui/queue", shots / "certdb-queue.png");
  CHECK(png.size() > 5000);
  CHECK(png.substr(1, 3) == "PNG");

  auto review = [&](const std::string& token, json body) {
    auto r = c.Post("/api/v1/submissions/" + id + "/review", {{"Authorization", "Bearer " + token}}, body.dump(),
                    "application/json");
    REQUIRE(r);
    return r->status;
  };
  REQUIRE(review(rita, {{"action", "claim"}}) == 200);
  REQUIRE(review(rita, {{"action", "request-changes"}, {"comment", "nic.link failed: check the cable"}}) == 200);

  auto detail = reviewer.dom("/ui/submissions/" + id);
  CHECK(contains(detail, "changes-requested"));
  CHECK(contains(detail, "82574L Gigabit Network Connection"));    // inventory
  CHECK(contains(detail, "nic.link@0000:09:00.0"));                // results
  CHECK(contains(detail, "blocking test nic.link@0000:09:00.0 is fail"));  // criteria
  CHECK(contains(detail, "nic.link failed: check the cable"));     // comment
  CHECK(contains(detail, "/log?version=1&amp;path=logs%2Fnic.link%400000%3A09%3A00.0%2Fstdout.log"));
  reviewer.screenshot("/ui/submissions/" + id, shots / "certdb-detail.png");
  auto log = reviewer.dom("/ui/submissions/" + id + "/log?version=1&path=" +
                          httplib::detail::encode_query_param("logs/nic.link@0000:09:00.0/stdout.log"));
  CHECK(contains(log, "output of nic.link@0000:09:00.0 web1"));

  Browser submitter{srv, alice, {}};
  auto mine = submitter.dom("/ui/");
  CHECK(contains(mine, "Submissions of Contoso"));
  CHECK(contains(mine, "data-id=\"" + id + "\""));
  CHECK(contains(mine, "changes-requested"));
  auto mine_detail = submitter.dom("/ui/submissions/" + id);
  CHECK(contains(mine_detail, "nic.link failed: check the cable"));
  CHECK(contains(mine_detail, "value=\"comment\""));
  CHECK_FALSE(contains(mine_detail, "value=\"approve\""));
  submitter.screenshot("/ui/", shots / "certdb-mine.png");

  auto v2 = make_bundle(dir.path(), key, {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true}}, "web2");
  auto nv = post_bundle(c, alice, v2, "/api/v1/submissions/" + id + "/versions");
  REQUIRE(nv);
  REQUIRE(nv->status == 201);
  auto diff = reviewer.dom("/ui/submissions/" + id + "/diff?from=1&to=2");
  CHECK(contains(diff, "version 1 → 2"));
  CHECK(contains(diff, "<td class=\"fail\">fail</td><td class=\"pass\">pass</td>"));
  reviewer.screenshot("/ui/submissions/" + id + "/diff?from=1&to=2", shots / "certdb-diff.png");

  // Same organisation as the submitter: shown, but no review buttons.
  Browser own{srv, carl, {}};
  auto own_queue = own.dom("/ui/submissions/" + id);
  CHECK(contains(own_queue, "you may not review it"));
  CHECK_FALSE(contains(own_queue, "value=\"approve\""));

  // Form posts: without the session's CSRF value nothing happens.
  httplib::Headers cookie = {{"Cookie", "certdb_token=" + rita}};
  auto forged = c.Post("/ui/submissions/" + id + "/review", cookie, "action=approve&csrf=0", "application/x-www-form-urlencoded");
  REQUIRE(forged);
  CHECK(forged->status == 403);
  // Cookie tossing: a second certdb_token cookie set by someone else (a
  // sibling domain can) must not pair the reviewer's session with a CSRF
  // value the attacker computed from a token of his own: the first cookie is
  // the session, for authentication and CSRF alike.
  httplib::Headers tossed = {{"Cookie", "certdb_token=attacker; certdb_token=" + rita}};
  auto tossed_post = c.Post("/ui/submissions/" + id + "/review", tossed,
                            "action=reject&comment=tossed&csrf=" + sha256_hex("certdb-csrf:attacker"),
                            "application/x-www-form-urlencoded");
  REQUIRE(tossed_post);
  CHECK(tossed_post->status == 303);
  CHECK(tossed_post->get_header_value("Location") == "/ui/login");
  auto csrf = sha256_hex("certdb-csrf:" + rita);
  auto ok = c.Post("/ui/submissions/" + id + "/review", cookie, "action=approve&comment=fine&csrf=" + csrf,
                   "application/x-www-form-urlencoded");
  REQUIRE(ok);
  CHECK(ok->status == 303);
  auto after = reviewer.dom("/ui/submissions/" + id);
  CHECK(contains(after, "id=\"certificate\""));
  CHECK(contains(after, "approved"));
  // Without a session, pages send the visitor to the login form.
  auto anon = c.Get("/ui/queue");
  REQUIRE(anon);
  CHECK(anon->status == 303);
  CHECK(anon->get_header_value("Location") == "/ui/login");
}

namespace {

// Headless Chromium driven over DevTools (tests/tools/cdp.py): the steps are
// a user's — typing, choosing files, clicking buttons — on the real pages.
json browse(const std::filesystem::path& profile, const json& steps) {
  TempDir tmp;
  auto file = tmp / "steps.json";
  REQUIRE(write_file_atomic(file, steps.dump()).ok());
  // Debian's python3, which python3-websocket is installed for (not a python3 earlier in PATH).
  auto r = run_command({"/usr/bin/python3", source_path("tests/tools/cdp.py").string(), profile.string(), file.string()});
  REQUIRE_MESSAGE(r.exit_code == 0, "browser steps failed: " << r.err << "\n" << r.out.substr(0, 4000));
  auto j = json::parse(r.out, nullptr, false);
  REQUIRE(!j.is_discarded());
  return j;
}

json login_steps(const CertdbServer& srv, const std::string& token) {
  return json::array({{{"go", srv.url() + "/ui/login"}},
                      {{"fill", "#login input[name=token]"}, {"value", token}},
                      {{"click", "#login button"}}});
}

json then(json steps, const json& more) {
  for (const auto& s : more) steps.push_back(s);
  return steps;
}

}  // namespace

TEST_CASE("web: a reviewer's actions and a submitter's new version, clicked in Chromium") {
  TempDir dir;
  auto db = (dir / "certdb.sqlite").string();
  certdb_cli(db, {"user", "add", "alice", "--org", "Contoso", "--role", "submitter"});
  certdb_cli(db, {"user", "add", "rita", "--org", "SIG", "--role", "reviewer"});
  auto first_line = [](const std::string& s) { return s.substr(0, s.find('\n')); };
  auto alice = first_line(certdb_cli(db, {"user", "token", "alice"}));
  auto rita = first_line(certdb_cli(db, {"user", "token", "rita"}));
  auto key = make_key();
  REQUIRE(write_file_atomic(dir / "alice.pub", key.public_pem).ok());
  certdb_cli(db, {"user", "key", "alice", (dir / "alice.pub").string()});

  CertdbServer srv(db);
  auto c = srv.client();
  auto created = post_bundle(c, alice, make_bundle(dir.path(), key, {{"nic.link@0000:09:00.0", "nic.link", "nic", "fail", true}}, "click1"));
  REQUIRE(created);
  REQUIRE(created->status == 201);
  auto id = json::parse(created->body)["id"].get<std::string>();
  auto detail = srv.url() + "/ui/submissions/" + id;
  auto shots = build_path("tests/screenshots");
  std::filesystem::create_directories(shots);
  auto state = [&] {
    auto r = c.Get("/api/v1/submissions/" + id, {{"Authorization", "Bearer " + rita}});
    REQUIRE(r);
    return json::parse(r->body);
  };

  // The reviewer logs in with the form, claims, then asks for changes.
  TempDir rita_profile;
  auto r1 = browse(rita_profile.path(), then(login_steps(srv, rita), json::array({
      {{"url", "after_login"}}, {{"dom", "queue"}},
      {{"go", detail}},
      {{"click", "button[value=claim]"}}, {{"dom", "claimed"}},
      {{"fill", "textarea[name=comment]"}, {"value", "nic.link failed: check the cable"}},
      {{"click", "button[value=request-changes]"}}, {{"dom", "changes"}},
      {{"shot", (shots / "certdb-click-changes.png").string()}}})));
  CHECK(r1["after_login"] == srv.url() + "/ui/queue");
  CHECK(contains(r1["queue"], "data-id=\"" + id + "\""));
  CHECK(contains(r1["claimed"], "claim: done, the submission is in-review"));
  CHECK(contains(r1["changes"], "request-changes: done, the submission is changes-requested"));
  CHECK(contains(r1["changes"], "nic.link failed: check the cable"));
  CHECK(state()["state"] == "changes-requested");

  // The submitter answers with a new bundle version chosen in the file field.
  auto good = dir / "v2.cbundle", stranger = dir / "stranger.cbundle", junk = dir / "junk.cbundle";
  REQUIRE(write_file_atomic(good, make_bundle(dir.path(), key, {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true}}, "click2")).ok());
  REQUIRE(write_file_atomic(stranger, make_bundle(dir.path(), make_key(), {{"nic.link@0000:09:00.0", "nic.link", "nic", "pass", true}}, "click3")).ok());
  REQUIRE(write_file_atomic(junk, "not a bundle").ok());
  TempDir alice_profile;
  auto a = browse(alice_profile.path(), then(login_steps(srv, alice), json::array({
      {{"go", detail}}, {{"dom", "before"}},
      {{"click", "#upload"}}, {{"dom", "no_file"}},
      {{"files", "#new-version input[name=bundle]"}, {"paths", {junk.string()}}},
      {{"click", "#upload"}}, {{"dom", "junk"}},
      {{"files", "#new-version input[name=bundle]"}, {"paths", {stranger.string()}}},
      {{"click", "#upload"}}, {{"dom", "stranger"}},
      {{"files", "#new-version input[name=bundle]"}, {"paths", {good.string()}}},
      {{"click", "#upload"}}, {{"dom", "uploaded"}},
      {{"shot", (shots / "certdb-click-new-version.png").string()}}})));
  CHECK(contains(a["before"], "upload version 2"));
  CHECK_FALSE(contains(a["before"], "value=\"approve\""));
  CHECK(contains(a["no_file"], "choose a bundle file"));
  CHECK(contains(a["junk"], "new version refused"));
  CHECK_MESSAGE(contains(a["stranger"], "new version refused: bundle verification failed"), a["stranger"]);
  CHECK(contains(a["uploaded"], "version 2 uploaded: the submission is in-review"));
  auto s = state();
  CHECK(s["version"] == 2);
  CHECK(s["versions"].size() == 2);  // the refused uploads left nothing

  // The reviewer follows the diff link, then approves.
  auto r2 = browse(rita_profile.path(), then(login_steps(srv, rita), json::array({
      {{"go", detail}}, {{"click", "a.diff"}}, {{"url", "diff_url"}}, {{"dom", "diff"}},
      {{"go", detail}},
      {{"fill", "textarea[name=comment]"}, {"value", "link passes now"}},
      {{"click", "button[value=approve]"}}, {{"dom", "approved"}},
      {{"shot", (shots / "certdb-click-approved.png").string()}}})));
  CHECK(contains(r2["diff_url"], "/diff?from=1&to=2"));
  CHECK(contains(r2["diff"], "<td class=\"fail\">fail</td><td class=\"pass\">pass</td>"));
  CHECK(contains(r2["approved"], "approve: done, the submission is approved"));
  CHECK(contains(r2["approved"], "id=\"certificate\""));
  s = state();
  CHECK(s["state"] == "approved");
  std::vector<std::string> actions;
  for (const auto& e : s["events"]) actions.push_back(e["action"]);
  CHECK(actions == std::vector<std::string>{"claim", "request-changes", "new-version", "approve"});
  CHECK(s["events"][3]["comment"] == "link passes now");
  for (const char* png : {"certdb-click-changes.png", "certdb-click-new-version.png", "certdb-click-approved.png"}) {
    auto bytes = read_file(shots / png);
    REQUIRE(bytes.ok());
    CHECK(bytes->size() > 5000);
    CHECK(bytes->substr(1, 3) == "PNG");
  }
}
