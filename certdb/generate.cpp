// Synthetic certificates: fixed tables of vendors, OSes and device classes,
// picked with a seeded mt19937_64 (whose output the standard fixes, unlike
// the distributions').
#include "certdb/generate.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace certify::certdb {

namespace {

struct Os {
  const char* id;
  const char* version;
  const char* name;
  std::vector<const char*> like;
};

const std::vector<Os> k_oses = {
    {"openeuler", "22.03", "openEuler 22.03 (LTS-SP4)", {"rhel", "fedora"}},
    {"openeuler", "24.03", "openEuler 24.03 (LTS)", {"rhel", "fedora"}},
    {"rocky", "9.4", "Rocky Linux 9.4 (Blue Onyx)", {"rhel", "centos", "fedora"}},
    {"almalinux", "9.4", "AlmaLinux 9.4 (Seafoam Ocelot)", {"rhel", "centos", "fedora"}},
    {"anolis", "8.8", "Anolis OS 8.8", {"rhel", "centos", "fedora"}},
    {"debian", "12", "Debian GNU/Linux 12 (bookworm)", {}},
    {"ubuntu", "22.04", "Ubuntu 22.04.4 LTS", {"debian"}},
    {"ubuntu", "24.04", "Ubuntu 24.04 LTS", {"debian"}},
    {"sles", "15.5", "SUSE Linux Enterprise Server 15 SP5", {"suse"}},
    {"kylin", "V10", "Kylin Linux Advanced Server V10 (Halberd)", {}},
};
const std::array<const char*, 12> k_vendors = {"Contoso", "Fabrikam", "Northwind", "Tailspin", "Litware",
                                               "Proseware", "Adatum", "Wingtip", "Lucerne", "Margie",
                                               "Trey Research", "Woodgrove"};
const std::array<const char*, 6> k_arches = {"x86_64", "x86_64", "x86_64", "aarch64", "aarch64", "loongarch64"};
const std::array<const char*, 9> k_classes = {"cpu", "memory", "nic", "nvme", "hba", "gpu", "dpu", "disk", "usb"};
struct Device {
  const char* cls;
  const char* vendor_id;
  const char* device_id;
  const char* vendor;
  const char* name;
  const char* driver;
};
const std::array<Device, 7> k_devices = {{
    {"nic", "8086", "10d3", "Intel Corporation", "82574L Gigabit Network Connection", "e1000e"},
    {"nvme", "144d", "a80a", "Samsung Electronics Co Ltd", "NVMe SSD Controller PM9A1/PM9A3/980PRO", "nvme"},
    {"hba", "1000", "0097", "Broadcom / LSI", "SAS3008 PCI-Express Fusion-MPT SAS-3", "mpt3sas"},
    {"gpu", "10de", "20b0", "NVIDIA Corporation", "GA100 [A100 SXM4 40GB]", "nvidia"},
    {"dpu", "15b3", "a2d6", "Mellanox Technologies", "MT42822 BlueField-2 integrated ConnectX-6 Dx", "mlx5_core"},
    {"disk", "1af4", "1001", "Red Hat, Inc.", "Virtio block device", "virtio_blk"},
    {"usb", "8086", "a0ed", "Intel Corporation", "Tiger Lake-LP USB 3.2 Gen 2x1 xHCI", "xhci_hcd"},
}};

std::string date_of(long day) {  // days since 1970-01-01 -> YYYY-MM-DD (civil calendar)
  long z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04ld-%02ld-%02ld", y + (m <= 2), m, d);
  return buf;
}

}  // namespace

