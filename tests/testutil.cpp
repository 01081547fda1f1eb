// Helpers for tests: fixture paths, temporary directories, running binaries.
#include "tests/testutil.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "certify_config.h"
#include "core/files.hpp"

extern char** environ;

namespace certify::test {

namespace fs = std::filesystem;

fs::path source_path(const std::string& rel) { return fs::path(CERTIFY_SOURCE_DIR) / rel; }
fs::path fixture(const std::string& name) { return source_path("tests/fixtures/" + name); }
fs::path build_path(const std::string& rel) { return fs::path(CERTIFY_BUILD_DIR) / rel; }

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "certify-test.XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandOutput run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env) {
  TempDir tmp;
  auto out_path = tmp / "out", err_path = tmp / "err";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  for (const auto& e : extra_env) env_store.push_back(e);
  std::vector<char*> envp, args;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  CommandOutput r;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = std::string("spawn failed: ") + std::strerror(rc);
    return r;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (auto s = read_file(out_path)) r.out = *s;
  if (auto s = read_file(err_path)) r.err = *s;
  return r;
}

std::string check_golden(const nlohmann::json& actual_in, const fs::path& golden) {
  // Where the checkout lives is not part of any golden.
  nlohmann::json actual = actual_in;
  if (actual.is_object()) actual.erase("sysroot");
  const char* upd = std::getenv("CERTIFY_UPDATE_GOLDEN");
  if (upd && std::string(upd) == "1") {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden) << actual.dump(2) << '\n';
    return {};
  }
  auto text = read_file(golden);
  if (!text) return "golden file missing: " + golden.string() + " (run with CERTIFY_UPDATE_GOLDEN=1)";
  auto expected = nlohmann::json::parse(*text, nullptr, false);
  if (expected.is_discarded()) return "golden file is not JSON: " + golden.string();
  if (expected.is_object()) expected.erase("sysroot");
  if (expected == actual) return {};
  auto patch = nlohmann::json::diff(expected, actual);
  std::string d = patch.dump(1);
  if (d.size() > 4000) d = d.substr(0, 4000) + "...";
  return "differs from " + golden.string() + ":\n" + d;
}

std::string schema_errors(const nlohmann::json& doc, const std::string& schema_rel) {
  TempDir tmp;
  auto doc_path = tmp / "doc.json";
  std::ofstream(doc_path) << doc.dump();
  auto r = run_command({"python3", source_path("tests/tools/validate_schema.py").string(),
                        source_path(schema_rel).string(), doc_path.string()});
  if (r.exit_code == 0) return {};
  return "schema " + schema_rel + ": " + r.out + r.err;
}

}  // namespace certify::test
