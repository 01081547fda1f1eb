// Upload client tests: the retry policy against a fake transport, then real
// HTTP on 127.0.0.1 (cpp-httplib server standing in for certdb, a TCP proxy
// that drops connections, a TLS server with a self-signed certificate) and
// the certify submit command end to end.
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/files.hpp"
#include "submit/bundle.hpp"
#include "submit/upload.hpp"
#include "submit/verify.hpp"
#include "testutil.hpp"

using namespace certify;
using namespace certify::submit;
using namespace std::chrono_literals;

namespace {

struct RecordingSleeper : Sleeper {
  std::vector<std::chrono::milliseconds> waits;
  void sleep(std::chrono::milliseconds d) override { waits.push_back(d); }
};

// Answers from a script, one response per call, and keeps the requests.
struct ScriptedTransport : HttpTransport {
  std::vector<HttpResponse> script;
  std::vector<HttpRequest> seen;
  HttpResponse post(const HttpRequest& r) override {
    seen.push_back(r);
    REQUIRE(seen.size() <= script.size());
    return script[seen.size() - 1];
  }
};

HttpResponse status(long code, std::string body = {}) {
  HttpResponse r;
  r.status = code;
  r.body = std::move(body);
  return r;
}
HttpResponse network_error(bool retryable) {
  HttpResponse r;
  r.error = retryable ? "Connection reset by peer" : "SSL certificate problem: self-signed certificate";
  r.retryable = retryable;
  return r;
}

SubmitOptions options(int port_or_0 = 0) {
  SubmitOptions o;
  o.server = port_or_0 ? "http://127.0.0.1:" + std::to_string(port_or_0) : "https://certdb.test";
  o.token = "t0ken";
  return o;
}

// certdb's submission endpoint as agreed: dedupe by hash, bearer token,
// optional 503s first. Checks what the client sends.
struct FakeCertdb {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  int posts = 0;        // requests that reached the handler
  int fail_first = 0;   // answer 503 to this many requests
  std::map<std::string, std::string> by_hash;
  std::string last_body_sha;

  explicit FakeCertdb(std::size_t max_payload = std::size_t{64} << 20) {
    server.set_payload_max_length(max_payload);
    server.Post(std::string(k_submissions_path), [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      ++posts;
      if (fail_first > 0) {
        --fail_first;
        res.status = 503;
        res.set_header("Retry-After", "1");
        res.set_content(R"({"error":"database maintenance"})", "application/json");
        return;
      }
      if (req.get_header_value("Authorization") != "Bearer t0ken") {
        res.status = 401;
        res.set_content(R"({"error":"invalid or expired token"})", "application/json");
        return;
      }
      auto sha = sha256_hex(req.body);
      last_body_sha = sha;
      if (req.get_header_value("Content-Type") != k_bundle_media_type ||
          req.get_header_value(std::string(k_bundle_sha_header)) != sha) {
        res.status = 400;
        res.set_content(R"({"error":"bundle hash header does not match the body"})", "application/json");
        return;
      }
      bool dup = by_hash.count(sha) > 0;
      if (!dup) by_hash[sha] = "sub-" + std::to_string(by_hash.size() + 1);
      res.status = dup ? 200 : 201;
      nlohmann::json reply = {{"id", by_hash[sha]}, {"state", "pending"}, {"duplicate", dup}};
      res.set_content(reply.dump(), "application/json");
    });
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeCertdb() {
    server.stop();
    thread.join();
  }
};

// TCP proxy in front of a server that breaks the first connection:
// drop_request closes it (RST) after `after` bytes of the request;
// drop_reply forwards the whole request but kills the connection instead
// of passing the server's answer back (the server did the work, the
// client never heard).
class FaultProxy {
 public:
  enum class Mode { drop_request, drop_reply };
  FaultProxy(int backend, Mode mode, std::size_t after = 64 << 10) : backend_(backend), mode_(mode), after_(after) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listen_fd_, 8) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FaultProxy() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : workers_) t.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  static void reset_close(int fd) {
    linger l{1, 0};  // RST, as a crashed peer or a dropped link looks
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
  }
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      int n = ++connections_;
      workers_.emplace_back([this, c, n] { serve(c, n == 1); });
    }
  }
  void serve(int client, bool faulty) {
    char buf[16384];
    if (faulty && mode_ == Mode::drop_request) {
      std::size_t got = 0;
      while (got < after_ && !stop_) {
        pollfd p{client, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        ssize_t n = ::read(client, buf, sizeof buf);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      reset_close(client);
      return;
    }
    int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(backend_));
    if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(up);
      reset_close(client);
      return;
    }
    bool open = true;
    while (open && !stop_) {
      pollfd p[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2 && open; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        if (i == 1 && faulty && mode_ == Mode::drop_reply) {
          open = false;
          break;
        }
        int to = i == 0 ? up : client;
        for (ssize_t done = 0; done < n;) {
          ssize_t w = ::write(to, buf + done, static_cast<std::size_t>(n - done));
          if (w <= 0) {
            open = false;
            break;
          }
          done += w;
        }
      }
    }
    ::close(up);
    reset_close(client);
  }

  int backend_;
  Mode mode_;
  std::size_t after_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

