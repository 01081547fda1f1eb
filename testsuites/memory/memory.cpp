// memory suite: pattern test (threads, cross-thread verify), huge pages,
// NUMA placement with mbind/move_pages and bandwidth per node, size check.
#include "testsuites/memory/memory.hpp"

#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "probe/cpu.hpp"
#include "probe/sysroot.hpp"
#include "testsuites/common/live.hpp"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

namespace certify::suites::memory {

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t expected_word(Pattern p, const std::uint64_t* addr, std::uint64_t index, std::uint64_t seed) {
  switch (p) {
    case Pattern::walking_ones: return 1ULL << ((index + seed) % 64);
    case Pattern::walking_zeros: return ~(1ULL << ((index + seed) % 64));
    case Pattern::checkerboard: return ((index + seed) & 1) ? 0x5555555555555555ULL : 0xaaaaaaaaaaaaaaaaULL;
    case Pattern::random: return mix(index ^ (seed << 40));
    case Pattern::address: return reinterpret_cast<std::uintptr_t>(addr) ^ seed;
  }
  return 0;
}

std::string hex(std::uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

// An anonymous mapping, unmapped on destruction.
class Mapping {
 public:
  Mapping(std::size_t bytes, int extra_flags) : bytes_(bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    if (p == MAP_FAILED) err_ = std::strerror(errno);
    else p_ = p;
  }
  ~Mapping() {
    if (p_) ::munmap(p_, bytes_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  void* get() const { return p_; }
  std::size_t size() const { return bytes_; }
  const std::string& error() const { return err_; }
  std::span<std::uint64_t> words() const { return {static_cast<std::uint64_t*>(p_), bytes_ / 8}; }

 private:
  void* p_ = nullptr;
  std::size_t bytes_;
  std::string err_;
};

std::optional<std::int64_t> meminfo_kb(const probe::Sysroot& root, std::string_view key) {
  auto text = root.read("/proc/meminfo");
  if (!text) return std::nullopt;
  std::istringstream is(*text);
  std::string k;
  std::int64_t v;
  std::string unit;
  std::string line;
  while (std::getline(is, line)) {
    std::istringstream ls(line);
    if (ls >> k >> v && k.size() == key.size() + 1 && k.compare(0, key.size(), key) == 0) return v;
  }
  return std::nullopt;
}

std::set<int> cpu_set(const probe::Sysroot& root, const std::string& path) {
  auto t = root.attr(path);
  if (!t) return {};
  auto s = probe::parse_cpu_list(*t);
  return s ? *s : std::set<int>{};
}

}  // namespace

std::string_view pattern_name(Pattern p) {
  switch (p) {
    case Pattern::walking_ones: return "walking-ones";
    case Pattern::walking_zeros: return "walking-zeros";
    case Pattern::checkerboard: return "checkerboard";
    case Pattern::random: return "random";
    case Pattern::address: return "address-in-address";
  }
  return "?";
}

void fill_pattern(Pattern p, std::span<std::uint64_t> words, std::uint64_t base, std::uint64_t seed) {
  for (std::size_t i = 0; i < words.size(); ++i) words[i] = expected_word(p, &words[i], base + i, seed);
}

std::size_t verify_pattern(Pattern p, std::span<const std::uint64_t> words, std::uint64_t base, std::uint64_t seed,
                           std::optional<Mismatch>& first) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::uint64_t want = expected_word(p, &words[i], base + i, seed);
    if (words[i] != want) {
      if (!first) first = Mismatch{i, want, words[i]};
      ++bad;
    }
  }
  return bad;
}

TestResult check_pattern_report(const PatternReport& r) {
  TestResult t;
  if (r.bytes == 0) t = TestResult::fail("no memory was tested");
  else if (r.mismatches > 0) t = TestResult::fail(std::to_string(r.mismatches) + " word(s) read back wrong; first: " + r.first);
  else t = TestResult::pass();
  t.metrics["bytes"] = r.bytes;
  t.metrics["threads"] = r.threads;
  t.metrics["passes"] = r.passes;
  t.metrics["seconds"] = r.seconds;
  if (r.seconds > 0) t.metrics["mib_per_s"] = static_cast<double>(r.bytes) * r.passes * 2 / (1 << 20) / r.seconds;
  return t;
}

TestResult check_hugepages(const std::vector<HugeObservation>& obs, std::uint64_t default_kb) {
  if (obs.empty()) return TestResult::skip("the kernel offers no huge page sizes (CONFIG_HUGETLBFS off)");
  std::vector<std::string> problems, notes;
  bool default_seen = false;
  for (const auto& o : obs) {
    std::string sz = o.page_kb >= 1048576 ? std::to_string(o.page_kb / 1048576) + " GiB"
                                          : std::to_string(o.page_kb / 1024) + " MiB";
    bool is_default = o.page_kb == default_kb;
    default_seen |= is_default;
    if (!o.reserve_error.empty()) {
      // A gigantic page needs contiguous free memory; at runtime the kernel may
      // not find it. That is a property of the running kernel, not a failure.
      if (o.kernel_refused && !is_default) notes.push_back(sz + " pages: " + o.reserve_error);
      else problems.push_back(sz + " pages: " + o.reserve_error);
      continue;
    }
    if (!o.map_error.empty()) { problems.push_back(sz + " pages: " + o.map_error); continue; }
    if (!o.data_ok) problems.push_back(sz + " pages: data written to the huge pages read back wrong");
    if (o.free_before >= 0 && o.free_mapped >= 0 && o.free_before - o.free_mapped < o.pages)
      problems.push_back(sz + " pages: free count went " + std::to_string(o.free_before) + " -> " +
                         std::to_string(o.free_mapped) + " while " + std::to_string(o.pages) + " were in use (not backed by huge pages)");
  }
  if (!default_seen) problems.push_back("the default huge page size (" + std::to_string(default_kb) + " kB) was not tested");
  TestResult t = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) t.messages.push_back(problems[i]);
  for (const auto& n : notes) t.messages.push_back("not tested: " + n);
  t.metrics["sizes_tested"] = obs.size() - notes.size();
  return t;
}

