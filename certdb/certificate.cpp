// Bundle facts and certificate records from inventory.json and results.json.
#include "certdb/certificate.hpp"

#include <set>
#include <sstream>

#include "certdb/review.hpp"

namespace certify::certdb {

namespace {

using nlohmann::json;

std::string str_at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return {};
    auto it = cur->find(key);
    if (it == cur->end()) return {};
    cur = &*it;
  }
  return cur->is_string() ? cur->get<std::string>() : std::string();
}

std::string first_of(std::initializer_list<std::string> v) {
  for (const auto& s : v)
    if (!s.empty()) return s;
  return {};
}

// "0x8086" → "8086": the record uses bare lower-case hex like pci.ids.
std::string bare_hex(std::string s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.erase(0, 2);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

json BundleFacts::to_json() const {
  return {{"vendor", vendor}, {"product", product}, {"model", model}, {"arch", arch},
          {"os", {{"id", os_id}, {"version_id", os_version}, {"name", os_name}, {"id_like", os_id_like}}},
          {"classes", classes}, {"summary", {{"pass", pass}, {"fail", fail}, {"skip", skip}, {"other", other}}}};
}

BundleFacts bundle_facts(const json& inv, const json& results) {
  BundleFacts f;
  f.vendor = first_of({str_at(inv, {"system", "system", "manufacturer"}),
                       str_at(inv, {"system", "baseboard", "manufacturer"}), "unknown"});
  f.product = first_of({str_at(inv, {"system", "system", "product_name"}),
                        str_at(inv, {"system", "baseboard", "product_name"}), "unknown"});
  f.model = first_of({str_at(inv, {"system", "system", "sku_number"}), str_at(inv, {"system", "system", "version"}),
                      f.product});
  f.arch = first_of({str_at(inv, {"cpu", "arch"}), str_at(inv, {"os", "arch"}), "unknown"});
  f.os_id = first_of({str_at(inv, {"os", "id"}), "unknown"});
  f.os_version = str_at(inv, {"os", "version_id"});
  f.os_name = first_of({str_at(inv, {"os", "pretty_name"}), str_at(inv, {"os", "name"})});
  f.os_id_like = words(str_at(inv, {"os", "id_like"}));
  f.classes = claimed_classes(results);
  // A software run (certify sw-check --results): the product is the package
  // checked, its vendor the package's, its model the version; the OS and
  // architecture are the target's.
  if (results.is_object() && results.value("profile", "") == "software") {
    f.kind = "software";
    if (inv.contains("devices") && inv["devices"].is_array())
      for (const auto& d : inv["devices"]) {
        if (!d.is_object() || d.value("class", "") != "software") continue;
        f.vendor = first_of({d.value("vendor", ""), "unknown"});
        f.product = first_of({d.value("model", ""), "unknown"});
        f.model = first_of({str_at(d, {"props", "version"}), f.product});
        break;
      }
  }
  if (results.contains("jobs") && results["jobs"].is_array())
    for (const auto& job : results["jobs"]) {
      std::string st = job.is_object() ? job.value("status", "") : "";
      if (st == "pass") ++f.pass;
      else if (st == "fail") ++f.fail;
      else if (st == "skip") ++f.skip;
      else ++f.other;
    }
  return f;
}

json certificate_record(const CertificateInput& in) {
  const json& inv = *in.inventory;
  const json& results = *in.results;
  auto facts = bundle_facts(inv, results);
  std::set<std::string> classes(facts.classes.begin(), facts.classes.end());

  json devices = json::array();
  if (inv.contains("devices") && inv["devices"].is_array())
    for (const auto& d : inv["devices"]) {
      if (!d.is_object() || !classes.count(d.value("class", ""))) continue;
      if (facts.kind == "software") {
        devices.push_back({{"class", "software"}, {"name", d.value("model", "")}, {"vendor", d.value("vendor", "")},
                           {"version", str_at(d, {"props", "version"})}, {"format", str_at(d, {"props", "format"})},
                           {"architecture", str_at(d, {"props", "architecture"})},
                           {"sha256", str_at(d, {"props", "sha256"})}});
        continue;
      }
      json dev = {{"class", d.value("class", "")},
                  {"vendor_id", bare_hex(d.value("vendor_id", ""))},
                  {"device_id", bare_hex(d.value("device_id", ""))},
                  {"subsystem_vendor_id", bare_hex(d.value("subsystem_vendor_id", ""))},
                  {"subsystem_device_id", bare_hex(d.value("subsystem_device_id", ""))},
                  {"vendor", d.value("vendor", "")},
                  {"name", d.value("model", "")},
                  {"driver", d.value("driver", "")}};
      devices.push_back(std::move(dev));
    }
  json tests = json::array();
  if (results.contains("jobs") && results["jobs"].is_array())
    for (const auto& job : results["jobs"])
      if (job.is_object())
        tests.push_back({{"id", job.value("id", "")}, {"class", job.value("class", "")},
                         {"status", job.value("status", "")}});
  json os = {{"id", facts.os_id}, {"version_id", facts.os_version}, {"name", facts.os_name},
             {"id_like", facts.os_id_like}};
  return {{"id", in.id},
          {"submission_id", in.submission_id},
          {"bundle_sha256", in.bundle_sha256},
          {"status", "active"},
          {"vendor", facts.vendor},
          {"product", facts.product},
          {"model", facts.model},
          {"kind", facts.kind},
          {"classes", facts.classes},
          {"os", os},
          {"arch", facts.arch},
          {"issued", in.issued},
          {"hardware",
           {{"system",
             {{"vendor", facts.vendor},
              {"product", facts.product},
              {"board", str_at(inv, {"system", "baseboard", "product_name"})}}},
            {"devices", devices}}},
          {"tests", tests},
          {"summary", {{"pass", facts.pass}, {"fail", facts.fail}, {"skip", facts.skip}}},
          {"extensions", json::array()}};
}

}  // namespace certify::certdb
