// nvme suite: Identify, SMART/Health log, Firmware Slot log, controller
// reset, PCIe link, fio queue-depth sweep; namespace read/write verify.
#include "testsuites/nvme/nvme.hpp"

#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "probe/probe.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/common/block_io.hpp"
#include "testsuites/common/fd.hpp"
#include "testsuites/common/live.hpp"
#include "testsuites/common/pcie_link.hpp"

namespace certify::suites::nvme {

namespace {

std::uint64_t le(std::span<const std::uint8_t> b, std::size_t off, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(b[off + i]) << (8 * i);
  return v;
}

std::string ascii(std::span<const std::uint8_t> b, std::size_t off, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(b[off + i]);
    if (c == '\0') break;
    s += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  auto b = s.find_first_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b);
}

}  // namespace

Result<SmartLog> parse_smart_log(std::span<const std::uint8_t> b) {
  if (b.size() < 512) return make_error("SMART log is " + std::to_string(b.size()) + " bytes, expected 512");
  SmartLog s;
  s.critical_warning = b[0];
  s.temperature_k = static_cast<int>(le(b, 1, 2));
  s.available_spare = b[3];
  s.spare_threshold = b[4];
  s.percent_used = b[5];
  s.power_on_hours = le(b, 128, 8);
  s.unsafe_shutdowns = le(b, 144, 8);
  s.media_errors = le(b, 168, 8) ? ~0ULL : le(b, 160, 8);
  s.error_log_entries = le(b, 184, 8) ? ~0ULL : le(b, 176, 8);
  return s;
}

TestResult check_smart(const SmartLog& s) {
  std::vector<std::string> problems;
  // Critical Warning bits (NVMe Base Spec, SMART / Health log byte 0).
  constexpr const char* k_bits[] = {
      "available spare below threshold", "temperature outside the thresholds", "NVM subsystem reliability degraded",
      "media placed in read-only mode", "volatile memory backup failed", "persistent memory region read-only or unreliable"};
  for (int i = 0; i < 6; ++i)
    if (s.critical_warning & (1u << i)) problems.push_back(std::string("critical warning: ") + k_bits[i]);
  if (s.critical_warning & 0xc0) problems.push_back("critical warning: reserved bits set (0x" + std::to_string(s.critical_warning) + ")");
  if (s.spare_threshold > 0 && s.available_spare < s.spare_threshold)
    problems.push_back("available spare " + std::to_string(s.available_spare) + "% below the threshold " + std::to_string(s.spare_threshold) + "%");
  if (s.percent_used >= 100) problems.push_back("rated endurance used up (" + std::to_string(s.percent_used) + "%)");
  if (s.media_errors > 0) problems.push_back(std::to_string(s.media_errors) + " media and data integrity error(s)");
  TestResult t = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) t.messages.push_back(problems[i]);
  t.metrics["critical_warning"] = s.critical_warning;
  if (s.temperature_k > 0) t.metrics["temperature_c"] = s.temperature_k - 273;
  t.metrics["available_spare_percent"] = s.available_spare;
  t.metrics["percent_used"] = s.percent_used;
  t.metrics["media_errors"] = s.media_errors;
  t.metrics["error_log_entries"] = s.error_log_entries;
  t.metrics["power_on_hours"] = s.power_on_hours;
  t.metrics["unsafe_shutdowns"] = s.unsafe_shutdowns;
  return t;
}

Result<FwLog> parse_fw_log(std::span<const std::uint8_t> b) {
  if (b.size() < 512) return make_error("firmware slot log is " + std::to_string(b.size()) + " bytes, expected 512");
  FwLog f;
  f.active_slot = b[0] & 0x7;
  f.next_slot = (b[0] >> 4) & 0x7;
  for (std::size_t i = 0; i < 7; ++i) f.revisions[i] = ascii(b, 8 + 8 * i, 8);
  return f;
}

