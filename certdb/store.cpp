// Store: the domain operations as SQL transactions, each with its audit entry.
#include "certdb/store.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

#include "certdb/migrations.hpp"
#include "core/files.hpp"

namespace certify::certdb {

namespace {

using nlohmann::json;

Refusal not_found(const std::string& what) { return {404, what + " not found"}; }

json parse_or_empty(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

std::vector<std::string> string_list(const std::string& text) {
  std::vector<std::string> out;
  auto j = parse_or_empty(text);
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

User user_from(const Row& r) {  // id, name, org, role, created, disabled
  User u;
  u.id = r.integer(0);
  u.name = r.text(1);
  u.org = r.text(2);
  u.role = parse_role(r.text(3)).value_or(Role::submitter);
  u.created = r.text(4);
  u.disabled = r.integer(5) != 0;
  return u;
}
constexpr const char* k_user_cols = "u.id, u.name, u.org, u.role, u.created, u.disabled";

constexpr const char* k_sub_cols =
    "s.id, s.org, u.name, s.state, s.version, s.vendor, s.product, s.model, s.arch, s.os_id, "
    "s.os_version, s.classes, s.created, s.updated, s.certificate_id";
Submission submission_from(const Row& r) {
  Submission s;
  s.id = r.text(0);
  s.org = r.text(1);
  s.user = r.text(2);
  s.state = parse_state(r.text(3)).value_or(State::submitted);
  s.version = static_cast<int>(r.integer(4));
  s.vendor = r.text(5);
  s.product = r.text(6);
  s.model = r.text(7);
  s.arch = r.text(8);
  s.os_id = r.text(9);
  s.os_version = r.text(10);
  s.classes = string_list(r.text(11));
  s.created = r.text(12);
  s.updated = r.text(13);
  s.certificate_id = r.text(14);
  return s;
}

std::string make_cursor(const Submission& s) { return s.created + "_" + s.id; }

std::string random_token() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) throw DbError("cannot read random bytes for a token");
  std::string out = "cdb_";
  char hex[3];
  for (unsigned char b : raw) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    out += hex;
  }
  return out;
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@'))
      return false;
  return true;
}

}  // namespace

json User::to_json() const {
  return {{"name", name}, {"org", org}, {"role", to_string(role)}, {"created", created}, {"disabled", disabled}};
}
json PublicKey::to_json() const {
  return {{"fingerprint", fingerprint}, {"algorithm", algorithm}, {"user", user}, {"created", created}};
}
json Submission::to_json() const {
  json j = {{"id", id},         {"org", org},           {"user", user},         {"state", to_string(state)},
            {"version", version}, {"vendor", vendor},   {"product", product},   {"model", model},
            {"arch", arch},     {"os", {{"id", os_id}, {"version_id", os_version}}},
            {"classes", classes}, {"created", created}, {"updated", updated}};
  if (!certificate_id.empty()) j["certificate_id"] = certificate_id;
  return j;
}
json Version::to_json() const {
  return {{"version", version}, {"bundle_sha256", bundle_sha256}, {"signer", signer},
          {"created", created}, {"summary", summary}};
}
json Event::to_json() const {
  return {{"id", id},         {"version", version}, {"user", user},       {"role", role},
          {"action", action}, {"comment", comment}, {"created", created}};
}
json QueueEntry::to_json() const {
  json j = submission.to_json();
  j["claimed_by"] = claimed_by;
  j["claimed"] = !claimed_by.empty();
  j["approvals"] = approvals;
  return j;
}
json IngestResult::to_json() const {
  return {{"id", id}, {"state", to_string(state)}, {"version", version}, {"duplicate", duplicate}};
}

Store::Store(const std::string& url, StoreOptions options, std::shared_ptr<Clock> clock)
    : options_(std::move(options)),
      clock_(clock ? std::move(clock) : std::make_shared<SystemClock>()),
      pool_(url, options_.pool_size) {
  auto c = pool_.lease();
  migrate(*c);
}

int Store::schema_version() {
  auto c = pool_.lease();
  return certdb::schema_version(*c);
}

