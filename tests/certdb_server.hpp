// The certdb binary under test: started on 127.0.0.1 with a free port, talked
// to over HTTP, stopped (or killed) by the test. Plus real signed bundles
// made with libcertify-submit.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "certdb_testutil.hpp"
#include "submit/sign.hpp"
#include "testutil.hpp"

namespace certify::test {

class CertdbServer {
 public:
  // Starts `certdb serve --db db --listen 127.0.0.1:0` with `extra` arguments.
  CertdbServer(std::string db, std::vector<std::string> extra = {});
  ~CertdbServer();
  CertdbServer(const CertdbServer&) = delete;
  CertdbServer& operator=(const CertdbServer&) = delete;
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Client client() const;
  void stop();   // SIGTERM and wait
  void kill9();  // SIGKILL and wait
  std::string log() const;

 private:
  TempDir dir_;
  std::string db_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// `certdb ARGS... --db db`; fails the test on a non-zero exit. Returns stdout.
std::string certdb_cli(const std::string& db, std::vector<std::string> args);

// A submitter key pair: the private key signs, the PEM is registered.
struct SigningKey {
  submit::Key key;
  std::string public_pem;
  std::string fingerprint;
};
SigningKey make_key();

// Writes a run folder (inventory, plan, results, one log per job) and bundles
// it, signed by `key`. `salt` makes otherwise equal bundles differ.
std::string make_bundle(const std::filesystem::path& work, const SigningKey& key, const std::vector<SampleJob>& jobs,
                        const std::string& salt = "");

// zstd-decompressed tar of a bundle and back (for byte-level tampering).
std::string bundle_to_tar(const std::filesystem::path& work, const std::string& bundle);
std::string tar_to_bundle(const std::filesystem::path& work, const std::string& tar);

// Sends a bundle like `certify submit` does.
httplib::Result post_bundle(httplib::Client& c, const std::string& token, const std::string& bundle,
                            const std::string& path = "/api/v1/submissions");

}  // namespace certify::test
