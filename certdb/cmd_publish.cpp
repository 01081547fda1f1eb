// certdb publish / verify-published / gen-certificates: the static public
// list, its verification as a mirror does it, and synthetic test data.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "certdb/catalog.hpp"
#include "certdb/commands.hpp"
#include "certdb/generate.hpp"
#include "certdb/list_api.hpp"
#include "certdb/publish.hpp"
#include "certdb/store.hpp"
#include "core/files.hpp"

namespace certify::certdb::cli {

namespace {

struct PublishArgs {
  std::string records, db, changes, out, key, title = "Certified hardware";
  unsigned bucket_level = 12, threads = 2;
  bool json = false;
};

void run_publish(const PublishArgs& a) {
  using clock = std::chrono::steady_clock;
  if (int(!a.records.empty()) + int(!a.db.empty()) + int(!a.changes.empty()) != 1)
    throw CommandError("publish wants --records FILE, --db DB or --changes FILE (one of them)");
  auto t0 = clock::now();
  double c0 = process_cpu_seconds();
  PublishOptions opt;
  opt.out = a.out;
  opt.key = a.key;
  opt.title = a.title;
  opt.bucket_level = a.bucket_level;
  opt.threads = a.threads;
  Catalog catalog;
  std::string changes;
  if (!a.db.empty()) {
    // The database's certificates, as `certdb serve` lists them. A record
    // that breaks the contract stops the publication: a signed list must
    // not leave a certificate out silently.
    if (!is_postgres_url(a.db) && !std::filesystem::exists(a.db))
      throw CommandError("--db " + a.db + ": no such database");
    Store store(a.db, StoreOptions{});
    for (const auto& record : store.certificates())
      if (auto st = catalog.upsert(record); !st) throw CommandError(a.db + ": " + st.message());
  } else if (!a.records.empty()) {
    // Read by publish_records_file (mapped, parsed in parallel, no catalog).
  } else {
    auto text = read_file(a.changes, std::size_t{4} << 30);
    if (!text) throw CommandError(text.message());
    changes = std::move(*text);
  }
  auto t1 = clock::now();
  double c1 = process_cpu_seconds();
  auto stats = !a.changes.empty() ? publish_changes(changes, opt)
               : !a.records.empty() ? publish_records_file(a.records, opt)
                                    : publish_site(catalog, opt);
  if (!stats) {
    const std::string& input = !a.changes.empty() ? a.changes : a.records;
    throw CommandError((input.empty() ? "" : input + ": ") + stats.message());
  }
  auto t2 = clock::now();
  double c2 = process_cpu_seconds();
  double load_s = std::chrono::duration<double>(t1 - t0).count();
  double publish_s = std::chrono::duration<double>(t2 - t1).count();
  if (a.json) {
    nlohmann::json j = {{"certificates", stats->certificates}, {"files_written", stats->files_written},
                        {"files_unchanged", stats->files_unchanged}, {"files_removed", stats->files_removed},
                        {"bytes_written", stats->bytes_written}, {"site_bytes", stats->site_bytes},
                        {"merkle_root", stats->merkle_root}, {"load_seconds", load_s},
                        {"publish_seconds", publish_s},
                        {"load_cpu_seconds", c1 - c0}, {"publish_cpu_seconds", c2 - c1}};
    if (stats->written.size() <= 1000) j["written"] = stats->written;
    for (const auto& ph : stats->phases) j["phases"].push_back({{"name", ph.name}, {"wall", ph.wall}, {"cpu", ph.cpu}});
    std::cout << j.dump(1) << '\n';
  } else {
    std::printf("published %zu certificates to %s: %zu files written (%llu bytes), %zu unchanged, %zu removed; "
                "site %llu bytes; Merkle root %s; load %.2fs (CPU %.2fs), publish %.2fs (CPU %.2fs)\n",
                stats->certificates, a.out.c_str(), stats->files_written,
                static_cast<unsigned long long>(stats->bytes_written), stats->files_unchanged, stats->files_removed,
                static_cast<unsigned long long>(stats->site_bytes), stats->merkle_root.c_str(), load_s, c1 - c0, publish_s, c2 - c1);
  }
}

}  // namespace

void add_publish_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<PublishArgs>();
  auto* pub = app.add_subcommand("publish", "Write the public compatibility list as a static, signed site");
  auto* records = pub->add_option("--records", a->records, "Certificate records, JSON Lines (one record a line)")
                      ->check(CLI::ExistingFile);
  auto* db = pub->add_option("--db", a->db, "Publish the certificates of this certdb database (sqlite file or "
                                            "postgresql://...)");
  auto* changes = pub->add_option("--changes", a->changes,
                                  "Incremental: only these new or changed records (JSON Lines), applied to the site "
                                  "already published in --out")
                      ->check(CLI::ExistingFile);
  records->excludes(db)->excludes(changes);
  db->excludes(records)->excludes(changes);
  pub->add_option("--out", a->out, "Site directory (created; republishing rewrites only what changed)")->required();
  pub->add_option("--key", a->key, "Ed25519 private key (PEM) that signs list.json and the Merkle root")
      ->required()->check(CLI::ExistingFile);
  pub->add_option("--title", a->title, "Title of the search page")->capture_default_str();
  pub->add_option("--block-level", a->bucket_level,
                  "Blocks of 2^N certificates (0-20): one list, CSV and search file each, rewritten together")
      ->capture_default_str()->check(CLI::Range(0u, 20u));
  pub->add_option("--threads", a->threads, "Worker threads")->capture_default_str()->check(CLI::Range(1u, 64u));
  pub->add_flag("--json", a->json, "Print the statistics as JSON");
  pub->callback([a] { run_publish(*a); });

