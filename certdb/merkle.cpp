// Merkle tree (RFC 6962 hashing), built bottom-up: an unpaired last node is
// carried up unchanged, which yields exactly RFC 6962's MTH for any size.
#include "certdb/merkle.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace certify::certdb {

namespace {

Hash sha256_parts(std::uint8_t prefix, std::string_view a, std::string_view b = {}) {
  Hash out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) throw std::bad_alloc();
  unsigned len = 0;
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, &prefix, 1) == 1 &&
            EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
            (b.empty() || EVP_DigestUpdate(ctx, b.data(), b.size()) == 1) &&
            EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len != out.size()) throw std::runtime_error("SHA-256 failed (OpenSSL)");
  return out;
}

std::string_view view(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

}  // namespace

Hash leaf_hash(std::string_view data) { return sha256_parts(0x00, data); }

Hash node_hash(const Hash& left, const Hash& right) { return sha256_parts(0x01, view(left), view(right)); }

std::string to_hex(const Hash& h) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : h) {
    out.push_back(k_hex[b >> 4]);
    out.push_back(k_hex[b & 0xf]);
  }
  return out;
}

std::optional<Hash> hash_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Hash h{};
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return h;
}

MerkleTree::MerkleTree(std::vector<Hash> leaves) {
  levels_.push_back(std::move(leaves));
  while (levels_.back().size() > 1) {
    const auto& below = levels_.back();
    std::vector<Hash> up;
    up.reserve((below.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < below.size(); i += 2) up.push_back(node_hash(below[i], below[i + 1]));
    if (below.size() % 2) up.push_back(below.back());
    levels_.push_back(std::move(up));
  }
}

Hash MerkleTree::root() const {
  if (levels_.front().empty()) {
    Hash h{};
    unsigned len = 0;
    EVP_Digest("", 0, h.data(), &len, EVP_sha256(), nullptr);
    return h;
  }
  return levels_.back().front();
}

MerkleTree::SplitProof MerkleTree::split_proof(std::size_t index, std::size_t level) const {
  if (index >= size()) throw std::out_of_range("leaf index beyond the tree");
  SplitProof out;
  std::size_t i = index;
  for (std::size_t l = 0; l + 1 < levels_.size(); ++l, i >>= 1) {
    std::size_t sibling = i ^ 1;
    if (sibling < levels_[l].size()) (l < level ? out.lower : out.upper).push_back(levels_[l][sibling]);
  }
  return out;
}

std::vector<Hash> MerkleTree::inclusion_proof(std::size_t index) const {
  return split_proof(index, levels_.size()).lower;
}

bool verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t tree_size,
                      std::span<const Hash> path, const Hash& root) {
  if (index >= tree_size) return false;
  std::uint64_t fn = index, sn = tree_size - 1;
  Hash r = leaf;
  for (const auto& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace certify::certdb
