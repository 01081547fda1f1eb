// IdsFile: names from a pci.ids/usb.ids file (hwdata's format), looked up
// in place in a read-only mapping. Only the IDs asked for are parsed: libpci
// parses and hashes the whole ~1.3 MB pci.ids on its first lookup, which cost
// more than probing a small machine. Vendors are found by a binary search
// over the top-level lines and devices by bisection of their vendor's block
// (hwdata keeps both sorted), classes by searching their line; what that
// misses is absent when the file was found sorted and well formed, else
// looked up the slow way, so lookups follow libpci's rules and names are
// the ones `lspci` prints. A duplicated ID, which makes libpci refuse the
// whole file, resolves to one of its entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace certify::probe {

class IdsFile {
 public:
  // Maps the file; an error when it cannot be opened or mapped. The text
  // itself is checked line by line as lookups reach it.
  static Result<IdsFile> open(const std::filesystem::path& path);
  // The same over text held in memory (tests, fuzzing).
  static IdsFile from_text(std::string text);

  IdsFile(IdsFile&& o) noexcept;
  IdsFile& operator=(IdsFile&& o) noexcept;
  IdsFile(const IdsFile&) = delete;
  IdsFile& operator=(const IdsFile&) = delete;
  ~IdsFile();

  // Names as in the file (views into it, valid while this object lives);
  // nullopt when the ID is not listed.
  std::optional<std::string_view> vendor(unsigned vendor_id) const;
  std::optional<std::string_view> device(unsigned vendor_id, unsigned device_id) const;
  // libpci's subsystem rule: the entry under the device, else a generic
  // "S" block entry, else the device's own name when the subsystem IDs are
  // the device IDs.
  std::optional<std::string_view> subsystem(unsigned vendor_id, unsigned device_id,
                                            unsigned subvendor_id, unsigned subdevice_id) const;
  // class_code is 0xCCSS. The subclass name; else the class name with the
  // number as lspci prints it ("Mass storage controller [0180]").
  std::optional<std::string> class_name(unsigned class_code) const;
  // usb.ids: "C cc  name" top-level class names.
  std::optional<std::string_view> top_class(unsigned class_id) const;

  // Malformed lines met so far ("line N: reason"), for a warning.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  IdsFile() = default;
  // A top-level block: vendor "vvvv", class "C cc", generic subsystem "S vvvv".
  enum class Kind : unsigned { vendor, cls, gen_subsystem };
  struct Block {
    std::size_t begin, end;  // its nested lines: byte range after the block's own line
    std::string_view name;
  };
  // A level-1 entry (device, subclass) and the byte range of its level-2 lines.
  struct Entry {
    unsigned id;
    std::string_view name;
    std::size_t begin, end;
  };
  void index() const;
  const Block* block(Kind kind, unsigned id) const;
  std::optional<Entry> scan_level1(const Block& b, std::size_t id_width, unsigned id) const;
  std::optional<std::size_t> bisect_level1(const Block& b, unsigned id) const;
  void survey(std::string_view top_line) const;
  const std::vector<std::size_t>& top_lines() const;
  std::size_t bsearch_vendor(unsigned id, std::size_t* after) const;
  std::optional<Entry> level1(const Block& b, std::size_t id_width, unsigned id) const;
  std::optional<Block> find_block(Kind kind, unsigned id) const;
  std::size_t find_line(std::string_view head, std::size_t from, std::size_t to) const;
  std::size_t line_end(std::size_t pos) const;
  std::size_t next_line_within(std::size_t pos, unsigned max_nest, std::size_t limit) const;
  std::optional<std::string_view> level2(const Entry& e, std::size_t id_width, unsigned id1,
                                         std::optional<unsigned> id2) const;
  void problem(std::size_t offset, std::string_view what) const;
  std::string_view text() const { return {data_, size_}; }

  const char* data_ = nullptr;
  std::size_t size_ = 0;
  void* map_ = nullptr;  // munmap()ed by the destructor
  std::string owned_;    // from_text()
  // Built lazily by the const lookups (one thread: a probe run).
  mutable bool indexed_ = false;
  mutable std::unordered_map<std::uint32_t, Block> blocks_;          // Kind << 16 | id
  mutable std::unordered_map<std::uint64_t, std::optional<Entry>> level1_;  // Block::begin << 16 | id
  mutable std::optional<std::vector<std::size_t>> top_;  // top_lines()
  mutable std::optional<bool> has_gen_subsystems_;
  // From top_lines(): every top-level line well formed, no ID twice, the
  // vendors in ascending order before any other block. A vendor the binary
  // search misses is then absent, without the full index.
  mutable bool sorted_ = true;
  mutable bool past_vendors_ = false;
  mutable long last_vendor_ = -1;
  mutable std::vector<bool> seen_other_;  // class and "S" IDs: Kind << 16 | id
  mutable std::optional<std::size_t> classes_from_;  // where the vendor blocks end
  mutable std::vector<std::string> problems_;
};

}  // namespace certify::probe
