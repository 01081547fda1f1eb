// Keys and manifest signatures with OpenSSL 3 EVP (Ed25519; SM2 with SM3).
#include "submit/sign.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/files.hpp"

namespace certify::submit {
namespace {

// The most specific OpenSSL error on the queue, emptying it.
std::string ssl_error(std::string_view what) {
  unsigned long code = 0, last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  std::string out(what);
  if (last != 0) {
    char buf[256];
    ERR_error_string_n(last, buf, sizeof buf);
    out += " (";
    out += buf;
    out += ")";
  }
  return out;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MdFree {
  void operator()(EVP_MD* m) const { EVP_MD_free(m); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using MdPtr = std::unique_ptr<EVP_MD, MdFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() >= 2 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// Passphrase callback that never prompts: with no passphrase it fails and
// records that one was needed.
struct PassInfo {
  std::string_view pass;
  bool asked = false;
};
int pass_cb(char* buf, int size, int /*rwflag*/, void* u) {
  auto* info = static_cast<PassInfo*>(u);
  info->asked = true;
  if (info->pass.empty() || info->pass.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, info->pass.data(), info->pass.size());
  return static_cast<int>(info->pass.size());
}

Result<std::string> raw_public_key(EVP_PKEY* pkey, SignatureAlgorithm alg) {
  if (alg == SignatureAlgorithm::ed25519) {
    std::string raw(32, '\0');
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1)
      return make_error(ssl_error("cannot read the Ed25519 public key"));
    raw.resize(len);
    return raw;
  }
  std::string raw(133, '\0');
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      reinterpret_cast<unsigned char*>(raw.data()), raw.size(), &len) != 1)
    return make_error(ssl_error("cannot read the SM2 public key"));
  raw.resize(len);
  return raw;
}

}  // namespace

std::string_view algorithm_name(SignatureAlgorithm alg) {
  return alg == SignatureAlgorithm::ed25519 ? "ed25519" : "sm2-sm3";
}

bool sm2_supported() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  MdPtr md(EVP_MD_fetch(nullptr, "SM3", nullptr));
  ERR_clear_error();
  return ctx && md;
}

Result<Key> Key::adopt(EVP_PKEY* pkey, bool has_private) {
  Key k;
  k.pkey_.reset(pkey, EVP_PKEY_free);
  if (EVP_PKEY_is_a(pkey, "ED25519")) k.alg_ = SignatureAlgorithm::ed25519;
  else if (EVP_PKEY_is_a(pkey, "SM2")) k.alg_ = SignatureAlgorithm::sm2_sm3;
  else
    return make_error(std::string("unsupported key type ") + EVP_PKEY_get0_type_name(pkey) +
                      " (Ed25519 or SM2 keys only)");
  auto raw = raw_public_key(pkey, k.alg_);
  if (!raw) return raw.error();
  k.fingerprint_ = "SHA256:" + sha256_hex(*raw);
  k.private_ = has_private;
  return k;
}

Result<Key> generate_key(SignatureAlgorithm alg) {
  if (alg == SignatureAlgorithm::sm2_sm3 && !sm2_supported())
    return make_error("this OpenSSL build has no SM2/SM3");
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, alg == SignatureAlgorithm::ed25519 ? "ED25519" : "SM2");
  if (!pkey) return make_error(ssl_error("key generation failed"));
  return Key::adopt(pkey, true);
}

Result<std::string> private_key_pem(const Key& key, std::string_view passphrase) {
  if (!key.has_private()) return make_error("not a private key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  int ok = 0;
  if (passphrase.empty()) {
    ok = PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    std::string pass(passphrase);
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), pass.data(),
                                       static_cast<int>(pass.size()), nullptr, nullptr);
    OPENSSL_cleanse(pass.data(), pass.size());
  }
  if (ok != 1) return make_error(ssl_error("cannot encode the private key"));
  return bio_text(bio.get());
}

Result<std::string> public_key_pem(const Key& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) return make_error(ssl_error("cannot encode the public key"));
  return bio_text(bio.get());
}

Status write_key_file(const std::filesystem::path& path, std::string_view pem, bool is_private, bool overwrite) {
  if (!overwrite && std::filesystem::symlink_status(path).type() != std::filesystem::file_type::not_found)
    return make_error(path.string() + " already exists (use --force to replace it)");
  // --force over /dev/null or a FIFO: a rename would put a regular file in
  // its place (as root, in /dev), and a key goes to a file only.
  if (struct stat st {}; ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return make_error(path.string() + " is not a regular file: a key is written to a file only");
  // Built under a temporary name with its final mode from the start, so a
  // private key is never readable by others, not even for a moment.
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  mode_t mode = is_private ? 0600 : 0644;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return make_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < pem.size()) {
    ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    ::unlink(tmp.c_str());
    return make_error("cannot write " + path.string() + ": " + std::strerror(err));
  }
  return ok_status();
}

