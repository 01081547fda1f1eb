// Bundle tests: determinism, bundle -> sign -> verify round trips, every
// single-byte change rejected, wrong keys, a crafted-archive corpus of each
// attack (built with libarchive here) with nothing written outside the
// target, keys and passphrases, SM2 where OpenSSL has it, and the CLI.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/files.hpp"
#include "submit/bundle.hpp"
#include "submit/sign.hpp"
#include "submit/verify.hpp"
#include "testutil.hpp"

using namespace certify;
using namespace certify::submit;
using certify::test::run_command;
using certify::test::TempDir;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string certify_bin() { return certify::test::build_path("cli/certify").string(); }

void put(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

std::string slurp(const fs::path& p) {
  auto r = read_file(p);
  REQUIRE_MESSAGE(r.ok(), r.message());
  return *r;
}

// A run folder as certify run leaves it, journal included.
fs::path make_run(const fs::path& root, const std::string& run_id, int jobs, std::size_t log_bytes = 100) {
  auto dir = root / run_id;
  json inv = {{"os", {{"id", "debian"}, {"version_id", "12"}, {"pretty_name", "Debian GNU/Linux 12 (bookworm)"},
                      {"arch", "x86_64"}, {"kernel_release", "6.1.0-18-amd64"}}},
              {"system", {{"system", {{"manufacturer", "QEMU"}, {"product_name", "Standard PC (Q35 + ICH9, 2009)"}}}}},
              {"cpu", {{"arch", "x86_64"}, {"model_name", "Virtual CPU"}}}};
  put(dir / "inventory.json", inv.dump(2));
  json plan = {{"jobs", json::array()}};
  json results = {{"schema_version", 1}, {"run_id", run_id}, {"tool_version", "0.1.0"},
                  {"started", "2026-11-24T06:00:00Z"}, {"finished", "2026-11-24T07:00:00Z"}, {"jobs", json::array()}};
  for (int i = 0; i < jobs; ++i) {
    auto id = "cpu.stress." + std::to_string(i);
    plan["jobs"].push_back(id);
    std::string log;
    for (std::size_t k = 0; log.size() < log_bytes; ++k) log += id + " line " + std::to_string(k * 7919 % 1000) + "\n";
    log.resize(log_bytes);
    put(dir / "logs" / id / "stdout.log", log);
    put(dir / "logs" / id / "stderr.log", "");
    put(dir / "logs" / id / "result.json", R"({"status":"pass"})");
    results["jobs"].push_back({{"id", id}, {"status", "pass"}});
  }
  put(dir / "plan.json", plan.dump(2));
  put(dir / "results.json", results.dump(2));
  put(dir / "journal.db", "SQLite format 3");
  put(dir / "journal.db-wal", "wal");
  return dir;
}

Key new_key(SignatureAlgorithm alg = SignatureAlgorithm::ed25519) {
  auto k = generate_key(alg);
  REQUIRE_MESSAGE(k.ok(), k.message());
  return *k;
}

Keyring ring_of(std::initializer_list<Key> keys) {
  Keyring r;
  int i = 0;
  for (const auto& k : keys) r.add(k, "key" + std::to_string(i++));
  return r;
}

BundleReport bundle(const fs::path& run, const fs::path& out, std::vector<Key> keys = {}, int threads = 0) {
  BundleOptions o;
  o.results = run;
  o.output = out;
  o.threads = threads;
  o.sign_with = std::move(keys);
  auto r = write_bundle(o);
  REQUIRE_MESSAGE(r.ok(), r.message());
  return *r;
}

// Decompresses a whole (multi-frame) zstd stream.
std::string unzstd(std::string_view in) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string out;
  std::string buf(1 << 16, '\0');
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
    auto r = ZSTD_decompressStream(d.get(), &ob, &ib);
    REQUIRE_FALSE(ZSTD_isError(r));
    out.append(buf.data(), ob.pos);
  }
  return out;
}

std::string zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  auto n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// --- crafted archives --------------------------------------------------------

struct Crafted {
  Crafted(std::string n, std::string d, unsigned t = AE_IFREG, std::string l = {})
      : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l)) {}
  std::string name;
  std::string data;
  unsigned type;
  std::string link;  // symlink target or hard link source
};

