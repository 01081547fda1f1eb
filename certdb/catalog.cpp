// Compatibility list index: record validation, posting lists per filter
// value, trigram lists over the text blobs, sort orders with ranks; all
// built on first use and then kept current by each change.
#include "certdb/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <thread>
#include <tuple>
#include <type_traits>

#include <simdjson.h>

#include "certdb/catalog_index.hpp"
#include "core/text.hpp"

namespace certify::certdb {

using nlohmann::json;

const char* const k_csv_header =
    "id,status,vendor,product,model,kind,classes,os_id,os_version,os_name,arch,issued,pass,fail,skip,"
    "os_extended,os_like,extended_products,withdrawn_reason,withdrawn_date";

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_date(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (d[i] < '0' || d[i] > '9') return false;
  int month = (d[5] - '0') * 10 + (d[6] - '0'), day = (d[8] - '0') * 10 + (d[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

std::uint32_t date_number(std::string_view d) {
  std::uint32_t n = 0;
  for (char c : d)
    if (c != '-') n = n * 10 + static_cast<std::uint32_t>(c - '0');
  return n;
}

// CSV field per RFC 4180; a leading = + - @ is prefixed with ' so that a
// spreadsheet opening the public list never runs a formula from a record.
void csv_field(std::string& out, std::string_view v) {
  std::string cell;
  if (!v.empty() && std::strchr("=+-@\t\r", v.front())) cell.push_back('\'');
  cell.append(v);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    out += cell;
    return;
  }
  out.push_back('"');
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

void json_strings(std::string& out, const std::vector<std::string>& v) {
  out.push_back('[');
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, v[i]);
  }
  out.push_back(']');
}

// Reads the fields of one record (simdjson DOM); errors name the
// certificate and the field.
class RecordReader {
 public:
  explicit RecordReader(std::string id) : id_(std::move(id)) {}
  void set_id(std::string id) { id_ = std::move(id); }

  Error err(std::string_view path, const char* what) const {
    return make_error("certificate " + (id_.empty() ? std::string("(no id)") : id_) + ": field '" +
                      std::string(path) + "' " + what);
  }
  // A string member; missing or null is "" when not required.
  Result<std::string_view> str(simdjson::dom::object obj, std::string_view path, std::string_view key,
                               bool required = true) const {
    simdjson::dom::element v;
    if (obj[key].get(v) != simdjson::SUCCESS || v.is_null()) {
      if (!required) return std::string_view();
      return err(path, "is missing");
    }
    std::string_view s;
    if (v.get(s) != simdjson::SUCCESS) return err(path, "is not a string");
    return s;
  }
  // Members of `obj` appear once: two parsers must not read two records.
  Status unique_keys(simdjson::dom::object obj, std::string_view path) const {
    std::vector<std::string_view> keys;
    for (auto field : obj) keys.push_back(field.key);
    std::sort(keys.begin(), keys.end());
    if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
      return err(path, "holds a member twice");
    return ok_status();
  }

 private:
  std::string id_;
};

#define CATALOG_TRY(var, expr)            \
  auto var##_r = (expr);                  \
  if (!var##_r) return var##_r.error();   \
  auto var = std::move(var##_r.value())

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

bool valid_certificate_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '.' || id.front() == '-') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}


// One record, read with simdjson (the million-record load is parse-bound);
// the record's bytes are kept as given: its leaf hash and what the site
// and the API serve are these very bytes.
Result<CertificateEntry> make_entry(std::string_view record_json) {
  namespace dom = simdjson::dom;
  record_json = trim(record_json);
  thread_local dom::parser parser;
  dom::element root;
  if (parser.parse(record_json.data(), record_json.size(), true).get(root) != simdjson::SUCCESS)
    return make_error("certificate record is not valid JSON");
  dom::object rec;
  if (root.get(rec) != simdjson::SUCCESS) return make_error("certificate record is not a JSON object");
  RecordReader rd("");
  std::string_view id;
  if (rec["id"].get(id) != simdjson::SUCCESS || id.empty()) return rd.err("id", "is missing or not a string");
  if (!valid_certificate_id(id))
    return make_error("certificate id '" + nlohmann::json(std::string(id)).dump(-1, ' ', true, json::error_handler_t::replace) +
                      "' is not 1-64 letters, digits, '.', '_' or '-'");
  rd.set_id(std::string(id));
  if (auto st = rd.unique_keys(rec, "(record)"); !st) return st.error();
  CertificateEntry e;
  e.id = id;
  CATALOG_TRY(status, rd.str(rec, "status", "status"));
  if (status != "active" && status != "withdrawn") return rd.err("status", "is not \"active\" or \"withdrawn\"");
  e.status = status;
  CATALOG_TRY(vendor, rd.str(rec, "vendor", "vendor"));
  CATALOG_TRY(product, rd.str(rec, "product", "product"));
  CATALOG_TRY(model, rd.str(rec, "model", "model", false));
  CATALOG_TRY(kind, rd.str(rec, "kind", "kind"));
  if (kind != "system" && kind != "component" && kind != "software")
    return rd.err("kind", "is not \"system\", \"component\" or \"software\"");
  CATALOG_TRY(arch, rd.str(rec, "arch", "arch"));
  CATALOG_TRY(issued, rd.str(rec, "issued", "issued"));
  if (!valid_date(issued)) return rd.err("issued", "is not a YYYY-MM-DD date");
  if (vendor.empty()) return rd.err("vendor", "is empty");
  if (product.empty()) return rd.err("product", "is empty");
  e.vendor = vendor;
  e.product = product;
  e.model = model;
  e.kind = kind;
  e.arch = arch;
  e.issued = issued;

  dom::array cls;
  if (rec["classes"].get(cls) != simdjson::SUCCESS) return rd.err("classes", "is missing or not an array");
  for (auto c : cls) {
    std::string_view v;
    if (c.get(v) != simdjson::SUCCESS || v.empty()) return rd.err("classes", "holds a non-string or empty item");
    e.classes.push_back(lower(v));
  }
  dom::object os;
  if (rec["os"].get(os) != simdjson::SUCCESS) return rd.err("os", "is missing or not an object");
  if (auto st = rd.unique_keys(os, "os"); !st) return st.error();
  CATALOG_TRY(os_id, rd.str(os, "os.id", "id"));
  CATALOG_TRY(os_version, rd.str(os, "os.version_id", "version_id"));
  CATALOG_TRY(os_name, rd.str(os, "os.name", "name", false));
  if (os_id.empty()) return rd.err("os.id", "is empty");
  e.os_id = lower(os_id);
  e.os_version = os_version;
  if (dom::element like; os["id_like"].get(like) == simdjson::SUCCESS && !like.is_null()) {
    dom::array items;
    if (like.get(items) != simdjson::SUCCESS) return rd.err("os.id_like", "is not an array");
    for (auto l : items) {
      std::string_view v;
      if (l.get(v) != simdjson::SUCCESS) return rd.err("os.id_like", "holds a non-string item");
      e.os_like.push_back(lower(v));
    }
  }

  std::string_view reason, withdrawn_date;
  if (status == "withdrawn") {
    dom::object w;
    if (rec["withdrawn"].get(w) != simdjson::SUCCESS) return rd.err("withdrawn", "is missing for a withdrawn certificate");
    CATALOG_TRY(r, rd.str(w, "withdrawn.reason", "reason"));
    if (r.empty()) return rd.err("withdrawn.reason", "is empty");
    CATALOG_TRY(d, rd.str(w, "withdrawn.date", "date"));
    if (!valid_date(d)) return rd.err("withdrawn.date", "is not a YYYY-MM-DD date");
    reason = r;
    withdrawn_date = d;
  }

  long long counts[3] = {0, 0, 0};
  if (dom::element s; rec["summary"].get(s) == simdjson::SUCCESS && !s.is_null()) {
    dom::object so;
    if (s.get(so) != simdjson::SUCCESS) return rd.err("summary", "is not an object");
    const char* keys[] = {"pass", "fail", "skip"};
    for (int k = 0; k < 3; ++k) {
      dom::element v;
      if (so[keys[k]].get(v) != simdjson::SUCCESS) continue;
      std::int64_t n = 0;
      if (v.get(n) != simdjson::SUCCESS || n < 0)
        return rd.err("summary", "holds a count that is not a non-negative integer");
      counts[k] = n;
    }
  }

  struct ProductExt {
    std::string_view product, model, basis, date;
  };
  struct OsExt {
    std::string id;
    std::string_view version, basis, date;
  };
  std::vector<ProductExt> ext_products;
  std::vector<OsExt> ext_os;
  std::vector<std::string> ext_names;
  std::string ext_text;
  if (dom::element x; rec["extensions"].get(x) == simdjson::SUCCESS && !x.is_null()) {
    dom::array xs;
    if (x.get(xs) != simdjson::SUCCESS) return rd.err("extensions", "is not an array");
    for (auto item : xs) {
      dom::object ext;
      if (item.get(ext) != simdjson::SUCCESS) return rd.err("extensions", "holds a non-object item");
      CATALOG_TRY(xkind, rd.str(ext, "extensions[].kind", "kind"));
      CATALOG_TRY(basis, rd.str(ext, "extensions[].basis", "basis"));
      if (basis.empty()) return rd.err("extensions[].basis", "is empty: an extension needs its basis");
      CATALOG_TRY(date, rd.str(ext, "extensions[].date", "date", false));
      if (xkind == "product") {
        CATALOG_TRY(xp, rd.str(ext, "extensions[].product", "product"));
        CATALOG_TRY(xm, rd.str(ext, "extensions[].model", "model", false));
        ext_products.push_back({xp, xm, basis, date});
        ext_names.push_back(std::string(xp) + (xm.empty() ? "" : " " + std::string(xm)));
        e.model_text += '\t' + lower(xp) + '\t' + lower(xm);
        ext_text += ' ';
        ext_text += xp;
        ext_text += ' ';
        ext_text += xm;
      } else if (xkind == "os") {
        dom::object xo;
        if (ext["os"].get(xo) != simdjson::SUCCESS) return rd.err("extensions[].os", "is missing or not an object");
        CATALOG_TRY(xid, rd.str(xo, "extensions[].os.id", "id"));
        CATALOG_TRY(xver, rd.str(xo, "extensions[].os.version_id", "version_id"));
        e.os_extended.emplace_back(lower(xid), std::string(xver));
        ext_os.push_back({lower(xid), xver, basis, date});
        ext_text += ' ';
        ext_text += xid;
        ext_text += ' ';
        ext_text += xver;
      } else {
        return rd.err("extensions[].kind", "is not \"product\" or \"os\"");
      }
    }
  }

  e.record = record_json;
  // The list's summary object and the search page's row.
  auto& s = e.summary;
  s.reserve(512);
  s += "{\"id\":";
  append_json_string(s, e.id);
  s += ",\"status\":";
  append_json_string(s, e.status);
  s += ",\"vendor\":";
  append_json_string(s, e.vendor);
  s += ",\"product\":";
  append_json_string(s, e.product);
  s += ",\"model\":";
  append_json_string(s, e.model);
  s += ",\"kind\":";
  append_json_string(s, e.kind);
  s += ",\"classes\":";
  json_strings(s, e.classes);
  s += ",\"arch\":";
  append_json_string(s, e.arch);
  s += ",\"issued\":";
  append_json_string(s, e.issued);
  s += ",\"summary\":{\"pass\":" + std::to_string(counts[0]) + ",\"fail\":" + std::to_string(counts[1]) +
       ",\"skip\":" + std::to_string(counts[2]) + "},\"os\":{\"id\":";
  append_json_string(s, e.os_id);
  s += ",\"version_id\":";
  append_json_string(s, e.os_version);
  s += ",\"name\":";
  append_json_string(s, os_name);
  s += "},\"os_extended\":[";
  for (std::size_t i = 0; i < ext_os.size(); ++i) {
    s += i ? ",{\"id\":" : "{\"id\":";
    append_json_string(s, ext_os[i].id);
    s += ",\"version_id\":";
    append_json_string(s, ext_os[i].version);
    s += ",\"basis\":";
    append_json_string(s, ext_os[i].basis);
    s += ",\"date\":";
    append_json_string(s, ext_os[i].date);
    s += '}';
  }
  s += "],\"os_like\":";
  json_strings(s, e.os_like);
  s += ",\"extended_products\":[";
  for (std::size_t i = 0; i < ext_products.size(); ++i) {
    s += i ? ",{\"product\":" : "{\"product\":";
    append_json_string(s, ext_products[i].product);
    s += ",\"model\":";
    append_json_string(s, ext_products[i].model);
    s += ",\"basis\":";
    append_json_string(s, ext_products[i].basis);
    s += ",\"date\":";
    append_json_string(s, ext_products[i].date);
    s += '}';
  }
  s += ']';
  if (status == "withdrawn") {
    s += ",\"withdrawn\":{\"reason\":";
    append_json_string(s, reason);
    s += ",\"date\":";
    append_json_string(s, withdrawn_date);
    s += '}';
  }
  s += '}';

  auto& r = e.row;
  r.reserve(320);
  r += '[';
  for (std::string_view f : {std::string_view(e.id), std::string_view(e.status), std::string_view(e.vendor),
                             std::string_view(e.product), std::string_view(e.model), std::string_view(e.kind)}) {
    append_json_string(r, f);
    r += ',';
  }
  json_strings(r, e.classes);
  for (std::string_view f : {std::string_view(e.os_id), std::string_view(e.os_version), os_name,
                             std::string_view(e.arch), std::string_view(e.issued)}) {
    r += ',';
    append_json_string(r, f);
  }
  r += ',' + std::to_string(counts[0]) + ',' + std::to_string(counts[1]) + ',' + std::to_string(counts[2]) + ",[";
  for (std::size_t i = 0; i < ext_os.size(); ++i) {
    r += i ? ",[" : "[";
    append_json_string(r, ext_os[i].id);
    r += ',';
    append_json_string(r, ext_os[i].version);
    r += ']';
  }
  r += "],";
  json_strings(r, e.os_like);
  r += ",[";
  for (std::size_t i = 0; i < ext_products.size(); ++i) {
    r += i ? ",[" : "[";
    append_json_string(r, ext_products[i].product);
    r += ',';
    append_json_string(r, ext_products[i].model);
    r += ']';
  }
  r += "],";
  append_json_string(r, reason);
  r += ']';

  e.model_text = lower(e.product) + '\t' + lower(e.model) + e.model_text;
  std::string text;
  text.reserve(256);
  for (std::string_view f : {std::string_view(e.id), std::string_view(e.status), std::string_view(e.vendor),
                             std::string_view(e.product), std::string_view(e.model), std::string_view(e.kind)}) {
    text += f;
    text += ' ';
  }
  text += join(e.classes, " ");
  for (std::string_view f : {std::string_view(e.os_id), std::string_view(e.os_version), os_name,
                             std::string_view(e.arch), std::string_view(e.issued)}) {
    text += ' ';
    text += f;
  }
  text += ext_text;
  e.text = lower(text);
  for (auto& c : e.text)
    if (c == '\n') c = ' ';
  for (auto& c : e.model_text)
    if (c == '\n') c = ' ';

  std::string ext_os_text;
  for (const auto& [xid, xver] : e.os_extended) {
    if (!ext_os_text.empty()) ext_os_text += ';';
    ext_os_text += xid + ' ' + xver;
  }
  auto& c = e.csv;
  c.reserve(256);
  for (std::string_view f : {std::string_view(e.id), std::string_view(e.status), std::string_view(e.vendor),
                             std::string_view(e.product), std::string_view(e.model), std::string_view(e.kind)}) {
    csv_field(c, f);
    c += ',';
  }
  csv_field(c, join(e.classes, ";"));
  for (std::string_view f : {std::string_view(e.os_id), std::string_view(e.os_version), os_name,
                             std::string_view(e.arch), std::string_view(e.issued)}) {
    c += ',';
    csv_field(c, f);
  }
  for (long long n : counts) c += ',' + std::to_string(n);
  c += ',';
  csv_field(c, ext_os_text);
  c += ',';
  csv_field(c, join(e.os_like, ";"));
  c += ',';
  csv_field(c, join(ext_names, ";"));
  c += ',';
  csv_field(c, reason);
  c += ',';
  csv_field(c, withdrawn_date);
  e.leaf = leaf_hash(e.record);
  return e;
}

Result<CertificateEntry> make_entry(const json& record) {
  if (!record.is_object()) return make_error("certificate record is not a JSON object");
  std::string text;
  try {
    text = record.dump();
  } catch (const json::exception& ex) {
    return make_error(std::string("certificate record: ") + ex.what());
  }
  return make_entry(std::string_view(text));
}

// ---------------------------------------------------------------- queries

Result<ListQuery> parse_list_query(const std::multimap<std::string, std::string>& params, bool unlimited) {
  ListQuery q;
  if (unlimited) q.limit = 0;
  std::optional<std::size_t> page, per_page, offset, limit;
  auto number = [](const std::string& name, const std::string& v) -> Result<std::size_t> {
    if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return make_error("parameter '" + name + "' is not a number: '" + v + "'");
    return static_cast<std::size_t>(std::stoul(v));
  };
  std::map<std::string, int> seen;
  for (const auto& [name, value] : params) {
    if (++seen[name] > 1) return make_error("parameter '" + name + "' given more than once");
    if (name == "os") q.os = lower(value);
    else if (name == "os_version") q.os_version = value;
    else if (name == "os_like") {
      if (value != "0" && value != "1") return make_error("parameter 'os_like' must be 0 or 1");
      q.os_like = value == "1";
    } else if (name == "arch") q.arch = value;
    else if (name == "class") q.cls = lower(value);
    else if (name == "vendor") q.vendor = value;
    else if (name == "model") q.model = value;
    else if (name == "q") q.text = value;
    else if (name == "issued_from" || name == "issued_to") {
      if (!value.empty() && !valid_date(value)) return make_error("parameter '" + name + "' is not a YYYY-MM-DD date");
      (name == "issued_from" ? q.issued_from : q.issued_to) = value;
    } else if (name == "status") {
      if (value != "" && value != "active" && value != "withdrawn" && value != "any")
        return make_error("parameter 'status' must be active, withdrawn or any");
      q.status = value == "any" ? "" : value;
    } else if (name == "sort") {
      std::string_view key = value;
      q.descending = !key.empty() && key.front() == '-';
      if (q.descending) key.remove_prefix(1);
      if (key == "issued") q.sort = SortKey::issued;
      else if (key == "id") q.sort = SortKey::id;
      else if (key == "vendor") q.sort = SortKey::vendor;
      else if (key == "product") q.sort = SortKey::product;
      else if (key == "os") q.sort = SortKey::os;
      else return make_error("parameter 'sort' must be issued, id, vendor, product or os (prefix '-' to reverse)");
    } else if (name == "page" || name == "per_page" || name == "offset" || name == "limit") {
      auto n = number(name, value);
      if (!n) return n.error();
      (name == "page" ? page : name == "per_page" ? per_page : name == "offset" ? offset : limit) = *n;
    } else {
      return make_error("unknown parameter '" + name + "'");
    }
  }
  if ((page || per_page) && (offset || limit)) return make_error("use page/per_page or offset/limit, not both");
  std::size_t max_limit = unlimited ? std::numeric_limits<std::size_t>::max() : k_max_limit;
  if (per_page) limit = per_page;
  if (limit) {
    if (*limit == 0 || *limit > max_limit)
      return make_error("page size must be 1.." + std::to_string(k_max_limit));
    q.limit = *limit;
  }
  if (page) {
    if (*page == 0) return make_error("parameter 'page' starts at 1");
    q.offset = (*page - 1) * (q.limit ? q.limit : 0);
  }
  if (offset) q.offset = *offset;
  if (!q.issued_from.empty() && !q.issued_to.empty() && q.issued_from > q.issued_to)
    return make_error("issued_from is after issued_to");
  return q;
}

// ---------------------------------------------------------------- indexes
//
// Filters: one posting list (ascending positions) per filter value, and a
// trigram index per text blob. A query intersects the lists of its filters,
// smallest first, so it costs its smallest list, not the catalog; text
// candidates are then checked by substring, which keeps the semantics of a
// plain scan exactly. Sort orders: positions in key order plus each
// position's rank; a page walks the order testing membership when the
// matching set is dense, or sorts the matching set by rank when it is not.

namespace {

// Filter keys: one byte naming the filter, then the lower-cased value.
//   o: OS tested or extended to      l: ... or named in ID_LIKE (os_like=1)
//   v: VERSION_ID tested or extended to
//   p: (OS, VERSION_ID) tested or extended to, as "<len>:<os><version>"
//   a: arch   d: vendor   c: class   s: status
std::string pair_key(std::string_view os, std::string_view version) {
  return "p" + std::to_string(os.size()) + ':' + std::string(os) + lower(version);
}

std::vector<std::string> filter_keys(const CertificateEntry& e) {
  std::vector<std::string> k;
  auto add = [&](char tag, std::string_view v) {
    if (!v.empty()) k.push_back(tag + lower(v));
  };
  add('o', e.os_id);
  add('l', e.os_id);
  add('v', e.os_version);
  if (!e.os_version.empty()) k.push_back(pair_key(e.os_id, e.os_version));
  for (const auto& [xid, xver] : e.os_extended) {
    add('o', xid);
    add('l', xid);
    add('v', xver);
    if (!xid.empty() && !xver.empty()) k.push_back(pair_key(xid, xver));
  }
  for (const auto& l : e.os_like) add('l', l);
  add('a', e.arch);
  add('d', e.vendor);
  for (const auto& c : e.classes) add('c', c);
  add('s', e.status);
  std::sort(k.begin(), k.end());
  k.erase(std::unique(k.begin(), k.end()), k.end());
  return k;
}

// Words of a query: split on white space, lower-cased.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (index::is_space(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(lower(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(lower(cur));
  return out;
}

}  // namespace

struct Catalog::Filters {
  std::unordered_map<std::string, index::PostingList> by_key;
  index::GramIndex text, model;  // over entry.text and entry.model_text

