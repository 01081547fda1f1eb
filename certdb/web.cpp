// Web pages: plain HTML rendered on the server, forms for actions, no
// client framework. Login takes a token once and keeps it in an HttpOnly,
// SameSite=Strict cookie; every form also carries a CSRF value derived from
// the session, checked on POST.
#include "certdb/web.hpp"

#include <sstream>

#include "certdb/diff.hpp"
#include "certdb/ingest.hpp"
#include "certdb/server.hpp"
#include "core/files.hpp"
#include "core/text.hpp"

namespace certify::certdb {

using nlohmann::json;

namespace {

constexpr const char* k_style = R"CSS(
body{font-family:sans-serif;margin:0;color:#222}header{background:#1f3a5f;color:#fff;padding:.6em 1em;display:flex;justify-content:space-between}
header a{color:#fff}main{padding:1em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#eef}.state{font-weight:bold}.pass{color:#176117}.fail,.error,.timeout{color:#a40000}.skip{color:#866a00}
.msg{background:#ffd;padding:.5em;border:1px solid #cc9}.criteria-ok{color:#176117}.criteria-fail{color:#a40000}
form.inline{display:inline}textarea{width:40em;height:4em}
)CSS";

std::string page(const std::string& title, const std::optional<User>& user, const std::string& body) {
  std::ostringstream os;
  os << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(title)
     << " - certdb</title><style>" << k_style << "</style></head><body><header><span><b>certdb</b> &middot; "
     << html_escape(title) << "</span><span>";
  if (user)
    os << "<span id=\"who\">" << html_escape(user->name) << " (" << html_escape(std::string(to_string(user->role)))
       << ", " << html_escape(user->org) << ")</span> <a href=\"/ui/\">home</a> "
       << "<form class=\"inline\" method=\"post\" action=\"/ui/logout\"><button>log out</button></form>";
  os << "</span></header><main>" << body << "</main></body></html>";
  return os.str();
}

std::string csrf_for(const httplib::Request& req) { return sha256_hex("certdb-csrf:" + session_cookie(req)); }

std::string csrf_field(const httplib::Request& req) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + csrf_for(req) + "\">";
}

void send_page(httplib::Response& res, const std::string& html, int status = 200) {
  res.status = status;
  res.set_header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'self'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_content(html, "text/html; charset=utf-8");
}

void redirect(httplib::Response& res, const std::string& to) {
  res.status = 303;
  res.set_header("Location", to);
}

std::string state_badge(State s) {
  return "<span class=\"state\">" + std::string(to_string(s)) + "</span>";
}

std::string submissions_table(const std::vector<Submission>& subs, const std::string& id_attr) {
  std::ostringstream os;
  os << "<table id=\"" << id_attr << "\"><tr><th>id</th><th>vendor</th><th>product</th><th>model</th><th>OS</th>"
     << "<th>arch</th><th>classes</th><th>state</th><th>version</th><th>updated</th></tr>";
  for (const auto& s : subs) {
    std::string classes;
    for (const auto& c : s.classes) classes += (classes.empty() ? "" : ", ") + c;
    os << "<tr class=\"submission\" data-id=\"" << html_escape(s.id) << "\"><td><a href=\"/ui/submissions/"
       << html_escape(s.id) << "\">" << html_escape(s.id) << "</a></td><td>" << html_escape(s.vendor) << "</td><td>"
       << html_escape(s.product) << "</td><td>" << html_escape(s.model) << "</td><td>" << html_escape(s.os_id) << " "
       << html_escape(s.os_version) << "</td><td>" << html_escape(s.arch) << "</td><td>" << html_escape(classes)
       << "</td><td>" << state_badge(s.state) << "</td><td>" << s.version << "</td><td>" << html_escape(s.updated)
       << "</td></tr>";
  }
  os << "</table>";
  if (subs.empty()) os << "<p class=\"empty\">No submissions.</p>";
  return os.str();
}

// The link to the following page of a listing, if there is one.
std::string next_link(const std::string& path, const std::string& cursor) {
  if (cursor.empty()) return {};
  return "<p><a id=\"next\" href=\"" + path + "?after=" + html_escape(httplib::detail::encode_query_param(cursor)) +
         "\">next page &rarr;</a></p>";
}

std::optional<Submission> visible(Store& store, const User& u, const std::string& id) {
  if (u.role == Role::admin) return std::nullopt;
  auto s = store.submission(id);
  if (!s || (u.role == Role::submitter && s->org != u.org)) return std::nullopt;
  return s;
}

std::string diff_html(const json& d) {
  std::ostringstream os;
  os << "<table id=\"diff-tests\"><tr><th>test</th><th>before</th><th>after</th></tr>";
  for (const auto& c : d["tests"]["changed"])
    os << "<tr><td>" << html_escape(c["id"].get<std::string>()) << "</td><td class=\"" << html_escape(c["from"].get<std::string>())
       << "\">" << html_escape(c["from"].get<std::string>()) << "</td><td class=\"" << html_escape(c["to"].get<std::string>())
       << "\">" << html_escape(c["to"].get<std::string>()) << "</td></tr>";
  for (const auto& c : d["tests"]["added"])
    os << "<tr><td>" << html_escape(c["id"].get<std::string>()) << "</td><td>(not run)</td><td>"
       << html_escape(c["status"].get<std::string>()) << "</td></tr>";
  for (const auto& c : d["tests"]["removed"])
    os << "<tr><td>" << html_escape(c["id"].get<std::string>()) << "</td><td>" << html_escape(c["status"].get<std::string>())
       << "</td><td>(not run)</td></tr>";
  os << "</table><table id=\"diff-facts\"><tr><th>fact</th><th>before</th><th>after</th></tr>";
  for (const auto& f : d["facts"])
    os << "<tr><td>" << html_escape(f["field"].get<std::string>()) << "</td><td>" << html_escape(f["from"].dump())
       << "</td><td>" << html_escape(f["to"].dump()) << "</td></tr>";
  os << "</table><table id=\"diff-devices\"><tr><th>device</th><th>change</th></tr>";
  for (const auto& x : d["devices"]["added"])
    os << "<tr><td>" << html_escape(x["id"].get<std::string>() + " " + x["device"].get<std::string>()) << "</td><td>added</td></tr>";
  for (const auto& x : d["devices"]["removed"])
    os << "<tr><td>" << html_escape(x["id"].get<std::string>() + " " + x["device"].get<std::string>()) << "</td><td>removed</td></tr>";
  os << "</table>";
  return os.str();
}

// The detail page of one submission.
std::string detail_html(Store& store, const httplib::Request& req, const User& u, const Submission& s,
                        const std::string& message) {
  std::ostringstream os;
  if (!message.empty()) os << "<p class=\"msg\" id=\"message\">" << html_escape(message) << "</p>";
  os << "<h2 id=\"title\">" << html_escape(s.id) << ": " << html_escape(s.vendor + " " + s.product) << "</h2>";
  os << "<table id=\"facts\"><tr><th>state</th><td id=\"state\">" << state_badge(s.state) << "</td></tr>"
     << "<tr><th>organisation</th><td>" << html_escape(s.org) << " (" << html_escape(s.user) << ")</td></tr>"
     << "<tr><th>model</th><td>" << html_escape(s.model) << "</td></tr><tr><th>OS</th><td>" << html_escape(s.os_id)
     << " " << html_escape(s.os_version) << "</td></tr><tr><th>architecture</th><td>" << html_escape(s.arch)
     << "</td></tr><tr><th>version</th><td>" << s.version << "</td></tr>";
  if (!s.certificate_id.empty())
    os << "<tr><th>certificate</th><td id=\"certificate\">" << html_escape(s.certificate_id) << "</td></tr>";
  os << "</table>";

  auto failures = store.criteria(s.id);
  os << "<h3>Profile criteria (" << html_escape(store.options().profile.name) << ", "
     << store.options().profile.reviewers << " reviewer(s))</h3>";
  if (failures.empty()) os << "<p class=\"criteria-ok\" id=\"criteria\">All criteria met.</p>";
  else {
    os << "<ul class=\"criteria-fail\" id=\"criteria\">";
    for (const auto& f : failures) os << "<li>" << html_escape(f) << "</li>";
    os << "</ul>";
  }

  auto docs = store.version_documents(s.id, s.version);
  if (docs) {
    const auto& [inv, results] = *docs;
    os << "<h3>Results</h3><table id=\"results\"><tr><th>job</th><th>class</th><th>blocker</th><th>status</th>"
       << "<th>reason</th><th>logs</th></tr>";
    if (results.contains("jobs") && results["jobs"].is_array())
      for (const auto& j : results["jobs"]) {
        auto st = j.value("status", "");
        auto id = j.value("id", "");
        os << "<tr><td>" << html_escape(id) << "</td><td>" << html_escape(j.value("class", "")) << "</td><td>"
           << (j.value("blocker", false) ? "yes" : "") << "</td><td class=\"" << html_escape(st) << "\">"
           << html_escape(st) << "</td><td>" << html_escape(j.value("reason", "")) << "</td><td>";
        if (j.contains("logs") && j["logs"].is_object())
          for (const char* k : {"stdout", "stderr", "result"})
            if (j["logs"].contains(k) && j["logs"][k].is_string())
              os << "<a href=\"/ui/submissions/" << html_escape(s.id) << "/log?version=" << s.version
                 << "&amp;path=" << html_escape(httplib::detail::encode_query_param(j["logs"][k].get<std::string>())) << "\">"
                 << k << "</a> ";
        os << "</td></tr>";
      }
    os << "</table><h3>Inventory</h3><table id=\"inventory\"><tr><th>id</th><th>class</th><th>vendor</th>"
       << "<th>model</th><th>driver</th></tr>";
    if (inv.contains("devices") && inv["devices"].is_array())
      for (const auto& d : inv["devices"])
        if (d.is_object())
          os << "<tr><td>" << html_escape(d.value("id", "")) << "</td><td>" << html_escape(d.value("class", ""))
             << "</td><td>" << html_escape(d.value("vendor", "")) << "</td><td>" << html_escape(d.value("model", ""))
             << "</td><td>" << html_escape(d.value("driver", "")) << "</td></tr>";
    os << "</table>";
  }

  auto versions = store.versions(s.id);
  os << "<h3>Versions</h3><table id=\"versions\"><tr><th>version</th><th>bundle SHA-256</th><th>signer</th>"
     << "<th>uploaded</th><th></th></tr>";
  for (const auto& v : versions) {
    os << "<tr><td>" << v.version << "</td><td><code>" << html_escape(v.bundle_sha256) << "</code></td><td><code>"
       << html_escape(v.signer) << "</code></td><td>" << html_escape(v.created) << "</td><td>";
    if (v.version > 1)
      os << "<a class=\"diff\" href=\"/ui/submissions/" << html_escape(s.id) << "/diff?from=" << v.version - 1
         << "&amp;to=" << v.version << "\">diff with " << v.version - 1 << "</a>";
    os << "</td></tr>";
  }
  os << "</table><h3>Conversation</h3><table id=\"events\"><tr><th>when</th><th>who</th><th>action</th>"
     << "<th>comment</th></tr>";
  for (const auto& e : store.events(s.id))
    os << "<tr><td>" << html_escape(e.created) << "</td><td>" << html_escape(e.user) << " (" << html_escape(e.role)
       << ")</td><td>" << html_escape(e.action) << "</td><td class=\"comment\">" << html_escape(e.comment)
       << "</td></tr>";
  os << "</table>";

  if (!is_final(s.state) && (u.role == Role::reviewer || u.role == Role::submitter)) {
    os << "<h3>Act</h3><form id=\"act\" method=\"post\" action=\"/ui/submissions/" << html_escape(s.id)
       << "/review\">" << csrf_field(req) << "<textarea name=\"comment\" placeholder=\"comment\"></textarea><br>";
    if (u.role == Role::reviewer && u.org != s.org) {
      for (const char* a : {"claim", "comment", "request-changes", "approve", "reject"})
        os << "<button name=\"action\" value=\"" << a << "\">" << a << "</button> ";
    } else if (u.role == Role::submitter) {
      os << "<button name=\"action\" value=\"comment\">comment</button>";
    }
    os << "</form>";
    // A submitter answers with a new bundle version: the same checks as the
    // API's POST /submissions/{id}/versions (signature by one of their keys).
    if (u.role == Role::submitter)
      os << "<h3>New bundle version</h3><form id=\"new-version\" method=\"post\" enctype=\"multipart/form-data\" "
         << "action=\"/ui/submissions/" << html_escape(s.id) << "/versions\">" << csrf_field(req)
         << "<input type=\"file\" name=\"bundle\" accept=\".cbundle,application/vnd.certify.bundle\"> "
         << "<button id=\"upload\">upload version " << s.version + 1 << "</button></form>";
    if (u.role == Role::reviewer && u.org == s.org)
      os << "<p class=\"msg\">This is your organisation's submission: you may not review it.</p>";
  }
  return os.str();
}

}  // namespace

void install_web(httplib::Server& http, Store& store, BundleVerifier& verifier) {
  auto current = [&store](const httplib::Request& req) { return authenticate_request(store, req, true); };
  // Pages that need a session: send the visitor to the login page otherwise.
  auto with_user = [current](auto handler) {
    return [current, handler](const httplib::Request& req, httplib::Response& res) {
      auto u = current(req);
      if (!u) return redirect(res, "/ui/login");
      handler(*u, req, res);
    };
  };

  http.Get("/ui/login.js", [](const httplib::Request&, httplib::Response& res) {
    // A link /ui/login#token=...&next=/ui/queue logs in without the token
    // ever reaching a URL the server or a proxy logs (fragments are not sent).
    res.set_content(R"JS(
(function () {
  var h = new URLSearchParams(location.hash.slice(1));
  var t = h.get('token');
  if (!t) return;
  history.replaceState(null, '', location.pathname);
  var body = new URLSearchParams({token: t});
  fetch('/ui/login', {method: 'POST', body: body, credentials: 'same-origin', redirect: 'manual'})
    .then(function () {
      var next = h.get('next') || '/ui/';
      location.replace(next.indexOf('/ui/') === 0 ? next : '/ui/');  // never off-site
    });
})();
)JS",
                    "text/javascript");
  });

