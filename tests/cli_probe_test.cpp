// certify probe as a user runs it: formats, class filter, errors, exit codes.
#include <doctest/doctest.h>

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pugixml.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "cli/probe_run.hpp"
#include "test_config.h"  // CERTIFY_STATIC_FRONT
#include "tests/testutil.hpp"

using certify::test::build_path;
using certify::test::fixture;
using certify::test::run_command;

namespace {
std::string certify_bin() { return build_path("cli/certify").string(); }
}  // namespace

TEST_CASE("certify probe --format json validates against the inventory schema") {
  auto r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string()});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema_version"] == 1);
  CHECK(j["os"]["id"] == "debian");
  CHECK(j["devices"].size() >= 6);
  auto errors = certify::test::schema_errors(j, "schemas/inventory.schema.json");
  CHECK_MESSAGE(errors.empty(), errors);
}

TEST_CASE("certify probe --class filters, --format xml and table render") {
  auto r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(),
                        "--class", "nic", "--format", "xml"});
  REQUIRE(r.exit_code == 0);
  pugi::xml_document doc;
  REQUIRE(doc.load_string(r.out.c_str()));
  auto devs = doc.child("inventory").child("devices");
  int n = 0;
  for (auto d : devs.children("device")) {
    CHECK(std::string(d.child_value("class")) == "nic");
    ++n;
  }
  CHECK(n == 5);  // the virtio function, eth0 and the virtual ifb0, ifb1, lo
  auto t = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(),
                        "--format", "table"});
  REQUIRE(t.exit_code == 0);
  CHECK(t.out.find("NIC (5)") != std::string::npos);
  CHECK(t.out.find("Virtio 1.0 network device") != std::string::npos);
}

TEST_CASE("certify probe errors: missing sysroot, unknown class, bad format") {
  auto r = run_command({certify_bin(), "probe", "--sysroot", "/nonexistent/root"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("does not exist") != std::string::npos);
  r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(), "--class", "warpdrive"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown class 'warpdrive'") != std::string::npos);
  r = run_command({certify_bin(), "probe", "--format", "yaml"});
  CHECK(r.exit_code == 2);
}

TEST_CASE("certify probe --anonymize -o FILE writes hashed identifiers") {
  certify::test::TempDir t;
  auto out = (t / "inv.json").string();
  auto r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(),
                        "--anonymize", "--salt", "s", "-o", out});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  auto text = certify::test::run_command({"cat", out}).out;
  auto j = nlohmann::json::parse(text);
  CHECK(j["os"]["hostname"].get<std::string>().rfind("anon:", 0) == 0);
}

