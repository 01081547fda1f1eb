// certdb's domain store over the storage interface (db.hpp): accounts, roles,
// tokens and keys; submissions with their bundle versions, review events and
// claims; certificate records; the audit log. Every change is one write
// transaction that also appends its audit entry, so the log and the data can
// never disagree. Thread-safe: each call leases its own connection.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certdb/audit.hpp"
#include "certdb/certificate.hpp"
#include "certdb/db.hpp"
#include "certdb/review.hpp"
#include "core/result.hpp"

namespace certify::certdb {

// The time source; tests pin it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() = 0;
};
class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() override { return std::chrono::system_clock::now(); }
};

struct User {
  std::int64_t id = 0;
  std::string name, org;
  Role role = Role::submitter;
  std::string created;
  bool disabled = false;
  Actor actor() const { return {id, name, org, role}; }
  nlohmann::json to_json() const;
};

struct PublicKey {
  std::string fingerprint;  // hex SHA-256 of the raw public key
  std::string algorithm;    // "ed25519", "sm2"
  std::string pem;
  std::string user;
  std::string created;
  nlohmann::json to_json() const;  // without the PEM body
};

struct Submission {
  std::string id;           // SUB-000001
  std::string org, user;    // submitting organisation and account
  State state = State::submitted;
  int version = 1;          // current bundle version
  std::string vendor, product, model, arch, os_id, os_version;
  std::vector<std::string> classes;
  std::string created, updated;
  std::string certificate_id;  // set once approved
  nlohmann::json to_json() const;
};

struct Version {
  int version = 0;
  std::string bundle_sha256, signer, created;
  nlohmann::json summary;   // BundleFacts::to_json()
  nlohmann::json to_json() const;
};

struct Event {
  std::int64_t id = 0;
  int version = 0;
  std::string user, role, action, comment, created;
  nlohmann::json to_json() const;
};

struct QueueEntry {
  Submission submission;
  std::vector<std::string> claimed_by;
  int approvals = 0;        // of the current version
  nlohmann::json to_json() const;
};

// A verified bundle ready to store (ingest.hpp builds it).
struct IngestInput {
  std::string sha256;        // hex SHA-256 of `bytes`
  std::string_view bytes;    // the .cbundle as uploaded
  std::string signer;        // fingerprint of the key that signed it
  std::string inventory;     // inventory.json text
  std::string results;       // results.json text
  BundleFacts facts;
};

struct IngestResult {
  std::string id;
  State state = State::submitted;
  int version = 1;
  bool duplicate = false;
  nlohmann::json to_json() const;  // {"id", "state", "version", "duplicate"}
};

// Listings are paged by keyset: a page ends with a cursor naming its last
// entry, and the next page starts after it, so a page costs an index range
// scan whatever its position, and entries added meanwhile neither repeat nor
// shift the pages. Cursors are opaque to clients; a malformed one is a 400.
constexpr int k_page_default = 100;
constexpr int k_page_max = 1000;

struct SubmissionFilter {
  std::optional<State> state;
  std::string vendor;
  std::string org;           // empty = every organisation
  int limit = k_page_default;  // 1..k_page_max
  std::string after;         // cursor: `next` of the previous page; "" = the first page
};

// Where a page starts: after the entry with this creation time and id
// (both empty: the first page). Clients see it as "<created>_<id>".
struct PageCursor {
  std::string created, id;
};
// nullopt when `cursor` is not one.
std::optional<PageCursor> parse_cursor(const std::string& cursor);

// The SQL of the paged listings with its parameters: one query for a page of
// submissions; three for the queue (the page with approval counts, its
// claims, the total). Tests check the plans sqlite makes of them.
struct Query {
  std::string sql;
  std::vector<Param> params;
};
Query submissions_page_query(const SubmissionFilter& f, const PageCursor& after, int limit);
std::vector<Query> queue_page_queries(Dialect dialect, const PageCursor& after, int limit);

struct SubmissionPage {
  std::vector<Submission> submissions;  // newest first
  std::string next;                     // cursor of the following page; "" = this is the last
};

struct QueuePage {
  std::vector<QueueEntry> entries;      // oldest first
  std::int64_t total = 0;               // open submissions in all
  std::string next;
};

// A certificate changed: "issued" on approval; "extended", "withdrawn" or
// "updated" through update_certificate(). Delivered after the commit.
struct CertificateChange {
  std::string kind;
  nlohmann::json record;
};
using CertificateListener = std::function<void(const CertificateChange&)>;

