// The public compatibility list in memory: certificate records (the shared
// record contract of certdb) indexed for filtering, sorting, paging and
// export. Built for a million entries: a query costs its matching set and
// its page, not the list (posting lists per filter value, trigram lists for
// text, pre-sorted orders; see catalog.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "certdb/merkle.hpp"
#include "core/result.hpp"

namespace certify::certdb {

// One certificate, reduced to what the list needs. Built from a record by
// make_entry (pure, so many threads can prepare entries at once).
struct CertificateEntry {
  std::string id, status, vendor, product, model, kind, arch, issued, os_id, os_version;
  std::vector<std::string> classes;
  std::vector<std::pair<std::string, std::string>> os_extended;  // (id, version_id) by extension
  std::vector<std::string> os_like;  // os-release ID_LIKE: related OSes, not tested
  std::string text;        // lower-case words of every listed field
  std::string model_text;  // lower-case product and model names, extensions included
  std::string summary;     // compact JSON object of the list (see summary_json)
  std::string csv;         // one CSV line without the newline (see k_csv_header)
  std::string row;         // compact JSON array: one row of the static site's search index
  std::string record;      // canonical JSON of the whole record (sorted keys, no spaces)
  Hash leaf{};             // Merkle leaf hash of `record`
};

// Checks a certificate record against the contract and reduces it. Errors
// name the certificate and the field.
Result<CertificateEntry> make_entry(const nlohmann::json& record);
Result<CertificateEntry> make_entry(std::string_view record_json);

// Certificate ids become file names: letters, digits, '.', '_', '-'; 1..64 chars.
bool valid_certificate_id(std::string_view id);

// CSV columns of list.csv and of every entry's `csv` line.
extern const char* const k_csv_header;

enum class SortKey { issued, id, vendor, product, os };

struct ListQuery {
  std::string os;          // OS id, tested or extended to ("openeuler")
  std::string os_version;  // VERSION_ID, with `os` or alone
  bool os_like = false;    // `os` also matches ID_LIKE (related OSes, untested)
  std::string arch;        // x86_64, aarch64, ...
  std::string cls;         // a tested device class ("nic")
  std::string vendor;      // exact, case-insensitive
  std::string model;       // substring of product or model names, case-insensitive
  std::string text;        // words; each must be a substring of some field
  std::string issued_from, issued_to;  // YYYY-MM-DD, inclusive
  std::string status;      // "", "active" or "withdrawn"
  SortKey sort = SortKey::issued;
  bool descending = true;
  std::size_t offset = 0;
  std::size_t limit = 50;  // at most k_max_limit
};
inline constexpr std::size_t k_max_limit = 1000;

// Reads a query from URL parameters: os, os_version, os_like (0/1), arch,
// class, vendor, model, q, issued_from, issued_to, status, sort
// (issued|id|vendor|product|os, '-' prefix = descending), page (1-based) and
// per_page, or offset and limit. Unknown parameters and bad values are errors.
Result<ListQuery> parse_list_query(const std::multimap<std::string, std::string>& params,
                                   bool unlimited = false);

struct ListPage {
  std::size_t total = 0;            // entries matching the filters
  std::size_t offset = 0, limit = 0;
  std::vector<std::size_t> entries;  // catalog positions, in sort order
};

class Catalog {
 public:
  Catalog();
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Adds a certificate or replaces the one with the same id. Thread-safe.
  Status upsert(const nlohmann::json& record);
  Status upsert(CertificateEntry entry);

  // Reads JSON Lines (one record a line; blank lines allowed) with `threads`
  // parsing threads. Errors carry the line number.
  Status load_jsonl(std::string_view text, unsigned threads = 2);

  std::size_t size() const;
  std::optional<std::size_t> find(std::string_view id) const;
  // The entry at a catalog position (stable: positions never move). The
  // reference stays valid until the next upsert.
  const CertificateEntry& entry(std::size_t pos) const;

  // A copy of the canonical record of certificate `id`, if listed.
  std::optional<std::string> record(std::string_view id) const;

  // Runs a query; thread-safe with other queries and with upsert.
  ListPage query(const ListQuery& q) const;
  // Builds every index and sort order now rather than on first use (a
  // server calls this before its first client).
  void prepare() const;
  // Heap bytes of the indexes and sort orders built so far.
  std::size_t index_bytes() const;
  // Every position in `sort` order (id ascending is the Merkle leaf order).
  std::vector<std::size_t> ordered(SortKey sort, bool descending) const;

  // Exports: {"total":N,"offset":..,"limit":..,"entries":[summary...]} and
  // the CSV with header. `limit` of 0 with unlimited export means all.
  std::string page_json(const ListPage& page) const;
  std::string export_json(const std::vector<std::size_t>& positions) const;
  std::string export_csv(const std::vector<std::size_t>& positions) const;

 private:
  struct Filters;  // posting lists per filter value, trigram indexes (catalog.cpp)
  struct SortOrder {
    std::vector<std::uint32_t> order;  // positions in key order
    std::vector<std::uint32_t> rank;   // position -> place in `order`
  };

  bool less(SortKey key, std::uint32_t a, std::uint32_t b) const;
  // Built on first use (under a shared lock of mu_), then kept current by
  // every upsert; dropped by a bulk load.
  const Filters& filters() const;
  const SortOrder& sort_order(SortKey key) const;
  // Adds or replaces an entry and updates what is built; mu_ held exclusively.
  Status put(CertificateEntry entry);
  void place(SortOrder& so, SortKey key, std::uint32_t pos, bool existed);

  mutable std::shared_mutex mu_;
  std::vector<CertificateEntry> entries_;
  std::vector<std::uint32_t> issued_;  // YYYYMMDD per position
  std::unordered_map<std::string, std::size_t> by_id_;
  mutable std::mutex build_mu_;  // guards building the lazy parts below
  mutable std::unique_ptr<Filters> filters_;
  mutable std::array<std::unique_ptr<SortOrder>, 5> sorts_;  // by SortKey
};

}  // namespace certify::certdb
