// Version diff: compares facts, device ids and job statuses.
#include "certdb/diff.hpp"

#include <map>

#include "certdb/certificate.hpp"

namespace certify::certdb {

using nlohmann::json;

namespace {

std::map<std::string, std::string> devices(const json& inv) {
  std::map<std::string, std::string> out;
  if (inv.contains("devices") && inv["devices"].is_array())
    for (const auto& d : inv["devices"])
      if (d.is_object() && d.contains("id") && d["id"].is_string())
        out[d["id"].get<std::string>()] = d.value("class", "") + " " + d.value("vendor", "") + " " + d.value("model", "");
  return out;
}

std::map<std::string, std::string> statuses(const json& results) {
  std::map<std::string, std::string> out;
  if (results.contains("jobs") && results["jobs"].is_array())
    for (const auto& j : results["jobs"])
      if (j.is_object() && j.contains("id") && j["id"].is_string())
        out[j["id"].get<std::string>()] = j.value("status", "");
  return out;
}

}  // namespace

json version_diff(const json& inv_a, const json& res_a, const json& inv_b, const json& res_b) {
  json out = {{"facts", json::array()},
              {"devices", {{"added", json::array()}, {"removed", json::array()}}},
              {"tests", {{"added", json::array()}, {"removed", json::array()}, {"changed", json::array()}}}};
  auto fa = bundle_facts(inv_a, res_a).to_json(), fb = bundle_facts(inv_b, res_b).to_json();
  auto flat_a = fa.flatten(), flat_b = fb.flatten();
  for (auto it = flat_a.begin(); it != flat_a.end(); ++it)
    if (!flat_b.contains(it.key()) || flat_b[it.key()] != it.value())
      out["facts"].push_back({{"field", it.key()}, {"from", it.value()}, {"to", flat_b.value(it.key(), json())}});
  for (auto it = flat_b.begin(); it != flat_b.end(); ++it)
    if (!flat_a.contains(it.key()))
      out["facts"].push_back({{"field", it.key()}, {"from", json()}, {"to", it.value()}});
  auto da = devices(inv_a), db = devices(inv_b);
  for (const auto& [id, what] : db)
    if (!da.count(id)) out["devices"]["added"].push_back({{"id", id}, {"device", what}});
  for (const auto& [id, what] : da)
    if (!db.count(id)) out["devices"]["removed"].push_back({{"id", id}, {"device", what}});
  auto sa = statuses(res_a), sb = statuses(res_b);
  for (const auto& [id, st] : sb) {
    auto it = sa.find(id);
    if (it == sa.end()) out["tests"]["added"].push_back({{"id", id}, {"status", st}});
    else if (it->second != st) out["tests"]["changed"].push_back({{"id", id}, {"from", it->second}, {"to", st}});
  }
  for (const auto& [id, st] : sa)
    if (!sb.count(id)) out["tests"]["removed"].push_back({{"id", id}, {"status", st}});
  return out;
}

}  // namespace certify::certdb
