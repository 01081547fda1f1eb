// SHA-256 through OpenSSL, in its own file: a program that links core
// without hashing (the probe front, cli/front.cpp) does not load libcrypto.
//
// OpenSSL's SHA256_Init/Update/Final, not EVP_Digest: they are deprecated
// since 3.0 in favour of EVP, but EVP fetches the digest from a provider,
// and that machinery (providers, their algorithm tables, the config file it
// reads on first use) is what linking it brings in. certify-run links
// libcrypto statically for this one function: with EVP it carried 23,600
// start-up relocations and 410 KB of relocated tables (~100 page faults at
// every start, ~18 us each on a VM), and its first digest took 3.4 ms; the
// low-level calls run the same assembly (SHA-NI, AVX2) with none of that.
// No provider can then be asked for this hash (FIPS): it names and checks
// files, it does not protect a secret.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "core/files.hpp"

namespace certify {

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, data.data(), data.size());
  SHA256_Final(md, &c);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(sizeof md * 2);
  for (unsigned char b : md) {
    out.push_back(k_hex[b >> 4]);
    out.push_back(k_hex[b & 0xf]);
  }
  return out;
}

}  // namespace certify