Result<Key> load_private_key(const std::filesystem::path& path, std::string_view passphrase) {
  auto text = read_file(path, 1 << 20);
  if (!text) return text.error();
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  PassInfo info{passphrase};
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, pass_cb, &info);
  OPENSSL_cleanse(text->data(), text->size());
  if (!pkey) {
    if (info.asked && passphrase.empty())
      return make_error(path.string() +
                        ": the key is encrypted; give --passphrase-file or set CERTIFY_KEY_PASSPHRASE");
    if (info.asked) return make_error(ssl_error(path.string() + ": wrong passphrase or damaged key"));
    return make_error(ssl_error(path.string() + ": not a PEM private key"));
  }
  auto key = Key::adopt(pkey, true);
  if (!key) return make_error(path.string() + ": " + key.message());
  return key;
}

Result<Key> parse_public_key(std::string_view pem, const std::string& origin) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PassInfo info{};
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, pass_cb, &info);
  if (!pkey) return make_error(ssl_error(origin + ": not a PEM public key"));
  auto key = Key::adopt(pkey, false);
  if (!key) return make_error(origin + ": " + key.message());
  return key;
}

Result<Key> load_public_key(const std::filesystem::path& path) {
  auto text = read_file(path, 1 << 20);
  if (!text) return text.error();
  return parse_public_key(*text, path.string());
}

Result<std::string> read_passphrase_file(const std::filesystem::path& path) {
  auto text = read_file(path, 4096);
  if (!text) return text.error();
  auto nl = text->find_first_of("\r\n");
  std::string pass = text->substr(0, nl);
  OPENSSL_cleanse(text->data(), text->size());
  if (pass.empty()) return make_error(path.string() + ": empty passphrase");
  return pass;
}

void Keyring::add(const Key& key, std::string name) {
  keys_.insert_or_assign(key.fingerprint(), Entry{std::move(name), key});
}

Result<Keyring> Keyring::load_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return make_error("cannot read keyring " + dir.string() + ": " + ec.message());
  std::vector<std::filesystem::path> files;
  for (const auto& e : it)
    if (e.path().extension() == ".pub") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  Keyring ring;
  for (const auto& f : files) {
    auto key = load_public_key(f);
    if (!key) return make_error("keyring: " + key.message());
    ring.add(*key, f.stem().string());
  }
  if (ring.empty()) return make_error("keyring " + dir.string() + " holds no *.pub keys");
  return ring;
}

const Keyring::Entry* Keyring::find(const std::string& fingerprint) const {
  auto it = keys_.find(fingerprint);
  return it == keys_.end() ? nullptr : &it->second;
}

namespace {

// Sets up md for the key's algorithm: none for Ed25519 (it hashes
// internally), SM3 with the distinguishing ID for SM2.
Status init_digest(EVP_MD_CTX* md, const Key& key, bool sign) {
  if (key.algorithm() == SignatureAlgorithm::ed25519) {
    int ok = sign ? EVP_DigestSignInit(md, nullptr, nullptr, nullptr, key.get())
                  : EVP_DigestVerifyInit(md, nullptr, nullptr, nullptr, key.get());
    if (ok != 1) return make_error(ssl_error("Ed25519 setup failed"));
    return ok_status();
  }
  MdPtr sm3(EVP_MD_fetch(nullptr, "SM3", nullptr));
  if (!sm3) return make_error(ssl_error("this OpenSSL build has no SM3"));
  PkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!pctx || EVP_PKEY_CTX_set1_id(pctx.get(), k_sm2_dist_id.data(), static_cast<int>(k_sm2_dist_id.size())) != 1)
    return make_error(ssl_error("SM2 setup failed"));
  // The MD context takes ownership of pctx.
  EVP_MD_CTX_set_pkey_ctx(md, pctx.release());
  int ok = sign ? EVP_DigestSignInit(md, nullptr, sm3.get(), nullptr, key.get())
                : EVP_DigestVerifyInit(md, nullptr, sm3.get(), nullptr, key.get());
  if (ok != 1) return make_error(ssl_error("SM2 setup failed"));
  return ok_status();
}

// EVP_MD_CTX_set_pkey_ctx leaves the pkey ctx to us; free it with the md ctx.
struct SignCtx {
  MdCtxPtr md{EVP_MD_CTX_new()};
  ~SignCtx() {
    if (md) {
      EVP_PKEY_CTX* p = EVP_MD_CTX_get_pkey_ctx(md.get());
      bool ours = p != nullptr && owned;
      md.reset();
      if (ours) EVP_PKEY_CTX_free(p);
    }
  }
  bool owned = false;
};

}  // namespace