TEST_CASE("certify probe -o FIFO writes into it and leaves it a FIFO (as /dev/null stays a device)") {
  certify::test::TempDir t;
  const std::string fifo = (t / "out").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Opened for reading first, without waiting: certify's open for writing
  // then finds a reader, and its ~750 bytes fit in the pipe.
  int rd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(rd >= 0);
  auto r = run_command({certify_bin(), "probe", "--sysroot", fixture("vm-virtio").string(), "--class", "os",
                        "--no-live", "-o", fifo});
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(rd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(rd);
  CHECK(r.exit_code == 0);
  struct stat st {};
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  REQUIRE(!got.empty());
  CHECK(nlohmann::json::parse(got)["os"]["id"] == "debian");
}

TEST_CASE("certify front: probe runs without certify-full, run and builtin go to certify-run, the rest to certify-full") {
  namespace fs = std::filesystem;
  // Alone in a directory (and no certify-full installed where the build
  // would put it): probe and --version work, the rest fails clearly.
  certify::test::TempDir t;
  fs::copy_file(certify_bin(), t / "certify");
  fs::permissions(t / "certify", fs::perms::owner_all);
  auto alone = (t / "certify").string();
  auto p = run_command({alone, "probe", "--sysroot", fixture("vm-virtio").string(), "--class", "os"});
  CHECK(p.exit_code == 0);
  CHECK(nlohmann::json::parse(p.out)["os"]["id"] == "debian");
  CHECK(run_command({alone, "--version"}).out == "certify 0.1.0\n");
  if (!fs::exists("/usr/local/libexec/certify/certify-full")) {
    auto r = run_command({alone, "plan", "--help"});
    CHECK(r.exit_code == 127);
    CHECK(r.err.find("cannot run certify-full") != std::string::npos);
  }
  if (!fs::exists("/usr/local/libexec/certify/certify-run")) {
    auto r = run_command({alone, "run", "--help"});
    CHECK(r.exit_code == 127);
    CHECK(r.err.find("cannot run certify-run, which holds run and builtin") != std::string::npos);
  }
  // Beside certify-full: the same command lines as the full executable.
  auto help = run_command({certify_bin(), "--help"});
  CHECK(help.exit_code == 0);
  for (const char* sub : {"probe", "plan", "run", "report", "bundle", "submit", "doctor"})
    CHECK_MESSAGE(help.out.find(std::string("  ") + sub + " ") != std::string::npos, sub);
  auto full = run_command({build_path("cli/certify-full").string(), "probe", "--help"});
  auto front = run_command({certify_bin(), "probe", "--help"});
  CHECK(front.exit_code == 0);
  CHECK(front.out == full.out);
  // run and builtin: certify-run's, which are certify-full's.
  for (const char* sub : {"run", "builtin"}) {
    auto via_front = run_command({certify_bin(), sub, "--help"});
    CHECK_MESSAGE(via_front.exit_code == 0, sub);
    CHECK_MESSAGE(via_front.out == run_command({build_path("cli/certify-full").string(), sub, "--help"}).out, sub);
    CHECK_MESSAGE(via_front.out == run_command({build_path("cli/certify-run").string(), sub, "--help"}).out, sub);
  }
  auto bad = run_command({certify_bin(), "no-such-command"});
  CHECK(bad.exit_code == 2);
  CHECK(run_command({certify_bin()}).exit_code == 2);  // a subcommand is required
}

TEST_CASE("probe command line without CLI11: the plain lines read, the rest left to CLI11") {
  using certify::cli::parse_probe_arguments;
  auto parse = [](std::vector<const char*> args) { return parse_probe_arguments(static_cast<int>(args.size()), args.data()); };
  auto a = parse({"--sysroot", "/x", "-f", "xml", "--class", "os,cpu", "-c", "nic", "--anonymize", "--salt=s",
                  "-o", "out.xml", "--ids-dir=/ids", "--no-live", "--record", "fx"});
  REQUIRE(a);
  CHECK(a->sysroot == "/x");
  CHECK(a->format == "xml");
  CHECK(a->classes == std::vector<std::string>{"os,cpu", "nic"});
  CHECK(a->anonymize);
  CHECK(a->salt == "s");
  CHECK(a->output == "out.xml");
  CHECK(a->ids_dir == "/ids");
  CHECK(a->no_live);
  CHECK(a->record == "fx");
  CHECK_FALSE(a->list_classes);
  auto d = parse({});
  REQUIRE(d);
  CHECK(d->sysroot == "/");
  CHECK(d->format == "json");
  CHECK(d->ids_dir == "/usr/share/misc");
  CHECK_FALSE(d->anonymize);
  REQUIRE(parse({"--list-classes"}));
  CHECK(parse({"--list-classes"})->list_classes);
  // Left to CLI11: help, unknown or abbreviated names, repeats, missing or
  // odd values, positional arguments, values CLI11 would check.
  for (std::vector<const char*> line :
       {std::vector<const char*>{"--help"}, {"-h"}, {"--sys", "/x"}, {"--sysroot"}, {"--sysroot", "/a", "--sysroot", "/b"},
        {"--anonymize", "--anonymize"}, {"--anonymize=true"}, {"--format", "yaml"}, {"-fjson"}, {"-f=json"},
        {"--class", "os", "cpu"}, {"extra"}, {"--"}, {"--sysroot", "--format"}, {"--sysroot="}, {"--salt", "-1"}})
    CHECK_MESSAGE(!parse(line), line.front());
}

TEST_CASE("probe command line without CLI11: the same options as certify-full's CLI11 help") {
  // Every option CLI11 lists is read, with the same names, values or none.
  auto help = run_command({build_path("cli/certify-full").string(), "probe", "--help"});
  REQUIRE(help.exit_code == 0);
  std::vector<std::string> listed;
  std::istringstream lines(help.out);
  for (std::string line; std::getline(lines, line);) {
    auto names = line.substr(0, line.find("  ", 2));
    if (names.rfind("  -", 0) != 0 || names.find("--help") != std::string::npos) continue;
    listed.push_back(names.substr(2));
  }
  std::vector<std::string> ours;
  for (const auto& o : certify::cli::k_probe_options) {
    std::string names = o.short_name ? std::string(o.short_name) + "," + o.long_name : o.long_name;
    if (o.kind() != certify::cli::ProbeOption::Kind::flag) names += " TEXT";
    if (std::string(o.long_name) == "--format") {
      std::string choices;
      for (const char* f : certify::cli::k_probe_formats) choices += (choices.empty() ? "" : ",") + std::string(f);
      names += ":{" + choices + "}";
    }
    if (o.kind() == certify::cli::ProbeOption::Kind::list) names += " ...";
    ours.push_back(names);
  }
  for (auto& l : listed) l = l.substr(0, l.find('='));  // the default shown after the type
  std::sort(listed.begin(), listed.end());
  std::sort(ours.begin(), ours.end());
  CHECK(listed == ours);
}

TEST_CASE("certify front: probe lines it reads itself print what certify-full prints; the others go to it") {
  namespace fs = std::filesystem;
  certify::test::TempDir t;
  fs::copy_file(certify_bin(), t / "certify");
  fs::permissions(t / "certify", fs::perms::owner_all);
  auto alone = (t / "certify").string();  // no certify-full beside it: a line it does not read fails
  auto fx = fixture("lab-q35").string();
  auto vm = fixture("vm-virtio").string();
  auto fc = fixture("hw-fc-hba").string();
  struct Line {
    std::vector<std::string> args;
    bool front_reads;
  };
  const Line lines[] = {
      {{"--sysroot", fx}, true},
      {{"--sysroot=" + fx, "-c", "os,cpu", "--format", "xml"}, true},
      {{"--sysroot", vm, "--class", "nic", "--class", "disk", "-f", "table"}, true},
      // The static front is linked without OpenSSL's hash and without
      // libpci: certify-full does these.
      {{"--sysroot", vm, "--anonymize", "--salt", "s", "--class", "os,nic"}, !CERTIFY_STATIC_FRONT},
      {{"--sysroot", fc, "--class", "pci,hba"}, !CERTIFY_STATIC_FRONT},  // functions without uevent: libpci
      {{"--sysroot", fc, "--class", "os,cpu"}, true},    // the same sysroot, no PCI function read
      {{"--sysroot", fx, "--no-live", "--ids-dir", "/nonexistent", "--class", "pci,usb"}, true},
      {{"--list-classes"}, true},
      {{"--sysroot", "/nonexistent/root"}, true},
      {{"--sysroot", vm, "--class", "warpdrive"}, true},
      {{"--format", "yaml"}, false},
      {{"--sysroot", vm, "--sysroot", vm}, false},
      {{"--sysroot", vm, "--class", "os", "cpu"}, false},
      {{"--help"}, false},
  };
  for (const auto& l : lines) {
    std::vector<std::string> front = {certify_bin(), "probe"}, full = {build_path("cli/certify-full").string(), "probe"},
                             lone = {alone, "probe"};
    for (const auto& a : l.args) {
      front.push_back(a);
      full.push_back(a);
      lone.push_back(a);
    }
    std::string label = l.args.front() + (l.args.size() > 1 ? " " + l.args[1] : "");
    auto f = run_command(front), g = run_command(full), h = run_command(lone);
    CHECK_MESSAGE(f.exit_code == g.exit_code, label);
    CHECK_MESSAGE(f.out == g.out, label);
    CHECK_MESSAGE(f.err == g.err, label);
    CHECK_MESSAGE((h.err.find("cannot run certify-full") == std::string::npos) == l.front_reads, label);
    if (l.front_reads) CHECK_MESSAGE(h.out == g.out, label);
  }
}

TEST_CASE("certify front: a static PIE, with no program interpreter and no shared library" *
          doctest::skip(!CERTIFY_STATIC_FRONT)) {
  // Its start-up runs no dynamic loader (cli/front_delegated.cpp says why):
  // position-independent (ET_DYN, randomised), no PT_INTERP, no DT_NEEDED.
  std::ifstream in(certify_bin(), std::ios::binary);
  const std::string elf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(elf.size() > sizeof(Elf64_Ehdr));
  REQUIRE(elf.compare(0, SELFMAG, ELFMAG) == 0);
  REQUIRE(elf[EI_CLASS] == ELFCLASS64);
  Elf64_Ehdr eh;
  std::memcpy(&eh, elf.data(), sizeof eh);
  CHECK(eh.e_type == ET_DYN);
  bool interp = false, dynamic = false;
  int needed = 0;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    const std::size_t at = eh.e_phoff + std::size_t{i} * eh.e_phentsize;
    REQUIRE(at + sizeof ph <= elf.size());
    std::memcpy(&ph, elf.data() + at, sizeof ph);
    interp = interp || ph.p_type == PT_INTERP;
    if (ph.p_type != PT_DYNAMIC) continue;
    dynamic = true;  // a static PIE keeps one, for its own relocations
    for (std::size_t d = ph.p_offset; d + sizeof(Elf64_Dyn) <= ph.p_offset + ph.p_filesz; d += sizeof(Elf64_Dyn)) {
      REQUIRE(d + sizeof(Elf64_Dyn) <= elf.size());
      Elf64_Dyn dyn;
      std::memcpy(&dyn, elf.data() + d, sizeof dyn);
      if (dyn.d_tag == DT_NULL) break;
      needed += dyn.d_tag == DT_NEEDED;
    }
  }
  CHECK_FALSE(interp);
  CHECK(dynamic);
  CHECK(needed == 0);
}
