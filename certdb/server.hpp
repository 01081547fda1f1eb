// certdb's HTTP server (cpp-httplib): the JSON API under /api/v1
// (schemas/certdb-api.yaml), the web pages under /ui, and a hook through
// which other parts (the public list, certdb/catalog) add their routes.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "certdb/ingest.hpp"
#include "certdb/store.hpp"

namespace certify::certdb {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0 = any free port (see Server::port())
  std::string tls_cert, tls_key;   // PEM files; both or neither
  std::uint64_t max_bundle_bytes = std::uint64_t{256} << 20;
  int threads = 32;                // request workers (each keep-alive connection holds one)
};

// The session token of the web pages: the first `certdb_token` cookie (the
// one the browser sends first when several match), or "". Authentication and
// the CSRF token of a form both use it, so they always name the same session.
std::string session_cookie(const httplib::Request& req);

// Who is asking: the account of the bearer token (API) or session cookie (web).
std::optional<User> authenticate_request(Store& store, const httplib::Request& req, bool allow_cookie);

// Why this TLS certificate chain and private key (PEM files) cannot serve
// HTTPS — unreadable, not PEM, or a key of another certificate — or "".
std::string tls_problem(const std::string& cert, const std::string& key);

// Writes {"error": message} with `status`.
void send_error(httplib::Response& res, int status, const std::string& message);

class Server {
 public:
  // Adds routes to the server being built; runs before listening.
  using RouteHook = std::function<void(httplib::Server& http, Store& store)>;

  Server(Store& store, BundleVerifier& verifier, ServerOptions options);
  ~Server();
  void add_routes(const RouteHook& hook);
  // Binds the socket; false with `error` set when it cannot.
  bool bind(std::string& error);
  int port() const { return port_; }
  // Serves until stop(); call after bind().
  void run();
  void stop();

 private:
  void install_api();
  Store& store_;
  BundleVerifier& verifier_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
};

}  // namespace certify::certdb