TestResult check_fw_log(const FwLog& f, const std::string& fr) {
  if (f.active_slot < 1 || f.active_slot > 7)
    return TestResult::fail("firmware log names no active slot (AFI slot " + std::to_string(f.active_slot) + ")");
  const auto& rev = f.revisions[static_cast<std::size_t>(f.active_slot - 1)];
  if (rev.empty()) return TestResult::fail("active firmware slot " + std::to_string(f.active_slot) + " holds no revision");
  if (!fr.empty() && rev != fr)
    return TestResult::fail("active slot " + std::to_string(f.active_slot) + " runs " + rev + " but Identify reports " + fr);
  TestResult t = TestResult::pass();
  t.metrics["active_slot"] = f.active_slot;
  if (f.next_slot) t.messages.push_back("slot " + std::to_string(f.next_slot) + " activates at the next reset");
  t.messages.push_back("firmware " + rev + " in slot " + std::to_string(f.active_slot));
  return t;
}

Result<IdentifyFacts::Ns> parse_identify_ns(std::uint32_t nsid, std::span<const std::uint8_t> b) {
  if (b.size() < 4096) return make_error("Identify Namespace data is " + std::to_string(b.size()) + " bytes, expected 4096");
  IdentifyFacts::Ns n;
  n.nsid = nsid;
  n.size_blocks = le(b, 0, 8);
  unsigned nlbaf = b[25];
  unsigned flbas = b[26];
  unsigned idx = (flbas & 0xf) | ((flbas >> 1) & 0x30);
  if (idx > nlbaf || idx >= 64) return make_error("namespace " + std::to_string(nsid) + ": formatted LBA format " + std::to_string(idx) + " beyond NLBAF " + std::to_string(nlbaf));
  n.lba_shift = b[128 + 4 * idx + 2];
  return n;
}

TestResult check_identify(const IdentifyFacts& f) {
  std::vector<std::string> problems;
  const auto& c = f.controller;
  auto str = [&](const char* k) { return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : std::string(); };
  if (str("serial").empty()) problems.push_back("Identify Controller has an empty serial number");
  else if (!f.sysfs_serial.empty() && str("serial") != f.sysfs_serial) problems.push_back("serial " + str("serial") + " differs from sysfs " + f.sysfs_serial);
  if (str("model").empty()) problems.push_back("Identify Controller has an empty model number");
  else if (!f.sysfs_model.empty() && str("model") != f.sysfs_model) problems.push_back("model " + str("model") + " differs from sysfs " + f.sysfs_model);
  if (str("firmware").empty()) problems.push_back("Identify Controller has an empty firmware revision");
  if (!f.pci_vendor.empty() && str("vid") != f.pci_vendor) problems.push_back("PCI vendor id " + str("vid") + " differs from the function's " + f.pci_vendor);
  if (f.active_nsids.empty()) problems.push_back("no active namespace");
  if (f.active_nsids.size() != f.sysfs_namespaces)
    problems.push_back(std::to_string(f.active_nsids.size()) + " active namespace(s) but the kernel shows " + std::to_string(f.sysfs_namespaces));
  std::uint64_t nn = c.contains("namespaces") && c["namespaces"].is_number() ? c["namespaces"].get<std::uint64_t>() : 0;
  for (auto id : f.active_nsids)
    if (nn && id > nn) problems.push_back("namespace id " + std::to_string(id) + " above NN " + std::to_string(nn));
  for (const auto& n : f.namespaces) {
    if (n.size_blocks == 0) problems.push_back("namespace " + std::to_string(n.nsid) + " has size 0");
    if (n.lba_shift < 9 || n.lba_shift > 16) problems.push_back("namespace " + std::to_string(n.nsid) + " has LBA size 2^" + std::to_string(n.lba_shift));
  }
  TestResult t = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) t.messages.push_back(problems[i]);
  t.metrics["namespaces"] = f.active_nsids.size();
  return t;
}

Result<SweepPoint> parse_fio_json(int depth, const std::string& text) {
  auto start = text.find('{');  // fio may print notes before its JSON
  if (start == std::string::npos) return make_error("fio printed no JSON");
  auto j = nlohmann::json::parse(text.substr(start), nullptr, false);
  if (j.is_discarded() || !j.contains("jobs") || !j["jobs"].is_array() || j["jobs"].empty())
    return make_error("fio JSON has no jobs");
  SweepPoint p;
  p.depth = depth;
  // Types checked before reading: nlohmann's value() throws on a mismatch.
  for (const auto& job : j["jobs"]) {
    if (!job.is_object()) return make_error("fio JSON has a job that is not an object");
    if (auto r = job.find("read"); r != job.end() && r->is_object())
      if (auto i = r->find("iops"); i != r->end() && i->is_number()) p.iops += i->get<double>();
    if (auto e = job.find("error"); e != job.end()) {
      if (!e->is_number_integer()) return make_error("fio JSON has a job whose error is not a number");
      p.errors += e->get<int>();
    }
  }
  return p;
}

