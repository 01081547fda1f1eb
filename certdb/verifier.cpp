// The real BundleVerifier: submit/bundle's hostile-input-safe reader and
// submit/sign's signature check, with a keyring made of the uploader's keys.
#include <memory>

#include "certdb/ingest.hpp"
#include "submit/bundle.hpp"
#include "submit/sign.hpp"
#include "submit/verify.hpp"

namespace certify::certdb {

namespace {

class SubmitVerifier : public BundleVerifier {
 public:
  explicit SubmitVerifier(std::uint64_t max_bytes) {
    limits_.max_total_bytes = max_bytes * 64;
    limits_.max_member_bytes = max_bytes * 64;
  }

  Result<VerifiedBundle> verify(std::string_view bytes, const std::vector<PublicKey>& trusted) override {
    submit::Keyring ring;
    for (const auto& k : trusted) {
      auto key = submit::parse_public_key(k.pem, "key " + k.fingerprint);
      if (!key) return make_error("registered key " + k.fingerprint + " is unusable: " + key.message());
      ring.add(*key, k.user);
    }
    auto v = submit::verify_bundle_bytes(bytes, ring, limits_);
    if (!v) return make_error(v.message());
    VerifiedBundle out;
    out.manifest = std::move(v->contents.manifest);
    for (auto& [path, member] : v->contents.files) out.files[path] = std::move(member.content);
    out.signer = v->signer_fingerprint();
    out.algorithm = std::string(submit::algorithm_name(v->algorithm()));
    return out;
  }

  Result<std::map<std::string, std::string>> members(std::string_view bytes) override {
    auto contents = submit::read_bundle_bytes(bytes, limits_);
    if (!contents) return make_error(contents.message());
    std::map<std::string, std::string> out;
    for (auto& [path, member] : contents->files) out[path] = std::move(member.content);
    return out;
  }

  Result<KeyInfo> inspect_key(std::string_view pem) override {
    auto key = submit::parse_public_key(pem, "public key");
    if (!key) return make_error(key.message());
    if (key->has_private()) return make_error("that is a private key: register the public key only");
    return KeyInfo{key->fingerprint(), std::string(submit::algorithm_name(key->algorithm()))};
  }

 private:
  submit::BundleLimits limits_;
};

}  // namespace

std::unique_ptr<BundleVerifier> make_bundle_verifier(std::uint64_t max_bundle_bytes) {
  return std::make_unique<SubmitVerifier>(max_bundle_bytes);
}

}  // namespace certify::certdb