  http.Get("/ui/login", [current](const httplib::Request& req, httplib::Response& res) {
    std::string msg = req.has_param("failed") ? "<p class=\"msg\" id=\"message\">That token is not valid.</p>" : "";
    send_page(res, page("log in", current(req),
                        msg + "<form id=\"login\" method=\"post\" action=\"/ui/login\"><label>API token "
                              "<input type=\"password\" name=\"token\" autocomplete=\"off\"></label> "
                              "<button>log in</button></form><script src=\"/ui/login.js\"></script>"));
  });

  http.Post("/ui/login", [&store](const httplib::Request& req, httplib::Response& res) {
    auto token = req.get_param_value("token");
    auto u = store.authenticate(token);
    if (!u) return redirect(res, "/ui/login?failed=1");
    res.set_header("Set-Cookie", "certdb_token=" + token + "; Path=/ui; HttpOnly; SameSite=Strict");
    redirect(res, "/ui/");
  });

  http.Post("/ui/logout", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Set-Cookie", "certdb_token=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
    redirect(res, "/ui/login");
  });

  http.Get("/ui", [](const httplib::Request&, httplib::Response& res) { redirect(res, "/ui/"); });

  http.Get("/ui/", with_user([&store](const User& u, const httplib::Request& req, httplib::Response& res) {
             // Submitters and auditors: one page of submissions, newest first, and a link to the next.
             auto listing = [&](SubmissionFilter f) -> std::optional<std::string> {
               f.after = req.get_param_value("after");
               auto p = store.submissions(f);
               if (!p) return std::nullopt;
               return submissions_table(p->submissions, "submissions") + next_link("/ui/", p->next);
             };
             switch (u.role) {
               case Role::reviewer: return redirect(res, "/ui/queue");
               case Role::submitter: {
                 SubmissionFilter f;
                 f.org = u.org;
                 auto table = listing(f);
                 if (!table) return send_page(res, page("my submissions", u, "<p class=\"msg\">Bad page link.</p>"), 400);
                 return send_page(res, page("my submissions", u,
                                            "<h2>Submissions of " + html_escape(u.org) + "</h2>" + *table));
               }
               case Role::auditor: {
                 auto table = listing({});
                 if (!table) return send_page(res, page("submissions", u, "<p class=\"msg\">Bad page link.</p>"), 400);
                 auto v = store.verify_audit();
                 return send_page(res, page("submissions", u,
                                            std::string("<p id=\"audit\">Audit log: ") +
                                                (v.ok ? "verified" : "BROKEN") + ", " + std::to_string(v.entries) +
                                                " entries.</p>" + *table));
               }
               case Role::admin: {
                 std::ostringstream os;
                 os << "<table id=\"users\"><tr><th>name</th><th>organisation</th><th>role</th><th>keys</th></tr>";
                 for (const auto& x : store.users())
                   os << "<tr><td>" << html_escape(x.name) << "</td><td>" << html_escape(x.org) << "</td><td>"
                      << to_string(x.role) << "</td><td>" << store.keys(x.name).size() << "</td></tr>";
                 os << "</table>";
                 return send_page(res, page("accounts", u, os.str()));
               }
             }
           }));