TestResult check_numa(const std::vector<NodeObservation>& nodes, double min_mbps) {
  if (nodes.empty()) return TestResult::fail("no NUMA node is online");
  std::vector<std::string> problems;
  TestResult t;
  for (const auto& n : nodes) {
    std::string nn = "node " + std::to_string(n.node);
    if (!n.error.empty()) { problems.push_back(nn + ": " + n.error); continue; }
    if (n.pages == 0) problems.push_back(nn + ": no pages were checked");
    else if (n.pages_on_node != n.pages) {
      std::string where;
      for (int o : n.other_nodes) where += (where.empty() ? "" : ",") + std::to_string(o);
      problems.push_back(nn + ": " + std::to_string(n.pages - n.pages_on_node) + " of " + std::to_string(n.pages) +
                         " pages bound to it landed on node " + where);
    }
    if (n.local_mbps <= min_mbps)
      problems.push_back(nn + ": local bandwidth " + std::to_string(static_cast<long>(n.local_mbps)) +
                         " MB/s is not above " + std::to_string(static_cast<long>(min_mbps)) + " MB/s");
    t.metrics["node" + std::to_string(n.node) + "_local_mbps"] = n.local_mbps;
    if (n.remote_mbps) t.metrics["node" + std::to_string(n.node) + "_remote_mbps"] = *n.remote_mbps;
  }
  TestResult r = problems.empty() ? TestResult::pass() : TestResult::fail(problems.front());
  for (std::size_t i = 1; i < problems.size(); ++i) r.messages.push_back(problems[i]);
  r.metrics = t.metrics;
  r.metrics["nodes"] = nodes.size();
  return r;
}

