// The installed-package database of an rpm-based OS, read through a sysroot.
// rpmdb.sqlite (rpm >= 4.16: RHEL 9, Fedora, openEuler, Anolis 8.8+) is read
// directly with sqlite3, each row's header with the package reader's rpm
// header parser. The Berkeley DB (RHEL/CentOS 7 and 8) and ndb (SUSE)
// formats are read by rpm itself: the host's `rpmdb --exportdb` streams the
// headers (Debian's rpm 4.18 has the bdb_ro reader), and the same parser
// reads the stream. Writing a Berkeley DB hash-page reader of our own would
// duplicate what rpm ships and keeps up to date.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "probe/sysroot.hpp"
#include "swcompat/package.hpp"
#include "swcompat/process.hpp"

namespace certify::swcompat {

struct RpmDbLocation {
  std::string dir;      // in-sysroot directory ("/var/lib/rpm")
  std::string backend;  // "sqlite", "bdb" or "ndb"
};

// The first of /usr/lib/sysimage/rpm and /var/lib/rpm holding a database.
std::optional<RpmDbLocation> find_rpmdb(const probe::Sysroot& root);

struct RpmDb {
  RpmDbLocation location;
  std::string reader;  // "sqlite3" or "rpmdb --exportdb"
  std::vector<Package> packages;  // name, version (epoch:version-release), arch, relations
  std::vector<std::string> warnings;  // rpm's "error:" lines when it still exported packages
};

enum class RpmDbReader {
  automatic,  // sqlite3 for rpmdb.sqlite, rpmdb --exportdb otherwise
  exportdb,   // always through rpm's own reader
};

// `runner` defaults to run_process; tests pass their own.
Result<RpmDb> read_rpmdb(const probe::Sysroot& root, const RpmDbLocation& where,
                         RpmDbReader how = RpmDbReader::automatic, const ProcessRunner& runner = {});

// A relation as rpm prints it ("libc.so.6(GLIBC_2.34)(64bit)", "bash >= 5.1").
std::string rpm_relation_text(const Dependency& d);
// The inverse; names never contain spaces.
Dependency parse_rpm_relation_text(std::string_view text);

}  // namespace certify::swcompat
