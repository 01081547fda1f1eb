// Audit hash chain: computing and verifying.
#include "certdb/audit.hpp"

#include "core/files.hpp"

namespace certify::certdb {

nlohmann::json AuditEntry::to_json() const {
  return {{"seq", seq},       {"time", time},           {"actor", actor}, {"action", action},
          {"object", object}, {"detail", detail},       {"prev_hash", prev_hash}, {"hash", hash}};
}

std::string audit_hash(const AuditEntry& e) {
  // An array keeps field order fixed; dump() is canonical for a given value.
  nlohmann::json fields = {e.seq, e.time, e.actor, e.action, e.object, e.detail};
  return sha256_hex(e.prev_hash + "\n" + fields.dump());
}

AuditVerdict verify_chain(const std::vector<AuditEntry>& entries,
                          std::optional<std::pair<std::int64_t, std::string>> head) {
  AuditVerdict v;
  std::string prev = k_genesis_hash;
  std::int64_t expect = 1;
  auto problem = [&](std::string m) {
    v.ok = false;
    if (v.problems.size() < 50) v.problems.push_back(std::move(m));
  };
  for (const auto& e : entries) {
    auto where = "entry " + std::to_string(e.seq);
    if (e.seq != expect)
      problem(where + ": expected sequence number " + std::to_string(expect) + " (entry removed or reordered)");
    if (e.prev_hash != prev) problem(where + ": does not link to the previous entry (removed or reordered)");
    if (audit_hash(e) != e.hash) problem(where + ": content does not match its hash (altered)");
    prev = e.hash;
    expect = e.seq + 1;
    ++v.entries;
  }
  v.head = entries.empty() ? k_genesis_hash : entries.back().hash;
  if (head) {
    std::int64_t last = entries.empty() ? 0 : entries.back().seq;
    if (head->first != last || head->second != v.head)
      problem("the log ends at entry " + std::to_string(last) + " but its recorded head is entry " +
              std::to_string(head->first) + " (entries removed from the end, or head altered)");
  } else if (!entries.empty()) {
    problem("the audit head record is missing");
  }
  return v;
}

}  // namespace certify::certdb