std::string Store::now_iso() {
  auto t = std::chrono::system_clock::to_time_t(clock_->now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Store::today() { return now_iso().substr(0, 10); }

void Store::append_audit(Connection& c, const std::string& actor, const std::string& action,
                         const std::string& object, const json& detail) {
  AuditEntry e;
  auto head = c.query("SELECT seq, hash FROM audit_head WHERE id = 1");
  e.seq = head.empty() ? 1 : head[0].integer(0) + 1;
  e.prev_hash = head.empty() ? k_genesis_hash : head[0].text(1);
  e.time = now_iso();
  e.actor = actor;
  e.action = action;
  e.object = object;
  e.detail = detail.is_null() ? json::object() : detail;
  e.hash = audit_hash(e);
  c.execute("INSERT INTO audit (seq, time, actor, action, object, detail, prev_hash, hash) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            {e.seq, e.time, e.actor, e.action, e.object, e.detail.dump(), e.prev_hash, e.hash});
  c.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2) "
            "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            {e.seq, e.hash});
}

void Store::record(const std::string& actor, const std::string& action, const std::string& object,
                   const json& detail) {
  auto c = pool_.lease();
  Transaction txn(*c, true);
  append_audit(*c, actor, action, object, detail);
  txn.commit();
}

std::int64_t Store::next_counter(Connection& c, const std::string& name) {
  auto rows = c.query("INSERT INTO counters (name, value) VALUES ($1, 1) "
                      "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
                      {name});
  return rows.at(0).integer(0);
}

std::optional<User> Store::user_in(Connection& c, const std::string& name) {
  auto rows = c.query(std::string("SELECT ") + k_user_cols + " FROM users u WHERE u.name = $1", {name});
  if (rows.empty()) return std::nullopt;
  return user_from(rows[0]);
}

std::optional<User> Store::user(const std::string& name) {
  auto c = pool_.lease();
  return user_in(*c, name);
}

std::vector<User> Store::users() {
  auto c = pool_.lease();
  std::vector<User> out;
  for (const auto& r : c->query(std::string("SELECT ") + k_user_cols + " FROM users u ORDER BY u.name"))
    out.push_back(user_from(r));
  return out;
}

Checked<User> Store::add_user(const std::string& actor, const std::string& name, const std::string& org,
                              Role role) {
  if (!valid_name(name)) return Refusal{400, "user names are 1-64 letters, digits, - _ . @"};
  if (org.empty() || org.size() > 128) return Refusal{400, "an organisation name is needed (at most 128 bytes)"};
  auto c = pool_.lease();
  Transaction txn(*c, true);
  if (user_in(*c, name)) return Refusal{409, "user " + name + " exists"};
  c->execute("INSERT INTO users (name, org, role, created) VALUES ($1, $2, $3, $4)",
             {name, org, std::string(to_string(role)), now_iso()});
  append_audit(*c, actor, "user.add", name, {{"org", org}, {"role", to_string(role)}});
  auto u = user_in(*c, name);
  txn.commit();
  return *u;
}

Checked<User> Store::set_role(const std::string& actor, const std::string& name, Role role) {
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto u = user_in(*c, name);
  if (!u) return not_found("user " + name);
  c->execute("UPDATE users SET role = $1 WHERE id = $2", {std::string(to_string(role)), u->id});
  append_audit(*c, actor, "user.role", name, {{"from", to_string(u->role)}, {"to", to_string(role)}});
  txn.commit();
  u->role = role;
  return *u;
}

Checked<User> Store::set_disabled(const std::string& actor, const std::string& name, bool disabled) {
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto u = user_in(*c, name);
  if (!u) return not_found("user " + name);
  c->execute("UPDATE users SET disabled = $1 WHERE id = $2", {std::int64_t{disabled ? 1 : 0}, u->id});
  append_audit(*c, actor, disabled ? "user.disable" : "user.enable", name, json::object());
  txn.commit();
  u->disabled = disabled;
  return *u;
}

Checked<std::string> Store::issue_token(const std::string& actor, const std::string& name,
                                        const std::string& label) {
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto u = user_in(*c, name);
  if (!u) return not_found("user " + name);
  auto token = random_token();
  auto hash = sha256_hex(token);
  c->execute("INSERT INTO tokens (user_id, token_hash, label, created) VALUES ($1, $2, $3, $4)",
             {u->id, hash, label, now_iso()});
  // The audit log names the token by a prefix of its hash, never the token.
  append_audit(*c, actor, "token.issue", name, {{"label", label}, {"token_sha256_prefix", hash.substr(0, 12)}});
  txn.commit();
  return token;
}

Checked<int> Store::revoke_tokens(const std::string& actor, const std::string& name, const std::string& label) {
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto u = user_in(*c, name);
  if (!u) return not_found("user " + name);
  auto n = c->execute("UPDATE tokens SET revoked = 1 WHERE user_id = $1 AND label = $2 AND revoked = 0",
                      {u->id, label});
  if (n == 0) return not_found("active token labelled \"" + label + "\" of " + name);
  append_audit(*c, actor, "token.revoke", name, {{"label", label}, {"count", n}});
  txn.commit();
  return static_cast<int>(n);
}

Checked<PublicKey> Store::add_key(const std::string& actor, const std::string& name, const PublicKey& key) {
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto u = user_in(*c, name);
  if (!u) return not_found("user " + name);
  if (u->role != Role::submitter) return Refusal{409, "signing keys belong to submitters; " + name + " is " +
                                                          std::string(to_string(u->role))};
  auto existing = c->query("SELECT u.name FROM keys k JOIN users u ON u.id = k.user_id WHERE k.fingerprint = $1",
                           {key.fingerprint});
  if (!existing.empty()) return Refusal{409, "key " + key.fingerprint + " is already registered to " + existing[0].text(0)};
  PublicKey out = key;
  out.user = name;
  out.created = now_iso();
  c->execute("INSERT INTO keys (fingerprint, user_id, algorithm, pem, created) VALUES ($1, $2, $3, $4, $5)",
             {key.fingerprint, u->id, key.algorithm, key.pem, out.created});
  append_audit(*c, actor, "key.add", name, {{"fingerprint", key.fingerprint}, {"algorithm", key.algorithm}});
  txn.commit();
  return out;
}

Checked<int> Store::revoke_key(const std::string& actor, const std::string& fingerprint) {
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto n = c->execute("UPDATE keys SET revoked = 1 WHERE fingerprint = $1 AND revoked = 0", {fingerprint});
  if (n == 0) return not_found("active key " + fingerprint);
  append_audit(*c, actor, "key.revoke", fingerprint, json::object());
  txn.commit();
  return static_cast<int>(n);
}

std::vector<PublicKey> Store::keys(const std::string& name) {
  auto c = pool_.lease();
  std::vector<PublicKey> out;
  for (const auto& r : c->query("SELECT k.fingerprint, k.algorithm, k.pem, u.name, k.created FROM keys k "
                                "JOIN users u ON u.id = k.user_id WHERE u.name = $1 AND k.revoked = 0 "
                                "ORDER BY k.created, k.fingerprint",
                                {name}))
    out.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.text(4)});
  return out;
}