  auto v = std::make_shared<std::pair<std::string, std::vector<std::string>>>();
  auto pubkey = std::make_shared<std::string>();
  auto* ver = app.add_subcommand("verify-published",
                                 "Check a published site as a mirror would: signatures and Merkle inclusion proofs");
  ver->add_option("--site", v->first, "Site directory")->required()->check(CLI::ExistingDirectory);
  ver->add_option("--pubkey", *pubkey, "Pinned Ed25519 public key (PEM); default: the site's signing-key.pem")
      ->check(CLI::ExistingFile);
  ver->add_option("ids", v->second, "Certificate ids to prove")->required();
  ver->callback([v, pubkey, &exit_code] {
    std::string pem;
    if (!pubkey->empty()) {
      auto k = read_file(*pubkey, 1 << 16);
      if (!k) throw CommandError(k.message());
      pem = *k;
    }
    for (const auto& id : v->second) {
      auto r = verify_published_certificate(v->first, id, pem);
      if (r) {
        std::printf("%s: included under signed root %s (leaf %llu of %llu, audit path of %zu hashes)\n", id.c_str(),
                    r->root.c_str(), static_cast<unsigned long long>(r->leaf_index),
                    static_cast<unsigned long long>(r->tree_size), r->path.size());
      } else {
        std::fprintf(stderr, "certdb: %s: %s\n", id.c_str(), r.message().c_str());
        exit_code = k_exit_failed;
      }
    }
  });

  auto sl = std::make_shared<std::pair<std::string, std::string>>("", "127.0.0.1:8081");
  auto* serve = app.add_subcommand("serve-list",
                                   "Serve the public list API (/api/v1/list, list.json, list.csv, certificates/{id}) "
                                   "read-only from exported records, e.g. on a mirror");
  serve->add_option("--records", sl->first, "Certificate records, JSON Lines")->required()->check(CLI::ExistingFile);
  serve->add_option("--listen", sl->second, "HOST:PORT to listen on")->capture_default_str();
  auto sl_threads_opt = std::make_shared<std::size_t>(64);
  serve->add_option("--threads", *sl_threads_opt, "Worker threads (each open connection holds one)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  serve->callback([sl, sl_threads_opt] {
    const std::size_t sl_threads = *sl_threads_opt;
    auto colon = sl->second.rfind(':');
    if (colon == std::string::npos) throw CommandError("--listen wants HOST:PORT");
    std::string host = sl->second.substr(0, colon);
    int port = 0;
    try {
      port = std::stoi(sl->second.substr(colon + 1));
    } catch (const std::exception&) {
      throw CommandError("--listen wants HOST:PORT");
    }
    auto text = read_file(sl->first, std::size_t{64} << 30);
    if (!text) throw CommandError(text.message());
    Catalog catalog;
    if (auto st = catalog.load_jsonl(*text); !st) throw CommandError(sl->first + ": " + st.message());
    std::string().swap(*text);
    // Build every index and sort order before the first client.
    auto t0 = std::chrono::steady_clock::now();
    catalog.prepare();
    std::fprintf(stderr, "certdb: list indexes built in %.2f s, %zu MiB\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                 catalog.index_bytes() >> 20);
    httplib::Server server;
    // A keep-alive connection holds a worker while it is open: enough
    // workers that busy clients do not queue behind idle connections.
    server.new_task_queue = [threads = sl_threads] { return new httplib::ThreadPool(threads); };
    register_list_routes(server, catalog);
    if (!server.bind_to_port(host, port)) throw CommandError("cannot listen on " + sl->second);
    std::printf("serving %zu certificates on http://%s/api/v1/list\n", catalog.size(), sl->second.c_str());
    std::fflush(stdout);
    server.listen_after_bind();
  });

  auto g = std::make_shared<std::tuple<std::size_t, std::uint64_t, std::string>>(1000, 1, "");
  auto* gen = app.add_subcommand("gen-certificates", "Write synthetic certificate records (JSON Lines) for tests and benchmarks");
  gen->add_option("--count", std::get<0>(*g), "Number of certificates")->capture_default_str();
  gen->add_option("--seed", std::get<1>(*g), "Random seed (same seed, same records)")->capture_default_str();
  gen->add_option("--out", std::get<2>(*g), "Output file")->required();
  gen->callback([g] {
    std::ofstream out(std::get<2>(*g), std::ios::binary | std::ios::trunc);
    if (!out) throw CommandError("cannot create " + std::get<2>(*g));
    generate_certificates(std::get<0>(*g), std::get<1>(*g), [&](const nlohmann::json& r) { out << r.dump() << '\n'; });
    out.close();
    if (!out) throw CommandError("cannot write " + std::get<2>(*g));
  });
}

}  // namespace certify::certdb::cli