std::string some_bundle(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i * 31 + (i >> 9));
  return s;
}

}  // namespace

TEST_CASE("submissions URL: joins the base, rejects what is not http(s)") {
  CHECK(*submissions_url("https://certdb.example.org") == "https://certdb.example.org/api/v1/submissions");
  CHECK(*submissions_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/api/v1/submissions");
  CHECK(*submissions_url("https://h/certdb//") == "https://h/certdb/api/v1/submissions");
  CHECK_FALSE(submissions_url("ftp://h").ok());
  CHECK_FALSE(submissions_url("certdb.example.org").ok());
  CHECK_FALSE(submissions_url("https://").ok());
  CHECK_FALSE(submissions_url("https://h/?x=1").ok());
}

TEST_CASE("retry policy: 5xx and network errors back off exponentially, bounded") {
  ScriptedTransport http;
  http.script = {network_error(true), status(503), status(502, "<html>bad gateway</html>"), status(500),
                 status(201, R"({"id":"s1","state":"pending","duplicate":false})")};
  RecordingSleeper sleeper;
  auto opt = options();
  opt.initial_backoff = 1000ms;
  opt.max_backoff = 3000ms;
  std::vector<int> retried;
  opt.on_retry = [&](int attempt, const std::string&, std::chrono::milliseconds) { retried.push_back(attempt); };
  auto sub = submit_bundle("bundle-bytes", opt, http, sleeper);
  REQUIRE(sub.ok());
  CHECK(sub->id == "s1");
  CHECK(sub->attempts == 5);
  CHECK(sleeper.waits == std::vector<std::chrono::milliseconds>{1000ms, 2000ms, 3000ms, 3000ms});
  CHECK(retried == std::vector<int>{1, 2, 3, 4});
  // Every attempt carries the same idempotency key and the bearer token.
  for (const auto& r : http.seen) {
    CHECK(r.url == "https://certdb.test/api/v1/submissions");
    CHECK(r.verify_tls);
    bool sha = false, auth = false;
    for (const auto& [k, v] : r.headers) {
      sha |= k == k_bundle_sha_header && v == sha256_hex("bundle-bytes");
      auth |= k == "Authorization" && v == "Bearer t0ken";
    }
    CHECK(sha);
    CHECK(auth);
  }
}

TEST_CASE("retry policy: gives up after max_attempts with the last problem") {
  ScriptedTransport http;
  http.script = {status(503, R"({"error":"maintenance"})"), status(503, R"({"error":"maintenance"})"),
                 status(503, R"({"error":"still maintenance"})")};
  RecordingSleeper sleeper;
  auto opt = options();
  opt.max_attempts = 3;
  auto sub = submit_bundle("b", opt, http, sleeper);
  REQUIRE_FALSE(sub.ok());
  CHECK(sub.message().find("after 3 attempts") != std::string::npos);
  CHECK(sub.message().find("still maintenance") != std::string::npos);
  CHECK(sleeper.waits.size() == 2);
}

TEST_CASE("retry policy: Retry-After is honoured up to the cap") {
  ScriptedTransport http;
  auto busy = status(429);
  busy.retry_after_seconds = 7;
  auto long_busy = status(503);
  long_busy.retry_after_seconds = 3600;
  http.script = {busy, long_busy, status(200, R"({"id":42,"state":"pending","duplicate":true})")};
  RecordingSleeper sleeper;
  auto opt = options();
  opt.initial_backoff = 500ms;
  opt.max_backoff = 10000ms;
  auto sub = submit_bundle("b", opt, http, sleeper);
  REQUIRE(sub.ok());
  CHECK(sub->id == "42");
  CHECK(sub->duplicate);
  CHECK(sleeper.waits == std::vector<std::chrono::milliseconds>{7000ms, 10000ms});
}

TEST_CASE("retry policy: 4xx, TLS failures and bad replies are final") {
  RecordingSleeper sleeper;
  SUBCASE("401 with the server's message") {
    ScriptedTransport http;
    http.script = {status(401, R"({"error":"token expired"})")};
    auto sub = submit_bundle("b", options(), http, sleeper);
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.message().find("authentication failed") != std::string::npos);
    CHECK(sub.message().find("token expired") != std::string::npos);
  }
  SUBCASE("422 validation error") {
    ScriptedTransport http;
    http.script = {status(422, R"({"error":"signature by an unknown key SHA256:ab"})")};
    auto sub = submit_bundle("b", options(), http, sleeper);
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.message().find("unknown key SHA256:ab") != std::string::npos);
  }
  SUBCASE("non-JSON 4xx body is shown, printable") {
    ScriptedTransport http;
    http.script = {status(404, "<h1>Not\x01" "Found</h1>")};
    auto sub = submit_bundle("b", options(), http, sleeper);
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.message().find("(404)") != std::string::npos);
    CHECK(sub.message().find("Not Found") != std::string::npos);
  }
  SUBCASE("certificate failure is not retried") {
    ScriptedTransport http;
    http.script = {network_error(false)};
    auto sub = submit_bundle("b", options(), http, sleeper);
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.message().find("self-signed") != std::string::npos);
  }
  SUBCASE("a 200 that is not a submission") {
    ScriptedTransport http;
    http.script = {status(200, "<html>captive portal</html>")};
    auto sub = submit_bundle("b", options(), http, sleeper);
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.message().find("not a submission") != std::string::npos);
  }
  SUBCASE("a token with a line break never reaches the wire") {
    ScriptedTransport http;
    auto opt = options();
    opt.token = "t\r\nX-Evil: 1";
    auto sub = submit_bundle("b", opt, http, sleeper);
    REQUIRE_FALSE(sub.ok());
    CHECK(http.seen.empty());
  }
  CHECK(sleeper.waits.empty());
}