std::optional<User> Store::authenticate(std::string_view token) {
  if (token.empty() || token.size() > 256) return std::nullopt;
  auto c = pool_.lease();
  auto rows = c->query(std::string("SELECT ") + k_user_cols +
                           " FROM tokens t JOIN users u ON u.id = t.user_id "
                           "WHERE t.token_hash = $1 AND t.revoked = 0 AND u.disabled = 0",
                       {sha256_hex(token)});
  if (rows.empty()) return std::nullopt;
  return user_from(rows[0]);
}

// --- submissions

void Store::store_bundle(Connection& c, const IngestInput& in) {
  c.execute("INSERT INTO bundles (sha256, size, data, created) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (sha256) DO NOTHING",
            {in.sha256, static_cast<std::int64_t>(in.bytes.size()), Blob{in.bytes}, now_iso()});
}

std::optional<IngestResult> Store::find_by_bundle(const std::string& sha256) {
  auto c = pool_.lease();
  auto rows = c->query("SELECT s.id, s.state, v.version FROM versions v JOIN submissions s ON s.id = v.submission_id "
                       "WHERE v.bundle_sha256 = $1",
                       {sha256});
  if (rows.empty()) return std::nullopt;
  return IngestResult{rows[0].text(0), parse_state(rows[0].text(1)).value_or(State::submitted),
                      static_cast<int>(rows[0].integer(2)), true};
}

