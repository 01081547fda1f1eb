// The JSON API: authentication, role checks, and the mapping of store
// refusals to HTTP statuses. Every handler answers JSON; errors are
// {"error": "..."} with a 4xx that says whose fault it is.
#include "certdb/server.hpp"

#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>

#include "certdb/diff.hpp"
#include "certdb/web.hpp"
#include "core/files.hpp"

namespace certify::certdb {

using nlohmann::json;

namespace {

constexpr const char* k_json = "application/json";

void send_json(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(2) + "\n", k_json);
}

std::string bearer(const httplib::Request& req) {
  auto h = req.get_header_value("Authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (h.size() > prefix.size() && std::string_view(h).substr(0, prefix.size()) == prefix) return h.substr(prefix.size());
  return {};
}

// The role table of the API: which roles may call which endpoint family.
// Finer rules (organisation, state) are the store's.
struct Access {
  bool submitter, reviewer, admin, auditor;
  bool allows(Role r) const {
    switch (r) {
      case Role::submitter: return submitter;
      case Role::reviewer: return reviewer;
      case Role::admin: return admin;
      case Role::auditor: return auditor;
    }
    return false;
  }
};
constexpr Access k_upload{true, false, false, false};
constexpr Access k_read_submissions{true, true, false, true};
constexpr Access k_review{true, true, false, false};
constexpr Access k_queue{false, true, false, false};
constexpr Access k_audit{false, false, false, true};
constexpr Access k_accounts{false, false, true, false};
constexpr Access k_anyone{true, true, true, true};

// ?limit= of a paged listing: 1..k_page_max, k_page_default when absent.
std::optional<int> page_limit(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_param("limit")) return k_page_default;
  const auto& v = req.get_param_value("limit");
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > k_page_max) {
    send_error(res, 400, "limit must be an integer from 1 to " + std::to_string(k_page_max));
    return std::nullopt;
  }
  return n;
}

std::string openssl_reason() {
  auto e = ERR_peek_last_error();
  const char* r = e ? ERR_reason_error_string(e) : nullptr;
  return r ? r : "unknown reason";
}

}  // namespace

// Why the TLS certificate and key cannot serve, or "" when they can. Loads
// them as httplib will, so the server refuses to start (rather than answer
// nothing, or plain HTTP) and says which file is wrong.
std::string tls_problem(const std::string& cert, const std::string& key) {
  if (cert.empty() || key.empty()) return "--tls-cert and --tls-key go together";
  for (const auto& [option, path] : {std::pair{"--tls-cert", cert}, std::pair{"--tls-key", key}})
    if (auto text = read_file(path, std::size_t{1} << 20); !text) return std::string(option) + ": " + text.message();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return "cannot set up TLS: " + openssl_reason();
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1)
    return "--tls-cert " + cert + ": not a PEM certificate chain (" + openssl_reason() + ")";
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1)
    return "--tls-key " + key + ": not a PEM private key of the certificate " + cert + " (" + openssl_reason() + ")";
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return "--tls-key " + key + " does not match the certificate " + cert;
  return {};
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, {{"error", message}}, status);
}

std::string session_cookie(const httplib::Request& req) {
  auto cookies = req.get_header_value("Cookie");
  std::string_view rest(cookies);
  while (!rest.empty()) {
    auto semi = rest.find(';');
    auto part = rest.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with("certdb_token=")) return std::string(part.substr(13));
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return {};
}

std::optional<User> authenticate_request(Store& store, const httplib::Request& req, bool allow_cookie) {
  auto token = bearer(req);
  if (token.empty() && allow_cookie) token = session_cookie(req);
  if (token.empty()) return std::nullopt;
  return store.authenticate(token);
}

Server::Server(Store& store, BundleVerifier& verifier, ServerOptions options)
    : store_(store), verifier_(verifier), options_(std::move(options)) {
  if (!options_.tls_cert.empty() || !options_.tls_key.empty())
    http_ = std::make_unique<httplib::SSLServer>(options_.tls_cert.c_str(), options_.tls_key.c_str());
  else
    http_ = std::make_unique<httplib::Server>();
  int threads = options_.threads > 0 ? options_.threads : 32;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  http_->set_payload_max_length(options_.max_bundle_bytes);
  http_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    }
    send_error(res, 500, "internal error: " + what);
  });
  // httplib answers 413 itself for an oversize body; give it our JSON shape.
  http_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      std::string msg = res.status == 413 ? "request body too large" : res.status == 404 ? "no such endpoint"
                                                                                        : "request failed";
      send_error(res, res.status, msg);
    }
  });
  install_api();
  install_web(*http_, store_, verifier_);
}

Server::~Server() = default;

void Server::add_routes(const RouteHook& hook) { hook(*http_, store_); }

