// Merkle tree over certificate hashes in the style of RFC 6962/9162: leaves
// are SHA-256(0x00 || data), nodes SHA-256(0x01 || left || right), so a
// mirror can prove that one certificate is part of a published list.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certify::certdb {

using Hash = std::array<std::uint8_t, 32>;  // a SHA-256 digest

Hash leaf_hash(std::string_view data);
Hash node_hash(const Hash& left, const Hash& right);
std::string to_hex(const Hash& h);
std::optional<Hash> hash_from_hex(std::string_view hex);

// The tree over a fixed list of leaf hashes. Keeps every level in memory
// (2n hashes), so proofs cost O(log n) lookups.
class MerkleTree {
 public:
  explicit MerkleTree(std::vector<Hash> leaves);

  std::size_t size() const { return levels_.front().size(); }
  // RFC 6962 MTH; SHA-256 of the empty string for an empty tree.
  Hash root() const;
  // The node at `level` (0 = leaves) and position `index` of the level:
  // with 2^level-aligned blocks, node (level, i) covers leaves
  // [i * 2^level, min(size, (i+1) * 2^level)) and is a node of the RFC 6962 tree.
  const Hash& node(std::size_t level, std::size_t index) const { return levels_.at(level).at(index); }
  std::size_t level_size(std::size_t level) const {
    return level < levels_.size() ? levels_[level].size() : 0;
  }
  // RFC 9162 inclusion proof (audit path) of leaf `index`, leaf to root.
  std::vector<Hash> inclusion_proof(std::size_t index) const;
  // The audit path split at `level`: the siblings inside the 2^level block
  // holding the leaf (`lower`, unchanged while that block's leaves are) and
  // the path from the block's node to the root (`upper`, shared by the
  // block). lower followed by upper is inclusion_proof(index).
  struct SplitProof {
    std::vector<Hash> lower, upper;
  };
  SplitProof split_proof(std::size_t index, std::size_t level) const;

 private:
  std::vector<std::vector<Hash>> levels_;  // levels_[0] = leaves, back() = {root}
};

// RFC 9162 section 2.1.3.2: true when `path` proves that `leaf` sits at
// `index` in the tree of `tree_size` leaves whose root is `root`.
bool verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t tree_size,
                      std::span<const Hash> path, const Hash& root);

}  // namespace certify::certdb