TestResult check_memory_size(std::optional<std::uint64_t> dimm_bytes, std::uint64_t memtotal_bytes, double tol) {
  if (!dimm_bytes) return TestResult::skip("the inventory has no SMBIOS memory devices with sizes (firmware without type 17 or no memory probe)");
  if (*dimm_bytes == 0) return TestResult::fail("SMBIOS lists memory devices but none is populated");
  TestResult t;
  double share = static_cast<double>(memtotal_bytes) * 100.0 / static_cast<double>(*dimm_bytes);
  if (memtotal_bytes > *dimm_bytes)
    t = TestResult::fail("the kernel sees " + std::to_string(memtotal_bytes >> 20) + " MiB, more than the " +
                         std::to_string(*dimm_bytes >> 20) + " MiB SMBIOS reports installed");
  else if (share < 100.0 - tol)
    t = TestResult::fail("the kernel sees " + std::to_string(memtotal_bytes >> 20) + " MiB of " +
                         std::to_string(*dimm_bytes >> 20) + " MiB installed (" + std::to_string(static_cast<int>(share)) +
                         "%, below " + std::to_string(static_cast<int>(100 - tol)) + "%)");
  else t = TestResult::pass();
  t.metrics["installed_mib"] = *dimm_bytes >> 20;
  t.metrics["memtotal_mib"] = memtotal_bytes >> 20;
  t.metrics["visible_percent"] = share;
  return t;
}

std::optional<std::uint64_t> dimm_total_bytes(const nlohmann::json& section) {
  // The memory probe's section: "dimm_total_bytes", else the "dimms" (SMBIOS
  // type 17) with their "size_bytes".
  if (!section.is_object()) return std::nullopt;
  if (auto it = section.find("dimm_total_bytes"); it != section.end() && it->is_number_unsigned()) return it->get<std::uint64_t>();
  auto d = section.find("dimms");
  if (d == section.end() || !d->is_array() || d->empty()) return std::nullopt;
  std::uint64_t total = 0;
  for (const auto& e : *d)
    if (e.is_object() && e.contains("size_bytes") && e["size_bytes"].is_number_unsigned()) total += e["size_bytes"].get<std::uint64_t>();
  return total;
}

}  // namespace certify::suites::memory

