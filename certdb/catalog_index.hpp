// Building blocks of the public list's indexes (certdb/catalog): sorted
// position lists (posting lists) and their intersection, and a trigram
// index over lower-cased text. Positions are catalog positions (uint32).
// Every list stays sorted through changes, so one certificate's change
// costs its own keys, never a rebuild.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace certify::certdb::index {

using Postings = std::vector<std::uint32_t>;  // ascending, no duplicates

void insert_sorted(Postings& p, std::uint32_t pos);  // no-op if present; O(1) for a new last position
void erase_sorted(Postings& p, std::uint32_t pos);   // no-op if absent
bool contains(const Postings& p, std::uint32_t pos);

// The elements of `a` also in `b` (both ascending), by galloping through
// `b`: O(|a| log(|b| / |a|)) when `a` is the smaller list.
Postings intersect(const Postings& a, const Postings& b);

// A posting list that also keeps a bit per catalog position once it is
// dense (it then costs no more than the list: 1 bit per position against
// 32 bits per member): membership is one bit test, and an intersection of
// dense lists is a word-wise AND.
struct PostingList {
  Postings ids;
  std::vector<std::uint64_t> bits;  // empty unless dense

  bool dense() const { return !bits.empty(); }
  bool has(std::uint32_t pos) const {
    if (!dense()) return contains(ids, pos);
    auto w = pos >> 6;
    return w < bits.size() && (bits[w] >> (pos & 63) & 1);
  }
  void insert(std::uint32_t pos);
  void erase(std::uint32_t pos);
  // Keeps bits when the list holds at least 1/32 of `n` positions.
  void make_dense_if_worth(std::size_t n);
};

// Query words never hold white space (they are split on it), so grams with
// white space are not indexed.
bool is_space(unsigned char c);

// Positions per 3-byte gram. A text's grams are its distinct 3-byte
// substrings without white space; a word of three or more bytes can be a
// substring of a text only if every gram of the word is a gram of the text.
class GramIndex {
 public:
  // The distinct grams of `text`, ascending, into `out` (cleared first).
  static void grams(std::string_view text, std::vector<std::uint32_t>& out);

  void add(std::uint32_t pos, const std::vector<std::uint32_t>& grams);
  void remove(std::uint32_t pos, const std::vector<std::uint32_t>& grams);
  // The positions whose text holds `gram`; null when none does.
  const Postings* find(std::uint32_t gram) const;
  // Gives back the slack of bulk growth.
  void shrink();
  std::size_t bytes() const;  // heap bytes of the lists and tables

 private:
  Postings* list(std::uint32_t gram, bool create);
  // Two levels, by the gram's first two bytes and then its third: slot + 1
  // in lists_ (0: none). Only prefixes that occur get a table.
  std::vector<std::unique_ptr<std::array<std::uint32_t, 256>>> table_ =
      std::vector<std::unique_ptr<std::array<std::uint32_t, 256>>>(65536);
  std::vector<Postings> lists_;
};

}  // namespace certify::certdb::index