  void add(std::uint32_t pos, const CertificateEntry& e, std::vector<std::uint32_t>& scratch) {
    for (auto& key : filter_keys(e)) by_key[key].insert(pos);
    index::GramIndex::grams(e.text, scratch);
    text.add(pos, scratch);
    index::GramIndex::grams(e.model_text, scratch);
    model.add(pos, scratch);
  }

  // Moves `pos` from the keys and grams of `old` to those of `now`,
  // touching only the lists that differ.
  void update(std::uint32_t pos, const CertificateEntry& old, const CertificateEntry& now) {
    auto diff = [&](const auto& before, const auto& after, auto&& erase, auto&& insert) {
      std::vector<typename std::decay_t<decltype(before)>::value_type> gone, came;
      std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(gone));
      std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(came));
      erase(gone);
      insert(came);
    };
    diff(filter_keys(old), filter_keys(now),
         [&](const std::vector<std::string>& gone) {
           for (const auto& key : gone)
             if (auto it = by_key.find(key); it != by_key.end()) {
               it->second.erase(pos);
               if (it->second.ids.empty()) by_key.erase(it);
             }
         },
         [&](const std::vector<std::string>& came) {
           for (const auto& key : came) by_key[key].insert(pos);
         });
    for (auto [gi, field] : {std::pair{&text, &CertificateEntry::text}, std::pair{&model, &CertificateEntry::model_text}}) {
      std::vector<std::uint32_t> before, after;
      index::GramIndex::grams(old.*field, before);
      index::GramIndex::grams(now.*field, after);
      diff(before, after, [&](const std::vector<std::uint32_t>& gone) { gi->remove(pos, gone); },
           [&](const std::vector<std::uint32_t>& came) { gi->add(pos, came); });
    }
  }

  std::size_t bytes() const {
    std::size_t b = text.bytes() + model.bytes() + by_key.bucket_count() * sizeof(void*);
    for (const auto& [key, list] : by_key)
      b += key.capacity() + sizeof(key) + list.ids.capacity() * 4 + list.bits.capacity() * 8 + sizeof(list) + 16;
    return b;
  }
};

