// Ingest: from uploaded bytes to a verified IngestInput. Signature and
// manifest checks are delegated to a BundleVerifier (the real one wraps
// submit/bundle and submit/sign); this file adds what the server checks on
// top: the declared hash, the signer being one of the uploader's keys, and
// the shape of results.json and inventory.json.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "certdb/review.hpp"
#include "certdb/store.hpp"
#include "core/result.hpp"

namespace certify::certdb {

struct VerifiedBundle {
  nlohmann::json manifest;
  std::map<std::string, std::string> files;  // member path → content (manifest and signatures excluded)
  std::string signer;                        // fingerprint of the key whose signature verified
  std::string algorithm;
};

struct KeyInfo {
  std::string fingerprint;
  std::string algorithm;
};

class BundleVerifier {
 public:
  virtual ~BundleVerifier() = default;
  // Verifies `bytes` against `trusted` (PEM public keys): archive safety,
  // manifest hashes and sizes, signature. Error text says what failed.
  virtual Result<VerifiedBundle> verify(std::string_view bytes, const std::vector<PublicKey>& trusted) = 0;
  // Reads the members of an already stored bundle (for logs on web pages).
  virtual Result<std::map<std::string, std::string>> members(std::string_view bytes) = 0;
  // Parses a PEM public key: fingerprint and algorithm.
  virtual Result<KeyInfo> inspect_key(std::string_view pem) = 0;
};

// The verifier built on submit/bundle + submit/sign, with limits in bytes.
std::unique_ptr<BundleVerifier> make_bundle_verifier(std::uint64_t max_bundle_bytes);

// Structural check of results.json (schemas/results.schema.json, the parts
// certdb relies on); empty when fine.
std::string results_problems(const nlohmann::json& results);

// Everything before storage: declared hash, verification with the uploader's
// keys, required members, results shape. 400 for a bad request, 422 for a
// bundle that does not verify.
Checked<IngestInput> prepare_ingest(std::string_view bytes, std::string_view declared_sha256,
                                    const std::vector<PublicKey>& keys, BundleVerifier& verifier);

}  // namespace certify::certdb
