// IdsFile: pci.ids/usb.ids lookups in place (format and rules of libpci's
// names-parse.c and names.c, pciutils 3.9).
#include "probe/ids_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <unordered_set>
#include <utility>

namespace certify::probe {

namespace {

// One line as libpci sees it: up to the first CR or LF, one trailing blank
// dropped; its nesting is the number of leading tabs.
struct Line {
  std::string_view text;  // without the leading tabs
  unsigned nest = 0;
  bool skip = false;      // blank or comment
};

bool white(char c) { return c == ' ' || c == '\t'; }

Line parse_line(std::string_view raw) {
  Line l;
  // `raw` is one line, its LF last if any (memchr: find_first_of tests
  // every character against the set, the cost of the whole scan).
  if (!raw.empty() && raw.back() == '\n') raw.remove_suffix(1);
  if (const void* cr = std::memchr(raw.data(), '\r', raw.size()))
    raw = raw.substr(0, static_cast<std::size_t>(static_cast<const char*>(cr) - raw.data()));
  if (!raw.empty() && white(raw.back())) raw.remove_suffix(1);
  std::size_t i = 0;
  while (i < raw.size() && white(raw[i])) ++i;
  if (i == raw.size() || raw[i] == '#') {
    l.skip = true;
    return l;
  }
  while (l.nest < raw.size() && raw[l.nest] == '\t') ++l.nest;
  l.text = raw.substr(l.nest);
  return l;
}

// `digits` hex digits at the start of s; -1 when they are not all hex.
long hex_id(std::string_view s, std::size_t digits) {
  if (s.size() < digits) return -1;
  long v = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v += c - '0';
    else if (c >= 'a' && c <= 'f') v += c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v += c - 'A' + 10;
    else return -1;
  }
  return v;
}

// The name after an ID field of `width` characters and its blank; empty
// when the field is malformed or no name follows.
std::string_view name_after(std::string_view s, std::size_t width) {
  if (s.size() <= width || !white(s[width])) return {};
  s.remove_prefix(width + 1);
  while (!s.empty() && white(s.front())) s.remove_prefix(1);
  return s;
}

// "X ..." (libpci skips these reserved blocks) and usb.ids' "AT", "HID",
// "HUT", ... blocks: an upper-case word that is not a hex vendor ID.
bool unknown_block_header(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && s[n] >= 'A' && s[n] <= 'Z') ++n;
  if (n == 0 || n == s.size() || !white(s[n])) return false;
  return !(n == 4 && hex_id(s, 4) >= 0);
}

std::uint32_t key(unsigned kind, unsigned id) { return kind << 16 | (id & 0xffff); }

}  // namespace

Result<IdsFile> IdsFile::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = errno;
    ::close(fd);
    return make_error(path.string() + ": " + (S_ISREG(st.st_mode) ? std::strerror(e) : "not a regular file"));
  }
  IdsFile f;
  if (st.st_size > 0) {
    // MAP_POPULATE: one call maps every page; the first lookup's scan would
    // otherwise fault them in one by one, which cost several times more.
    void* m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      return make_error(path.string() + ": mmap: " + std::strerror(e));
    }
    f.map_ = m;
    f.data_ = static_cast<const char*>(m);
    f.size_ = static_cast<std::size_t>(st.st_size);
  }
  ::close(fd);
  return f;
}

IdsFile IdsFile::from_text(std::string text) {
  IdsFile f;
  f.owned_ = std::move(text);
  f.data_ = f.owned_.data();
  f.size_ = f.owned_.size();
  return f;
}

IdsFile::IdsFile(IdsFile&& o) noexcept { *this = std::move(o); }

IdsFile& IdsFile::operator=(IdsFile&& o) noexcept {
  if (this == &o) return *this;
  if (map_) ::munmap(map_, size_);
  bool owned = o.data_ == o.owned_.data();
  owned_ = std::move(o.owned_);
  map_ = std::exchange(o.map_, nullptr);
  size_ = std::exchange(o.size_, 0);
  data_ = owned ? owned_.data() : o.data_;
  o.data_ = nullptr;
  indexed_ = std::exchange(o.indexed_, false);
  blocks_ = std::move(o.blocks_);
  level1_ = std::move(o.level1_);
  top_ = std::move(o.top_);
  has_gen_subsystems_ = o.has_gen_subsystems_;
  sorted_ = o.sorted_;
  past_vendors_ = o.past_vendors_;
  last_vendor_ = o.last_vendor_;
  seen_other_ = std::move(o.seen_other_);
  classes_from_ = o.classes_from_;
  problems_ = std::move(o.problems_);
  return *this;
}

