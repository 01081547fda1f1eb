#include "certdb/copy.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "certdb/db.hpp"
#include "certdb/migrations.hpp"

namespace certify::certdb {

namespace {

// Parents before children, so foreign keys hold at every insert.
constexpr const char* k_order[] = {"users",  "tokens", "keys",   "bundles",      "counters",
                                   "submissions", "versions", "events", "claims", "certificates",
                                   "audit",  "audit_head"};

struct Column {
  std::string name;
  bool binary = false;
};

std::vector<std::string> tables(Connection& c) {
  std::vector<std::string> out;
  auto rows = c.dialect() == Dialect::sqlite
                  ? c.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                  : c.query("SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'");
  for (const auto& r : rows) out.push_back(r.text(0));
  return out;
}

std::vector<Column> columns(Connection& c, const std::string& table) {
  std::vector<Column> out;
  if (c.dialect() == Dialect::sqlite) {
    // Table names come from k_order, never from input.
    for (const auto& r : c.query("PRAGMA table_info(" + table + ")"))
      out.push_back({r.text(1), r.text(2) == "BLOB"});
  } else {
    for (const auto& r : c.query("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = current_schema() AND table_name = $1 "
                                 "ORDER BY ordinal_position",
                                 {table}))
      out.push_back({r.text(0), r.text(1) == "bytea"});
  }
  return out;
}

std::int64_t count(Connection& c, const std::string& table) {
  auto rows = c.query("SELECT COUNT(*) FROM " + table);
  return rows.empty() ? 0 : rows[0].integer(0);
}

}  // namespace

Result<CopyReport> copy_database(const std::string& from, const std::string& to) {
  if (from == to) return make_error("source and target are the same database");
  try {
    auto src = open_connection(from);
    auto dst = open_connection(to);
    CopyReport rep;
    rep.schema_version = schema_version(*src);
    if (rep.schema_version == 0) return make_error(from + ": not a certdb database (no schema)");
    if (rep.schema_version != latest_schema_version())
      return make_error(from + ": schema version " + std::to_string(rep.schema_version) + ", this certdb writes " +
                        std::to_string(latest_schema_version()) + "; run 'certdb migrate --db " + from + "' first");
    migrate(*dst);

    // Every table of the source must be one we know how to order; a newer
    // schema with tables this list lacks must not be copied half.
    std::set<std::string> known(std::begin(k_order), std::end(k_order));
    known.insert("schema_migrations");
    for (const auto& t : tables(*src))
      if (!known.count(t)) return make_error(from + ": table '" + t + "' is unknown to this certdb copy");

    Transaction read(*src, false);
    Transaction write(*dst, true);
    for (const char* t : k_order)
      if (count(*dst, t) != 0)
        return make_error(to + ": table '" + std::string(t) + "' already holds data; copy needs an empty target");

    for (const char* table : k_order) {
      auto cols = columns(*src, table);
      if (cols.empty()) return make_error(from + ": table '" + std::string(table) + "' is missing");
      auto dcols = columns(*dst, table);
      std::string names, marks;
      for (std::size_t i = 0; i < cols.size(); ++i) {
        auto it = std::find_if(dcols.begin(), dcols.end(), [&](const Column& c) { return c.name == cols[i].name; });
        if (it == dcols.end()) return make_error(to + ": table '" + table + "' has no column '" + cols[i].name + "'");
        names += (i ? ", " : "") + cols[i].name;
        marks += (i ? ", $" : "$") + std::to_string(i + 1);
      }
      const std::string insert = std::string("INSERT INTO ") + table + " (" + names + ") VALUES (" + marks + ")";
      // Batches keep memory bounded when the bundles table is large.
      constexpr std::int64_t k_batch = 64;
      std::int64_t copied = 0;
      for (std::int64_t offset = 0;; offset += k_batch) {
        auto rows = src->query(std::string("SELECT ") + names + " FROM " + table + " ORDER BY " + cols[0].name +
                               " LIMIT " + std::to_string(k_batch) + " OFFSET " + std::to_string(offset));
        for (const auto& r : rows) {
          std::vector<Param> params;
          for (std::size_t i = 0; i < cols.size(); ++i) {
            if (r.is_null(i)) params.emplace_back(nullptr);
            else if (cols[i].binary) params.emplace_back(Blob{*r.cols[i]});
            else params.emplace_back(*r.cols[i]);
          }
          dst->execute(insert, params);
        }
        copied += static_cast<std::int64_t>(rows.size());
        if (static_cast<std::int64_t>(rows.size()) < k_batch) break;
      }
      if (copied != count(*src, table))
        return make_error(std::string("table '") + table + "' changed during the copy; stop the server first");
      rep.rows[table] = copied;
    }
    if (dst->dialect() == Dialect::postgres) {
      // Explicit ids went into BIGSERIAL columns: move their sequences past them.
      for (const auto& r : dst->query("SELECT table_name, column_name FROM information_schema.columns "
                                      "WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'"))
        dst->query("SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(" + r.text(1) + ") FROM " +
                       r.text(0) + "), 0) + 1, false)",
                   {r.text(0), r.text(1)});
    }
    write.commit();
    return rep;
  } catch (const DbError& e) {
    return make_error(std::string("copy failed, nothing was committed on the target: ") + e.what());
  }
}

}  // namespace certify::certdb
