// ras.aer: PCIe Advanced Error Reporting. Every function with the AER
// capability exposes readable counters, root ports their totals; with the
// aer_inject module a correctable error injected on a device moves its
// counter, its root port's total and the kernel log.
#include <algorithm>

#include "testsuites/builtin.hpp"
#include "testsuites/ras/host.hpp"

namespace certify::suites {

namespace {

using ras::AerDevice;

// The nearest root port above `bdf` in the sysfs device path.
std::string root_port_of(const probe::Sysroot& root, const std::string& bdf, const std::vector<AerDevice>& devs) {
  auto path = root.resolve("/sys/bus/pci/devices/" + bdf);
  if (!path) return "";
  std::string best;
  for (const auto& d : devs) {
    if (!d.root_port) continue;
    if (path->find("/" + d.bdf + "/") != std::string::npos) best = d.bdf;  // deeper ports come later in the path
  }
  return best;
}

std::uint64_t counter(const std::optional<ras::AerCounters>& c, const std::string& name) {
  if (!c) return 0;
  auto it = c->find(name);
  return it == c->end() ? 0 : it->second;
}

const AerDevice* find(const std::vector<AerDevice>& devs, const std::string& bdf) {
  for (const auto& d : devs)
    if (d.bdf == bdf) return &d;
  return nullptr;
}

}  // namespace

TestResult ras_aer(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  TestResult r = TestResult::pass();
  auto devs = ras::read_aer_devices(root);
  std::vector<std::string> bad;
  // Functions whose config space shows the AER capability (readable past
  // 256 bytes only as root) but that the kernel gives no counters.
  int with_cap = 0, config_read = 0;
  for (const auto& bdf : root.list("/sys/bus/pci/devices")) {
    auto cfg = root.read("/sys/bus/pci/devices/" + bdf + "/config", 4096);
    if (!cfg || cfg->size() <= 0x100) continue;
    ++config_read;
    if (!ras::pcie_has_ext_cap({reinterpret_cast<const std::uint8_t*>(cfg->data()), cfg->size()}, ras::k_ext_cap_aer)) continue;
    ++with_cap;
    auto* d = find(devs, bdf);
    if (!d || !d->correctable || !d->fatal || !d->nonfatal)
      bad.push_back(bdf + " has the AER capability but no aer_dev_* counters (AER not managed by the OS: firmware-first or pci=noaer)");
  }
  int ports = 0;
  for (const auto& d : devs) {
    for (const auto& e : d.errors) bad.push_back(d.bdf + ": " + e);
    if (d.root_port) {
      ++ports;
      if (d.rootport.size() != 3) bad.push_back(d.bdf + ": root port without all three aer_rootport_total_err_* counters");
    }
    ctx.out() << d.bdf << (d.root_port ? " (root port)" : "") << ": correctable " << counter(d.correctable, "TOTAL_ERR_COR")
              << ", nonfatal " << counter(d.nonfatal, "TOTAL_ERR_NONFATAL") << ", fatal " << counter(d.fatal, "TOTAL_ERR_FATAL") << '\n';
  }
  r.metrics["aer_functions"] = devs.size();
  r.metrics["aer_root_ports"] = ports;
  r.metrics["aer_capability_in_config"] = with_cap;
  if (devs.empty() && with_cap == 0)
    return TestResult::skip("no PCIe function with the AER capability (no aer_dev_* counters in sysfs" +
                            std::string(config_read ? ")" : "; config space beyond 256 bytes needs root)"));
  if (config_read == 0) r.messages.push_back("config space not readable past 256 bytes (needs root): capability cross-check skipped");
  for (const auto& d : devs) {
    std::uint64_t fatal = counter(d.fatal, "TOTAL_ERR_FATAL"), nonfatal = counter(d.nonfatal, "TOTAL_ERR_NONFATAL");
    if (fatal || nonfatal)
      r.messages.push_back(d.bdf + " has recorded uncorrectable errors: " + std::to_string(fatal) + " fatal, " +
                           std::to_string(nonfatal) + " non-fatal");
  }
  if (!bad.empty()) {
    std::string why;
    for (const auto& b : bad) why += (why.empty() ? "" : "; ") + b;
    return TestResult{Outcome::fail, why, r.metrics, r.messages};
  }

  // Injection: a device (not a port) with counters under a root port with counters.
  std::string why_not;
  std::string target = ctx.param("target"), port;
  if (target.empty())
    for (const auto& d : devs)
      if (!d.root_port && d.correctable && !(port = root_port_of(root, d.bdf, devs)).empty()) {
        target = d.bdf;
        break;
      }
  if (!target.empty() && port.empty()) port = root_port_of(root, target, devs);
  if (auto w = ras::need_live(root); !w.empty()) why_not = "injection " + w;
  else if (auto w2 = ras::need_root("/dev/aer_inject"); !w2.empty()) why_not = w2;
  else if (target.empty()) why_not = "no device with AER counters below a root port with AER";
  else if (!find(devs, target)) why_not = "target " + target + " has no AER counters";
  r.metrics["injected"] = false;
  if (!why_not.empty()) {
    r.messages.push_back("no injection: " + why_not);
    r.reason = "AER counters readable on " + std::to_string(devs.size()) + " functions; " + why_not;
    return r;
  }
  const auto* before = find(devs, target);
  const auto* port_before = find(devs, port);
  std::uint64_t rx0 = counter(before->correctable, "RxErr"), tot0 = counter(before->correctable, "TOTAL_ERR_COR");
  std::uint64_t port0 = port_before ? port_before->rootport.at("total_err_cor") : 0;
  ras::KmsgCursor kmsg;
  if (auto st = ras::aer_inject(root, target, ras::k_aer_cor_receiver_error, 0); !st) {
    r.messages.push_back("no injection: " + st.message());
    r.reason = "AER counters readable; injection not possible: " + st.message();
    return r;
  }
  r.metrics["injected"] = true;
  r.metrics["target"] = target;
  r.metrics["root_port"] = port;
  std::uint64_t rx1 = rx0, tot1 = tot0, port1 = port0;
  ras::wait_until(
      [&] {
        auto now = ras::read_aer_devices(root);
        if (auto* d = find(now, target)) {
          rx1 = counter(d->correctable, "RxErr");
          tot1 = counter(d->correctable, "TOTAL_ERR_COR");
        }
        if (auto* p = find(now, port)) port1 = p->rootport.count("total_err_cor") ? p->rootport.at("total_err_cor") : port1;
        return rx1 > rx0 && port1 > port0;
      },
      std::chrono::seconds(5));
  bool logged = false;
  for (const auto& rec : kmsg.read_new()) {
    ctx.out() << "kmsg: " << rec.message << '\n';
    if (rec.message.find(target) != std::string::npos && rec.message.find("Corrected") != std::string::npos) logged = true;
  }
  r.metrics["rxerr_delta"] = rx1 - rx0;
  r.metrics["total_err_cor_delta"] = tot1 - tot0;
  r.metrics["root_port_total_err_cor_delta"] = port1 - port0;
  r.metrics["logged"] = logged;
  if (rx1 - rx0 != 1) bad.push_back(target + " RxErr moved by " + std::to_string(rx1 - rx0) + ", expected 1");
  if (tot1 - tot0 != 1) bad.push_back(target + " TOTAL_ERR_COR moved by " + std::to_string(tot1 - tot0) + ", expected 1");
  if (port1 - port0 != 1) bad.push_back("root port " + port + " aer_rootport_total_err_cor moved by " + std::to_string(port1 - port0) + ", expected 1");
  if (!kmsg.ok()) r.messages.push_back("kernel log not checked: " + kmsg.error());
  else if (!logged) bad.push_back("no 'Corrected' AER message naming " + target + " in the kernel log");

  if (ctx.destructive && bad.empty()) {
    // Uncorrectable, normally non-fatal: the driver's error recovery runs.
    std::uint64_t nf0 = counter(find(devs, target)->nonfatal, "TOTAL_ERR_NONFATAL") + counter(find(devs, target)->fatal, "TOTAL_ERR_FATAL");
    if (auto st = ras::aer_inject(root, target, 0, ras::k_aer_unc_completion_timeout); !st) {
      r.messages.push_back("uncorrectable injection rejected: " + st.message());
    } else {
      std::uint64_t nf1 = nf0;
      ras::wait_until(
          [&] {
            auto now = ras::read_aer_devices(root);
            if (auto* d = find(now, target)) nf1 = counter(d->nonfatal, "TOTAL_ERR_NONFATAL") + counter(d->fatal, "TOTAL_ERR_FATAL");
            return nf1 > nf0;
          },
          std::chrono::seconds(10));
      r.metrics["uncorrectable_delta"] = nf1 - nf0;
      if (nf1 - nf0 != 1) bad.push_back("uncorrectable error on " + target + " moved the counters by " + std::to_string(nf1 - nf0));
      bool alive = root.exists("/sys/bus/pci/devices/" + target);
      if (!alive) bad.push_back(target + " vanished after the uncorrectable error");
    }
  }
  if (!bad.empty()) {
    std::string why;
    for (const auto& b : bad) why += (why.empty() ? "" : "; ") + b;
    return TestResult{Outcome::fail, why, r.metrics, r.messages};
  }
  r.reason = "correctable RxErr injected on " + target + ": device counter, root port " + port + " total and kernel log moved";
  return r;
}

}  // namespace certify::suites
