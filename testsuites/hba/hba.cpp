// hba and fc suites: SCSI hosts, disks behind the adapter, rescan, FC ports;
// disk SMART through smartctl; gpu DRM nodes and modes through libdrm;
// dpu functions and firmware.
#include "testsuites/hba/hba.hpp"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "probe/sysroot.hpp"
#include "testsuites/common/fd.hpp"
#include "testsuites/common/live.hpp"

namespace certify::suites::hba {

namespace {

TestResult from_problems(const std::vector<std::string>& p) {
  TestResult t = p.empty() ? TestResult::pass() : TestResult::fail(p.front());
  for (std::size_t i = 1; i < p.size(); ++i) t.messages.push_back(p[i]);
  return t;
}

std::vector<std::string> split_speeds(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  std::string part;
  while (std::getline(is, part, ',')) {
    auto b = part.find_first_not_of(' ');
    auto e = part.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

TestResult check_hosts(bool bound, const std::string& driver, const std::vector<HostFacts>& hosts) {
  std::vector<std::string> p;
  if (!bound) p.push_back("the adapter is not bound to a driver");
  if (hosts.empty()) p.push_back("the adapter registered no SCSI host" + (driver.empty() ? std::string() : " (driver " + driver + ")"));
  for (const auto& h : hosts) {
    if (!h.present) p.push_back(h.name + " has disappeared");
    else if (!h.state.empty() && h.state != "running") p.push_back(h.name + " is in state " + h.state);
  }
  auto t = from_problems(p);
  t.metrics["scsi_hosts"] = hosts.size();
  return t;
}

TestResult check_disks(const std::set<std::string>& expected, const std::vector<DiskFacts>& present) {
  if (expected.empty() && present.empty()) return TestResult::skip("no disks are attached to the adapter");
  std::vector<std::string> p;
  std::set<std::string> names;
  for (const auto& d : present) {
    names.insert(d.name);
    if (d.size_bytes == 0) p.push_back(d.name + " reports size 0 (no medium or failed)");
    if (!d.state.empty() && d.state != "running") p.push_back(d.name + " is in state " + d.state);
  }
  for (const auto& e : expected)
    if (!names.count(e)) p.push_back(e + " was in the inventory but is gone");
  auto t = from_problems(p);
  t.metrics["disks"] = present.size();
  return t;
}

TestResult check_rescan(const std::set<std::string>& before, const std::set<std::string>& after, const std::string& err) {
  if (!err.empty()) return TestResult::fail("rescan: " + err);
  std::vector<std::string> p;
  for (const auto& d : before)
    if (!after.count(d)) p.push_back(d + " did not come back after the rescan");
  auto t = from_problems(p);
  t.metrics["disks_before"] = before.size();
  t.metrics["disks_after"] = after.size();
  return t;
}

TestResult check_fc_port(const FcPort& f) {
  if (f.port_state != "Online") return TestResult::fail(f.host + ": port state " + (f.port_state.empty() ? "unknown" : f.port_state) + ", not Online");
  auto sup = split_speeds(f.supported_speeds);
  if (f.speed.empty() || f.speed == "unknown") return TestResult::fail(f.host + ": online but at an unknown speed");
  if (!sup.empty() && std::find(sup.begin(), sup.end(), f.speed) == sup.end())
    return TestResult::fail(f.host + ": speed " + f.speed + " is not among the supported " + f.supported_speeds);
  TestResult t = TestResult::pass();
  if (!sup.empty() && sup.back() != f.speed) t.messages.push_back(f.host + " runs at " + f.speed + ", below its fastest " + sup.back());
  return t;
}

}  // namespace certify::suites::hba

namespace certify::suites::gpu {

TestResult check_drm_nodes(const std::vector<DrmNode>& nodes, const std::string& want, bool accel_only) {
  if (nodes.empty())
    return accel_only ? TestResult::skip("the accelerator exposes no DRM or accel node (driver without a DRM interface)")
                      : TestResult::fail("the GPU has no DRM card or render node");
  std::vector<std::string> p;
  for (const auto& n : nodes) {
    if (!n.error.empty()) p.push_back(n.path + ": " + n.error);
    else if (n.driver.empty()) p.push_back(n.path + ": DRM_IOCTL_VERSION names no driver");
    else if (!want.empty() && n.driver != want && want.find(n.driver) == std::string::npos && n.driver.find(want) == std::string::npos)
      p.push_back(n.path + ": DRM driver " + n.driver + " differs from the bound " + want);
  }
  auto t = p.empty() ? TestResult::pass() : TestResult::fail(p.front());
  for (std::size_t i = 1; i < p.size(); ++i) t.messages.push_back(p[i]);
  t.metrics["nodes"] = nodes.size();
  return t;
}

TestResult check_modes(const std::vector<Connector>& cs, const std::string& error) {
  if (!error.empty()) return TestResult::fail(error);
  if (cs.empty()) return TestResult::skip("the device has no display connectors (render or compute only)");
  std::vector<std::string> p;
  int connected = 0;
  for (const auto& c : cs) {
    if (!c.connected) continue;
    ++connected;
    if (c.modes == 0) p.push_back(c.name + " is connected but lists no modes");
  }
  if (connected == 0) return TestResult::skip("no connector has a display attached");
  auto t = p.empty() ? TestResult::pass() : TestResult::fail(p.front());
  t.metrics["connected"] = connected;
  return t;
}

}  // namespace certify::suites::gpu

namespace certify::suites::dpu {

TestResult check_functions(const std::vector<FunctionFacts>& fs) {
  if (fs.empty()) return TestResult::fail("the DPU lists no PCI functions");
  std::vector<std::string> p, notes;
  int ports = 0;
  for (const auto& f : fs) {
    bool network = f.pci_class.rfind("0x02", 0) == 0;
    if (!f.present) p.push_back(f.id + " has disappeared");
    else if (f.driver.empty() && network) p.push_back(f.id + " (network function) is not bound to a driver");
    else if (f.driver.empty()) notes.push_back(f.id + " (class " + f.pci_class + ", management) has no host driver");
    ports += static_cast<int>(f.netdevs.size());
  }
  if (p.empty() && ports == 0) p.push_back("no function of the DPU has a network port");
  TestResult t = p.empty() ? TestResult::pass() : TestResult::fail(p.front());
  for (std::size_t i = 1; i < p.size(); ++i) t.messages.push_back(p[i]);
  t.metrics["functions"] = fs.size();
  t.metrics["ports"] = ports;
  for (const auto& n : notes) t.messages.push_back(n);
  if (p.empty()) t.messages.push_back("its network ports are tested by the nic suite");
  return t;
}

TestResult check_firmware(const std::vector<FunctionFacts>& fs) {
  for (const auto& f : fs)
    if (!f.firmware.empty()) {
      TestResult t = TestResult::pass();
      t.messages.push_back("firmware " + f.firmware + " (" + f.id + ")");
      return t;
    }
  return TestResult::fail("no function of the DPU reports a firmware version (ethtool)");
}

}  // namespace certify::suites::dpu

namespace certify::suites {

namespace {

std::string address_of(const TestContext& ctx) {
  std::string id = ctx.device.value("id", ctx.device_id);
  return id.rfind("pci:", 0) == 0 ? id.substr(4) : "";
}

// Block disks (sdX, ...) whose device path runs through the PCI function.
std::vector<hba::DiskFacts> disks_behind(const probe::Sysroot& root, const std::string& address) {
  std::vector<hba::DiskFacts> out;
  for (const auto& b : root.list("/sys/block")) {
    auto real = root.resolve("/sys/block/" + b);
    if (!real || real->find("/" + address + "/") == std::string::npos) continue;
    hba::DiskFacts d;
    d.name = b;
    d.size_bytes = static_cast<std::uint64_t>(root.attr_int("/sys/block/" + b + "/size", 10).value_or(0)) * 512;
    d.state = root.attr("/sys/block/" + b + "/device/state").value_or("");
    out.push_back(d);
  }
  return out;
}

std::string ethtool_firmware(const std::string& ifname) {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.ok()) return "";
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  if (::ioctl(s.get(), SIOCETHTOOL, &ifr) != 0) return "";
  std::string fw(info.fw_version, strnlen(info.fw_version, sizeof info.fw_version));
  return fw == "N/A" ? "" : fw;
}

std::vector<dpu::FunctionFacts> dpu_functions(const TestContext& ctx, const probe::Sysroot& root) {
  std::vector<dpu::FunctionFacts> out;
  const auto& p = ctx.props();
  if (!p.contains("functions") || !p["functions"].is_array()) return out;
  for (const auto& f : p["functions"]) {
    if (!f.is_string()) continue;
    dpu::FunctionFacts ff;
    ff.id = f.get<std::string>();
    auto dir = "/sys/bus/pci/devices/" + ff.id.substr(ff.id.find(':') + 1);
    ff.present = root.exists(dir);
    ff.driver = root.link_name(dir + "/driver").value_or("");
    ff.pci_class = root.attr(dir + "/class").value_or("");
    ff.netdevs = root.list(dir + "/net");
    if (!ff.netdevs.empty() && root.is_live()) ff.firmware = ethtool_firmware(ff.netdevs.front());
    out.push_back(std::move(ff));
  }
  return out;
}

}  // namespace

TestResult hba_hosts(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  auto addr = address_of(ctx);
  if (addr.empty()) return TestResult::error("the device is not a PCI function");
  auto dir = "/sys/bus/pci/devices/" + addr;
  if (!root.exists(dir)) return TestResult::fail(addr + " has disappeared");
  std::vector<hba::HostFacts> hosts;
  const auto& p = ctx.props();
  if (p.contains("scsi_hosts") && p["scsi_hosts"].is_array())
    for (const auto& h : p["scsi_hosts"]) {
      hba::HostFacts f;
      f.name = h.get<std::string>();
      f.present = root.exists("/sys/class/scsi_host/" + f.name);
      f.state = root.attr("/sys/class/scsi_host/" + f.name + "/state").value_or("");
      hosts.push_back(f);
    }
  auto driver = root.link_name(dir + "/driver");
  return hba::check_hosts(driver.has_value(), driver.value_or(""), hosts);
}

TestResult hba_disks(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  auto addr = address_of(ctx);
  if (addr.empty()) return TestResult::error("the device is not a PCI function");
  std::set<std::string> expected;
  const auto& p = ctx.props();
  if (p.contains("disks") && p["disks"].is_array())
    for (const auto& d : p["disks"]) {
      auto s = d.get<std::string>();
      expected.insert(s.substr(s.find(':') + 1));  // "block:sdb"
    }
  auto present = disks_behind(root, addr);
  for (const auto& d : present) ctx.out() << d.name << ": " << (d.size_bytes >> 20) << " MiB, state " << d.state << '\n';
  return hba::check_disks(expected, present);
}

TestResult hba_rescan(TestContext& ctx) {
  if (auto e = require_live(ctx, "hba.rescan")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto addr = address_of(ctx);
  std::set<std::string> before, after;
  for (const auto& d : disks_behind(root, addr)) before.insert(d.name);
  std::string err;
  const auto& p = ctx.props();
  if (p.contains("scsi_hosts") && p["scsi_hosts"].is_array())
    for (const auto& h : p["scsi_hosts"]) {
      auto e = write_sysfs("/sys/class/scsi_host/" + h.get<std::string>() + "/scan", "- - -");
      if (!e.empty() && err.empty()) err = e;
    }
  for (int i = 0; i < 50; ++i) {  // the scan is synchronous; give udev-less removals a moment to show
    after.clear();
    for (const auto& d : disks_behind(root, addr)) after.insert(d.name);
    if (std::includes(after.begin(), after.end(), before.begin(), before.end())) break;
    ::usleep(100000);
  }
  return hba::check_rescan(before, after, err);
}

TestResult fc_port(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  const auto& p = ctx.props();
  hba::FcPort f;
  f.host = p.value("scsi_host", "");
  if (f.host.empty()) return TestResult::error("the device names no SCSI host (props.scsi_host)");
  auto dir = "/sys/class/fc_host/" + f.host;
  if (!root.exists(dir)) return TestResult::fail(f.host + ": the FC host has disappeared");
  f.port_state = root.attr(dir + "/port_state").value_or("");
  f.speed = root.attr(dir + "/speed").value_or("");
  f.supported_speeds = root.attr(dir + "/supported_speeds").value_or("");
  return hba::check_fc_port(f);
}

TestResult disk_smart(TestContext& ctx) {
  if (auto e = require_live(ctx, "disk.smart")) return *e;
  std::string name = ctx.props().value("block_device", "");
  if (name.empty()) return TestResult::error("the device has no block device (props.block_device)");
  auto tool = find_program("smartctl");
  if (tool.empty()) return TestResult::skip("smartctl is not installed (apt-get install smartmontools)");
  auto r = run_program({tool, "-j", "-H", "-i", "/dev/" + name}, 120);
  if (!r.error.empty()) return TestResult::fail(r.error);
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  if (j.is_discarded()) return TestResult::fail("smartctl printed no JSON (exit " + std::to_string(r.exit_code) + ")");
  // smartctl exit bits: 1 command line, 2 open failed, 4 SMART command failed, 8 disk failing.
  if (r.exit_code & 2) return TestResult::fail("smartctl cannot open /dev/" + name);
  if (!j.contains("smart_status")) return TestResult::skip("the device offers no SMART health status (" + name + ", e.g. a virtual disk)");
  bool passed = j["smart_status"].value("passed", false);
  return passed ? TestResult::pass() : TestResult::fail("SMART overall health: FAILED (the disk predicts its failure)");
}

TestResult gpu_drm(TestContext& ctx) {
  if (auto e = require_live(ctx, "gpu.drm")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto addr = address_of(ctx);
  auto dir = "/sys/bus/pci/devices/" + addr;
  if (!root.exists(dir)) return TestResult::fail(addr + " has disappeared");
  auto driver = root.link_name(dir + "/driver");
  if (!driver) return TestResult::fail(addr + " is not bound to a driver");
  std::vector<gpu::DrmNode> nodes;
  for (const auto& n : root.list(dir + "/drm")) {
    if (n.rfind("card", 0) != 0 && n.rfind("renderD", 0) != 0) continue;
    gpu::DrmNode node;
    node.path = "/dev/dri/" + n;
    Fd fd(::open(node.path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.ok()) node.error = std::string("open: ") + std::strerror(errno);
    else if (drmVersionPtr v = drmGetVersion(fd.get())) {
      node.driver = std::string(v->name, static_cast<std::size_t>(v->name_len));
      drmFreeVersion(v);
    } else node.error = std::string("DRM_IOCTL_VERSION: ") + std::strerror(errno);
    ctx.out() << node.path << ": " << (node.error.empty() ? node.driver : node.error) << '\n';
    nodes.push_back(node);
  }
  for (const auto& n : root.list(dir + "/accel")) {
    gpu::DrmNode node;
    node.path = "/dev/accel/" + n;
    Fd fd(::open(node.path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.ok()) node.error = std::string("open: ") + std::strerror(errno);
    else node.driver = *driver;
    nodes.push_back(node);
  }
  // The DRM driver name may differ from the PCI driver's (virtio_gpu on virtio-pci).
  std::string want = ctx.props().value("drm_driver", *driver);
  auto cls = ctx.props().value("class_code", "");
  return gpu::check_drm_nodes(nodes, want, cls.rfind("0x12", 0) == 0);
}

TestResult gpu_modes(TestContext& ctx) {
  if (auto e = require_live(ctx, "gpu.modes")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto addr = address_of(ctx);
  std::string card;
  for (const auto& n : root.list("/sys/bus/pci/devices/" + addr + "/drm"))
    if (n.rfind("card", 0) == 0) card = n;
  if (card.empty()) return gpu::check_modes({}, "");
  Fd fd(::open(("/dev/dri/" + card).c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.ok()) return gpu::check_modes({}, "open /dev/dri/" + card + ": " + std::strerror(errno));
  drmModeResPtr res = drmModeGetResources(fd.get());
  if (!res) {
    if (errno == EOPNOTSUPP || errno == EINVAL) return gpu::check_modes({}, "");  // no KMS: render-only
    return gpu::check_modes({}, std::string("DRM_IOCTL_MODE_GETRESOURCES: ") + std::strerror(errno));
  }
  std::vector<gpu::Connector> cs;
  for (int i = 0; i < res->count_connectors; ++i) {
    drmModeConnectorPtr c = drmModeGetConnector(fd.get(), res->connectors[i]);
    if (!c) continue;
    gpu::Connector g;
    g.name = std::string(drmModeGetConnectorTypeName(c->connector_type) ? drmModeGetConnectorTypeName(c->connector_type) : "?") + "-" +
             std::to_string(c->connector_type_id);
    g.connected = c->connection == DRM_MODE_CONNECTED;
    g.modes = c->count_modes;
    if (g.connected && c->count_modes > 0)
      ctx.out() << g.name << ": " << c->count_modes << " modes, preferred " << c->modes[0].hdisplay << "x" << c->modes[0].vdisplay << '\n';
    drmModeFreeConnector(c);
    cs.push_back(g);
  }
  drmModeFreeResources(res);
  return gpu::check_modes(cs, "");
}

TestResult gpu_vendor_tool(TestContext& ctx) {
  if (auto e = require_live(ctx, "gpu.vendor-tool")) return *e;
  std::string vendor = ctx.device.value("vendor_id", "");
  struct Tool {
    const char* vendor;
    const char* program;
    std::vector<std::string> args;
  };
  const Tool tools[] = {{"0x10de", "nvidia-smi", {"-q"}}, {"0x1002", "rocm-smi", {"--showproductname"}}};
  for (const auto& t : tools) {
    if (vendor != t.vendor) continue;
    auto path = find_program(t.program);
    if (path.empty()) return TestResult::skip(std::string(t.program) + " is not installed");
    std::vector<std::string> argv{path};
    argv.insert(argv.end(), t.args.begin(), t.args.end());
    auto r = run_program(argv, 120);
    if (!r.error.empty()) return TestResult::fail(r.error);
    if (r.exit_code != 0) return TestResult::fail(std::string(t.program) + " exited with " + std::to_string(r.exit_code));
    auto addr = address_of(ctx);
    std::string lower = r.output;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto bus = addr.substr(addr.find(':') + 1);  // "81:00.0"
    if (!bus.empty() && lower.find(bus) == std::string::npos)
      return TestResult::fail(std::string(t.program) + " does not list this GPU (" + addr + ")");
    return TestResult::pass();
  }
  return TestResult::skip("no vendor tool is known for vendor " + (vendor.empty() ? std::string("(none)") : vendor));
}

TestResult dpu_functions_test(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  return dpu::check_functions(dpu_functions(ctx, root));
}

TestResult dpu_firmware_test(TestContext& ctx) {
  if (auto e = require_live(ctx, "dpu.firmware")) return *e;
  probe::Sysroot root(ctx.sysroot);
  return dpu::check_firmware(dpu_functions(ctx, root));
}

}  // namespace certify::suites
