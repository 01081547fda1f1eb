// Posting lists and the trigram index of the public list.
#include "certdb/catalog_index.hpp"

#include <algorithm>

namespace certify::certdb::index {

void insert_sorted(Postings& p, std::uint32_t pos) {
  if (p.empty() || p.back() < pos) {
    p.push_back(pos);
    return;
  }
  auto it = std::lower_bound(p.begin(), p.end(), pos);
  if (it == p.end() || *it != pos) p.insert(it, pos);
}

void erase_sorted(Postings& p, std::uint32_t pos) {
  auto it = std::lower_bound(p.begin(), p.end(), pos);
  if (it != p.end() && *it == pos) p.erase(it);
}

bool contains(const Postings& p, std::uint32_t pos) { return std::binary_search(p.begin(), p.end(), pos); }

Postings intersect(const Postings& a, const Postings& b) {
  const Postings& small = a.size() <= b.size() ? a : b;
  const Postings& big = a.size() <= b.size() ? b : a;
  Postings out;
  out.reserve(small.size());
  const std::uint32_t* lo = big.data();
  const std::uint32_t* const end = big.data() + big.size();
  for (std::uint32_t v : small) {
    // Gallop: double the step until past v, then binary search that stretch.
    std::size_t step = 1;
    const std::uint32_t* hi = lo;
    while (hi < end && *hi < v) {
      lo = hi + 1;
      hi = (static_cast<std::size_t>(end - hi) > step) ? hi + step : end;
      step <<= 1;
    }
    lo = std::lower_bound(lo, hi == end ? end : hi + 1, v);
    if (lo == end) break;
    if (*lo == v) out.push_back(v);
  }
  return out;
}

void PostingList::insert(std::uint32_t pos) {
  insert_sorted(ids, pos);
  if (dense()) {
    if ((pos >> 6) >= bits.size()) bits.resize((pos >> 6) + 1, 0);
    bits[pos >> 6] |= std::uint64_t{1} << (pos & 63);
  }
}

void PostingList::erase(std::uint32_t pos) {
  erase_sorted(ids, pos);
  if (dense() && (pos >> 6) < bits.size()) bits[pos >> 6] &= ~(std::uint64_t{1} << (pos & 63));
}

void PostingList::make_dense_if_worth(std::size_t n) {
  if (ids.size() * 32 < n || ids.empty()) return;
  bits.assign((std::max<std::size_t>(n, ids.back() + std::size_t{1}) + 63) / 64, 0);
  for (auto p : ids) bits[p >> 6] |= std::uint64_t{1} << (p & 63);
}

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

void GramIndex::grams(std::string_view text, std::vector<std::uint32_t>& out) {
  out.clear();
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    auto a = static_cast<unsigned char>(text[i]), b = static_cast<unsigned char>(text[i + 1]),
         c = static_cast<unsigned char>(text[i + 2]);
    if (is_space(c)) {
      i += 2;  // the next two windows hold c as well
      continue;
    }
    if (is_space(a) || is_space(b)) continue;
    out.push_back(std::uint32_t{a} << 16 | std::uint32_t{b} << 8 | c);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

Postings* GramIndex::list(std::uint32_t gram, bool create) {
  auto& t = table_[gram >> 8];
  if (!t) {
    if (!create) return nullptr;
    t = std::make_unique<std::array<std::uint32_t, 256>>();
    t->fill(0);
  }
  auto& slot = (*t)[gram & 0xff];
  if (!slot) {
    if (!create) return nullptr;
    lists_.emplace_back();
    slot = static_cast<std::uint32_t>(lists_.size());
  }
  return &lists_[slot - 1];
}

void GramIndex::add(std::uint32_t pos, const std::vector<std::uint32_t>& grams) {
  for (auto g : grams) insert_sorted(*list(g, true), pos);
}

void GramIndex::remove(std::uint32_t pos, const std::vector<std::uint32_t>& grams) {
  for (auto g : grams)
    if (auto* p = list(g, false)) erase_sorted(*p, pos);
}

const Postings* GramIndex::find(std::uint32_t gram) const {
  const auto& t = table_[gram >> 8];
  if (!t) return nullptr;
  auto slot = (*t)[gram & 0xff];
  if (!slot || lists_[slot - 1].empty()) return nullptr;
  return &lists_[slot - 1];
}

void GramIndex::shrink() {
  for (auto& l : lists_) l.shrink_to_fit();
}

std::size_t GramIndex::bytes() const {
  std::size_t b = table_.size() * sizeof(table_[0]) + lists_.capacity() * sizeof(Postings);
  for (const auto& t : table_)
    if (t) b += sizeof(*t);
  for (const auto& l : lists_) b += l.capacity() * sizeof(std::uint32_t);
  return b;
}

}  // namespace certify::certdb::index