Result<std::string> sign_manifest(std::string_view manifest_bytes, const Key& key) {
  if (!key.has_private()) return make_error("signing needs a private key");
  SignCtx ctx;
  ctx.owned = key.algorithm() == SignatureAlgorithm::sm2_sm3;
  if (auto st = init_digest(ctx.md.get(), key, true); !st) return st.error();
  const auto* msg = reinterpret_cast<const unsigned char*>(manifest_bytes.data());
  std::size_t len = 0;
  std::string sig;
  if (key.algorithm() == SignatureAlgorithm::ed25519) {
    // Ed25519 is one-shot (PureEdDSA): no Update/Final.
    if (EVP_DigestSign(ctx.md.get(), nullptr, &len, msg, manifest_bytes.size()) != 1)
      return make_error(ssl_error("signing failed"));
    sig.resize(len);
    if (EVP_DigestSign(ctx.md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg,
                       manifest_bytes.size()) != 1)
      return make_error(ssl_error("signing failed"));
  } else {
    if (EVP_DigestSignUpdate(ctx.md.get(), msg, manifest_bytes.size()) != 1 ||
        EVP_DigestSignFinal(ctx.md.get(), nullptr, &len) != 1)
      return make_error(ssl_error("signing failed"));
    sig.resize(len);
    if (EVP_DigestSignFinal(ctx.md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len) != 1)
      return make_error(ssl_error("signing failed"));
  }
  sig.resize(len);
  nlohmann::ordered_json j = {{"algorithm", algorithm_name(key.algorithm())},
                              {"key", key.fingerprint()},
                              {"signature", base64(sig)}};
  return j.dump() + "\n";
}

Result<SignatureCheck> verify_manifest_signature(std::string_view manifest_bytes, std::string_view member,
                                                 SignatureAlgorithm expected, const Keyring& keyring) {
  auto j = nlohmann::json::parse(member, nullptr, false);
  if (!j.is_object() || !j.contains("algorithm") || !j["algorithm"].is_string() || !j.contains("key") ||
      !j["key"].is_string() || !j.contains("signature") || !j["signature"].is_string())
    return make_error("malformed signature: want JSON {\"algorithm\", \"key\", \"signature\"}");
  auto alg = j["algorithm"].get<std::string>();
  if (alg != algorithm_name(expected))
    return make_error("signature algorithm is not " + std::string(algorithm_name(expected)));
  auto fingerprint = j["key"].get<std::string>();
  auto sig = unbase64(j["signature"].get<std::string>());
  if (!sig) return make_error("malformed signature: not base64");
  // Only the one form sign_manifest writes is accepted, so no byte of a
  // signature member can change without failing (base64 has spare bits,
  // JSON has optional whitespace).
  nlohmann::ordered_json canonical = {{"algorithm", alg}, {"key", fingerprint}, {"signature", base64(*sig)}};
  if (canonical.dump() + "\n" != member) return make_error("malformed signature: not in canonical form");
  const auto* entry = keyring.find(fingerprint);
  if (!entry) {
    // The fingerprint is only ours to print once it looks like one.
    bool looks = fingerprint.size() == 71 && fingerprint.rfind("SHA256:", 0) == 0 &&
                 fingerprint.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
    return make_error("signed by an untrusted key " + (looks ? fingerprint : std::string("(malformed key id)")));
  }
  if (entry->key.algorithm() != expected) return make_error("key " + fingerprint + " is not an " + alg + " key");
  SignCtx ctx;
  ctx.owned = expected == SignatureAlgorithm::sm2_sm3;
  if (auto st = init_digest(ctx.md.get(), entry->key, false); !st) return st.error();
  const auto* msg = reinterpret_cast<const unsigned char*>(manifest_bytes.data());
  const auto* s = reinterpret_cast<const unsigned char*>(sig->data());
  int ok = 0;
  if (expected == SignatureAlgorithm::ed25519)
    ok = EVP_DigestVerify(ctx.md.get(), s, sig->size(), msg, manifest_bytes.size());
  else
    ok = EVP_DigestVerifyUpdate(ctx.md.get(), msg, manifest_bytes.size()) == 1
             ? EVP_DigestVerifyFinal(ctx.md.get(), s, sig->size())
             : 0;
  ERR_clear_error();
  if (ok != 1) return make_error("bad " + alg + " signature by " + fingerprint + " (" + entry->name + ")");
  return SignatureCheck{expected, fingerprint, entry->name};
}

}  // namespace certify::submit
