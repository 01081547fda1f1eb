// Helpers for the certdb tests: sample inventory/results documents and
// IngestInput values for store-level tests.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "certdb/certificate.hpp"
#include "certdb/store.hpp"
#include "core/files.hpp"

namespace certify::test {

struct SampleJob {
  std::string id, test, cls, status;
  bool blocker = false;
};

inline nlohmann::json sample_inventory() {
  return nlohmann::json::parse(R"JSON({
    "schema_version": 1, "tool_version": "0.1.0", "sysroot": "/",
    "system": {"system": {"manufacturer": "Contoso", "product_name": "HWLab-1000", "sku_number": "HWL-1000-2U"},
               "baseboard": {"product_name": "HWB-10"}},
    "os": {"id": "openeuler", "version_id": "24.03", "pretty_name": "openEuler 24.03 (LTS)", "id_like": "rhel fedora"},
    "cpu": {"arch": "x86_64"}, "memory": {}, "warnings": [],
    "devices": [
      {"id": "pci:0000:09:00.0", "class": "nic", "vendor_id": "0x8086", "device_id": "0x10d3",
       "subsystem_vendor_id": "0x8086", "subsystem_device_id": "0xa01f", "vendor": "Intel Corporation",
       "model": "82574L Gigabit Network Connection", "driver": "e1000e", "props": {}},
      {"id": "pci:0000:00:1f.2", "class": "hba", "vendor_id": "0x8086", "device_id": "0x2922",
       "vendor": "Intel Corporation", "model": "ICH9 AHCI", "driver": "ahci", "props": {}}
    ]})JSON");
}

inline nlohmann::json sample_results(const std::vector<SampleJob>& jobs) {
  nlohmann::json j = {{"schema_version", 1}, {"run_id", "run-1"}, {"tool_version", "0.1.0"},
                      {"started", nullptr}, {"finished", nullptr},
                      {"host", {{"system", nlohmann::json::object()}, {"os", nlohmann::json::object()},
                                {"cpu", nlohmann::json::object()}}},
                      {"jobs", nlohmann::json::array()}};
  for (const auto& s : jobs)
    j["jobs"].push_back({{"id", s.id}, {"test", s.test}, {"suite", s.cls}, {"class", s.cls}, {"device", ""},
                         {"status", s.status}, {"blocker", s.blocker}, {"reason", ""}, {"started", nullptr},
                         {"finished", nullptr}, {"duration_s", 0}, {"exit_code", 0}, {"signal", nullptr},
                         {"attempts", 1}, {"metrics", nlohmann::json::object()},
                         {"logs", {{"stdout", "logs/" + s.id + "/stdout.log"},
                                   {"stderr", "logs/" + s.id + "/stderr.log"},
                                   {"result", "logs/" + s.id + "/result.json"}}}});
  return j;
}

// A new empty PostgreSQL database on the server named by $CERTDB_TEST_PG (an
// admin URL, set by tests/certdb_postgres.sh); returns its URL.
std::string fresh_postgres_db();

// An IngestInput whose "bundle" is `bytes` (store tests do not verify bundles).
inline certdb::IngestInput sample_ingest(const std::string& bytes, const std::vector<SampleJob>& jobs) {
  static thread_local std::vector<std::unique_ptr<std::string>> keep;  // bytes outlive the call
  keep.push_back(std::make_unique<std::string>(bytes));
  certdb::IngestInput in;
  in.bytes = *keep.back();
  in.sha256 = sha256_hex(bytes);
  in.signer = "SHA256:test";
  auto inv = sample_inventory();
  auto res = sample_results(jobs);
  in.inventory = inv.dump();
  in.results = res.dump();
  in.facts = certdb::bundle_facts(inv, res);
  return in;
}

}  // namespace certify::test
