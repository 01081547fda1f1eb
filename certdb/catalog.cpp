// Compatibility list index: record validation, compact keys, text blobs
// searched with memmem, sort orders built on first use and kept until the
// next change.
#include "certdb/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <thread>

#include <simdjson.h>

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

// A JSON string literal, escaped as nlohmann::json dumps it.
void json_string(std::string& out, std::string_view s) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(k_hex[c >> 4]);
          out.push_back(k_hex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void json_strings(std::string& out, const std::vector<std::string>& v) {
  out.push_back('[');
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(',');
    json_string(out, v[i]);
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
  json_string(s, e.id);
  s += ",\"status\":";
  json_string(s, e.status);
  s += ",\"vendor\":";
  json_string(s, e.vendor);
  s += ",\"product\":";
  json_string(s, e.product);
  s += ",\"model\":";
  json_string(s, e.model);
  s += ",\"kind\":";
  json_string(s, e.kind);
  s += ",\"classes\":";
  json_strings(s, e.classes);
  s += ",\"arch\":";
  json_string(s, e.arch);
  s += ",\"issued\":";
  json_string(s, e.issued);
  s += ",\"summary\":{\"pass\":" + std::to_string(counts[0]) + ",\"fail\":" + std::to_string(counts[1]) +
       ",\"skip\":" + std::to_string(counts[2]) + "},\"os\":{\"id\":";
  json_string(s, e.os_id);
  s += ",\"version_id\":";
  json_string(s, e.os_version);
  s += ",\"name\":";
  json_string(s, os_name);
  s += "},\"os_extended\":[";
  for (std::size_t i = 0; i < ext_os.size(); ++i) {
    s += i ? ",{\"id\":" : "{\"id\":";
    json_string(s, ext_os[i].id);
    s += ",\"version_id\":";
    json_string(s, ext_os[i].version);
    s += ",\"basis\":";
    json_string(s, ext_os[i].basis);
    s += ",\"date\":";
    json_string(s, ext_os[i].date);
    s += '}';
  }
  s += "],\"os_like\":";
  json_strings(s, e.os_like);
  s += ",\"extended_products\":[";
  for (std::size_t i = 0; i < ext_products.size(); ++i) {
    s += i ? ",{\"product\":" : "{\"product\":";
    json_string(s, ext_products[i].product);
    s += ",\"model\":";
    json_string(s, ext_products[i].model);
    s += ",\"basis\":";
    json_string(s, ext_products[i].basis);
    s += ",\"date\":";
    json_string(s, ext_products[i].date);
    s += '}';
  }
  s += ']';
  if (status == "withdrawn") {
    s += ",\"withdrawn\":{\"reason\":";
    json_string(s, reason);
    s += ",\"date\":";
    json_string(s, withdrawn_date);
    s += '}';
  }
  s += '}';

  auto& r = e.row;
  r.reserve(320);
  r += '[';
  for (std::string_view f : {std::string_view(e.id), std::string_view(e.status), std::string_view(e.vendor),
                             std::string_view(e.product), std::string_view(e.model), std::string_view(e.kind)}) {
    json_string(r, f);
    r += ',';
  }
  json_strings(r, e.classes);
  for (std::string_view f : {std::string_view(e.os_id), std::string_view(e.os_version), os_name,
                             std::string_view(e.arch), std::string_view(e.issued)}) {
    r += ',';
    json_string(r, f);
  }
  r += ',' + std::to_string(counts[0]) + ',' + std::to_string(counts[1]) + ',' + std::to_string(counts[2]) + ",[";
  for (std::size_t i = 0; i < ext_os.size(); ++i) {
    r += i ? ",[" : "[";
    json_string(r, ext_os[i].id);
    r += ',';
    json_string(r, ext_os[i].version);
    r += ']';
  }
  r += "],";
  json_strings(r, e.os_like);
  r += ",[";
  for (std::size_t i = 0; i < ext_products.size(); ++i) {
    r += i ? ",[" : "[";
    json_string(r, ext_products[i].product);
    r += ',';
    json_string(r, ext_products[i].model);
    r += ']';
  }
  r += "],";
  json_string(r, reason);
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

struct Catalog::Index {
  std::string text, model;
  std::vector<std::size_t> text_off, model_off;  // size n+1
  // Extra OS keys per entry: extended (os, version) and ID_LIKE (os, 0).
  std::vector<std::uint32_t> extra_off;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> extra;
  std::vector<std::uint8_t> extra_is_like;
  mutable std::mutex sort_mu;
  mutable std::map<SortKey, SortOrder> sorts;  // built on first use; never changed after
};

std::uint32_t Catalog::intern(std::string_view s) {
  auto key = lower(s);
  auto [it, inserted] = interned_.try_emplace(key, static_cast<std::uint32_t>(interned_.size() + 1));
  return it->second;
}

std::optional<std::uint32_t> Catalog::lookup(std::string_view s) const {
  auto it = interned_.find(lower(s));
  if (it == interned_.end()) return std::nullopt;
  return it->second;
}

Status Catalog::upsert(const json& record) {
  auto e = make_entry(record);
  if (!e) return e.error();
  return upsert(std::move(e.value()));
}

Status Catalog::upsert(CertificateEntry entry) {
  std::unique_lock lock(mu_);
  for (const auto& c : entry.classes)
    if (!class_bits_.count(c)) {
      if (class_bits_.size() >= 64) return make_error("certificate " + entry.id + ": more than 64 device classes in the list");
      class_bits_.emplace(c, static_cast<unsigned>(class_bits_.size()));
    }
  std::size_t pos;
  if (auto it = by_id_.find(entry.id); it != by_id_.end()) {
    pos = it->second;
    entries_[pos] = std::move(entry);
  } else {
    pos = entries_.size();
    by_id_.emplace(entry.id, pos);
    entries_.push_back(std::move(entry));
    keys_.emplace_back();
  }
  set_keys(pos);
  std::lock_guard ilock(index_mu_);
  index_.reset();
  return ok_status();
}

void Catalog::set_keys(std::size_t pos) {
  const auto& e = entries_[pos];
  Keys k;
  for (const auto& c : e.classes) k.classes |= std::uint64_t{1} << class_bits_.at(c);
  k.os = intern(e.os_id);
  k.os_version = intern(e.os_version);
  k.arch = intern(e.arch);
  k.vendor = intern(e.vendor);
  k.issued = date_number(e.issued);
  k.status = e.status == "withdrawn" ? 1 : 0;
  for (const auto& [xid, xver] : e.os_extended) {
    intern(xid);
    intern(xver);
  }
  for (const auto& l : e.os_like) intern(l);
  keys_[pos] = k;
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
  {
    std::unique_lock lock(mu_);
    entries_.reserve(entries_.size() + total);
    keys_.reserve(keys_.size() + total);
    by_id_.reserve(by_id_.size() + total);
  }
  for (auto& part : parts)
    for (auto& e : part) {
      auto st = upsert(std::move(e));
      if (!st) return st;
    }
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

std::shared_ptr<const Catalog::Index> Catalog::index() const {
  std::lock_guard lock(index_mu_);
  if (index_) return index_;
  auto ix = std::make_shared<Index>();
  std::size_t n = entries_.size();
  ix->text_off.reserve(n + 1);
  ix->model_off.reserve(n + 1);
  ix->extra_off.reserve(n + 1);
  for (const auto& e : entries_) {
    ix->text_off.push_back(ix->text.size());
    ix->text += e.text;
    ix->text += '\n';
    ix->model_off.push_back(ix->model.size());
    ix->model += e.model_text;
    ix->model += '\n';
    ix->extra_off.push_back(static_cast<std::uint32_t>(ix->extra.size()));
    for (const auto& [xid, xver] : e.os_extended) {
      ix->extra.emplace_back(interned_.at(lower(xid)), interned_.at(lower(xver)));
      ix->extra_is_like.push_back(0);
    }
    for (const auto& l : e.os_like) {
      ix->extra.emplace_back(interned_.at(lower(l)), 0);
      ix->extra_is_like.push_back(1);
    }
  }
  ix->text_off.push_back(ix->text.size());
  ix->model_off.push_back(ix->model.size());
  ix->extra_off.push_back(static_cast<std::uint32_t>(ix->extra.size()));
  index_ = ix;
  return ix;
}

const Catalog::SortOrder& Catalog::sort_order(const Index& ix, SortKey key) const {
  std::lock_guard lock(ix.sort_mu);
  auto it = ix.sorts.find(key);
  if (it != ix.sorts.end()) return it->second;
  std::vector<std::size_t> order(entries_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto by = [&](auto proj) {
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      auto pa = proj(a), pb = proj(b);
      if (pa != pb) return pa < pb;
      return entries_[a].id < entries_[b].id;
    });
  };
  switch (key) {
    case SortKey::issued: by([&](std::size_t i) { return keys_[i].issued; }); break;
    case SortKey::id: by([&](std::size_t) { return 0; }); break;
    case SortKey::vendor:
      by([&](std::size_t i) { return std::tie(entries_[i].vendor, entries_[i].product, entries_[i].model); });
      break;
    case SortKey::product:
      by([&](std::size_t i) { return std::tie(entries_[i].product, entries_[i].model); });
      break;
    case SortKey::os:
      by([&](std::size_t i) { return std::tie(entries_[i].os_id, entries_[i].os_version); });
      break;
  }
  std::vector<std::uint32_t> rank(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) rank[order[i]] = static_cast<std::uint32_t>(i);
  return ix.sorts.emplace(key, SortOrder{std::move(order), std::move(rank)}).first->second;
}

std::vector<std::size_t> Catalog::ordered(SortKey sort, bool descending) const {
  std::shared_lock lock(mu_);
  auto ix = index();
  auto order = sort_order(*ix, sort).order;
  if (descending) std::reverse(order.begin(), order.end());
  return order;
}

namespace {

// Entries (in `cand`, ascending) whose slice of the blob holds `word`. A
// word that leaves few candidates is checked per entry; otherwise one
// memmem pass over the whole blob, walking the entry offsets alongside.
std::vector<std::uint32_t> filter_word(const std::string& blob, const std::vector<std::size_t>& off,
                                       std::string_view word, const std::vector<std::uint32_t>& cand) {
  std::vector<std::uint32_t> out;
  const char* base = blob.data();
  const std::size_t n = off.size() - 1;
  if (cand.size() * 8 < n) {
    for (auto i : cand)
      if (::memmem(base + off[i], off[i + 1] - off[i], word.data(), word.size())) out.push_back(i);
    return out;
  }
  std::size_t pos = 0, c = 0, i = 0;
  while (pos < blob.size() && c < cand.size()) {
    // Skip to the next candidate's slice.
    if (pos < off[cand[c]]) pos = off[cand[c]];
    const void* p = ::memmem(base + pos, blob.size() - pos, word.data(), word.size());
    if (!p) break;
    std::size_t at = static_cast<std::size_t>(static_cast<const char*>(p) - base);
    if (i < cand[c]) i = cand[c];
    while (off[i + 1] <= at) ++i;
    while (c < cand.size() && cand[c] < i) ++c;
    if (c < cand.size() && cand[c] == i) {
      out.push_back(static_cast<std::uint32_t>(i));
      ++c;
    }
    pos = off[i + 1];
  }
  return out;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
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

ListPage Catalog::query(const ListQuery& q) const {
  std::shared_lock lock(mu_);
  auto ix = index();
  const std::size_t n = entries_.size();
  ListPage page;
  page.offset = q.offset;
  page.limit = q.limit;

  // Exact filters first (compact keys, one sequential pass); a value never
  // seen matches nothing.
  auto want = [&](const std::string& v) -> std::optional<std::uint32_t> {
    if (v.empty()) return std::uint32_t{0};
    auto id = lookup(v);
    return id ? id : std::optional<std::uint32_t>(std::numeric_limits<std::uint32_t>::max());
  };
  auto os = want(q.os), os_version = want(q.os_version), arch = want(q.arch), vendor = want(q.vendor);
  std::uint64_t cls_mask = 0;
  if (!q.cls.empty()) {
    auto it = class_bits_.find(q.cls);
    if (it == class_bits_.end()) return page;
    cls_mask = std::uint64_t{1} << it->second;
  }
  std::uint32_t from = q.issued_from.empty() ? 0 : date_number(q.issued_from);
  std::uint32_t to = q.issued_to.empty() ? std::numeric_limits<std::uint32_t>::max() : date_number(q.issued_to);
  int status = q.status.empty() ? -1 : q.status == "withdrawn" ? 1 : 0;

  std::vector<std::uint32_t> cand;
  cand.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Keys& k = keys_[i];
    if (*arch && k.arch != *arch) continue;
    if (*vendor && k.vendor != *vendor) continue;
    if (cls_mask && !(k.classes & cls_mask)) continue;
    if (k.issued < from || k.issued > to) continue;
    if (status >= 0 && k.status != status) continue;
    if (*os || *os_version) {
      bool ok = (!*os || k.os == *os) && (!*os_version || k.os_version == *os_version);
      for (auto x = ix->extra_off[i]; !ok && x < ix->extra_off[i + 1]; ++x) {
        const auto& [xo, xv] = ix->extra[x];
        if (ix->extra_is_like[x])
          ok = q.os_like && *os && q.os_version.empty() && xo == *os;
        else
          ok = (!*os || xo == *os) && (!*os_version || xv == *os_version);
      }
      if (!ok) continue;
    }
    cand.push_back(static_cast<std::uint32_t>(i));
  }
  // Then every word of the free text and of the model filter.
  for (const auto& w : words(q.text)) {
    if (cand.empty()) break;
    cand = filter_word(ix->text, ix->text_off, w, cand);
  }
  for (const auto& w : words(q.model)) {
    if (cand.empty()) break;
    cand = filter_word(ix->model, ix->model_off, w, cand);
  }
  page.total = cand.size();
  if (page.total <= q.offset) return page;
  std::size_t want_count = q.limit ? std::min(q.limit, page.total - q.offset) : page.total - q.offset;
  page.entries.reserve(want_count);

  // Page out in sort order: few matches are sorted directly, many are
  // picked by walking the precomputed order.
  const auto& sorted = sort_order(*ix, q.sort);
  const auto& order = sorted.order;
  if (cand.size() * 16 < n) {
    std::vector<std::uint32_t> rank_sorted(cand.begin(), cand.end());
    const auto& rank = sorted.rank;
    std::sort(rank_sorted.begin(), rank_sorted.end(),
              [&](std::uint32_t a, std::uint32_t b) { return q.descending ? rank[a] > rank[b] : rank[a] < rank[b]; });
    for (std::size_t i = q.offset; i < q.offset + want_count; ++i) page.entries.push_back(rank_sorted[i]);
    return page;
  }
  std::vector<std::uint8_t> match(n, 0);
  for (auto i : cand) match[i] = 1;
  std::size_t seen = 0;
  auto visit = [&](std::size_t i) {
    if (!match[i]) return true;
    if (seen++ >= q.offset) page.entries.push_back(i);
    return page.entries.size() < want_count;
  };
  if (q.descending) {
    for (auto it = order.rbegin(); it != order.rend() && visit(*it);) ++it;
  } else {
    for (auto it = order.begin(); it != order.end() && visit(*it);) ++it;
  }
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
