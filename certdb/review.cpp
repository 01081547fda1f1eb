// Review rules: who may do what, in which state, and the profile criteria.
#include "certdb/review.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace certify::certdb {

namespace {

template <class E, std::size_t N>
std::optional<E> parse_enum(std::string_view s, const std::pair<E, std::string_view> (&table)[N]) {
  for (const auto& [e, name] : table)
    if (name == s) return e;
  return std::nullopt;
}
template <class E, std::size_t N>
std::string_view name_of(E e, const std::pair<E, std::string_view> (&table)[N]) {
  for (const auto& [v, name] : table)
    if (v == e) return name;
  return "?";
}

constexpr std::pair<Role, std::string_view> k_roles[] = {
    {Role::submitter, "submitter"}, {Role::reviewer, "reviewer"}, {Role::admin, "admin"},
    {Role::auditor, "auditor"}};
constexpr std::pair<State, std::string_view> k_states[] = {
    {State::submitted, "submitted"}, {State::in_review, "in-review"},
    {State::changes_requested, "changes-requested"}, {State::approved, "approved"},
    {State::rejected, "rejected"}};
constexpr std::pair<Action, std::string_view> k_actions[] = {
    {Action::claim, "claim"}, {Action::comment, "comment"}, {Action::request_changes, "request-changes"},
    {Action::approve, "approve"}, {Action::reject, "reject"}, {Action::new_version, "new-version"}};

Refusal forbidden(std::string m) { return {403, std::move(m)}; }
Refusal conflict(std::string m) { return {409, std::move(m)}; }

}  // namespace

std::string_view to_string(Role r) { return name_of(r, k_roles); }
std::optional<Role> parse_role(std::string_view s) {
  if (s == "administrator") return Role::admin;
  return parse_enum(s, k_roles);
}
std::string_view to_string(State s) { return name_of(s, k_states); }
std::optional<State> parse_state(std::string_view s) { return parse_enum(s, k_states); }
bool is_final(State s) { return s == State::approved || s == State::rejected; }
std::string_view to_string(Action a) { return name_of(a, k_actions); }
std::optional<Action> parse_action(std::string_view s) {
  auto a = parse_enum(s, k_actions);
  if (a == Action::new_version) return std::nullopt;
  return a;
}

Checked<Transition> decide(const Actor& actor, Action action, std::string_view comment,
                           const ReviewContext& ctx) {
  const bool own_org = actor.org == ctx.org;
  const std::string state(to_string(ctx.state));
  if (actor.role == Role::admin)
    return forbidden("administrators manage accounts and keys; they cannot review or submit");
  if (actor.role == Role::auditor) return forbidden("auditors read the audit log; they change nothing");

  if (actor.role == Role::submitter) {
    if (!own_org) return forbidden("this submission belongs to another organisation");
    if (action == Action::comment) {
      if (comment.empty()) return Refusal{400, "a comment needs text"};
      if (is_final(ctx.state)) return conflict("the submission is " + state + "; it takes no more comments");
      return Transition{ctx.state};
    }
    if (action == Action::new_version) {
      if (is_final(ctx.state)) return conflict("the submission is " + state + "; it takes no new versions");
      // Answering a change request puts it back in review with its reviewers.
      State next = ctx.state == State::changes_requested ? State::in_review : ctx.state;
      return Transition{next};
    }
    return forbidden("submitters may comment or send a new version; reviewing is for reviewers");
  }

  // Reviewer.
  if (own_org) return forbidden("nobody reviews their own organisation's submission");
  if (action == Action::new_version) return forbidden("only the submitting organisation sends new versions");
  if (is_final(ctx.state)) return conflict("the submission is already " + state);
  switch (action) {
    case Action::comment:
      if (comment.empty()) return Refusal{400, "a comment needs text"};
      return Transition{ctx.state};
    case Action::claim: {
      if (ctx.actor_claimed) return conflict("you have already claimed this submission");
      if (ctx.state == State::changes_requested)
        return conflict("changes were requested; wait for the submitter's new version");
      Transition t{State::in_review};
      t.add_claim = true;
      return t;
    }
    case Action::request_changes:
    case Action::reject:
    case Action::approve:
      break;
    case Action::new_version:
      break;
  }
  if (!ctx.actor_claimed) return conflict("claim the submission before deciding on it");
  if (ctx.state != State::in_review)
    return conflict("the submission is " + state + "; decisions are taken in review");
  if (action == Action::request_changes) {
    if (comment.empty()) return Refusal{400, "say which changes are needed (comment)"};
    return Transition{State::changes_requested};
  }
  if (action == Action::reject) {
    if (comment.empty()) return Refusal{400, "give the reason for rejecting (comment)"};
    return Transition{State::rejected};
  }
  // approve
  if (ctx.actor_approved) return conflict("you have already approved this version");
  if (!ctx.criteria_failures.empty()) {
    std::string msg = "the certification profile's criteria are not met:";
    for (const auto& f : ctx.criteria_failures) msg += "\n  " + f;
    return Refusal{422, msg};
  }
  Transition t{State::in_review};
  t.record_approval = true;
  if (ctx.approvals + 1 >= ctx.reviewers_required) {
    t.next = State::approved;
    t.issue_certificate = true;
  }
  return t;
}