Checked<IngestResult> Store::ingest(const User& who, const IngestInput& in) {
  if (who.role != Role::submitter) return Refusal{403, "only submitters upload bundles"};
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto dup = c->query("SELECT s.id, s.state, v.version, s.org FROM versions v JOIN submissions s "
                      "ON s.id = v.submission_id WHERE v.bundle_sha256 = $1",
                      {in.sha256});
  if (!dup.empty()) {
    if (dup[0].text(3) != who.org) return Refusal{409, "this bundle was already submitted by another organisation"};
    return IngestResult{dup[0].text(0), parse_state(dup[0].text(1)).value_or(State::submitted),
                        static_cast<int>(dup[0].integer(2)), true};
  }
  auto seq = next_counter(*c, "submission");
  char id[32];
  std::snprintf(id, sizeof id, "SUB-%06lld", static_cast<long long>(seq));
  auto now = now_iso();
  const auto& f = in.facts;
  store_bundle(*c, in);
  c->execute("INSERT INTO submissions (id, user_id, org, state, version, vendor, product, model, arch, os_id, "
             "os_version, classes, created, updated) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
             {std::string(id), who.id, who.org, std::string(to_string(State::submitted)), f.vendor, f.product,
              f.model, f.arch, f.os_id, f.os_version, json(f.classes).dump(), now});
  c->execute("INSERT INTO versions (submission_id, version, bundle_sha256, signer, summary, inventory, results, "
             "created) VALUES ($1, 1, $2, $3, $4, $5, $6, $7)",
             {std::string(id), in.sha256, in.signer, f.to_json().dump(), in.inventory, in.results, now});
  append_audit(*c, who.name, "submission.create", id,
               {{"bundle_sha256", in.sha256}, {"signer", in.signer}, {"org", who.org}, {"version", 1}});
  txn.commit();
  return IngestResult{id, State::submitted, 1, false};
}

Checked<IngestResult> Store::add_version(const User& who, const std::string& id, const IngestInput& in) {
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto sub = submission_in(*c, id);
  if (!sub || (who.role == Role::submitter && sub->org != who.org)) return not_found("submission " + id);
  auto dup = c->query("SELECT submission_id, version FROM versions WHERE bundle_sha256 = $1", {in.sha256});
  if (!dup.empty()) {
    if (dup[0].text(0) == id)
      return IngestResult{id, sub->state, static_cast<int>(dup[0].integer(1)), true};
    return Refusal{409, "this bundle is already stored as " + dup[0].text(0)};
  }
  ReviewContext ctx;
  ctx.state = sub->state;
  ctx.org = sub->org;
  auto t = decide(who.actor(), Action::new_version, "", ctx);
  if (!t) return t.refusal();
  int version = sub->version + 1;
  auto now = now_iso();
  const auto& f = in.facts;
  store_bundle(*c, in);
  c->execute("INSERT INTO versions (submission_id, version, bundle_sha256, signer, summary, inventory, results, "
             "created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
             {id, std::int64_t{version}, in.sha256, in.signer, f.to_json().dump(), in.inventory, in.results, now});
  c->execute("UPDATE submissions SET version = $1, state = $2, vendor = $3, product = $4, model = $5, arch = $6, "
             "os_id = $7, os_version = $8, classes = $9, updated = $10 WHERE id = $11",
             {std::int64_t{version}, std::string(to_string(t->next)), f.vendor, f.product, f.model, f.arch, f.os_id,
              f.os_version, json(f.classes).dump(), now, id});
  c->execute("INSERT INTO events (submission_id, version, user_id, action, comment, created) "
             "VALUES ($1, $2, $3, 'new-version', '', $4)",
             {id, std::int64_t{version}, who.id, now});
  append_audit(*c, who.name, "submission.version", id,
               {{"bundle_sha256", in.sha256}, {"signer", in.signer}, {"version", version},
                {"from", to_string(sub->state)}, {"to", to_string(t->next)}});
  txn.commit();
  return IngestResult{id, t->next, version, false};
}