Catalog::Catalog() = default;
Catalog::~Catalog() = default;

Status Catalog::upsert(const json& record) {
  auto e = make_entry(record);
  if (!e) return e.error();
  return upsert(std::move(e.value()));
}

Status Catalog::upsert(CertificateEntry entry) {
  std::unique_lock lock(mu_);
  return put(std::move(entry));
}

Status Catalog::put(CertificateEntry entry) {
  const std::uint32_t date = date_number(entry.issued);
  std::uint32_t pos;
  bool existed = false;
  CertificateEntry old;
  if (auto it = by_id_.find(entry.id); it != by_id_.end()) {
    pos = static_cast<std::uint32_t>(it->second);
    old = std::move(entries_[pos]);
    entries_[pos] = std::move(entry);
    existed = true;
  } else {
    if (entries_.size() >= std::numeric_limits<std::uint32_t>::max())
      return make_error("certificate " + entry.id + ": the list holds at most 4294967295 certificates");
    pos = static_cast<std::uint32_t>(entries_.size());
    by_id_.emplace(entry.id, pos);
    entries_.push_back(std::move(entry));
    issued_.push_back(0);
  }
  issued_[pos] = date;
  if (filters_) {
    if (existed) {
      filters_->update(pos, old, entries_[pos]);
    } else {
      std::vector<std::uint32_t> scratch;
      filters_->add(pos, entries_[pos], scratch);
    }
  }
  for (std::size_t k = 0; k < sorts_.size(); ++k)
    if (sorts_[k]) place(*sorts_[k], static_cast<SortKey>(k), pos, existed);
  return ok_status();
}