// Tar (+ zstd unless `plain`) of the entries, in order, written by libarchive.
std::string craft(const std::vector<Crafted>& entries, bool plain = false, bool gzip = false) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  else if (!plain) archive_write_add_filter_zstd(a);
  std::string buf(std::size_t{80} << 20, '\0');
  std::size_t used = 0;
  REQUIRE(archive_write_open_memory(a, buf.data(), buf.size(), &used) == ARCHIVE_OK);
  for (const auto& c : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, c.name.c_str());
    archive_entry_set_perm(e, 0644);
    if (!c.link.empty() && c.type == AE_IFREG) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_copy_hardlink(e, c.link.c_str());
      archive_entry_set_size(e, 0);
    } else {
      archive_entry_set_filetype(e, c.type);
      if (c.type == AE_IFLNK) archive_entry_copy_symlink(e, c.link.c_str());
      if (c.type == AE_IFCHR) archive_entry_set_rdev(e, makedev(1, 3));
      archive_entry_set_size(e, c.type == AE_IFREG ? static_cast<la_int64_t>(c.data.size()) : 0);
    }
    REQUIRE(archive_write_header(a, e) >= ARCHIVE_WARN);  // WARN: a name kept as raw bytes
    if (c.type == AE_IFREG && c.link.empty() && !c.data.empty()) archive_write_data(a, c.data.data(), c.data.size());
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  buf.resize(used);
  return buf;
}

json file_entry(const std::string& path, const std::string& data) {
  return {{"path", path}, {"size", data.size()}, {"sha256", sha256_hex(data)}};
}

std::string manifest_of(const std::vector<std::pair<std::string, std::string>>& files) {
  json m = {{"schema_version", 1}, {"format", "certify-bundle"}, {"tool_version", "0.1.0"}, {"run_id", "r1"},
            {"created", nullptr}, {"machine", json::object()}, {"files", json::array()}};
  for (const auto& [p, d] : files) m["files"].push_back(file_entry(p, d));
  return m.dump();
}

const std::vector<std::pair<std::string, std::string>> k_good = {
    {"inventory.json", R"({"os":{"id":"debian"}})"}, {"logs/a/stdout.log", "hello\n"}, {"results.json", R"({"run_id":"r1"})"}};

// The good members plus `extra` appended, with the manifest listing `listed`.
std::vector<Crafted> with_manifest(const std::vector<std::pair<std::string, std::string>>& listed,
                                   std::vector<Crafted> extra = {}, bool include_good = true) {
  std::vector<Crafted> v{{"manifest.json", manifest_of(listed)}};
  if (include_good)
    for (const auto& [p, d] : k_good) v.push_back({p, d});
  for (auto& e : extra) v.push_back(std::move(e));
  return v;
}

bool valid_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

std::size_t count_entries(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) ++n;
  return n;
}

}  // namespace

