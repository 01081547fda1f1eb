// Version ordering for dpkg and rpm, and Debian relationship parsing.
#include "swcompat/version.hpp"

#include <cctype>

namespace certify::swcompat {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// dpkg's order of a non-digit character: "~" first, then end of string,
// then letters, then everything else.
int deb_order(char c) {
  if (is_digit(c)) return 0;
  if (is_alpha(c)) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

int deb_verrevcmp(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int ac = i < a.size() ? deb_order(a[i]) : 0;
      int bc = j < b.size() ? deb_order(b[j]) : 0;
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && is_digit(a[i]) && j < b.size() && is_digit(b[j])) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && is_digit(a[i])) return 1;
    if (j < b.size() && is_digit(b[j])) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

struct DebVersion {
  unsigned long long epoch = 0;
  std::string_view upstream, revision;
};

DebVersion split_deb(std::string_view v) {
  DebVersion d;
  if (auto colon = v.find(':'); colon != std::string_view::npos) {
    unsigned long long e = 0;
    for (char c : v.substr(0, colon))
      if (is_digit(c) && e < 1000000000ULL) e = e * 10 + static_cast<unsigned>(c - '0');
    d.epoch = e;
    v = v.substr(colon + 1);
  }
  if (auto dash = v.rfind('-'); dash != std::string_view::npos) {
    d.upstream = v.substr(0, dash);
    d.revision = v.substr(dash + 1);
  } else {
    d.upstream = v;
  }
  return d;
}

int deb_compare(std::string_view a, std::string_view b) {
  auto x = split_deb(a), y = split_deb(b);
  if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
  if (int r = deb_verrevcmp(x.upstream, y.upstream)) return r;
  return deb_verrevcmp(x.revision, y.revision);
}

// rpmvercmp (rpm/rpmio/rpmvercmp.c semantics).
int rpm_vercmp(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  std::size_t i = 0, j = 0;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && !alnum(a[i]) && a[i] != '~' && a[i] != '^') ++i;
    while (j < b.size() && !alnum(b[j]) && b[j] != '~' && b[j] != '^') ++j;
    bool at = i < a.size() && a[i] == '~', bt = j < b.size() && b[j] == '~';
    if (at || bt) {
      if (!at) return 1;
      if (!bt) return -1;
      ++i;
      ++j;
      continue;
    }
    bool ac = i < a.size() && a[i] == '^', bc = j < b.size() && b[j] == '^';
    if (ac || bc) {
      if (i >= a.size()) return -1;
      if (j >= b.size()) return 1;
      if (!ac) return 1;
      if (!bc) return -1;
      ++i;
      ++j;
      continue;
    }
    if (i >= a.size() || j >= b.size()) break;
    std::size_t si = i, sj = j;
    bool numeric = is_digit(a[i]);
    if (numeric) {
      while (i < a.size() && is_digit(a[i])) ++i;
      while (j < b.size() && is_digit(b[j])) ++j;
    } else {
      while (i < a.size() && is_alpha(a[i])) ++i;
      while (j < b.size() && is_alpha(b[j])) ++j;
    }
    auto sa = a.substr(si, i - si), sb = b.substr(sj, j - sj);
    if (sb.empty()) return numeric ? 1 : -1;
    if (numeric) {
      while (sa.size() > 1 && sa.front() == '0') sa.remove_prefix(1);
      while (sb.size() > 1 && sb.front() == '0') sb.remove_prefix(1);
      if (sa.size() != sb.size()) return sa.size() > sb.size() ? 1 : -1;
    }
    if (int r = sa.compare(sb)) return r < 0 ? -1 : 1;
  }
  if (i >= a.size() && j >= b.size()) return 0;
  return i >= a.size() ? -1 : 1;
}

