// certdb migrate | user add|role|token|revoke-token|key|list | audit verify|show:
// local administration on the database file. The actor in the audit log is
// "cli:<login>".
#include <pwd.h>
#include <unistd.h>

#include <iostream>

#include "certdb/commands.hpp"
#include "certdb/copy.hpp"
#include "certdb/ingest.hpp"
#include "certdb/migrations.hpp"
#include "certdb/store.hpp"
#include "core/files.hpp"

namespace certify::certdb::cli {

namespace {

std::string cli_actor() {
  if (const passwd* pw = getpwuid(geteuid())) return std::string("cli:") + pw->pw_name;
  return "cli:uid" + std::to_string(geteuid());
}

Role role_arg(const std::string& s) {
  auto r = parse_role(s);
  if (!r) throw CommandError("unknown role \"" + s + "\" (submitter, reviewer, admin, auditor)");
  return *r;
}

template <class T>
T& checked(Checked<T>&& c, T& out) {
  if (!c) throw CommandError(c.refusal().message, k_exit_failed);
  out = std::move(c.value());
  return out;
}

CLI::Option* db_option(CLI::App* cmd, std::string& db) {
  return cmd->add_option("--db", db, "sqlite file or postgresql://user@host/dbname")->required()->envname("CERTDB_DB");
}

}  // namespace

void add_admin_commands(CLI::App& app, int& exit_code) {
  auto db = std::make_shared<std::string>();

  auto* migrate_cmd = app.add_subcommand("migrate", "Create or upgrade the database schema");
  db_option(migrate_cmd, *db);
  migrate_cmd->callback([db] {
    Store store(*db, {});
    std::cout << "schema version " << store.schema_version() << " (latest " << latest_schema_version() << ")\n";
  });

  struct CopyArgs {
    std::string from, to;
  };
  auto ca = std::make_shared<CopyArgs>();
  auto* copy_cmd = app.add_subcommand(
      "copy", "Copy a whole database to an empty one on another backend (sqlite to PostgreSQL); stop the server first");
  copy_cmd->add_option("--from", ca->from, "Source: sqlite file or postgresql:// URL")->required();
  copy_cmd->add_option("--to", ca->to, "Target (created or migrated; must hold no data)")->required();
  copy_cmd->callback([ca] {
    auto rep = copy_database(ca->from, ca->to);
    if (!rep) throw CommandError(rep.message(), k_exit_failed);
    for (const auto& [table, n] : rep->rows) std::cout << table << ": " << n << " rows\n";
    std::cout << "copied at schema version " << rep->schema_version << "; check it with 'certdb audit verify --db "
              << ca->to << "'\n";
  });

  auto* user = app.add_subcommand("user", "Manage accounts, roles, API tokens and signing keys");
  user->require_subcommand(1);

  struct UserArgs {
    std::string name, org, role, label = "api", file;
    bool json = false;
  };
  auto a = std::make_shared<UserArgs>();

  auto* add = user->add_subcommand("add", "Create an account with one role");
  db_option(add, *db);
  add->add_option("name", a->name, "Account name")->required();
  add->add_option("--org", a->org, "Organisation (nobody reviews their own organisation's submissions)")->required();
  add->add_option("--role", a->role, "Role")->required()->check(CLI::IsMember({"submitter", "reviewer", "admin", "auditor"}));
  add->callback([db, a] {
    Store store(*db, {});
    User u;
    checked(store.add_user(cli_actor(), a->name, a->org, role_arg(a->role)), u);
    std::cout << "added " << u.name << " (" << u.org << ", " << to_string(u.role) << ")\n";
  });

  auto* role = user->add_subcommand("role", "Change an account's role");
  db_option(role, *db);
  role->add_option("name", a->name, "Account name")->required();
  role->add_option("role", a->role, "New role")->required()->check(CLI::IsMember({"submitter", "reviewer", "admin", "auditor"}));
  role->callback([db, a] {
    Store store(*db, {});
    User u;
    checked(store.set_role(cli_actor(), a->name, role_arg(a->role)), u);
    std::cout << u.name << " is now " << to_string(u.role) << "\n";
  });

  auto* token = user->add_subcommand("token", "Issue an API token (printed once; only its hash is stored)");
  db_option(token, *db);
  token->add_option("name", a->name, "Account name")->required();
  token->add_option("--label", a->label, "Label, to revoke it later")->default_val("api");
  token->callback([db, a] {
    Store store(*db, {});
    std::string t;
    checked(store.issue_token(cli_actor(), a->name, a->label), t);
    std::cout << t << "\n";
  });

  auto* revoke = user->add_subcommand("revoke-token", "Revoke an account's tokens with a label");
  db_option(revoke, *db);
  revoke->add_option("name", a->name, "Account name")->required();
  revoke->add_option("--label", a->label, "Label given when issued")->default_val("api");
  revoke->callback([db, a] {
    Store store(*db, {});
    int n = 0;
    checked(store.revoke_tokens(cli_actor(), a->name, a->label), n);
    std::cout << "revoked " << n << " token(s)\n";
  });

  auto* key = user->add_subcommand("key", "Register a submitter's public signing key (PEM)");
  db_option(key, *db);
  key->add_option("name", a->name, "Account name")->required();
  key->add_option("pubkey", a->file, "Public key file (certify keygen writes NAME.pub)")->required();
  key->callback([db, a] {
    auto pem = read_file(a->file, 1 << 20);
    if (!pem) throw CommandError(pem.message());
    auto verifier = make_bundle_verifier(1 << 20);
    auto info = verifier->inspect_key(*pem);
    if (!info) throw CommandError(a->file + ": " + info.message());
    Store store(*db, {});
    PublicKey k;
    checked(store.add_key(cli_actor(), a->name, {info->fingerprint, info->algorithm, *pem, "", ""}), k);
    std::cout << "registered " << k.algorithm << " key " << k.fingerprint << " for " << k.user << "\n";
  });

  auto* list = user->add_subcommand("list", "List accounts with their roles and keys");
  db_option(list, *db);
  list->add_flag("--json", a->json, "JSON output");
  list->callback([db, a] {
    Store store(*db, {});
    nlohmann::json out = nlohmann::json::array();
    for (const auto& u : store.users()) {
      auto j = u.to_json();
      j["keys"] = nlohmann::json::array();
      for (const auto& k : store.keys(u.name)) j["keys"].push_back(k.fingerprint);
      if (!a->json)
        std::cout << u.name << "\t" << u.org << "\t" << to_string(u.role) << (u.disabled ? "\tdisabled" : "") << "\t"
                  << j["keys"].size() << " key(s)\n";
      out.push_back(std::move(j));
    }
    if (a->json) std::cout << out.dump(2) << "\n";
  });

  auto* audit = app.add_subcommand("audit", "Read and verify the audit log");
  audit->require_subcommand(1);
  struct AuditArgs {
    std::string head;
    std::int64_t after = 0;
    int limit = 100;
  };
  auto aa = std::make_shared<AuditArgs>();
  auto* verify = audit->add_subcommand("verify", "Check the hash chain: any altered, removed or reordered entry fails");
  db_option(verify, *db);
  verify->add_option("--head", aa->head, "Expected head hash, as recorded elsewhere earlier (detects a rewritten log)");
  verify->callback([db, aa, &exit_code] {
    Store store(*db, {});
    auto v = store.verify_audit();
    if (!aa->head.empty() && aa->head != v.head) {
      // An earlier head must still be in the chain, or the log was rewritten.
      bool found = aa->head == k_genesis_hash;
      for (std::int64_t after = 0; !found;) {
        auto page = store.audit(after, 10000);
        if (page.empty()) break;
        for (const auto& e : page) found = found || e.hash == aa->head;
        after = page.back().seq;
      }
      if (!found) {
        v.ok = false;
        v.problems.push_back("the expected head " + aa->head + " is not in the log (rewritten)");
      }
    }
    for (const auto& p : v.problems) std::cout << "audit: " << p << "\n";
    std::cout << (v.ok ? "audit log OK: " : "audit log BROKEN: ") << v.entries << " entries, head " << v.head << "\n";
    if (!v.ok) exit_code = k_exit_failed;
  });
  auto* show = audit->add_subcommand("show", "Print audit entries as JSON lines");
  db_option(show, *db);
  show->add_option("--after", aa->after, "Entries after this sequence number")->default_val(0);
  show->add_option("--limit", aa->limit, "At most this many")->default_val(100);
  show->callback([db, aa] {
    Store store(*db, {});
    for (const auto& e : store.audit(aa->after, aa->limit)) std::cout << e.to_json().dump() << "\n";
  });
}

}  // namespace certify::certdb::cli
