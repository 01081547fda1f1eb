// Public list (issue 10): Merkle tree against RFC 6962 vectors and a
// reference implementation, catalog filters/sorting/paging against a
// brute-force filter over the records, exports, signed static site and
// inclusion proofs, incremental republish, and the search page in headless
// Chromium.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "certdb/catalog.hpp"
#include "certdb/generate.hpp"
#include "certdb/list_actions.hpp"
#include "certdb/list_api.hpp"
#include "certdb/merkle.hpp"
#include "certdb/publish.hpp"
#include "core/files.hpp"
#include "tests/testutil.hpp"

using namespace certify;
using namespace certify::certdb;
using certify::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<json> generated(std::size_t n, std::uint64_t seed = 7) {
  std::vector<json> out;
  generate_certificates(n, seed, [&](const json& r) { out.push_back(r); });
  return out;
}

void load(Catalog& c, const std::vector<json>& records) {
  for (const auto& r : records) REQUIRE(c.upsert(r).ok());
}

// RFC 6962 section 2.1 MTH, written from the definition (split at the
// largest power of two below n), independent of MerkleTree.
Hash reference_root(const std::vector<Hash>& leaves, std::size_t from, std::size_t to) {
  std::size_t n = to - from;
  if (n == 1) return leaves[from];
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return node_hash(reference_root(leaves, from, from + k), reference_root(leaves, from + k, to));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The filter semantics of ListQuery, by brute force over the JSON records.
bool reference_match(const json& r, const ListQuery& q) {
  auto contains = [](const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; };
  if (!q.arch.empty() && r["arch"] != q.arch) return false;
  if (!q.vendor.empty() && lower(r["vendor"]) != lower(q.vendor)) return false;
  if (!q.cls.empty()) {
    bool any = false;
    for (const auto& c : r["classes"]) any |= c == q.cls;
    if (!any) return false;
  }
  if (!q.status.empty() && r["status"] != q.status) return false;
  if (!q.issued_from.empty() && r["issued"].get<std::string>() < q.issued_from) return false;
  if (!q.issued_to.empty() && r["issued"].get<std::string>() > q.issued_to) return false;
  if (!q.os.empty() || !q.os_version.empty()) {
    bool ok = (q.os.empty() || r["os"]["id"] == q.os) && (q.os_version.empty() || r["os"]["version_id"] == q.os_version);
    for (const auto& x : r["extensions"])
      if (x["kind"] == "os")
        ok |= (q.os.empty() || x["os"]["id"] == q.os) && (q.os_version.empty() || x["os"]["version_id"] == q.os_version);
    if (q.os_like && !q.os.empty() && q.os_version.empty())
      for (const auto& l : r["os"]["id_like"]) ok |= l == q.os;
    if (!ok) return false;
  }
  std::string models = lower(r["product"].get<std::string>() + "\t" + r["model"].get<std::string>());
  for (const auto& x : r["extensions"])
    if (x["kind"] == "product") models += "\t" + lower(x["product"].get<std::string>() + "\t" + x["model"].get<std::string>());
  std::istringstream mw(q.model);
  for (std::string w; mw >> w;)
    if (!contains(models, lower(w))) return false;
  std::string all = lower(r["id"].get<std::string>() + " " + r["status"].get<std::string>() + " " +
                          r["vendor"].get<std::string>() + " " + r["product"].get<std::string>() + " " +
                          r["model"].get<std::string>() + " " + r["kind"].get<std::string>() + " " +
                          r["os"]["id"].get<std::string>() + " " + r["os"]["version_id"].get<std::string>() + " " +
                          r["os"]["name"].get<std::string>() + " " + r["arch"].get<std::string>() + " " +
                          r["issued"].get<std::string>());
  for (const auto& c : r["classes"]) all += " " + c.get<std::string>();
  for (const auto& x : r["extensions"])
    all += x["kind"] == "product" ? " " + lower(x["product"].get<std::string>() + " " + x["model"].get<std::string>())
                                  : " " + lower(x["os"]["id"].get<std::string>() + " " + x["os"]["version_id"].get<std::string>());
  std::istringstream tw(q.text);
  for (std::string w; tw >> w;)
    if (!contains(all, lower(w))) return false;
  return true;
}

std::vector<std::string> ids_of(const Catalog& c, const ListPage& page) {
  std::vector<std::string> ids;
  for (auto p : page.entries) ids.push_back(c.entry(p).id);
  return ids;
}

std::string make_key(const fs::path& dir, const std::string& name = "key.pem") {
  auto r = test::run_command({"openssl", "genpkey", "-algorithm", "ed25519", "-out", (dir / name).string()});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return (dir / name).string();
}

std::vector<std::string> run_checked(const std::vector<std::string>& argv) {
  auto r = test::run_command(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return {r.out, r.err};
}

}  // namespace

TEST_CASE("merkle: RFC 6962 test vectors and the definition") {
  // Inputs and roots of the Certificate Transparency reference tests.
  std::vector<std::string> inputs = {"", std::string(1, '\0'), "\x10", "\x20\x21", "\x30\x31", "\x40\x41\x42\x43",
                                     "\x50\x51\x52\x53\x54\x55\x56\x57",
                                     "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
  std::vector<std::string> roots = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                                    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                                    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                                    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                                    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                                    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                                    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  for (std::size_t n = 1; n <= inputs.size(); ++n) {
    std::vector<Hash> leaves;
    for (std::size_t i = 0; i < n; ++i) leaves.push_back(leaf_hash(inputs[i]));
    CHECK(to_hex(MerkleTree(leaves).root()) == roots[n - 1]);
  }
  CHECK(to_hex(MerkleTree({}).root()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hash_from_hex(roots[0]).has_value());
  CHECK_FALSE(hash_from_hex("zz").has_value());
  CHECK_FALSE(hash_from_hex(std::string(64, 'g')).has_value());
}

TEST_CASE("merkle: every inclusion proof verifies, and fails for a changed leaf, index, size or path") {
  for (std::size_t n = 1; n <= 70; ++n) {
    std::vector<Hash> leaves;
    for (std::size_t i = 0; i < n; ++i) leaves.push_back(leaf_hash("leaf " + std::to_string(i)));
    MerkleTree tree(leaves);
    REQUIRE(tree.root() == reference_root(leaves, 0, n));
    for (std::size_t i = 0; i < n; ++i) {
      auto path = tree.inclusion_proof(i);
      INFO("n=" << n << " i=" << i);
      CHECK(verify_inclusion(leaves[i], i, n, path, tree.root()));
      CHECK_FALSE(verify_inclusion(leaf_hash("changed"), i, n, path, tree.root()));
      if (n > 1) {
        CHECK_FALSE(verify_inclusion(leaves[i], (i + 1) % n, n, path, tree.root()));
        // (The tree size alone may not change the path's shape; it is signed with the root.)
        CHECK_FALSE(verify_inclusion(leaves[i], i, n, path, MerkleTree({leaves[0], leaves[0]}).root()));
        auto shorter = path;
        shorter.pop_back();
        CHECK_FALSE(verify_inclusion(leaves[i], i, n, shorter, tree.root()));
        auto flipped = path;
        flipped[0][0] ^= 1;
        CHECK_FALSE(verify_inclusion(leaves[i], i, n, flipped, tree.root()));
      }
      CHECK_FALSE(verify_inclusion(leaves[i], n, n, path, tree.root()));
      for (std::size_t level : {0u, 1u, 2u, 3u, 9u}) {
        auto split = tree.split_proof(i, level);
        auto joined = split.lower;
        joined.insert(joined.end(), split.upper.begin(), split.upper.end());
        CHECK(joined == path);
        // The upper part depends on the block only.
        std::size_t first = (i >> level) << level;
        CHECK(tree.split_proof(first, level).upper == split.upper);
      }
    }
  }
}

TEST_CASE("catalog: filters, sorting and pagination match a brute-force filter over the records") {
  auto records = generated(3000);
  Catalog c;
  load(c, records);
  REQUIRE(c.size() == 3000);

  std::vector<ListQuery> queries;
  auto add = [&](std::function<void(ListQuery&)> f) {
    ListQuery q;
    q.limit = k_max_limit;
    f(q);
    queries.push_back(q);
  };
  add([](ListQuery&) {});
  add([](ListQuery& q) { q.os = "debian"; });
  add([](ListQuery& q) { q.os = "ubuntu"; q.os_version = "24.04"; });
  add([](ListQuery& q) { q.os_version = "9.4"; });
  add([](ListQuery& q) { q.os = "rhel"; q.os_like = true; });
  add([](ListQuery& q) { q.os = "rhel"; });
  add([](ListQuery& q) { q.arch = "aarch64"; q.cls = "nvme"; });
  add([](ListQuery& q) { q.vendor = "CONTOSO"; });
  add([](ListQuery& q) { q.vendor = "Trey Research"; q.cls = "gpu"; });
  add([](ListQuery& q) { q.model = "s1500"; });
  add([](ListQuery& q) { q.model = "card 2U"; });
  add([](ListQuery& q) { q.text = "fabrikam loongarch64"; });
  add([](ListQuery& q) { q.text = "Server X"; });
  add([](ListQuery& q) { q.issued_from = "2022-01-01"; q.issued_to = "2022-06-30"; });
  add([](ListQuery& q) { q.status = "withdrawn"; });
  add([](ListQuery& q) { q.status = "active"; q.os = "openeuler"; q.os_version = "24.03"; q.arch = "x86_64"; });
  add([](ListQuery& q) { q.os = "no-such-os"; });
  add([](ListQuery& q) { q.cls = "no-such-class"; });
  add([](ListQuery& q) { q.text = "zzzz-nothing"; });

  std::size_t nonempty = 0;
  for (auto sort : {SortKey::issued, SortKey::id, SortKey::vendor, SortKey::product, SortKey::os}) {
    for (bool desc : {false, true}) {
      for (auto q : queries) {
        q.sort = sort;
        q.descending = desc;
        std::set<std::string> expected;
        for (const auto& r : records)
          if (reference_match(r, q)) expected.insert(r["id"].get<std::string>());
        // Walk every page and put them together.
        q.limit = 37;
        std::vector<std::string> got;
        std::size_t total = 0;
        for (q.offset = 0;; q.offset += q.limit) {
          auto page = c.query(q);
          total = page.total;
          CHECK(page.entries.size() <= q.limit);
          auto ids = ids_of(c, page);
          got.insert(got.end(), ids.begin(), ids.end());
          if (page.entries.size() < q.limit) break;
        }
        INFO("query os=" << q.os << " v=" << q.os_version << " like=" << q.os_like << " arch=" << q.arch
                         << " class=" << q.cls << " vendor=" << q.vendor << " model=" << q.model << " q=" << q.text);
        CHECK(total == expected.size());
        CHECK(std::set<std::string>(got.begin(), got.end()) == expected);
        CHECK(got.size() == expected.size());
        if (!expected.empty()) ++nonempty;
        // Sorted by the key, ties by id ascending (reversed when descending).
        auto key = [&](const std::string& id) {
          const auto& e = c.entry(*c.find(id));
          switch (sort) {
            case SortKey::issued: return e.issued + "\x01" + e.id;
            case SortKey::id: return e.id;
            case SortKey::vendor: return e.vendor + "\x01" + e.product + "\x01" + e.model + "\x01" + e.id;
            case SortKey::product: return e.product + "\x01" + e.model + "\x01" + e.id;
            case SortKey::os: return e.os_id + "\x01" + e.os_version + "\x01" + e.id;
          }
          return e.id;
        };
        for (std::size_t i = 1; i < got.size(); ++i)
          CHECK((desc ? key(got[i - 1]) > key(got[i]) : key(got[i - 1]) < key(got[i])));
      }
    }
  }
  CHECK(nonempty > 100);  // the queries are not all trivially empty
}

TEST_CASE("catalog: derivative OSes match only when asked, extensions always") {
  auto records = generated(5);
  records[0]["os"] = {{"id", "rocky"}, {"version_id", "9.4"}, {"name", "Rocky Linux"}, {"id_like", {"rhel", "fedora"}}};
  records[0]["extensions"] = json::array({{{"kind", "os"}, {"os", {{"id", "debian"}, {"version_id", "13"}}},
                                           {"basis", "same driver"}, {"by", "r"}, {"date", "2026-01-01"}}});
  for (std::size_t i = 1; i < records.size(); ++i)
    records[i]["os"] = {{"id", "sles"}, {"version_id", "15.5"}, {"name", "SLES"}, {"id_like", {"suse"}}};
  Catalog c;
  load(c, records);
  auto ids = [&](ListQuery q) { return ids_of(c, c.query(q)); };
  ListQuery q;
  q.os = "rhel";
  CHECK(ids(q).empty());
  q.os_like = true;
  CHECK(ids(q) == std::vector<std::string>{records[0]["id"]});
  q.os_version = "9.4";  // ID_LIKE names no version
  CHECK(ids(q).empty());
  ListQuery ext;
  ext.os = "debian";
  ext.os_version = "13";
  CHECK(ids(ext) == std::vector<std::string>{records[0]["id"]});
  auto s = json::parse(c.entry(*c.find(records[0]["id"].get<std::string>())).summary);
  CHECK(s["os_like"] == json({"rhel", "fedora"}));
  CHECK(s["os_extended"][0]["basis"] == "same driver");
}

TEST_CASE("catalog: upsert replaces, withdrawal stays listed") {
  auto records = generated(50);
  Catalog c;
  load(c, records);
  ListQuery w;
  w.status = "withdrawn";
  auto before = c.query(w).total;
  auto r = records[10];
  r["status"] = "withdrawn";
  r["withdrawn"] = {{"reason", "driver regression"}, {"by", "rev"}, {"date", "2026-02-02"}};
  REQUIRE(c.upsert(r).ok());
  CHECK(c.size() == 50);
  CHECK(c.query(w).total == before + (records[10]["status"] == "withdrawn" ? 0 : 1));
  ListQuery all;
  CHECK(c.query(all).total == 50);
  auto pos = c.find(r["id"].get<std::string>());
  REQUIRE(pos);
  CHECK(json::parse(c.entry(*pos).summary)["withdrawn"]["reason"] == "driver regression");
  CHECK(c.entry(*pos).csv.find("driver regression") != std::string::npos);
}

TEST_CASE("catalog: bad records are refused with the field named") {
  auto good = generated(1)[0];
  auto refuse = [&](std::function<void(json&)> change, const std::string& needle) {
    json r = good;
    change(r);
    auto e = make_entry(r);
    REQUIRE_FALSE(e.ok());
    INFO(e.message());
    CHECK(e.message().find(needle) != std::string::npos);
  };
  CHECK(make_entry(good).ok());
  refuse([](json& r) { r.erase("id"); }, "'id'");
  refuse([](json& r) { r["id"] = "../../etc/passwd"; }, "is not 1-64");
  refuse([](json& r) { r["id"] = std::string(65, 'A'); }, "is not 1-64");
  refuse([](json& r) { r["status"] = "revoked"; }, "'status'");
  refuse([](json& r) { r["status"] = "withdrawn"; }, "'withdrawn'");
  refuse([](json& r) { r["issued"] = "2026-13-01"; }, "'issued'");
  refuse([](json& r) { r["os"].erase("version_id"); }, "'os.version_id'");
  refuse([](json& r) { r["os"]["id_like"] = "rhel"; }, "'os.id_like'");
  refuse([](json& r) { r["classes"] = {1, 2}; }, "'classes'");
  refuse([](json& r) { r["vendor"] = 5; }, "'vendor' is not a string");
  refuse([](json& r) { r["summary"]["pass"] = -1; }, "'summary'");
  refuse([](json& r) { r["extensions"] = {{{"kind", "product"}, {"product", "X"}, {"basis", ""}}}; }, "basis");
  refuse([](json& r) { r["extensions"] = {{{"kind", "board"}, {"basis", "b"}}}; }, "extensions[].kind");
  CHECK_FALSE(make_entry(std::string_view("{not json")).ok());
  CHECK_FALSE(make_entry(json::array()).ok());

  Catalog c;
  std::string jsonl = good.dump() + "\n\n" + "{\"id\":\"X\"}\n";
  auto st = c.load_jsonl(jsonl);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("line 3") != std::string::npos);
}

TEST_CASE("catalog: query parameters are parsed strictly") {
  using P = std::multimap<std::string, std::string>;
  auto q = parse_list_query(P{{"os", "Debian"}, {"class", "NIC"}, {"sort", "-vendor"}, {"page", "3"}, {"per_page", "20"}});
  REQUIRE(q.ok());
  CHECK(q->os == "debian");
  CHECK(q->cls == "nic");
  CHECK(q->sort == SortKey::vendor);
  CHECK(q->descending);
  CHECK(q->offset == 40);
  CHECK(q->limit == 20);
  for (const auto& bad : std::vector<P>{{{"colour", "red"}},
                                        {{"os", "a"}, {"os", "b"}},
                                        {{"issued_from", "yesterday"}},
                                        {{"issued_from", "2026-02-01"}, {"issued_to", "2026-01-01"}},
                                        {{"sort", "price"}},
                                        {{"page", "0"}},
                                        {{"page", "-1"}},
                                        {{"per_page", "100000"}},
                                        {{"limit", "x"}},
                                        {{"page", "1"}, {"offset", "5"}},
                                        {{"status", "revoked"}},
                                        {{"os_like", "yes"}}}) {
    auto r = parse_list_query(bad);
    CHECK_FALSE(r.ok());
  }
  auto all = parse_list_query(P{}, true);
  REQUIRE(all.ok());
  CHECK(all->limit == 0);
}

TEST_CASE("catalog: JSON and CSV exports") {
  auto records = generated(20);
  records[3]["vendor"] = "Acme, \"Inc\"";
  records[4]["product"] = "=HYPERLINK(\"x\")";
  Catalog c;
  load(c, records);
  ListQuery q;
  q.sort = SortKey::id;
  q.descending = false;
  q.limit = 0;
  auto page = c.query(q);
  REQUIRE(page.entries.size() == 20);
  auto list = json::parse(c.export_json(page.entries));
  REQUIRE(list.size() == 20);
  CHECK(list[3]["vendor"] == "Acme, \"Inc\"");
  CHECK(list[0]["id"] == records[0]["id"]);
  auto paged = json::parse(c.page_json(page));
  CHECK(paged["total"] == 20);
  CHECK(paged["entries"].size() == 20);

  auto csv = c.export_csv(page.entries);
  CHECK(csv.rfind(std::string(k_csv_header) + "\r\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 21);
  CHECK(csv.find(",\"Acme, \"\"Inc\"\"\",") != std::string::npos);
  CHECK(csv.find(",\"'=HYPERLINK(\"\"x\"\")\",") != std::string::npos);
  // Same number of columns on every line (no quoted commas outside quotes).
  auto columns = [](std::string_view line) {
    std::size_t n = 1;
    bool quoted = false;
    for (char ch : line) {
      if (ch == '"') quoted = !quoted;
      else if (ch == ',' && !quoted) ++n;
    }
    return n;
  };
  std::size_t header_cols = columns(k_csv_header);
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) CHECK(columns(line) == header_cols);
}

TEST_CASE("publish: signed list, Merkle root and inclusion proofs verify; changed entries fail") {
  TempDir tmp;
  auto key = make_key(tmp.path());
  auto other_key = make_key(tmp.path(), "other.pem");
  auto records = generated(45);
  Catalog c;
  load(c, records);
  PublishOptions opt;
  opt.out = tmp / "site";
  opt.key = key;
  opt.bucket_level = 2;  // blocks of 4: 12 blocks, the last one short
  auto stats = publish_site(c, opt);
  REQUIRE_MESSAGE(stats.ok(), (stats.ok() ? "" : stats.message()));
  CHECK(stats->certificates == 45);

  // The root is RFC 6962's over the records' bytes in id order, computed here
  // from the definition.
  std::vector<json> by_id = records;
  std::sort(by_id.begin(), by_id.end(), [](const json& a, const json& b) { return a["id"] < b["id"]; });
  std::vector<Hash> leaves;
  for (const auto& r : by_id) leaves.push_back(leaf_hash(r.dump()));
  CHECK(to_hex(reference_root(leaves, 0, leaves.size())) == stats->merkle_root);

  auto list_text = read_file(opt.out / "list.json");
  REQUIRE(list_text.ok());
  auto list = json::parse(*list_text);
  CHECK(list["version"] == 2);
  CHECK(list["count"] == 45);
  CHECK(list["merkle_root"] == stats->merkle_root);
  REQUIRE(list["blocks"].size() == 12);
  CHECK(list["blocks"][11]["count"] == 1);
  CHECK(fs::exists(opt.out / "cert.html"));
  for (std::size_t i = 0; i < by_id.size(); ++i) {
    std::string id = by_id[i]["id"];
    INFO(id);
    auto r = verify_published_certificate(opt.out, id);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.message()));
    CHECK(r->root == stats->merkle_root);
    CHECK(r->leaf_index == i);
    CHECK(r->record == by_id[i].dump());
    CHECK(r->path == MerkleTree(leaves).inclusion_proof(i));  // the standard audit path
  }
  // The signature is plain Ed25519 that OpenSSL's command line checks too.
  auto ok = test::run_command({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (opt.out / "signing-key.pem").string(),
                               "-rawin", "-in", (opt.out / "list.json").string(), "-sigfile",
                               (opt.out / "list.json.sig").string()});
  CHECK(ok.exit_code == 0);

  std::string id = by_id[9]["id"];  // block 2
  auto block_path = opt.out / "list/00002.jsonl";
  auto block_text = read_file(block_path);
  REQUIRE(block_text.ok());
  auto forge_line = [&](const std::string& text) {
    auto line = by_id[9].dump();
    auto at = text.find(line);
    REQUIRE(at != std::string::npos);
    auto forged = by_id[9];
    forged["vendor"] = "Someone Else";
    return text.substr(0, at) + forged.dump() + text.substr(at + line.size());
  };
  // A list.json rewritten by someone holding the key (the test does).
  auto resign = [&](const std::string& text) {
    REQUIRE(write_file_atomic(opt.out / "list.json", text).ok());
    auto sig = ed25519_sign(key, text);
    REQUIRE(sig.ok());
    REQUIRE(write_file_atomic(opt.out / "list.json.sig", *sig).ok());
  };

  SUBCASE("a pinned wrong key fails") {
    auto pem = ed25519_public_pem(other_key);
    REQUIRE(pem.ok());
    CHECK_FALSE(verify_published_certificate(opt.out, id, *pem).ok());
  }
  SUBCASE("a changed record fails its block's SHA-256 in the signed list") {
    REQUIRE(write_file_atomic(block_path, forge_line(*block_text)).ok());
    auto r = verify_published_certificate(opt.out, id);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("SHA-256") != std::string::npos);
    // Other blocks still prove their entries.
    CHECK(verify_published_certificate(opt.out, by_id[0]["id"].get<std::string>()).ok());
  }
  SUBCASE("a changed record with a matching block digest fails the inclusion proof") {
    auto forged = forge_line(*block_text);
    REQUIRE(write_file_atomic(block_path, forged).ok());
    auto changed = *list_text;
    auto old_sha = list["blocks"][2]["list_sha256"].get<std::string>();
    changed.replace(changed.find(old_sha), old_sha.size(), sha256_hex(forged));
    resign(changed);
    auto r = verify_published_certificate(opt.out, id);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("inclusion proof") != std::string::npos);
  }
  SUBCASE("a block node that does not lead to the root fails") {
    auto changed = *list_text;
    auto node = list["blocks"][5]["node"].get<std::string>();
    changed.replace(changed.find(node), 64, std::string(64, '0'));
    resign(changed);
    auto r = verify_published_certificate(opt.out, id);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("do not lead to the signed Merkle root") != std::string::npos);
  }
  SUBCASE("changed data of the certificate page fails") {
    auto cert = read_file(opt.out / "cert/00002.js");
    REQUIRE(cert.ok());
    auto changed = *cert;
    auto vendor = by_id[9]["vendor"].get<std::string>();
    changed.replace(changed.find("\"vendor\":\"" + vendor), 10 + vendor.size(), "\"vendor\":\"Someone Else");
    REQUIRE(write_file_atomic(opt.out / "cert/00002.js", changed).ok());
    auto r = verify_published_certificate(opt.out, id);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("cert/00002.js") != std::string::npos);
    CHECK(verify_published_certificate(opt.out, by_id[0]["id"].get<std::string>()).ok());
  }
  SUBCASE("a changed list fails its signature") {
    std::string changed = *list_text;
    changed[changed.find("\"count\":45") + 9] = '6';
    REQUIRE(write_file_atomic(opt.out / "list.json", changed).ok());
    auto r = verify_published_certificate(opt.out, id);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("list.json") != std::string::npos);
  }
  SUBCASE("an old block does not verify against the root after the entry changed") {
    auto r = by_id[9];
    r["status"] = "withdrawn";
    r["withdrawn"] = {{"reason", "x"}, {"by", "y"}, {"date", "2026-01-01"}};
    REQUIRE(c.upsert(r).ok());
    auto again = publish_site(c, opt);
    REQUIRE(again.ok());
    CHECK(again->merkle_root != stats->merkle_root);
    CHECK(verify_published_certificate(opt.out, id).ok());
    REQUIRE(write_file_atomic(block_path, *block_text).ok());
    CHECK_FALSE(verify_published_certificate(opt.out, id).ok());
  }
  SUBCASE("an id that is not listed") {
    auto r = verify_published_certificate(opt.out, "CERT-0000-0000000");
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("not in the signed list") != std::string::npos);
  }
  SUBCASE("a missing key is a clear error") {
    opt.key = tmp / "absent.pem";
    auto r = publish_site(c, opt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("absent.pem") != std::string::npos);
  }
}