std::optional<Submission> Store::submission_in(Connection& c, const std::string& id) {
  auto rows = c.query(std::string("SELECT ") + k_sub_cols +
                          " FROM submissions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
                      {id});
  if (rows.empty()) return std::nullopt;
  return submission_from(rows[0]);
}

std::optional<Submission> Store::submission(const std::string& id) {
  auto c = pool_.lease();
  return submission_in(*c, id);
}

std::optional<PageCursor> parse_cursor(const std::string& cursor) {
  if (cursor.empty()) return PageCursor{};
  auto sep = cursor.find('_');
  if (sep == std::string::npos || cursor.size() > 128) return std::nullopt;
  PageCursor c{cursor.substr(0, sep), cursor.substr(sep + 1)};
  auto is = [](const std::string& v, auto allowed) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [&](char ch) { return allowed(static_cast<unsigned char>(ch)); });
  };
  if (!is(c.created, [](unsigned char ch) { return std::isdigit(ch) || ch == '-' || ch == ':' || ch == 'T' || ch == 'Z'; }) ||
      !is(c.id, [](unsigned char ch) { return std::isalnum(ch) || ch == '-'; }))
    return std::nullopt;
  return c;
}

Query submissions_page_query(const SubmissionFilter& f, const PageCursor& after, int limit) {
  Query q{std::string("SELECT ") + k_sub_cols + " FROM submissions s JOIN users u ON u.id = s.user_id WHERE 1 = 1", {}};
  auto param = [&](Param p) {
    q.params.push_back(std::move(p));
    return "$" + std::to_string(q.params.size());
  };
  if (f.state) q.sql += " AND s.state = " + param(std::string(to_string(*f.state)));
  if (!f.vendor.empty()) q.sql += " AND s.vendor = " + param(f.vendor);
  if (!f.org.empty()) q.sql += " AND s.org = " + param(f.org);
  if (!after.created.empty()) {
    auto created = param(after.created);
    q.sql += " AND (s.created, s.id) < (" + created + ", " + param(after.id) + ")";
  }
  q.sql += " ORDER BY s.created DESC, s.id DESC LIMIT " + param(std::int64_t{limit});
  return q;
}

std::vector<Query> queue_page_queries(Dialect dialect, const PageCursor& after, int limit) {
  // The same condition as the partial index submissions_open (migration 2),
  // written identically so the planners can prove the index applies. Without
  // statistics sqlite prefers three probes of submissions_state and a sort of
  // every open row; INDEXED BY makes it walk the partial index in order and
  // stop after `limit` rows (and fails loudly should the index go missing).
  constexpr const char* k_open = "s.state IN ('submitted', 'in-review', 'changes-requested')";
  std::string from = dialect == Dialect::sqlite ? "submissions s INDEXED BY submissions_open" : "submissions s";
  std::string where = k_open;
  std::vector<Param> params;
  if (!after.created.empty()) {
    where += " AND (s.created, s.id) > ($1, $2)";
    params = {after.created, after.id};
  }
  params.push_back(std::int64_t{limit});
  where += " ORDER BY s.created, s.id LIMIT $" + std::to_string(params.size());
  return {
      // The page, with the approvals of each current version counted by the
      // engine through the events_approvals index (no query per row).
      {std::string("SELECT ") + k_sub_cols +
           ", (SELECT COUNT(DISTINCT e.user_id) FROM events e WHERE e.submission_id = s.id "
           "AND e.version = s.version AND e.action = 'approve') "
           "FROM " + from + " JOIN users u ON u.id = s.user_id WHERE " + where,
       params},
      // Who claimed the entries of the page.
      {std::string("SELECT c.submission_id, u.name FROM claims c JOIN users u ON u.id = c.user_id "
                   "WHERE c.submission_id IN (SELECT s.id FROM ") + from + " WHERE " + where +
           ") ORDER BY c.created, u.name",
       params},
      // Open submissions in all.
      {std::string("SELECT COUNT(*) FROM submissions s WHERE ") + k_open, {}},
  };
}