TEST_CASE("real HTTP: upload, then the same bundle again is a duplicate, not a new submission") {
  FakeCertdb db;
  CurlTransport http;
  RecordingSleeper sleeper;
  auto bundle = some_bundle(300 << 10, 'a');
  std::uint64_t last_sent = 0, total = 0;
  auto opt = options(db.port);
  opt.progress = [&](std::uint64_t sent, std::uint64_t t) {
    CHECK(sent >= last_sent);
    last_sent = sent;
    total = t;
  };
  auto first = submit_bundle(bundle, opt, http, sleeper);
  REQUIRE_MESSAGE(first.ok(), first.message());
  CHECK(first->http_status == 201);
  CHECK_FALSE(first->duplicate);
  CHECK(first->id == "sub-1");
  CHECK(first->state == "pending");
  CHECK(first->bundle_sha256 == sha256_hex(bundle));
  CHECK(db.last_body_sha == sha256_hex(bundle));
  CHECK(total == bundle.size());
  CHECK(last_sent == bundle.size());

  auto again = submit_bundle(bundle, options(db.port), http, sleeper);
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->id == "sub-1");
  CHECK(db.by_hash.size() == 1);

  auto other = submit_bundle(some_bundle(1000, 'b'), options(db.port), http, sleeper);
  REQUIRE(other.ok());
  CHECK(other->id == "sub-2");
  CHECK(sleeper.waits.empty());
}

TEST_CASE("real HTTP: a server that answers 503 twice, then accepts") {
  FakeCertdb db;
  db.fail_first = 2;
  CurlTransport http;
  RecordingSleeper sleeper;
  auto opt = options(db.port);
  opt.initial_backoff = 250ms;
  auto sub = submit_bundle(some_bundle(4096, 'c'), opt, http, sleeper);
  REQUIRE_MESSAGE(sub.ok(), sub.message());
  CHECK(sub->attempts == 3);
  CHECK(db.posts == 3);
  CHECK(db.by_hash.size() == 1);
  // Retry-After: 1 outweighs the 250 ms, then 500 ms backoff < 1 s again.
  CHECK(sleeper.waits == std::vector<std::chrono::milliseconds>{1000ms, 1000ms});
}