bool Server::bind(std::string& error) {
  if (auto* ssl = dynamic_cast<httplib::SSLServer*>(http_.get())) {
    if (auto problem = tls_problem(options_.tls_cert, options_.tls_key); !problem.empty()) {
      error = problem;
      return false;
    }
    if (!ssl->is_valid()) {
      error = "cannot set up TLS with " + options_.tls_cert + " and " + options_.tls_key;
      return false;
    }
  }
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) {
      error = "cannot listen on " + options_.host;
      return false;
    }
    return true;
  }
  if (!http_->bind_to_port(options_.host, options_.port)) {
    error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port);
    return false;
  }
  port_ = options_.port;
  return true;
}

void Server::run() { http_->listen_after_bind(); }
void Server::stop() { http_->stop(); }

void Server::install_api() {
  auto& http = *http_;
  Store& store = store_;
  BundleVerifier& verifier = verifier_;

  // Wraps a handler with authentication and the role table.
  auto guarded = [&store](Access access, auto handler) {
    return [&store, access, handler](const httplib::Request& req, httplib::Response& res) {
      auto user = authenticate_request(store, req, false);
      if (!user) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"certdb\"");
        return send_error(res, 401, "a valid API token is needed (Authorization: Bearer ...)");
      }
      if (!access.allows(user->role))
        return send_error(res, 403, "the " + std::string(to_string(user->role)) + " role may not do this");
      handler(*user, req, res);
    };
  };
  auto parse_body = [](const httplib::Request& req, httplib::Response& res) -> std::optional<json> {
    auto j = json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      send_error(res, 400, "the request body must be a JSON object");
      return std::nullopt;
    }
    return j;
  };
  // A submission the caller may see: submitters only their organisation's.
  auto visible = [&store](const User& u, const std::string& id) -> std::optional<Submission> {
    auto s = store.submission(id);
    if (!s || (u.role == Role::submitter && s->org != u.org)) return std::nullopt;
    return s;
  };
  auto upload = [&store, &verifier](const User& u, const httplib::Request& req, httplib::Response& res,
                                    const std::string& replaces) {
    auto type = req.get_header_value("Content-Type");
    if (!type.empty() && type != "application/vnd.certify.bundle" && type != "application/octet-stream")
      return send_error(res, 415, "send the bundle as application/vnd.certify.bundle");
    if (!replaces.empty()) {
      auto s = store.submission(replaces);
      if (!s || s->org != u.org) return send_error(res, 404, "submission " + replaces + " not found");
    }
    auto declared = req.get_header_value("X-Certify-Bundle-SHA256");
    // A replay of a stored bundle is answered without verifying it again.
    if (!declared.empty() && replaces.empty()) {
      if (auto dup = store.find_by_bundle(declared); dup && sha256_hex(req.body) == declared) {
        auto s = store.submission(dup->id);
        if (s && s->org == u.org) return send_json(res, dup->to_json(), 200);
      }
    }
    auto in = prepare_ingest(req.body, declared, store.keys(u.name), verifier);
    if (!in) return send_error(res, in.refusal().status, in.refusal().message);
    auto r = replaces.empty() ? store.ingest(u, *in) : store.add_version(u, replaces, *in);
    if (!r) return send_error(res, r.refusal().status, r.refusal().message);
    send_json(res, r->to_json(), r->duplicate ? 200 : 201);
  };

  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, {{"ok", true}}); });

  http.Get("/api/v1/whoami", guarded(k_anyone, [](const User& u, const httplib::Request&, httplib::Response& res) {
             send_json(res, u.to_json());
           }));

  http.Post("/api/v1/submissions",
            guarded(k_upload, [upload](const User& u, const httplib::Request& req, httplib::Response& res) {
              upload(u, req, res, "");
            }));

  http.Get("/api/v1/submissions",
           guarded(k_read_submissions, [&store](const User& u, const httplib::Request& req, httplib::Response& res) {
             SubmissionFilter f;
             if (req.has_param("state")) {
               f.state = parse_state(req.get_param_value("state"));
               if (!f.state) return send_error(res, 400, "unknown state " + req.get_param_value("state"));
             }
             f.vendor = req.get_param_value("vendor");
             if (u.role == Role::submitter) f.org = u.org;
             auto limit = page_limit(req, res);
             if (!limit) return;
             f.limit = *limit;
             f.after = req.get_param_value("after");
             auto page = store.submissions(f);
             if (!page) return send_error(res, page.refusal().status, page.refusal().message);
             json out = json::array();
             for (const auto& s : page->submissions) out.push_back(s.to_json());
             send_json(res, {{"submissions", out}, {"next", page->next.empty() ? json() : json(page->next)}});
           }));

  http.Get(R"(/api/v1/submissions/([A-Za-z0-9-]+))",
           guarded(k_read_submissions, [&store, visible](const User& u, const httplib::Request& req, httplib::Response& res) {
             auto id = req.matches[1].str();
             auto s = visible(u, id);
             if (!s) return send_error(res, 404, "submission " + id + " not found");
             json versions = json::array(), events = json::array();
             for (const auto& v : store.versions(id)) versions.push_back(v.to_json());
             for (const auto& e : store.events(id)) events.push_back(e.to_json());
             json out = s->to_json();
             out["versions"] = versions;
             out["events"] = events;
             out["criteria"] = {{"profile", store.options().profile.name},
                                {"reviewers_required", store.options().profile.reviewers},
                                {"failures", store.criteria(id)}};
             send_json(res, out);
           }));

  http.Post(R"(/api/v1/submissions/([A-Za-z0-9-]+)/versions)",
            guarded(k_upload, [upload](const User& u, const httplib::Request& req, httplib::Response& res) {
              upload(u, req, res, req.matches[1].str());
            }));

  http.Get(R"(/api/v1/submissions/([A-Za-z0-9-]+)/bundle)",
           guarded(k_read_submissions, [&store, visible](const User& u, const httplib::Request& req, httplib::Response& res) {
             auto id = req.matches[1].str();
             auto s = visible(u, id);
             if (!s) return send_error(res, 404, "submission " + id + " not found");
             int version = s->version;
             if (req.has_param("version")) {
               try {
                 version = std::stoi(req.get_param_value("version"));
               } catch (const std::exception&) {
                 return send_error(res, 400, "version must be an integer");
               }
             }
             for (const auto& v : store.versions(id))
               if (v.version == version) {
                 auto bytes = store.bundle_bytes(v.bundle_sha256);
                 if (!bytes) break;
                 res.set_header("X-Certify-Bundle-SHA256", v.bundle_sha256);
                 res.set_content(std::move(*bytes), "application/vnd.certify.bundle");
                 return;
               }
             send_error(res, 404, "submission " + id + " has no version " + std::to_string(version));
           }));

  http.Get(R"(/api/v1/submissions/([A-Za-z0-9-]+)/diff)",
           guarded(k_read_submissions, [&store, visible](const User& u, const httplib::Request& req, httplib::Response& res) {
             auto id = req.matches[1].str();
             auto s = visible(u, id);
             if (!s) return send_error(res, 404, "submission " + id + " not found");
             int from = s->version - 1, to = s->version;
             try {
               if (req.has_param("from")) from = std::stoi(req.get_param_value("from"));
               if (req.has_param("to")) to = std::stoi(req.get_param_value("to"));
             } catch (const std::exception&) {
               return send_error(res, 400, "from and to must be version numbers");
             }
             auto a = store.version_documents(id, from), b = store.version_documents(id, to);
             if (!a || !b) return send_error(res, 404, "submission " + id + " has no versions " +
                                                            std::to_string(from) + " and " + std::to_string(to));
             auto d = version_diff(a->first, a->second, b->first, b->second);
             d["from"] = from;
             d["to"] = to;
             send_json(res, d);
           }));

  http.Post(R"(/api/v1/submissions/([A-Za-z0-9-]+)/review)",
            guarded(k_review, [&store, parse_body](const User& u, const httplib::Request& req, httplib::Response& res) {
              auto body = parse_body(req, res);
              if (!body) return;
              if (!body->contains("action") || !(*body)["action"].is_string())
                return send_error(res, 400, "\"action\" is needed: claim, comment, request-changes, approve or reject");
              auto action = parse_action((*body)["action"].get<std::string>());
              if (!action) return send_error(res, 400, "unknown action \"" + (*body)["action"].get<std::string>() + "\"");
              std::string comment;
              if (body->contains("comment")) {
                if (!(*body)["comment"].is_string()) return send_error(res, 400, "\"comment\" must be a string");
                comment = (*body)["comment"].get<std::string>();
              }
              auto r = store.review(u, req.matches[1].str(), *action, comment);
              if (!r) return send_error(res, r.refusal().status, r.refusal().message);
              send_json(res, r->to_json());
            }));

  http.Get("/api/v1/queue", guarded(k_queue, [&store](const User& u, const httplib::Request& req, httplib::Response& res) {
             auto limit = page_limit(req, res);
             if (!limit) return;
             auto page = store.queue(*limit, req.get_param_value("after"));
             if (!page) return send_error(res, page.refusal().status, page.refusal().message);
             json out = json::array();
             for (const auto& q : page->entries) {
               auto j = q.to_json();
               // A reviewer sees their own organisation's entries marked, not hidden.
               j["own_organisation"] = q.submission.org == u.org;
               out.push_back(std::move(j));
             }
             send_json(res, {{"queue", out}, {"total", page->total},
                             {"next", page->next.empty() ? json() : json(page->next)}});
           }));

  http.Get("/api/v1/audit", guarded(k_audit, [&store](const User&, const httplib::Request& req, httplib::Response& res) {
             std::int64_t after = 0;
             int limit = 1000;
             try {
               if (req.has_param("after")) after = std::stoll(req.get_param_value("after"));
               if (req.has_param("limit")) limit = std::clamp(std::stoi(req.get_param_value("limit")), 1, 10000);
             } catch (const std::exception&) {
               return send_error(res, 400, "after and limit must be integers");
             }
             json out = json::array();
             for (const auto& e : store.audit(after, limit)) out.push_back(e.to_json());
             send_json(res, {{"entries", out}});
           }));

  http.Get("/api/v1/audit/verify",
           guarded(k_audit, [&store](const User&, const httplib::Request&, httplib::Response& res) {
             auto v = store.verify_audit();
             send_json(res, {{"ok", v.ok}, {"entries", v.entries}, {"head", v.head}, {"problems", v.problems}});
           }));

  http.Get("/api/v1/users", guarded(k_accounts, [&store](const User&, const httplib::Request&, httplib::Response& res) {
             json out = json::array();
             for (const auto& u : store.users()) {
               auto j = u.to_json();
               j["keys"] = json::array();
               for (const auto& k : store.keys(u.name)) j["keys"].push_back(k.to_json());
               out.push_back(std::move(j));
             }
             send_json(res, {{"users", out}});
           }));

  http.Post("/api/v1/users",
            guarded(k_accounts, [&store, parse_body](const User& u, const httplib::Request& req, httplib::Response& res) {
              auto body = parse_body(req, res);
              if (!body) return;
              auto name = body->value("name", json()), org = body->value("org", json()), role = body->value("role", json());
              if (!name.is_string() || !org.is_string() || !role.is_string())
                return send_error(res, 400, "\"name\", \"org\" and \"role\" are needed (strings)");
              auto r = parse_role(role.get<std::string>());
              if (!r) return send_error(res, 400, "unknown role \"" + role.get<std::string>() + "\"");
              auto added = store.add_user(u.name, name.get<std::string>(), org.get<std::string>(), *r);
              if (!added) return send_error(res, added.refusal().status, added.refusal().message);
              send_json(res, added->to_json(), 201);
            }));

  http.Post(R"(/api/v1/users/([A-Za-z0-9@._-]+)/role)",
            guarded(k_accounts, [&store, parse_body](const User& u, const httplib::Request& req, httplib::Response& res) {
              auto body = parse_body(req, res);
              if (!body) return;
              auto role = body->value("role", json());
              if (!role.is_string()) return send_error(res, 400, "\"role\" is needed");
              auto r = parse_role(role.get<std::string>());
              if (!r) return send_error(res, 400, "unknown role \"" + role.get<std::string>() + "\"");
              auto changed = store.set_role(u.name, req.matches[1].str(), *r);
              if (!changed) return send_error(res, changed.refusal().status, changed.refusal().message);
              send_json(res, changed->to_json());
            }));

  http.Post(R"(/api/v1/users/([A-Za-z0-9@._-]+)/tokens)",
            guarded(k_accounts, [&store, parse_body](const User& u, const httplib::Request& req, httplib::Response& res) {
              auto body = parse_body(req, res);
              if (!body) return;
              auto label = body->value("label", json("api"));
              if (!label.is_string()) return send_error(res, 400, "\"label\" must be a string");
              auto t = store.issue_token(u.name, req.matches[1].str(), label.get<std::string>());
              if (!t) return send_error(res, t.refusal().status, t.refusal().message);
              send_json(res, {{"user", req.matches[1].str()}, {"label", label}, {"token", *t}}, 201);
            }));

  http.Post(R"(/api/v1/users/([A-Za-z0-9@._-]+)/keys)",
            guarded(k_accounts, [&store, &verifier, parse_body](const User& u, const httplib::Request& req,
                                                                 httplib::Response& res) {
              auto body = parse_body(req, res);
              if (!body) return;
              auto pem = body->value("pem", json());
              if (!pem.is_string()) return send_error(res, 400, "\"pem\" (a PEM public key) is needed");
              auto info = verifier.inspect_key(pem.get<std::string>());
              if (!info) return send_error(res, 400, info.message());
              auto k = store.add_key(u.name, req.matches[1].str(),
                                     {info->fingerprint, info->algorithm, pem.get<std::string>(), "", ""});
              if (!k) return send_error(res, k.refusal().status, k.refusal().message);
              send_json(res, k->to_json(), 201);
            }));
}

}  // namespace certify::certdb