Status Catalog::load_jsonl(std::string_view text, unsigned threads) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  threads = std::max(1u, threads);
  std::vector<std::vector<CertificateEntry>> parts(threads);
  std::vector<std::optional<Error>> errors(threads);
  std::vector<std::size_t> error_line(threads, 0);
  auto work = [&](unsigned t) {
    std::size_t from = lines.size() * t / threads, to = lines.size() * (t + 1) / threads;
    parts[t].reserve(to - from);
    for (std::size_t i = from; i < to; ++i) {
      auto line = lines[i];
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      auto e = make_entry(line);
      if (!e) {
        errors[t] = e.error();
        error_line[t] = i + 1;
        return;
      }
      parts[t].push_back(std::move(e.value()));
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (unsigned t = 0; t < threads; ++t)
    if (errors[t]) return make_error("line " + std::to_string(error_line[t]) + ": " + errors[t]->message);
  std::size_t total = 0;
  for (const auto& part : parts) total += part.size();
  std::unique_lock lock(mu_);
  // A bulk load rebuilds the indexes on first use: cheaper than keeping
  // them current entry by entry.
  filters_.reset();
  for (auto& s : sorts_) s.reset();
  entries_.reserve(entries_.size() + total);
  issued_.reserve(issued_.size() + total);
  by_id_.reserve(by_id_.size() + total);
  for (auto& part : parts)
    for (auto& e : part)
      if (auto st = put(std::move(e)); !st) return st;
  return ok_status();
}

std::size_t Catalog::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

std::optional<std::size_t> Catalog::find(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Catalog::record(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return std::nullopt;
  return entries_[it->second].record;
}

const CertificateEntry& Catalog::entry(std::size_t pos) const {
  std::shared_lock lock(mu_);
  return entries_.at(pos);
}

const Catalog::Filters& Catalog::filters() const {
  std::lock_guard lock(build_mu_);
  if (filters_) return *filters_;
  auto f = std::make_unique<Filters>();
  const auto n = static_cast<std::uint32_t>(entries_.size());
  // Appending ascending positions keeps every list sorted; the text grams
  // (most of the work) are built by a second thread.
  std::thread text_thread([&] {
    std::vector<std::uint32_t> grams;
    for (std::uint32_t i = 0; i < n; ++i) {
      index::GramIndex::grams(entries_[i].text, grams);
      f->text.add(i, grams);
    }
    f->text.shrink();
  });
  std::vector<std::uint32_t> grams;
  for (std::uint32_t i = 0; i < n; ++i) {
    for (auto& key : filter_keys(entries_[i])) f->by_key[key].ids.push_back(i);
    index::GramIndex::grams(entries_[i].model_text, grams);
    f->model.add(i, grams);
  }
  f->model.shrink();
  for (auto& [key, list] : f->by_key) {
    list.ids.shrink_to_fit();
    list.make_dense_if_worth(n);
  }
  text_thread.join();
  filters_ = std::move(f);
  return *filters_;
}

bool Catalog::less(SortKey key, std::uint32_t a, std::uint32_t b) const {
  const auto& x = entries_[a];
  const auto& y = entries_[b];
  switch (key) {
    case SortKey::issued:
      if (issued_[a] != issued_[b]) return issued_[a] < issued_[b];
      break;
    case SortKey::id: break;
    case SortKey::vendor:
      if (int c = x.vendor.compare(y.vendor)) return c < 0;
      if (int c = x.product.compare(y.product)) return c < 0;
      if (int c = x.model.compare(y.model)) return c < 0;
      break;
    case SortKey::product:
      if (int c = x.product.compare(y.product)) return c < 0;
      if (int c = x.model.compare(y.model)) return c < 0;
      break;
    case SortKey::os:
      if (int c = x.os_id.compare(y.os_id)) return c < 0;
      if (int c = x.os_version.compare(y.os_version)) return c < 0;
      break;
  }
  return x.id < y.id;
}

namespace {

// Each position's rank among the distinct values of a string field, in
// byte order (the order of std::string::compare): sorting a million
// entries then compares integers, not strings scattered over the heap.
template <class Proj>
std::vector<std::uint32_t> value_ranks(std::uint32_t n, Proj proj) {
  std::unordered_map<std::string_view, std::uint32_t> code_of;
  std::vector<std::string_view> distinct;
  std::vector<std::uint32_t> code(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    auto [it, added] = code_of.try_emplace(proj(i), static_cast<std::uint32_t>(distinct.size()));
    if (added) distinct.push_back(it->first);
    code[i] = it->second;
  }
  std::vector<std::uint32_t> by_value(distinct.size());
  for (std::uint32_t i = 0; i < by_value.size(); ++i) by_value[i] = i;
  std::sort(by_value.begin(), by_value.end(), [&](std::uint32_t a, std::uint32_t b) { return distinct[a] < distinct[b]; });
  std::vector<std::uint32_t> rank_of(distinct.size());
  for (std::uint32_t r = 0; r < by_value.size(); ++r) rank_of[by_value[r]] = r;
  for (auto& c : code) c = rank_of[c];
  return code;
}

}  // namespace

// Same order as less(): the key's fields as ranks, ties by the id order.
const Catalog::SortOrder& Catalog::sort_order(SortKey key) const {
  std::lock_guard lock(build_mu_);
  auto& slot = sorts_[static_cast<std::size_t>(key)];
  if (slot) return *slot;
  const auto n = static_cast<std::uint32_t>(entries_.size());
  auto& by_id = sorts_[static_cast<std::size_t>(SortKey::id)];
  if (!by_id) {
    auto so = std::make_unique<SortOrder>();
    std::vector<std::string_view> ids(n);
    for (std::uint32_t i = 0; i < n; ++i) ids[i] = entries_[i].id;
    so->order.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) so->order[i] = i;
    std::sort(so->order.begin(), so->order.end(), [&](std::uint32_t a, std::uint32_t b) { return ids[a] < ids[b]; });
    so->rank.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) so->rank[so->order[i]] = i;
    by_id = std::move(so);
  }
  if (slot) return *slot;
  struct Key {
    std::uint64_t hi, lo;
    std::uint32_t pos;
  };
  const auto& id_rank = by_id->rank;
  std::vector<Key> keys(n);
  auto pack = [](std::uint32_t a, std::uint32_t b) { return std::uint64_t{a} << 32 | b; };
  auto field = [&](auto member) { return value_ranks(n, [&](std::uint32_t i) { return std::string_view(entries_[i].*member); }); };
  switch (key) {
    case SortKey::id: break;
    case SortKey::issued:
      for (std::uint32_t i = 0; i < n; ++i) keys[i] = {issued_[i], id_rank[i], i};
      break;
    case SortKey::vendor: {
      auto v = field(&CertificateEntry::vendor), p = field(&CertificateEntry::product), m = field(&CertificateEntry::model);
      for (std::uint32_t i = 0; i < n; ++i) keys[i] = {pack(v[i], p[i]), pack(m[i], id_rank[i]), i};
      break;
    }
    case SortKey::product: {
      auto p = field(&CertificateEntry::product), m = field(&CertificateEntry::model);
      for (std::uint32_t i = 0; i < n; ++i) keys[i] = {pack(p[i], m[i]), id_rank[i], i};
      break;
    }
    case SortKey::os: {
      auto o = field(&CertificateEntry::os_id), v = field(&CertificateEntry::os_version);
      for (std::uint32_t i = 0; i < n; ++i) keys[i] = {pack(o[i], v[i]), id_rank[i], i};
      break;
    }
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo; });
  auto so = std::make_unique<SortOrder>();
  so->order.resize(n);
  so->rank.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    so->order[i] = keys[i].pos;
    so->rank[keys[i].pos] = i;
  }
  slot = std::move(so);
  return *slot;
}