TEST_CASE("real HTTP: 401 and 413 are reported with the reason, without retrying") {
  CurlTransport http;
  RecordingSleeper sleeper;
  {
    FakeCertdb db;
    auto opt = options(db.port);
    opt.token = "wrong";
    auto sub = submit_bundle(some_bundle(2048, 'd'), opt, http, sleeper);
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.message().find("authentication failed (401)") != std::string::npos);
    CHECK(sub.message().find("invalid or expired token") != std::string::npos);
    CHECK(db.posts == 1);
  }
  {
    FakeCertdb db(1024);
    auto sub = submit_bundle(some_bundle(64 << 10, 'e'), options(db.port), http, sleeper);
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.message().find("too large") != std::string::npos);
    CHECK(sub.message().find("413") != std::string::npos);
    CHECK(db.by_hash.empty());
  }
  CHECK(sleeper.waits.empty());
}

TEST_CASE("real HTTP: connection dropped mid-upload is retried and lands once") {
  FakeCertdb db;
  FaultProxy proxy(db.port, FaultProxy::Mode::drop_request, 128 << 10);
  CurlTransport http;
  RecordingSleeper sleeper;
  auto bundle = some_bundle(2 << 20, 'f');
  auto sub = submit_bundle(bundle, options(proxy.port()), http, sleeper);
  REQUIRE_MESSAGE(sub.ok(), sub.message());
  CHECK(sub->attempts == 2);
  CHECK(proxy.connections() == 2);
  CHECK(sleeper.waits.size() == 1);
  CHECK(db.by_hash.size() == 1);
  CHECK(db.last_body_sha == sha256_hex(bundle));
  CHECK_FALSE(sub->duplicate);
}

TEST_CASE("real HTTP: reply lost after the server stored it; the retry gets the same submission") {
  FakeCertdb db;
  FaultProxy proxy(db.port, FaultProxy::Mode::drop_reply);
  CurlTransport http;
  RecordingSleeper sleeper;
  auto bundle = some_bundle(100 << 10, 'g');
  auto sub = submit_bundle(bundle, options(proxy.port()), http, sleeper);
  REQUIRE_MESSAGE(sub.ok(), sub.message());
  CHECK(sub->attempts == 2);
  CHECK(sub->duplicate);
  CHECK(sub->id == "sub-1");
  CHECK(db.posts == 2);
  CHECK(db.by_hash.size() == 1);
}

TEST_CASE("real HTTP: nobody listening is a network error, retried then reported") {
  int port = 0;
  {
    FakeCertdb gone;  // take a free port, then free it again
    port = gone.port;
  }
  CurlTransport http;
  RecordingSleeper sleeper;
  auto opt = options(port);
  opt.max_attempts = 2;
  auto sub = submit_bundle("b", opt, http, sleeper);
  REQUIRE_FALSE(sub.ok());
  CHECK(sub.message().find("after 2 attempts") != std::string::npos);
  CHECK(sub.message().find("network error") != std::string::npos);
  CHECK(sleeper.waits.size() == 1);
}

