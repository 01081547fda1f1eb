// certify bundle, keygen, sign, verify: the signed results bundle of a run
// (certify-bundle(5)).
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "submit/bundle.hpp"
#include "submit/sign.hpp"
#include "submit/verify.hpp"

namespace certify::cli {

namespace {

namespace fs = std::filesystem;

// --passphrase-file wins over $CERTIFY_KEY_PASSPHRASE; none means "no passphrase".
std::string passphrase(const std::string& file) {
  if (!file.empty()) {
    auto p = submit::read_passphrase_file(file);
    if (!p) throw CommandError(p.message());
    return *p;
  }
  const char* env = std::getenv("CERTIFY_KEY_PASSPHRASE");
  return env ? env : "";
}

std::vector<submit::Key> load_keys(const std::vector<std::string>& files, const std::string& pass_file) {
  auto pass = passphrase(pass_file);
  std::vector<submit::Key> keys;
  for (const auto& f : files) {
    auto k = submit::load_private_key(f, pass);
    if (!k) throw CommandError(k.message());
    keys.push_back(std::move(*k));
  }
  return keys;
}

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
  return buf;
}

struct BundleArgs {
  std::string results = "results";
  std::string output;
  std::vector<std::string> keys;
  std::string passphrase_file;
  int threads = 0;
  int level = 3;
  bool json = false;
};

void run_bundle(const BundleArgs& a) {
  auto dir = submit::find_run_dir(a.results);
  if (!dir) throw CommandError(dir.message());
  submit::BundleOptions o;
  o.results = *dir;
  o.output = a.output;
  o.threads = a.threads;
  o.level = a.level;
  o.sign_with = load_keys(a.keys, a.passphrase_file);
  auto r = submit::write_bundle(o);
  if (!r) throw CommandError(r.message(), k_exit_failed);
  for (const auto& s : r->skipped) std::cerr << "certify: not bundled: " << s << '\n';
  if (a.json) {
    nlohmann::json out = {{"file", a.output},       {"run_dir", dir->string()},        {"run_id", r->manifest["run_id"]},
                          {"members", r->members},  {"input_bytes", r->input_bytes}, {"output_bytes", r->output_bytes},
                          {"signed", !a.keys.empty()}, {"skipped", r->skipped}};
    std::cout << out.dump(2) << '\n';
    return;
  }
  std::cout << a.output << ": run " << r->manifest["run_id"].get<std::string>() << ", " << r->members << " files, "
            << mib(r->input_bytes) << " -> " << mib(r->output_bytes) << (a.keys.empty() ? " (unsigned)" : " (signed)")
            << '\n';
}

struct KeygenArgs {
  std::string prefix;
  bool sm2 = false;
  std::string passphrase_file;
  bool force = false;
};

void run_keygen(const KeygenArgs& a) {
  auto alg = a.sm2 ? submit::SignatureAlgorithm::sm2_sm3 : submit::SignatureAlgorithm::ed25519;
  auto key = submit::generate_key(alg);
  if (!key) throw CommandError(key.message());
  auto priv = submit::private_key_pem(*key, passphrase(a.passphrase_file));
  if (!priv) throw CommandError(priv.message());
  auto pub = submit::public_key_pem(*key);
  if (!pub) throw CommandError(pub.message());
  fs::path key_path = a.prefix + ".key", pub_path = a.prefix + ".pub";
  if (!a.force)
    for (const auto& p : {key_path, pub_path})
      if (fs::exists(fs::symlink_status(p))) throw CommandError(p.string() + " already exists (use --force to replace it)");
  if (auto st = submit::write_key_file(key_path, *priv, true, a.force); !st) throw CommandError(st.message());
  if (auto st = submit::write_key_file(pub_path, *pub, false, a.force); !st) throw CommandError(st.message());
  std::cout << key_path.string() << " (private, mode 0600), " << pub_path.string() << ": "
            << submit::algorithm_name(alg) << ' ' << key->fingerprint() << '\n';
}

struct SignArgs {
  std::string file;
  std::vector<std::string> keys;
  std::string passphrase_file;
};

void run_sign(const SignArgs& a) {
  auto keys = load_keys(a.keys, a.passphrase_file);
  auto r = submit::sign_bundle_file(a.file, keys);
  if (!r) throw CommandError(r.message(), k_exit_failed);
  for (const auto& k : keys)
    std::cout << a.file << ": signed, " << submit::algorithm_name(k.algorithm()) << ' ' << k.fingerprint() << '\n';
}

struct VerifyArgs {
  std::string file;
  std::vector<std::string> pubkeys;
  std::string keyring;
  std::string extract;
  bool json = false;
};

void run_verify(const VerifyArgs& a, int& exit_code) {
  if (a.pubkeys.empty() == a.keyring.empty()) throw CommandError("give --pubkey FILE (one or more) or --keyring DIR");
  if (!fs::exists(a.file)) throw CommandError(a.file + ": no such file");
  submit::Keyring ring;
  if (!a.keyring.empty()) {
    auto r = submit::Keyring::load_dir(a.keyring);
    if (!r) throw CommandError(r.message());
    ring = std::move(*r);
  }
  for (const auto& p : a.pubkeys) {
    auto k = submit::load_public_key(p);
    if (!k) throw CommandError(k.message());
    ring.add(*k, fs::path(p).stem().string());
  }
  auto v = submit::verify_bundle_file(a.file, ring, {}, a.extract);
  if (!v) {
    exit_code = k_exit_failed;
    if (a.json) {
      std::cout << nlohmann::json{{"file", a.file}, {"ok", false}, {"error", v.message()}}.dump(2) << '\n';
      return;
    }
    throw CommandError(v.message(), k_exit_failed);
  }
  const auto& m = v->contents.manifest;
  if (a.json) {
    nlohmann::json sigs = nlohmann::json::array();
    for (const auto& s : v->signatures)
      sigs.push_back({{"algorithm", submit::algorithm_name(s.algorithm)}, {"fingerprint", s.fingerprint}, {"key", s.key_name}});
    nlohmann::json out = {{"file", a.file},          {"ok", true},
                          {"run_id", m["run_id"]},   {"signatures", sigs},
                          {"unchecked", v->unchecked}, {"files", v->contents.files.size()},
                          {"bytes", v->contents.total_bytes}, {"machine", m.value("machine", nlohmann::json::object())}};
    if (!a.extract.empty()) out["extracted_to"] = a.extract;
    std::cout << out.dump(2) << '\n';
    return;
  }
  std::cout << a.file << ": OK, run " << m["run_id"].get<std::string>() << ", " << v->contents.files.size()
            << " files, " << mib(v->contents.total_bytes) << '\n';
  for (const auto& s : v->signatures)
    std::cout << "  signed " << submit::algorithm_name(s.algorithm) << " by " << s.key_name << " (" << s.fingerprint
              << ")\n";
  for (const auto& u : v->unchecked) std::cout << "  " << u << '\n';
  if (!a.extract.empty()) std::cout << "  extracted to " << a.extract << '\n';
}

}  // namespace