// Puts `pos` where its (new) key belongs: a changed entry moves by a rotate
// of the stretch between its old and new place, a new one is inserted;
// ranks are renumbered over the stretch that moved.
void Catalog::place(SortOrder& so, SortKey key, std::uint32_t pos, bool existed) {
  auto& ord = so.order;
  auto& rank = so.rank;
  auto cmp = [&](std::uint32_t a, std::uint32_t b) { return less(key, a, b); };
  auto renumber = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) rank[ord[i]] = static_cast<std::uint32_t>(i);
  };
  if (!existed) {
    auto at = static_cast<std::size_t>(std::lower_bound(ord.begin(), ord.end(), pos, cmp) - ord.begin());
    ord.insert(ord.begin() + static_cast<std::ptrdiff_t>(at), pos);
    rank.push_back(0);
    renumber(at, ord.size());
    return;
  }
  std::size_t r = rank[pos];
  if (r > 0 && cmp(pos, ord[r - 1])) {
    auto at = static_cast<std::size_t>(std::lower_bound(ord.begin(), ord.begin() + static_cast<std::ptrdiff_t>(r), pos, cmp) -
                                       ord.begin());
    std::rotate(ord.begin() + static_cast<std::ptrdiff_t>(at), ord.begin() + static_cast<std::ptrdiff_t>(r),
                ord.begin() + static_cast<std::ptrdiff_t>(r + 1));
    renumber(at, r + 1);
  } else if (r + 1 < ord.size() && cmp(ord[r + 1], pos)) {
    auto end = static_cast<std::size_t>(
        std::lower_bound(ord.begin() + static_cast<std::ptrdiff_t>(r + 1), ord.end(), pos, cmp) - ord.begin());
    std::rotate(ord.begin() + static_cast<std::ptrdiff_t>(r), ord.begin() + static_cast<std::ptrdiff_t>(r + 1),
                ord.begin() + static_cast<std::ptrdiff_t>(end));
    renumber(r, end);
  }
}

