// Suite parser: pugixml DOM to Suite, with line numbers in every error.
#include "runner/suite.hpp"

#include <pugixml.hpp>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "core/files.hpp"
#include "testsuites/builtin.hpp"

namespace certify::runner {

namespace {

int line_of(const std::string& text, std::ptrdiff_t offset) {
  if (offset < 0) return 1;
  auto end = text.begin() + std::min<std::ptrdiff_t>(offset, static_cast<std::ptrdiff_t>(text.size()));
  return 1 + static_cast<int>(std::count(text.begin(), end, '\n'));
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Ctx {
  const std::string& text;
  const std::filesystem::path& file;
  std::string where(const pugi::xml_node& n) const {
    return file.string() + ":" + std::to_string(line_of(text, n.offset_debug()));
  }
  Error err(const pugi::xml_node& n, const std::string& msg) const { return make_error(where(n) + ": " + msg); }
};

Result<bool> parse_bool(const Ctx& c, const pugi::xml_node& n, const char* name, bool dflt) {
  auto a = n.attribute(name);
  if (!a) return dflt;
  std::string v = a.value();
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return c.err(n, std::string("attribute ") + name + "=\"" + v + "\" is not true or false");
}

bool valid_id(std::string_view id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '-' || ch == '_';
  });
}

std::string trimmed(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

Result<TestDef> parse_test(const Ctx& c, const pugi::xml_node& n, const std::filesystem::path& dir) {
  TestDef t;
  t.line = line_of(c.text, n.offset_debug());
  t.id = n.attribute("id").value();
  if (!valid_id(t.id)) return c.err(n, "test id \"" + t.id + "\" is missing or has characters outside [A-Za-z0-9._-]");
  t.run = n.attribute("run").value();
  if (t.run.rfind("builtin:", 0) == 0) {
    if (!suites::find_builtin(t.target()))
      return c.err(n, "test " + t.id + ": unknown built-in test \"" + t.target() + "\" (see `certify builtin --list`)");
  } else if (t.run.rfind("exec:", 0) == 0) {
    auto rel = t.target();
    if (rel.empty() || rel[0] == '/' || rel.find("..") != std::string::npos)
      return c.err(n, "test " + t.id + ": exec path \"" + rel + "\" must be relative to the suite folder without ..");
    auto script = dir / rel;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(script, ec))
      return c.err(n, "test " + t.id + ": script " + script.string() + " does not exist");
    if (::access(script.c_str(), X_OK) != 0)
      return c.err(n, "test " + t.id + ": script " + script.string() + " is not executable");
  } else {
    return c.err(n, "test " + t.id + ": run=\"" + t.run + "\" must start with builtin: or exec:");
  }
  std::string per = n.attribute("per").as_string("device");
  if (per != "device" && per != "once") return c.err(n, "test " + t.id + ": per=\"" + per + "\" must be device or once");
  t.per_device = per == "device";
  if (auto a = n.attribute("timeout")) {
    std::string v = a.value();
    int x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || p != v.data() + v.size() || x <= 0)
      return c.err(n, "test " + t.id + ": timeout=\"" + v + "\" is not a positive number of seconds");
    t.timeout_s = x;
  }
  t.locks = split_list(n.attribute("locks").value());
  for (const auto& l : t.locks)
    if (!valid_id(l)) return c.err(n, "test " + t.id + ": lock name \"" + l + "\" is not valid");
  t.after = split_list(n.attribute("after").value());
  for (const char* name : {"destructive", "needs-root", "expects-reboot"}) {
    auto b = parse_bool(c, n, name, false);
    if (!b) return b.error();
    (name[0] == 'd' ? t.destructive : name[0] == 'n' ? t.needs_root : t.expects_reboot) = *b;
  }
  std::string blocker = n.attribute("blocker").as_string("blocker");
  if (blocker != "blocker" && blocker != "non-blocker")
    return c.err(n, "test " + t.id + ": blocker=\"" + blocker + "\" must be blocker or non-blocker");
  t.blocker = blocker == "blocker";
  for (auto ch : n.children()) {
    if (ch.type() != pugi::node_element) continue;
    std::string tag = ch.name();
    if (tag == "description") {
      t.description = trimmed(ch.text().get());
    } else if (tag == "param") {
      std::string name = ch.attribute("name").value();
      if (!valid_id(name)) return c.err(ch, "test " + t.id + ": param name \"" + name + "\" is not valid");
      t.params[name] = ch.attribute("value").value();
    } else {
      return c.err(ch, "test " + t.id + ": unexpected element <" + tag + ">");
    }
  }
  if (t.description.empty()) return c.err(n, "test " + t.id + ": <description> with the pass criterion is required");
  return t;
}

