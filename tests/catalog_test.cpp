// The public list's indexes (issue 10): every filter, combination, sort,
// page and text query on a generated list gives exactly what a brute-force
// scan of the records gives, also after the indexes were built and then
// changed by upserts (new certificates, withdrawals, changed sort keys,
// extensions), and for the edge cases (no match, offset past the end, words
// shorter than a trigram, non-ASCII text). The reference below reads the
// JSON records and shares no code with the catalog.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "certdb/catalog.hpp"
#include "certdb/generate.hpp"

using namespace certify;
using namespace certify::certdb;
using nlohmann::json;

namespace {

std::string ascii_lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(ascii_lower(w));
  return out;
}

std::string str(const json& j, const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; }

// The list's contract, by brute force over the JSON records. What each
// record offers to a query is read from its JSON once, on upsert.
struct Reference {
  struct Row {
    json record;
    std::string id, status, issued, arch, vendor;  // arch and vendor case-folded
    std::vector<std::string> classes;              // case-folded
    std::vector<std::pair<std::string, std::string>> oses;  // tested, then extensions; case-folded
    std::vector<std::string> like;                 // ID_LIKE, case-folded
    std::vector<std::string> fields, models;       // case-folded texts for q and model
    std::array<std::vector<std::string>, 5> keys;  // sort key per SortKey
  };
  std::map<std::string, json> records;  // by id: an upsert replaces
  std::map<std::string, Row> rows;

  void upsert(const json& r) {
    records[r["id"].get<std::string>()] = r;
    Row w;
    w.record = r;
    w.id = str(r, "id");
    w.status = str(r, "status");
    w.issued = str(r, "issued");
    w.arch = ascii_lower(str(r, "arch"));
    w.vendor = ascii_lower(str(r, "vendor"));
    for (const auto& c : r["classes"]) w.classes.push_back(ascii_lower(c.get<std::string>()));
    w.oses.emplace_back(ascii_lower(str(r["os"], "id")), ascii_lower(str(r["os"], "version_id")));
    for (const auto& l : r["os"].value("id_like", json::array())) w.like.push_back(ascii_lower(l.get<std::string>()));
    w.fields = {str(r, "id"),         str(r, "status"), str(r, "vendor"), str(r, "product"),
                str(r, "model"),      str(r, "kind"),   str(r["os"], "id"), str(r["os"], "version_id"),
                str(r["os"], "name"), str(r, "arch"),   str(r, "issued")};
    for (const auto& c : r["classes"]) w.fields.push_back(c.get<std::string>());
    w.models = {str(r, "product"), str(r, "model")};
    for (const auto& x : r.value("extensions", json::array())) {
      if (x["kind"] == "product") {
        for (const char* k : {"product", "model"}) {
          w.fields.push_back(str(x, k));
          w.models.push_back(str(x, k));
        }
      } else {
        w.fields.push_back(str(x["os"], "id"));
        w.fields.push_back(str(x["os"], "version_id"));
        w.oses.emplace_back(ascii_lower(str(x["os"], "id")), ascii_lower(str(x["os"], "version_id")));
      }
    }
    for (auto& f : w.fields) f = ascii_lower(f);
    for (auto& f : w.models) f = ascii_lower(f);
    w.keys[static_cast<int>(SortKey::issued)] = {str(r, "issued"), str(r, "id")};
    w.keys[static_cast<int>(SortKey::id)] = {str(r, "id")};
    w.keys[static_cast<int>(SortKey::vendor)] = {str(r, "vendor"), str(r, "product"), str(r, "model"), str(r, "id")};
    w.keys[static_cast<int>(SortKey::product)] = {str(r, "product"), str(r, "model"), str(r, "id")};
    w.keys[static_cast<int>(SortKey::os)] = {ascii_lower(str(r["os"], "id")), str(r["os"], "version_id"), str(r, "id")};
    rows[w.id] = std::move(w);
  }