namespace {

// Every file of a site except the state, by relative path.
std::map<std::string, std::string> site_files(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& f : fs::recursive_directory_iterator(root)) {
    if (!f.is_regular_file() || f.path().filename() == ".publish-state") continue;
    out[fs::relative(f.path(), root).string()] = *read_file(f.path());
  }
  return out;
}

std::vector<std::string> block_files(int k) {
  char b[64];
  std::vector<std::string> out;
  for (const char* f : {"cert/%05d.js", "csv/%05d.csv", "list/%05d.jsonl", "search/%05d.js"}) {
    std::snprintf(b, sizeof b, f, k);
    out.push_back(b);
  }
  return out;
}

}  // namespace

TEST_CASE("publish: republishing rewrites only the changed files") {
  TempDir tmp;
  auto records = generated(40);
  Catalog c;
  load(c, records);
  PublishOptions opt;
  opt.out = tmp / "site";
  opt.key = make_key(tmp.path());
  opt.bucket_level = 2;  // blocks of 4 certificates
  auto first = publish_site(c, opt);
  REQUIRE(first.ok());
  CHECK(first->files_written == 10 * 4 + 11);
  CHECK(first->files_unchanged == 0);

  auto again = publish_site(c, opt);
  REQUIRE(again.ok());
  CHECK(again->files_written == 0);
  CHECK(again->merkle_root == first->merkle_root);

  // An unrelated block's inode times must not move.
  const std::string untouched = "cert/00007.js";
  struct stat before {};
  REQUIRE(::stat((opt.out / untouched).c_str(), &before) == 0);

  // Withdraw certificate 13 (ids are generated in order: block 3 = 12..15).
  auto r = records[13];
  r["status"] = "withdrawn";
  r["withdrawn"] = {{"reason", "bad firmware"}, {"by", "rev"}, {"date", "2026-03-01"}};
  REQUIRE(c.upsert(r).ok());
  auto third = publish_site(c, opt);
  REQUIRE(third.ok());
  std::vector<std::string> expected = block_files(3);
  for (const char* f : {"list.json", "list.json.sig", "merkle/root.json", "merkle/root.json.sig", "search/manifest.js"})
    expected.push_back(f);
  std::sort(expected.begin(), expected.end());
  CHECK(third->written == expected);
  struct stat after {};
  REQUIRE(::stat((opt.out / untouched).c_str(), &after) == 0);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  CHECK(read_file(opt.out / "cert/00003.js")->find("bad firmware") != std::string::npos);

  // A file deleted behind the publisher's back is written again (its block as a whole).
  fs::remove(opt.out / "csv/00005.csv");
  auto fourth = publish_site(c, opt);
  REQUIRE(fourth.ok());
  CHECK(fourth->written == block_files(5));

  // A new certificate appends: its page, the new last block, the signed files.
  auto more = generated(41);
  REQUIRE(c.upsert(more[40]).ok());
  auto fifth = publish_site(c, opt);
  REQUIRE(fifth.ok());
  for (const auto& f : block_files(10))
    CHECK(std::count(fifth->written.begin(), fifth->written.end(), f) == 1);
  CHECK(fifth->written.size() == 4 + 6);  // the new block; list.json, root.json, their signatures, manifest, index.html
  CHECK(verify_published_certificate(opt.out, more[40]["id"].get<std::string>()).ok());
}

