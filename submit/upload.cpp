// Bundle upload: retry policy and reply parsing (submit_bundle) over a
// libcurl transport (CurlTransport).
#include "submit/upload.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <thread>

#include "core/files.hpp"

namespace certify::submit {

namespace {

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t collect_body(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<HttpResponse*>(user);
  // A submission reply is small; a huge body means something else answered.
  if (out->body.size() + size * n > (std::size_t{4} << 20)) return 0;
  out->body.append(data, size * n);
  return size * n;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

size_t collect_header(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    auto name = lower(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (name == "retry-after" && !value.empty() &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        value.size() < 9)
      out->retry_after_seconds = std::stol(value);
  }
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t ultotal, curl_off_t ulnow) {
  const auto* req = static_cast<const HttpRequest*>(user);
  if (req->progress && ultotal > 0)
    req->progress(static_cast<std::uint64_t>(ulnow), static_cast<std::uint64_t>(ultotal));
  return 0;
}

// Errors where another attempt cannot help: the request or the peer's
// identity is wrong, not the network.
bool curl_retryable(CURLcode rc) {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
      return false;
    default:
      return true;
  }
}

std::string server_message(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    auto it = j.find("error");
    if (it != j.end() && it->is_string()) return it->get<std::string>();
    if (it != j.end() && it->is_object() && it->contains("message") && (*it)["message"].is_string())
      return (*it)["message"].get<std::string>();
  }
  // Not our JSON: show a short, printable prefix of what came back.
  std::string text;
  for (char c : r.body.substr(0, 200)) text += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  return trim(text);
}

std::string describe_status(long status) {
  switch (status) {
    case 400: return "the server rejected the bundle (400 Bad Request)";
    case 401: return "authentication failed (401): check --token or CERTIFY_TOKEN";
    case 403: return "not allowed (403): this token may not submit";
    case 404: return "no submissions endpoint at this URL (404): check --server";
    case 409: return "conflict (409)";
    case 413: return "bundle too large for the server (413)";
    case 415: return "the server does not accept this media type (415)";
    case 422: return "the server could not validate the bundle (422)";
    case 429: return "rate limited (429)";
    default: return "HTTP " + std::to_string(status);
  }
}

}  // namespace

HttpResponse CurlTransport::post(const HttpRequest& req) {
  curl_init_once();
  HttpResponse resp;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    resp.error = "cannot initialise libcurl";
    return resp;
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : req.headers) {
    auto line = name + ": " + value;
    curl_slist* l = curl_slist_append(headers.get(), line.c_str());
    if (!l) {
      resp.error = "out of memory building headers";
      return resp;
    }
    (void)headers.release();
    headers.reset(l);
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  // Never follow redirects: the body and the token must go only where asked.
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, req.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, req.verify_tls ? 2L : 0L);
  if (!req.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(req.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(req.stall_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, req.progress ? 0L : 1L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &req);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    resp.status = 0;
    resp.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    resp.retryable = curl_retryable(rc);
    return resp;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  resp.status = status;
  char* ct = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) resp.content_type = ct;
  return resp;
}

void RealSleeper::sleep(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

Result<std::string> submissions_url(std::string_view server) {
  std::string s = trim(server);
  auto l = lower(s);
  if (l.rfind("http://", 0) != 0 && l.rfind("https://", 0) != 0)
    return make_error("server URL must start with https:// or http://: '" + s + "'");
  auto host_start = s.find("://") + 3;
  if (host_start >= s.size() || s[host_start] == '/') return make_error("server URL has no host: '" + s + "'");
  if (s.find_first_of("?#") != std::string::npos) return make_error("server URL must not carry a query: '" + s + "'");
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s + std::string(k_submissions_path);
}

Result<Submission> submit_bundle(std::string_view bundle, const SubmitOptions& opt, HttpTransport& http,
                                 Sleeper& sleeper) {
  auto url = submissions_url(opt.server);
  if (!url) return make_error(url.message());
  if (opt.max_attempts < 1) return make_error("max_attempts must be at least 1");
  if (opt.token.find_first_of("\r\n") != std::string::npos) return make_error("token contains a line break");

  Submission sub;
  sub.bundle_sha256 = sha256_hex(bundle);
  HttpRequest req;
  req.url = *url;
  req.body = bundle;
  req.verify_tls = opt.verify_tls;
  req.ca_file = opt.ca_file;
  req.progress = opt.progress;
  req.headers = {{"Content-Type", std::string(k_bundle_media_type)},
                 {"Accept", "application/json"},
                 {std::string(k_bundle_sha_header), sub.bundle_sha256}};
  if (!opt.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + opt.token);

  auto backoff = opt.initial_backoff;
  std::string last_problem;
  for (int attempt = 1; attempt <= opt.max_attempts; ++attempt) {
    sub.attempts = attempt;
    HttpResponse r = http.post(req);
    std::string problem;
    if (r.status == 0) {
      if (!r.retryable) return make_error("cannot reach " + req.url + ": " + r.error);
      problem = "network error: " + r.error;
    } else if (r.status >= 200 && r.status < 300) {
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("id"))
        return make_error("unexpected reply from " + req.url + " (HTTP " + std::to_string(r.status) +
                          "): not a submission: " + server_message(r));
      const auto& id = j["id"];
      sub.id = id.is_string() ? id.get<std::string>() : id.dump();
      if (j.contains("state") && j["state"].is_string()) sub.state = j["state"].get<std::string>();
      if (j.contains("duplicate") && j["duplicate"].is_boolean()) sub.duplicate = j["duplicate"].get<bool>();
      sub.http_status = r.status;
      sub.reply = std::move(r.body);
      return sub;
    } else if (r.status >= 500 || r.status == 429) {
      problem = describe_status(r.status);
      auto msg = server_message(r);
      if (!msg.empty()) problem += ": " + msg;
    } else {
      auto msg = server_message(r);
      return make_error(describe_status(r.status) + (msg.empty() ? "" : ": " + msg));
    }
    last_problem = problem;
    if (attempt == opt.max_attempts) break;
    auto wait = backoff;
    if (r.retry_after_seconds >= 0)
      wait = std::max(wait, std::chrono::milliseconds(std::chrono::seconds(r.retry_after_seconds)));
    wait = std::min(wait, opt.max_backoff);
    if (opt.on_retry) opt.on_retry(attempt, problem, wait);
    sleeper.sleep(wait);
    backoff = std::min(backoff * 2, opt.max_backoff);
  }
  return make_error("upload to " + req.url + " failed after " + std::to_string(opt.max_attempts) +
                    " attempts; last: " + last_problem);
}

}  // namespace certify::submit
