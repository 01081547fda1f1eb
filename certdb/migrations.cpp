// Schema history. DDL is written for sqlite and translated for PostgreSQL
// (integer keys, BYTEA), so the two backends cannot drift apart.
#include "certdb/migrations.hpp"

#include <string>

namespace certify::certdb {

namespace {

struct Migration {
  int version;
  const char* what;
  const char* ddl;
};

// Never edit a released entry: add a new one.
constexpr Migration k_migrations[] = {
    {1, "users, tokens, keys, bundles, submissions, versions, events, claims, certificates, audit",
     R"SQL(
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  org TEXT NOT NULL,
  role TEXT NOT NULL,
  created TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  created TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE keys (
  fingerprint TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  algorithm TEXT NOT NULL,
  pem TEXT NOT NULL,
  created TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX keys_user ON keys(user_id);
CREATE TABLE bundles (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  data BLOB NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE submissions (
  id TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  org TEXT NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  vendor TEXT NOT NULL,
  product TEXT NOT NULL,
  model TEXT NOT NULL,
  arch TEXT NOT NULL,
  os_id TEXT NOT NULL,
  os_version TEXT NOT NULL,
  classes TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  certificate_id TEXT
);
CREATE INDEX submissions_state ON submissions(state, created);
CREATE INDEX submissions_org ON submissions(org, created);
CREATE INDEX submissions_vendor ON submissions(vendor);
CREATE TABLE versions (
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  version INTEGER NOT NULL,
  bundle_sha256 TEXT NOT NULL UNIQUE REFERENCES bundles(sha256),
  signer TEXT NOT NULL,
  summary TEXT NOT NULL,
  inventory TEXT NOT NULL,
  results TEXT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY (submission_id, version)
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  version INTEGER NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id),
  action TEXT NOT NULL,
  comment TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE INDEX events_submission ON events(submission_id, id);
CREATE TABLE claims (
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  created TEXT NOT NULL,
  PRIMARY KEY (submission_id, user_id)
);
CREATE TABLE certificates (
  id TEXT PRIMARY KEY,
  submission_id TEXT NOT NULL UNIQUE REFERENCES submissions(id),
  bundle_sha256 TEXT NOT NULL,
  status TEXT NOT NULL,
  vendor TEXT NOT NULL,
  product TEXT NOT NULL,
  model TEXT NOT NULL,
  os_id TEXT NOT NULL,
  os_version TEXT NOT NULL,
  arch TEXT NOT NULL,
  classes TEXT NOT NULL,
  issued TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX certificates_status ON certificates(status);
CREATE INDEX certificates_vendor ON certificates(vendor);
CREATE INDEX certificates_product ON certificates(product);
CREATE INDEX certificates_model ON certificates(model);
CREATE INDEX certificates_os ON certificates(os_id, os_version);
CREATE INDEX certificates_arch ON certificates(arch);
CREATE INDEX certificates_classes ON certificates(classes);
CREATE INDEX certificates_issued ON certificates(issued);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
)SQL"},
    {2, "indexes for paged listings: open queue, state/org/vendor by (created, id), approvals",
     R"SQL(
CREATE INDEX submissions_open ON submissions(created, id)
  WHERE state IN ('submitted', 'in-review', 'changes-requested');
CREATE INDEX submissions_created ON submissions(created, id);
DROP INDEX submissions_state;
CREATE INDEX submissions_state ON submissions(state, created, id);
DROP INDEX submissions_org;
CREATE INDEX submissions_org ON submissions(org, created, id);
DROP INDEX submissions_vendor;
CREATE INDEX submissions_vendor ON submissions(vendor, created, id);
CREATE INDEX events_approvals ON events(submission_id, version, action, user_id);
)SQL"},
};

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

std::string translate(std::string ddl, Dialect d) {
  if (d == Dialect::sqlite) return ddl;
  replace_all(ddl, "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY");
  replace_all(ddl, "INTEGER", "BIGINT");
  replace_all(ddl, "BLOB", "BYTEA");
  return ddl;
}

void ensure_table(Connection& c) {
  c.exec_script("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "what TEXT NOT NULL, applied TEXT NOT NULL)");
}

}  // namespace

int latest_schema_version() { return k_migrations[std::size(k_migrations) - 1].version; }

int schema_version(Connection& c) {
  ensure_table(c);
  auto rows = c.query("SELECT MAX(version) FROM schema_migrations");
  return rows.empty() ? 0 : static_cast<int>(rows[0].integer(0));
}

int migrate(Connection& c) {
  ensure_table(c);
  Transaction txn(c, true);
  int have = schema_version(c);
  if (have > latest_schema_version())
    throw DbError("database schema version " + std::to_string(have) + " is newer than this certdb (" +
                  std::to_string(latest_schema_version()) + "); upgrade certdb");
  for (const auto& m : k_migrations) {
    if (m.version <= have) continue;
    c.exec_script(translate(m.ddl, c.dialect()));
    c.execute("INSERT INTO schema_migrations (version, what, applied) VALUES ($1, $2, CURRENT_TIMESTAMP)",
              {std::int64_t{m.version}, std::string(m.what)});
    have = m.version;
  }
  txn.commit();
  return have;
}

}  // namespace certify::certdb