TestResult check_sweep(const std::vector<SweepPoint>& pts) {
  if (pts.empty()) return TestResult::fail("no queue depth was measured");
  TestResult t;
  std::vector<std::string> problems;
  for (const auto& p : pts) {
    t.metrics["qd" + std::to_string(p.depth) + "_iops"] = p.iops;
    if (p.errors) problems.push_back("depth " + std::to_string(p.depth) + ": fio reported IO errors");
    if (p.iops <= 0) problems.push_back("depth " + std::to_string(p.depth) + ": no IOs completed");
  }
  double qd1 = pts.front().iops;
  for (const auto& p : pts)
    if (p.depth > pts.front().depth && p.iops < qd1 * 0.9)
      problems.push_back("depth " + std::to_string(p.depth) + " gives " + std::to_string(static_cast<long>(p.iops)) +
                         " IOPS, less than depth " + std::to_string(pts.front().depth) + "'s " + std::to_string(static_cast<long>(qd1)));
  TestResult r = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) r.messages.push_back(problems[i]);
  r.metrics = t.metrics;
  return r;
}

}  // namespace certify::suites::nvme

namespace certify::suites {

using namespace nvme;

namespace {

std::string controller_of(const TestContext& ctx) {
  const auto& p = ctx.props();
  return p.value("controller", "");
}

// An admin command; returns "" or the error (errno text or NVMe status).
std::string admin(int fd, std::uint8_t opcode, std::uint32_t nsid, std::uint32_t cdw10, std::span<std::uint8_t> buf) {
  nvme_admin_cmd cmd{};
  cmd.opcode = opcode;
  cmd.nsid = nsid;
  cmd.addr = reinterpret_cast<std::uintptr_t>(buf.data());
  cmd.data_len = static_cast<std::uint32_t>(buf.size());
  cmd.cdw10 = cdw10;
  cmd.timeout_ms = 10000;
  int rc = ::ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);
  if (rc < 0) return std::strerror(errno);
  if (rc > 0) {
    std::ostringstream os;
    os << "NVMe status 0x" << std::hex << rc;
    return os.str();
  }
  return "";
}

// Get Log Page (02h): NUMDL in cdw10 bits 31:16, LID in bits 7:0.
std::string get_log(int fd, std::uint8_t lid, std::uint32_t nsid, std::span<std::uint8_t> buf) {
  std::uint32_t numd = static_cast<std::uint32_t>(buf.size() / 4 - 1);
  return admin(fd, 0x02, nsid, ((numd & 0xffff) << 16) | lid, buf);
}

Result<Fd> open_controller(const TestContext& ctx, const std::string& ctrl) {
  if (ctrl.empty()) return make_error("the device names no NVMe controller (props.controller)");
  auto path = "/dev/" + ctrl;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return make_error("cannot open " + path + ": " + std::strerror(errno));
  (void)ctx;
  return fd;
}

Result<nlohmann::json> identify_controller(int fd) {
  alignas(4096) std::uint8_t buf[4096] = {};
  if (auto e = admin(fd, 0x06, 0, 1, buf); !e.empty()) return make_error("Identify Controller: " + e);
  return probe::parse_nvme_identify(std::span<const std::uint8_t>(buf, sizeof buf));
}

}  // namespace