Result<Requirement> parse_requirement(const Ctx& c, const pugi::xml_node& n) {
  Requirement r;
  std::string tag = n.name();
  if (tag == "driver") r.kind = Requirement::Kind::driver;
  else if (tag == "prop") r.kind = Requirement::Kind::prop;
  else if (tag == "file") r.kind = Requirement::Kind::file;
  else if (tag == "vendor-id") r.kind = Requirement::Kind::vendor_id;
  else return c.err(n, "unknown requirement <" + tag + "> (driver, prop, file, vendor-id)");
  r.name = r.kind == Requirement::Kind::file ? n.attribute("path").value() : n.attribute("name").value();
  r.value = n.attribute("value").value();
  if (r.name.empty()) return c.err(n, "<" + tag + "> needs a " + (r.kind == Requirement::Kind::file ? "path" : "name"));
  return r;
}

}  // namespace

std::string Requirement::describe() const {
  switch (kind) {
    case Kind::driver: return "driver " + name;
    case Kind::prop: return value.empty() ? "prop " + name : "prop " + name + "=" + value;
    case Kind::file: return "file " + name;
    case Kind::vendor_id: return "vendor id " + name;
  }
  return name;
}

std::string TestDef::definition_hash() const {
  return sha256_hex(to_json(*this).dump());
}

nlohmann::json to_json(const TestDef& t) {
  return {{"id", t.id},           {"run", t.run},
          {"per", t.per_device ? "device" : "once"},
          {"timeout", t.timeout_s}, {"locks", t.locks},
          {"after", t.after},     {"destructive", t.destructive},
          {"needs_root", t.needs_root}, {"expects_reboot", t.expects_reboot},
          {"blocker", t.blocker ? "blocker" : "non-blocker"},
          {"description", t.description}, {"params", t.params}};
}

Result<Suite> parse_suite_text(const std::string& text, const std::filesystem::path& file) {
  pugi::xml_document doc;
  auto pr = doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!pr)
    return make_error(file.string() + ":" + std::to_string(line_of(text, pr.offset)) + ": malformed XML: " +
                      pr.description());
  Ctx c{text, file};
  auto root = doc.child("suite");
  if (!root) return make_error(file.string() + ":1: root element must be <suite>");
  Suite s;
  s.file = file;
  std::string sv = root.attribute("schema_version").as_string("1");
  if (sv != std::to_string(k_suite_schema_version))
    return c.err(root, "schema_version " + sv + " is not supported (this certify reads " +
                           std::to_string(k_suite_schema_version) + ")");
  s.id = root.attribute("id").value();
  s.cls = root.attribute("class").value();
  s.version = root.attribute("version").as_string("1");
  if (!valid_id(s.id)) return c.err(root, "suite id \"" + s.id + "\" is missing or not valid");
  if (!valid_id(s.cls)) return c.err(root, "suite class \"" + s.cls + "\" is missing or not valid");
  std::set<std::string> ids;
  for (auto ch : root.children()) {
    if (ch.type() != pugi::node_element) continue;
    std::string tag = ch.name();
    if (tag == "description") {
      s.description = trimmed(ch.text().get());
    } else if (tag == "requires") {
      for (auto r : ch.children()) {
        if (r.type() != pugi::node_element) continue;
        auto req = parse_requirement(c, r);
        if (!req) return req.error();
        s.requires_.push_back(*req);
      }
    } else if (tag == "test") {
      auto t = parse_test(c, ch, file.parent_path());
      if (!t) return t.error();
      if (!ids.insert(t->id).second) return c.err(ch, "duplicate test id " + t->id);
      s.tests.push_back(std::move(*t));
    } else {
      return c.err(ch, "unexpected element <" + tag + "> in <suite>");
    }
  }
  for (const auto& t : s.tests)
    for (const auto& a : t.after)
      if (a == t.id) return make_error(file.string() + ":" + std::to_string(t.line) + ": test " + t.id + " is after itself");
  return s;
}

Result<Suite> load_suite(const std::filesystem::path& file) {
  auto text = read_file(file, 4 << 20);
  if (!text) return text.error();
  return parse_suite_text(*text, file);
}

Result<std::vector<Suite>> load_suites(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return make_error("suites directory " + dir.string() + " does not exist");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (std::filesystem::is_regular_file(e.path() / "suite.xml")) files.push_back(e.path() / "suite.xml");
  std::sort(files.begin(), files.end());
  std::vector<Suite> out;
  std::map<std::string, std::string> seen;  // test id -> file
  for (const auto& f : files) {
    auto s = load_suite(f);
    if (!s) return s.error();
    for (const auto& t : s->tests)
      if (auto [it, fresh] = seen.emplace(t.id, f.string()); !fresh)
        return make_error(f.string() + ":" + std::to_string(t.line) + ": test id " + t.id + " already defined in " + it->second);
    out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace certify::runner
