// Write-safety rule and O_DIRECT verify loops for block devices.
#include "testsuites/common/block_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>

#include "core/files.hpp"
#include "testsuites/common/fd.hpp"

namespace certify::suites {

namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream is{std::string(line)};
  std::string w;
  while (is >> w) out.push_back(w);
  return out;
}

std::string base(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<unsigned char, AlignedFree>;

Buffer aligned_buffer(std::size_t n) {
  void* p = nullptr;
  if (::posix_memalign(&p, 4096, n) != 0) return Buffer(nullptr);
  return Buffer(static_cast<unsigned char*>(p));
}


// Full pread/pwrite at an offset; errno text on failure.
std::string io_all(int fd, unsigned char* buf, std::size_t n, std::uint64_t off, bool write) {
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = write ? ::pwrite(fd, buf + done, n - done, static_cast<off_t>(off + done))
                      : ::pread(fd, buf + done, n - done, static_cast<off_t>(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return std::string(write ? "write" : "read") + " at offset " + std::to_string(off + done) + ": " +
             std::strerror(errno);
    }
    if (r == 0) return "short " + std::string(write ? "write" : "read") + " at offset " + std::to_string(off + done);
    done += static_cast<std::size_t>(r);
  }
  return "";
}

constexpr std::size_t k_chunk = 1 << 20;  // bytes per IO

}  // namespace

std::string write_refusal(const BlockUse& use, std::string_view mountinfo, std::string_view swaps) {
  auto is_ours = [&](const std::string& dev_name) { return dev_name == use.name || use.part_names.count(dev_name); };
  std::istringstream mi{std::string(mountinfo)};
  std::string line;
  while (std::getline(mi, line)) {
    auto w = words(line);
    if (w.size() < 5) continue;
    std::string mount_point = w[4];
    bool hit = use.devnums.count(w[2]) > 0;
    for (std::size_t i = 0; i + 2 < w.size(); ++i)
      if (w[i] == "-" && w[i + 2].rfind("/dev/", 0) == 0 && is_ours(base(w[i + 2]))) hit = true;
    if (hit)
      return mount_point == "/" ? "/dev/" + use.name + " holds the root file system"
                                : "/dev/" + use.name + " has a file system mounted at " + mount_point;
  }
  std::istringstream sw{std::string(swaps)};
  while (std::getline(sw, line)) {
    auto w = words(line);
    if (w.empty() || w[0] == "Filename") continue;
    if (w[0].rfind("/dev/", 0) == 0 && is_ours(base(w[0]))) return w[0] + " is in use as swap";
  }
  if (!use.holders.empty()) return "/dev/" + use.name + " is held by " + use.holders.front() + " (dm, md or LVM)";
  return "";
}

std::optional<BlockUse> read_block_use(const probe::Sysroot& root, const std::string& name) {
  auto dir = "/sys/block/" + name;
  auto dev = root.attr(dir + "/dev");
  if (!dev) return std::nullopt;
  BlockUse u;
  u.name = name;
  u.devnums.insert(*dev);
  for (const auto& h : root.list(dir + "/holders")) u.holders.push_back(h);
  for (const auto& e : root.list(dir)) {
    if (!root.exists(dir + "/" + e + "/partition")) continue;
    u.part_names.insert(e);
    if (auto d = root.attr(dir + "/" + e + "/dev")) u.devnums.insert(*d);
    for (const auto& h : root.list(dir + "/" + e + "/holders")) u.holders.push_back(h);
  }
  return u;
}

std::vector<IoRegion> plan_regions(const IoPlan& p) {
  std::vector<IoRegion> out;
  const std::uint64_t bs = std::max<std::uint64_t>(p.block_bytes, 4096);
  if (p.device_bytes < bs || p.regions <= 0) return out;
  std::uint64_t total = std::min(p.total_bytes, p.device_bytes);
  std::uint64_t per = total / static_cast<std::uint64_t>(p.regions) / bs * bs;
  if (per == 0) per = bs;
  std::uint64_t last_start = (p.device_bytes - per) / bs * bs;
  for (int i = 0; i < p.regions; ++i) {
    std::uint64_t off = p.regions == 1 ? 0 : last_start / static_cast<std::uint64_t>(p.regions - 1) * static_cast<std::uint64_t>(i) / bs * bs;
    if (i == p.regions - 1) off = last_start;
    if (!out.empty() && off < out.back().offset + out.back().bytes) continue;  // tiny device: no overlap
    out.push_back({off, per});
  }
  return out;
}

TestResult check_io_report(const IoReport& r, const std::string& what) {
  TestResult t;
  if (!r.error.empty()) t = TestResult::fail(what + ": " + r.error);
  else if (r.mismatches > 0)
    t = TestResult::fail(what + ": " + std::to_string(r.mismatches) + " block(s) read back differently; first: " + r.first_mismatch);
  else if (r.bytes == 0) t = TestResult::fail(what + ": nothing was transferred");
  else t = TestResult::pass();
  t.metrics["bytes"] = r.bytes;
  t.metrics["seconds"] = r.seconds;
  if (r.seconds > 0) t.metrics["mib_per_s"] = static_cast<double>(r.bytes) / (1 << 20) / r.seconds;
  return t;
}

namespace {

IoReport run_io(const std::string& dev_path, const IoPlan& p, bool write) {
  IoReport rep;
  Fd fd(::open(dev_path.c_str(), (write ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC));
  if (fd.get() < 0) {
    rep.error = "cannot open " + dev_path + ": " + std::strerror(errno);
    return rep;
  }
  auto a = aligned_buffer(k_chunk), b = aligned_buffer(k_chunk);
  if (!a || !b) {
    rep.error = "out of memory for IO buffers";
    return rep;
  }
  std::mt19937_64 rng(p.seed);
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& region : plan_regions(p)) {
    for (std::uint64_t off = region.offset; off < region.offset + region.bytes; off += k_chunk) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(k_chunk, region.offset + region.bytes - off));
      if (write) {
        auto* words64 = reinterpret_cast<std::uint64_t*>(a.get());
        for (std::size_t i = 0; i < n / 8; ++i) words64[i] = rng() ^ (off + i * 8);  // address mixed in: misplaced writes show
        if (auto e = io_all(fd.get(), a.get(), n, off, true); !e.empty()) { rep.error = e; return rep; }
        if (::fdatasync(fd.get()) != 0) { rep.error = std::string("fdatasync: ") + std::strerror(errno); return rep; }
      } else {
        if (auto e = io_all(fd.get(), a.get(), n, off, false); !e.empty()) { rep.error = e; return rep; }
      }
      if (auto e = io_all(fd.get(), b.get(), n, off, false); !e.empty()) { rep.error = e; return rep; }
      if (std::memcmp(a.get(), b.get(), n) != 0) {
        if (rep.mismatches == 0) {
          rep.first_mismatch = "offset " + std::to_string(off) + ": expected sha256 " +
                               sha256_hex(std::string_view(reinterpret_cast<char*>(a.get()), n)).substr(0, 16) +
                               ", read " + sha256_hex(std::string_view(reinterpret_cast<char*>(b.get()), n)).substr(0, 16);
        }
        ++rep.mismatches;
      }
      rep.bytes += n;
    }
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace

IoReport read_verify(const std::string& dev_path, const IoPlan& p) { return run_io(dev_path, p, false); }
IoReport write_verify(const std::string& dev_path, const IoPlan& p) { return run_io(dev_path, p, true); }

}  // namespace certify::suites
