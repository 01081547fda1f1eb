// The review workflow as pure rules: roles, states, what each role may do in
// each state, and the certification profile's approval criteria. The store
// applies the decision; nothing here touches storage, so every rule is
// unit-tested on its own.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace certify::certdb {

// Separated duties: an account has exactly one role.
enum class Role { submitter, reviewer, admin, auditor };
std::string_view to_string(Role r);
std::optional<Role> parse_role(std::string_view s);

// submitted → in-review → changes-requested → in-review → approved | rejected
enum class State { submitted, in_review, changes_requested, approved, rejected };
std::string_view to_string(State s);
std::optional<State> parse_state(std::string_view s);
bool is_final(State s);

enum class Action { claim, comment, request_changes, approve, reject, new_version };
std::string_view to_string(Action a);
std::optional<Action> parse_action(std::string_view s);  // review actions only (not new_version)

// A refusal with the HTTP status that expresses it (400, 403, 404, 409, 422).
struct Refusal {
  int status;
  std::string message;
};

// A value or a Refusal; [[nodiscard]] like Result.
template <class T>
class [[nodiscard]] Checked {
 public:
  Checked(T v) : v_(std::move(v)) {}           // NOLINT: implicit by design
  Checked(Refusal r) : v_(std::move(r)) {}     // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const Refusal& refusal() const { return std::get<1>(v_); }

 private:
  std::variant<T, Refusal> v_;
};

struct Actor {
  std::int64_t id = 0;
  std::string name;
  std::string org;
  Role role = Role::submitter;
};

// What the rules need to know about a submission at the moment of an action.
struct ReviewContext {
  State state = State::submitted;
  std::string org;                   // the submitting organisation
  bool actor_claimed = false;        // the acting reviewer holds a claim
  bool actor_approved = false;       // ... and approved the current version already
  int approvals = 0;                 // distinct approvals of the current version so far
  int reviewers_required = 1;        // N distinct approvals to certify
  std::vector<std::string> criteria_failures;  // profile criteria not met (empty = met)
};

struct Transition {
  State next;
  bool add_claim = false;
  bool record_approval = false;
  bool issue_certificate = false;
};

// Decides whether `actor` may take `action` with `comment`; pure.
Checked<Transition> decide(const Actor& actor, Action action, std::string_view comment,
                           const ReviewContext& ctx);

// Certification profile: which results an approval needs.
//   {"name": "...", "reviewers": N,
//    "blockers_must_pass": true,             // every job marked blocker passed
//    "classes": {"nic": {"required": ["nic.link", ...]}}}   // tests that must pass
// A claimed class with no profile entry needs only its blockers to pass.
struct Profile {
  std::string name = "default";
  int reviewers = 1;
  bool blockers_must_pass = true;
  std::map<std::string, std::vector<std::string>> required;  // class → test ids
};
Result<Profile> parse_profile(const nlohmann::json& j);

// The classes a bundle claims: every class its results have jobs for.
std::vector<std::string> claimed_classes(const nlohmann::json& results);

// Empty when the results meet the profile for the claimed classes; else one
// line per failure ("nvme: required test nvme.io-verify did not pass (fail)").
std::vector<std::string> criteria_failures(const Profile& profile, const nlohmann::json& results,
                                           const std::vector<std::string>& classes);

}  // namespace certify::certdb
