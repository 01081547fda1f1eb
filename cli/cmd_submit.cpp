// certify submit: uploads a bundle to certdb (retries, idempotent by hash,
// progress on a terminal) and prints the submission it became.
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "core/files.hpp"
#include "submit/upload.hpp"

namespace certify::cli {

namespace {

struct SubmitArgs {
  std::string file;
  std::string server;
  std::string token;
  std::string cacert;
  bool insecure = false;
  int attempts = 5;
  bool json = false;
};

// A one-line bar on stderr, redrawn at most once per percent.
class ProgressBar {
 public:
  void update(std::uint64_t sent, std::uint64_t total) {
    int pct = static_cast<int>(sent * 100 / total);
    if (pct == last_) return;
    last_ = pct;
    int filled = pct * 30 / 100;
    std::fprintf(stderr, "\ruploading [%.*s%*s] %3d%% %llu/%llu MiB", filled,
                 "##############################", 30 - filled, "", pct,
                 static_cast<unsigned long long>(sent >> 20), static_cast<unsigned long long>(total >> 20));
    if (sent == total) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  int last_ = -1;
};

void run_submit(const SubmitArgs& a, int& exit_code) {
  if (auto url = submit::submissions_url(a.server); !url) throw CommandError(url.message());
  // Large enough to hold any bundle certdb accepts; a bigger file is refused, not cut.
  auto bytes = read_file(a.file, std::size_t{64} << 30);
  if (!bytes) throw CommandError(bytes.message());

  submit::SubmitOptions opt;
  opt.server = a.server;
  opt.token = a.token;
  if (opt.token.empty())
    if (const char* env = std::getenv("CERTIFY_TOKEN")) opt.token = env;
  opt.verify_tls = !a.insecure;
  opt.ca_file = a.cacert;
  opt.max_attempts = a.attempts;
  if (a.insecure) std::cerr << "certify: warning: TLS certificate verification is off (--insecure)\n";

  ProgressBar bar;
  if (::isatty(STDERR_FILENO) && bytes->size() >= (std::size_t{4} << 20))
    opt.progress = [&bar](std::uint64_t sent, std::uint64_t total) { bar.update(sent, total); };
  opt.on_retry = [](int attempt, const std::string& why, std::chrono::milliseconds wait) {
    std::cerr << "certify: attempt " << attempt << " failed (" << why << "); retrying in "
              << wait.count() / 1000.0 << " s\n";
  };

  submit::CurlTransport http;
  submit::RealSleeper sleeper;
  auto sub = submit::submit_bundle(*bytes, opt, http, sleeper);
  if (!sub) {
    exit_code = k_exit_failed;
    throw CommandError(a.file + ": " + sub.message(), k_exit_failed);
  }
  if (a.json) {
    nlohmann::json out = {{"id", sub->id},           {"state", sub->state},
                          {"duplicate", sub->duplicate}, {"bundle_sha256", sub->bundle_sha256},
                          {"attempts", sub->attempts}, {"http_status", sub->http_status}};
    std::cout << out.dump(2) << '\n';
    return;
  }
  if (sub->duplicate)
    std::cout << a.file << ": already submitted as " << sub->id << " (state " << sub->state
              << "); nothing new was created\n";
  else
    std::cout << a.file << ": submitted as " << sub->id << " (state " << sub->state << ")\n";
}

}  // namespace

void add_submit_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SubmitArgs>();
  auto* cmd = app.add_subcommand("submit", "Upload a signed bundle to a certdb server");
  cmd->add_option("file", args->file, "Bundle file (.cbundle)")->required();
  cmd->add_option("--server", args->server, "certdb base URL, e.g. https://certdb.example.org")->required();
  cmd->add_option("--token", args->token, "API token (default: $CERTIFY_TOKEN)");
  cmd->add_option("--cacert", args->cacert, "Extra CA certificates (PEM) to trust for the server");
  cmd->add_flag("--insecure", args->insecure, "Do not verify the server's TLS certificate");
  cmd->add_option("--attempts", args->attempts, "Tries on network errors and 5xx answers")
      ->check(CLI::Range(1, 20))
      ->default_val(5);
  cmd->add_flag("--json", args->json, "Print the submission as JSON");
  cmd->callback([args, &exit_code] { run_submit(*args, exit_code); });
}

}  // namespace certify::cli
