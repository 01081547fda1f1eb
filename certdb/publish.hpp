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
#include "certdb/merkle.hpp"
#include "core/result.hpp"

namespace certify::certdb {

// The site (format 3), built to stay fast at a million certificates: about
// four files per 4,096 certificates, never one file per certificate.
//   index.html, assets/          the search page (client-side filters and text search)
//   cert.html                    the certificate page: cert.html?id=ID shows certificate ID
//                                (tested classes, results, OSes, extensions, hardware, tests),
//                                rendered in the browser from its block's cert/NNNNN.js
//   list.json, list.json.sig     the signed list: an index of blocks of 2^level certificates in id
//                                order, each with its Merkle node and the SHA-256 of its files
//   list/NNNNN.jsonl             a block's records, one a line: the Merkle leaf is
//                                SHA-256(0x00 || line), so a mirror proves any entry from this
//                                file and list.json (verify_published_certificate)
//   csv/NNNNN.csv                a block as CSV (k_csv_header)
//   search/NNNNN.js, manifest.js the search page's index, one file per block; the manifest
//                                names each block's first id (cert.html finds the block by it)
//   cert/NNNNN.js                a block's records for cert.html (the same bytes as its
//                                list/NNNNN.jsonl, wrapped as a script: file:// allows
//                                <script src>, not fetch())
//   merkle/root.json(.sig)       the signed root, tree size and block size
//   signing-key.pem              the public key (a mirror should pin its own copy)
// One change rewrites its block's four files and the small signed files.
// .publish-state (small JSON) remembers each block's ids at both ends,
// count, node, digests, sizes and facets, so neither a republication nor an
// incremental one renders or writes an unchanged block. A first publication
// is written to a new directory beside options.out and renamed into place.
struct PublishOptions {
  std::filesystem::path out;       // site directory (created)
  std::filesystem::path key;       // Ed25519 private key, PEM (PKCS#8)
  std::string title = "Certified hardware";
  unsigned bucket_level = 12;      // blocks of 2^bucket_level certificates
  unsigned threads = 2;
};

// CPU time of the process (every thread), user + system, in seconds: the
// clock of PublishPhase::cpu and of certdb publish --json.
double process_cpu_seconds();

// Wall and CPU seconds of one step of a publication.
struct PublishPhase {
  std::string name;
  double wall = 0, cpu = 0;
};

struct PublishStats {
  std::size_t certificates = 0;
  std::size_t files_written = 0, files_unchanged = 0, files_removed = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t site_bytes = 0;       // size of every file of the site
  std::string merkle_root;            // hex
  std::vector<std::string> written;   // site-relative paths, sorted
  std::vector<PublishPhase> phases;
};

// Writes or updates the site in options.out for exactly the catalog's
// certificates. Only what changed since the last publication is written;
// pages of certificates no longer in the catalog are removed.
Result<PublishStats> publish_site(const Catalog& catalog, const PublishOptions& options);

// The same from the whole list as JSON Lines (one record a line, blank lines
// allowed; of records with the same id the last one counts), without
// building a Catalog: records are checked and hashed in parallel, then each
// block that changed is parsed again and written. Errors name the line.
Result<PublishStats> publish_records(std::string_view jsonl, const PublishOptions& options);
// publish_records over a file, mapped rather than read.
Result<PublishStats> publish_records_file(const std::filesystem::path& records, const PublishOptions& options);

// Incremental publication without the whole list: applies changed or new
// certificate records (JSON Lines) to the site published in options.out,
// reading only the state and the blocks the changes fall in. Refused when
// the directory holds no state of the same block level and page format.
Result<PublishStats> publish_changes(std::string_view changes_jsonl, const PublishOptions& options);

// The site-relative link of a certificate's page: cert.html?id=<id> (ids
// are letters, digits, '.', '_' and '-', so the link needs no escaping).
std::string certificate_page(std::string_view id);

// Ed25519 (OpenSSL 3 EVP) over `data` with a PEM private key; raw 64-byte
// signature, as `openssl pkeyutl -sign -rawin` writes it.
Result<std::string> ed25519_sign(const std::filesystem::path& private_key_pem, std::string_view data);
// The PEM public key (SubjectPublicKeyInfo) of a PEM private key.
Result<std::string> ed25519_public_pem(const std::filesystem::path& private_key_pem);
Status ed25519_verify(std::string_view public_key_pem, std::string_view data, std::string_view signature);

// What verify_published_certificate proved: the record's line, its place
// and its RFC 9162 audit path to the signed root.
struct InclusionProof {
  std::string record;
  std::uint64_t leaf_index = 0, tree_size = 0;
  std::string root;           // hex
  std::vector<Hash> path;     // leaf to root
};

// Verifies a published site the way a mirror would: list.json against its
// signature and the site's key (or `public_key_pem` when given, which a
// mirror should pin), merkle/root.json likewise; the block nodes in
// list.json lead to the signed root; certificate `id`'s block file matches
// its SHA-256 in list.json; the record's leaf and its audit path lead to the
// root; the block's cert/NNNNN.js (what the certificate page shows) holds
// exactly the signed records. A changed record, block, page data, index or
// signature fails.
Result<InclusionProof> verify_published_certificate(const std::filesystem::path& site, std::string_view id,
                                                    std::string_view public_key_pem = {});

}  // namespace certify::certdb