TEST_CASE("publish: incremental changes give the same site as a full publication") {
  TempDir tmp;
  auto records = generated(50);
  Catalog c;
  load(c, records);
  PublishOptions opt;
  opt.out = tmp / "site";
  opt.key = make_key(tmp.path());
  opt.bucket_level = 3;  // blocks of 8
  REQUIRE(publish_site(c, opt).ok());
  auto full_again = [&] {
    PublishOptions o = opt;
    static int run = 0;
    o.out = tmp / ("full-" + std::to_string(++run));
    auto r = publish_site(c, o);
    REQUIRE(r.ok());
    return site_files(o.out);
  };

  SUBCASE("a withdrawal rewrites its page, its block and the signed files") {
    auto w = records[21];
    w["status"] = "withdrawn";
    w["withdrawn"] = {{"reason", "incremental"}, {"by", "rev"}, {"date", "2026-03-01"}};
    auto inc = publish_changes(w.dump() + "\n", opt);
    REQUIRE_MESSAGE(inc.ok(), (inc.ok() ? "" : inc.message()));
    std::vector<std::string> expected = block_files(2);
    for (const char* f : {"list.json", "list.json.sig", "merkle/root.json", "merkle/root.json.sig", "search/manifest.js"})
      expected.push_back(f);
    std::sort(expected.begin(), expected.end());
    CHECK(inc->written == expected);
    REQUIRE(c.upsert(w).ok());
    CHECK(site_files(opt.out) == full_again());
    CHECK(verify_published_certificate(opt.out, w["id"].get<std::string>()).ok());
    // The same change again writes nothing but what is signed afresh.
    auto same = publish_changes(w.dump() + "\n", opt);
    REQUIRE(same.ok());
    CHECK(same->merkle_root == inc->merkle_root);
  }
  SUBCASE("new certificates, appended and in the middle of the id order") {
    auto extra = generated(52);
    auto mid = records[10];
    mid["id"] = mid["id"].get<std::string>() + "a";  // sorts between records 10 and 11
    auto inc = publish_changes(extra[50].dump() + "\n" + extra[51].dump() + "\n\n" + mid.dump() + "\n", opt);
    REQUIRE_MESSAGE(inc.ok(), (inc.ok() ? "" : inc.message()));
    CHECK(inc->certificates == 53);
    for (const auto& r : {extra[50], extra[51], mid}) REQUIRE(c.upsert(r).ok());
    CHECK(site_files(opt.out) == full_again());
    for (const auto& r : {extra[51], mid, records[49]})
      CHECK(verify_published_certificate(opt.out, r["id"].get<std::string>()).ok());
  }
  SUBCASE("new certificates before the first, between two blocks, and a full last block") {
    auto first = records[0];
    first["id"] = "CERT-0000-0000001";  // sorts before every other id
    auto between = records[15];
    between["id"] = records[15]["id"].get<std::string>() + "z";  // after block 1's last id, before block 2's first
    auto inc = publish_changes(first.dump() + "\n" + between.dump() + "\n", opt);
    REQUIRE_MESSAGE(inc.ok(), (inc.ok() ? "" : inc.message()));
    CHECK(inc->certificates == 52);
    for (const auto& r : {first, between}) REQUIRE(c.upsert(r).ok());
    CHECK(site_files(opt.out) == full_again());
    // The last block (6) fills up at 56 certificates; the 57th opens block 7.
    auto extra = generated(55);
    for (std::size_t i = 50; i < 55; ++i) {
      auto one = publish_changes(extra[i].dump() + "\n", opt);
      REQUIRE_MESSAGE(one.ok(), (one.ok() ? "" : one.message()));
      REQUIRE(c.upsert(extra[i]).ok());
      CHECK(one->certificates == 53 + (i - 50));
      if (i == 54) {
        CHECK(std::count(one->written.begin(), one->written.end(), "list/00006.jsonl") == 0);
        CHECK(std::count(one->written.begin(), one->written.end(), "list/00007.jsonl") == 1);
      }
    }
    CHECK(site_files(opt.out) == full_again());
    CHECK(verify_published_certificate(opt.out, extra[54]["id"].get<std::string>()).ok());
    CHECK(verify_published_certificate(opt.out, "CERT-0000-0000001").ok());
  }
  SUBCASE("a record published again unchanged rewrites no block") {
    auto same = publish_changes(records[20].dump() + "\n", opt);
    REQUIRE(same.ok());
    for (const auto& f : same->written) CHECK(f.find("00002") == std::string::npos);
    CHECK(site_files(opt.out) == full_again());
  }
  SUBCASE("refusals: no state, a bad record, a block changed behind the publisher's back") {
    PublishOptions none = opt;
    none.out = tmp / "empty";
    auto r1 = publish_changes(records[0].dump() + "\n", none);
    REQUIRE_FALSE(r1.ok());
    CHECK(r1.message().find("no publication state") != std::string::npos);
    auto r2 = publish_changes(records[0].dump() + "\n{\"id\":\"X\"}\n", opt);
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.message().find("line 2") != std::string::npos);
    auto block = read_file(opt.out / "list/00001.jsonl");
    REQUIRE(block.ok());
    REQUIRE(write_file_atomic(opt.out / "list/00001.jsonl", block->substr(0, block->size() / 2)).ok());
    auto w = records[9];
    w["model"] = "changed";
    auto r3 = publish_changes(w.dump() + "\n", opt);
    REQUIRE_FALSE(r3.ok());
    CHECK(r3.message().find("does not match the publication state") != std::string::npos);
  }
}

