// certdb serve: opens the store, binds, serves until SIGINT/SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <thread>

#include "certdb/commands.hpp"
#include "certdb/ingest.hpp"
#include "certdb/routes.hpp"
#include "certdb/server.hpp"
#include "core/files.hpp"

namespace certify::certdb::cli {

namespace {

struct ServeArgs {
  std::string db;
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert, tls_key;
  std::string profile;
  int reviewers = 0;
  std::uint64_t max_bundle_mib = 256;
  int threads = 32;
  std::string port_file;
};

std::pair<std::string, int> parse_listen(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) throw CommandError("--listen wants HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    port = std::stoi(s.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) throw CommandError("--listen: bad port in " + s);
  return {host, port};
}

}  // namespace

Profile load_profile(const std::string& path, int reviewers) {
  Profile p;
  if (!path.empty()) {
    auto text = read_file(path, 1 << 20);
    if (!text) throw CommandError(text.message());
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) throw CommandError(path + ": not valid JSON");
    auto parsed = parse_profile(j);
    if (!parsed) throw CommandError(path + ": " + parsed.message());
    p = *parsed;
  }
  if (reviewers > 0) p.reviewers = reviewers;
  return p;
}

void add_serve_command(CLI::App& app, int& /*exit_code*/) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Run the HTTP API and web pages");
  cmd->add_option("--db", a->db, "sqlite file or postgresql://user@host/dbname")->required()->envname("CERTDB_DB");
  cmd->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0: any free port)")->default_val("127.0.0.1:8080");
  cmd->add_option("--tls-cert", a->tls_cert, "TLS certificate chain (PEM); with --tls-key serves HTTPS");
  cmd->add_option("--tls-key", a->tls_key, "TLS private key (PEM)");
  cmd->add_option("--profile", a->profile, "Certification profile (JSON): required tests per class, reviewers");
  cmd->add_option("--reviewers", a->reviewers, "Distinct approvals needed to certify (overrides the profile)")
      ->check(CLI::Range(1, 20));
  cmd->add_option("--max-bundle-mib", a->max_bundle_mib, "Largest accepted upload in MiB")
      ->default_val(256)->check(CLI::Range(1, 65536));
  cmd->add_option("--threads", a->threads, "Request worker threads")->default_val(32)->check(CLI::Range(1, 1024));
  cmd->add_option("--port-file", a->port_file, "Write the port listened on to this file once ready");
  cmd->callback([a] {
    if (a->tls_cert.empty() != a->tls_key.empty()) throw CommandError("--tls-cert and --tls-key go together");
    // Checked before the database is opened: a server asked for HTTPS never starts without it.
    if (!a->tls_cert.empty())
      if (auto problem = tls_problem(a->tls_cert, a->tls_key); !problem.empty()) throw CommandError(problem);
    auto [host, port] = parse_listen(a->listen);
    StoreOptions so;
    so.profile = load_profile(a->profile, a->reviewers);
    so.pool_size = static_cast<std::size_t>(std::min(a->threads, 16));
    Store store(a->db, so);
    auto verifier = make_bundle_verifier(a->max_bundle_mib << 20);
    ServerOptions opt;
    opt.host = host;
    opt.port = port;
    opt.tls_cert = a->tls_cert;
    opt.tls_key = a->tls_key;
    opt.max_bundle_bytes = a->max_bundle_mib << 20;
    opt.threads = a->threads;
    Server server(store, *verifier, opt);
    for (const auto& hook : route_hooks()) server.add_routes(hook);

    // Signals go to one thread that stops the server; workers never see them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::string error;
    if (!server.bind(error)) throw CommandError(error);
    std::thread waiter([&server, set] {
      int sig = 0;
      sigwait(&set, &sig);
      server.stop();
    });
    std::cerr << "certdb: listening on " << (a->tls_cert.empty() ? "http" : "https") << "://" << host << ":"
              << server.port() << " (" << (is_postgres_url(a->db) ? "postgresql" : "sqlite " + a->db) << ", profile "
              << so.profile.name << ", " << so.profile.reviewers << " reviewer(s))\n";
    if (!a->port_file.empty()) {
      if (auto st = write_file_atomic(a->port_file, std::to_string(server.port()) + "\n"); !st)
        throw CommandError(st.message());
    }
    server.run();
    // run() returns after stop(): from the waiter or a failure; wake the waiter either way.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  });
}

}  // namespace certify::certdb::cli
