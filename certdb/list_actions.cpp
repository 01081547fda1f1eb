// Extension and withdrawal of certificates: checks against the record's own
// hardware facts, so an extension cannot claim hardware that was not tested.
#include "certdb/list_actions.hpp"

#include <cctype>

namespace certify::certdb {

using nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// PCI IDs compare as hex numbers: "0x8086" and "8086" are the same.
std::string pci_id(std::string s) {
  s = lower(s);
  if (s.rfind("0x", 0) == 0) s.erase(0, 2);
  while (s.size() > 1 && s.front() == '0') s.erase(0, 1);
  return s;
}

}  // namespace

Result<json> extend_certificate(const json& record, const json& request, const std::string& by,
                                const std::string& date) {
  if (!record.is_object()) return make_error("no certificate record");
  if (!request.is_object()) return make_error("the extension request is not a JSON object");
  if (str(record, "status") != "active") return make_error("a withdrawn certificate cannot be extended");
  std::string kind = str(request, "kind"), basis = str(request, "basis");
  if (basis.empty()) return make_error("an extension needs its basis");
  json ext = {{"kind", kind}, {"by", by}, {"date", date}};
  json existing = record.value("extensions", json::array());
  if (!existing.is_array()) existing = json::array();
  const json hw = record.value("hardware", json::object());
  if (kind == "product") {
    std::string product = str(request, "product"), model = str(request, "model");
    if (product.empty()) return make_error("a product extension names the product");
    if (product == str(record, "product") && model == str(record, "model"))
      return make_error("the certificate already covers " + product);
    std::string evidence;
    if (str(record, "kind") == "system") {
      std::string board = str(request, "board");
      std::string tested = hw.is_object() && hw.contains("system") ? str(hw["system"], "board") : "";
      if (board.empty()) return make_error("a system extension names the board it shares");
      if (tested.empty()) return make_error("the certificate records no board to compare with");
      if (board != tested) return make_error("board '" + board + "' is not the tested board '" + tested + "'");
      evidence = "same board " + tested;
    } else {
      auto pci = request.find("pci");
      if (pci == request.end() || !pci->is_object())
        return make_error("a component extension gives the shared PCI IDs (vendor, device, subsystem)");
      const char* keys[] = {"vendor_id", "device_id", "subsystem_vendor_id", "subsystem_device_id"};
      for (const char* k : keys)
        if (str(*pci, k).empty()) return make_error(std::string("the PCI IDs lack ") + k);
      bool found = false;
      if (hw.is_object() && hw.contains("devices") && hw["devices"].is_array())
        for (const auto& d : hw["devices"]) {
          bool same = d.is_object();
          for (const char* k : keys) same = same && pci_id(str(d, k)) == pci_id(str(*pci, k));
          found = found || same;
        }
      if (!found) return make_error("no tested device has PCI IDs " + str(*pci, "vendor_id") + ":" + str(*pci, "device_id") +
                                    " " + str(*pci, "subsystem_vendor_id") + ":" + str(*pci, "subsystem_device_id"));
      evidence = "same PCI IDs " + pci_id(str(*pci, "vendor_id")) + ":" + pci_id(str(*pci, "device_id")) + " " +
                 pci_id(str(*pci, "subsystem_vendor_id")) + ":" + pci_id(str(*pci, "subsystem_device_id"));
    }
    for (const auto& x : existing)
      if (str(x, "kind") == "product" && str(x, "product") == product && str(x, "model") == model)
        return make_error("the certificate is already extended to " + product);
    ext["product"] = product;
    ext["model"] = model;
    ext["basis"] = basis + " (" + evidence + ")";
  } else if (kind == "os") {
    auto os = request.find("os");
    if (os == request.end() || !os->is_object() || str(*os, "id").empty() || str(*os, "version_id").empty())
      return make_error("an OS extension names os.id and os.version_id");
    std::string id = lower(str(*os, "id")), version = str(*os, "version_id");
    const json tested = record.value("os", json::object());
    if (lower(str(tested, "id")) == id && str(tested, "version_id") == version)
      return make_error("the certificate was tested on " + id + " " + version);
    for (const auto& x : existing)
      if (str(x, "kind") == "os" && x.contains("os") && lower(str(x["os"], "id")) == id && str(x["os"], "version_id") == version)
        return make_error("the certificate is already extended to " + id + " " + version);
    ext["os"] = {{"id", id}, {"version_id", version}};
    ext["basis"] = basis;
  } else {
    return make_error("extension kind must be \"product\" or \"os\"");
  }
  json out = record;
  existing.push_back(ext);
  out["extensions"] = existing;
  return out;
}

Result<json> withdraw_certificate(const json& record, const std::string& reason, const std::string& by,
                                  const std::string& date) {
  if (!record.is_object()) return make_error("no certificate record");
  if (str(record, "status") == "withdrawn") return make_error("the certificate is already withdrawn");
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos) return make_error("a withdrawal needs a reason");
  json out = record;
  out["status"] = "withdrawn";
  out["withdrawn"] = {{"reason", reason}, {"by", by}, {"date", date}};
  return out;
}

}  // namespace certify::certdb