  static bool matches(const Row& r, const ListQuery& q) {
    if (!q.arch.empty() && r.arch != ascii_lower(q.arch)) return false;
    if (!q.vendor.empty() && r.vendor != ascii_lower(q.vendor)) return false;
    if (!q.status.empty() && r.status != q.status) return false;
    if (!q.cls.empty() && std::find(r.classes.begin(), r.classes.end(), ascii_lower(q.cls)) == r.classes.end())
      return false;
    if (!q.issued_from.empty() && r.issued < q.issued_from) return false;
    if (!q.issued_to.empty() && r.issued > q.issued_to) return false;
    if (!q.os.empty() || !q.os_version.empty()) {
      auto os = ascii_lower(q.os), version = ascii_lower(q.os_version);
      bool ok = false;
      for (const auto& [id, v] : r.oses) ok |= (os.empty() || id == os) && (version.empty() || v == version);
      if (q.os_like && !os.empty() && version.empty())
        ok |= std::find(r.like.begin(), r.like.end(), os) != r.like.end();
      if (!ok) return false;
    }
    // Every word a substring of some field (ASCII case folded).
    auto in_some = [](const std::vector<std::string>& hay, const std::string& w) {
      return std::any_of(hay.begin(), hay.end(), [&](const std::string& f) { return f.find(w) != std::string::npos; });
    };
    for (const auto& w : split_words(q.text))
      if (!in_some(r.fields, w)) return false;
    for (const auto& w : split_words(q.model))
      if (!in_some(r.models, w)) return false;
    return true;
  }

  // (total, ids of the page)
  std::pair<std::size_t, std::vector<std::string>> run(const ListQuery& q) const {
    std::vector<const Row*> hits;
    for (const auto& [id, r] : rows)
      if (matches(r, q)) hits.push_back(&r);
    auto k = static_cast<int>(q.sort);
    std::sort(hits.begin(), hits.end(),
              [&](const Row* a, const Row* b) { return q.descending ? b->keys[k] < a->keys[k] : a->keys[k] < b->keys[k]; });
    std::vector<std::string> ids;
    for (std::size_t i = q.offset; i < hits.size() && (q.limit == 0 || i < q.offset + q.limit); ++i)
      ids.push_back(hits[i]->id);
    return {hits.size(), ids};
  }
};

std::vector<std::string> page_ids(const Catalog& c, const ListPage& page) {
  std::vector<std::string> ids;
  for (auto p : page.entries) ids.push_back(c.entry(p).id);
  return ids;
}

std::string describe(const ListQuery& q) {
  std::ostringstream o;
  o << "os=" << q.os << " os_version=" << q.os_version << " os_like=" << q.os_like << " arch=" << q.arch
    << " class=" << q.cls << " vendor=" << q.vendor << " model=[" << q.model << "] q=[" << q.text
    << "] issued=" << q.issued_from << ".." << q.issued_to << " status=" << q.status
    << " sort=" << static_cast<int>(q.sort) << (q.descending ? " desc" : " asc") << " offset=" << q.offset
    << " limit=" << q.limit;
  return o.str();
}

// Random queries drawn from the values of the records (and a few that occur
// nowhere), so that most match something and many combine several filters.
class QueryMaker {
 public:
  QueryMaker(const Reference& ref, std::uint32_t seed) : rng_(seed) {
    for (const auto& [id, r] : ref.records) {
      values_["os"].push_back(str(r["os"], "id"));
      values_["os_version"].push_back(str(r["os"], "version_id"));
      for (const auto& l : r["os"].value("id_like", json::array())) values_["os"].push_back(l.get<std::string>());
      values_["arch"].push_back(str(r, "arch"));
      values_["vendor"].push_back(str(r, "vendor"));
      for (const auto& c : r["classes"]) values_["class"].push_back(c.get<std::string>());
      values_["issued"].push_back(str(r, "issued"));
      for (const char* f : {"id", "vendor", "product", "model", "issued"}) texts_.push_back(str(r, f));
      models_.push_back(str(r, "product"));
      models_.push_back(str(r, "model"));
    }
    for (auto& [k, v] : values_) v.push_back("absent-" + k);
  }