void Catalog::prepare() const {
  std::shared_lock lock(mu_);
  (void)filters();
  for (auto key : {SortKey::issued, SortKey::id, SortKey::vendor, SortKey::product, SortKey::os}) (void)sort_order(key);
}

std::size_t Catalog::index_bytes() const {
  std::shared_lock lock(mu_);
  std::lock_guard build(build_mu_);
  std::size_t b = issued_.capacity() * sizeof(std::uint32_t);
  if (filters_) b += filters_->bytes();
  for (const auto& s : sorts_)
    if (s) b += (s->order.capacity() + s->rank.capacity()) * sizeof(std::uint32_t);
  return b;
}

std::vector<std::size_t> Catalog::ordered(SortKey sort, bool descending) const {
  std::shared_lock lock(mu_);
  const auto& order = sort_order(sort).order;
  std::vector<std::size_t> out(order.begin(), order.end());
  if (descending) std::reverse(out.begin(), out.end());
  return out;
}

ListPage Catalog::query(const ListQuery& q) const {
  std::shared_lock lock(mu_);
  const Filters& f = filters();
  const auto n = static_cast<std::uint32_t>(entries_.size());
  ListPage page;
  page.offset = q.offset;
  page.limit = q.limit;

  // Posting lists every match is in. A value never seen matches nothing.
  std::vector<const index::PostingList*> exact;
  bool nothing = false;
  auto need = [&](const std::string& key) {
    auto it = f.by_key.find(key);
    if (it == f.by_key.end()) nothing = true;
    else exact.push_back(&it->second);
  };
  if (!q.os.empty() && !q.os_version.empty()) need(pair_key(lower(q.os), q.os_version));
  else if (!q.os.empty()) need((q.os_like ? 'l' : 'o') + lower(q.os));
  else if (!q.os_version.empty()) need('v' + lower(q.os_version));
  if (!q.arch.empty()) need('a' + lower(q.arch));
  if (!q.vendor.empty()) need('d' + lower(q.vendor));
  if (!q.cls.empty()) need('c' + lower(q.cls));
  if (!q.status.empty()) need('s' + q.status);

  // Text words: the lists of their grams hold every match (and maybe
  // non-matches, removed by the substring check at the end). A word of
  // fewer than three bytes has no gram and is only checked; one of exactly
  // three is its gram, so its list is exact once intersected.
  struct Word {
    std::string word;
    const std::string CertificateEntry::*field;
    bool exact = false;
  };
  struct GramList {
    const index::Postings* list;
    std::size_t word;
  };
  std::vector<Word> check;
  std::vector<GramList> approx;
  std::vector<std::uint32_t> grams;
  for (auto [text, gi, field] : {std::tuple{&q.text, &f.text, &CertificateEntry::text},
                                 std::tuple{&q.model, &f.model, &CertificateEntry::model_text}}) {
    for (auto& w : words(*text)) {
      index::GramIndex::grams(w, grams);
      for (auto g : grams) {
        const auto* list = gi->find(g);
        if (!list) nothing = true;
        else approx.push_back({list, check.size()});
      }
      check.push_back({std::move(w), field});
    }
  }
  if (nothing) return page;

  // The issued range is a stretch of the issued order.
  const bool dated = !q.issued_from.empty() || !q.issued_to.empty();
  const std::uint32_t from = q.issued_from.empty() ? 0 : date_number(q.issued_from);
  const std::uint32_t to = q.issued_to.empty() ? std::numeric_limits<std::uint32_t>::max() : date_number(q.issued_to);
  std::size_t date_lo = 0, date_hi = n;
  if (dated) {
    const auto& by_issued = sort_order(SortKey::issued).order;
    date_lo = static_cast<std::size_t>(std::partition_point(by_issued.begin(), by_issued.end(),
                                                            [&](std::uint32_t p) { return issued_[p] < from; }) -
                                       by_issued.begin());
    date_hi = static_cast<std::size_t>(std::partition_point(by_issued.begin(), by_issued.end(),
                                                            [&](std::uint32_t p) { return issued_[p] <= to; }) -
                                       by_issued.begin());
    if (date_hi <= date_lo) return page;
  }

  const SortOrder& sorted = sort_order(q.sort);
  const auto& order = sorted.order;
  // Pages out by walking the order and testing membership: about
  // (offset + want) * n / total entries visited.
  auto walk = [&](std::size_t want, auto&& member) {
    page.entries.reserve(want);
    std::size_t seen = 0;
    auto visit = [&](std::uint32_t p) {
      if (!member(p)) return true;
      if (seen++ >= q.offset) page.entries.push_back(p);
      return page.entries.size() < want;
    };
    if (q.descending) {
      for (auto it = order.rbegin(); it != order.rend() && visit(*it);) ++it;
    } else {
      for (auto it = order.begin(); it != order.end() && visit(*it);) ++it;
    }
  };
  auto want_of = [&](std::size_t total) { return q.limit ? std::min(q.limit, total - q.offset) : total - q.offset; };
  auto visits = [&](std::size_t total) {
    return static_cast<double>(q.offset + want_of(total)) * n / static_cast<double>(total);
  };

  // No filter: the order is the answer.
  if (exact.empty() && check.empty() && !dated) {
    page.total = n;
    if (n > q.offset) walk(want_of(n), [](std::uint32_t) { return true; });
    return page;
  }
  const bool only_exact = check.empty() && !dated;
  // One posting list: its size is the total; paged by walking when that is
  // cheaper than sorting its members.
  if (only_exact && exact.size() == 1) {
    const auto& list = *exact[0];
    page.total = list.ids.size();
    if (page.total <= q.offset) return page;
    double cost = visits(page.total) * (list.dense() ? 1 : 20);
    if (cost < 4.0 * static_cast<double>(page.total)) {
      walk(want_of(page.total), [&](std::uint32_t p) { return list.has(p); });
      return page;
    }
  }

  index::Postings cand;
  std::vector<std::uint64_t> bits;  // the matching set as bits, when built
  // Only dense lists: AND their bits (n / 64 words); the total is a popcount.
  if (only_exact && exact.size() > 1 &&
      std::all_of(exact.begin(), exact.end(), [](const auto* l) { return l->dense(); })) {
    bits.assign((n + 63) / 64, 0);
    for (std::size_t w = 0; w < bits.size(); ++w) {
      std::uint64_t v = ~std::uint64_t{0};
      for (const auto* l : exact) v &= w < l->bits.size() ? l->bits[w] : 0;
      bits[w] = v;
      page.total += static_cast<std::size_t>(__builtin_popcountll(v));
    }
    if (page.total <= q.offset) return page;
    if (visits(page.total) < 4.0 * static_cast<double>(page.total)) {
      walk(want_of(page.total), [&](std::uint32_t p) { return bits[p >> 6] >> (p & 63) & 1; });
      return page;
    }
    cand.reserve(page.total);
    for (std::size_t w = 0; w < bits.size(); ++w)
      for (std::uint64_t v = bits[w]; v; v &= v - 1)
        cand.push_back(static_cast<std::uint32_t>(w * 64 + static_cast<unsigned>(__builtin_ctzll(v))));
  } else {
    // Start from the smallest list (or the issued stretch when it is
    // smaller) and narrow it with the others, smallest first: a dense list
    // by bit tests, a sparse one by galloping intersection.
    auto lists = exact;
    std::sort(lists.begin(), lists.end(), [](auto* a, auto* b) { return a->ids.size() < b->ids.size(); });
    std::sort(approx.begin(), approx.end(), [](const auto& a, const auto& b) { return a.list->size() < b.list->size(); });
    bool date_done = false;
    std::size_t smallest = std::min(lists.empty() ? std::size_t(n) : lists[0]->ids.size(),
                                    approx.empty() ? std::size_t(n) : approx[0].list->size());
    std::size_t first_approx = 0;
    if (dated && date_hi - date_lo <= smallest) {
      const auto& by_issued = sort_order(SortKey::issued).order;
      cand.assign(by_issued.begin() + static_cast<std::ptrdiff_t>(date_lo),
                  by_issued.begin() + static_cast<std::ptrdiff_t>(date_hi));
      std::sort(cand.begin(), cand.end());
      date_done = true;
    } else if (!lists.empty() && (approx.empty() || lists[0]->ids.size() <= approx[0].list->size())) {
      cand = lists[0]->ids;
      lists.erase(lists.begin());
    } else if (!approx.empty()) {
      cand = *approx[0].list;
      if (check[approx[0].word].word.size() == 3) check[approx[0].word].exact = true;
      first_approx = 1;
    } else {
      cand.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) cand[i] = i;
    }
    for (const auto* list : lists) {
      if (cand.empty()) break;
      if (list->dense()) std::erase_if(cand, [&](std::uint32_t p) { return !list->has(p); });
      else cand = index::intersect(cand, list->ids);
    }
    for (std::size_t i = first_approx; i < approx.size(); ++i) {
      // Much larger gram lists cost more than checking the few candidates left.
      if (cand.empty() || approx[i].list->size() > cand.size() * 32) break;
      cand = index::intersect(cand, *approx[i].list);
      if (check[approx[i].word].word.size() == 3) check[approx[i].word].exact = true;
    }
    if (dated && !date_done)
      std::erase_if(cand, [&](std::uint32_t p) { return issued_[p] < from || issued_[p] > to; });
    for (const auto& w : check) {
      if (cand.empty() || w.exact) continue;
      const std::boyer_moore_horspool_searcher search(w.word.begin(), w.word.end());
      std::erase_if(cand, [&](std::uint32_t p) {
        const std::string& hay = entries_[p].*(w.field);
        return std::search(hay.begin(), hay.end(), search) == hay.end();
      });
    }
    page.total = cand.size();
    if (page.total <= q.offset) return page;
    if (visits(page.total) < static_cast<double>(page.total)) {
      bits.assign((n + 63) / 64, 0);
      for (auto p : cand) bits[p >> 6] |= std::uint64_t{1} << (p & 63);
      walk(want_of(page.total), [&](std::uint32_t p) { return bits[p >> 6] >> (p & 63) & 1; });
      return page;
    }
  }

  // Sort the matching set by rank, only as far as the page reaches.
  auto want = want_of(page.total);
  const auto& rank = sorted.rank;
  std::vector<std::uint32_t> ranks(cand.size());
  for (std::size_t i = 0; i < cand.size(); ++i) ranks[i] = rank[cand[i]];
  auto end = q.offset + want;
  auto cmp = [&](std::uint32_t a, std::uint32_t b) { return q.descending ? a > b : a < b; };
  if (end < ranks.size()) std::nth_element(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(end), ranks.end(), cmp);
  std::sort(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(end), cmp);
  page.entries.reserve(want);
  for (std::size_t i = q.offset; i < end; ++i) page.entries.push_back(order[ranks[i]]);
  return page;
}

std::string Catalog::export_json(const std::vector<std::size_t>& positions) const {
  std::shared_lock lock(mu_);
  std::string out = "[";
  std::size_t total = 2;
  for (auto p : positions) total += entries_[p].summary.size() + 2;
  out.reserve(total);
  bool first = true;
  for (auto p : positions) {
    if (!first) out += ",\n";
    first = false;
    out += entries_[p].summary;
  }
  out += "]\n";
  return out;
}

std::string Catalog::page_json(const ListPage& page) const {
  std::string out = "{\"total\":" + std::to_string(page.total) + ",\"offset\":" + std::to_string(page.offset) +
                    ",\"limit\":" + std::to_string(page.limit) + ",\"entries\":";
  out += export_json(page.entries);
  out.pop_back();
  out += "}\n";
  return out;
}

std::string Catalog::export_csv(const std::vector<std::size_t>& positions) const {
  std::shared_lock lock(mu_);
  std::string out = std::string(k_csv_header) + "\r\n";
  for (auto p : positions) {
    out += entries_[p].csv;
    out += "\r\n";
  }
  return out;
}

}  // namespace certify::certdb