TEST_CASE("real TLS: certificate verified by default, --cacert trusts it, insecure is explicit") {
  test::TempDir dir;
  auto cert = dir / "cert.pem", key = dir / "key.pem";
  auto gen = test::run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.string(), "-out",
                                cert.string()});
  REQUIRE_MESSAGE(gen.exit_code == 0, gen.err);
  httplib::SSLServer server(cert.c_str(), key.c_str());
  REQUIRE(server.is_valid());
  server.Post(std::string(k_submissions_path), [](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_content(R"({"id":"tls-1","state":"pending","duplicate":false})", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread th([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(1ms);
  CurlTransport http;
  RecordingSleeper sleeper;
  SubmitOptions opt;
  opt.server = "https://127.0.0.1:" + std::to_string(port);

  auto untrusted = submit_bundle("b", opt, http, sleeper);
  CHECK_FALSE(untrusted.ok());
  if (!untrusted.ok()) CHECK(untrusted.message().find("cannot reach") != std::string::npos);
  CHECK(sleeper.waits.empty());  // a certificate problem is not retried

  opt.ca_file = cert.string();
  auto trusted = submit_bundle("b", opt, http, sleeper);
  CHECK_MESSAGE(trusted.ok(), (trusted.ok() ? "" : trusted.message()));

  SubmitOptions insecure;
  insecure.server = opt.server;
  insecure.verify_tls = false;
  auto skipped = submit_bundle("b", insecure, http, sleeper);
  CHECK(skipped.ok());
  server.stop();
  th.join();
}

TEST_CASE("certify submit: end to end against the test server") {
  FakeCertdb db;
  test::TempDir dir;
  auto file = dir / "run.cbundle";
  REQUIRE(write_file_atomic(file, some_bundle(10000, 'h')).ok());
  auto certify = test::build_path("cli/certify").string();
  auto url = "http://127.0.0.1:" + std::to_string(db.port);

  auto first = test::run_command({certify, "submit", file.string(), "--server", url, "--token", "t0ken"});
  CHECK_MESSAGE(first.exit_code == 0, first.err);
  CHECK(first.out.find("submitted as sub-1 (state pending)") != std::string::npos);

  // The token may come from the environment, keeping it off the command line.
  auto second = test::run_command({certify, "submit", file.string(), "--server", url, "--json"},
                                  {"CERTIFY_TOKEN=t0ken"});
  CHECK_MESSAGE(second.exit_code == 0, second.err);
  auto j = nlohmann::json::parse(second.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["id"] == "sub-1");
  CHECK(j["duplicate"] == true);
  CHECK(j["bundle_sha256"] == sha256_hex(some_bundle(10000, 'h')));

  auto denied = test::run_command({certify, "submit", file.string(), "--server", url, "--token", "nope"});
  CHECK(denied.exit_code == 1);
  CHECK(denied.err.find("authentication failed (401)") != std::string::npos);
  CHECK(denied.err.find("invalid or expired token") != std::string::npos);

  auto missing = test::run_command({certify, "submit", (dir / "none.cbundle").string(), "--server", url});
  CHECK(missing.exit_code == 2);
  auto bad_url = test::run_command({certify, "submit", file.string(), "--server", "certdb.example.org"});
  CHECK(bad_url.exit_code == 2);
  CHECK(bad_url.err.find("https://") != std::string::npos);
  CHECK(db.by_hash.size() == 1);
}

TEST_CASE("certify submit: a real signed bundle arrives intact and verifies on the server side") {
  test::TempDir dir;
  auto run = dir / "results" / "r1";
  std::filesystem::create_directories(run / "logs" / "cpu.info");
  REQUIRE(write_file_atomic(run / "inventory.json", R"({"os":{"id":"debian","version_id":"12"}})").ok());
  REQUIRE(write_file_atomic(run / "plan.json", R"({"jobs":["cpu.info"]})").ok());
  REQUIRE(write_file_atomic(run / "results.json", R"({"run_id":"r1","finished":"2026-11-24T07:00:00Z","jobs":[]})").ok());
  REQUIRE(write_file_atomic(run / "logs" / "cpu.info" / "stdout.log", some_bundle(200000, 'k')).ok());
  auto key = generate_key(SignatureAlgorithm::ed25519);
  REQUIRE(key.ok());
  BundleOptions bo;
  bo.results = run;
  bo.output = dir / "r1.cbundle";
  bo.sign_with = {*key};
  auto made = write_bundle(bo);
  REQUIRE_MESSAGE(made.ok(), made.message());
  Keyring ring;
  ring.add(*key, "lab");

  // Stands in for certdb's ingest: verify the body with the library's API.
  httplib::Server server;
  std::mutex mu;
  std::vector<std::string> verdicts;
  server.Post(std::string(k_submissions_path), [&](const httplib::Request& req, httplib::Response& res) {
    auto v = verify_bundle_bytes(req.body, ring);
    std::lock_guard lock(mu);
    if (!v) {
      verdicts.push_back("rejected: " + v.message());
      res.status = 422;
      res.set_content(nlohmann::json{{"error", v.message()}}.dump(), "application/json");
      return;
    }
    verdicts.push_back("ok " + v->contents.manifest["run_id"].get<std::string>() + " " + v->signer_fingerprint());
    res.status = 201;
    res.set_content(R"({"id":"sub-9","state":"pending","duplicate":false})", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread th([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(1ms);
  auto certify = test::build_path("cli/certify").string();
  auto url = "http://127.0.0.1:" + std::to_string(port);

  auto ok = test::run_command({certify, "submit", bo.output.string(), "--server", url});
  CHECK_MESSAGE(ok.exit_code == 0, ok.err);
  CHECK(ok.out.find("submitted as sub-9") != std::string::npos);

  auto bytes = read_file(bo.output);
  REQUIRE(bytes.ok());
  (*bytes)[bytes->size() - 100] ^= 0x10;
  REQUIRE(write_file_atomic(dir / "bad.cbundle", *bytes).ok());
  auto bad = test::run_command({certify, "submit", (dir / "bad.cbundle").string(), "--server", url});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("422") != std::string::npos);
  server.stop();
  th.join();
  REQUIRE(verdicts.size() == 2);
  CHECK(verdicts[0] == "ok r1 " + key->fingerprint());
  CHECK(verdicts[1].rfind("rejected: ", 0) == 0);
}
