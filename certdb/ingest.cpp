// Server-side checks of an uploaded bundle.
#include "certdb/ingest.hpp"

#include <set>

#include "core/files.hpp"

namespace certify::certdb {

using nlohmann::json;

std::string results_problems(const json& r) {
  if (!r.is_object()) return "results.json is not a JSON object";
  if (!r.contains("schema_version") || r["schema_version"] != 1) return "results.json: schema_version must be 1";
  if (!r.contains("run_id") || !r["run_id"].is_string()) return "results.json: run_id missing";
  if (!r.contains("jobs") || !r["jobs"].is_array()) return "results.json: jobs must be an array";
  static const std::set<std::string> statuses = {"pass", "fail", "skip", "error", "timeout", "interrupted"};
  std::set<std::string> ids;
  std::size_t i = 0;
  for (const auto& job : r["jobs"]) {
    auto where = "results.json: jobs[" + std::to_string(i++) + "]";
    if (!job.is_object()) return where + " is not an object";
    for (const char* key : {"id", "test", "class", "status"})
      if (!job.contains(key) || !job[key].is_string()) return where + "." + key + " must be a string";
    if (!statuses.count(job["status"].get<std::string>()))
      return where + ".status \"" + job["status"].get<std::string>() + "\" is not a result status";
    if (job.contains("blocker") && !job["blocker"].is_boolean()) return where + ".blocker must be true or false";
    if (!ids.insert(job["id"].get<std::string>()).second)
      return where + ": duplicate job id " + job["id"].get<std::string>();
  }
  return {};
}

Checked<IngestInput> prepare_ingest(std::string_view bytes, std::string_view declared_sha256,
                                    const std::vector<PublicKey>& keys, BundleVerifier& verifier) {
  if (bytes.empty()) return Refusal{400, "empty body: send the bundle file"};
  IngestInput in;
  in.sha256 = sha256_hex(bytes);
  if (!declared_sha256.empty() && declared_sha256 != in.sha256)
    return Refusal{400, "X-Certify-Bundle-SHA256 does not match the body (corrupted in transit?)"};
  if (keys.empty()) return Refusal{422, "no signing key is registered for this account: ask an administrator to add one"};
  auto v = verifier.verify(bytes, keys);
  if (!v) return Refusal{422, "bundle verification failed: " + v.message()};
  in.bytes = bytes;
  in.signer = v->signer;
  for (const char* name : {"inventory.json", "results.json"})
    if (!v->files.count(name)) return Refusal{422, std::string("bundle has no ") + name};
  in.inventory = v->files["inventory.json"];
  in.results = v->files["results.json"];
  auto inv = json::parse(in.inventory, nullptr, false);
  if (!inv.is_object()) return Refusal{422, "inventory.json is not a JSON object"};
  auto res = json::parse(in.results, nullptr, false);
  if (res.is_discarded()) return Refusal{422, "results.json is not valid JSON"};
  if (auto p = results_problems(res); !p.empty()) return Refusal{422, p};
  in.facts = bundle_facts(inv, res);
  return in;
}

}  // namespace certify::certdb