  std::string pick(const std::string& field) {
    const auto& v = values_.at(field);
    return v[rng_() % v.size()];
  }
  // A piece of a field's text, 1..9 bytes, sometimes upper-cased.
  std::string word(const std::vector<std::string>& from) {
    const auto& s = from[rng_() % from.size()];
    if (s.empty()) return "x";
    std::size_t len = 1 + rng_() % std::min<std::size_t>(9, s.size());
    std::size_t at = rng_() % (s.size() - len + 1);
    std::string w = s.substr(at, len);
    if (w.find(' ') != std::string::npos) w = w.substr(0, w.find(' '));
    if (w.empty()) w = s.substr(0, 1);
    if (rng_() % 3 == 0)
      for (auto& c : w)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return w;
  }

  ListQuery make() {
    ListQuery q;
    auto chance = [&](int percent) { return static_cast<int>(rng_() % 100) < percent; };
    if (chance(30)) q.os = pick("os");
    if (chance(20)) q.os_version = pick("os_version");
    if (!q.os.empty() && chance(50)) q.os_like = true;
    if (chance(20)) q.arch = pick("arch");
    if (chance(20)) q.vendor = pick("vendor");
    if (chance(25)) q.cls = pick("class");
    if (chance(15)) q.status = chance(50) ? "withdrawn" : "active";
    if (chance(15)) q.issued_from = pick("issued");
    if (chance(15)) q.issued_to = pick("issued");
    if (chance(25)) q.text = word(texts_) + (chance(40) ? " " + word(texts_) : "");
    if (chance(20)) q.model = word(models_);
    q.sort = static_cast<SortKey>(rng_() % 5);
    q.descending = chance(50);
    q.limit = chance(10) ? 0 : 1 + rng_() % 120;
    q.offset = chance(70) ? 0 : rng_() % 400;
    return q;
  }

 private:
  std::mt19937 rng_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> texts_, models_;
};

std::vector<json> generated(std::size_t n, std::uint64_t seed) {
  std::vector<json> out;
  generate_certificates(n, seed, [&](const json& r) { out.push_back(r); });
  return out;
}

// Checks `count` random queries and the given fixed ones; returns how many
// matched something (so the test can tell that it tested something).
std::size_t check_queries(const Catalog& c, const Reference& ref, std::uint32_t seed, int count,
                          const std::vector<ListQuery>& fixed = {}) {
  QueryMaker maker(ref, seed);
  std::size_t nonempty = 0;
  std::vector<ListQuery> queries = fixed;
  for (int i = 0; i < count; ++i) queries.push_back(maker.make());
  for (const auto& q : queries) {
    auto [total, ids] = ref.run(q);
    auto page = c.query(q);
    INFO(describe(q));
    REQUIRE(page.total == total);
    REQUIRE(page_ids(c, page) == ids);
    if (total) ++nonempty;
  }
  return nonempty;
}

json withdrawn(json r, const std::string& reason) {
  r["status"] = "withdrawn";
  r["withdrawn"] = {{"reason", reason}, {"by", "reviewer"}, {"date", "2026-11-29"}};
  return r;
}

}  // namespace