struct StoreOptions {
  Profile profile;           // approval criteria; profile.reviewers = N approvals
  std::size_t pool_size = 8;
};

class Store {
 public:
  // Opens (and migrates) the database at `url` (sqlite path or postgresql://).
  Store(const std::string& url, StoreOptions options, std::shared_ptr<Clock> clock = nullptr);

  const StoreOptions& options() const { return options_; }
  Dialect dialect() { return pool_.dialect(); }
  int schema_version();

  // --- accounts (administrator actions; `actor` is recorded in the audit log)
  Checked<User> add_user(const std::string& actor, const std::string& name, const std::string& org, Role role);
  Checked<User> set_role(const std::string& actor, const std::string& name, Role role);
  Checked<User> set_disabled(const std::string& actor, const std::string& name, bool disabled);
  // Issues a new random token and returns it; only its SHA-256 is kept.
  Checked<std::string> issue_token(const std::string& actor, const std::string& name, const std::string& label);
  // Revokes every token of `name` with this label.
  Checked<int> revoke_tokens(const std::string& actor, const std::string& name, const std::string& label);
  Checked<PublicKey> add_key(const std::string& actor, const std::string& name, const PublicKey& key);
  Checked<int> revoke_key(const std::string& actor, const std::string& fingerprint);
  std::optional<User> user(const std::string& name);
  std::vector<User> users();
  std::vector<PublicKey> keys(const std::string& name);  // active keys of a user
  // The account a bearer token belongs to (not revoked, not disabled).
  std::optional<User> authenticate(std::string_view token);

  // --- submissions
  // Stores a new submission (or returns the existing one for a known bundle hash).
  Checked<IngestResult> ingest(const User& who, const IngestInput& in);
  // A new bundle version of `id` from its organisation.
  Checked<IngestResult> add_version(const User& who, const std::string& id, const IngestInput& in);
  // The existing submission holding a bundle with this hash, if any.
  std::optional<IngestResult> find_by_bundle(const std::string& sha256);
  std::optional<Submission> submission(const std::string& id);
  // One page, newest first (refused: a malformed cursor).
  Checked<SubmissionPage> submissions(const SubmissionFilter& f);
  std::vector<Version> versions(const std::string& id);
  std::vector<Event> events(const std::string& id);
  // inventory.json and results.json of one version.
  std::optional<std::pair<nlohmann::json, nlohmann::json>> version_documents(const std::string& id, int version);
  std::optional<std::string> bundle_bytes(const std::string& sha256);
  // Reviewers' queue: open submissions (submitted, in-review, changes-requested),
  // oldest first, one page of at most `limit` after the cursor `after`; three
  // queries per page in one read transaction, whatever the page's length.
  Checked<QueuePage> queue(int limit = k_page_default, const std::string& after = {});
  // The criteria failures of the current version against the profile.
  std::vector<std::string> criteria(const std::string& id);

  // Claim, comment, request-changes, approve, reject. Returns the state after it.
  Checked<Submission> review(const User& who, const std::string& id, Action action, const std::string& comment);

  // --- certificates (the contract with certdb/catalog and certdb/publish)
  std::vector<nlohmann::json> certificates();
  std::optional<nlohmann::json> certificate(const std::string& id);
  // Replaces a certificate's record (extension, withdrawal) with audit entry
  // "certificate.<kind>"; listeners hear `kind`.
  Checked<nlohmann::json> update_certificate(const std::string& actor, const std::string& kind,
                                             const nlohmann::json& record);
  void on_certificate_change(CertificateListener listener);

  // --- audit log
  std::vector<AuditEntry> audit(std::int64_t after_seq = 0, int limit = 1000);
  AuditVerdict verify_audit();
  // Appends an entry in its own transaction (for actions with no other change).
  void record(const std::string& actor, const std::string& action, const std::string& object,
              const nlohmann::json& detail);

 private:
  std::string now_iso();
  std::string today();
  void append_audit(Connection& c, const std::string& actor, const std::string& action,
                    const std::string& object, const nlohmann::json& detail);
  std::int64_t next_counter(Connection& c, const std::string& name);
  std::optional<User> user_in(Connection& c, const std::string& name);
  std::optional<Submission> submission_in(Connection& c, const std::string& id);
  void store_bundle(Connection& c, const IngestInput& in);
  void notify(const std::vector<CertificateChange>& changes);

  StoreOptions options_;
  std::shared_ptr<Clock> clock_;
  Pool pool_;
  std::mutex listeners_mu_;
  std::vector<CertificateListener> listeners_;
};

}  // namespace certify::certdb