void generate_certificates(std::size_t count, std::uint64_t seed,
                           const std::function<void(const nlohmann::json&)>& sink) {
  using nlohmann::json;
  std::mt19937_64 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const long first_day = 18414;  // 2020-06-01
  const long span = 2200;        // about six years of issues
  for (std::size_t n = 1; n <= count; ++n) {
    long day = first_day + static_cast<long>((n - 1) * static_cast<std::size_t>(span) / std::max<std::size_t>(count, 1));
    std::string issued = date_of(day);
    char id[40];
    std::snprintf(id, sizeof id, "CERT-%s-%07zu", issued.substr(0, 4).c_str(), n);
    const char* vendor = k_vendors[pick(k_vendors.size())];
    bool system = pick(10) < 7;
    unsigned series = static_cast<unsigned>(100 + pick(90)) * 10;
    std::string product = std::string(system ? "Server " : "Card ") + vendor[0] + std::to_string(series);
    std::string model = product + "-" + (system ? std::to_string(1 + pick(4)) + "U" : "r" + std::to_string(pick(9)));
    const Os& os = k_oses[pick(k_oses.size())];
    json classes = json::array(), devices = json::array(), tests = json::array();
    std::size_t nclasses = 1 + pick(3);
    std::size_t first = system ? 0 : 2;
    long pass = 0, fail = 0, skip = 0;
    for (std::size_t c = 0; c < nclasses; ++c) {
      std::string cls = k_classes[first + (pick(k_classes.size() - first))];
      if (std::find(classes.begin(), classes.end(), cls) != classes.end()) continue;
      classes.push_back(cls);
      for (const auto& d : k_devices)
        if (cls == d.cls)
          devices.push_back({{"class", cls}, {"vendor_id", d.vendor_id}, {"device_id", d.device_id},
                             {"subsystem_vendor_id", d.vendor_id}, {"subsystem_device_id", "0001"},
                             {"vendor", d.vendor}, {"name", d.name}, {"driver", d.driver}});
      std::size_t ntests = 1 + pick(3);
      for (std::size_t t = 0; t < ntests; ++t) {
        std::string status = pick(12) == 0 ? "skip" : "pass";
        (status == "pass" ? pass : skip)++;
        tests.push_back({{"id", cls + ".check" + std::to_string(t + 1) + "@0000:0" + std::to_string(c) + ":00.0"},
                         {"class", cls},
                         {"status", status}});
      }
    }
    json rec = {{"id", id},
                {"submission_id", "SUB-" + std::to_string(n)},
                {"bundle_sha256", std::string(64, "0123456789abcdef"[n % 16])},
                {"status", "active"},
                {"vendor", vendor},
                {"product", product},
                {"model", model},
                {"kind", system ? "system" : "component"},
                {"classes", classes},
                {"os", {{"id", os.id}, {"version_id", os.version}, {"name", os.name}, {"id_like", os.like}}},
                {"arch", k_arches[pick(k_arches.size())]},
                {"issued", issued},
                {"hardware",
                 {{"system", {{"vendor", vendor}, {"product", product}, {"board", product + "-MB"}}},
                  {"devices", devices}}},
                {"tests", tests},
                {"summary", {{"pass", pass}, {"fail", fail}, {"skip", skip}}},
                {"extensions", json::array()}};
    if (pick(20) == 0)
      rec["extensions"].push_back({{"kind", "product"}, {"product", product + "X"}, {"model", model + "X"},
                                   {"basis", "same board " + product + "-MB and PCI IDs"}, {"by", "reviewer1"},
                                   {"date", issued}});
    if (pick(20) == 0) {
      const Os& other = k_oses[pick(k_oses.size())];
      rec["extensions"].push_back({{"kind", "os"}, {"os", {{"id", other.id}, {"version_id", other.version}}},
                                   {"basis", "same kernel series and driver versions"}, {"by", "reviewer2"},
                                   {"date", issued}});
    }
    if (pick(100) == 0) {
      rec["status"] = "withdrawn";
      rec["withdrawn"] = {{"reason", "firmware defect found after issue"}, {"by", "reviewer3"}, {"date", issued}};
    }
    sink(rec);
  }
}

}  // namespace certify::certdb