TEST_CASE("publish: the whole list from JSON Lines is the catalog's site; a failed first publication leaves nothing") {
  TempDir tmp;
  auto key = make_key(tmp.path());
  auto records = generated(70, 9);
  records[3]["status"] = "withdrawn";
  records[3]["withdrawn"] = {{"reason", "r"}, {"by", "b"}, {"date", "2026-01-01"}};
  Catalog c;
  load(c, records);
  PublishOptions opt;
  opt.key = key;
  opt.bucket_level = 4;
  opt.out = tmp / "from-catalog";
  auto a = publish_site(c, opt);
  REQUIRE(a.ok());
  // Shuffled, with a blank line and an id given twice (the last one counts, as in the catalog).
  std::string jsonl;
  auto stale = records[40];
  stale["model"] = "superseded";
  jsonl += stale.dump() + "\n\n";
  for (std::size_t i = records.size(); i-- > 0;) jsonl += records[i].dump() + "\n";
  opt.out = tmp / "from-records";
  auto b = publish_records(jsonl, opt);
  REQUIRE_MESSAGE(b.ok(), (b.ok() ? "" : b.message()));
  CHECK(b->merkle_root == a->merkle_root);
  CHECK(b->files_written == a->files_written);
  CHECK(site_files(tmp / "from-records") == site_files(tmp / "from-catalog"));
  // Again from the same records: nothing to write but what is signed afresh.
  auto again = publish_records(jsonl, opt);
  REQUIRE(again.ok());
  CHECK(again->files_written == 0);
  CHECK(again->files_unchanged == b->files_written);

  // A bad line stops a first publication before anything is in place.
  opt.out = tmp / "never";
  auto bad = publish_records(jsonl + "{\"id\":\"CERT-X\"}\n", opt);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("line 73") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp / "never"));
  for (const auto& f : fs::directory_iterator(tmp.path())) CHECK(f.path().filename().string().find("publishing") == std::string::npos);
  // An empty directory is a first publication too.
  fs::create_directories(tmp / "empty");
  opt.out = tmp / "empty";
  REQUIRE(publish_records(jsonl, opt).ok());
  CHECK(site_files(tmp / "empty") == site_files(tmp / "from-catalog"));

  // A site of format 2 (a page file per certificate) loses those pages.
  auto old_site = tmp / "format2";
  fs::create_directories(old_site / "cert/ab");
  REQUIRE(write_file_atomic(old_site / "cert/ab/CERT-1.html", "<p>old</p>").ok());
  REQUIRE(write_file_atomic(old_site / ".publish-state", "certify-publish-state 2\n{}\n").ok());
  opt.out = old_site;
  REQUIRE(publish_records(jsonl, opt).ok());
  CHECK_FALSE(fs::exists(old_site / "cert/ab"));
  CHECK(site_files(old_site) == site_files(tmp / "from-catalog"));
}