TEST_CASE("catalog index: random filters, combinations, sorts and pages equal a brute-force scan, before and after changes") {
  auto records = generated(4000, 11);
  // Text beyond ASCII, an upper-case OS id, a short model.
  records[5]["product"] = "Überserver Ω-5";
  records[5]["model"] = "ÜS-5 façade";
  records[6]["os"]["id"] = "Debian";
  records[7]["model"] = "ab";

  Catalog c;
  Reference ref;
  // Half loaded in bulk, the rest added one by one after the indexes exist,
  // so both the bulk build and the incremental path are exercised.
  std::string jsonl;
  for (std::size_t i = 0; i < 2000; ++i) {
    jsonl += records[i].dump() + "\n";
    ref.upsert(records[i]);
  }
  REQUIRE(c.load_jsonl(jsonl).ok());
  CHECK(check_queries(c, ref, 1, 300) > 150);
  for (std::size_t i = 2000; i < records.size(); ++i) {
    REQUIRE(c.upsert(records[i]).ok());
    ref.upsert(records[i]);
  }
  REQUIRE(c.size() == 4000);
  CHECK(check_queries(c, ref, 2, 600) > 300);

  // Changes after the indexes were built: withdrawals, moved sort keys
  // (vendor, product, issued, OS), added extensions, a renamed model.
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i) {
    json r = ref.records.at(records[rng() % records.size()]["id"].get<std::string>());
    switch (i % 6) {
      case 0: r = withdrawn(r, "regression " + std::to_string(i)); break;
      case 1: r["vendor"] = std::string("Zephyr ") + static_cast<char>('A' + i % 26); break;
      case 2: r["product"] = "Aardvark " + std::to_string(i); break;
      case 3: r["issued"] = "20" + std::to_string(10 + i % 17) + "-0" + std::to_string(1 + i % 9) + "-15"; break;
      case 4:
        r["os"] = {{"id", "almalinux"}, {"version_id", "9." + std::to_string(i % 5)}, {"name", "AlmaLinux"},
                   {"id_like", {"rhel", "centos"}}};
        break;
      case 5:
        r["extensions"].push_back({{"kind", "os"}, {"os", {{"id", "debian"}, {"version_id", "13"}}},
                                   {"basis", "same driver"}, {"by", "reviewer"}, {"date", "2026-11-29"}});
        r["extensions"].push_back({{"kind", "product"}, {"product", "Quokka " + std::to_string(i)},
                                   {"model", "QK-" + std::to_string(i)}, {"basis", "same board"},
                                   {"by", "reviewer"}, {"date", "2026-11-29"}});
        break;
    }
    REQUIRE(c.upsert(r).ok());
    ref.upsert(r);
  }
  REQUIRE(c.size() == 4000);
  std::vector<ListQuery> fixed(8);
  fixed[0].vendor = "zephyr b";
  fixed[1].model = "aardvark";
  fixed[1].sort = SortKey::product;
  fixed[2].os = "almalinux";
  fixed[2].os_version = "9.3";
  fixed[3].os = "rhel";
  fixed[3].os_like = true;
  fixed[3].sort = SortKey::os;
  fixed[4].text = "quokka qk-1";
  fixed[5].text = "withdrawn";
  fixed[5].status = "withdrawn";
  fixed[6].issued_from = "2010-01-01";
  fixed[6].issued_to = "2014-12-31";
  fixed[7].os = "debian";
  fixed[7].os_version = "13";
  fixed[7].sort = SortKey::vendor;
  fixed[7].descending = true;
  CHECK(check_queries(c, ref, 3, 600, fixed) > 300);
  for (const auto& q : fixed) {
    INFO(describe(q));
    CHECK(c.query(q).total > 0);
  }
}