  http.Get("/ui/queue", with_user([&store](const User& u, const httplib::Request& req, httplib::Response& res) {
             if (u.role != Role::reviewer)
               return send_page(res, page("queue", u, "<p class=\"msg\">The queue is for reviewers.</p>"), 403);
             auto q = store.queue(k_page_default, req.get_param_value("after"));
             if (!q) return send_page(res, page("queue", u, "<p class=\"msg\">Bad page link.</p>"), 400);
             std::ostringstream os;
             os << "<h2>Review queue (oldest first)</h2><p id=\"open\">" << q->total << " open submission"
                << (q->total == 1 ? "" : "s") << ".</p><table id=\"queue\"><tr><th>id</th><th>organisation</th>"
                << "<th>vendor / product</th><th>OS</th><th>classes</th><th>state</th><th>claimed by</th>"
                << "<th>approvals</th><th>submitted</th></tr>";
             for (const auto& e : q->entries) {
               const auto& s = e.submission;
               std::string claimed, classes;
               for (const auto& c : e.claimed_by) claimed += (claimed.empty() ? "" : ", ") + c;
               for (const auto& c : s.classes) classes += (classes.empty() ? "" : ", ") + c;
               os << "<tr class=\"entry" << (s.org == u.org ? " own" : "") << "\" data-id=\"" << html_escape(s.id)
                  << "\"><td><a href=\"/ui/submissions/" << html_escape(s.id) << "\">" << html_escape(s.id)
                  << "</a></td><td>" << html_escape(s.org) << (s.org == u.org ? " (yours: not reviewable)" : "")
                  << "</td><td>" << html_escape(s.vendor + " " + s.product) << "</td><td>"
                  << html_escape(s.os_id + " " + s.os_version) << "</td><td>" << html_escape(classes) << "</td><td>"
                  << state_badge(s.state) << "</td><td class=\"claimed\">"
                  << (claimed.empty() ? "unclaimed" : html_escape(claimed)) << "</td><td>" << e.approvals << "/"
                  << store.options().profile.reviewers << "</td><td>" << html_escape(s.created) << "</td></tr>";
             }
             os << "</table>" << next_link("/ui/queue", q->next);
             if (q->entries.empty()) os << "<p class=\"empty\">The queue is empty.</p>";
             send_page(res, page("queue", u, os.str()));
           }));

