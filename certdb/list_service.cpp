// The live public list: catalog fed by the store, reviewer actions through
// the store (audit entry + change notification), which then updates the
// catalog, so a reader sees an action as soon as it is answered.
#include "certdb/list_service.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>

#include "certdb/catalog.hpp"
#include "certdb/list_actions.hpp"
#include "certdb/list_api.hpp"

namespace certify::certdb {

using nlohmann::json;

namespace {

std::string today_utc() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

struct ListService {
  Catalog catalog;
  // Reviewer actions read, change and write one record; one at a time, so
  // two concurrent actions on a certificate cannot lose one another.
  std::mutex actions_mu;
};

void reply_json(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(2) + "\n", "application/json");
}

// Reviewer-only action on certificate `id` with a JSON body: `change` makes
// the new record from the old one (or refuses with a message, 409 or 400).
template <class Change>
void certificate_action(Store& store, ListService& svc, const httplib::Request& req, httplib::Response& res,
                        const char* kind, bool own_org_forbidden, Change change) {
  auto user = authenticate_request(store, req, false);
  if (!user) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"certdb\"");
    return send_error(res, 401, "a valid API token is needed (Authorization: Bearer ...)");
  }
  if (user->role != Role::reviewer)
    return send_error(res, 403, "the " + std::string(to_string(user->role)) + " role may not do this; reviewers only");
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return send_error(res, 400, "the request body must be a JSON object");
  std::string id = req.matches[1];
  if (!valid_certificate_id(id)) return send_error(res, 400, "not a certificate id");
  std::lock_guard lock(svc.actions_mu);
  auto record = store.certificate(id);
  if (!record) return send_error(res, 404, "no certificate " + id);
  if (own_org_forbidden) {
    auto sub = store.submission(record->value("submission_id", ""));
    if (sub && sub->org == user->org)
      return send_error(res, 403, "nobody reviews their own organisation's certificate (" + sub->org + ")");
  }
  auto changed = change(*record, body, user->name);
  if (!changed) {
    // Against the certificate's state (withdrawn, already extended or
    // withdrawn): 409; a request that names untested hardware, lacks its
    // basis or reason: 422.
    bool conflict = record->value("status", "") == "withdrawn" ||
                    changed.message().find("already") != std::string::npos;
    return send_error(res, conflict ? 409 : 422, changed.message());
  }
  auto saved = store.update_certificate(user->name, kind, *changed);
  if (!saved) return send_error(res, saved.refusal().status, saved.refusal().message);
  reply_json(res, *saved);
}

}  // namespace

Server::RouteHook public_list_hook() {
  return [](httplib::Server& http, Store& store) {
    auto svc = std::make_shared<ListService>();
    std::size_t refused = 0;
    for (const auto& record : store.certificates()) {
      if (auto st = svc->catalog.upsert(record); !st) {
        ++refused;
        std::cerr << "certdb: public list: " << st.message() << " (not listed until its record is repaired)\n";
      }
    }
    // Build the indexes and sort orders before the first reader; changes
    // then keep them current.
    svc->catalog.prepare();
    std::cerr << "certdb: public list: " << svc->catalog.size() << " certificate(s)"
              << (refused ? ", " + std::to_string(refused) + " refused" : std::string()) << "\n";
    store.on_certificate_change([svc](const CertificateChange& change) {
      if (auto st = svc->catalog.upsert(change.record); !st)
        std::cerr << "certdb: public list: " << change.kind << ": " << st.message() << "\n";
    });
    // The action handlers and the listener hold the service, so the catalog
    // the list routes read lives as long as the server and the store.
    register_list_routes(http, svc->catalog);
    http.Post(R"(/api/v1/certificates/([^/]+)/extend)", [svc, &store](const httplib::Request& req,
                                                                      httplib::Response& res) {
      certificate_action(store, *svc, req, res, "extended", true,
                         [](const json& record, const json& body, const std::string& by) {
                           return extend_certificate(record, body, by, today_utc());
                         });
    });
    http.Post(R"(/api/v1/certificates/([^/]+)/withdraw)", [svc, &store](const httplib::Request& req,
                                                                        httplib::Response& res) {
      certificate_action(store, *svc, req, res, "withdrawn", false,
                         [](const json& record, const json& body, const std::string& by) -> Result<json> {
                           auto reason = body.find("reason");
                           if (reason == body.end() || !reason->is_string())
                             return make_error("\"reason\" (a string) is needed to withdraw a certificate");
                           return withdraw_certificate(record, reason->get<std::string>(), by, today_utc());
                         });
    });
  };
}

}  // namespace certify::certdb