Checked<SubmissionPage> Store::submissions(const SubmissionFilter& f) {
  auto cursor = parse_cursor(f.after);
  if (!cursor) return Refusal{400, "not a page cursor: " + f.after.substr(0, 64)};
  int limit = std::clamp(f.limit, 1, k_page_max);
  // One row more than the page says whether another page follows.
  auto q = submissions_page_query(f, *cursor, limit + 1);
  auto c = pool_.lease();
  SubmissionPage page;
  for (const auto& r : c->query(q.sql, q.params)) page.submissions.push_back(submission_from(r));
  if (page.submissions.size() > static_cast<std::size_t>(limit)) {
    page.submissions.pop_back();
    page.next = make_cursor(page.submissions.back());
  }
  return page;
}

std::vector<Version> Store::versions(const std::string& id) {
  auto c = pool_.lease();
  std::vector<Version> out;
  for (const auto& r : c->query("SELECT version, bundle_sha256, signer, created, summary FROM versions "
                                "WHERE submission_id = $1 ORDER BY version",
                                {id}))
    out.push_back({static_cast<int>(r.integer(0)), r.text(1), r.text(2), r.text(3), parse_or_empty(r.text(4))});
  return out;
}

std::vector<Event> Store::events(const std::string& id) {
  auto c = pool_.lease();
  std::vector<Event> out;
  for (const auto& r : c->query("SELECT e.id, e.version, u.name, u.role, e.action, e.comment, e.created FROM events e "
                                "JOIN users u ON u.id = e.user_id WHERE e.submission_id = $1 ORDER BY e.id",
                                {id}))
    out.push_back({r.integer(0), static_cast<int>(r.integer(1)), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6)});
  return out;
}

std::optional<std::pair<json, json>> Store::version_documents(const std::string& id, int version) {
  auto c = pool_.lease();
  auto rows = c->query("SELECT inventory, results FROM versions WHERE submission_id = $1 AND version = $2",
                       {id, std::int64_t{version}});
  if (rows.empty()) return std::nullopt;
  return std::make_pair(parse_or_empty(rows[0].text(0)), parse_or_empty(rows[0].text(1)));
}

std::optional<std::string> Store::bundle_bytes(const std::string& sha256) {
  auto c = pool_.lease();
  auto rows = c->query("SELECT data FROM bundles WHERE sha256 = $1", {sha256});
  if (rows.empty()) return std::nullopt;
  return rows[0].text(0);
}

Checked<QueuePage> Store::queue(int limit, const std::string& after) {
  auto cursor = parse_cursor(after);
  if (!cursor) return Refusal{400, "not a page cursor: " + after.substr(0, 64)};
  limit = std::clamp(limit, 1, k_page_max);
  auto queries = queue_page_queries(pool_.dialect(), *cursor, limit + 1);
  auto c = pool_.lease();
  Transaction txn(*c, false);  // one snapshot for the page, its claims and the total
  QueuePage page;
  std::map<std::string, std::size_t> index;
  for (const auto& r : c->query(queries[0].sql, queries[0].params)) {
    index[r.text(0)] = page.entries.size();
    page.entries.push_back({submission_from(r), {}, static_cast<int>(r.integer(15))});
  }
  if (page.entries.size() > static_cast<std::size_t>(limit)) {
    index.erase(page.entries.back().submission.id);
    page.entries.pop_back();
    page.next = make_cursor(page.entries.back().submission);
  }
  if (!page.entries.empty())
    for (const auto& r : c->query(queries[1].sql, queries[1].params))
      if (auto it = index.find(r.text(0)); it != index.end()) page.entries[it->second].claimed_by.push_back(r.text(1));
  page.total = c->query(queries[2].sql, queries[2].params).at(0).integer(0);
  txn.commit();
  return page;
}

std::vector<std::string> Store::criteria(const std::string& id) {
  auto sub = submission(id);
  if (!sub) return {"submission " + id + " not found"};
  auto docs = version_documents(id, sub->version);
  if (!docs) return {"submission " + id + " has no bundle"};
  return criteria_failures(options_.profile, docs->second, claimed_classes(docs->second));
}

