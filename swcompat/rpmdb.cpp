// rpm database readers: sqlite3 for rpmdb.sqlite, rpm's own exporter for
// the older formats.
#include "swcompat/rpmdb.hpp"

#include <sqlite3.h>

#include <memory>

#include "core/text.hpp"

namespace certify::swcompat {

namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// sqlite URI of a path: '%', '?' and '#' escaped.
std::string file_uri(const std::string& path, const char* query) {
  std::string uri = "file:";
  for (char ch : path) {
    if (ch == '%' || ch == '?' || ch == '#') {
      static const char* hex = "0123456789ABCDEF";
      uri += '%';
      uri += hex[(static_cast<unsigned char>(ch) >> 4) & 15];
      uri += hex[static_cast<unsigned char>(ch) & 15];
    } else {
      uri += ch;
    }
  }
  return uri + "?" + query;
}

// Read-only, without writing into the recorded tree. "mode=ro" still needs
// the -shm file of a WAL database to be writable; a tree copied from
// another machine (or a read-only mount) is opened immutable: its WAL, if
// any, must then have been checkpointed, which rpm does on close.
Result<std::unique_ptr<sqlite3, DbClose>> open_ro(const std::string& path) {
  std::string last;
  for (const char* q : {"mode=ro", "immutable=1"}) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(file_uri(path, q).c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
    std::unique_ptr<sqlite3, DbClose> db(raw);
    if (rc == SQLITE_OK) {
      sqlite3_busy_timeout(raw, 5000);
      rc = sqlite3_exec(raw, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) return db;
    }
    last = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
  }
  return make_error(path + ": " + last);
}

Result<std::vector<Package>> read_sqlite(const std::string& path) {
  auto db = open_ro(path);
  if (!db) return make_error(db.message());
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db->get(), "SELECT hnum, blob FROM Packages ORDER BY hnum", -1, &raw, nullptr) != SQLITE_OK)
    return make_error(path + ": not an rpm database (" + sqlite3_errmsg(db->get()) + ")");
  std::unique_ptr<sqlite3_stmt, StmtFinalize> st(raw);
  std::vector<Package> out;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    auto hnum = sqlite3_column_int64(raw, 0);
    auto* blob = static_cast<const unsigned char*>(sqlite3_column_blob(raw, 1));
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(raw, 1));
    auto pkg = parse_rpm_db_header(std::span(blob, blob ? size : 0));
    if (!pkg) return make_error(path + ": package " + std::to_string(hnum) + ": " + pkg.message());
    out.push_back(std::move(pkg).value());
  }
  if (rc != SQLITE_DONE) return make_error(path + ": " + sqlite3_errmsg(db->get()));
  return out;
}

}  // namespace

std::optional<RpmDbLocation> find_rpmdb(const probe::Sysroot& root) {
  for (const char* dir : {"/usr/lib/sysimage/rpm", "/var/lib/rpm"})
    for (auto [file, backend] : {std::pair{"rpmdb.sqlite", "sqlite"}, {"Packages.db", "ndb"}, {"Packages", "bdb"}})
      if (root.exists(std::string(dir) + "/" + file)) return RpmDbLocation{dir, backend};
  return std::nullopt;
}

Result<RpmDb> read_rpmdb(const probe::Sysroot& root, const RpmDbLocation& where, RpmDbReader how,
                         const ProcessRunner& runner) {
  RpmDb db;
  db.location = where;
  if (how == RpmDbReader::automatic && where.backend == "sqlite") {
    db.reader = "sqlite3";
    auto pkgs = read_sqlite(root.host_path(where.dir + "/rpmdb.sqlite").string());
    if (!pkgs) return make_error(pkgs.message());
    db.packages = std::move(pkgs).value();
    return db;
  }
  db.reader = "rpmdb --exportdb";
  std::vector<std::string> argv = {"rpmdb", "--root", root.root().string(), "--dbpath", where.dir, "--exportdb"};
  ProcessResult r;
  if (runner) {
    r = runner(argv);
  } else {
    ProcessOptions o;
    o.timeout_seconds = 300;
    o.max_output = std::size_t{2} << 30;
    o.merge_stderr = false;
    r = run_process(argv, o);
  }
  auto what = where.dir + " (" + where.backend + ")";
  if (r.exit_code == -1)
    return make_error(what + ": reading it needs rpm's `rpmdb` on this host (" + r.output + ")");
  if (r.timed_out) return make_error(what + ": rpmdb --exportdb did not finish in time");
  if (r.truncated) return make_error(what + ": rpmdb --exportdb printed more than 2 GiB");
  if (r.exit_code != 0) {
    auto msg = r.errors.empty() ? r.output : r.errors;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return make_error(what + ": rpmdb --exportdb failed (exit " + std::to_string(r.exit_code) + "): " + msg);
  }
  // rpmdb exits 0 even when it cannot open the database; its "error:"
  // lines tell.
  std::vector<std::string> errors;
  for (auto line : split_lines(r.errors))
    if (line.starts_with("error: ")) errors.emplace_back(line.substr(7));
  if (r.output.empty() && !errors.empty()) {
    std::string msg;
    for (auto& e : errors) msg += (msg.empty() ? "" : "; ") + e;
    return make_error(what + ": rpmdb --exportdb: " + msg);
  }
  for (auto& e : errors) db.warnings.push_back("rpmdb --exportdb: " + e);
  auto pkgs = parse_rpm_header_stream(std::span(reinterpret_cast<const unsigned char*>(r.output.data()), r.output.size()));
  if (!pkgs) return make_error(what + ": rpmdb --exportdb: " + pkgs.message());
  db.packages = std::move(pkgs).value();
  return db;
}

std::string rpm_relation_text(const Dependency& d) {
  if (d.op.empty()) return d.name;
  return d.name + " " + d.op + " " + d.version;
}

Dependency parse_rpm_relation_text(std::string_view text) {
  Dependency d;
  auto sp = text.find(' ');
  d.name = std::string(text.substr(0, sp));
  if (sp == std::string_view::npos) return d;
  auto rest = text.substr(sp + 1);
  auto sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return d;
  d.op = std::string(rest.substr(0, sp2));
  d.version = std::string(rest.substr(sp2 + 1));
  return d;
}

}  // namespace certify::swcompat
