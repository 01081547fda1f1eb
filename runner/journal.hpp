// Journal: results/<run>/journal.db (sqlite, WAL). Every state change of a
// job is one transaction, so a kill -9 at any moment loses at most the jobs
// that were running. An existing file that is not a sound certify journal is
// an error, never overwritten.
#pragma once

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace certify::runner {

inline constexpr int k_journal_schema_version = 1;

struct JobRecord {
  std::string id, test, suite, cls, device, def_hash;
  std::string state = "pending";  // pending | running | done | interrupted
  std::string status, reason;     // when done (or interrupted)
  std::string started, finished;  // ISO 8601
  double duration_s = 0;
  std::optional<int> exit_code, signal;
  nlohmann::json metrics = nlohmann::json::object();
  int attempts = 0;
  std::string boot_id;  // of the boot the job last started in
  int seq = 0;
};

class Journal {
 public:
  // Creates a new journal; fails if the file exists. `synced` false: no
  // fsync while it is filled and closed (synchronous=OFF); the caller makes
  // the file durable (a DeferredSync) before anything relies on it.
  static Result<Journal> create(const std::filesystem::path& file, bool synced = true);
  // Opens an existing journal after an integrity check.
  static Result<Journal> open(const std::filesystem::path& file);
  Journal(Journal&& o) noexcept
      : db_(o.db_), file_(std::move(o.file_)), running_stmt_(o.running_stmt_), done_stmt_(o.done_stmt_) {
    o.db_ = nullptr;
    o.running_stmt_ = o.done_stmt_ = nullptr;
  }
  Journal& operator=(Journal&&) = delete;
  ~Journal();

  Status set_meta(const std::string& key, const std::string& value);
  std::optional<std::string> meta(const std::string& key) const;

  // Adds jobs not yet present (one transaction).
  Status add_jobs(const std::vector<JobRecord>& jobs);
  Status replace_definition(const std::string& id, const std::string& hash);
  // `durable`: this commit, and every one before it, is on disk when it
  // returns (an fsync), for a job that may crash or reboot the machine.
  Status mark_running(const std::string& id, const std::string& started, const std::string& boot_id,
                      bool durable = false);
  Status mark_done(const JobRecord& r);  // state done or interrupted, with the outcome
  std::vector<JobRecord> jobs() const;   // in plan order
  // "ok" or sqlite's complaint.
  std::string integrity_check() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  Journal(sqlite3* db, std::filesystem::path file) : db_(db), file_(std::move(file)) {}
  Status exec(const std::string& sql);
  Status set_autocheckpoint();  // WAL pages between checkpoints, for this file's page size
  Status update_running(const std::string& id, const std::string& started, const std::string& boot_id);
  Status err(const std::string& what) const;
  // The statement of a state change, prepared once: the run loop makes two
  // per job, so parsing the SQL each time was a measurable part of its cost.
  sqlite3_stmt* prepared(sqlite3_stmt*& slot, const char* sql);
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  sqlite3_stmt* running_stmt_ = nullptr;
  sqlite3_stmt* done_stmt_ = nullptr;
};

}  // namespace certify::runner