TEST_CASE("catalog index: edge cases — no match, offset past the end, short words, non-ASCII text") {
  auto records = generated(1500, 3);
  records[0]["product"] = "Überserver Ω-5";
  records[0]["model"] = "ÜS-5";
  records[1]["model"] = "façade 9";
  Catalog c;
  Reference ref;
  for (const auto& r : records) {
    REQUIRE(c.upsert(r).ok());
    ref.upsert(r);
  }
  auto same = [&](ListQuery q) {
    auto [total, ids] = ref.run(q);
    auto page = c.query(q);
    INFO(describe(q));
    CHECK(page.total == total);
    CHECK(page_ids(c, page) == ids);
    return total;
  };
  ListQuery q;
  q.text = "zzzz-nothing";
  CHECK(same(q) == 0);
  q = {};
  q.cls = "no-such-class";
  CHECK(same(q) == 0);
  q = {};
  q.vendor = "contoso";
  q.os = "no-such-os";
  CHECK(same(q) == 0);
  q = {};
  q.issued_from = "2099-01-01";
  CHECK(same(q) == 0);
  q = {};
  q.issued_from = "2024-01-01";
  q.issued_to = "2023-01-01";  // the parser refuses this; the catalog answers nothing
  CHECK(same(q) == 0);

  // Offsets at and past the end, with and without filters.
  for (std::size_t offset : {std::size_t{1499}, std::size_t{1500}, std::size_t{1501}, std::size_t{100000}}) {
    q = {};
    q.offset = offset;
    same(q);
    auto page = c.query(q);
    CHECK(page.total == 1500);
    CHECK(page.entries.size() == (offset < 1500 ? 1500 - offset : 0));
    q.vendor = "contoso";
    same(q);
  }
  q = {};
  q.status = "active";
  q.offset = 1400;
  q.limit = 1000;
  same(q);

  // Words shorter than a trigram are checked on every candidate.
  for (const char* w : {"l", "1", "-", "ab", "x8", "Ü", "ç"}) {
    q = {};
    q.text = w;
    CHECK(same(q) > 0);
    q = {};
    q.model = w;
    same(q);
  }
  q = {};
  q.text = "a b c";
  CHECK(same(q) > 0);

  // Non-ASCII bytes match as bytes; ASCII letters fold case, others do not.
  q = {};
  q.text = "ÜBERSERVER";  // 'Ü' stays, "BERSERVER" folds
  CHECK(same(q) == 1);
  q.text = "überserver";  // 'ü' is not 'Ü'
  CHECK(same(q) == 0);
  q = {};
  q.model = "FAÇADE";  // 'Ç' is not 'ç'
  CHECK(same(q) == 0);
  q.model = "FAçADE";
  CHECK(same(q) == 1);
  q = {};
  q.text = "Ω-5";
  CHECK(same(q) == 1);
}

TEST_CASE("catalog index: a withdrawal moves a certificate between status lists at once; upserts keep the sort orders") {
  auto records = generated(800, 9);
  Catalog c;
  Reference ref;
  for (const auto& r : records) {
    REQUIRE(c.upsert(r).ok());
    ref.upsert(r);
  }
  c.prepare();
  ListQuery active, gone;
  active.status = "active";
  gone.status = "withdrawn";
  auto a0 = c.query(active).total, g0 = c.query(gone).total;
  REQUIRE(a0 + g0 == 800);
  std::size_t changed = 0;
  for (const auto& r : records) {
    if (r["status"] != "active") continue;
    auto w = withdrawn(r, "bench");
    REQUIRE(c.upsert(w).ok());
    ref.upsert(w);
    if (++changed == 25) break;
  }
  CHECK(c.query(active).total == a0 - 25);
  CHECK(c.query(gone).total == g0 + 25);
  // Every certificate renamed so that each moves in the product and vendor
  // orders; every page of every order still equals the reference.
  for (std::size_t i = 0; i < records.size(); i += 3) {
    json r = ref.records.at(records[i]["id"].get<std::string>());
    r["product"] = "P" + std::to_string(records.size() - i);
    r["vendor"] = i % 2 ? "Aa" : "Zz";
    REQUIRE(c.upsert(r).ok());
    ref.upsert(r);
  }
  for (auto key : {SortKey::issued, SortKey::id, SortKey::vendor, SortKey::product, SortKey::os})
    for (bool desc : {false, true}) {
      ListQuery q;
      q.sort = key;
      q.descending = desc;
      q.limit = 0;
      auto [total, ids] = ref.run(q);
      CHECK(page_ids(c, c.query(q)) == ids);
      std::vector<std::string> ordered;
      for (auto p : c.ordered(key, desc)) ordered.push_back(c.entry(p).id);
      CHECK(ordered == ids);
    }
}