IdsFile::~IdsFile() {
  if (map_) ::munmap(map_, size_);
}

void IdsFile::problem(std::size_t offset, std::string_view what) const {
  if (problems_.size() >= 20) return;  // a garbage file: the first ones say enough
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < size_; ++i) line += data_[i] == '\n';
  problems_.push_back("line " + std::to_string(line) + ": " + std::string(what));
}

// The top-level entries and where their nested lines end, from the
// top-level lines (top_lines(): ~3,000 of pci.ids' ~37,000 lines, and the
// vendor search has usually found them already). Nested lines are parsed
// only when a lookup needs them.
void IdsFile::index() const {
  indexed_ = true;
  const std::string_view t = text();
  const auto& top = top_lines();
  Block* open_block = nullptr;
  std::unordered_set<std::uint32_t> seen;
  seen.reserve(top.size());
  blocks_.reserve(blocks_.size() + top.size());
  for (std::size_t pos : top) {
    std::size_t next = line_end(pos);
    Line l = parse_line(t.substr(pos, next - pos));  // not blank, a comment or nested: top_lines()
    if (open_block) open_block->end = pos;
    open_block = nullptr;
    std::string_view s = l.text;
    unsigned kind = 0;
    long id = -1;
    std::string_view name;
    if (s.size() > 1 && s[0] == 'C' && s[1] == ' ') {
      kind = static_cast<unsigned>(Kind::cls);
      id = hex_id(s.substr(2), 2);
      name = name_after(s.substr(2), 2);
    } else if (s.size() > 1 && s[0] == 'S' && s[1] == ' ') {
      kind = static_cast<unsigned>(Kind::gen_subsystem);
      id = s.size() == 6 ? hex_id(s.substr(2), 4) : -1;
      name = "S";  // the block has no name of its own
    } else if (unknown_block_header(s)) {
      continue;  // "X ..." blocks libpci skips (usb.ids has several)
    } else {
      kind = static_cast<unsigned>(Kind::vendor);
      id = hex_id(s, 4);
      name = name_after(s, 4);
    }
    if (id < 0 || name.empty()) {
      problem(pos, "malformed entry '" + std::string(s.substr(0, 40)) + "'");
      continue;
    }
    const std::uint32_t k = key(kind, static_cast<unsigned>(id));
    if (!seen.insert(k).second) {
      problem(pos, "duplicate entry '" + std::string(s.substr(0, 40)) + "'");
    } else {
      // A block find_block() found stays (names handed out stay the same).
      auto [it, fresh] = blocks_.try_emplace(k, Block{next, t.size(), name});
      if (fresh || it->second.begin == next) open_block = &it->second;
    }
  }
}

// Offset of the first line in [from, to) that starts with `head`; npos when
// none. memmem over the bytes: no per-line work.
std::size_t IdsFile::find_line(std::string_view head, std::size_t from, std::size_t to) const {
  const std::string_view t = text();
  to = std::min(to, t.size());
  if (from >= to) return std::string_view::npos;
  if ((from == 0 || t[from - 1] == '\n') && t.substr(from, head.size()) == head) return from;
  std::string needle = "\n" + std::string(head);
  const void* hit = ::memmem(t.data() + from, to - from, needle.data(), needle.size());
  if (!hit) return std::string_view::npos;
  std::size_t at = static_cast<std::size_t>(static_cast<const char*>(hit) - t.data()) + 1;
  return at < to ? at : std::string_view::npos;
}

std::size_t IdsFile::line_end(std::size_t pos) const {
  const void* nl = pos < size_ ? std::memchr(data_ + pos, '\n', size_ - pos) : nullptr;
  return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data_) + 1 : size_;
}

// The first line at or after pos (a line start) whose nesting is at most
// max_nest and that is not blank or a comment: where a block (max_nest 0)
// or a device's subsystem list (max_nest 1) ends.
std::size_t IdsFile::next_line_within(std::size_t pos, unsigned max_nest, std::size_t limit) const {
  while (pos < limit) {
    std::size_t next = line_end(pos);
    unsigned tabs = 0;
    while (tabs <= max_nest && pos + tabs < next && data_[pos + tabs] == '\t') ++tabs;
    if (tabs <= max_nest) {
      Line l = parse_line(text().substr(pos, next - pos));
      if (!l.skip && l.nest <= max_nest) return pos;
    }
    pos = next;
  }
  return limit;
}