TEST_CASE("certdb CLI: gen-certificates, publish, verify-published and their errors") {
  TempDir tmp;
  auto certdb = test::build_path("certdb/certdb").string();
  auto key = make_key(tmp.path());
  auto recs = (tmp / "recs.jsonl").string();
  run_checked({certdb, "gen-certificates", "--count", "120", "--seed", "3", "--out", recs});
  auto out = run_checked({certdb, "publish", "--records", recs, "--out", (tmp / "site").string(), "--key", key, "--json"});
  auto stats = json::parse(out[0]);
  CHECK(stats["certificates"] == 120);
  auto firstline = read_file(recs);
  REQUIRE(firstline.ok());
  std::string id = json::parse(firstline->substr(0, firstline->find('\n')))["id"];
  auto v = run_checked({certdb, "verify-published", "--site", (tmp / "site").string(), id});
  CHECK(v[0].find(stats["merkle_root"].get<std::string>()) != std::string::npos);
  auto missing = test::run_command({certdb, "verify-published", "--site", (tmp / "site").string(), "CERT-NOPE"});
  CHECK(missing.exit_code == 1);

  // Incremental: only the changed record, applied to the published site.
  auto w = json::parse(firstline->substr(0, firstline->find('\n')));
  w["status"] = "withdrawn";
  w["withdrawn"] = {{"reason", "cli incremental"}, {"by", "rev"}, {"date", "2026-02-02"}};
  REQUIRE(write_file_atomic(tmp / "change.jsonl", w.dump() + "\n").ok());
  auto inc = json::parse(run_checked({certdb, "publish", "--changes", (tmp / "change.jsonl").string(), "--out",
                                      (tmp / "site").string(), "--key", key, "--json"})[0]);
  CHECK(inc["certificates"] == 120);
  CHECK(inc["files_written"].get<int>() <= 9);
  CHECK(inc["merkle_root"] != stats["merkle_root"]);
  auto v2 = run_checked({certdb, "verify-published", "--site", (tmp / "site").string(), id});
  CHECK(v2[0].find(inc["merkle_root"].get<std::string>()) != std::string::npos);
  auto both = test::run_command({certdb, "publish", "--changes", (tmp / "change.jsonl").string(), "--records", recs,
                                 "--out", (tmp / "site").string(), "--key", key});
  CHECK(both.exit_code != 0);

  REQUIRE(write_file_atomic(tmp / "bad.jsonl", *firstline + "{\"id\": 5}\n").ok());
  auto bad = test::run_command({certdb, "publish", "--records", (tmp / "bad.jsonl").string(), "--out",
                                (tmp / "site2").string(), "--key", key});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("line 121") != std::string::npos);
  REQUIRE(write_file_atomic(tmp / "notakey.pem", "hello").ok());
  auto badkey = test::run_command({certdb, "publish", "--records", recs, "--out", (tmp / "site3").string(), "--key",
                                   (tmp / "notakey.pem").string()});
  CHECK(badkey.exit_code == 2);
  CHECK(badkey.err.find("not a PEM private key") != std::string::npos);
}