  http.Get(R"(/ui/submissions/([A-Za-z0-9-]+))",
           with_user([&store](const User& u, const httplib::Request& req, httplib::Response& res) {
             auto s = visible(store, u, req.matches[1].str());
             if (!s) return send_page(res, page("not found", u, "<p class=\"msg\">No such submission.</p>"), 404);
             send_page(res, page(s->id, u, detail_html(store, req, u, *s, req.get_param_value("msg"))));
           }));

  http.Get(R"(/ui/submissions/([A-Za-z0-9-]+)/diff)",
           with_user([&store](const User& u, const httplib::Request& req, httplib::Response& res) {
             auto s = visible(store, u, req.matches[1].str());
             if (!s) return send_page(res, page("not found", u, "<p class=\"msg\">No such submission.</p>"), 404);
             int from = 0, to = 0;
             try {
               from = std::stoi(req.get_param_value("from"));
               to = std::stoi(req.get_param_value("to"));
             } catch (const std::exception&) {
               return send_page(res, page("diff", u, "<p class=\"msg\">from and to must be versions.</p>"), 400);
             }
             auto a = store.version_documents(s->id, from), b = store.version_documents(s->id, to);
             if (!a || !b) return send_page(res, page("diff", u, "<p class=\"msg\">No such versions.</p>"), 404);
             auto d = version_diff(a->first, a->second, b->first, b->second);
             send_page(res, page(s->id + " diff", u,
                                 "<h2>" + html_escape(s->id) + ": version " + std::to_string(from) + " &rarr; " +
                                     std::to_string(to) + "</h2>" + diff_html(d)));
           }));