// [epoch:]version[-release] for rpm.
int rpm_compare(std::string_view a, std::string_view b) {
  auto split = [](std::string_view v, std::string_view& e, std::string_view& ver, std::string_view& rel) {
    e = "0";
    if (auto c = v.find(':'); c != std::string_view::npos) {
      e = v.substr(0, c);
      v = v.substr(c + 1);
    }
    rel = {};
    if (auto d = v.rfind('-'); d != std::string_view::npos) {
      rel = v.substr(d + 1);
      v = v.substr(0, d);
    }
    ver = v;
  };
  std::string_view ea, va, ra, eb, vb, rb;
  split(a, ea, va, ra);
  split(b, eb, vb, rb);
  if (int r = rpm_vercmp(ea, eb)) return r;
  if (int r = rpm_vercmp(va, vb)) return r;
  // A relation without a release matches any release.
  if (ra.empty() || rb.empty()) return 0;
  return rpm_vercmp(ra, rb);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b, VersionScheme scheme) {
  return scheme == VersionScheme::deb ? deb_compare(a, b) : rpm_compare(a, b);
}

std::string Dependency::text() const {
  if (op.empty()) return name;
  return name + " (" + op + " " + version + ")";
}

std::vector<DependencyGroup> parse_deb_relations(std::string_view field, std::vector<std::string>& errors) {
  std::vector<DependencyGroup> out;
  std::size_t pos = 0;
  while (pos <= field.size()) {
    auto comma = field.find(',', pos);
    if (comma == std::string_view::npos) comma = field.size();
    auto group_text = trim(field.substr(pos, comma - pos));
    pos = comma + 1;
    if (group_text.empty()) continue;
    DependencyGroup group;
    std::size_t gp = 0;
    while (gp <= group_text.size()) {
      auto bar = group_text.find('|', gp);
      if (bar == std::string_view::npos) bar = group_text.size();
      auto rel = trim(group_text.substr(gp, bar - gp));
      gp = bar + 1;
      // Drop "[arch list]" and "<profiles>".
      std::string cleaned;
      int depth = 0;
      for (char c : rel) {
        if (c == '[' || c == '<' ) {
          // "<" inside "(<< 1)" is an operator, not a profile.
          if (c == '<' && cleaned.find('(') != std::string::npos && cleaned.find(')') == std::string::npos) {
            cleaned += c;
            continue;
          }
          ++depth;
          continue;
        }
        if ((c == ']' || c == '>') && depth > 0) {
          --depth;
          continue;
        }
        if (depth == 0) cleaned += c;
      }
      std::string_view r = trim(cleaned);
      Dependency d;
      auto paren = r.find('(');
      auto name = trim(r.substr(0, paren));
      if (auto colon = name.find(':'); colon != std::string_view::npos) name = name.substr(0, colon);
      bool ok = !name.empty();
      for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) ok = false;
      if (ok && paren != std::string_view::npos) {
        auto close = r.find(')', paren);
        if (close == std::string_view::npos || !trim(r.substr(close + 1)).empty()) {
          ok = false;
        } else {
          auto inner = trim(r.substr(paren + 1, close - paren - 1));
          std::size_t k = 0;
          while (k < inner.size() && (inner[k] == '<' || inner[k] == '>' || inner[k] == '=')) ++k;
          std::string op(inner.substr(0, k));
          if (op == "<<") op = "<";
          else if (op == ">>") op = ">";
          else if (op == "<") op = "<=";  // obsolete dpkg spelling, means <=
          else if (op == ">") op = ">=";
          d.op = op;
          d.version = std::string(trim(inner.substr(k)));
          if (!(op == "<" || op == "<=" || op == "=" || op == ">=" || op == ">") || d.version.empty()) ok = false;
        }
      } else if (ok && trim(r.substr(name.size())).size() > 0 && r.find(':') == std::string_view::npos) {
        ok = false;
      }
      if (!ok) {
        errors.push_back("malformed relation \"" + std::string(rel) + "\"");
        continue;
      }
      d.name = std::string(name);
      group.push_back(std::move(d));
    }
    if (!group.empty()) out.push_back(std::move(group));
  }
  return out;
}

bool version_satisfies(std::string_view version, const Dependency& dep, VersionScheme scheme) {
  if (dep.op.empty()) return true;
  int c = compare_versions(version, dep.version, scheme);
  if (dep.op == "<") return c < 0;
  if (dep.op == "<=") return c <= 0;
  if (dep.op == "=") return c == 0;
  if (dep.op == ">=") return c >= 0;
  if (dep.op == ">") return c > 0;
  return false;
}

}  // namespace certify::swcompat