namespace {

struct Browser {
  std::string dom;
  int exit_code = -1;
};

Browser chromium(const std::string& url, const fs::path& screenshot = {}) {
  std::vector<std::string> argv = {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                   "--virtual-time-budget=15000", "--window-size=1400,1000"};
  if (!screenshot.empty()) argv.push_back("--screenshot=" + screenshot.string());
  else argv.push_back("--dump-dom");
  argv.push_back(url);
  auto r = test::run_command(argv);
  return {r.out, r.exit_code};
}

std::set<std::string> row_ids(const std::string& dom) {
  std::set<std::string> ids;
  for (auto pos = dom.find("data-id=\""); pos != std::string::npos; pos = dom.find("data-id=\"", pos + 1)) {
    auto start = pos + 9;
    ids.insert(dom.substr(start, dom.find('"', start) - start));
  }
  return ids;
}

std::string count_of(const std::string& dom) {
  auto p = dom.find("id=\"count\">");
  if (p == std::string::npos) return "";
  p += 11;
  return dom.substr(p, dom.find('<', p) - p);
}

}  // namespace

TEST_CASE("search page in headless Chromium filters to the right entries") {
  TempDir tmp;
  auto records = generated(400, 11);
  records[5]["status"] = "withdrawn";
  records[5]["withdrawn"] = {{"reason", "withdrawn for the browser test"}, {"by", "rev"}, {"date", "2026-01-01"}};
  Catalog c;
  load(c, records);
  PublishOptions opt;
  opt.out = tmp / "site";
  opt.key = make_key(tmp.path());
  opt.bucket_level = 7;  // blocks of 128: several index files to load
  REQUIRE(publish_site(c, opt).ok());
  std::string base = "file://" + (opt.out / "index.html").string();

  struct Case {
    std::string query;
    std::function<void(ListQuery&)> set;
  };
  std::vector<Case> cases = {
      {"os=debian&class=nic", [](ListQuery& q) { q.os = "debian"; q.cls = "nic"; }},
      {"os=rhel&os_like=1&arch=aarch64", [](ListQuery& q) { q.os = "rhel"; q.os_like = true; q.arch = "aarch64"; }},
      {"q=contoso%20nvme", [](ListQuery& q) { q.text = "contoso nvme"; }},
      {"vendor=Fabrikam&issued_from=2023-01-01&issued_to=2024-12-31",
       [](ListQuery& q) { q.vendor = "Fabrikam"; q.issued_from = "2023-01-01"; q.issued_to = "2024-12-31"; }},
      {"status=withdrawn", [](ListQuery& q) { q.status = "withdrawn"; }},
  };
  for (const auto& tc : cases) {
    ListQuery q;
    q.limit = k_max_limit;
    tc.set(q);
    auto page = c.query(q);
    REQUIRE(page.total < 200);  // the page shows the first 200 matches
    auto ids = ids_of(c, page);
    auto b = chromium(base + "?" + tc.query);
    INFO(tc.query);
    REQUIRE(b.exit_code == 0);
    CHECK(b.dom.find("data-ready=\"1\"") != std::string::npos);
    CHECK(count_of(b.dom) == std::to_string(page.total));
    CHECK(row_ids(b.dom) == std::set<std::string>(ids.begin(), ids.end()));
    if (tc.query == "status=withdrawn") CHECK(b.dom.find("withdrawn for the browser test") != std::string::npos);
    if (tc.query.find("os_like") != std::string::npos && page.total > 0)
      CHECK(b.dom.find("derivative, not tested") != std::string::npos);
  }
  // An incremental publication reaches the page: one more withdrawal.
  auto w = records[7];
  w["status"] = "withdrawn";
  w["withdrawn"] = {{"reason", "withdrawn incrementally"}, {"by", "rev"}, {"date", "2026-01-02"}};
  auto inc = publish_changes(w.dump() + "\n", opt);
  REQUIRE(inc.ok());
  REQUIRE(c.upsert(w).ok());
  ListQuery wq;
  wq.status = "withdrawn";
  wq.limit = k_max_limit;
  auto withdrawn_ids = ids_of(c, c.query(wq));
  REQUIRE(std::count(withdrawn_ids.begin(), withdrawn_ids.end(), w["id"].get<std::string>()) == 1);
  auto after = chromium(base + "?status=withdrawn");
  CHECK(row_ids(after.dom) == std::set<std::string>(withdrawn_ids.begin(), withdrawn_ids.end()));
  CHECK(after.dom.find("withdrawn incrementally") != std::string::npos);
  // The row links the certificate's page, which shows the change too.
  const std::string link = "href=\"" + certificate_page(w["id"].get<std::string>()) + "\"";
  CHECK(after.dom.find(link) != std::string::npos);
  auto page = chromium("file://" + (opt.out / certificate_page(w["id"].get<std::string>())).string());
  CHECK(page.dom.find("<span id=\"withdrawn-reason\">withdrawn incrementally</span>") != std::string::npos);

  // Without filters every certificate counts; a screenshot is a real PNG.
  auto all = chromium(base);
  CHECK(count_of(all.dom) == "400");
  auto shot = tmp / "search.png";
  auto s = chromium(base + "?os=debian", shot);
  CHECK(s.exit_code == 0);
  auto png = read_file(shot);
  REQUIRE(png.ok());
  CHECK(png->size() > 10000);
  CHECK(png->rfind("\x89PNG", 0) == 0);
  if (const char* keep = std::getenv("CERTIFY_KEEP_SCREENSHOT")) fs::copy_file(shot, keep, fs::copy_options::overwrite_existing);
}

