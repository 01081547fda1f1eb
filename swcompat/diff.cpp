// os-diff: dimension-wise comparison with a notion of a compatible change
// (a library that kept every version node, a newer package, the same CRC).
#include "swcompat/diff.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "swcompat/snapshot.hpp"
#include "swcompat/version.hpp"

namespace certify::swcompat {

using nlohmann::json;

namespace {

// Is B's value for a key an acceptable replacement of A's?
bool compatible_change(const std::string& dim, const json& a, const json& b) {
  if (dim == "libraries") {
    if (!a.contains("versions") || !b.contains("versions")) return false;
    std::set<std::string> bv;
    for (auto& v : b["versions"]) bv.insert(v.get<std::string>());
    for (auto& v : a["versions"])
      if (!bv.count(v.get<std::string>())) return false;
    return true;  // a moved path or added versions break nothing
  }
  if (dim == "packages") {
    auto va = a.value("version", ""), vb = b.value("version", "");
    auto scheme = a.value("format", "deb") == "rpm" ? VersionScheme::rpm : VersionScheme::deb;
    return compare_versions(vb, va, scheme) >= 0;
  }
  if (dim == "kabi") return a.value("crc", "") == b.value("crc", "") || a.value("crc", "").empty() || b.value("crc", "").empty();
  if (dim == "modules") return !a.value("available", false) || b.value("available", false) || b.value("builtin", false);
  if (dim == "commands" || dim == "syscalls") return true;  // still present, elsewhere or under another entry point
  if (dim == "services") return a.value("state", "") != "enabled" || b.value("state", "") == "enabled";
  return false;
}

std::string pct(double v) {
  std::ostringstream os;
  os.precision(1);
  os << std::fixed << v;
  return os.str();
}

}  // namespace

std::vector<DimensionDiff> diff_snapshots(const json& a, const json& b) {
  std::vector<DimensionDiff> out;
  for (auto& name : snapshot_dimensions()) {
    DimensionDiff d;
    d.name = name;
    const json empty = json::object();
    const json& da = a["dimensions"].contains(name) ? a["dimensions"][name] : empty;
    const json& db = b["dimensions"].contains(name) ? b["dimensions"][name] : empty;
    d.total_a = da.size();
    d.total_b = db.size();
    for (auto& [k, va] : da.items()) {
      auto it = db.find(k);
      if (it == db.end()) d.removed.push_back(k);
      else if (*it != va) (compatible_change(name, va, *it) ? d.changed_compatible : d.changed_incompatible).push_back(k);
    }
    for (auto& [k, vb] : db.items())
      if (!da.contains(k)) d.added.push_back(k);
    d.empty = d.total_a == 0;
    if (!d.empty) {
      double lost = static_cast<double>(d.removed.size() + d.changed_incompatible.size());
      d.score = 100.0 * (static_cast<double>(d.total_a) - lost) / static_cast<double>(d.total_a);
    }
    out.push_back(std::move(d));
  }
  return out;
}

Report os_diff_report(const json& a, const json& b, std::size_t max_items) {
  Report r;
  r.kind = "os-diff";
  auto label = [](const json& s) {
    const json os = s.contains("os") ? s["os"] : json::object();
    return os.value("pretty_name", os.value("id", "unknown")) + " [" + os.value("kernel_release", "?") + ", " +
           os.value("arch", "?") + "]";
  };
  r.subject = label(a) + " -> " + label(b);
  r.meta = {{"a", label(a)}, {"b", label(b)}, {"a_created", a.value("created", "")}, {"b_created", b.value("created", "")}};

  // Derivatives: B is recognised as A's family when its ID or ID_LIKE names
  // A's ID, or both carry the same PLATFORM_ID.
  {
    auto& c = r.add("os-identity", "OS identity and derivative recognition");
    const json oa = a.contains("os") ? a["os"] : json::object(), ob = b.contains("os") ? b["os"] : json::object();
    auto ida = oa.value("id", ""), idb = ob.value("id", "");
    std::istringstream like_b(ob.value("id_like", "")), like_a(oa.value("id_like", ""));
    std::set<std::string> fam_b{idb}, fam_a{ida};
    std::string w;
    while (like_b >> w) fam_b.insert(w);
    while (like_a >> w) fam_a.insert(w);
    bool same = !ida.empty() && ida == idb;
    bool derivative = !ida.empty() && fam_b.count(ida);
    bool sibling = false;
    for (auto& f : fam_a)
      if (!f.empty() && fam_b.count(f)) sibling = true;
    bool platform = !oa.value("platform_id", "").empty() && oa.value("platform_id", "") == ob.value("platform_id", "");
    c.data = {{"a_id", ida}, {"b_id", idb}, {"b_id_like", ob.value("id_like", "")}, {"same_os", same},
              {"derivative", derivative}, {"same_family", sibling}, {"same_platform", platform}};
    if (same) c.summary = "same OS (" + ida + " " + oa.value("version_id", "") + " -> " + ob.value("version_id", "") + ")";
    else if (derivative) c.summary = idb + " is a derivative of " + ida + " (ID_LIKE)";
    else if (platform) c.summary = "same PLATFORM_ID " + oa.value("platform_id", "");
    else if (sibling) c.summary = ida + " and " + idb + " share a family (ID_LIKE)";
    else {
      c.status = CheckStatus::warn;
      c.summary = "unrelated OSes: \"" + (ida.empty() ? "?" : ida) + "\" and \"" + (idb.empty() ? "?" : idb) + "\"";
    }
    if (oa.value("arch", "") != ob.value("arch", "")) {
      c.status = CheckStatus::fail;
      c.evidence.push_back("architecture differs: " + oa.value("arch", "?") + " vs " + ob.value("arch", "?"));
    }
    if (oa.value("kernel_release", "") != ob.value("kernel_release", ""))
      c.evidence.push_back("kernel " + oa.value("kernel_release", "?") + " -> " + ob.value("kernel_release", "?"));
  }

  json scores = json::object();
  double sum = 0;
  int counted = 0;
  for (auto& d : diff_snapshots(a, b)) {
    auto& c = r.add(d.name, "Dimension " + d.name);
    auto listing = [&](const char* what, const std::vector<std::string>& keys) {
      for (std::size_t i = 0; i < keys.size() && i < max_items; ++i) c.evidence.push_back(std::string(what) + " " + keys[i]);
      if (keys.size() > max_items) c.evidence.push_back(std::string(what) + " ... and " + std::to_string(keys.size() - max_items) + " more");
    };
    listing("removed", d.removed);
    listing("changed", d.changed_incompatible);
    listing("changed (compatible)", d.changed_compatible);
    listing("added", d.added);
    c.data = {{"total_a", d.total_a}, {"total_b", d.total_b}, {"removed", d.removed}, {"added", d.added},
              {"changed_incompatible", d.changed_incompatible}, {"changed_compatible", d.changed_compatible},
              {"score", d.empty ? json(nullptr) : json(std::round(d.score * 10) / 10)}};
    std::string counts = std::to_string(d.removed.size()) + " removed, " + std::to_string(d.changed_incompatible.size()) +
                         " changed, " + std::to_string(d.changed_compatible.size()) + " changed compatibly, " +
                         std::to_string(d.added.size()) + " added";
    if (d.empty) {
      c.status = CheckStatus::skip;
      c.summary = "A has no " + d.name + " entries (" + std::to_string(d.total_b) + " in B)";
      scores[d.name] = nullptr;
      continue;
    }
    scores[d.name] = std::round(d.score * 10) / 10;
    sum += d.score;
    ++counted;
    c.status = d.score >= 100.0 ? CheckStatus::pass : d.score >= 90.0 ? CheckStatus::warn : CheckStatus::fail;
    c.summary = "score " + pct(d.score) + "% of " + std::to_string(d.total_a) + ": " + counts;
  }
  r.extra["scores"] = scores;
  r.extra["overall_score"] = counted ? json(std::round(sum / counted * 10) / 10) : json(nullptr);
  r.meta["overall_score"] = counted ? pct(sum / counted) + "% (mean over " + std::to_string(counted) + " dimensions)" : "n/a";
  return r;
}

}  // namespace certify::swcompat