Result<Profile> parse_profile(const nlohmann::json& j) {
  if (!j.is_object()) return make_error("profile: not a JSON object");
  Profile p;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& k = it.key();
    const auto& v = it.value();
    if (k == "name") {
      if (!v.is_string()) return make_error("profile: name must be a string");
      p.name = v.get<std::string>();
    } else if (k == "reviewers") {
      if (!v.is_number_integer() || v.get<int>() < 1 || v.get<int>() > 20)
        return make_error("profile: reviewers must be an integer from 1 to 20");
      p.reviewers = v.get<int>();
    } else if (k == "blockers_must_pass") {
      if (!v.is_boolean()) return make_error("profile: blockers_must_pass must be true or false");
      p.blockers_must_pass = v.get<bool>();
    } else if (k == "classes") {
      if (!v.is_object()) return make_error("profile: classes must be an object");
      for (auto c = v.begin(); c != v.end(); ++c) {
        if (!c->is_object() || !c->contains("required") || !(*c)["required"].is_array())
          return make_error("profile: classes." + c.key() + " needs a \"required\" array");
        for (const auto& t : (*c)["required"]) {
          if (!t.is_string() || t.get<std::string>().empty())
            return make_error("profile: classes." + c.key() + ".required holds a non-string");
          p.required[c.key()].push_back(t.get<std::string>());
        }
      }
    } else if (k != "schema_version" && k != "description") {
      return make_error("profile: unknown key \"" + k + "\"");
    }
  }
  return p;
}

std::vector<std::string> claimed_classes(const nlohmann::json& results) {
  std::set<std::string> out;
  if (results.is_object() && results.contains("jobs") && results["jobs"].is_array())
    for (const auto& job : results["jobs"])
      if (job.is_object() && job.contains("class") && job["class"].is_string() &&
          !job["class"].get<std::string>().empty())
        out.insert(job["class"].get<std::string>());
  return {out.begin(), out.end()};
}

std::vector<std::string> criteria_failures(const Profile& profile, const nlohmann::json& results,
                                           const std::vector<std::string>& classes) {
  std::vector<std::string> out;
  if (classes.empty()) out.push_back("the bundle claims no device class (no test results)");
  std::map<std::string, std::vector<const nlohmann::json*>> by_class;
  if (results.contains("jobs") && results["jobs"].is_array())
    for (const auto& job : results["jobs"])
      if (job.is_object()) by_class[job.value("class", "")].push_back(&job);
  for (const auto& cls : classes) {
    const auto& jobs = by_class[cls];
    if (jobs.empty()) {
      out.push_back(cls + ": no test results");
      continue;
    }
    if (profile.blockers_must_pass)
      for (const auto* job : jobs)
        if (job->value("blocker", false) && job->value("status", "") != "pass")
          out.push_back(cls + ": blocking test " + job->value("id", "?") + " is " + job->value("status", "?"));
    auto req = profile.required.find(cls);
    if (req == profile.required.end()) continue;
    for (const auto& test : req->second) {
      int seen = 0;
      for (const auto* job : jobs) {
        if (job->value("test", "") != test) continue;
        ++seen;
        if (job->value("status", "") != "pass")
          out.push_back(cls + ": required test " + job->value("id", test) + " did not pass (" +
                        job->value("status", "?") + ")");
      }
      if (seen == 0) out.push_back(cls + ": required test " + test + " was not run");
    }
  }
  return out;
}

}  // namespace certify::certdb