void add_bundle_commands(CLI::App& app, int& exit_code) {
  {
    auto a = std::make_shared<BundleArgs>();
    auto* cmd = app.add_subcommand("bundle", "Pack a run's results into a bundle (.cbundle, tar + zstd, manifest)");
    cmd->add_option("--results", a->results,
                    "A run folder, or a results directory (its newest finished run is taken)")
        ->capture_default_str();
    cmd->add_option("-o,--output", a->output, "Bundle file to write")->required();
    cmd->add_option("--key", a->keys, "Private key: sign while bundling (repeat for Ed25519 + SM2)");
    cmd->add_option("--passphrase-file", a->passphrase_file, "Passphrase of the key (default: $CERTIFY_KEY_PASSPHRASE)");
    cmd->add_option("--threads", a->threads, "zstd worker threads (0: one per CPU; the bundle is the same)")
        ->check(CLI::Range(0, 256));
    cmd->add_option("--level", a->level, "zstd level")->check(CLI::Range(1, 19))->capture_default_str();
    cmd->add_flag("--json", a->json, "Print a JSON summary");
    cmd->footer("The same results always give a byte-identical bundle. journal.db is left out.");
    cmd->callback([a] { run_bundle(*a); });
  }
  {
    auto a = std::make_shared<KeygenArgs>();
    auto* cmd = app.add_subcommand("keygen", "Create a signing key pair: PREFIX.key (mode 0600) and PREFIX.pub");
    cmd->add_option("prefix", a->prefix, "Path prefix of the two files")->required();
    cmd->add_flag("--sm2", a->sm2, "SM2 key (signatures with SM3) instead of Ed25519");
    cmd->add_option("--passphrase-file", a->passphrase_file,
                    "Encrypt the private key with this file's first line (default: $CERTIFY_KEY_PASSPHRASE)");
    cmd->add_flag("--force", a->force, "Replace existing files");
    cmd->callback([a] { run_keygen(*a); });
  }
  {
    auto a = std::make_shared<SignArgs>();
    auto* cmd = app.add_subcommand("sign", "Sign a bundle's manifest (replaces the head, not the logs)");
    cmd->add_option("file", a->file, "Bundle file (.cbundle)")->required();
    cmd->add_option("--key", a->keys, "Private key (Ed25519 and/or SM2; repeat for both)")->required();
    cmd->add_option("--passphrase-file", a->passphrase_file, "Passphrase of the key (default: $CERTIFY_KEY_PASSPHRASE)");
    cmd->callback([a] { run_sign(*a); });
  }
  {
    auto a = std::make_shared<VerifyArgs>();
    auto* cmd = app.add_subcommand("verify", "Check a bundle's signature and every member's size and SHA-256");
    cmd->add_option("file", a->file, "Bundle file (.cbundle)")->required();
    cmd->add_option("--pubkey", a->pubkeys, "Trusted public key (PEM); repeatable");
    cmd->add_option("--keyring", a->keyring, "Directory of trusted public keys (*.pub)");
    cmd->add_option("--extract", a->extract, "Also extract the members into this new or empty directory");
    cmd->add_flag("--json", a->json, "Print the result as JSON");
    cmd->footer("Exit status: 0 verified, 1 verification failed, 2 usage error.");
    cmd->callback([a, &exit_code] { run_verify(*a, exit_code); });
  }
}

}  // namespace certify::cli