// One top-level line (its text after parse_line()) as index() will read
// it, in file order, for sorted_: a malformed or repeated entry (which
// index() reports), or a vendor out of order or after another block, and
// a vendor the binary search misses may still be in the file.
void IdsFile::survey(std::string_view s) const {
  if (!sorted_) return;
  unsigned kind = 0;
  long id = -1;
  bool named = false;
  if (s.size() > 1 && s[0] == 'C' && s[1] == ' ') {
    kind = static_cast<unsigned>(Kind::cls);
    id = hex_id(s.substr(2), 2);
    named = !name_after(s.substr(2), 2).empty();
  } else if (s.size() > 1 && s[0] == 'S' && s[1] == ' ') {
    kind = static_cast<unsigned>(Kind::gen_subsystem);
    id = s.size() == 6 ? hex_id(s.substr(2), 4) : -1;
    named = true;
  } else if (unknown_block_header(s)) {
    past_vendors_ = true;
    return;
  } else {
    id = hex_id(s, 4);
    sorted_ = id > last_vendor_ && !past_vendors_ && !name_after(s, 4).empty();
    last_vendor_ = id;
    return;
  }
  past_vendors_ = true;
  if (id < 0 || !named) {
    sorted_ = false;
    return;
  }
  if (seen_other_.empty()) seen_other_.resize(2u << 16);
  const std::size_t at = (kind - 1) << 16 | static_cast<unsigned>(id);
  sorted_ = !seen_other_[at];
  seen_other_[at] = true;
}

// Offsets of the top-level lines (no leading tab, not blank, not a
// comment) in file order, from one pass over the line starts: ~3,000 of
// pci.ids' ~37,000 lines. Vendor lookups search these instead of walking
// the nested lines of the blocks they land in, and whether the file has
// generic subsystem ("S") blocks is read off them; both used to cost a scan
// of the text each.
const std::vector<std::size_t>& IdsFile::top_lines() const {
  if (top_) return *top_;
  std::vector<std::size_t> v;
  v.reserve(4096);
  auto consider = [&](std::size_t pos) {  // a line start
    if (pos >= size_ || data_[pos] == '\t') return;
    Line l = parse_line(text().substr(pos, line_end(pos) - pos));
    if (l.skip) return;
    v.push_back(pos);
    survey(l.text);
  };
  consider(0);
  // Newlines found eight bytes at a time (a memchr per line was most of
  // the pass: the lines are short); each candidate is checked, so the
  // word trick's false positives (a byte 0x0b after a newline) cost nothing.
  constexpr std::uint64_t k_ones = 0x0101010101010101ull, k_highs = 0x8080808080808080ull;
  constexpr std::uint64_t k_newlines = k_ones * '\n';
  std::size_t i = 0;
  for (; i + 8 <= size_; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data_ + i, 8);
    w ^= k_newlines;  // newline bytes become zero
    for (std::uint64_t m = (w - k_ones) & ~w & k_highs; m; m &= m - 1) {
      // The byte a mask bit stands for: the word's lowest byte is the first
      // in memory on a little-endian machine, the last on a big-endian one (s390x).
      unsigned byte = static_cast<unsigned>(std::countr_zero(m)) / 8;
      std::size_t at = i + (std::endian::native == std::endian::little ? byte : 7 - byte);
      // Nested lines (a tab first) are nine in ten: skipped here.
      if (data_[at] == '\n' && (at + 1 >= size_ || data_[at + 1] != '\t')) consider(at + 1);
    }
  }
  for (; i < size_; ++i)
    if (data_[i] == '\n') consider(i + 1);
  top_ = std::move(v);
  return *top_;
}

// Binary search over the top-level lines for the vendor line of `id`:
// hwdata keeps vendors sorted by ID, with the class and other blocks after
// them. A hit is exact (the line carries the ID); on a miss `*after` is
// where the search ended, and callers fall back to the full index, so
// an unsorted file is still answered correctly, only slower.
std::size_t IdsFile::bsearch_vendor(unsigned id, std::size_t* after) const {
  const auto& top = top_lines();
  std::size_t lo = 0, hi = top.size();
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    std::size_t p = top[mid];
    Line l = parse_line(text().substr(p, line_end(p) - p));
    long v = l.text.size() > 4 && white(l.text[4]) && !unknown_block_header(l.text) ? hex_id(l.text, 4) : -1;
    if (v == static_cast<long>(id)) return p;
    if (v >= 0 && v < static_cast<long>(id)) lo = mid + 1;
    else hi = mid;  // a higher vendor, or the blocks after the vendors
  }
  if (after) *after = lo < top.size() ? top[lo] : size_;
  return std::string_view::npos;
}

