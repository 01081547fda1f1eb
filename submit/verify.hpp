// Bundle verification: the reader's integrity checks (bundle.hpp) plus the
// manifest signatures against a keyring of trusted public keys. This is the
// API certdb calls on every upload; it is kept stable.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "submit/bundle.hpp"
#include "submit/sign.hpp"

namespace certify::submit {

struct VerifiedBundle {
  // Manifest (parsed and exact bytes), signature members and every file
  // member with size and SHA-256; content is filled by verify_bundle_bytes.
  BundleContents contents;
  // The signatures that verified, Ed25519 first. Never empty on success.
  std::vector<SignatureCheck> signatures;
  // Signature members present but not checkable here, with why (an SM2
  // signature when this OpenSSL has no SM2/SM3). They do not count.
  std::vector<std::string> unchecked;

  // The primary signer: signatures.front().
  const std::string& signer_fingerprint() const { return signatures.front().fingerprint; }
  SignatureAlgorithm algorithm() const { return signatures.front().algorithm; }
};

// Checks the signature members of a bundle's head against `keyring`:
// every present signature must verify with a trusted key (an SM2 one only
// where SM2 is supported, otherwise it is listed as unchecked), and at least
// one must have verified. Fills signatures/unchecked of `out`.
Status check_signatures(const BundleContents& head, const Keyring& keyring, VerifiedBundle& out);

// Verifies a bundle held in memory (e.g. an HTTP request body): format and
// hostile-input checks within `limits`, the signature(s) over manifest.json
// against `keyring` — checked as soon as the manifest is read, so an
// unsigned or untrusted bundle is refused before its members are
// decompressed — then the size and SHA-256 of every member against the
// manifest, with no member missing or extra. Any single changed byte fails.
// The error message says what failed (valid UTF-8, member names sanitised).
// Thread-safe: no shared state; `keyring` is only read.
Result<VerifiedBundle> verify_bundle_bytes(std::string_view bytes, const Keyring& keyring,
                                           const BundleLimits& limits = {});

// The same, streaming from a file: member contents are not kept. With
// `extract_to`, members are written below that directory (new or empty),
// only after the signature has verified; on failure it is emptied again.
Result<VerifiedBundle> verify_bundle_file(const std::filesystem::path& path, const Keyring& keyring,
                                          const BundleLimits& limits = {},
                                          const std::filesystem::path& extract_to = {});

}  // namespace certify::submit