Checked<Submission> Store::review(const User& who, const std::string& id, Action action, const std::string& comment) {
  if (comment.size() > 65536) return Refusal{400, "comment longer than 64 KiB"};
  std::vector<CertificateChange> changes;
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto sub = submission_in(*c, id);
  // Another organisation's submitter must not learn that the id exists.
  if (!sub || (who.role == Role::submitter && sub->org != who.org)) return not_found("submission " + id);
  ReviewContext ctx;
  ctx.state = sub->state;
  ctx.org = sub->org;
  ctx.reviewers_required = options_.profile.reviewers;
  ctx.actor_claimed = !c->query("SELECT 1 FROM claims WHERE submission_id = $1 AND user_id = $2", {id, who.id}).empty();
  auto approvals = c->query("SELECT DISTINCT user_id FROM events WHERE submission_id = $1 AND version = $2 "
                            "AND action = 'approve'",
                            {id, std::int64_t{sub->version}});
  ctx.approvals = static_cast<int>(approvals.size());
  for (const auto& r : approvals)
    if (r.integer(0) == who.id) ctx.actor_approved = true;
  auto docs = c->query("SELECT inventory, results, bundle_sha256 FROM versions WHERE submission_id = $1 AND version = $2",
                       {id, std::int64_t{sub->version}});
  if (docs.empty()) return Refusal{500, "submission " + id + " has no bundle version " + std::to_string(sub->version)};
  json inventory = parse_or_empty(docs[0].text(0));
  json results = parse_or_empty(docs[0].text(1));
  if (action == Action::approve)
    ctx.criteria_failures = criteria_failures(options_.profile, results, claimed_classes(results));

  auto t = decide(who.actor(), action, comment, ctx);
  if (!t) return t.refusal();
  auto now = now_iso();
  if (t->add_claim)
    c->execute("INSERT INTO claims (submission_id, user_id, created) VALUES ($1, $2, $3)", {id, who.id, now});
  c->execute("INSERT INTO events (submission_id, version, user_id, action, comment, created) "
             "VALUES ($1, $2, $3, $4, $5, $6)",
             {id, std::int64_t{sub->version}, who.id, std::string(to_string(action)), comment, now});
  json detail = {{"from", to_string(sub->state)}, {"to", to_string(t->next)}, {"version", sub->version}};
  if (!comment.empty()) detail["comment_sha256"] = sha256_hex(comment);
  if (t->record_approval) detail["approvals"] = ctx.approvals + 1;
  std::string cert_id;
  if (t->issue_certificate) {
    auto seq = next_counter(*c, "certificate");
    char buf[40];
    std::snprintf(buf, sizeof buf, "CERT-%s-%06lld", today().substr(0, 4).c_str(), static_cast<long long>(seq));
    cert_id = buf;
    auto record = certificate_record({cert_id, id, docs[0].text(2), today(), &inventory, &results});
    std::string classes_col = "," ;
    for (const auto& cl : record["classes"]) classes_col += cl.get<std::string>() + ",";
    c->execute("INSERT INTO certificates (id, submission_id, bundle_sha256, status, vendor, product, model, os_id, "
               "os_version, arch, classes, issued, record) VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, $9, "
               "$10, $11, $12)",
               {cert_id, id, docs[0].text(2), record["vendor"].get<std::string>(), record["product"].get<std::string>(),
                record["model"].get<std::string>(), record["os"]["id"].get<std::string>(),
                record["os"]["version_id"].get<std::string>(), record["arch"].get<std::string>(), classes_col,
                record["issued"].get<std::string>(), record.dump()});
    detail["certificate"] = cert_id;
    changes.push_back({"issued", record});
  }
  c->execute("UPDATE submissions SET state = $1, updated = $2, certificate_id = $3 WHERE id = $4",
             {std::string(to_string(t->next)), now,
              cert_id.empty() ? (sub->certificate_id.empty() ? Param(nullptr) : Param(sub->certificate_id)) : Param(cert_id),
              id});
  append_audit(*c, who.name, "review." + std::string(to_string(action)), id, detail);
  if (!cert_id.empty())
    append_audit(*c, who.name, "certificate.issue", cert_id, {{"submission", id}, {"bundle_sha256", docs[0].text(2)}});
  auto after = submission_in(*c, id);
  txn.commit();
  notify(changes);
  return *after;
}

// --- certificates

std::vector<json> Store::certificates() {
  auto c = pool_.lease();
  std::vector<json> out;
  for (const auto& r : c->query("SELECT record FROM certificates ORDER BY id")) out.push_back(parse_or_empty(r.text(0)));
  return out;
}