// A block found without indexing the file: its header line is "vvvv " or
// "C cc " (IDs in lower case, as hwdata writes them; anything else is left
// to the full index).
std::optional<IdsFile::Block> IdsFile::find_block(Kind kind, unsigned id) const {
  std::size_t at = std::string_view::npos;
  if (kind == Kind::vendor) {
    // A miss is final in a file found sorted and well formed (sorted_);
    // else it is left to the full index, which finds the line wherever it
    // is (an unsorted file) and however libpci reads it.
    at = bsearch_vendor(id, nullptr);
  } else if (kind == Kind::cls) {
    // The class blocks follow the vendors: search from where they end.
    if (!classes_from_) {
      std::size_t after = 0;
      bsearch_vendor(0x10000, &after);
      classes_from_ = after;
    }
    char head[8];
    std::snprintf(head, sizeof head, "C %02x ", id & 0xff);
    at = find_line(head, *classes_from_, size_);
    if (at == std::string_view::npos) at = find_line(head, 0, *classes_from_);
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t next = line_end(at);
  Line l = parse_line(text().substr(at, next - at));
  std::string_view name = kind == Kind::vendor ? name_after(l.text, 4) : name_after(l.text.substr(2), 2);
  if (l.skip || l.nest != 0 || name.empty()) return std::nullopt;
  return Block{next, next_line_within(next, 0, size_), name};
}

const IdsFile::Block* IdsFile::block(Kind kind, unsigned id) const {
  const std::uint32_t k = key(static_cast<unsigned>(kind), id);
  if (auto it = blocks_.find(k); it != blocks_.end()) return &it->second;
  if (!indexed_) {
    if (kind == Kind::gen_subsystem) {
      // Generic subsystem blocks are rare (hwdata has none): index only
      // when the file has an "S " line at all.
      if (!has_gen_subsystems_) {
        const auto& top = top_lines();
        has_gen_subsystems_ = std::any_of(top.begin(), top.end(), [&](std::size_t p) {
          return p + 1 < size_ && data_[p] == 'S' && data_[p + 1] == ' ';
        });
      }
      if (!*has_gen_subsystems_) return nullptr;
    } else if (auto b = find_block(kind, id)) {
      return &blocks_.try_emplace(k, *b).first->second;
    } else if (kind == Kind::vendor && sorted_) {
      // top_lines() (the search's) found the file in order and well formed:
      // the miss is final (QEMU's vendor 1234 on every lab run).
      return nullptr;
    }
    index();
  }
  auto it = blocks_.find(k);
  return it == blocks_.end() ? nullptr : &it->second;
}

// Every level-1 line of the block, as libpci parses them (upper-case IDs,
// a tab after the ID); only the lines carrying `id` are parsed in full.
std::optional<IdsFile::Entry> IdsFile::scan_level1(const Block& b, std::size_t id_width, unsigned id) const {
  std::size_t pos = b.begin;
  while (pos < b.end) {
    std::size_t next = std::min(line_end(pos), b.end);
    if (data_[pos] == '\t' && pos + 1 < next && data_[pos + 1] != '\t' &&
        hex_id(text().substr(pos + 1, next - pos - 1), id_width) == static_cast<long>(id)) {
      Line l = parse_line(text().substr(pos, next - pos));
      if (auto name = name_after(l.text, id_width); l.nest == 1 && !name.empty())
        return Entry{id, name, next, next_line_within(next, 1, b.end)};
    }
    pos = next;
  }
  return std::nullopt;
}

// The line "\tdddd " of device `id` in a vendor block, by bisection over
// the block's bytes: hwdata lists a vendor's devices in ascending order,
// each with its subsystem lines under it, so a device is found without
// reading the block up to it (Intel's is 370 KB: a search of the text for
// each device was most of a lab probe's lookups). nullopt when the search
// does not find it (absent, or a block not in that order or form); the
// caller then searches the text as before.
std::optional<std::size_t> IdsFile::bisect_level1(const Block& b, unsigned id) const {
  std::size_t lo = b.begin, hi = b.end;  // lo is a line start
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    // The first level-1 line that starts at or after mid.
    std::size_t p = mid == lo ? lo : line_end(mid - 1);
    long v = -1;
    for (; p < hi; p = line_end(p)) {
      if (data_[p] != '\t' || p + 1 >= size_ || data_[p + 1] == '\t') continue;
      const std::size_t next = line_end(p);
      v = hex_id(text().substr(p + 1, next - p - 1), 4);
      if (v < 0 || p + 5 >= next || data_[p + 5] != ' ') return std::nullopt;  // not as hwdata writes
      break;
    }
    if (p >= hi) {
      hi = mid;  // none there: the lines before mid
      continue;
    }
    if (v == static_cast<long>(id)) return p;
    if (v < static_cast<long>(id)) lo = line_end(p);
    else hi = p;
  }
  return std::nullopt;
}

