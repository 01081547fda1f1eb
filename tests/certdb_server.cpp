// CertdbServer and bundle helpers for the certdb tests.
#include "certdb_server.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <thread>

#include "certdb/db.hpp"
#include "core/files.hpp"
#include "submit/bundle.hpp"

extern char** environ;

namespace certify::test {

namespace fs = std::filesystem;

CertdbServer::CertdbServer(std::string db, std::vector<std::string> extra) : db_(std::move(db)) {
  auto port_file = dir_ / "port";
  std::vector<std::string> argv = {build_path("certdb/certdb").string(), "serve", "--db", db_, "--listen",
                                   "127.0.0.1:0", "--port-file", port_file.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  auto log_path = (dir_ / "log").string();
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE_MESSAGE(rc == 0, "cannot start certdb");
  for (int i = 0; i < 600 && port_ == 0; ++i) {
    auto text = read_file(port_file);
    if (text.ok() && !text->empty()) port_ = std::stoi(*text);
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int status = 0;
    if (port_ == 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("certdb exited at start: " << log());
    }
  }
  REQUIRE_MESSAGE(port_ != 0, "certdb did not start: " << log());
}

CertdbServer::~CertdbServer() { stop(); }

httplib::Client CertdbServer::client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(60, 0);
  c.set_write_timeout(60, 0);
  return c;
}

void CertdbServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill9();
}

void CertdbServer::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string CertdbServer::log() const {
  auto text = read_file(dir_ / "log");
  return text.ok() ? *text : std::string();
}

std::string certdb_cli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), build_path("certdb/certdb").string());
  args.push_back("--db");
  args.push_back(db);
  auto r = run_command(args);
  REQUIRE_MESSAGE(r.exit_code == 0, "certdb " << args[1] << ": " << r.err);
  return r.out;
}

SigningKey make_key() {
  auto k = submit::generate_key(submit::SignatureAlgorithm::ed25519);
  REQUIRE(k.ok());
  auto pem = submit::public_key_pem(*k);
  REQUIRE(pem.ok());
  return {*k, *pem, k->fingerprint()};
}

std::string make_bundle(const fs::path& work, const SigningKey& key, const std::vector<SampleJob>& jobs,
                        const std::string& salt) {
  static int counter = 0;
  auto run = work / ("run-" + std::to_string(++counter));
  fs::create_directories(run);
  auto results = sample_results(jobs);
  results["run_id"] = "run-" + std::to_string(counter) + salt;
  REQUIRE(write_file_atomic(run / "inventory.json", sample_inventory().dump(2)).ok());
  REQUIRE(write_file_atomic(run / "plan.json", nlohmann::json{{"schema_version", 1}, {"jobs", nlohmann::json::array()}}.dump()).ok());
  REQUIRE(write_file_atomic(run / "results.json", results.dump(2)).ok());
  for (const auto& j : jobs) {
    fs::create_directories(run / "logs" / j.id);
    REQUIRE(write_file_atomic(run / "logs" / j.id / "stdout.log", "output of " + j.id + " " + salt + "\n").ok());
    REQUIRE(write_file_atomic(run / "logs" / j.id / "stderr.log", "").ok());
    REQUIRE(write_file_atomic(run / "logs" / j.id / "result.json", "{\"status\":\"" + j.status + "\"}").ok());
  }
  submit::BundleOptions opt;
  opt.results = run;
  opt.output = work / ("bundle-" + std::to_string(counter) + ".cbundle");
  opt.threads = 1;
  opt.sign_with = {key.key};
  auto r = submit::write_bundle(opt);
  REQUIRE_MESSAGE(r.ok(), r.message());
  auto bytes = read_file(opt.output);
  REQUIRE(bytes.ok());
  return *bytes;
}

std::string bundle_to_tar(const fs::path& work, const std::string& bundle) {
  auto in = work / "in.cbundle";
  REQUIRE(write_file_atomic(in, bundle).ok());
  auto r = run_command({"zstd", "-q", "-d", "-c", in.string()});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

std::string tar_to_bundle(const fs::path& work, const std::string& tar) {
  auto in = work / "in.tar";
  REQUIRE(write_file_atomic(in, tar).ok());
  auto r = run_command({"zstd", "-q", "-c", in.string()});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

httplib::Result post_bundle(httplib::Client& c, const std::string& token, const std::string& bundle,
                            const std::string& path) {
  httplib::Headers h = {{"X-Certify-Bundle-SHA256", sha256_hex(bundle)}};
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  return c.Post(path, h, bundle, "application/vnd.certify.bundle");
}

}  // namespace certify::test

namespace certify::test {

std::string fresh_postgres_db() {
  const char* admin = std::getenv("CERTDB_TEST_PG");
  REQUIRE_MESSAGE(admin, "CERTDB_TEST_PG is not set: run tests/certdb_postgres.sh");
  static std::atomic<int> counter{0};
  std::string name = "certdb_t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  certdb::open_connection(admin)->exec_script("CREATE DATABASE " + name);
  std::string url(admin);
  auto slash = url.rfind('/');
  REQUIRE(slash != std::string::npos);
  auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace certify::test
