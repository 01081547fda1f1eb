// Planner: matches suites to inventory devices, resolves locks and ordering.
#include "runner/plan.hpp"

#include <fnmatch.h>

#include <map>
#include <set>
#include <sstream>

namespace certify::runner {

namespace {

std::string json_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

bool truthy(const nlohmann::json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get<std::string>().empty();
  return !v.empty();
}

// Empty string when the requirement holds, else why not.
std::string check(const Requirement& r, const nlohmann::json& dev, const std::filesystem::path& sysroot) {
  switch (r.kind) {
    case Requirement::Kind::driver: {
      std::string d = dev.value("driver", "");
      return d == r.name ? "" : "driver is " + (d.empty() ? std::string("none") : d) + ", requires " + r.name;
    }
    case Requirement::Kind::vendor_id: {
      std::string v = dev.value("vendor_id", "");
      return v == r.name ? "" : "vendor id is " + (v.empty() ? std::string("none") : v) + ", requires " + r.name;
    }
    case Requirement::Kind::prop: {
      const auto& props = dev.contains("props") ? dev["props"] : dev;
      // With a value the prop must equal it (value="false" matches false);
      // without one it must be present and not false/0/empty.
      if (!props.is_object() || !props.contains(r.name) || (r.value.empty() && !truthy(props[r.name])))
        return "prop " + r.name + " is absent";
      if (!r.value.empty() && json_text(props[r.name]) != r.value)
        return "prop " + r.name + " is " + json_text(props[r.name]) + ", requires " + r.value;
      return "";
    }
    case Requirement::Kind::file: {
      std::error_code ec;
      auto rel = std::filesystem::path(r.name).relative_path();
      return std::filesystem::exists(sysroot / rel, ec) ? "" : r.name + " does not exist";
    }
  }
  return "unknown requirement";
}

bool matches_any(const std::vector<std::string>& pats, const std::string& a, const std::string& b) {
  for (const auto& p : pats)
    if (glob_match(p, a) || glob_match(p, b)) return true;
  return false;
}

}  // namespace

std::string safe_id(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out += ok ? c : '-';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  return ::fnmatch(std::string(pattern).c_str(), std::string(text).c_str(), 0) == 0;
}

Plan make_plan(const nlohmann::json& inv, const std::vector<Suite>& suites, const PlanOptions& opt,
               const std::filesystem::path& sysroot) {
  Plan plan;
  plan.sysroot = sysroot;
  // The inventory's devices are read in place: a job copies its own device
  // once, and nothing else does (three copies of each device JSON were a
  // third of the planning of a 400-device run).
  static const nlohmann::json no_devices = nlohmann::json::array();
  const auto& devices = inv.contains("devices") && inv["devices"].is_array() ? inv["devices"] : no_devices;
  for (const auto& s : suites) {
    // Candidates: (device id, device json) pairs the suite applies to; the
    // JSON is the inventory's, or `section` for a machine-wide class.
    std::vector<std::pair<std::string, const nlohmann::json*>> chosen;
    nlohmann::json section;
    if (s.machine_wide()) {
      section = inv.contains(s.cls) ? inv[s.cls] : nlohmann::json::object();
      if (s.cls == "system") section = {{"system", inv.value("system", nlohmann::json::object())},
                                        {"os", inv.value("os", nlohmann::json::object())}};
      std::string why;
      for (const auto& r : s.requires_)
        if (auto w = check(r, section, sysroot); !w.empty()) { why = w; break; }
      plan.decisions.push_back({s.id, s.cls, why.empty(), why.empty() ? "machine-wide class " + s.cls : why});
      if (why.empty()) chosen.emplace_back(s.cls, &section);
    } else {
      bool any = false;
      std::string yes = "class " + s.cls;
      for (const auto& r : s.requires_) yes += ", " + r.describe();
      for (const auto& d : devices) {
        if (d.value("class", "") != s.cls) continue;
        any = true;
        std::string id = d.value("id", "");
        std::string why;
        for (const auto& r : s.requires_)
          if (auto w = check(r, d, sysroot); !w.empty()) { why = w; break; }
        plan.decisions.push_back({s.id, id, why.empty(), why.empty() ? yes : why});
        if (why.empty()) chosen.emplace_back(id, &d);
      }
      if (!any) plan.decisions.push_back({s.id, "", false, "no device of class " + s.cls + " in the inventory"});
    }
    if (chosen.empty()) continue;
    for (const auto& t : s.tests) {
      std::string hash;  // made at the first job of this test
      if (!opt.only.empty() && !matches_any(opt.only, t.id, t.id)) {
        plan.left_out.push_back(t.id + ": not matched by --only");
        continue;
      }
      if (matches_any(opt.skip, t.id, t.id)) {
        plan.left_out.push_back(t.id + ": matched by --skip");
        continue;
      }
      if (t.destructive && !opt.destructive) {
        plan.left_out.push_back(t.id + ": destructive (run with --destructive)");
        continue;
      }
      auto add = [&](const std::string& dev_id, const nlohmann::json& dev) {
        Job j;
        j.test_id = t.id;
        j.suite_id = s.id;
        j.cls = s.cls;
        j.device_id = dev_id;
        j.device = dev;
        j.id = dev_id.empty() ? t.id : t.id + "@" + safe_id(dev_id);
        j.test = t;
        if (hash.empty()) hash = t.definition_hash();
        j.def_hash = hash;
        j.suite_dir = s.dir();
        for (const auto& l : t.locks) {
          if (l == "system") j.locks.push_back("system");
          else if (l == "device") j.locks.push_back("device:" + (dev_id.empty() ? s.cls : dev_id));
          else j.locks.push_back(l);
        }
        if (!opt.only.empty() && !matches_any(opt.only, t.id, j.id)) return;
        if (matches_any(opt.skip, t.id, j.id)) return;
        plan.jobs.push_back(std::move(j));
      };
      if (t.per_device && !s.machine_wide()) {
        for (const auto& [id, d] : chosen) add(id, *d);
      } else if (s.machine_wide()) {
        add(s.cls, *chosen.front().second);
      } else {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& c : chosen) all.push_back(*c.second);
        add("", {{"devices", all}});
      }
    }
  }
  // Ordering: after=T waits for T's jobs on the same device when there are
  // some, else for all of T's jobs.
  std::map<std::string, std::vector<const Job*>> by_test;
  for (const auto& j : plan.jobs) by_test[j.test_id].push_back(&j);
  std::vector<std::vector<std::string>> deps(plan.jobs.size());
  for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
    const auto& j = plan.jobs[i];
    for (const auto& a : j.test.after) {
      auto it = by_test.find(a);
      if (it == by_test.end()) continue;  // not in this plan: ordering only
      std::vector<std::string> same, all;
      for (const auto* o : it->second) {
        all.push_back(o->id);
        if (o->device_id == j.device_id) same.push_back(o->id);
      }
      auto& use = same.empty() ? all : same;
      deps[i].insert(deps[i].end(), use.begin(), use.end());
    }
  }
  for (std::size_t i = 0; i < plan.jobs.size(); ++i) plan.jobs[i].after = std::move(deps[i]);
  return plan;
}