std::optional<IdsFile::Entry> IdsFile::level1(const Block& b, std::size_t id_width, unsigned id) const {
  const std::uint64_t k = static_cast<std::uint64_t>(b.begin) << 16 | (id & 0xffff);
  if (auto it = level1_.find(k); it != level1_.end()) return it->second;
  std::optional<Entry> found;
  // The line "\tdddd " inside the block; else (upper-case IDs, a tab after
  // the ID, or no such entry) every entry of the block, parsed.
  char head[16];
  std::snprintf(head, sizeof head, id_width == 4 ? "\t%04x " : "\t%02x ", id & 0xffff);
  std::size_t at = id_width == 4 ? bisect_level1(b, id).value_or(std::string_view::npos) : std::string_view::npos;
  if (at == std::string_view::npos) at = find_line(head, b.begin, b.end);
  if (at != std::string_view::npos) {
    std::size_t next = line_end(at);
    Line l = parse_line(text().substr(at, next - at));
    if (auto name = name_after(l.text, id_width); l.nest == 1 && !name.empty())
      found = Entry{id, name, next, next_line_within(next, 1, b.end)};
  }
  if (!found) found = scan_level1(b, id_width, id);
  level1_.emplace(k, found);
  return found;
}

// A level-2 line under `e`: "ssss dddd  name" (id_width 4, two IDs) or
// "pp  name" (id_width 2, one ID).
std::optional<std::string_view> IdsFile::level2(const Entry& e, std::size_t id_width, unsigned id1,
                                                std::optional<unsigned> id2) const {
  const std::string_view t = text();
  std::size_t pos = e.begin;
  while (pos < e.end) {
    std::size_t nl = t.find('\n', pos);
    std::size_t next = nl == std::string_view::npos || nl + 1 > e.end ? e.end : nl + 1;
    Line l = parse_line(t.substr(pos, next - pos));
    pos = next;
    if (l.skip || l.nest != 2) continue;
    long a = hex_id(l.text, id_width);
    if (a < 0 || static_cast<unsigned>(a) != id1) continue;
    std::string_view rest = l.text;
    if (id2) {
      if (rest.size() <= id_width || !white(rest[id_width])) continue;
      rest.remove_prefix(id_width + 1);
      long b = hex_id(rest, id_width);
      if (b < 0 || static_cast<unsigned>(b) != *id2) continue;
    }
    auto name = name_after(rest, id_width);
    if (!name.empty()) return name;
  }
  return std::nullopt;
}

std::optional<std::string_view> IdsFile::vendor(unsigned vendor_id) const {
  if (const Block* b = block(Kind::vendor, vendor_id)) return b->name;
  return std::nullopt;
}

std::optional<std::string_view> IdsFile::device(unsigned vendor_id, unsigned device_id) const {
  const Block* b = block(Kind::vendor, vendor_id);
  if (!b) return std::nullopt;
  if (auto e = level1(*b, 4, device_id)) return e->name;
  return std::nullopt;
}

std::optional<std::string_view> IdsFile::subsystem(unsigned vendor_id, unsigned device_id,
                                                   unsigned subvendor_id, unsigned subdevice_id) const {
  // libpci's id_lookup_subsys(): per device (when both IDs are non-zero),
  // then generic, then the device itself when the subsystem repeats it.
  if (vendor_id > 0 && device_id > 0)
    if (const Block* b = block(Kind::vendor, vendor_id))
      if (auto e = level1(*b, 4, device_id))
        if (auto n = level2(*e, 4, subvendor_id, subdevice_id)) return n;
  if (const Block* g = block(Kind::gen_subsystem, subvendor_id))
    if (auto e = level1(*g, 4, subdevice_id)) return e->name;
  if (vendor_id == subvendor_id && device_id == subdevice_id) return device(vendor_id, device_id);
  return std::nullopt;
}

std::optional<std::string> IdsFile::class_name(unsigned class_code) const {
  const Block* c = block(Kind::cls, (class_code >> 8) & 0xff);
  if (!c) return std::nullopt;
  if (auto sub = level1(*c, 2, class_code & 0xff)) return std::string(sub->name);
  char num[8];
  std::snprintf(num, sizeof num, "%04x", class_code & 0xffff);
  return std::string(c->name) + " [" + num + "]";
}

std::optional<std::string_view> IdsFile::top_class(unsigned class_id) const {
  if (const Block* c = block(Kind::cls, class_id & 0xff)) return c->name;
  return std::nullopt;
}

}  // namespace certify::probe