TEST_CASE("certificate page in headless Chromium shows withdrawal, extensions and derivative OSes distinctly") {
  TempDir tmp;
  auto records = generated(40);
  records[1]["status"] = "withdrawn";
  records[1]["withdrawn"] = {{"reason", "NIC firmware <bug>"}, {"by", "rev"}, {"date", "2026-03-01"}};
  records[2]["os"]["id_like"] = {"rhel"};
  records[2]["extensions"] = json::array(
      {{{"kind", "product"}, {"product", "HWLab-1100"}, {"model", "H1100"}, {"basis", "same board HW-MB"}, {"by", "r"}, {"date", "2026-01-02"}},
       {{"kind", "os"}, {"os", {{"id", "openeuler"}, {"version_id", "24.09"}}}, {"basis", "same kernel"}, {"by", "r"}, {"date", "2026-01-03"}}});
  records[30]["tests"].push_back({{"id", "nic.extra"}, {"class", "nic"}, {"status", "fail"}});
  Catalog c;
  load(c, records);
  PublishOptions opt;
  opt.out = tmp / "site";
  opt.key = make_key(tmp.path());
  opt.bucket_level = 3;  // blocks of 8: the page finds the right one of five
  REQUIRE(publish_site(c, opt).ok());
  auto page = [&](const std::string& id) {
    auto b = chromium("file://" + (opt.out / certificate_page(id)).string());
    REQUIRE(b.exit_code == 0);
    REQUIRE(b.dom.find("data-ready=\"1\"") != std::string::npos);
    return b.dom;
  };
  auto withdrawn = page(records[1]["id"]);
  CHECK(withdrawn.find("id=\"withdrawn\"") != std::string::npos);
  CHECK(withdrawn.find("NIC firmware &lt;bug&gt;") != std::string::npos);  // escaped
  CHECK(withdrawn.find("<dd id=\"cert-id\">" + records[1]["id"].get<std::string>() + "</dd>") != std::string::npos);
  auto plain = page(records[0]["id"]);
  CHECK(plain.find("id=\"withdrawn\"") == std::string::npos);
  CHECK(plain.find("<span id=\"vendor\">" + records[0]["vendor"].get<std::string>() + "</span>") != std::string::npos);
  auto ext = page(records[2]["id"]);
  CHECK(ext.find("<li class=\"os-extended\"><span class=\"badge extension\">extension</span> <code>openeuler 24.09</code>") !=
        std::string::npos);
  CHECK(ext.find("<li class=\"os-derivative\"><span class=\"badge derivative\">derivative, not tested</span> <code>rhel</code>") !=
        std::string::npos);
  CHECK(ext.find("HWLab-1100") != std::string::npos);
  CHECK(ext.find("same board HW-MB") != std::string::npos);
  for (const auto& cls : records[2]["classes"]) CHECK(ext.find("<tr><td>" + cls.get<std::string>() + "</td>") != std::string::npos);
  CHECK(ext.find("id=\"summary\"") != std::string::npos);
  // Per-class counts from the record's tests, in a block further down the list.
  const auto& r30 = records[30];
  std::map<std::string, std::array<int, 3>> per_class;
  for (const auto& cls : r30["classes"]) per_class[cls.get<std::string>()];
  for (const auto& t : r30["tests"]) {
    auto st = t["status"].get<std::string>();
    per_class[t["class"].get<std::string>()][st == "pass" ? 0 : st == "skip" ? 2 : 1]++;
  }
  auto p30 = page(r30["id"]);
  for (const auto& [cls, n] : per_class)
    CHECK(p30.find("<tr><td>" + cls + "</td><td>" + std::to_string(n[0]) + "</td><td>" + std::to_string(n[1]) + "</td><td>" +
                   std::to_string(n[2]) + "</td></tr>") != std::string::npos);
  CHECK(p30.find("href=\"list/00003.jsonl\"") != std::string::npos);
  // An id that is not listed, before the first or inside a block's range, and no id at all.
  for (const std::string& missing : {std::string("CERT-0000-0000000"), r30["id"].get<std::string>() + "x"}) {
    auto none = page(missing);
    CHECK(none.find("id=\"error\"") != std::string::npos);
    CHECK(none.find("is not in this list") != std::string::npos);
  }
  auto bare = chromium("file://" + (opt.out / "cert.html").string());
  CHECK(bare.dom.find("No certificate named") != std::string::npos);
}