std::optional<json> Store::certificate(const std::string& id) {
  auto c = pool_.lease();
  auto rows = c->query("SELECT record FROM certificates WHERE id = $1", {id});
  if (rows.empty()) return std::nullopt;
  return parse_or_empty(rows[0].text(0));
}

Checked<json> Store::update_certificate(const std::string& actor, const std::string& kind, const json& record) {
  if (!record.is_object() || !record.contains("id") || !record["id"].is_string())
    return Refusal{400, "a certificate record needs an id"};
  auto id = record["id"].get<std::string>();
  auto c = pool_.lease();
  Transaction txn(*c, true);
  auto rows = c->query("SELECT record FROM certificates WHERE id = $1", {id});
  if (rows.empty()) return not_found("certificate " + id);
  auto old = parse_or_empty(rows[0].text(0));
  // Identity is fixed once issued: only status, withdrawal and extensions change.
  for (const char* key : {"submission_id", "bundle_sha256", "issued"})
    if (old.value(key, json()) != record.value(key, json()))
      return Refusal{409, std::string("a certificate's ") + key + " cannot change"};
  std::string status = record.value("status", "");
  if (status != "active" && status != "withdrawn") return Refusal{400, "status must be active or withdrawn"};
  std::string classes_col = ",";
  if (record.contains("classes") && record["classes"].is_array())
    for (const auto& cl : record["classes"])
      if (cl.is_string()) classes_col += cl.get<std::string>() + ",";
  auto os = record.value("os", json::object());
  c->execute("UPDATE certificates SET status = $1, vendor = $2, product = $3, model = $4, os_id = $5, "
             "os_version = $6, arch = $7, classes = $8, record = $9 WHERE id = $10",
             {status, record.value("vendor", ""), record.value("product", ""), record.value("model", ""),
              os.value("id", ""), os.value("version_id", ""), record.value("arch", ""), classes_col, record.dump(), id});
  append_audit(*c, actor, "certificate." + kind, id,
               {{"status", status}, {"record_sha256", sha256_hex(record.dump())}});
  txn.commit();
  notify({{kind, record}});
  return record;
}

void Store::on_certificate_change(CertificateListener listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_.push_back(std::move(listener));
}

void Store::notify(const std::vector<CertificateChange>& changes) {
  if (changes.empty()) return;
  std::vector<CertificateListener> copy;
  {
    std::lock_guard lock(listeners_mu_);
    copy = listeners_;
  }
  for (const auto& ch : changes)
    for (const auto& l : copy) l(ch);
}

// --- audit

std::vector<AuditEntry> Store::audit(std::int64_t after_seq, int limit) {
  auto c = pool_.lease();
  std::vector<AuditEntry> out;
  for (const auto& r : c->query("SELECT seq, time, actor, action, object, detail, prev_hash, hash FROM audit "
                                "WHERE seq > $1 ORDER BY seq LIMIT $2",
                                {after_seq, std::int64_t{limit}})) {
    AuditEntry e;
    e.seq = r.integer(0);
    e.time = r.text(1);
    e.actor = r.text(2);
    e.action = r.text(3);
    e.object = r.text(4);
    e.detail = json::parse(r.text(5), nullptr, false);
    if (e.detail.is_discarded()) e.detail = r.text(5);  // keep what is there; verification will fail
    e.prev_hash = r.text(6);
    e.hash = r.text(7);
    out.push_back(std::move(e));
  }
  return out;
}

AuditVerdict Store::verify_audit() {
  std::vector<AuditEntry> all;
  for (std::int64_t after = 0;;) {
    auto page = audit(after, 10000);
    if (page.empty()) break;
    after = page.back().seq;
    for (auto& e : page) all.push_back(std::move(e));
  }
  auto c = pool_.lease();
  auto head = c->query("SELECT seq, hash FROM audit_head WHERE id = 1");
  std::optional<std::pair<std::int64_t, std::string>> h;
  if (!head.empty()) h = std::make_pair(head[0].integer(0), head[0].text(1));
  return verify_chain(all, h);
}

}  // namespace certify::certdb