TEST_CASE("bundle: byte-identical for the same results, whatever the thread count") {
  TempDir d;
  // 24 MiB of logs: several zstd jobs, so the worker threads really split it.
  auto run = make_run(d.path(), "run-1", 6, std::size_t{4} << 20);
  auto one = bundle(run, d / "one.cbundle", {}, 1);
  auto two = bundle(run, d / "two.cbundle", {}, 2);
  CHECK(slurp(d / "one.cbundle") == slurp(d / "two.cbundle"));
  CHECK(one.members == 3 + 6 * 3);
  CHECK(two.output_bytes == fs::file_size(d / "two.cbundle"));
  CHECK(two.output_bytes < two.input_bytes);
  // Into a FIFO (as into /dev/null): written where it is, the same bytes, and it stays a FIFO.
  auto fifo = d / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string piped;
  std::thread reader([&] { piped = slurp(fifo); });
  bundle(run, fifo, {}, 1);
  reader.join();
  CHECK(piped == slurp(d / "one.cbundle"));
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));

  // The manifest: contract, sorted, hashes of the real files, journal left out.
  CHECK(test::schema_errors(one.manifest, "schemas/manifest.schema.json") == "");
  CHECK(one.manifest["run_id"] == "run-1");
  CHECK(one.manifest["created"] == "2026-11-24T07:00:00Z");
  CHECK(one.manifest["machine"]["os_id"] == "debian");
  CHECK(one.manifest["machine"]["product"] == "Standard PC (Q35 + ICH9, 2009)");
  std::vector<std::string> paths;
  for (const auto& f : one.manifest["files"]) {
    auto p = f["path"].get<std::string>();
    paths.push_back(p);
    CHECK(f["sha256"] == sha256_hex(slurp(run / p)));
    CHECK(f["size"] == fs::file_size(run / p));
  }
  CHECK(std::is_sorted(paths.begin(), paths.end()));
  CHECK(std::find(paths.begin(), paths.end(), "journal.db") == paths.end());

  // Another folder with the same content gives the same bytes too.
  TempDir d2;
  fs::copy(run, d2 / "run-1", fs::copy_options::recursive);
  bundle(d2 / "run-1", d2 / "three.cbundle");
  CHECK(slurp(d2 / "three.cbundle") == slurp(d / "one.cbundle"));

  // Other tools read it: it is one ordinary tar.zst.
  auto tar = run_command({"tar", "--zstd", "-tf", (d / "one.cbundle").string()});
  REQUIRE(tar.exit_code == 0);
  CHECK(tar.out.rfind("manifest.json\n", 0) == 0);
  CHECK(tar.out.find("logs/cpu.stress.5/stdout.log") != std::string::npos);

  // A changed log changes the bundle.
  put(run / "logs/cpu.stress.0/stdout.log", "changed\n");
  bundle(run, d / "four.cbundle");
  CHECK(slurp(d / "four.cbundle") != slurp(d / "one.cbundle"));
}

TEST_CASE("round trip: bundle -> sign -> verify, signing in place equals signing while bundling") {
  TempDir d;
  auto run = make_run(d.path(), "run-2", 3, 5000);
  auto key = new_key();
  bundle(run, d / "b.cbundle");
  auto body_before = slurp(d / "b.cbundle");

  // Unsigned: integrity is fine, but verify wants a signature.
  auto unsigned_read = read_bundle_bytes(body_before, {});
  REQUIRE_MESSAGE(unsigned_read.ok(), unsigned_read.message());
  CHECK_FALSE(unsigned_read->signature);
  auto v0 = verify_bundle_bytes(body_before, ring_of({key}));
  REQUIRE_FALSE(v0.ok());
  CHECK(v0.message().find("not signed") != std::string::npos);

  auto s = sign_bundle_file(d / "b.cbundle", {key});
  REQUIRE_MESSAGE(s.ok(), s.message());
  auto signed_bytes = slurp(d / "b.cbundle");
  // Only the head changed: the body's compressed bytes are the same.
  auto tail = body_before.size() - ZSTD_findFrameCompressedSize(body_before.data(), body_before.size());
  CHECK(signed_bytes.substr(signed_bytes.size() - tail) == body_before.substr(body_before.size() - tail));

  bundle(run, d / "c.cbundle", {key});
  CHECK(slurp(d / "c.cbundle") == signed_bytes);

  auto v = verify_bundle_bytes(signed_bytes, ring_of({key}));
  REQUIRE_MESSAGE(v.ok(), v.message());
  CHECK(v->signer_fingerprint() == key.fingerprint());
  CHECK(v->algorithm() == SignatureAlgorithm::ed25519);
  CHECK(v->contents.manifest["run_id"] == "run-2");
  REQUIRE(v->contents.files.count("logs/cpu.stress.2/stdout.log"));
  CHECK(v->contents.files["logs/cpu.stress.2/stdout.log"].content == slurp(run / "logs/cpu.stress.2/stdout.log"));
  CHECK(v->contents.files["results.json"].content == slurp(run / "results.json"));

  auto vf = verify_bundle_file(d / "b.cbundle", ring_of({key}));
  REQUIRE_MESSAGE(vf.ok(), vf.message());
  CHECK(vf->contents.files.size() == v->contents.files.size());
  CHECK(vf->contents.total_bytes == v->contents.total_bytes);

  // Re-signing with another key replaces the signature.
  auto other = new_key();
  REQUIRE(sign_bundle_file(d / "b.cbundle", {other}).ok());
  CHECK_FALSE(verify_bundle_file(d / "b.cbundle", ring_of({key})).ok());
  CHECK(verify_bundle_file(d / "b.cbundle", ring_of({other})).ok());

  // The signature is plain Ed25519 over manifest.json: openssl agrees.
  auto x = d / "x";
  REQUIRE(verify_bundle_file(d / "c.cbundle", ring_of({key}), {}, x).ok());
  auto pub = public_key_pem(key);
  REQUIRE(pub.ok());
  put(d / "k.pub", *pub);
  auto sig_json = json::parse(*v->contents.signature);
  auto b64 = d / "sig.b64";
  put(b64, sig_json["signature"].get<std::string>() + "\n");
  REQUIRE(run_command({"openssl", "base64", "-d", "-in", b64.string(), "-out", (d / "sig.bin").string()}).exit_code == 0);
  put(d / "manifest.json", v->contents.manifest_bytes);
  auto ossl = run_command({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (d / "k.pub").string(), "-rawin", "-in",
                           (d / "manifest.json").string(), "-sigfile", (d / "sig.bin").string()});
  CHECK_MESSAGE(ossl.exit_code == 0, (ossl.out + ossl.err));
  // Extracted members are the run's files, byte for byte.
  CHECK(slurp(x / "logs/cpu.stress.1/stdout.log") == slurp(run / "logs/cpu.stress.1/stdout.log"));
  CHECK(slurp(x / "inventory.json") == slurp(run / "inventory.json"));
  CHECK_FALSE(fs::exists(x / "journal.db"));
}