namespace certify::suites {

using namespace memory;

TestResult memory_pattern(TestContext& ctx) {
  if (auto e = require_live(ctx, "memory.pattern")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto avail = meminfo_kb(root, "MemAvailable");
  if (!avail) return TestResult::fail("MemAvailable missing from /proc/meminfo");
  const long share = param_long(ctx, "share_percent", 10, 1, 90);
  const long max_mib = param_long(ctx, "max_mib", 4096, 1, 1 << 24);
  const int passes = static_cast<int>(param_long(ctx, "passes", 1, 1, 1000));
  auto online = cpu_set(root, "/sys/devices/system/cpu/online");
  int threads = static_cast<int>(param_long(ctx, "threads", std::max<long>(1, static_cast<long>(online.size())), 1, 4096));
  std::uint64_t bytes = std::min<std::uint64_t>(static_cast<std::uint64_t>(*avail) * 1024 / 100 * static_cast<std::uint64_t>(share),
                                                static_cast<std::uint64_t>(max_mib) << 20);
  const std::uint64_t chunk_align = 4096ULL * static_cast<std::uint64_t>(threads);
  bytes = bytes / chunk_align * chunk_align;
  if (bytes == 0) return TestResult::fail("too little free memory to test");
  Mapping m(bytes, MAP_NORESERVE);
  if (!m.get()) return TestResult::fail("mmap of " + std::to_string(bytes >> 20) + " MiB: " + m.error());
  ctx.out() << "testing " << (bytes >> 20) << " MiB with " << threads << " threads, " << passes << " pass(es)\n";
  auto all = m.words();
  const std::size_t per = all.size() / static_cast<std::size_t>(threads);
  std::vector<std::uint64_t> bad(static_cast<std::size_t>(threads), 0);
  std::vector<std::string> first(static_cast<std::size_t>(threads));
  std::barrier sync(threads);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int pass = 0; pass < passes; ++pass) {
        for (Pattern p : k_patterns) {
          auto seed = static_cast<std::uint64_t>(pass * 7 + 3);
          auto mine = all.subspan(static_cast<std::size_t>(t) * per, per);
          fill_pattern(p, mine, static_cast<std::uint64_t>(t) * per, seed);
          sync.arrive_and_wait();
          // Verify a neighbour's chunk: data written on one CPU is read on another.
          int v = (t + 1) % threads;
          auto theirs = all.subspan(static_cast<std::size_t>(v) * per, per);
          std::optional<Mismatch> mm;
          auto n = verify_pattern(p, theirs, static_cast<std::uint64_t>(v) * per, seed, mm);
          if (n && first[static_cast<std::size_t>(t)].empty())
            first[static_cast<std::size_t>(t)] = std::string(pattern_name(p)) + ": word at " +
                hex(reinterpret_cast<std::uintptr_t>(&theirs[mm->index])) + " expected " + hex(mm->expected) + " got " + hex(mm->actual);
          bad[static_cast<std::size_t>(t)] += n;
          sync.arrive_and_wait();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  PatternReport r;
  r.bytes = bytes;
  r.threads = threads;
  r.passes = passes * static_cast<int>(std::size(k_patterns));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int t = 0; t < threads; ++t) {
    r.mismatches += bad[static_cast<std::size_t>(t)];
    if (r.first.empty()) r.first = first[static_cast<std::size_t>(t)];
  }
  return check_pattern_report(r);
}

TestResult memory_hugepages(TestContext& ctx) {
  if (auto e = require_live(ctx, "memory.hugepages")) return *e;
  probe::Sysroot root(ctx.sysroot);
  const std::string base = "/sys/kernel/mm/hugepages";
  auto default_kb = meminfo_kb(root, "Hugepagesize");
  std::vector<HugeObservation> obs;
  if (::geteuid() != 0) return TestResult::error("reserving huge pages needs root");
  for (const auto& name : root.list(base)) {
    // hugepages-2048kB
    if (name.rfind("hugepages-", 0) != 0) continue;
    HugeObservation o;
    o.page_kb = std::strtoull(name.c_str() + 10, nullptr, 10);
    if (o.page_kb == 0) continue;
    o.pages = o.page_kb >= 1048576 ? 1 : static_cast<int>(param_long(ctx, "pages_2m", 8, 1, 1 << 20));
    auto dir = base + "/" + name;
    auto nr0 = root.attr_int(dir + "/nr_hugepages", 10).value_or(0);
    auto free0 = root.attr_int(dir + "/free_hugepages", 10).value_or(0);
    std::int64_t grown = 0;
    if (free0 < o.pages) {
      grown = o.pages - free0;
      auto err = write_sysfs(dir + "/nr_hugepages", std::to_string(nr0 + grown));
      auto free1 = root.attr_int(dir + "/free_hugepages", 10).value_or(0);
      if (!err.empty()) o.reserve_error = err;
      else if (free1 < o.pages) {
        o.kernel_refused = true;
        o.reserve_error = "the kernel reserved " + std::to_string(free1) + " of " + std::to_string(o.pages) +
                          " page(s) at runtime (no contiguous free memory; reserve them at boot with hugepagesz=/hugepages=)";
      }
    }
    if (o.reserve_error.empty()) {
      o.free_before = root.attr_int(dir + "/free_hugepages", 10).value_or(-1);
      int log2 = 0;
      for (std::uint64_t b = o.page_kb * 1024; b > 1; b >>= 1) ++log2;
      std::size_t bytes = static_cast<std::size_t>(o.page_kb) * 1024 * static_cast<std::size_t>(o.pages);
      Mapping m(bytes, MAP_HUGETLB | (log2 << MAP_HUGE_SHIFT));
      if (!m.get()) o.map_error = "mmap MAP_HUGETLB: " + m.error();
      else {
        fill_pattern(Pattern::address, m.words(), 0, 0x1ee7);  // faults every huge page in
        o.free_mapped = root.attr_int(dir + "/free_hugepages", 10).value_or(-1);
        std::optional<Mismatch> mm;
        o.data_ok = verify_pattern(Pattern::address, m.words(), 0, 0x1ee7, mm) == 0;
      }
    }
    if (grown > 0) (void)write_sysfs(dir + "/nr_hugepages", std::to_string(nr0));  // restore the pool
    ctx.out() << name << ": " << (o.reserve_error.empty() ? (o.map_error.empty() ? (o.data_ok ? "ok" : "bad data") : o.map_error) : o.reserve_error)
              << '\n';
    obs.push_back(std::move(o));
  }
  return check_hugepages(obs, static_cast<std::uint64_t>(default_kb.value_or(2048)));
}

TestResult memory_numa(TestContext& ctx) {
  if (auto e = require_live(ctx, "memory.numa")) return *e;
  probe::Sysroot root(ctx.sysroot);
  auto online = cpu_set(root, "/sys/devices/system/node/online");
  if (!root.exists("/sys/devices/system/node")) return TestResult::skip("the kernel has no NUMA support (CONFIG_NUMA off)");
  const std::size_t bytes = static_cast<std::size_t>(param_long(ctx, "mib", 64, 1, 1 << 20)) << 20;
  const double min_mbps = static_cast<double>(param_long(ctx, "min_mbps", 0, 0, 1L << 40));
  const long page = ::sysconf(_SC_PAGESIZE);
  std::map<int, std::set<int>> node_cpus;
  for (int n : online) node_cpus[n] = cpu_set(root, "/sys/devices/system/node/node" + std::to_string(n) + "/cpulist");
  std::vector<NodeObservation> out;
  for (int n : online) {
    NodeObservation o;
    o.node = n;
    Mapping m(bytes, 0);
    if (!m.get()) { o.error = "mmap: " + m.error(); out.push_back(o); continue; }
    unsigned long mask[16] = {};
    if (n >= static_cast<int>(sizeof mask * 8)) { o.error = "node number too large"; out.push_back(o); continue; }
    mask[static_cast<std::size_t>(n) / (8 * sizeof(unsigned long))] |= 1UL << (static_cast<std::size_t>(n) % (8 * sizeof(unsigned long)));
    if (::syscall(SYS_mbind, m.get(), bytes, MPOL_BIND, mask, sizeof mask * 8, MPOL_MF_STRICT) != 0) {
      o.error = std::string("mbind(MPOL_BIND): ") + std::strerror(errno);
      out.push_back(o);
      continue;
    }
    // Bandwidth: write the whole buffer from a CPU of the node (this also
    // faults the pages in there), then from a CPU of another node.
    auto bandwidth = [&](int cpu) -> double {
      double mbps = 0;
      int ran = -1;
      auto err = run_on_cpu(cpu, [&] {
        auto t0 = std::chrono::steady_clock::now();
        for (int rep = 0; rep < 3; ++rep) std::memset(m.get(), rep + 1, bytes);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        mbps = s > 0 ? static_cast<double>(bytes) * 3 / 1e6 / s : 0;
      }, ran);
      return err.empty() ? mbps : 0;
    };
    const auto& mine = node_cpus[n];
    if (mine.empty()) std::memset(m.get(), 1, bytes);  // memory-only node: fault in from here
    else o.local_mbps = bandwidth(*mine.begin());
    if (mine.empty()) o.local_mbps = bandwidth(0);
    for (const auto& [other, cpus] : node_cpus)
      if (other != n && !cpus.empty()) { o.remote_mbps = bandwidth(*cpus.begin()); break; }
    // Where did the pages land? move_pages with no target nodes only queries.
    std::size_t count = bytes / static_cast<std::size_t>(page);
    std::vector<void*> pages(count);
    std::vector<int> status(count, -1);
    for (std::size_t i = 0; i < count; ++i) pages[i] = static_cast<char*>(m.get()) + i * static_cast<std::size_t>(page);
    if (::syscall(SYS_move_pages, 0, count, pages.data(), nullptr, status.data(), 0) != 0) {
      o.error = std::string("move_pages (query): ") + std::strerror(errno);
    } else {
      o.pages = count;
      std::set<int> others;
      for (int s : status) {
        if (s == n) ++o.pages_on_node;
        else others.insert(s);
      }
      o.other_nodes.assign(others.begin(), others.end());
    }
    ctx.out() << "node " << n << ": " << o.pages_on_node << "/" << o.pages << " pages local, " << static_cast<long>(o.local_mbps)
              << " MB/s local" << (o.remote_mbps ? ", " + std::to_string(static_cast<long>(*o.remote_mbps)) + " MB/s remote" : "")
              << '\n';
    out.push_back(std::move(o));
  }
  return check_numa(out, min_mbps);
}

TestResult memory_size(TestContext& ctx) {
  probe::Sysroot root(ctx.sysroot);
  auto total = meminfo_kb(root, "MemTotal");
  if (!total) return TestResult::fail("MemTotal missing from /proc/meminfo");
  double tol = static_cast<double>(param_long(ctx, "tolerance_percent", 10, 0, 100));
  return check_memory_size(dimm_total_bytes(ctx.device), static_cast<std::uint64_t>(*total) * 1024, tol);
}

}  // namespace certify::suites
