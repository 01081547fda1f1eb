// IdsFile: pci.ids/usb.ids lookups in place (format and rules of libpci's
// names-parse.c and names.c, pciutils 3.9).
#include "probe/ids_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
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
  if (auto e = raw.find_first_of("\r\n"); e != std::string_view::npos) raw = raw.substr(0, e);
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
  devices_ = std::move(o.devices_);
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

// One pass over the line starts: the top-level entries and where their
// nested lines end. Nested lines are parsed only when a lookup needs them.
void IdsFile::index() const {
  indexed_ = true;
  const std::string_view t = text();
  Block* open_block = nullptr;
  std::size_t pos = 0;
  while (pos < t.size()) {
    std::size_t nl = t.find('\n', pos);
    std::size_t next = nl == std::string_view::npos ? t.size() : nl + 1;
    if (t[pos] != '\t') {  // nested lines start with a tab: the common case, skipped
      Line l = parse_line(t.substr(pos, next - pos));
      if (!l.skip && l.nest == 0) {
        if (open_block) open_block->end = pos;
        open_block = nullptr;
        std::string_view s = l.text;
        unsigned kind = 0;
        long id = -1;
        std::string_view name;
        bool unknown_block = false;  // "X ..." blocks libpci skips (usb.ids has several)
        if (s.size() > 1 && s[0] == 'C' && s[1] == ' ') {
          kind = static_cast<unsigned>(Kind::cls);
          id = hex_id(s.substr(2), 2);
          name = name_after(s.substr(2), 2);
        } else if (s.size() > 1 && s[0] == 'S' && s[1] == ' ') {
          kind = static_cast<unsigned>(Kind::gen_subsystem);
          id = s.size() == 6 ? hex_id(s.substr(2), 4) : -1;
          name = "S";  // the block has no name of its own
        } else if (unknown_block_header(s)) {
          unknown_block = true;
        } else {
          kind = static_cast<unsigned>(Kind::vendor);
          id = hex_id(s, 4);
          name = name_after(s, 4);
        }
        if (unknown_block) {
          pos = next;
          continue;
        }
        if (id < 0 || name.empty()) {
          problem(pos, "malformed entry '" + std::string(s.substr(0, 40)) + "'");
          pos = next;
          continue;
        }
        auto [it, fresh] = blocks_.try_emplace(key(kind, static_cast<unsigned>(id)),
                                               Block{next, t.size(), name});
        if (fresh) open_block = &it->second;  // a duplicate: the first one counts
        else problem(pos, "duplicate entry '" + std::string(s.substr(0, 40)) + "'");
      }
    }
    pos = next;
  }
}

const IdsFile::Block* IdsFile::block(Kind kind, unsigned id) const {
  if (!indexed_) index();
  auto it = blocks_.find(key(static_cast<unsigned>(kind), id));
  return it == blocks_.end() ? nullptr : &it->second;
}

// The block's level-1 entries (devices, subclasses), each with the range of
// its level-2 lines, built on the block's first lookup.
const std::vector<IdsFile::Entry>& IdsFile::entries(const Block& b, std::size_t id_width) const {
  auto [it, fresh] = devices_.try_emplace(b.begin);
  auto& out = it->second;
  if (!fresh) return out;
  const std::string_view t = text();
  std::size_t pos = b.begin;
  while (pos < b.end) {
    std::size_t nl = t.find('\n', pos);
    std::size_t next = nl == std::string_view::npos || nl + 1 > b.end ? b.end : nl + 1;
    if (pos + 1 < t.size() && t[pos] == '\t' && t[pos + 1] == '\t') {  // level 2
      if (!out.empty()) out.back().end = next;
      pos = next;
      continue;
    }
    Line l = parse_line(t.substr(pos, next - pos));
    if (!l.skip) {
      long id = hex_id(l.text, id_width);
      std::string_view name = name_after(l.text, id_width);
      if (l.nest != 1 || id < 0 || name.empty())
        problem(pos, "malformed entry '" + std::string(l.text.substr(0, 40)) + "'");
      else
        out.push_back(Entry{static_cast<unsigned>(id), name, next, next});
    }
    pos = next;
  }
  return out;
}

std::optional<std::string_view> IdsFile::level1(const Block& b, std::size_t id_width, unsigned id,
                                                const Entry** entry) const {
  for (const auto& e : entries(b, id_width))
    if (e.id == id) {
      if (entry) *entry = &e;
      return e.name;
    }
  return std::nullopt;
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
  return level1(*b, 4, device_id, nullptr);
}

std::optional<std::string_view> IdsFile::subsystem(unsigned vendor_id, unsigned device_id,
                                                   unsigned subvendor_id, unsigned subdevice_id) const {
  // libpci's id_lookup_subsys(): per device (when both IDs are non-zero),
  // then generic, then the device itself when the subsystem repeats it.
  if (vendor_id > 0 && device_id > 0)
    if (const Block* b = block(Kind::vendor, vendor_id)) {
      const Entry* e = nullptr;
      if (level1(*b, 4, device_id, &e) && e)
        if (auto n = level2(*e, 4, subvendor_id, subdevice_id)) return n;
    }
  if (const Block* g = block(Kind::gen_subsystem, subvendor_id))
    if (auto n = level1(*g, 4, subdevice_id, nullptr)) return n;
  if (vendor_id == subvendor_id && device_id == subdevice_id) return device(vendor_id, device_id);
  return std::nullopt;
}

std::optional<std::string> IdsFile::class_name(unsigned class_code) const {
  const Block* c = block(Kind::cls, (class_code >> 8) & 0xff);
  if (!c) return std::nullopt;
  if (auto sub = level1(*c, 2, class_code & 0xff, nullptr)) return std::string(*sub);
  char num[8];
  std::snprintf(num, sizeof num, "%04x", class_code & 0xffff);
  return std::string(c->name) + " [" + num + "]";
}

std::optional<std::string_view> IdsFile::top_class(unsigned class_id) const {
  if (const Block* c = block(Kind::cls, class_id & 0xff)) return c->name;
  return std::nullopt;
}

}  // namespace certify::probe
