// What certdb reads out of a verified bundle (identity of the machine, OS,
// classes, results summary) and the certificate record an approval issues.
// The record's field names are the contract with the publication code
// (certdb/catalog, certdb/publish).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace certify::certdb {

// The facts a submission is listed and searched by, taken from inventory.json
// and results.json of its bundle.
struct BundleFacts {
  std::string vendor, product, model, arch;
  std::string os_id, os_version, os_name;
  std::vector<std::string> os_id_like;
  std::vector<std::string> classes;      // claimed: every class with results
  std::string kind = "system";           // "software" for a sw-check run (results.json profile)
  int pass = 0, fail = 0, skip = 0, other = 0;  // job counts by status
  nlohmann::json to_json() const;
};

BundleFacts bundle_facts(const nlohmann::json& inventory, const nlohmann::json& results);

struct CertificateInput {
  std::string id;             // CERT-YYYY-NNNNNN
  std::string submission_id;
  std::string bundle_sha256;
  std::string issued;         // YYYY-MM-DD
  const nlohmann::json* inventory;
  const nlohmann::json* results;
};

// The certificate record: {"id", "submission_id", "bundle_sha256", "status":
// "active", "vendor", "product", "model", "kind", "classes", "os", "arch",
// "issued", "hardware", "tests", "summary", "extensions": []}.
nlohmann::json certificate_record(const CertificateInput& in);

}  // namespace certify::certdb