  http.Get(R"(/ui/submissions/([A-Za-z0-9-]+)/log)",
           with_user([&store, &verifier](const User& u, const httplib::Request& req, httplib::Response& res) {
             auto s = visible(store, u, req.matches[1].str());
             if (!s) return send_page(res, page("not found", u, "<p class=\"msg\">No such submission.</p>"), 404);
             int version = s->version;
             try {
               if (req.has_param("version")) version = std::stoi(req.get_param_value("version"));
             } catch (const std::exception&) {
               return send_page(res, page("log", u, "<p class=\"msg\">Bad version.</p>"), 400);
             }
             auto path = req.get_param_value("path");
             for (const auto& v : store.versions(s->id)) {
               if (v.version != version) continue;
               auto bytes = store.bundle_bytes(v.bundle_sha256);
               if (!bytes) break;
               auto members = verifier.members(*bytes);
               if (!members) return send_page(res, page("log", u, "<p class=\"msg\">" + html_escape(members.message()) + "</p>"), 500);
               auto it = members->find(path);
               if (it == members->end()) break;
               res.set_header("X-Content-Type-Options", "nosniff");
               res.set_content(it->second, "text/plain; charset=utf-8");
               return;
             }
             send_page(res, page("log", u, "<p class=\"msg\">No such log.</p>"), 404);
           }));

