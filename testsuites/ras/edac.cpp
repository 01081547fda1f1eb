// ras.edac: EDAC memory controllers and DIMMs are present, labelled and
// consistent with SMBIOS; no uncorrected errors recorded; the corrected
// error rate is reported.
#include <algorithm>

#include "testsuites/builtin.hpp"
#include "testsuites/ras/host.hpp"

namespace certify::suites {

TestResult ras_edac(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  auto snap = ras::read_edac(root);
  if (snap.mcs.empty()) {
    std::string why = root.exists("/sys/devices/system/edac/mc")
                          ? "no EDAC memory controller registered: no EDAC driver for this memory controller is loaded"
                          : "no /sys/devices/system/edac/mc: kernel without EDAC (CONFIG_EDAC)";
    return TestResult::skip(why);
  }
  std::vector<std::string> bad;
  for (const auto& w : snap.warnings) bad.push_back(w);
  int dimms = 0, populated = 0;
  for (const auto& mc : snap.mcs) {
    ctx.out() << mc.name << " (" << mc.mc_name << "): " << mc.size_mb << " MB, CE " << mc.ce_count << ", UE " << mc.ue_count << '\n';
    if (mc.dimms.empty()) bad.push_back(mc.name + " has no DIMMs");
    for (const auto& d : mc.dimms) {
      ++dimms;
      if (d.size_mb > 0) ++populated;
      ctx.out() << "  " << d.name << " '" << d.label << "' " << d.location << " " << d.size_mb << " MB, CE " << d.ce_count
                << ", UE " << d.ue_count << '\n';
      if (d.size_mb > 0 && d.label.empty()) bad.push_back(mc.name + "/" + d.name + " has no dimm_label");
      if (d.ue_count > 0) bad.push_back(mc.name + "/" + d.name + " (" + d.label + ") recorded " + std::to_string(d.ue_count) + " uncorrected errors");
    }
    if (mc.ue_count > 0 || mc.ue_noinfo_count > 0)
      bad.push_back(mc.name + " recorded " + std::to_string(mc.ue_count + mc.ue_noinfo_count) + " uncorrected errors");
  }
  std::vector<std::string> smw;
  auto smbios = ras::read_smbios_dimms(root, smw);
  int smbios_populated = 0;
  for (const auto& d : smbios) smbios_populated += d.populated ? 1 : 0;
  for (const auto& w : smw) r.messages.push_back("SMBIOS: " + w);
  if (!smbios.empty() && smbios_populated != populated)
    bad.push_back("EDAC sees " + std::to_string(populated) + " populated DIMMs, SMBIOS type 17 lists " + std::to_string(smbios_populated));
  if (smbios.empty()) r.messages.push_back("no SMBIOS type 17 entries in /sys/firmware/dmi/entries: DIMM count not cross-checked");
  std::int64_t secs = 0;
  for (const auto& mc : snap.mcs) secs = std::max(secs, mc.seconds_since_reset);
  r.metrics["memory_controllers"] = snap.mcs.size();
  r.metrics["dimms"] = dimms;
  r.metrics["dimms_populated"] = populated;
  r.metrics["smbios_dimms_populated"] = smbios_populated;
  r.metrics["ce_count"] = snap.total_ce();
  r.metrics["ue_count"] = snap.total_ue();
  r.metrics["ce_per_hour"] = secs > 0 ? static_cast<double>(snap.total_ce()) * 3600.0 / static_cast<double>(secs) : 0.0;
  if (!bad.empty()) {
    std::string why;
    for (const auto& b : bad) why += (why.empty() ? "" : "; ") + b;
    return TestResult{Outcome::fail, why, r.metrics, r.messages};
  }
  r.reason = std::to_string(snap.mcs.size()) + " memory controllers, " + std::to_string(populated) +
             " labelled DIMMs matching SMBIOS, no uncorrected errors, " + std::to_string(snap.total_ce()) + " corrected";
  return r;
}

}  // namespace certify::suites