TEST_CASE("wrong, untrusted and mismatched keys fail verification") {
  TempDir d;
  auto run = make_run(d.path(), "run-3", 1);
  auto key = new_key(), stranger = new_key();
  bundle(run, d / "b.cbundle", {key});
  auto bytes = slurp(d / "b.cbundle");
  auto v = verify_bundle_bytes(bytes, ring_of({stranger}));
  REQUIRE_FALSE(v.ok());
  CHECK(v.message().find("untrusted key " + key.fingerprint()) != std::string::npos);

  // A signature member that names the trusted key but was made by another.
  auto contents = read_bundle_bytes(bytes, {});
  REQUIRE(contents.ok());
  auto forged = sign_manifest(contents->manifest_bytes, stranger);
  REQUIRE(forged.ok());
  auto j = json::parse(*forged);
  j["key"] = key.fingerprint();
  auto c = verify_manifest_signature(contents->manifest_bytes, j.dump() + "\n", SignatureAlgorithm::ed25519,
                                     ring_of({key}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.message().find("bad ed25519 signature") != std::string::npos);
  CHECK(verify_manifest_signature(contents->manifest_bytes, "{not json", SignatureAlgorithm::ed25519, ring_of({key}))
            .message()
            .find("malformed signature") != std::string::npos);
}

TEST_CASE("every single-byte change of a member or the manifest fails verification") {
  TempDir d;
  auto run = make_run(d.path(), "run-4", 1, 40);
  auto key = new_key();
  bundle(run, d / "b.cbundle", {key});
  auto ring = ring_of({key});
  auto tar = unzstd(slurp(d / "b.cbundle"));
  auto good = verify_bundle_bytes(zstd(tar), ring);
  REQUIRE_MESSAGE(good.ok(), good.message());

  // Walk the ustar headers: which bytes are member data, which headers.
  std::size_t data_bytes = 0, header_bytes = 0, pos = 0;
  int failures = 0, survivors_changed = 0;
  while (pos + 512 <= tar.size() && tar[pos] != '\0') {
    auto size = std::stoull(tar.substr(pos + 124, 12), nullptr, 8);
    auto end = pos + 512 + size;
    for (std::size_t i = pos; i < end; ++i) {
      std::string t = tar;
      t[i] = static_cast<char>(t[i] ^ 0x01);
      auto v = verify_bundle_bytes(zstd(t), ring);
      bool in_data = i >= pos + 512;
      (in_data ? data_bytes : header_bytes)++;
      if (!v.ok()) {
        ++failures;
        continue;
      }
      // A header byte whose change verify accepts must not change what the
      // bundle says (e.g. a terminator in the checksum field).
      bool same = !in_data && v->contents.manifest_bytes == good->contents.manifest_bytes &&
                  v->contents.files.size() == good->contents.files.size();
      for (const auto& [p, m] : good->contents.files)
        same = same && v->contents.files.count(p) && v->contents.files.at(p).content == m.content;
      if (!same) {
        ++survivors_changed;
        FAIL_CHECK("changed byte " << i << " passed verification");
      }
    }
    pos = end + (512 - size % 512) % 512;
  }
  CHECK(data_bytes > 1000);
  CHECK(header_bytes >= 512 * 8);
  CHECK(survivors_changed == 0);
  // Data changes all fail; nearly all header changes too (tar checksums).
  CHECK(failures >= static_cast<int>(data_bytes + header_bytes * 9 / 10));
  MESSAGE("flipped " << data_bytes << " data and " << header_bytes << " header bytes; " << failures << " rejected");
}

TEST_CASE("crafted archives: each attack rejected with its reason, nothing written outside the target") {
  TempDir d;
  auto escape_abs = d / "abs-escape";
  struct Case {
    std::string label;
    std::string bytes;
    std::string want;
    std::uint64_t max_member = 2 << 20;
  };
  std::string big(3 << 20, 'x');
  std::string zeros(std::size_t{48} << 20, '\0');
  auto bad_hash = with_manifest(k_good, {}, false);
  for (const auto& [p, data] : k_good) bad_hash.push_back({p, p == "results.json" ? R"({"run_id":"r2"})" : data});
  auto ok_then = [&](Crafted c) { return craft(with_manifest(k_good, {std::move(c)})); };
  std::vector<Case> cases = {
      {"absolute", ok_then({escape_abs.string(), "pwned"}), "absolute path"},
      {"dotdot", ok_then({"logs/../../dotdot-escape", "pwned"}), "'..' in the path"},
      {"dotdot-leading", ok_then({"../dotdot-escape", "pwned"}), "'..' in the path"},
      {"symlink", ok_then({"logs/link", "", AE_IFLNK, "/etc/passwd"}), "symbolic link"},
      {"hardlink", ok_then({"logs/hard", "", AE_IFREG, "/etc/passwd"}), "hard link"},
      {"device", ok_then({"logs/null", "", AE_IFCHR}), "device file"},
      {"fifo", ok_then({"logs/fifo", "", AE_IFIFO}), "fifo"},
      {"directory", ok_then({"logs/dir", "", AE_IFDIR}), "directory"},
      {"duplicate", ok_then({"logs/a/stdout.log", "hello\n"}), "duplicate member"},
      {"unlisted", ok_then({"logs/extra.log", "extra"}), "member not in the manifest"},
      {"missing", craft(with_manifest({k_good[0], k_good[1], k_good[2], {"logs/b/stdout.log", "x"}})),
       "listed in the manifest but not in the bundle"},
      {"bad hash", craft(bad_hash), "SHA-256 does not match"},
      {"size differs", craft(with_manifest(k_good, {{"logs/a/stdout.log", "hello world\n"}}, false)),
       "size 12 in the archive, 6 in the manifest"},
      {"size lies", craft(with_manifest({k_good[0], k_good[1], k_good[2], {"logs/big", "small"}}, {{"logs/big", big}})),
       "in the archive, 5 in the manifest"},
      {"oversize", craft(with_manifest({k_good[0], k_good[1], k_good[2], {"logs/big", big}}, {{"logs/big", big}})),
       "size over the limit"},
      {"bomb", craft(with_manifest({k_good[0], k_good[1], k_good[2], {"logs/zeros", zeros}}, {{"logs/zeros", zeros}})),
       "compression bomb", std::uint64_t{64} << 20},
      {"manifest not first", craft({{"inventory.json", k_good[0].second}, {"manifest.json", manifest_of(k_good)}}),
       "first member is inventory.json"},
      {"manifest not json", craft({{"manifest.json", "{\"files\": ["}}), "not valid JSON"},
      {"manifest lists reserved", craft({{"manifest.json", manifest_of({{"manifest.sig", "x"}})}}), "listed as a file"},
      {"manifest twice", ok_then({"manifest.json", manifest_of(k_good)}), "duplicate member"},
      {"signature late", ok_then({"manifest.sig", "{}"}), "must follow manifest.json"},
      {"plain tar", craft(with_manifest(k_good), true), "not zstd-compressed"},
      {"gzip", craft(with_manifest(k_good), false, true), "not zstd-compressed"},
      {"garbage", std::string("\x28\xb5\x2f\xfd garbage that is no zstd frame", 36), "not a certify bundle"},
      {"empty", std::string(), "not zstd-compressed"},
      {"bad utf-8 name", ok_then({"logs/\xff\xfe\x01name", "x"}), "not valid UTF-8"},
      {"control char", ok_then({"logs/a\nb", "x"}), "control character"},
  };
  BundleLimits limits;
  limits.max_ratio = 100;
  limits.ratio_slack_bytes = 4 << 20;
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.label);
    limits.max_member_bytes = c.max_member;
    auto r = read_bundle_bytes(c.bytes, limits);
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.message().find(c.want) != std::string::npos, r.message());
    CHECK(valid_utf8(r.message()));

    // Extraction: fails the same way, leaves nothing, outside or inside.
    auto sandbox = d / ("case" + std::to_string(n++));
    fs::create_directories(sandbox);
    auto file = sandbox / "in.cbundle";
    put(file, c.bytes);
    auto target = sandbox / "out" / "x";
    fs::create_directories(target.parent_path());
    auto x = extract_bundle(file, target, limits);
    REQUIRE_FALSE(x.ok());
    CHECK_MESSAGE(x.message().find(c.want) != std::string::npos, x.message());
    CHECK_FALSE(fs::exists(target));
    CHECK(count_entries(sandbox / "out") == 0);
    CHECK(count_entries(sandbox) == 2);  // in.cbundle and out/
    CHECK_FALSE(fs::exists(escape_abs));
    CHECK_FALSE(fs::exists(d / "dotdot-escape"));
    CHECK_FALSE(fs::exists(sandbox / "dotdot-escape"));
  }

  // The valid crafted bundle passes, so each case fails for its own reason.
  limits.max_member_bytes = 2 << 20;
  auto good = read_bundle_bytes(craft(with_manifest(k_good)), limits);
  REQUIRE_MESSAGE(good.ok(), good.message());
  CHECK(good->files.size() == 3);
  // Names that are valid UTF-8 but not ASCII are fine.
  std::vector<std::pair<std::string, std::string>> utf8 = {{"logs/résumé/日志.log", "ok"}};
  CHECK(read_bundle_bytes(craft(with_manifest(utf8, {{"logs/résumé/日志.log", "ok"}}, false)), limits).ok());
}

