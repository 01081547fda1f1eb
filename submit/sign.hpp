// Keys and manifest signatures (OpenSSL 3 EVP): Ed25519, and SM2 with SM3
// where the OpenSSL build has them. Keys are PEM files (PKCS#8 private key,
// optionally passphrase-encrypted, mode 0600; SubjectPublicKeyInfo public
// key). A key is named by its fingerprint "SHA256:<hex>", the SHA-256 of the
// raw public key (Ed25519: the 32-byte key; SM2: the uncompressed point).
#pragma once

#include <openssl/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace certify::submit {

enum class SignatureAlgorithm { ed25519, sm2_sm3 };

// "ed25519" / "sm2-sm3": the value of "algorithm" in a signature member.
std::string_view algorithm_name(SignatureAlgorithm alg);

// True when this process's OpenSSL provides SM2 keys and the SM3 digest
// (asked at run time: builds with no-sm2/no-sm3 exist).
bool sm2_supported();

// The SM2 distinguishing identifier (GB/T 32918 default), used for every
// SM2 signature so that `openssl pkeyutl -pkeyopt distid:1234567812345678`
// interoperates.
inline constexpr std::string_view k_sm2_dist_id = "1234567812345678";

// A public key, or a private key with its public half. Copies share the
// underlying EVP_PKEY (read-only after loading).
class Key {
 public:
  SignatureAlgorithm algorithm() const { return alg_; }
  const std::string& fingerprint() const { return fingerprint_; }  // "SHA256:<64 hex>"
  bool has_private() const { return private_; }
  EVP_PKEY* get() const { return pkey_.get(); }

  // Takes ownership of pkey. Fails for key types other than Ed25519/SM2.
  static Result<Key> adopt(EVP_PKEY* pkey, bool has_private);

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
  SignatureAlgorithm alg_ = SignatureAlgorithm::ed25519;
  std::string fingerprint_;
  bool private_ = false;
};

Result<Key> generate_key(SignatureAlgorithm alg);

// PEM text of the keys. A non-empty passphrase encrypts the private key
// (PKCS#8, AES-256-CBC, PBKDF2).
Result<std::string> private_key_pem(const Key& key, std::string_view passphrase);
Result<std::string> public_key_pem(const Key& key);

// Writes a new file with mode 0600 (private) / 0644 (public); refuses to
// replace an existing file unless `overwrite`.
Status write_key_file(const std::filesystem::path& path, std::string_view pem, bool is_private,
                      bool overwrite);

// Loads a private key. An encrypted key needs the passphrase; it is never
// asked for on the terminal.
Result<Key> load_private_key(const std::filesystem::path& path, std::string_view passphrase);
Result<Key> load_public_key(const std::filesystem::path& path);
Result<Key> parse_public_key(std::string_view pem, const std::string& origin);

// A passphrase file's first line (without the line end).
Result<std::string> read_passphrase_file(const std::filesystem::path& path);

// Trusted public keys by fingerprint, each with a name (file stem).
class Keyring {
 public:
  struct Entry {
    std::string name;
    Key key;
  };
  void add(const Key& key, std::string name);
  // Every *.pub file in dir (PEM public keys); any unreadable or malformed
  // one is an error naming the file, so a broken keyring is never half-used.
  static Result<Keyring> load_dir(const std::filesystem::path& dir);
  const Entry* find(const std::string& fingerprint) const;
  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, Entry> keys_;
};

// The content of a signature member (manifest.sig, manifest.sm2.sig): one
// JSON line {"algorithm", "key": fingerprint, "signature": base64}. The
// signed message is exactly the bytes of manifest.json, so Ed25519 signatures
// also check with `openssl pkeyutl -verify -rawin`.
Result<std::string> sign_manifest(std::string_view manifest_bytes, const Key& private_key);

struct SignatureCheck {
  SignatureAlgorithm algorithm = SignatureAlgorithm::ed25519;
  std::string fingerprint;  // of the key that signed
  std::string key_name;     // its name in the keyring
};

// Checks a signature member over manifest_bytes. Fails when the member is
// malformed, names another algorithm than `expected`, was made by a key not
// in the keyring, or does not verify.
Result<SignatureCheck> verify_manifest_signature(std::string_view manifest_bytes, std::string_view member,
                                                 SignatureAlgorithm expected, const Keyring& keyring);

}  // namespace certify::submit