  http.Post(R"(/ui/submissions/([A-Za-z0-9-]+)/versions)",
            with_user([&store, &verifier](const User& u, const httplib::Request& req, httplib::Response& res) {
              auto id = req.matches[1].str();
              auto field = [&](const char* name) {
                return req.has_file(name) ? req.get_file_value(name).content : std::string();
              };
              if (!req.is_multipart_form_data() || field("csrf") != csrf_for(req))
                return send_page(res, page("refused", u, "<p class=\"msg\">Stale form: reload the page.</p>"), 403);
              if (u.role != Role::submitter)
                return send_page(res, page("refused", u, "<p class=\"msg\">Only submitters upload bundles.</p>"), 403);
              auto s = visible(store, u, id);
              if (!s) return send_page(res, page("not found", u, "<p class=\"msg\">No such submission.</p>"), 404);
              std::string msg;
              auto bytes = field("bundle");
              if (bytes.empty()) {
                msg = "choose a bundle file (.cbundle) to upload";
              } else if (auto in = prepare_ingest(bytes, "", store.keys(u.name), verifier); !in) {
                msg = "new version refused: " + in.refusal().message;
              } else if (auto r = store.add_version(u, id, *in); !r) {
                msg = "new version refused: " + r.refusal().message;
              } else {
                msg = "version " + std::to_string(r->version) + " uploaded: the submission is " +
                      std::string(to_string(r->state));
              }
              redirect(res, "/ui/submissions/" + id + "?msg=" + httplib::detail::encode_query_param(msg));
            }));

  http.Post(R"(/ui/submissions/([A-Za-z0-9-]+)/review)",
            with_user([&store](const User& u, const httplib::Request& req, httplib::Response& res) {
              auto id = req.matches[1].str();
              if (req.get_param_value("csrf") != csrf_for(req))
                return send_page(res, page("refused", u, "<p class=\"msg\">Stale form: reload the page.</p>"), 403);
              auto action = parse_action(req.get_param_value("action"));
              if (!action) return send_page(res, page("refused", u, "<p class=\"msg\">Unknown action.</p>"), 400);
              auto r = store.review(u, id, *action, req.get_param_value("comment"));
              std::string msg = r ? std::string(to_string(*action)) + ": done, the submission is " +
                                        std::string(to_string(r->state))
                                  : r.refusal().message;
              redirect(res, "/ui/submissions/" + id + "?msg=" + httplib::detail::encode_query_param(msg));
            }));
}

}  // namespace certify::certdb