TestResult nvme_identify(TestContext& ctx) {
  if (auto e = require_live(ctx, "nvme.identify")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto ctrl = controller_of(ctx);
  auto fd = open_controller(ctx, ctrl);
  if (!fd) return TestResult::fail(fd.message());
  IdentifyFacts f;
  auto id = identify_controller(fd->get());
  if (!id) return TestResult::fail(id.message());
  f.controller = *id;
  auto sys = "/sys/class/nvme/" + ctrl;
  f.sysfs_serial = trim(root.attr(sys + "/serial").value_or(""));
  f.sysfs_model = trim(root.attr(sys + "/model").value_or(""));
  f.pci_vendor = ctx.device.value("vendor_id", "");
  for (const auto& e : root.list(sys))
    if (e.rfind(ctrl + "n", 0) == 0 || (e.rfind("nvme", 0) == 0 && e.find('c') != std::string::npos && e.find('n', 4) != std::string::npos))
      ++f.sysfs_namespaces;
  alignas(4096) std::uint8_t list[4096] = {};
  if (auto e = admin(fd->get(), 0x06, 0, 2, list); !e.empty()) return TestResult::fail("Identify Active Namespace List: " + e);
  for (std::size_t i = 0; i < 1024; ++i) {
    auto nsid = static_cast<std::uint32_t>(list[4 * i] | list[4 * i + 1] << 8 | list[4 * i + 2] << 16 | static_cast<std::uint32_t>(list[4 * i + 3]) << 24);
    if (nsid == 0) break;
    f.active_nsids.push_back(nsid);
    alignas(4096) std::uint8_t ns[4096] = {};
    if (auto e = admin(fd->get(), 0x06, nsid, 0, ns); !e.empty()) return TestResult::fail("Identify Namespace " + std::to_string(nsid) + ": " + e);
    auto n = parse_identify_ns(nsid, ns);
    if (!n) return TestResult::fail(n.message());
    f.namespaces.push_back(*n);
  }
  ctx.out() << ctrl << ": " << f.controller.value("model", "") << " serial " << f.controller.value("serial", "") << " fw "
            << f.controller.value("firmware", "") << ", " << f.active_nsids.size() << " namespace(s)\n";
  return check_identify(f);
}

TestResult nvme_smart(TestContext& ctx) {
  if (auto e = require_live(ctx, "nvme.smart")) return *e;
  auto fd = open_controller(ctx, controller_of(ctx));
  if (!fd) return TestResult::fail(fd.message());
  alignas(4096) std::uint8_t buf[512] = {};
  if (auto e = get_log(fd->get(), 0x02, 0xffffffff, buf); !e.empty()) return TestResult::fail("SMART / Health log: " + e);
  auto s = parse_smart_log(buf);
  if (!s) return TestResult::fail(s.message());
  return check_smart(*s);
}

TestResult nvme_fwlog(TestContext& ctx) {
  if (auto e = require_live(ctx, "nvme.fwlog")) return *e;
  auto fd = open_controller(ctx, controller_of(ctx));
  if (!fd) return TestResult::fail(fd.message());
  auto id = identify_controller(fd->get());
  if (!id) return TestResult::fail(id.message());
  alignas(4096) std::uint8_t buf[512] = {};
  if (auto e = get_log(fd->get(), 0x03, 0xffffffff, buf); !e.empty()) return TestResult::fail("Firmware Slot log: " + e);
  auto f = parse_fw_log(buf);
  if (!f) return TestResult::fail(f.message());
  return check_fw_log(*f, id->value("firmware", ""));
}

TestResult nvme_reset(TestContext& ctx) {
  if (auto e = require_live(ctx, "nvme.reset")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto ctrl = controller_of(ctx);
  auto fd = open_controller(ctx, ctrl);
  if (!fd) return TestResult::fail(fd.message());
  if (::ioctl(fd->get(), NVME_IOCTL_RESET) != 0) return TestResult::fail(std::string("NVME_IOCTL_RESET: ") + std::strerror(errno));
  const long wait_s = param_long(ctx, "wait_s", 30, 1, 600);
  auto t0 = std::chrono::steady_clock::now();
  std::string state;
  for (long i = 0; i < wait_s * 10; ++i) {
    state = root.attr("/sys/class/nvme/" + ctrl + "/state").value_or("gone");
    if (state == "live") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (state != "live") return TestResult::fail(ctrl + " is '" + state + "' " + std::to_string(wait_s) + " s after the reset");
  auto id = identify_controller(fd->get());
  if (!id) return TestResult::fail("after the reset: " + id.message());
  TestResult t = TestResult::pass();
  t.metrics["recovery_seconds"] = secs;
  return t;
}

TestResult pcie_link_test(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  std::string id = ctx.device.value("id", ctx.device_id);
  if (id.rfind("pci:", 0) != 0) return TestResult::error("the device " + id + " is not a PCI function");
  auto link = read_pcie_link(root, id.substr(4));
  if (!link) return TestResult::fail(id + " has disappeared from /sys/bus/pci/devices");
  return check_pcie_link(*link);
}

TestResult nvme_fio_sweep(TestContext& ctx) {
  if (auto e = require_live(ctx, "nvme.fio-sweep")) return *e;
  auto fio = find_program("fio");
  if (fio.empty()) return TestResult::skip("fio is not installed (apt-get install fio)");
  const auto& p = ctx.props();
  std::string block;
  if (p.contains("namespaces") && p["namespaces"].is_array() && !p["namespaces"].empty()) {
    auto ns = p["namespaces"][0].get<std::string>();  // "nvme:nvme0n1"
    block = ns.substr(ns.find(':') + 1);
  }
  if (block.empty()) return TestResult::fail("the controller has no namespace to measure");
  const int secs = static_cast<int>(param_long(ctx, "seconds", 5, 1, 3600));
  std::vector<SweepPoint> pts;
  for (int depth : {1, 4, 16, 32}) {
    auto r = run_program({fio, "--name=certify-sweep", "--filename=/dev/" + block, "--readonly", "--direct=1", "--rw=randread",
                          "--bs=4k", "--ioengine=libaio", "--iodepth=" + std::to_string(depth), "--time_based",
                          "--runtime=" + std::to_string(secs), "--output-format=json"},
                         secs + 60);
    if (!r.error.empty()) return TestResult::fail(r.error);
    if (r.exit_code != 0) return TestResult::fail("fio exited with " + std::to_string(r.exit_code) + " at depth " + std::to_string(depth));
    auto pt = parse_fio_json(depth, r.output);
    if (!pt) return TestResult::fail(pt.message());
    ctx.out() << "depth " << depth << ": " << static_cast<long>(pt->iops) << " IOPS\n";
    pts.push_back(*pt);
  }
  return check_sweep(pts);
}

// Namespace and disk block tests: the device's props.block_device.
namespace {

Result<std::pair<std::string, IoPlan>> block_plan(const TestContext& ctx, const probe::Sysroot& root) {
  const auto& p = ctx.props();
  std::string name = p.value("block_device", "");
  if (name.empty()) return make_error("the device has no block device (props.block_device)");
  auto size = root.attr_int("/sys/block/" + name + "/size", 10);
  if (!size) return make_error("/dev/" + name + " has disappeared");
  IoPlan plan;
  plan.device_bytes = static_cast<std::uint64_t>(*size) * 512;
  plan.block_bytes = static_cast<std::uint32_t>(root.attr_int("/sys/block/" + name + "/queue/logical_block_size", 10).value_or(512));
  plan.total_bytes = static_cast<std::uint64_t>(param_long(ctx, "mib", 64, 1, 1 << 24)) << 20;
  plan.regions = static_cast<int>(param_long(ctx, "regions", 4, 1, 1024));
  plan.seed = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  return std::make_pair(name, plan);
}

}  // namespace

TestResult block_read_verify(TestContext& ctx) {
  if (auto e = require_live(ctx, "read verify")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto bp = block_plan(ctx, root);
  if (!bp) return TestResult::fail(bp.message());
  auto rep = read_verify("/dev/" + bp->first, bp->second);
  return check_io_report(rep, "/dev/" + bp->first);
}

TestResult block_write_verify(TestContext& ctx) {
  if (auto e = require_live(ctx, "write verify")) return *e;
  if (!ctx.destructive) return TestResult::error("write verify is destructive and the run is not (--destructive)");
  probe::Sysroot root(ctx.sysroot);
  auto bp = block_plan(ctx, root);
  if (!bp) return TestResult::fail(bp.message());
  auto use = read_block_use(root, bp->first);
  if (!use) return TestResult::fail("/dev/" + bp->first + " has disappeared");
  auto why = write_refusal(*use, root.read("/proc/self/mountinfo").value_or(""), root.read("/proc/swaps").value_or(""));
  if (!why.empty()) return TestResult::skip("not written: " + why);
  if (root.attr("/sys/block/" + bp->first + "/ro").value_or("0") == "1") return TestResult::fail("/dev/" + bp->first + " is read-only");
  auto rep = write_verify("/dev/" + bp->first, bp->second);
  return check_io_report(rep, "/dev/" + bp->first);
}

}  // namespace certify::suites