TEST_CASE("extract: only into a new or empty directory; signature checked before anything is written") {
  TempDir d;
  auto run = make_run(d.path(), "run-5", 2);
  auto key = new_key(), stranger = new_key();
  bundle(run, d / "b.cbundle", {key});
  fs::create_directories(d / "full");
  put(d / "full/keep", "mine");
  auto busy = extract_bundle(d / "b.cbundle", d / "full", {});
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.message().find("not empty") != std::string::npos);
  CHECK(slurp(d / "full/keep") == "mine");

  fs::create_directories(d / "empty");
  auto untrusted = verify_bundle_file(d / "b.cbundle", ring_of({stranger}), {}, d / "empty");
  REQUIRE_FALSE(untrusted.ok());
  CHECK(fs::is_empty(d / "empty"));
  auto ok = verify_bundle_file(d / "b.cbundle", ring_of({key}), {}, d / "empty");
  REQUIRE_MESSAGE(ok.ok(), ok.message());
  CHECK(slurp(d / "empty/results.json") == slurp(run / "results.json"));
}

TEST_CASE("keys: private key mode 0600, passphrases, keyring directories") {
  TempDir d;
  auto key = new_key();
  auto pem = private_key_pem(key, "s3cret");
  REQUIRE(pem.ok());
  CHECK(pem->find("ENCRYPTED") != std::string::npos);
  REQUIRE(write_key_file(d / "k.key", *pem, true, false).ok());
  CHECK((fs::status(d / "k.key").permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK_FALSE(write_key_file(d / "k.key", *pem, true, false).ok());  // no silent overwrite
  REQUIRE(::mkfifo((d / "k.fifo").c_str(), 0600) == 0);
  auto into_fifo = write_key_file(d / "k.fifo", *pem, true, true);  // --force over a FIFO (or /dev/null)
  REQUIRE_FALSE(into_fifo.ok());
  CHECK(into_fifo.message() == (d / "k.fifo").string() + " is not a regular file: a key is written to a file only");
  CHECK(fs::is_fifo(fs::symlink_status(d / "k.fifo")));

  auto none = load_private_key(d / "k.key", "");
  REQUIRE_FALSE(none.ok());
  CHECK(none.message().find("encrypted") != std::string::npos);
  CHECK_FALSE(load_private_key(d / "k.key", "wrong").ok());
  auto loaded = load_private_key(d / "k.key", "s3cret");
  REQUIRE_MESSAGE(loaded.ok(), loaded.message());
  CHECK(loaded->fingerprint() == key.fingerprint());
  CHECK(key.fingerprint().size() == 7 + 64);

  fs::create_directories(d / "ring");
  auto pub = public_key_pem(key);
  REQUIRE(pub.ok());
  put(d / "ring/lab-a.pub", *pub);
  put(d / "ring/README", "not a key, not read");
  auto ring = Keyring::load_dir(d / "ring");
  REQUIRE_MESSAGE(ring.ok(), ring.message());
  REQUIRE(ring->find(key.fingerprint()));
  CHECK(ring->find(key.fingerprint())->name == "lab-a");
  put(d / "ring/broken.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  auto broken = Keyring::load_dir(d / "ring");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.message().find("broken.pub") != std::string::npos);
  CHECK_FALSE(Keyring::load_dir(d / "nowhere").ok());
  // An RSA key is refused with a reason.
  REQUIRE(run_command({"openssl", "genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:1024", "-out",
                       (d / "rsa.key").string()})
              .exit_code == 0);
  auto rsa = load_private_key(d / "rsa.key", "");
  REQUIRE_FALSE(rsa.ok());
  CHECK(rsa.message().find("Ed25519 or SM2") != std::string::npos);
}

TEST_CASE("SM2 with SM3: round trip next to Ed25519, when this OpenSSL has it") {
  if (!sm2_supported()) {
    MESSAGE("OpenSSL has no SM2/SM3: skipped");
    CHECK_FALSE(generate_key(SignatureAlgorithm::sm2_sm3).ok());
    return;
  }
  TempDir d;
  auto run = make_run(d.path(), "run-6", 2);
  auto ed = new_key(), sm2 = new_key(SignatureAlgorithm::sm2_sm3);
  CHECK(sm2.algorithm() == SignatureAlgorithm::sm2_sm3);
  bundle(run, d / "b.cbundle", {ed});
  REQUIRE(sign_bundle_file(d / "b.cbundle", {sm2}).ok());
  auto bytes = slurp(d / "b.cbundle");
  auto both = verify_bundle_bytes(bytes, ring_of({ed, sm2}));
  REQUIRE_MESSAGE(both.ok(), both.message());
  REQUIRE(both->signatures.size() == 2);
  CHECK(both->signatures[1].algorithm == SignatureAlgorithm::sm2_sm3);
  CHECK(both->signatures[1].fingerprint == sm2.fingerprint());
  // Every present signature must verify: the SM2 key must be trusted too.
  auto ed_only = verify_bundle_bytes(bytes, ring_of({ed}));
  REQUIRE_FALSE(ed_only.ok());
  CHECK(ed_only.message().find("manifest.sm2.sig: signed by an untrusted key") != std::string::npos);
  // An SM2-only bundle; PEM round trip of the SM2 key.
  auto pem = private_key_pem(sm2, "");
  REQUIRE(pem.ok());
  put(d / "sm2.key", *pem);
  auto loaded = load_private_key(d / "sm2.key", "");
  REQUIRE_MESSAGE(loaded.ok(), loaded.message());
  bundle(run, d / "sm2.cbundle", {*loaded});
  auto v = verify_bundle_file(d / "sm2.cbundle", ring_of({sm2}));
  REQUIRE_MESSAGE(v.ok(), v.message());
  CHECK(v->algorithm() == SignatureAlgorithm::sm2_sm3);
  auto tampered = read_bundle_bytes(slurp(d / "sm2.cbundle"), {});
  REQUIRE(tampered.ok());
  auto m = tampered->manifest_bytes;
  m[10] ^= 1;
  CHECK_FALSE(verify_manifest_signature(m, *tampered->sm2_signature, SignatureAlgorithm::sm2_sm3, ring_of({sm2})).ok());
}

TEST_CASE("certify keygen, bundle, sign, verify: end to end, with a real run") {
  TempDir d;
  auto certify = certify_bin();
  // A real run of certify with the runner's test suites.
  auto run = run_command({certify, "run", "--inventory", test::fixture("suites/run-inventory.json").string(), "--suites",
                          test::fixture("suites/run").string(), "--only", "outcome.pass", "--results",
                          (d / "results").string(), "--run-id", "lab-1", "-j", "2"});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);

  auto kg = run_command({certify, "keygen", (d / "lab").string()});
  REQUIRE_MESSAGE(kg.exit_code == 0, kg.err);
  CHECK(kg.out.find("SHA256:") != std::string::npos);
  CHECK(run_command({certify, "keygen", (d / "lab").string()}).exit_code == 2);  // exists

  auto file = (d / "lab-1.cbundle").string();
  auto b = run_command({certify, "bundle", "--results", (d / "results").string(), "-o", file});
  REQUIRE_MESSAGE(b.exit_code == 0, b.err);
  CHECK(b.out.find("run lab-1") != std::string::npos);
  auto unsigned_v = run_command({certify, "verify", file, "--pubkey", (d / "lab.pub").string()});
  CHECK(unsigned_v.exit_code == 1);
  CHECK(unsigned_v.err.find("not signed") != std::string::npos);

  auto s = run_command({certify, "sign", file, "--key", (d / "lab.key").string()});
  REQUIRE_MESSAGE(s.exit_code == 0, s.err);
  auto v = run_command({certify, "verify", file, "--pubkey", (d / "lab.pub").string(), "--json"});
  REQUIRE_MESSAGE(v.exit_code == 0, v.err);
  auto j = json::parse(v.out);
  CHECK(j["ok"] == true);
  CHECK(j["run_id"] == "lab-1");
  CHECK(j["signatures"][0]["algorithm"] == "ed25519");
  CHECK(j["files"].get<int>() >= 6);

  fs::create_directories(d / "ring");
  fs::copy_file(d / "lab.pub", d / "ring/lab.pub");
  auto x = run_command({certify, "verify", file, "--keyring", (d / "ring").string(), "--extract", (d / "x").string()});
  CHECK_MESSAGE(x.exit_code == 0, x.err);
  CHECK(fs::exists(d / "x/results.json"));
  CHECK(json::parse(slurp(d / "x/results.json"))["run_id"] == "lab-1");

  // Wrong key, tampered file, usage errors.
  REQUIRE(run_command({certify, "keygen", (d / "other").string()}).exit_code == 0);
  auto wrong = run_command({certify, "verify", file, "--pubkey", (d / "other.pub").string(), "--json"});
  CHECK(wrong.exit_code == 1);
  CHECK(json::parse(wrong.out)["ok"] == false);
  auto bytes = slurp(file);
  bytes[bytes.size() / 2] ^= 0x40;
  put(d / "bad.cbundle", bytes);
  CHECK(run_command({certify, "verify", (d / "bad.cbundle").string(), "--pubkey", (d / "lab.pub").string()}).exit_code == 1);
  CHECK(run_command({certify, "verify", file}).exit_code == 2);
  CHECK(run_command({certify, "verify", (d / "none").string(), "--pubkey", (d / "lab.pub").string()}).exit_code == 2);
  CHECK(run_command({certify, "bundle", "--results", (d / "nothing").string(), "-o", (d / "n.cbundle").string()}).exit_code == 2);

  // Passphrase-protected key, from a file or the environment.
  put(d / "pass", "correct horse\n");
  REQUIRE(run_command({certify, "keygen", (d / "enc").string(), "--passphrase-file", (d / "pass").string()}).exit_code == 0);
  auto nopass = run_command({certify, "sign", file, "--key", (d / "enc.key").string()});
  CHECK(nopass.exit_code == 2);
  CHECK(nopass.err.find("encrypted") != std::string::npos);
  auto env = run_command({certify, "sign", file, "--key", (d / "enc.key").string()},
                         {"CERTIFY_KEY_PASSPHRASE=correct horse"});
  CHECK_MESSAGE(env.exit_code == 0, env.err);
  CHECK(run_command({certify, "verify", file, "--pubkey", (d / "enc.pub").string()}).exit_code == 0);
}
