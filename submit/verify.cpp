// Bundle verification: signatures checked when the manifest has been read,
// then every member's size and hash by the reader.
#include "submit/verify.hpp"

namespace certify::submit {
namespace {

// Checks the signatures at on_manifest and ignores member data (the reader
// hashes it).
class SignatureGate : public MemberSink {
 public:
  SignatureGate(const Keyring& ring, VerifiedBundle& out) : ring_(ring), out_(out) {}
  Status on_manifest(const BundleContents& head) override { return check_signatures(head, ring_, out_); }
  Status begin_member(const std::string&, std::uint64_t) override { return ok_status(); }
  Status member_data(std::string_view) override { return ok_status(); }
  Status end_member() override { return ok_status(); }

 private:
  const Keyring& ring_;
  VerifiedBundle& out_;
};

}  // namespace

Status check_signatures(const BundleContents& head, const Keyring& keyring, VerifiedBundle& out) {
  out.signatures.clear();
  out.unchecked.clear();
  if (!head.signature && !head.sm2_signature) return make_error("the bundle is not signed (no manifest.sig)");
  if (head.signature) {
    auto c = verify_manifest_signature(head.manifest_bytes, *head.signature, SignatureAlgorithm::ed25519, keyring);
    if (!c) return make_error("manifest.sig: " + c.message());
    out.signatures.push_back(std::move(*c));
  }
  if (head.sm2_signature) {
    if (!sm2_supported()) {
      out.unchecked.push_back("manifest.sm2.sig: not checked, this OpenSSL build has no SM2/SM3");
    } else {
      auto c = verify_manifest_signature(head.manifest_bytes, *head.sm2_signature, SignatureAlgorithm::sm2_sm3,
                                         keyring);
      if (!c) return make_error("manifest.sm2.sig: " + c.message());
      out.signatures.push_back(std::move(*c));
    }
  }
  if (out.signatures.empty()) return make_error("no signature this OpenSSL build can check");
  return ok_status();
}

Result<VerifiedBundle> verify_bundle_bytes(std::string_view bytes, const Keyring& keyring, const BundleLimits& limits) {
  VerifiedBundle out;
  SignatureGate gate(keyring, out);
  auto contents = read_bundle_bytes(bytes, limits, &gate);
  if (!contents) return contents.error();
  out.contents = std::move(*contents);
  return out;
}

Result<VerifiedBundle> verify_bundle_file(const std::filesystem::path& path, const Keyring& keyring,
                                          const BundleLimits& limits, const std::filesystem::path& extract_to) {
  VerifiedBundle out;
  Result<BundleContents> contents = make_error("");
  if (extract_to.empty()) {
    SignatureGate gate(keyring, out);
    contents = read_bundle_file(path, limits, &gate);
  } else {
    contents = extract_bundle(path, extract_to, limits,
                              [&](const BundleContents& head) { return check_signatures(head, keyring, out); });
  }
  if (!contents) return contents.error();
  out.contents = std::move(*contents);
  return out;
}

}  // namespace certify::submit