nlohmann::json to_json(const Plan& plan) {
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& j : plan.jobs)
    jobs.push_back({{"id", j.id},
                    {"test", j.test_id},
                    {"suite", j.suite_id},
                    {"class", j.cls},
                    {"device", j.device_id},
                    {"locks", j.locks},
                    {"after", j.after},
                    {"definition", to_json(j.test)},
                    {"definition_hash", j.definition_hash()},
                    {"suite_dir", j.suite_dir.string()}});
  nlohmann::json dec = nlohmann::json::array();
  for (const auto& d : plan.decisions)
    dec.push_back({{"suite", d.suite_id}, {"device", d.device_id}, {"chosen", d.chosen}, {"reason", d.reason}});
  return {{"schema_version", k_plan_schema_version},
          {"sysroot", plan.sysroot.string()},
          {"jobs", jobs},
          {"decisions", dec},
          {"left_out", plan.left_out}};
}

std::string to_text(const Plan& plan) {
  std::ostringstream os;
  os << "Suites:\n";
  for (const auto& d : plan.decisions)
    os << "  " << (d.chosen ? "+ " : "- ") << d.suite_id << (d.device_id.empty() ? "" : " on " + d.device_id) << ": "
       << d.reason << '\n';
  if (!plan.left_out.empty()) {
    os << "Left out:\n";
    for (const auto& l : plan.left_out) os << "  - " << l << '\n';
  }
  os << "Jobs (" << plan.jobs.size() << "):\n";
  for (const auto& j : plan.jobs) {
    os << "  " << j.id << "  timeout " << j.test.timeout_s << "s";
    if (!j.locks.empty()) {
      os << "  locks ";
      for (std::size_t i = 0; i < j.locks.size(); ++i) os << (i ? "," : "") << j.locks[i];
    }
    if (!j.after.empty()) os << "  after " << j.after.size() << " job(s)";
    os << '\n';
  }
  return os.str();
}

}  // namespace certify::runner
