// certdb publish: the public compatibility list as a self-contained static
// site (search page, one page per certificate, list.json/list.csv, Ed25519
// signatures, Merkle root and inclusion proofs), republished incrementally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "certdb/catalog.hpp"
#include "core/result.hpp"

namespace certify::certdb {

struct PublishOptions {
  std::filesystem::path out;       // site directory (created)
  std::filesystem::path key;       // Ed25519 private key, PEM (PKCS#8)
  std::string title = "Certified hardware";
  // Proofs are split at this level: a certificate's JSON holds the path
  // inside its block of 2^bucket_level leaves, merkle/upper.json the path of
  // each block to the root. A change rewrites one block's proofs, not all.
  unsigned bucket_level = 10;
  std::size_t search_shard = 10000;  // entries per search index file
  unsigned threads = 2;
};

struct PublishStats {
  std::size_t certificates = 0;
  std::size_t files_written = 0, files_unchanged = 0, files_removed = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t site_bytes = 0;       // size of every file of the site
  std::string merkle_root;            // hex
  std::vector<std::string> written;   // site-relative paths, sorted
};

// Writes or updates the site in options.out. Only files whose content
// changed are written (each through a temporary file and rename); the
// content hashes are kept in DIR/.publish-state. Files of certificates no
// longer in the catalog are removed.
Result<PublishStats> publish_site(const Catalog& catalog, const PublishOptions& options);

// Where a certificate's page lives in the site: cert/<xx>/<id>.html with xx
// the low byte of FNV-1a-32(id) in hex (the search page computes the same).
std::string certificate_page(std::string_view id);

// Ed25519 (OpenSSL 3 EVP) over `data` with a PEM private key; raw 64-byte
// signature, as `openssl pkeyutl -sign -rawin` writes it.
Result<std::string> ed25519_sign(const std::filesystem::path& private_key_pem, std::string_view data);
// The PEM public key (SubjectPublicKeyInfo) of a PEM private key.
Result<std::string> ed25519_public_pem(const std::filesystem::path& private_key_pem);
Status ed25519_verify(std::string_view public_key_pem, std::string_view data, std::string_view signature);

// Verifies a published site the way a mirror would: list.json against its
// signature and the site's key (or `public_key_pem` when given, which a
// mirror should pin), then certificate `id`: its record's leaf hash and its
// inclusion proof (lower path + upper path of its block) against the signed
// Merkle root. Returns the root on success.
Result<std::string> verify_published_certificate(const std::filesystem::path& site, std::string_view id,
                                                 std::string_view public_key_pem = {});

}  // namespace certify::certdb
