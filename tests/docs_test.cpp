// Man page and completion: generated from the command definitions; these
// tests check the generator covers every subcommand and option of --help,
// that the roff renders cleanly, and that completion works in real shells.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>

#include "core/files.hpp"
#include "tests/testutil.hpp"

using namespace certify::test;

namespace {

std::string certify_bin() { return build_path("cli/certify").string(); }

// Subcommand names from the "Subcommands:" block of --help.
std::vector<std::string> subcommands_from_help(const std::string& help) {
  std::vector<std::string> out;
  auto p = help.find("Subcommands:");
  if (p == std::string::npos) return out;
  std::istringstream is(help.substr(p));
  std::string line;
  std::getline(is, line);
  while (std::getline(is, line)) {
    if (line.empty() || line[0] != ' ') break;
    std::istringstream ls(line);
    std::string name;
    ls >> name;
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

std::set<std::string> long_options_from_help(const std::string& help) {
  std::set<std::string> out;
  std::regex re("(--[a-z][a-z0-9-]*)");
  auto opts = help.substr(0, help.find("Subcommands:"));
  for (auto it = std::sregex_iterator(opts.begin(), opts.end(), re); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1]);
  return out;
}

std::string unroff(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '-') {
      out += '-';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("certify man documents every subcommand and every long option of --help") {
  auto man = run_command({certify_bin(), "man", "--template", source_path("docs/man/certify.1.in").string()});
  REQUIRE(man.exit_code == 0);
  auto text = unroff(man.out);
  auto top = run_command({certify_bin(), "--help"});
  auto subs = subcommands_from_help(top.out);
  REQUIRE(subs.size() >= 4);
  for (const auto& s : subs) {
    CAPTURE(s);
    CHECK(text.find(".SS \"certify " + s + "\"") != std::string::npos);
    auto help = run_command({certify_bin(), s, "--help"});
    for (const auto& o : long_options_from_help(help.out)) {
      CAPTURE(o);
      CHECK(text.find(o) != std::string::npos);
    }
  }
  CHECK(text.find("\n@COMMANDS@\n") == std::string::npos);
  CHECK(text.find(".SH EXIT STATUS") != std::string::npos);
}

namespace {

// Every subcommand path of a CLI11 program, from its --help: {"user"},
// {"user", "add"}, ...
void subcommand_paths(const std::string& bin, std::vector<std::string> prefix,
                      std::vector<std::vector<std::string>>& out) {
  std::vector<std::string> argv = {bin};
  argv.insert(argv.end(), prefix.begin(), prefix.end());
  argv.push_back("--help");
  for (const auto& s : subcommands_from_help(run_command(argv).out)) {
    auto path = prefix;
    path.push_back(s);
    out.push_back(path);
    subcommand_paths(bin, path, out);
  }
}

}  // namespace

TEST_CASE("certdb(8) documents every subcommand, nested ones included, and every long option") {
  const auto bin = build_path("certdb/certdb").string();
  auto man = run_command({bin, "man", "--template", source_path("docs/man/certdb.8.in").string()});
  REQUIRE(man.exit_code == 0);
  auto text = unroff(man.out);
  std::vector<std::vector<std::string>> paths;
  subcommand_paths(bin, {}, paths);
  REQUIRE(paths.size() >= 10);  // serve, migrate, copy, user add/role/token/key/list, audit verify/show, ...
  for (const auto& p : paths) {
    std::string name = "certdb";
    for (const auto& w : p) name += " " + w;
    CAPTURE(name);
    CHECK(text.find(".SS \"" + name + "\"") != std::string::npos);
    std::vector<std::string> argv = {bin};
    argv.insert(argv.end(), p.begin(), p.end());
    argv.push_back("--help");
    for (const auto& o : long_options_from_help(run_command(argv).out)) {
      CAPTURE(o);
      CHECK(text.find(o) != std::string::npos);
    }
  }
  CHECK(text.find("\n@COMMANDS@\n") == std::string::npos);  // the placeholder line was replaced
  CHECK(text.find(".SH COMMANDS") != std::string::npos);
  TempDir t;
  std::ofstream(t / "certdb.8") << man.out;
  auto r = run_command({"groff", "-man", "-Tutf8", "-ww", "-z", (t / "certdb.8").string()});
  CHECK(r.exit_code == 0);
  CHECK_MESSAGE(r.err.empty(), r.err);
}

TEST_CASE("the generated man page renders without groff warnings") {
  TempDir t;
  auto man = run_command({certify_bin(), "man", "--template", source_path("docs/man/certify.1.in").string()});
  std::ofstream(t / "certify.1") << man.out;
  auto r = run_command({"groff", "-man", "-Tutf8", "-ww", "-z", (t / "certify.1").string()});
  CHECK(r.exit_code == 0);
  CHECK_MESSAGE(r.err.empty(), r.err);
}

TEST_CASE("bash completion completes subcommands, options and option values") {
  TempDir t;
  auto comp = run_command({certify_bin(), "completion", "bash"});
  REQUIRE(comp.exit_code == 0);
  std::ofstream(t / "certify.bash") << comp.out;
  auto complete = [&](const std::string& words, int cword) {
    auto script = "source " + (t / "certify.bash").string() + "; COMP_WORDS=(" + words +
                  "); COMP_CWORD=" + std::to_string(cword) + "; _certify_complete; echo \"${COMPREPLY[*]}\"";
    return run_command({"bash", "-c", script}).out;
  };
  CHECK(complete("certify pro", 1) == "probe\n");
  CHECK(complete("certify probe --for", 2) == "--format\n");
  CHECK(complete("certify probe --format ''", 3) == "json xml table\n");
  CHECK(complete("certify doctor --js", 2) == "--json\n");
  CHECK(complete("certify completion ''", 2).find("bash zsh") != std::string::npos);
}

TEST_CASE("zsh completion parses and defines a function per subcommand") {
  TempDir t;
  auto comp = run_command({certify_bin(), "completion", "zsh"});
  REQUIRE(comp.exit_code == 0);
  std::ofstream(t / "_certify") << comp.out;
  auto syntax = run_command({"zsh", "-n", (t / "_certify").string()});
  CHECK_MESSAGE(syntax.exit_code == 0, syntax.err);
  auto defined = run_command({"zsh", "-fc", "autoload -Uz compinit && compinit -u -d " + (t / "zcd").string() +
                                               " && source " + (t / "_certify").string() +
                                               " && whence -w _certify _certify_probe _certify_doctor"});
  CHECK_MESSAGE(defined.exit_code == 0, (defined.out + defined.err));
  CHECK(defined.out.find("_certify_probe: function") != std::string::npos);
  CHECK(comp.out.find("{--format,-f}") != std::string::npos);
  CHECK(comp.out.find("(json xml table )") != std::string::npos);
}

namespace {

// The fenced block that follows the first line containing `after` in a
// markdown text (without the fences).
std::string block_after(const std::string& md, const std::string& after) {
  auto p = md.find(after);
  if (p == std::string::npos) return "<no '" + after + "'>";
  auto open = md.find("```", p);
  auto start = md.find('\n', open) + 1;
  auto close = md.find("\n```", start);
  return md.substr(start, close - start + 1);
}

// From the line holding `from` to the end of its fenced block.
std::string block_from(const std::string& md, const std::string& from) {
  auto p = md.find(from);
  if (p == std::string::npos) return "<no '" + from + "'>";
  auto start = md.rfind('\n', p) + 1;
  auto close = md.find("\n```", start);
  return md.substr(start, close - start + 1);
}

// Durations and timestamps change from run to run.
std::string normalise_times(const std::string& s) {
  static const std::regex dur(R"(\b\d+\.\ds\b)"), stamp(R"(\d{4}-\d\d-\d\dT[0-9:.]+Z)");
  return std::regex_replace(std::regex_replace(s, dur, "<d>s"), stamp, "<time>");
}

}  // namespace

TEST_CASE("docs/write-a-suite.md: its example files are shown verbatim and its commands print what it shows") {
  auto md = certify::read_file(source_path("docs/write-a-suite.md"));
  REQUIRE(md.ok());
  auto xml = certify::read_file(source_path("docs/examples/suites/nic/suite.xml"));
  auto sh = certify::read_file(source_path("docs/examples/suites/nic/mtu_check.sh"));
  REQUIRE(xml.ok());
  REQUIRE(sh.ok());
  CHECK(block_after(*md, "`docs/examples/suites/nic/suite.xml`:") == *xml);
  CHECK(block_after(*md, "`docs/examples/suites/nic/mtu_check.sh`:") == *sh);

  auto xsd = run_command({"xmllint", "--noout", "--schema", source_path("schemas/suite.xsd").string(),
                          source_path("docs/examples/suites/nic/suite.xml").string()});
  CHECK_MESSAGE(xsd.exit_code == 0, xsd.err);

  // The commands exactly as the guide shows them, from the source tree
  // (relative --suites and --sysroot, as a reader would type them).
  TempDir t;
  auto in_src = [&](const std::string& cmd) {
    return run_command({"sh", "-c", "cd '" + source_path("").string() + "' && PATH='" +
                                        build_path("cli").string() + "':\"$PATH\" " + cmd});
  };
  auto plan = in_src("certify plan --sysroot tests/fixtures/vm-virtio --suites docs/examples/suites");
  REQUIRE_MESSAGE(plan.exit_code == 0, plan.err);
  auto shown_plan = block_from(*md, "$ certify plan --sysroot");
  CHECK(shown_plan.substr(shown_plan.find('\n') + 1) == plan.out);

  auto results = (t / "results").string();
  auto run = in_src("certify run --sysroot tests/fixtures/vm-virtio --suites docs/examples/suites --results '" +
                    results + "' --run-id example -q");
  CHECK_MESSAGE(run.exit_code == 1, run.err);  // the guide says: one failure, exit 1
  auto report = in_src("certify report '" + results + "/example'");
  REQUIRE_MESSAGE(report.exit_code == 0, report.err);
  auto shown = block_from(*md, "$ certify run --sysroot");
  shown = shown.substr(shown.find("$ certify report"));
  shown = shown.substr(shown.find('\n') + 1);
  CHECK(normalise_times(shown) == normalise_times(report.out));
}