TEST_CASE("list API on a real server: filters, paging, exports, certificates, errors") {
  auto records = generated(600, 5);
  Catalog c;
  load(c, records);
  httplib::Server server;
  register_list_routes(server, c);
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread th([&] { server.listen_after_bind(); });
  struct Stop {
    httplib::Server& s;
    std::thread& t;
    ~Stop() {
      s.stop();
      t.join();
    }
  } stop{server, th};
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(5);
  bool up = false;
  for (int i = 0; i < 250 && !up; ++i) {
    up = static_cast<bool>(cli.Get("/api/v1/list?per_page=1"));
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(up);

  ListQuery q;
  q.os = "ubuntu";
  q.sort = SortKey::vendor;
  q.descending = false;
  q.limit = k_max_limit;
  auto expected = ids_of(c, c.query(q));
  REQUIRE(expected.size() > 25);
  std::vector<std::string> got;
  for (int page = 1;; ++page) {
    auto r = cli.Get("/api/v1/list?os=Ubuntu&sort=vendor&per_page=25&page=" + std::to_string(page));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto j = json::parse(r->body);
    CHECK(j["total"] == expected.size());
    for (const auto& e : j["entries"]) got.push_back(e["id"]);
    if (j["entries"].size() < 25) break;
  }
  CHECK(got == expected);

  auto all = cli.Get("/api/v1/list.json?os=ubuntu&sort=vendor");
  REQUIRE(all);
  CHECK(all->status == 200);
  CHECK(json::parse(all->body)["entries"].size() == expected.size());
  auto csv = cli.Get("/api/v1/list.csv?os=ubuntu");
  REQUIRE(csv);
  CHECK(csv->status == 200);
  CHECK(csv->get_header_value("Content-Type").rfind("text/csv", 0) == 0);
  CHECK(static_cast<std::size_t>(std::count(csv->body.begin(), csv->body.end(), '\n')) == expected.size() + 1);

  std::string id = records[17]["id"];
  auto cert = cli.Get("/api/v1/certificates/" + id);
  REQUIRE(cert);
  CHECK(cert->status == 200);
  CHECK(json::parse(cert->body) == records[17]);
  auto missing = cli.Get("/api/v1/certificates/CERT-0000-0000000");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(json::parse(missing->body)["error"] == "no certificate CERT-0000-0000000");
  for (const char* bad : {"/api/v1/list?sort=price", "/api/v1/list?per_page=5000", "/api/v1/list?issued_from=x",
                          "/api/v1/list?nonsense=1", "/api/v1/list.csv?page=0", "/api/v1/certificates/bad%20id"}) {
    auto r = cli.Get(bad);
    REQUIRE(r);
    INFO(std::string(bad));
    CHECK(r->status == 400);
    CHECK(json::parse(r->body).contains("error"));
  }
  auto traversal = cli.Get("/api/v1/certificates/..%2F..%2Fetc%2Fpasswd");
  REQUIRE(traversal);
  CHECK(traversal->status == 404);
  // A change shows up in the next answer.
  auto w = records[17];
  w["status"] = "withdrawn";
  w["withdrawn"] = {{"reason", "api test"}, {"by", "rev"}, {"date", "2026-04-01"}};
  REQUIRE(c.upsert(w).ok());
  auto after = cli.Get("/api/v1/list?status=withdrawn&q=" + id);
  REQUIRE(after);
  auto j = json::parse(after->body);
  REQUIRE(j["entries"].size() == 1);
  CHECK(j["entries"][0]["withdrawn"]["reason"] == "api test");
}

TEST_CASE("reviewer actions: extension needs shared hardware and a basis; withdrawal needs a reason") {
  auto records = generated(40, 9);
  json system, component;
  for (const auto& r : records) {
    if (system.is_null() && r["kind"] == "system" && r["status"] == "active") system = r;
    if (component.is_null() && r["kind"] == "component" && r["status"] == "active" && !r["hardware"]["devices"].empty())
      component = r;
  }
  REQUIRE_FALSE(system.is_null());
  REQUIRE_FALSE(component.is_null());
  std::string board = system["hardware"]["system"]["board"];
  json req = {{"kind", "product"}, {"product", "HWLab-1100"}, {"model", "H1100-2U"}, {"board", board}, {"basis", "same chassis family"}};
  auto ext = extend_certificate(system, req, "rev1", "2026-05-01");
  REQUIRE_MESSAGE(ext.ok(), (ext.ok() ? "" : ext.message()));
  const auto& x = ext->at("extensions").back();
  CHECK(x["product"] == "HWLab-1100");
  CHECK(x["basis"] == "same chassis family (same board " + board + ")");
  CHECK(x["by"] == "rev1");
  CHECK(make_entry(*ext).ok());  // still a valid record for the list
  CHECK_FALSE(extend_certificate(*ext, req, "rev1", "2026-05-01").ok());  // duplicate
  auto other_board = req;
  other_board["board"] = "Other-MB";
  auto r1 = extend_certificate(system, other_board, "rev1", "2026-05-01");
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.message().find("not the tested board") != std::string::npos);
  auto no_basis = req;
  no_basis["basis"] = "";
  CHECK_FALSE(extend_certificate(system, no_basis, "rev1", "2026-05-01").ok());

  const auto& dev = component["hardware"]["devices"][0];
  json card = {{"kind", "product"}, {"product", "Card Z"}, {"basis", "OEM rebrand"},
               {"pci", {{"vendor_id", "0x" + dev["vendor_id"].get<std::string>()}, {"device_id", dev["device_id"]},
                        {"subsystem_vendor_id", dev["subsystem_vendor_id"]}, {"subsystem_device_id", dev["subsystem_device_id"]}}}};
  auto c1 = extend_certificate(component, card, "rev2", "2026-05-02");
  REQUIRE_MESSAGE(c1.ok(), (c1.ok() ? "" : c1.message()));
  CHECK(c1->at("extensions").back()["basis"].get<std::string>().find("same PCI IDs") != std::string::npos);
  card["pci"]["subsystem_device_id"] = "ffff";
  auto c2 = extend_certificate(component, card, "rev2", "2026-05-02");
  REQUIRE_FALSE(c2.ok());
  CHECK(c2.message().find("no tested device") != std::string::npos);

  json os_req = {{"kind", "os"}, {"os", {{"id", "openEuler"}, {"version_id", "24.09"}}}, {"basis", "same kernel 6.6"}};
  auto o1 = extend_certificate(system, os_req, "rev3", "2026-05-03");
  REQUIRE(o1.ok());
  CHECK(o1->at("extensions").back()["os"]["id"] == "openeuler");
  json tested_os = {{"kind", "os"}, {"os", system["os"]}, {"basis", "x"}};
  CHECK_FALSE(extend_certificate(system, tested_os, "rev3", "2026-05-03").ok());
  CHECK_FALSE(extend_certificate(system, {{"kind", "firmware"}, {"basis", "x"}}, "r", "2026-05-03").ok());

  auto w = withdraw_certificate(system, "unstable under load", "rev4", "2026-06-01");
  REQUIRE(w.ok());
  CHECK((*w)["status"] == "withdrawn");
  CHECK((*w)["withdrawn"]["reason"] == "unstable under load");
  CHECK(make_entry(*w).ok());
  CHECK_FALSE(withdraw_certificate(*w, "again", "rev4", "2026-06-02").ok());
  CHECK_FALSE(withdraw_certificate(system, "  ", "rev4", "2026-06-02").ok());
  auto ext_withdrawn = extend_certificate(*w, req, "rev1", "2026-06-03");
  REQUIRE_FALSE(ext_withdrawn.ok());
  CHECK(ext_withdrawn.message().find("withdrawn") != std::string::npos);
}
