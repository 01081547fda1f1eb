// SHA-256 through OpenSSL, in its own file: a program that links core
// without hashing (the probe front, cli/front.cpp) does not load libcrypto.
#include <openssl/evp.h>

#include "core/files.hpp"

namespace certify {

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(k_hex[md[i] >> 4]);
    out.push_back(k_hex[md[i] & 0xf]);
  }
  return out;
}

}  // namespace certify
