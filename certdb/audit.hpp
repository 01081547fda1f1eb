// The audit log's hash chain: each entry's hash covers its own fields and the
// previous entry's hash, so altering, removing or reordering any entry (or
// cutting the tail, checked against the stored head) breaks verification.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace certify::certdb {

struct AuditEntry {
  std::int64_t seq = 0;     // 1, 2, 3, ... without gaps
  std::string time;         // ISO 8601 UTC
  std::string actor;        // user name, or "cli:<login>" for local admin commands
  std::string action;       // "user.add", "submission.create", "review.approve", ...
  std::string object;       // what it acted on: user name, submission or certificate id
  nlohmann::json detail;    // action-specific facts
  std::string prev_hash;    // hash of entry seq-1; 64 zeros for the first
  std::string hash;
  nlohmann::json to_json() const;
};

inline const std::string k_genesis_hash(64, '0');

// SHA-256 (hex) over prev_hash and the canonical JSON of the entry's fields.
std::string audit_hash(const AuditEntry& e);

struct AuditVerdict {
  bool ok = true;
  std::int64_t entries = 0;
  std::string head;                 // hash of the last entry
  std::vector<std::string> problems;
};

// Checks the chain in the order given (by seq), and that it ends at `head`
// (seq, hash) when one is recorded.
AuditVerdict verify_chain(const std::vector<AuditEntry>& entries,
                          std::optional<std::pair<std::int64_t, std::string>> head);

}  // namespace certify::certdb
