// Public list routes: query parsing errors are 400 with {"error": ...}, an
// unknown certificate is 404; every answer is JSON or CSV.
#include "certdb/list_api.hpp"

#include <nlohmann/json.hpp>

namespace certify::certdb {

namespace {

void error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

}  // namespace

void register_list_routes(httplib::Server& server, const Catalog& catalog) {
  // httplib writes the headers and the body in two sends; with Nagle on,
  // the body waits for the client's delayed ACK of the headers (~40 ms a
  // request on Linux), more than any list query costs.
  server.set_tcp_nodelay(true);
  server.Get("/api/v1/list", [&catalog](const httplib::Request& req, httplib::Response& res) {
    auto q = parse_list_query(req.params);
    if (!q) return error(res, 400, q.message());
    res.set_content(catalog.page_json(catalog.query(*q)), "application/json");
  });
  server.Get("/api/v1/list.json", [&catalog](const httplib::Request& req, httplib::Response& res) {
    auto q = parse_list_query(req.params, true);
    if (!q) return error(res, 400, q.message());
    res.set_content(catalog.page_json(catalog.query(*q)), "application/json");
  });
  server.Get("/api/v1/list.csv", [&catalog](const httplib::Request& req, httplib::Response& res) {
    auto q = parse_list_query(req.params, true);
    if (!q) return error(res, 400, q.message());
    res.set_header("Content-Disposition", "attachment; filename=\"list.csv\"");
    res.set_content(catalog.export_csv(catalog.query(*q).entries), "text/csv; charset=utf-8");
  });
  server.Get(R"(/api/v1/certificates/([^/]+))", [&catalog](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    if (!valid_certificate_id(id)) return error(res, 400, "not a certificate id");
    auto record = catalog.record(id);
    if (!record) return error(res, 404, "no certificate " + id);
    res.set_content(*record, "application/json");
  });
}

}  // namespace certify::certdb
