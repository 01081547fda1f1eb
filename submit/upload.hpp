// Upload of a bundle to certdb: POST /api/v1/submissions with retries and
// exponential backoff, idempotent by the bundle's SHA-256. HTTP and sleeping
// sit behind small interfaces so tests can fake them; CurlTransport is the
// real one (libcurl, TLS verification on unless explicitly turned off).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace certify::submit {

// Media type of the request body (the raw .cbundle bytes).
inline constexpr std::string_view k_bundle_media_type = "application/vnd.certify.bundle";
// Idempotency key: lower-case hex SHA-256 of the body. certdb answers a
// known hash with the existing submission instead of creating another.
inline constexpr std::string_view k_bundle_sha_header = "X-Certify-Bundle-SHA256";
inline constexpr std::string_view k_submissions_path = "/api/v1/submissions";

// Called while the body goes out: bytes sent so far, body size in bytes.
using ProgressFn = std::function<void(std::uint64_t sent, std::uint64_t total)>;

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value
  std::string_view body;      // borrowed: must outlive the post() call
  bool verify_tls = true;     // peer certificate and host name
  std::string ca_file;        // extra CA bundle (PEM); empty = system store
  std::chrono::seconds connect_timeout{30};
  // Abort when fewer than 1 byte/s moves for this long (a stalled peer).
  std::chrono::seconds stall_timeout{120};
  ProgressFn progress;        // may be empty
};

struct HttpResponse {
  long status = 0;            // HTTP status; 0 when no response arrived
  std::string body;
  std::string content_type;
  long retry_after_seconds = -1;  // Retry-After in seconds, -1 when absent
  // Set when status == 0: what went wrong, and whether trying again can help
  // (connection refused/reset, timeout) or not (bad URL, TLS verification).
  std::string error;
  bool retryable = false;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResponse post(const HttpRequest& request) = 0;
};

// libcurl. One easy handle per request; curl_global_init happens once.
class CurlTransport : public HttpTransport {
 public:
  HttpResponse post(const HttpRequest& request) override;
};

// Waiting between attempts; tests record instead of sleeping.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep(std::chrono::milliseconds d) = 0;
};

class RealSleeper : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds d) override;
};

struct SubmitOptions {
  std::string server;         // base URL, e.g. https://certdb.example.org
  std::string token;          // bearer token; empty = no Authorization header
  bool verify_tls = true;
  std::string ca_file;
  int max_attempts = 5;       // total tries for network errors, 5xx and 429
  std::chrono::milliseconds initial_backoff{1000};  // doubles after each failure
  std::chrono::milliseconds max_backoff{30000};     // cap per wait (also caps Retry-After)
  ProgressFn progress;
  // Told about each failed attempt that will be retried (for a log line).
  std::function<void(int attempt, const std::string& why, std::chrono::milliseconds wait)> on_retry;
};

struct Submission {
  std::string id;
  std::string state;
  bool duplicate = false;     // the server already had this bundle
  long http_status = 0;
  int attempts = 0;
  std::string bundle_sha256;
  std::string reply;          // the server's JSON reply, verbatim
};

// Joins the server base URL and the submissions path ("http://h:1/" or
// "http://h:1" → "http://h:1/api/v1/submissions"). Rejects URLs that are not
// http:// or https://.
Result<std::string> submissions_url(std::string_view server);

// Uploads `bundle` (the bytes of a .cbundle). Retries network errors, 5xx
// and 429 up to max_attempts with exponential backoff; a 4xx is final and
// its message comes from the server's JSON {"error": ...} when present.
Result<Submission> submit_bundle(std::string_view bundle, const SubmitOptions& options,
                                 HttpTransport& http, Sleeper& sleeper);

}  // namespace certify::submit
